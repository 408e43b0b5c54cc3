package paddle

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/paddle/paddlepb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

func paddleVarType(v int64) paddlepb.VarType_Type { return paddlepb.VarType_Type(v) }

// lowerProgram lowers block 0 of a ProgramDesc.
func lowerProgram(file string, data []byte, params paramSource) (*ir.Model, error) {
	var prog paddlepb.ProgramDesc
	if err := proto.Unmarshal(data, &prog); err != nil {
		return nil, fmt.Errorf("%s: not a Paddle program: %w", file, err)
	}
	if len(prog.Blocks) == 0 {
		return nil, fmt.Errorf("%s: the program has no blocks", file)
	}
	block := prog.Blocks[0]
	l := &lowerer{file: file, m: ir.NewModel(file)}
	l.g = l.m.Graph
	vars := map[string]*paddlepb.VarDesc{}
	for _, v := range block.Vars {
		vars[v.GetName()] = v
	}
	vals := map[string]*ir.Value{}

	// Parameters: the persistable tensors (not the feed/fetch lists), in sorted-name order.
	var names []string
	for _, v := range block.Vars {
		if v.GetPersistable() && v.GetType().GetType() == paddlepb.VarType_LOD_TENSOR && v.GetName() != "feed" && v.GetName() != "fetch" {
			names = append(names, v.GetName())
		}
	}
	sort.Strings(names)
	if params != nil {
		ts, err := params.load(names)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if err := matchDeclared(n, varType(vars[n], false), ts[n]); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			vals[n] = l.g.AddConst(n, ts[n])
		}
	} else {
		for _, n := range names {
			vals[n] = l.g.AddInput(n, varType(vars[n], false))
		}
	}

	// Inputs come from feed ops, outputs go to fetch ops, each ordered by its col attribute.
	type io struct {
		col  int64
		name string
	}
	var feeds, fetches []io
	for _, o := range block.Ops {
		switch o.GetType() {
		case "feed":
			feeds = append(feeds, io{legacyAttrInt(o, "col"), firstArg(o.Outputs, "Out")})
		case "fetch":
			fetches = append(fetches, io{legacyAttrInt(o, "col"), firstArg(o.Inputs, "X")})
		}
	}
	sort.SliceStable(feeds, func(i, j int) bool { return feeds[i].col < feeds[j].col })
	sort.SliceStable(fetches, func(i, j int) bool { return fetches[i].col < fetches[j].col })
	for _, f := range feeds {
		v, ok := vars[f.name]
		if !ok {
			return nil, fmt.Errorf("%s: feed variable %q is not declared", file, f.name)
		}
		vals[f.name] = l.g.AddInput(f.name, varType(v, true))
	}

	var unmapped []UnmappedOp
	poisoned := map[string]bool{} // outputs of ops that could not be mapped
	later := map[string]bool{}    // outputs of the ops after the current one
	for _, o := range block.Ops {
		for _, a := range allArgs(o.Outputs) {
			later[a] = true
		}
	}
	for _, o := range block.Ops {
		for _, a := range allArgs(o.Outputs) {
			delete(later, a)
		}
		typ := o.GetType()
		if typ == "feed" || typ == "fetch" {
			continue
		}
		lo := &legacyOp{o: o, vals: vals, vars: vars}
		if lo.uses(poisoned) {
			// Downstream of an unmapped op: not an error of its own.
			for _, a := range allArgs(o.Outputs) {
				poisoned[a] = true
			}
			continue
		}
		fn, ok := lowerings[typ]
		var err error
		switch {
		case !ok:
			err = errUnmapped
		case lo.missingInput() != "":
			name := lo.missingInput()
			err = &programError{fmt.Errorf("input %q is not defined", name)}
			if later[name] {
				err = &programError{fmt.Errorf("input %q is not defined before it (a later op produces it: a cycle, or ops out of order)", name)}
			}
		default:
			err = lowerOp(fn, l, lo)
		}
		var pe *programError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %s op producing %q: %w", file, typ, lo.label(), pe.err)
		}
		if err != nil {
			u := UnmappedOp{Type: typ, Outputs: allArgs(o.Outputs)}
			if err != errUnmapped {
				u.Why = err.Error()
			}
			unmapped = append(unmapped, u)
			for _, a := range u.Outputs {
				poisoned[a] = true
			}
		}
	}
	if len(unmapped) > 0 {
		return nil, &UnsupportedOpsError{File: file, Ops: unmapped}
	}
	for _, f := range fetches {
		v, ok := vals[f.name]
		if !ok {
			return nil, fmt.Errorf("%s: fetched variable %q is never computed", file, f.name)
		}
		v.Name = f.name
		l.g.Outputs = append(l.g.Outputs, v)
	}
	if len(l.g.Outputs) == 0 {
		return nil, fmt.Errorf("%s: the program fetches nothing", file)
	}
	return l.m, nil
}

var errUnmapped = fmt.Errorf("no mapping")

// matchDeclared checks a parameter's record against the type its program declares, where the
// program declares one: a record that disagrees is a corrupt or mismatched parameters file.
func matchDeclared(name string, want ir.Type, t *runtime.Tensor) error {
	shape, ok := want.StaticShape()
	if !ok || want.DType == 0 {
		return nil
	}
	if want.DType != t.DType || !slices.Equal(shape, t.Shape) {
		return fmt.Errorf("parameter %q: the program declares %s%v, the parameters file holds %s%v", name, want.DType, shape, t.DType, t.Shape)
	}
	return nil
}

// varType is a declared variable's IR type; a feed's first unknown dim is the batch.
func varType(v *paddlepb.VarDesc, feed bool) ir.Type {
	desc := v.GetType().GetLodTensor().GetTensor()
	dt, ok := dtypes[desc.GetDataType()]
	if !ok {
		return ir.Type{}
	}
	dims := make([]ir.Dim, len(desc.GetDims())) // a variable without a tensor desc has none
	for i, d := range desc.GetDims() {
		switch {
		case i == 0 && feed && d < 0:
			dims[i] = ir.Symbol("N")
		case feed && !v.GetNeedCheckFeed():
			// Paddle checks a feed's declared dims only when need_check_feed is set, and models
			// are run at other sizes than declared (PaddleOCR's classifier declares 32x100 and
			// runs at 48x192), so such dims stay open: pin them with --shape.
			dims[i] = ir.Unknown()
		case d >= 0:
			dims[i] = ir.Static(d)
		default:
			dims[i] = ir.Unknown()
		}
	}
	return ir.TensorType(dt, dims...)
}

func firstArg(vs []*paddlepb.OpDesc_Var, slot string) string {
	for _, v := range vs {
		if v.GetParameter() == slot && len(v.Arguments) > 0 {
			return v.Arguments[0]
		}
	}
	return ""
}

func allArgs(vs []*paddlepb.OpDesc_Var) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Arguments...)
	}
	return out
}

func legacyAttrInt(o *paddlepb.OpDesc, name string) int64 {
	for _, a := range o.Attrs {
		if a.GetName() == name {
			return int64(a.GetI())
		}
	}
	return 0
}

// legacyOp presents a ProgramDesc op to the lowering table.
type legacyOp struct {
	o    *paddlepb.OpDesc
	vals map[string]*ir.Value
	vars map[string]*paddlepb.VarDesc
}

func (lo *legacyOp) kind() string { return lo.o.GetType() }

func (lo *legacyOp) label() string {
	if outs := allArgs(lo.o.Outputs); len(outs) > 0 {
		return outs[0]
	}
	return lo.o.GetType()
}

func (lo *legacyOp) uses(vars map[string]bool) bool {
	for _, v := range lo.o.Inputs {
		for _, a := range v.Arguments {
			if vars[a] {
				return true
			}
		}
	}
	return false
}

// missingInput names an input variable that no earlier op defined.
func (lo *legacyOp) missingInput() string {
	for _, v := range lo.o.Inputs {
		for _, a := range v.Arguments {
			if _, ok := lo.vals[a]; !ok {
				return a
			}
		}
	}
	return ""
}

func (lo *legacyOp) in(slot string, _ int) *ir.Value {
	if name := firstArg(lo.o.Inputs, slot); name != "" {
		return lo.vals[name]
	}
	return nil
}

func (lo *legacyOp) list(slot string, _ int) []*ir.Value {
	var out []*ir.Value
	for _, v := range lo.o.Inputs {
		if v.GetParameter() == slot {
			for _, a := range v.Arguments {
				out = append(out, lo.vals[a])
			}
		}
	}
	return out
}

func (lo *legacyOp) out(slot string, pos int, v *ir.Value) {
	for _, o := range lo.o.Outputs {
		if o.GetParameter() == slot && pos < len(o.Arguments) {
			lo.vals[o.Arguments[pos]] = v
			v.Name = o.Arguments[pos]
			if t, ok := lo.outType(slot, pos); ok {
				declare(v, t)
			}
		}
	}
}

// declare gives a node output the element type and rank the program declares, so that later
// lowerings that depend on ranks (Paddle's broadcast axis) can run before shape inference,
// which then replaces the type with the one it computes.
func declare(v *ir.Value, t ir.Type) {
	if v.Type.DType != 0 || v.Const != nil || !t.RankKnown {
		return
	}
	dims := make([]ir.Dim, len(t.Shape))
	for i := range dims {
		dims[i] = ir.Unknown()
	}
	v.Type = ir.TensorType(t.DType, dims...)
}

func (lo *legacyOp) outType(slot string, pos int) (ir.Type, bool) {
	for _, o := range lo.o.Outputs {
		if o.GetParameter() == slot && pos < len(o.Arguments) {
			if v, ok := lo.vars[o.Arguments[pos]]; ok {
				return varType(v, false), true
			}
		}
	}
	return ir.Type{}, false
}

func (lo *legacyOp) attr(name string) (any, bool) {
	for _, a := range lo.o.Attrs {
		if a.GetName() != name {
			continue
		}
		switch a.GetType() {
		case paddlepb.AttrType_INT:
			return int64(a.GetI()), true
		case paddlepb.AttrType_LONG:
			return a.GetL(), true
		case paddlepb.AttrType_FLOAT:
			return float64(a.GetF()), true
		case paddlepb.AttrType_FLOAT64:
			return a.GetFloat64(), true
		case paddlepb.AttrType_STRING:
			return a.GetS(), true
		case paddlepb.AttrType_BOOLEAN:
			return a.GetB(), true
		case paddlepb.AttrType_INTS:
			out := make([]int64, len(a.Ints))
			for i, v := range a.Ints {
				out[i] = int64(v)
			}
			return out, true
		case paddlepb.AttrType_LONGS:
			return a.Longs, true
		case paddlepb.AttrType_FLOATS:
			out := make([]float64, len(a.Floats))
			for i, v := range a.Floats {
				out[i] = float64(v)
			}
			return out, true
		case paddlepb.AttrType_FLOAT64S:
			return a.Float64S, true
		case paddlepb.AttrType_BOOLEANS:
			out := make([]int64, len(a.Bools))
			for i, v := range a.Bools {
				if v {
					out[i] = 1
				}
			}
			return out, true
		case paddlepb.AttrType_SCALAR:
			s := a.GetScalar()
			switch s.GetType() {
			case paddlepb.Scalar_LONG:
				return s.GetI(), true
			case paddlepb.Scalar_FLOAT64:
				return s.GetR(), true
			case paddlepb.Scalar_BOOLEAN:
				return s.GetB(), true
			}
		}
		return nil, false
	}
	return nil, false
}

package paddle

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// The Paddle 3 PIR program format (inference.json): a program of regions of blocks of ops; an
// op is {"#": "<dialect>.<name>", "I": [{"%": id}...], "O": [{"%": id, "TT": type}...],
// "A": [{"N": name, "AT": {"#": kind, "D": value}}...]}. Dialect 0 is builtin (combine, split),
// 1 is pd_op. Parameters are "p" ops whose "A" ends with the parameter's name.

type pirProgram struct {
	Base struct {
		Magic   string `json:"magic"`
		Version int    `json:"version"`
	} `json:"base_code"`
	Program struct {
		Regions []struct {
			Blocks []struct {
				Ops []json.RawMessage `json:"ops"`
			} `json:"blocks"`
		} `json:"regions"`
	} `json:"program"`
}

type pirValue struct {
	ID int             `json:"%"`
	TT json.RawMessage `json:"TT"`
}

type pirAttr struct {
	N  string `json:"N"`
	AT struct {
		Kind string          `json:"#"`
		D    json.RawMessage `json:"D"`
	} `json:"AT"`
}

type pirOpJSON struct {
	Name string          `json:"#"`
	I    []pirValue      `json:"I"`
	O    json.RawMessage `json:"O"`
	A    json.RawMessage `json:"A"`
}

// pirRenames maps PIR op names onto the ProgramDesc names the lowering table uses.
var pirRenames = map[string]string{
	"add": "elementwise_add", "subtract": "elementwise_sub", "multiply": "elementwise_mul",
	"divide": "elementwise_div", "elementwise_pow": "elementwise_pow", "maximum": "elementwise_max",
	"minimum": "elementwise_min", "hardswish": "hard_swish", "hardsigmoid": "hard_sigmoid",
	"batch_norm_": "batch_norm", "batch_norm": "batch_norm", "matmul": "matmul_v2", "reshape": "reshape2",
	"flatten": "flatten_contiguous_range", "transpose": "transpose2", "squeeze": "squeeze2",
	"unsqueeze": "unsqueeze2", "shape64": "shape", "shape": "shape", "nearest_interp": "nearest_interp_v2",
	"bilinear_interp": "bilinear_interp_v2", "split_with_num": "split", "relu_": "relu",
}

func lowerPIR(file string, data []byte, params paramSource) (*ir.Model, error) {
	var prog pirProgram
	if err := json.Unmarshal(data, &prog); err != nil {
		return nil, fmt.Errorf("%s: not a Paddle PIR program: %w", file, err)
	}
	if prog.Base.Magic != "pir" {
		return nil, fmt.Errorf("%s: not a Paddle PIR program (magic %q)", file, prog.Base.Magic)
	}
	if len(prog.Program.Regions) == 0 || len(prog.Program.Regions[0].Blocks) == 0 {
		return nil, fmt.Errorf("%s: the program is empty", file)
	}
	var ops []*pirOpJSON
	for _, raw := range prog.Program.Regions[0].Blocks[0].Ops {
		var o pirOpJSON
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("%s: op %d: %w", file, len(ops), err)
		}
		ops = append(ops, &o)
	}
	l := &lowerer{file: file, m: ir.NewModel(file)}
	l.g = l.m.Graph
	st := &pirState{vals: map[int]*ir.Value{}, lists: map[int][]*ir.Value{}, types: map[int]ir.Type{}}

	// Parameters, read in sorted-name order.
	type param struct {
		name string
		out  pirValue
	}
	var ps []param
	for i, o := range ops {
		if o.Name != "p" {
			continue
		}
		var a []any
		var out pirValue
		if err := json.Unmarshal(o.A, &a); err != nil || len(a) == 0 {
			return nil, fmt.Errorf("%s: parameter op %d has no name", file, i)
		}
		name, ok := a[len(a)-1].(string)
		if err := json.Unmarshal(o.O, &out); err != nil || !ok {
			return nil, fmt.Errorf("%s: parameter op %d is malformed", file, i)
		}
		ps = append(ps, param{name, out})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].name < ps[j].name })
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	var tensors map[string]*runtime.Tensor
	if params != nil {
		var err error
		if tensors, err = params.load(names); err != nil {
			return nil, err
		}
	}
	for _, p := range ps {
		t := pirType(p.out.TT)
		if tensors != nil {
			if err := matchDeclared(p.name, t, tensors[p.name]); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			st.vals[p.out.ID] = l.g.AddConst(p.name, tensors[p.name])
		} else {
			st.vals[p.out.ID] = l.g.AddInput(p.name, t)
		}
	}

	type fetch struct {
		col int64
		v   *ir.Value
		id  int
	}
	var fetches []fetch
	var unmapped []UnmappedOp
	poisoned := map[int]bool{}
	for _, o := range ops {
		if o.Name == "p" {
			continue
		}
		po, err := st.op(o)
		if err != nil {
			return nil, fmt.Errorf("%s: op %s: %w", file, o.Name, err)
		}
		if po.usesAny(poisoned) {
			for _, v := range po.outs {
				poisoned[v.ID] = true
			}
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(o.Name, "1."), "0.")
		switch o.Name {
		case "1.data", "1.fetch":
			err = lowerOp(func(l *lowerer, _ op) error {
				if len(po.outs) != 1 {
					return &programError{fmt.Errorf("%d results, want 1", len(po.outs))}
				}
				if o.Name == "1.fetch" {
					fetches = append(fetches, fetch{attrInt(po, "col", 0), po.in("", 0), po.outs[0].ID})
					return nil
				}
				// As for ProgramDesc feeds: the batch is N, other declared sizes stay open.
				t := pirType(po.outs[0].TT)
				for k := range t.Shape {
					if k == 0 {
						t.Shape[k] = ir.Symbol("N")
					} else {
						t.Shape[k] = ir.Unknown()
					}
				}
				st.vals[po.outs[0].ID] = l.g.AddInput(attrString(po, "name", "x"), t)
				return nil
			}, l, po)
		case "0.combine":
			if len(po.outs) != 1 {
				return nil, fmt.Errorf("%s: 0.combine op with %d results, want 1", file, len(po.outs))
			}
			var list []*ir.Value
			for k := range po.ins {
				list = append(list, po.in("", k))
			}
			st.lists[po.outs[0].ID] = list
			continue
		case "0.split":
			list := po.list("", 0)
			for k, v := range po.outs {
				if k < len(list) {
					st.vals[v.ID] = list[k]
				}
			}
			continue
		case "1.full", "1.full_int_array", "1.assign_value_":
			err = lowerOp(func(l *lowerer, _ op) error { return lowerFull(l, po) }, l, po)
		default:
			if r, ok := pirRenames[name]; ok {
				name = r
			}
			fn, ok := lowerings[name]
			switch {
			case !ok:
				err = errUnmapped
			case po.missing() != 0:
				err = &programError{fmt.Errorf("operand %%%d is not defined", po.missing())}
			default:
				err = lowerOp(fn, l, po)
			}
		}
		var pe *programError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %s op producing %s: %w", file, o.Name, po.outNames(), pe.err)
		}
		if err != nil {
			u := UnmappedOp{Type: name}
			for _, v := range po.outs {
				u.Outputs = append(u.Outputs, fmt.Sprintf("%%%d", v.ID))
				poisoned[v.ID] = true
			}
			if err != errUnmapped {
				u.Why = err.Error()
			}
			unmapped = append(unmapped, u)
		}
	}
	if len(unmapped) > 0 {
		return nil, &UnsupportedOpsError{File: file, Ops: unmapped}
	}
	sort.SliceStable(fetches, func(i, j int) bool { return fetches[i].col < fetches[j].col })
	for _, f := range fetches {
		if f.v == nil {
			return nil, fmt.Errorf("%s: fetch %d of an undefined value", file, f.col)
		}
		l.g.Outputs = append(l.g.Outputs, f.v)
	}
	if len(l.g.Outputs) == 0 {
		return nil, fmt.Errorf("%s: the program fetches nothing", file)
	}
	return l.m, nil
}

// lowerFull makes constants of full, full_int_array and assign_value_.
func lowerFull(l *lowerer, o *pirOp) error {
	dv, _ := o.attr("dtype")
	dt, ok := paddleDType(dv)
	if !ok {
		return fmt.Errorf("dtype %v", dv)
	}
	if o.kind() == "1.full_int_array" {
		vals, _ := attrInts(o, "value")
		t := runtime.New(dt, len(vals))
		for i, v := range vals {
			switch dt {
			case runtime.Int32:
				runtime.Data[int32](t)[i] = int32(v)
			case runtime.Int64:
				runtime.Data[int64](t)[i] = v
			default:
				return fmt.Errorf("full_int_array of %s", dt)
			}
		}
		o.out("Out", 0, l.g.AddConst("", t))
		return nil
	}
	shape, _ := attrInts(o, "shape")
	dims := make([]int, len(shape))
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("full with a dynamic shape")
		}
		dims[i] = int(d)
	}
	o.out("Out", 0, l.filled(o, dt, dims, attrFloat(o, "value", 0)))
	return nil
}

type pirState struct {
	vals  map[int]*ir.Value
	lists map[int][]*ir.Value
	types map[int]ir.Type
}

// pirOp presents a PIR op to the lowering table.
type pirOp struct {
	st    *pirState
	name  string
	ins   []pirValue
	outs  []pirValue
	attrs map[string]any
}

func (st *pirState) op(o *pirOpJSON) (*pirOp, error) {
	po := &pirOp{st: st, name: o.Name, ins: o.I, attrs: map[string]any{}}
	if len(o.O) > 0 {
		if o.O[0] == '[' {
			if err := json.Unmarshal(o.O, &po.outs); err != nil {
				return nil, err
			}
		} else {
			var v pirValue
			if err := json.Unmarshal(o.O, &v); err != nil {
				return nil, err
			}
			po.outs = []pirValue{v}
		}
	}
	if len(o.A) > 0 && o.A[0] == '[' {
		var attrs []pirAttr
		if err := json.Unmarshal(o.A, &attrs); err == nil {
			for _, a := range attrs {
				if v, ok := pirAttrValue(a.AT.Kind, a.AT.D); ok {
					po.attrs[a.N] = v
				}
			}
		}
	}
	return po, nil
}

// pirAttrValue decodes an attribute into the attr() vocabulary.
func pirAttrValue(kind string, d json.RawMessage) (any, bool) {
	switch kind {
	case "0.a_i32", "0.a_i64":
		var v int64
		return v, json.Unmarshal(d, &v) == nil
	case "0.a_f32", "0.a_f64":
		var v float64
		return v, json.Unmarshal(d, &v) == nil
	case "0.a_bool":
		var v bool
		return v, json.Unmarshal(d, &v) == nil
	case "0.a_str", "1.a_dtype":
		var v string
		return v, json.Unmarshal(d, &v) == nil
	case "1.a_intarray":
		var v []int64
		return v, json.Unmarshal(d, &v) == nil
	case "0.a_array":
		var elems []struct {
			Kind string          `json:"#"`
			D    json.RawMessage `json:"D"`
		}
		if json.Unmarshal(d, &elems) != nil {
			return nil, false
		}
		ints := []int64{}
		var floats []float64
		for _, e := range elems {
			v, ok := pirAttrValue(e.Kind, e.D)
			if !ok {
				return nil, false
			}
			switch x := v.(type) {
			case int64:
				ints = append(ints, x)
				floats = append(floats, float64(x))
			case float64:
				floats = append(floats, x)
			case bool:
				b := int64(0)
				if x {
					b = 1
				}
				ints = append(ints, b)
			default:
				return nil, false
			}
		}
		if len(floats) > len(ints) {
			return floats, true
		}
		return ints, true
	}
	return nil, false
}

var pirDTypes = map[string]runtime.DType{
	"0.t_f32": runtime.Float32, "0.t_f64": runtime.Float64, "0.t_f16": runtime.Float16, "0.t_bf16": runtime.BFloat16,
	"0.t_i8": runtime.Int8, "0.t_ui8": runtime.Uint8, "0.t_i16": runtime.Int16, "0.t_i32": runtime.Int32,
	"0.t_i64": runtime.Int64, "0.t_bool": runtime.Bool,
}

// pirType decodes {"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[dims],...]}.
func pirType(raw json.RawMessage) ir.Type {
	var tt struct {
		Kind string            `json:"#"`
		D    []json.RawMessage `json:"D"`
	}
	if json.Unmarshal(raw, &tt) != nil || tt.Kind != "0.t_dtensor" || len(tt.D) < 2 {
		return ir.Type{}
	}
	var elem struct {
		Kind string `json:"#"`
	}
	var dims []int64
	if json.Unmarshal(tt.D[0], &elem) != nil || json.Unmarshal(tt.D[1], &dims) != nil {
		return ir.Type{}
	}
	out := make([]ir.Dim, len(dims))
	for i, d := range dims {
		if d >= 0 {
			out[i] = ir.Static(d)
		} else {
			out[i] = ir.Unknown()
		}
	}
	return ir.TensorType(pirDTypes[elem.Kind], out...)
}

func (o *pirOp) kind() string  { return o.name }
func (o *pirOp) label() string { return strings.TrimPrefix(o.name, "1.") }

func (o *pirOp) in(_ string, pos int) *ir.Value {
	if pos < 0 || pos >= len(o.ins) {
		return nil
	}
	return o.st.vals[o.ins[pos].ID]
}

func (o *pirOp) list(_ string, pos int) []*ir.Value {
	if pos < 0 || pos >= len(o.ins) {
		return nil
	}
	if l, ok := o.st.lists[o.ins[pos].ID]; ok {
		return l
	}
	if v := o.st.vals[o.ins[pos].ID]; v != nil {
		return []*ir.Value{v}
	}
	return nil
}

func (o *pirOp) out(_ string, pos int, v *ir.Value) {
	if len(o.outs) == 1 && isVector(o.outs[0].TT) {
		id := o.outs[0].ID
		for len(o.st.lists[id]) <= pos {
			o.st.lists[id] = append(o.st.lists[id], nil)
		}
		o.st.lists[id][pos] = v
		return
	}
	if pos < len(o.outs) {
		o.st.vals[o.outs[pos].ID] = v
		declare(v, pirType(o.outs[pos].TT))
	}
}

func isVector(raw json.RawMessage) bool {
	return strings.Contains(string(raw[:min(len(raw), 24)]), "0.t_vec")
}

func (o *pirOp) outType(_ string, pos int) (ir.Type, bool) {
	if pos < len(o.outs) {
		t := pirType(o.outs[pos].TT)
		return t, t.DType != 0
	}
	return ir.Type{}, false
}

func (o *pirOp) attr(name string) (any, bool) {
	v, ok := o.attrs[name]
	return v, ok
}

// missing is an input id that no earlier op defined, or 0 (which also marks an absent optional
// input).
func (o *pirOp) missing() int {
	for _, in := range o.ins {
		if in.ID == 0 {
			continue
		}
		if o.st.vals[in.ID] == nil && o.st.lists[in.ID] == nil {
			return in.ID
		}
	}
	return 0
}

// outNames lists the op's results for errors: %1, %2.
func (o *pirOp) outNames() string {
	names := make([]string, len(o.outs))
	for i, v := range o.outs {
		names[i] = fmt.Sprintf("%%%d", v.ID)
	}
	return strings.Join(names, ", ")
}

func (o *pirOp) usesAny(ids map[int]bool) bool {
	for _, in := range o.ins {
		if ids[in.ID] {
			return true
		}
	}
	return false
}

package ops

import (
	"strconv"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// onnxc.ShapeValue is an integer vector (or scalar) of dims computed from its inputs' dims
// (runtime.ShapeValue); passes/shape_values.go makes it from what data propagation knows.
// Attributes: "dtype", "scalar", "steps" (op, n, input, axis per runtime.DimStep) and
// "elems", the elements' dim names, which give the output its Elems again.
func init() {
	Register(&Def{Op: "ShapeValue", Domain: FusedDomain, MinIn: 0, MaxIn: -1, MinOut: 1, MaxOut: 1,
		Doc: "integer vector of dims computed from the inputs' dims (made from shape arithmetic)",
		Infer: func(n *ir.Node) error {
			dt := runtime.DType(n.GetInt("dtype", int64(runtime.Int64)))
			if dt != runtime.Int64 && dt != runtime.Int32 {
				return Errorf(n, "element type %s", dt)
			}
			if n.GetInt("scalar", 0) != 0 {
				SetOut(n, 0, ir.StaticType(dt))
			} else {
				SetOut(n, 0, ir.StaticType(dt, len(n.GetStrings("elems", nil))))
			}
			return nil
		},
		Elems: func(n *ir.Node) []ir.Dim {
			names := n.GetStrings("elems", nil)
			dims := make([]ir.Dim, len(names))
			for i, s := range names {
				if v, err := strconv.ParseInt(s, 10, 64); err == nil {
					dims[i] = ir.Dim{N: v}
				} else {
					dims[i] = ir.Symbol(s)
				}
			}
			return dims
		},
		Lower: func(n *ir.Node) (Call, error) {
			steps := n.GetInts("steps", nil)
			if len(steps)%4 != 0 {
				return Call{}, Errorf(n, "malformed program: %d step ints", len(steps))
			}
			p := &runtime.ShapeValueParams{DType: runtime.DType(n.GetInt("dtype", int64(runtime.Int64))), Scalar: n.GetInt("scalar", 0) != 0}
			for k := 0; k < len(steps); k += 4 {
				op := runtime.DimOp(steps[k])
				if op >= runtime.DimOpCount {
					return Call{}, Errorf(n, "unknown dim op %d", steps[k])
				}
				p.Steps = append(p.Steps, runtime.DimStep{Op: op, N: steps[k+1], In: int(steps[k+2]), Axis: int(steps[k+3])})
			}
			return K(lowered.ShapeValue, p), nil
		}})
}

// DimRef says where a symbol can be read at run time: dim Axis of value V.
type DimRef struct {
	V    *ir.Value
	Axis int
}

// ShapeValueNode turns n, whose output's elements data propagation knows (ir.Value.Elems),
// into an onnxc.ShapeValue that computes them from the dims in syms, in place; it reports
// false, changing nothing, when an element names a dim that is not an expression of syms.
func ShapeValueNode(n *ir.Node, syms map[string]DimRef) bool {
	o := n.Outputs[0]
	b := dimProgram{syms: syms, in: map[*ir.Value]int{}}
	names := make([]string, len(o.Elems))
	for i, e := range o.Elems {
		if e.Sym == "" {
			b.step(runtime.DimConst, e.N, 0, 0)
			names[i] = strconv.FormatInt(e.N, 10)
		} else if !b.expr(e.Sym) {
			return false
		} else {
			names[i] = e.Sym
		}
		b.step(runtime.DimEnd, 0, 0, 0)
	}
	scalar := int64(0)
	if o.Type.Rank() == 0 {
		scalar = 1
	}
	n.SetOp("ShapeValue", FusedDomain)
	n.Inputs = b.inputs
	n.Attrs = nil
	n.SetAttrs(ir.Int("dtype", int64(o.Type.DType)), ir.Int("scalar", scalar), ir.Ints("steps", b.steps...), ir.Strings("elems", names...))
	return true
}

// dimProgram builds a postfix program from dim names (see symdim.go for how they are made).
type dimProgram struct {
	syms   map[string]DimRef
	in     map[*ir.Value]int
	inputs []*ir.Value
	steps  []int64
}

func (b *dimProgram) step(op runtime.DimOp, n int64, in, axis int) {
	b.steps = append(b.steps, int64(op), n, int64(in), int64(axis))
}

// expr emits s: a symbol of syms, a number, or "(A op B)" with op one of + - * / (floor).
// Names may contain operator characters, so each split is tried until both sides parse.
func (b *dimProgram) expr(s string) bool {
	if r, ok := b.syms[s]; ok {
		k, seen := b.in[r.V]
		if !seen {
			k = len(b.inputs)
			b.in[r.V] = k
			b.inputs = append(b.inputs, r.V)
		}
		b.step(runtime.DimOf, 0, k, r.Axis)
		return true
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		b.step(runtime.DimConst, v, 0, 0)
		return true
	}
	if len(s) < 5 || !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return false
	}
	inner := s[1 : len(s)-1]
	depth := 0
	for i := len(inner) - 2; i > 0; i-- {
		switch c := inner[i+1]; c {
		case ')':
			depth++
		case '(':
			depth--
		}
		op, ok := dimOps[inner[i]]
		if !ok || depth != 0 {
			continue
		}
		mark, inputs := len(b.steps), len(b.inputs)
		if b.expr(inner[:i]) && b.expr(inner[i+1:]) {
			b.step(op, 0, 0, 0)
			return true
		}
		b.steps = b.steps[:mark]
		for _, v := range b.inputs[inputs:] {
			delete(b.in, v)
		}
		b.inputs = b.inputs[:inputs]
	}
	return false
}

var dimOps = map[byte]runtime.DimOp{'+': runtime.DimAdd, '-': runtime.DimSub, '*': runtime.DimMul, '/': runtime.DimFloorDiv}

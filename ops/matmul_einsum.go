package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

func init() {
	Register(&Def{
		Op: "Einsum", MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
		Doc:   "Einstein summation over the operands' labeled dims",
		Infer: inferEinsum,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.Einsum, &runtime.EinsumParams{Equation: n.GetString("equation", "")}), nil
		},
	})
}

func inferEinsum(n *ir.Node) error {
	if !n.Has("equation") {
		return Errorf(n, "equation is required")
	}
	eq := n.GetString("equation", "")
	dt := InType(n, 0).DType
	ranks := make([]int, len(n.Inputs))
	known := true
	for i := range n.Inputs {
		t := InType(n, i)
		if t.DType != runtime.Undefined && dt != runtime.Undefined && t.DType != dt {
			return Errorf(n, "operand types %s and %s differ", dt, t.DType)
		}
		if !t.RankKnown {
			known = false
			continue
		}
		ranks[i] = len(t.Shape)
	}
	if dt == runtime.Bool || dt == runtime.String {
		return Errorf(n, "%s operands are not supported", dt)
	}
	if !known {
		SetOut(n, 0, ir.Type{DType: dt})
		return nil
	}
	ins, out, nl, err := runtime.EinsumTerms(eq, ranks)
	if err != nil {
		return Errorf(n, "%v", err)
	}
	// A label's size: the static size any operand gives it (ellipsis dims broadcast, so a 1
	// yields to a larger size).
	size := make([]ir.Dim, nl)
	set := make([]bool, nl)
	for i, l := range ins {
		for d, v := range l {
			s := InType(n, i).Shape[d]
			switch {
			case !set[v]:
				size[v], set[v] = s, true
			case s.IsStatic() && size[v].IsStatic() && s.N != size[v].N:
				if v < 52 || (s.N != 1 && size[v].N != 1) {
					return Errorf(n, "label sizes %d and %d differ", size[v].N, s.N)
				}
				if size[v].N == 1 {
					size[v] = s
				}
			case s.IsStatic() && !size[v].IsStatic() && (v < 52 || s.N != 1):
				size[v] = s
			}
		}
	}
	dims := make([]ir.Dim, len(out))
	for i, v := range out {
		dims[i] = size[v]
	}
	SetOut(n, 0, ir.TensorType(dt, dims...))
	return nil
}

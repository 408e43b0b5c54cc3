package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Cast and CastLike: one kernel for every pair of element types, the float8, float4, int4 and
// int2 types included. saturate (default 1) applies to float8 targets and round_mode (default
// "up") to float8e8m0 targets.

func init() {
	Register(&Def{
		Op: "Cast", Elems: elemsSame, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "elements converted to the type `to`",
		Infer: func(n *ir.Node) error {
			a, ok := n.Attr("to")
			if !ok || a.Kind != ir.AttrInt {
				return Errorf(n, "needs the int attribute \"to\"")
			}
			if a.Int <= 0 || a.Int > 255 {
				return Errorf(n, "to=%d is not an element type", a.Int)
			}
			return inferCast(n, runtime.DType(a.Int))
		},
		Lower: func(n *ir.Node) (Call, error) {
			return castCall(n, runtime.DType(n.GetInt("to", 0)))
		},
	})
	Register(&Def{
		Op: "CastLike", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc:   "elements converted to the second input's type",
		Infer: func(n *ir.Node) error { return inferCast(n, InType(n, 1).DType) },
		Lower: func(n *ir.Node) (Call, error) {
			to := InType(n, 1).DType
			if !to.Valid() {
				return Call{}, Errorf(n, "target type %s is not known or not supported", ewTypeName(to))
			}
			return castCall(n, to)
		},
	})
}

// castRound maps Cast's round_mode attribute onto runtime.E8M0Round.
var castRound = map[string]runtime.E8M0Round{
	"up": runtime.E8M0Up, "down": runtime.E8M0Down, "nearest": runtime.E8M0Nearest,
}

func castRoundOK(mode string) bool { _, ok := castRound[mode]; return ok }

func castCall(n *ir.Node, to runtime.DType) (Call, error) {
	mode := n.GetString("round_mode", "up")
	r, ok := castRound[mode]
	if !ok {
		return Call{}, Errorf(n, "round_mode %q is not up, down or nearest", mode)
	}
	return K(lowered.Cast, &runtime.CastParams{To: to, NoSaturate: n.GetInt("saturate", 1) == 0, Round: r}), nil
}

// castTypes are the types Cast converts between: all the runtime holds.
var castTypes = ewAny | ewNarrow

func inferCast(n *ir.Node, to runtime.DType) error {
	t := InType(n, 0)
	if err := ewCheckType(n, "input", t.DType, castTypes); err != nil {
		return err
	}
	if err := ewCheckType(n, "target", to, castTypes); err != nil {
		return err
	}
	if mode := n.GetString("round_mode", "up"); !castRoundOK(mode) {
		return Errorf(n, "round_mode %q is not up, down or nearest", mode)
	}
	t.DType = to
	SetOut(n, 0, t)
	return nil
}

// ewTypeName names an element type in errors (runtime.DType names every ONNX type it holds,
// and complex64 and complex128, which it does not).
func ewTypeName(dt runtime.DType) string { return dt.String() }

package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Cast and CastLike. The ONNX element types that runtime.DType lacks (float8, int4, ...) are
// rejected at inference with their ONNX names; the frontend passes their numbers through.

func init() {
	Register(&Def{
		Op: "Cast", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
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
			return K(runtime.Cast, &runtime.CastParams{To: runtime.DType(n.GetInt("to", 0))}), nil
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
			return K(runtime.Cast, &runtime.CastParams{To: to}), nil
		},
	})
}

func inferCast(n *ir.Node, to runtime.DType) error {
	t := InType(n, 0)
	if err := ewCheckType(n, "input", t.DType, ewAny); err != nil {
		return err
	}
	if err := ewCheckType(n, "target", to, ewAny); err != nil {
		return err
	}
	t.DType = to
	SetOut(n, 0, t)
	return nil
}

// ewOnnxTypes names the ONNX element types past bfloat16, which runtime.DType does not have.
var ewOnnxTypes = map[runtime.DType]string{
	17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
	21: "uint4", 22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
}

// ewTypeName names an element type, ONNX-only ones included.
func ewTypeName(dt runtime.DType) string {
	if s, ok := ewOnnxTypes[dt]; ok {
		return s
	}
	return dt.String()
}

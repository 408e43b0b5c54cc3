package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Binarizer and ArrayFeatureExtractor (ai.onnx.ml, version 1).

func init() {
	Register(&Def{
		Op: "Binarizer", Domain: exMLDomain, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "1 where the input is above a threshold, else 0 (ai.onnx.ml)",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			switch t.DType {
			case runtime.Undefined, runtime.Float32, runtime.Float64, runtime.Int64, runtime.Int32:
			default:
				return Errorf(n, "input of %s, want float, double, int64 or int32", t.DType)
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.Binarizer, &runtime.BinarizerParams{Threshold: n.GetFloat("threshold", 0)}), nil
		},
	})
	Register(&Def{
		Op: "ArrayFeatureExtractor", Domain: exMLDomain, MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc: "select elements along the last axis by index (ai.onnx.ml)",
		Infer: func(n *ir.Node) error {
			x, y := InType(n, 0), InType(n, 1)
			if y.DType != runtime.Undefined && y.DType != runtime.Int64 {
				return Errorf(n, "indices of %s, want int64", y.DType)
			}
			out := ir.Type{DType: x.DType}
			if x.RankKnown && y.RankKnown {
				// The indices are read flat: their count is the product of their dims.
				k := ir.Static(1)
				for _, d := range y.Shape {
					if !d.IsStatic() || !k.IsStatic() {
						k = ir.Unknown()
						break
					}
					k = ir.Static(k.N * d.N)
				}
				if len(x.Shape) == 0 {
					return Errorf(n, "the input is a scalar")
				}
				lead := x.Shape[:len(x.Shape)-1]
				if len(lead) == 0 {
					lead = []ir.Dim{ir.Static(1)}
				}
				out.RankKnown = true
				out.Shape = append(append([]ir.Dim{}, lead...), k)
			}
			SetOut(n, 0, out)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.ArrayFeatureExtractor, &struct{}{}), nil
		},
	})
}

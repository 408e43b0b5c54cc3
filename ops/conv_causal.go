package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

func init() {
	Register(&Def{
		Op: "CausalConvWithState", MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 2,
		Doc: "causal depthwise 1-D convolution carrying the last kernel-1 positions as state",
		Infer: func(n *ir.Node) error {
			xt, wt := InType(n, 0), InType(n, 1)
			switch xt.DType {
			case runtime.Undefined, runtime.Float32, runtime.Float16, runtime.BFloat16:
			default:
				return Errorf(n, "input type %s, want float32, float16 or bfloat16", xt.DType)
			}
			switch a := n.GetString("activation", "none"); a {
			case "none", "silu", "swish":
			default:
				return Errorf(n, "activation %q, want none, silu or swish", a)
			}
			if xt.RankKnown && len(xt.Shape) != 3 {
				return Errorf(n, "input %v, want (batch, channels, length)", xt)
			}
			SetOut(n, 0, xt)
			st := ir.Type{DType: xt.DType}
			if xt.RankKnown {
				k := ir.Unknown()
				if wt.RankKnown && len(wt.Shape) == 3 && wt.Shape[2].IsStatic() {
					k = ir.Static(wt.Shape[2].N - 1)
				}
				st = ir.TensorType(xt.DType, xt.Shape[0], xt.Shape[1], k)
			}
			SetOut(n, 1, st)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.CausalConvWithState, &runtime.CausalConvParams{Activation: n.GetString("activation", "none")}), nil
		},
	})
}

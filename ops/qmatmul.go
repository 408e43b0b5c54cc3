package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// onnxc.DynQuantMatMul is a dynamically quantized matrix product (passes/quantize.go makes
// it, from float32 MatMul and Gemm by constant weights and from onnxruntime's
// DynamicQuantizeLinear + MatMulInteger chains): inputs A (float32 [..., K]), B (int8 [K, N],
// symmetric), B's scale (float32, one value or [N]) and an optional bias [N]; attributes
// "activation" (a runtime.Act) with "act_alpha" and "act_beta", and "x_scale" and
// "x_zero_point" for an activation quantization fixed at compile time (see DynQuantConv), and
// "w_offset" (1 or N ints added to B: uint8 weights with a zero point, stored shifted). B is
// prepacked for the u8 x s8 kernels.
func init() {
	Register(&Def{Op: "DynQuantMatMul", Domain: FusedDomain, MinIn: 3, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc: "float32 matmul by int8 weights, A quantized per run (made by the quantize pass)",
		Infer: func(n *ir.Node) error {
			a, b := InType(n, 0), InType(n, 1)
			if a.DType != runtime.Undefined && a.DType != runtime.Float32 {
				return Errorf(n, "A is %s, want float32", a.DType)
			}
			if b.DType != runtime.Int8 || !b.RankKnown || len(b.Shape) != 2 {
				return Errorf(n, "B is %v, want an int8 matrix", b)
			}
			if !a.RankKnown {
				SetOut(n, 0, ir.Type{DType: runtime.Float32})
				return nil
			}
			if len(a.Shape) == 0 {
				return Errorf(n, "A is a scalar")
			}
			if k := a.Shape[len(a.Shape)-1]; k.IsStatic() && b.Shape[0].IsStatic() && k.N != b.Shape[0].N {
				return Errorf(n, "inner dims of %v and %v differ", a, b)
			}
			dims := append(append([]ir.Dim(nil), a.Shape[:len(a.Shape)-1]...), b.Shape[1])
			SetOut(n, 0, ir.TensorType(runtime.Float32, dims...))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			b := n.Input(1)
			if b.Const == nil || len(b.Const.Shape) != 2 {
				return Call{}, Errorf(n, "B is not a constant matrix")
			}
			k, nn := b.Const.Shape[0], b.Const.Shape[1]
			off, err := weightOffsets(n, nn)
			if err != nil {
				return Call{}, err
			}
			c := K(lowered.DynQuantMatMul, &runtime.DynQuantMatMulParams{K: k, N: nn,
				Activation: runtime.Act(n.GetInt("activation", 0)),
				ActAlpha:   float32(n.GetFloat("act_alpha", 0)), ActBeta: float32(n.GetFloat("act_beta", 0)), X: staticQuant(n), WOffset: off, PerRow: n.GetInt("x_per_row", 0) != 0})
			c.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackQGemmB, Groups: 1, K: k, N: nn}}
			return c, nil
		}})
}

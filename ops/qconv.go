package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// onnxc.DynQuantConv is a dynamically quantized convolution in one group (passes/quantize.go
// makes it, from float32 Conv and FusedConv by constant weights and from onnxruntime's
// DynamicQuantizeLinear + ConvInteger chains): inputs X (float32 N x C x spatial), W (int8
// [M, C, kernel...], symmetric), W's scale (float32, one value or [M]), the bias [M] and an
// optional summand Z of the output's shape; Conv's window attributes, "activation" (a
// runtime.Act) with "act_alpha" and "act_beta", and "w_offset" (1 or M ints, added to W to give
// the true weights: uint8 weights with a zero point, stored shifted). W is prepacked for the u8 x s8 kernels as
// the B operand of the im2col product (output channels as columns). With "x_scale" and
// "x_zero_point" (uint8; z+128 for an int8 activation), X is quantized with them, as a QDQ
// model's QuantizeLinear fixes (passes/quantize_qdq.go), instead of per run.
func init() {
	Register(&Def{Op: "DynQuantConv", Domain: FusedDomain, MinIn: 4, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Doc: "float32 convolution by int8 weights, X quantized per run (made by the quantize pass)",
		Infer: func(n *ir.Node) error {
			if a := InType(n, 0); a.DType != runtime.Undefined && a.DType != runtime.Float32 {
				return Errorf(n, "X is %s, want float32", a.DType)
			}
			if w := InType(n, 1); w.DType != runtime.Int8 {
				return Errorf(n, "W is %v, want int8", w)
			}
			if n.GetInt("group", 1) != 1 {
				return Errorf(n, "group %d, want 1", n.GetInt("group", 1))
			}
			return inferConv(n, 0, 1, runtime.Float32)
		},
		Lower: func(n *ir.Node) (Call, error) {
			w := n.Input(1)
			if w.Const == nil || len(w.Const.Shape) < 3 {
				return Call{}, Errorf(n, "W is not a constant convolution kernel")
			}
			p, err := lowerConvParams(n, 0, 1)
			if err != nil {
				return Call{}, err
			}
			p.Activation = runtime.Act(n.GetInt("activation", 0))
			p.ActAlpha, p.ActBeta = float32(n.GetFloat("act_alpha", 0)), float32(n.GetFloat("act_beta", 0))
			m := w.Const.Shape[0]
			k := w.Const.Len() / m
			off, err := weightOffsets(n, m)
			if err != nil {
				return Call{}, err
			}
			c := K(lowered.DynQuantConv, &runtime.DynQuantConvParams{ConvParams: *p, K: k, M: m, WOffset: off, X: staticQuant(n), PerRow: n.GetInt("x_per_row", 0) != 0})
			c.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackQGemmB, Groups: 1, K: k, N: m, Trans: true}}
			return c, nil
		}})
}

// staticQuant is a node's activation quantization fixed at compile time, if it has one.
func staticQuant(n *ir.Node) runtime.QuantStatic {
	if _, ok := n.Attr("x_scale"); !ok {
		return runtime.QuantStatic{}
	}
	return runtime.QuantStatic{On: true, Scale: float32(n.GetFloat("x_scale", 1)), Zero: int32(n.GetInt("x_zero_point", 0))}
}

// weightOffsets reads a quantized kernel's "w_offset" attribute: none, one, or one per each of
// the cols output columns (channels).
func weightOffsets(n *ir.Node, cols int) ([]int32, error) {
	var off []int32
	for _, v := range n.GetInts("w_offset", nil) {
		off = append(off, int32(v))
	}
	if len(off) > 1 && len(off) != cols {
		return nil, Errorf(n, "%d weight offsets for %d output columns", len(off), cols)
	}
	return off, nil
}

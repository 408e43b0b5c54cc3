package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// convWindowAttrs are the Conv attributes DynQuantConv keeps.
var convWindowAttrs = []string{"auto_pad", "dilations", "kernel_shape", "pads", "strides", "group"}

// conv quantizes a float32 Conv or FusedConv by constant weights in one group into
// onnxc.DynQuantConv: the weights per tensor or per output channel, as QuantizeWeights does for
// a matrix whose columns are the output channels. Grouped (depthwise) convolutions stay float32:
// onnxruntime's quantizer would take them, but the im2col product has nothing to gain at a few
// channels per group, and the float32 depthwise kernel is faster than any int8 one would be.
func (q *quantizer) conv(n *ir.Node) {
	const op = "Conv"
	if why := q.skip(n, op); why != "" {
		q.remark(n, op, false, why)
		return
	}
	if why := q.convSkip(n); why != "" {
		q.remark(n, op, false, why)
		return
	}
	w := n.Inputs[1].Const
	m := w.Shape[0]
	k := w.Len() / m
	wq, scale, off := q.opt.weights(runtime.Data[float32](w), k, m, true)
	bias := make([]float32, m)
	if b := n.Input(2); b != nil {
		bias = biasVector(b, m, 1)
	}
	var attrs []ir.Attr
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	for _, name := range convWindowAttrs {
		if a, ok := n.Attr(name); ok {
			attrs = append(attrs, a)
		}
	}
	perRow := q.opt.PerRow && pointwise(n, w.Shape)
	if perRow {
		attrs = append(attrs, ir.Int("x_per_row", 1))
	}
	if qualOp(n) == msFusedConv {
		if name := n.GetString("activation", ""); name != "" {
			var params []float32
			for _, v := range n.GetFloats("activation_params", nil) {
				params = append(params, float32(v))
			}
			a, alpha, beta, _ := runtime.ActivationOf(name, params)
			attrs = append(attrs, ir.Int("activation", int64(a)), ir.Float("act_alpha", float64(alpha)), ir.Float("act_beta", float64(beta)))
		}
	}
	q.becomeConv(n, wq, w.Shape, scale, bias, attrs)
	q.remark(n, op, true, q.opt.describe(perRow))
}

// pointwise says Conv n by a kernel of shape wshape reads one input pixel per output pixel:
// a 1x1 window, unit strides, no padding.
func pointwise(n *ir.Node, wshape []int) bool {
	for _, d := range wshape[2:] {
		if d != 1 {
			return false
		}
	}
	for _, s := range n.GetInts("strides", nil) {
		if s != 1 {
			return false
		}
	}
	for _, p := range n.GetInts("pads", nil) {
		if p != 0 {
			return false
		}
	}
	return true
}

// convSkip says why Conv or FusedConv n stays float32 ("" to quantize it).
func (q *quantizer) convSkip(n *ir.Node) string {
	x, w := n.Input(0), n.Input(1)
	switch {
	case !isF32(x) || x.Type.Rank() < 3:
		return "X is not a float32 image"
	case w == nil || w.Const == nil || w.Const.DType != runtime.Float32 || len(w.Const.Shape) < 3 || w.Const.Len() == 0:
		return "W is not a constant float32 kernel"
	case n.GetInt("group", 1) != 1:
		return "grouped (depthwise) convolution: the float32 kernel is faster"
	case len(n.Outputs) != 1 || !isF32(n.Outputs[0]):
		return "output is not float32"
	case n.Input(2) != nil && biasVector(n.Input(2), w.Const.Shape[0], 1) == nil:
		return "bias is not a constant vector over the output channels"
	}
	if z := n.Input(3); z != nil && (!isF32(z) || !sameShape(z.Type, n.Outputs[0].Type)) {
		return "Z does not have the output's shape"
	}
	if qualOp(n) == msFusedConv {
		if _, _, _, err := runtime.ActivationOf(n.GetString("activation", ""), nil); err != nil {
			return err.Error()
		}
	}
	return ""
}

// becomeConv makes n a DynQuantConv by the k x m int8 matrix wq (depth-major, output channels
// as columns), stored as a kernel of shape wshape, with its scales and bias; FusedConv's
// summand Z stays its summand.
func (q *quantizer) becomeConv(n *ir.Node, wq []int8, wshape []int, scale, bias []float32, attrs []ir.Attr) {
	m := wshape[0]
	k := len(wq) / m
	wt := runtime.New(runtime.Int8, wshape...)
	d := runtime.Data[int8](wt)
	for p := 0; p < k; p++ {
		for j := 0; j < m; j++ {
			d[j*k+p] = wq[p*m+j]
		}
	}
	ins := []*ir.Value{n.Inputs[0], q.g.AddConst(n.Name+" (int8)", wt),
		q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(scale)}, scale)),
		q.g.AddConst(n.Name+" (bias)", runtime.FromFloat32([]int{m}, bias))}
	if z := n.Input(3); z != nil && qualOp(n) == msFusedConv {
		ins = append(ins, z)
	}
	q.become(n, n.Name, "DynQuantConv", ins, attrs)
}

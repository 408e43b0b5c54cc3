package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// chain compiles a pre-quantized chain ending at MatMulInteger n (see quantize.go) into
// onnxc.DynQuantMatMul, rewriting its last node in place; the chain's other nodes are left
// without uses for dce. The kernel computes what the chain does, in the same order: the int32
// product less the zero-point terms, converted to float32, times the float32 product of the
// two scales, plus the bias (in one rounding where the kernel fuses the multiply and add).
func (q *quantizer) chain(n *ir.Node) {
	if qualOp(n) != "MatMulInteger" || len(n.Inputs) < 3 {
		return
	}
	y, w := n.Inputs[0], n.Inputs[1]
	d := y.Def
	if d == nil || qualOp(d) != "DynamicQuantizeLinear" || d.Outputs[0] != y || n.Inputs[2] != d.Outputs[2] || !isF32(d.Inputs[0]) {
		return
	}
	if w.Const == nil || len(w.Const.Shape) != 2 || w.Const.Len() == 0 {
		return
	}
	k, nn := w.Const.Shape[0], w.Const.Shape[1]
	// uint8 weights whose zero point takes them out of int8's range (asymmetric QUInt8) are
	// stored shifted, with their offsets.
	wq, off, ok := shiftedBy(w.Const, n.Input(3), nn, func(i int) int { return i % nn })
	if !ok {
		return
	}
	cast := q.soleUser(n.Outputs[0], "Cast")
	if cast == nil || runtime.DType(cast.GetInt("to", 0)) != runtime.Float32 {
		return
	}
	mul := q.soleUser(cast.Outputs[0], "Mul")
	if mul == nil || len(mul.Inputs) != 2 {
		return
	}
	s := mul.Inputs[0]
	if s == cast.Outputs[0] {
		s = mul.Inputs[1]
	}
	ws := scalesOf(s, d.Outputs[1], nn, 1)
	if ws == nil || !sameShape(mul.Outputs[0].Type, cast.Outputs[0].Type) {
		return
	}
	last := mul
	var bias []float32
	if add, bv := q.biasAdd(mul.Outputs[0], nn); add != nil {
		last, bias = add, bv
	}
	ins := []*ir.Value{d.Inputs[0], q.g.AddConst(n.Name+" (int8)", int8Tensor(wq, k, nn)), q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(ws)}, ws))}
	if bias != nil {
		ins = append(ins, q.g.AddConst(n.Name+" (bias)", runtime.FromFloat32([]int{nn}, bias)))
	}
	var attrs []ir.Attr
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	q.become(last, n.Name, "DynQuantMatMul", ins, attrs)
	if q.opt != nil {
		q.remark(n, "MatMulInteger", true, "pre-quantized DynamicQuantizeLinear/MatMulInteger chain")
	}
}

// soleUser returns v's one use when it is a node of op in the current graph.
func (q *quantizer) soleUser(v *ir.Value, op string) *ir.Node {
	us := q.uses.Of(v)
	if len(us) != 1 || us[0].Node == nil || us[0].Node.Graph != q.g || qualOp(us[0].Node) != op {
		return nil
	}
	return us[0].Node
}

// scalesOf returns B's scales (1 or n values) when s is Mul(yScale, W_scale) (either order)
// of a constant float32 W_scale of rank at most maxRank.
func scalesOf(s, yScale *ir.Value, n, maxRank int) []float32 {
	p := s.Def
	if p == nil || qualOp(p) != "Mul" || len(p.Inputs) != 2 {
		return nil
	}
	c := p.Inputs[1]
	if p.Inputs[1] == yScale {
		c = p.Inputs[0]
	} else if p.Inputs[0] != yScale {
		return nil
	}
	if c.Const == nil || c.Const.DType != runtime.Float32 || (c.Const.Len() != 1 && c.Const.Len() != n) || c.Type.Rank() > maxRank {
		return nil
	}
	return append([]float32(nil), runtime.Data[float32](c.Const)...)
}

// overChannels says whether the weight scale among the two inputs of Mul(y_scale, W_scale) (the
// one that is not yScale) broadcasts over the channel axis (1) of a rank-r output: one value, or
// m values shaped [m, 1, ...] or [1, m, 1, ...]. Per-channel scales of shape [m] would scale
// the last axis instead, which the fused kernel does not do.
func overChannels(ins []*ir.Value, yScale *ir.Value, r, m int) bool {
	c := ins[0]
	if c == yScale {
		c = ins[1]
	}
	if c.Const.Len() == 1 {
		return true
	}
	s := c.Const.Shape
	if len(s) > r {
		return false
	}
	for i, dim := range s {
		axis := r - len(s) + i
		if (axis == 1 && dim != m) || (axis != 1 && dim != 1) {
			return false
		}
	}
	return true
}

// convChain compiles a pre-quantized chain ending at ConvInteger n, as onnxruntime's quantizer
// writes it for Conv: X quantized by DynamicQuantizeLinear, the product cast to float32, times
// Mul(X's scale, W's scale), plus the bias (the original Conv's, reshaped to [1, M, 1, ...]),
// into onnxc.DynQuantConv, rewriting the chain's last node in place. uint8 weights whose zero
// point takes them out of int8's range are stored as w-128 with the exact int32 offset 128-z
// (the "w_offset" attribute, see runtime.DynQuantConvParams).
func (q *quantizer) convChain(n *ir.Node) {
	if qualOp(n) != "ConvInteger" || len(n.Inputs) < 3 || n.GetInt("group", 1) != 1 {
		return
	}
	y, w := n.Inputs[0], n.Inputs[1]
	d := y.Def
	if d == nil || qualOp(d) != "DynamicQuantizeLinear" || d.Outputs[0] != y || n.Inputs[2] != d.Outputs[2] || !isF32(d.Inputs[0]) {
		return
	}
	if w.Const == nil || len(w.Const.Shape) < 3 || w.Const.Len() == 0 {
		return
	}
	m := w.Const.Shape[0]
	wq, off, ok := shiftedWeights(w.Const, n.Input(3), m)
	if !ok {
		return
	}
	cast := q.soleUser(n.Outputs[0], "Cast")
	if cast == nil || runtime.DType(cast.GetInt("to", 0)) != runtime.Float32 {
		return
	}
	mul := q.soleUser(cast.Outputs[0], "Mul")
	if mul == nil || len(mul.Inputs) != 2 {
		return
	}
	s := mul.Inputs[0]
	if s == cast.Outputs[0] {
		s = mul.Inputs[1]
	}
	ws := scalesOf(s, d.Outputs[1], m, cast.Outputs[0].Type.Rank())
	if ws == nil || !sameShape(mul.Outputs[0].Type, cast.Outputs[0].Type) || !overChannels(s.Def.Inputs, d.Outputs[1], cast.Outputs[0].Type.Rank(), m) {
		return
	}
	last, bias := mul, make([]float32, m)
	if add, bv := q.channelBiasAdd(mul.Outputs[0], m); add != nil {
		last, bias = add, bv
	}
	q.becomeShiftedConv(last, n, d.Inputs[0], wq, off, w.Const.Shape, ws, bias, nil)
	if q.opt != nil {
		q.remark(n, "ConvInteger", true, "pre-quantized DynamicQuantizeLinear/ConvInteger chain")
	}
}

// becomeShiftedConv makes last a DynQuantConv of x by the int8 weights wq (shape wshape, the
// output channel first; off their offsets, see shiftedWeights) with conv n's window, the
// scales and the bias, and the attributes more.
func (q *quantizer) becomeShiftedConv(last, n *ir.Node, x *ir.Value, wq []int8, off []int64, wshape []int, ws, bias []float32, more []ir.Attr) {
	var attrs []ir.Attr
	for _, name := range convWindowAttrs {
		if a, ok := n.Attr(name); ok {
			attrs = append(attrs, a)
		}
	}
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	wt := runtime.New(runtime.Int8, wshape...)
	copy(runtime.Data[int8](wt), wq)
	ins := []*ir.Value{x, q.g.AddConst(n.Name+" (int8)", wt),
		q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(ws)}, ws)),
		q.g.AddConst(n.Name+" (bias)", runtime.FromFloat32([]int{len(bias)}, bias))}
	q.become(last, n.Name, "DynQuantConv", ins, append(attrs, more...))
}

// shiftedWeights returns int8 weights W' and offsets (nil, 1 or m values, W's layout with the
// output channel first) such that W - zero point = W' + offset exactly: W less its zero point
// when every difference fits in int8 (offsets nil), else W-128 (uint8) or W (int8) with the
// offsets (128 or 0) - zero point.
func shiftedWeights(w *runtime.Tensor, zp *ir.Value, m int) ([]int8, []int64, bool) {
	per := w.Len() / m
	return shiftedBy(w, zp, m, func(i int) int { return i / per })
}

// shiftedBy is shiftedWeights for weights whose element i has zero point channel(i) (of m).
func shiftedBy(w *runtime.Tensor, zp *ir.Value, m int, channel func(i int) int) ([]int8, []int64, bool) {
	if w.DType != runtime.Int8 && w.DType != runtime.Uint8 {
		return nil, nil, false
	}
	var zps []int64
	if zp != nil {
		if zp.Const == nil || zp.Const.DType != w.DType || (zp.Const.Len() != 1 && zp.Const.Len() != m) {
			return nil, nil, false
		}
		zps = ops.TensorInts(zp.Const)
	}
	vals := ops.TensorInts(w)
	zeroAt := func(i int) int64 {
		if zps == nil {
			return 0
		}
		return zps[channel(i)%len(zps)]
	}
	out := make([]int8, len(vals))
	fits := true
	for i, v := range vals {
		v -= zeroAt(i)
		if v < -128 || v > 127 {
			fits = false
			break
		}
		out[i] = int8(v)
	}
	if fits {
		return out, nil, true
	}
	var base int64
	if w.DType == runtime.Uint8 {
		base = 128
	}
	for i, v := range vals {
		out[i] = int8(v - base)
	}
	off := make([]int64, max(1, len(zps)))
	for j := range off {
		off[j] = base
		if zps != nil {
			off[j] -= zps[j]
		}
	}
	return out, off, true
}

// channelBiasAdd finds y's one use, an Add of a constant bias over y's channel axis (axis 1 of
// an N x M x spatial y: one value, [M] for rank-2 y, or [M, 1, ...] / [1, M, 1, ...]) whose
// output has y's shape; it returns that Add and the bias.
func (q *quantizer) channelBiasAdd(y *ir.Value, m int) (*ir.Node, []float32) {
	us := q.uses.Of(y)
	if len(us) != 1 || us[0].Node == nil || us[0].Node.Graph != q.g {
		return nil, nil
	}
	add := us[0].Node
	if qualOp(add) != "Add" || len(add.Inputs) != 2 || !sameShape(add.Outputs[0].Type, y.Type) {
		return nil, nil
	}
	c := add.Inputs[1-us[0].Index]
	r := y.Type.Rank()
	if c == y || c.Const == nil || c.Const.DType != runtime.Float32 || r < 3 || len(c.Const.Shape) > r {
		return nil, nil
	}
	v := runtime.Data[float32](c.Const)
	if len(v) != 1 {
		// Aligned to y's axes from the right, only the channel axis may be other than 1.
		s := c.Const.Shape
		for i, dim := range s {
			axis := r - len(s) + i
			if (axis == 1 && dim != m) || (axis != 1 && dim != 1) {
				return nil, nil
			}
		}
		if len(v) != m {
			return nil, nil
		}
	}
	bias := make([]float32, m)
	for j := range bias {
		bias[j] = v[j%len(v)]
	}
	return add, bias
}

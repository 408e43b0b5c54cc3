package passes

import (
	"slices"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// QDQ compiles the quantized convolutions and matrix products of QDQ models (onnxruntime's
// quantize_static default, and what most quantization toolkits write) into the int8 kernels:
//
//	Conv(DequantizeLinear(QuantizeLinear(x, s, z), s, z), DequantizeLinear(Wq, ws, wz), bias)
//	MatMul(DequantizeLinear(QuantizeLinear(x, s, z), s, z), DequantizeLinear(Bq, bs, bz))
//
// with constant per-tensor s and z, 8-bit constant Wq (per tensor or per output channel) and
// a float32 or DequantizeLinear'd int32 bias, become onnxc.DynQuantConv and DynQuantMatMul
// whose activation quantization is fixed at compile time (x_scale, x_zero_point) instead of
// per run: x is quantized as QuantizeLinear does, bit for bit, the product is exact in int32,
// and only the dequantization (x_scale * w_scale, one multiply) is rounded differently from
// the float32 convolution of the dequantized operands. It runs before fold, which would make
// the weights' DequantizeLinear float32 constants; a chain it does not take stays as it was.
//
// QLinearConv and QLinearMatMul by constant weights (the QOperator form) go the same way, as
// DequantizeLinear -> the int8 kernel -> QuantizeLinear: the kernel quantizes the dequantized
// input back to the same bytes, and the requantization of the output is QuantizeLinear's.
func QDQ(m *ir.Model) error {
	uses := ir.NewUses(m.Graph)
	m.Graph.Walk(func(g *ir.Graph) {
		q := &quantizer{g: g, uses: uses}
		for _, n := range slices.Clone(g.Nodes) {
			switch qualOp(n) {
			case "Conv":
				q.qdqConv(n)
			case "MatMul":
				q.qdqMatMul(n)
			case "QLinearConv":
				q.qlinearConv(n)
			case "QLinearMatMul":
				q.qlinearMatMul(n)
			}
		}
	})
	return nil
}

// scalarConst returns v's one value when v is a constant of one element.
func scalarConst(v *ir.Value) (*runtime.Tensor, bool) {
	if v == nil || v.Const == nil || v.Const.Len() != 1 {
		return nil, false
	}
	return v.Const, true
}

// staticInput matches DequantizeLinear(QuantizeLinear(x, s, z), s, z) of a float32 x with
// constant per-tensor s and 8-bit z: it returns x and the quantization, z as a uint8 zero
// point (z+128 for int8).
func staticInput(v *ir.Value) (*ir.Value, runtime.QuantStatic, bool) {
	dq := v.Def
	if dq == nil || qualOp(dq) != "DequantizeLinear" || len(dq.Inputs) < 2 || dq.Outputs[0] != v || !isF32(v) {
		return nil, runtime.QuantStatic{}, false
	}
	qv := dq.Inputs[0]
	ql := qv.Def
	if ql == nil || qualOp(ql) != "QuantizeLinear" || len(ql.Inputs) < 2 || !isF32(ql.Inputs[0]) || ql.GetInt("saturate", 1) != 1 {
		return nil, runtime.QuantStatic{}, false
	}
	// One quantization: the same scale and zero point (both absent, or equal constants).
	qd, okD := quantOf(qv, dq.Inputs[1], dq.Input(2))
	qq, okQ := quantOf(qv, ql.Inputs[1], ql.Input(2))
	if !okD || !okQ || qd != qq || (dq.Input(2) == nil) != (ql.Input(2) == nil) {
		return nil, runtime.QuantStatic{}, false
	}
	return ql.Inputs[0], qd, true
}

// quantOf is the quantization of the 8-bit tensor q by a constant positive float32 scale and
// an optional constant zero point of q's type, with the zero point as a uint8 one (z+128 for
// int8, whose q+128 is then the uint8 value).
func quantOf(q, scale, zero *ir.Value) (runtime.QuantStatic, bool) {
	s, ok := scalarConst(scale)
	if q == nil || !ok || s.DType != runtime.Float32 || !(runtime.Data[float32](s)[0] > 0) {
		return runtime.QuantStatic{}, false
	}
	dt := q.Type.DType
	if dt != runtime.Uint8 && dt != runtime.Int8 {
		return runtime.QuantStatic{}, false
	}
	z := int64(0)
	if zero != nil {
		zc, ok := scalarConst(zero)
		if !ok || zc.DType != dt {
			return runtime.QuantStatic{}, false
		}
		z = ops.TensorInts(zc)[0]
	}
	if dt == runtime.Int8 {
		z += 128
	}
	return runtime.QuantStatic{On: true, Scale: runtime.Data[float32](s)[0], Zero: int32(z)}, true
}

// quantizedWeights matches DequantizeLinear(Wq, ws, wz) of a constant 8-bit Wq whose scale is
// one value or one per index of axis (the output channels); it returns Wq and the scales.
func quantizedWeights(v *ir.Value, axis int) (*ir.Node, []float32, bool) {
	dq := v.Def
	if dq == nil || qualOp(dq) != "DequantizeLinear" || len(dq.Inputs) < 2 || dq.Outputs[0] != v || !isF32(v) || dq.GetInt("block_size", 0) != 0 {
		return nil, nil, false
	}
	_, ws, ok := constWeights(dq.Inputs[0], dq.Inputs[1], int(dq.GetInt("axis", 1)), axis)
	return dq, ws, ok
}

// constWeights returns the constant 8-bit weights w and their float32 scales s: one, or one per
// index of the weights' axis want, s's axis being axis (negative from the end).
func constWeights(w, s *ir.Value, axis, want int) (*runtime.Tensor, []float32, bool) {
	if w == nil || w.Const == nil || (w.Const.DType != runtime.Int8 && w.Const.DType != runtime.Uint8) || w.Const.Len() == 0 {
		return nil, nil, false
	}
	if s == nil || s.Const == nil || s.Const.DType != runtime.Float32 {
		return nil, nil, false
	}
	if s.Const.Len() != 1 {
		if axis < 0 {
			axis += len(w.Const.Shape)
		}
		if axis != want || want >= len(w.Const.Shape) || len(s.Const.Shape) != 1 || s.Const.Len() != w.Const.Shape[want] {
			return nil, nil, false
		}
	}
	return w.Const, append([]float32(nil), runtime.Data[float32](s.Const)...), true
}

// qdqConv takes a QDQ convolution in one group.
func (q *quantizer) qdqConv(n *ir.Node) {
	if len(n.Inputs) < 2 || n.GetInt("group", 1) != 1 || !isF32(n.Outputs[0]) {
		return
	}
	x, xq, ok := staticInput(n.Inputs[0])
	if !ok || x.Type.Rank() < 3 {
		return
	}
	dq, ws, ok := quantizedWeights(n.Inputs[1], 0)
	if !ok || len(dq.Inputs[0].Const.Shape) < 3 {
		return
	}
	w := dq.Inputs[0].Const
	m := w.Shape[0]
	wq, off, ok := shiftedWeights(w, dq.Input(2), m)
	if !ok {
		return
	}
	bias := make([]float32, m)
	if b := n.Input(2); b != nil {
		if bias = qdqBias(b, m); bias == nil {
			return
		}
	}
	q.becomeShiftedConv(n, n, x, wq, off, w.Shape, ws, bias,
		[]ir.Attr{ir.Float("x_scale", float64(xq.Scale)), ir.Int("x_zero_point", int64(xq.Zero))})
}

// qdqBias returns a convolution's bias [m]: a float32 constant, or DequantizeLinear of an int32
// constant (zero point 0), dequantized as DequantizeLinear does.
func qdqBias(b *ir.Value, m int) []float32 {
	if b.Const != nil {
		return biasVector(b, m, 1)
	}
	dq := b.Def
	if dq == nil || qualOp(dq) != "DequantizeLinear" || len(dq.Inputs) < 2 {
		return nil
	}
	v, s := dq.Inputs[0].Const, dq.Inputs[1].Const
	if v == nil || v.DType != runtime.Int32 || v.Len() != m || s == nil || s.DType != runtime.Float32 || (s.Len() != 1 && s.Len() != m) {
		return nil
	}
	if z := dq.Input(2); z != nil && (z.Const == nil || slices.ContainsFunc(ops.TensorInts(z.Const), func(x int64) bool { return x != 0 })) {
		return nil
	}
	sv := runtime.Data[float32](s)
	out := make([]float32, m)
	for j, x := range runtime.Data[int32](v) {
		out[j] = float32(x) * sv[j%len(sv)]
	}
	return out
}

// qdqMatMul takes a QDQ matrix product by a constant matrix.
func (q *quantizer) qdqMatMul(n *ir.Node) {
	if len(n.Inputs) != 2 || !isF32(n.Outputs[0]) {
		return
	}
	x, xq, ok := staticInput(n.Inputs[0])
	if !ok || x.Type.Rank() == 0 {
		return
	}
	dq, ws, ok := quantizedWeights(n.Inputs[1], 1)
	if !ok || len(dq.Inputs[0].Const.Shape) != 2 {
		return
	}
	w := dq.Inputs[0].Const
	k, nn := w.Shape[0], w.Shape[1]
	wq, off, ok := shiftedBy(w, dq.Input(2), nn, func(i int) int { return i % nn })
	if !ok {
		return
	}
	attrs := []ir.Attr{ir.Float("x_scale", float64(xq.Scale)), ir.Int("x_zero_point", int64(xq.Zero))}
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	ins := []*ir.Value{x, q.g.AddConst(n.Name+" (int8)", int8Tensor(wq, k, nn)), q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(ws)}, ws))}
	q.become(n, n.Name, "DynQuantMatMul", ins, attrs)
}

// requantized rewrites QLinear op n as DequantizeLinear(input 0) -> the int8 kernel (made by
// make, from the dequantized input) -> QuantizeLinear(y_scale, y_zero_point at ys, ys+1): the
// kernel quantizes its input back exactly (the values are the quantized ones), and n becomes
// the QuantizeLinear, keeping its output.
func (q *quantizer) requantized(n *ir.Node, ys int, make func(xf *ir.Value) *ir.Node) {
	x, y := n.Inputs[0], n.Outputs[0]
	dqIns := []*ir.Value{x, n.Inputs[1]}
	if z := n.Input(2); z != nil {
		dqIns = append(dqIns, z)
	}
	dq := q.g.NewNodeBefore(n, "DequantizeLinear", "", n.Name+" (dequantize)", dqIns, 1)
	dq.Outputs[0].Type = x.Type
	dq.Outputs[0].Type.DType = runtime.Float32
	q.uses.AddNode(dq)
	k := make(dq.Outputs[0])
	k.Outputs[0].Type = y.Type
	k.Outputs[0].Type.DType = runtime.Float32
	ins := []*ir.Value{k.Outputs[0], n.Inputs[ys]}
	if z := n.Input(ys + 1); z != nil {
		ins = append(ins, z)
	}
	q.uses.RemoveNode(n)
	n.Inputs = ins
	q.uses.AddNode(n)
	n.SetOp("QuantizeLinear", "")
	n.Attrs = nil
}

// qlinearConv takes QLinearConv in one group by constant weights (onnxruntime's QOperator
// form).
func (q *quantizer) qlinearConv(n *ir.Node) {
	if len(n.Inputs) < 8 || n.GetInt("group", 1) != 1 || n.Input(6) == nil {
		return
	}
	xq, ok := quantOf(n.Inputs[0], n.Input(1), n.Input(2))
	w := n.Input(3)
	if !ok || w == nil || w.Const == nil || len(w.Const.Shape) < 3 || n.Inputs[0].Type.Rank() < 3 {
		return
	}
	m := w.Const.Shape[0]
	wt, ws, ok := constWeights(n.Input(3), n.Input(4), 0, 0) // w_scale per output channel
	if !ok {
		return
	}
	wq, off, ok := shiftedWeights(wt, n.Input(5), m)
	if !ok {
		return
	}
	if s, ok := scalarConst(n.Input(6)); !ok || s.DType != runtime.Float32 {
		return
	}
	bias := make([]float32, m)
	if b := n.Input(8); b != nil {
		if b.Const == nil || b.Const.DType != runtime.Int32 || b.Const.Len() != m {
			return
		}
		for j, v := range runtime.Data[int32](b.Const) {
			bias[j] = float32(v) * (xq.Scale * ws[j%len(ws)])
		}
	}
	attrs := []ir.Attr{ir.Float("x_scale", float64(xq.Scale)), ir.Int("x_zero_point", int64(xq.Zero))}
	q.requantized(n, 6, func(xf *ir.Value) *ir.Node {
		// A node to become the kernel, with n's window (n keeps its attributes until make
		// returns).
		k := q.g.NewNodeBefore(n, "Conv", "", n.Name, []*ir.Value{xf}, 1)
		q.uses.AddNode(k)
		q.becomeShiftedConv(k, n, xf, wq, off, wt.Shape, ws, bias, attrs)
		return k
	})
}

// qlinearMatMul takes QLinearMatMul by a constant matrix with per-tensor A.
func (q *quantizer) qlinearMatMul(n *ir.Node) {
	if len(n.Inputs) < 7 || n.Input(6) == nil {
		return
	}
	xq, ok := quantOf(n.Inputs[0], n.Input(1), n.Input(2))
	b := n.Input(3)
	if !ok || b == nil || b.Const == nil || len(b.Const.Shape) != 2 || n.Inputs[0].Type.Rank() == 0 {
		return
	}
	k, nn := b.Const.Shape[0], b.Const.Shape[1]
	wt, ws, ok := constWeights(n.Input(3), n.Input(4), 1, 1) // b_scale per column
	if !ok {
		return
	}
	wq, off, ok := shiftedBy(wt, n.Input(5), nn, func(i int) int { return i % nn })
	if !ok {
		return
	}
	if s, ok := scalarConst(n.Input(6)); !ok || s.DType != runtime.Float32 {
		return
	}
	attrs := []ir.Attr{ir.Float("x_scale", float64(xq.Scale)), ir.Int("x_zero_point", int64(xq.Zero))}
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	q.requantized(n, 6, func(xf *ir.Value) *ir.Node {
		ins := []*ir.Value{xf, q.g.AddConst(n.Name+" (int8)", int8Tensor(wq, k, nn)), q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(ws)}, ws))}
		kn := q.g.NewNodeBefore(n, "DynQuantMatMul", ops.FusedDomain, n.Name, ins, 1, attrs...)
		q.uses.AddNode(kn)
		return kn
	})
}

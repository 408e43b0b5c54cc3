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
	s1, ok1 := scalarConst(dq.Inputs[1])
	s2, ok2 := scalarConst(ql.Inputs[1])
	if !ok1 || !ok2 || s1.DType != runtime.Float32 || s2.DType != runtime.Float32 || runtime.Data[float32](s1)[0] != runtime.Data[float32](s2)[0] {
		return nil, runtime.QuantStatic{}, false
	}
	scale := runtime.Data[float32](s1)[0]
	if !(scale > 0) {
		return nil, runtime.QuantStatic{}, false
	}
	// The zero points: both absent (uint8 0) or equal constants of one 8-bit type.
	zq, zd := ql.Input(2), dq.Input(2)
	dt, zero := runtime.Uint8, int64(0)
	switch {
	case zq == nil && zd == nil:
	case zq != nil && zd != nil:
		a, okA := scalarConst(zq)
		b, okB := scalarConst(zd)
		if !okA || !okB || a.DType != b.DType || (a.DType != runtime.Uint8 && a.DType != runtime.Int8) || ops.TensorInts(a)[0] != ops.TensorInts(b)[0] {
			return nil, runtime.QuantStatic{}, false
		}
		dt, zero = a.DType, ops.TensorInts(a)[0]
	default:
		return nil, runtime.QuantStatic{}, false
	}
	if qv.Type.DType != dt {
		return nil, runtime.QuantStatic{}, false // output_dtype says otherwise
	}
	if dt == runtime.Int8 {
		zero += 128
	}
	return ql.Inputs[0], runtime.QuantStatic{On: true, Scale: scale, Zero: int32(zero)}, true
}

// quantizedWeights matches DequantizeLinear(Wq, ws, wz) of a constant 8-bit Wq whose scale is
// one value or one per index of axis (the output channels); it returns Wq and the scales.
func quantizedWeights(v *ir.Value, axis int) (*ir.Node, []float32, bool) {
	dq := v.Def
	if dq == nil || qualOp(dq) != "DequantizeLinear" || len(dq.Inputs) < 2 || dq.Outputs[0] != v || !isF32(v) || dq.GetInt("block_size", 0) != 0 {
		return nil, nil, false
	}
	w, s := dq.Inputs[0], dq.Inputs[1]
	if w.Const == nil || (w.Const.DType != runtime.Int8 && w.Const.DType != runtime.Uint8) || w.Const.Len() == 0 {
		return nil, nil, false
	}
	if s.Const == nil || s.Const.DType != runtime.Float32 {
		return nil, nil, false
	}
	r := len(w.Const.Shape)
	if s.Const.Len() != 1 {
		a := int(dq.GetInt("axis", 1))
		if a < 0 {
			a += r
		}
		if a != axis || len(s.Const.Shape) != 1 || s.Const.Len() != w.Const.Shape[axis] {
			return nil, nil, false
		}
	}
	return dq, append([]float32(nil), runtime.Data[float32](s.Const)...), true
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

package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// recurrentInputs is how many inputs each recurrent op has at most: its quantized form's
// weight scales follow them.
var recurrentInputs = map[string]int{"RNN": 6, "GRU": 6, "LSTM": 8}

// recurrent quantizes a float32 RNN, GRU or LSTM by constant W and R into onnxc.DynQuantRNN,
// DynQuantGRU or DynQuantLSTM: each direction's W and R, with the gate rows as the product's
// columns, quantized as QuantizeWeights does a matrix (int8, symmetric: the recurrent kernels
// take no zero point), per tensor or, per channel, per gate row. X and the hidden state are
// quantized per run, and every product (X by W once, the state by R at each step) runs on the
// u8 x s8 kernels. A GRU without linear_before_reset keeps R in float32: its candidate product
// reads R's rows after the reset gate, outside the packed product.
func (q *quantizer) recurrent(n *ir.Node, op string) {
	if why := q.opt.Selects(op, n.Name); why != "" {
		q.remark(n, op, false, why)
		return
	}
	x, w, r := n.Input(0), n.Input(1), n.Input(2)
	weights := func(v *ir.Value) bool {
		return v != nil && v.Const != nil && v.Const.DType == runtime.Float32 && len(v.Const.Shape) == 3 && v.Const.Len() > 0
	}
	switch {
	case !isF32(x):
		q.remark(n, op, false, "X is not a float32 tensor")
		return
	case !weights(w) || !weights(r):
		q.remark(n, op, false, "W or R is not a constant float32 tensor")
		return
	}
	maxIn := recurrentInputs[op]
	ins := make([]*ir.Value, maxIn, maxIn+2)
	copy(ins, n.Inputs)
	wq, ws := RecurrentWeights(w.Const, q.opt.PerChannel, q.opt.ReduceRange)
	ins[1] = q.g.AddConst(n.Name+" (W int8)", wq)
	ins = append(ins, q.g.AddConst(n.Name+" (W scale)", ws))
	why := q.opt.describe(false)
	if op == "GRU" && n.GetInt("linear_before_reset", 0) == 0 {
		why += ", R float32 (GRU without linear_before_reset)"
	} else {
		rq, rs := RecurrentWeights(r.Const, q.opt.PerChannel, q.opt.ReduceRange)
		ins[2] = q.g.AddConst(n.Name+" (R int8)", rq)
		ins = append(ins, q.g.AddConst(n.Name+" (R scale)", rs))
	}
	if q.opt.WeightType == runtime.Uint8 {
		why += ", int8 weights (the recurrent kernels take no zero point)"
	}
	q.uses.RemoveNode(n)
	n.Inputs = ins
	q.uses.AddNode(n)
	n.SetOp("DynQuant"+op, ops.FusedDomain)
	q.remark(n, op, true, why)
}

// RecurrentWeights quantizes a recurrent op's W or R ([dirs, gate rows, k]) to int8 of the same
// shape, each direction on its own, with its scales: [dirs, 1], or [dirs, gate rows] per
// channel. onnxc quantize writes the same values.
func RecurrentWeights(t *runtime.Tensor, perChannel, reduceRange bool) (w, scale *runtime.Tensor) {
	dirs, rows, k := t.Shape[0], t.Shape[1], t.Shape[2]
	w = runtime.New(runtime.Int8, t.Shape...)
	per := 1
	if perChannel {
		per = rows
	}
	scale = runtime.New(runtime.Float32, dirs, per)
	src, dst, sd := runtime.Data[float32](t), runtime.Data[int8](w), runtime.Data[float32](scale)
	for d := 0; d < dirs; d++ {
		// The rows are the product's columns: the matrix is rows x k stored transposed.
		qd, s := QuantizeWeights(src[d*rows*k:(d+1)*rows*k], k, rows, true, perChannel, reduceRange)
		for p := 0; p < k; p++ {
			for j := 0; j < rows; j++ {
				dst[(d*rows+j)*k+p] = qd[p*rows+j]
			}
		}
		copy(sd[d*per:], s)
	}
	return w, scale
}

// msLSTM compiles onnxruntime's com.microsoft.DynamicQuantizeLSTM by constant weights. Int8
// weights whose zero points are all 0 (what quantize_dynamic writes by default) become
// onnxc.DynQuantLSTM: W and R transposed back to LSTM's layout, with their scales, the same
// values. Other weights (uint8, or a zero point: w - z may not fit int8) are dequantized, exactly
// in float32, into an LSTM, which --quantize-ops LSTM quantizes again.
func (q *quantizer) msLSTM(n *ir.Node) error {
	if qualOp(n) != "com.microsoft.DynamicQuantizeLSTM" {
		return nil
	}
	c := func(i int) *runtime.Tensor {
		if v := n.Input(i); v != nil {
			return v.Const
		}
		return nil
	}
	w, ws, wz, r, rs, rz := c(1), c(8), c(9), c(2), c(10), c(11)
	if w == nil || r == nil || ws == nil || wz == nil || rs == nil || rz == nil {
		return ops.Errorf(n, "W, R and their scales and zero points must be constants")
	}
	type weights struct {
		t, scale, zp *runtime.Tensor
	}
	var out [2]*runtime.Tensor
	var scales [2]*runtime.Tensor
	exact := true // int8 with zero points 0
	for i, wt := range []weights{{w, ws, wz}, {r, rs, rz}} {
		if len(wt.t.Shape) != 3 || (wt.t.DType != runtime.Int8 && wt.t.DType != runtime.Uint8) || wt.scale.DType != runtime.Float32 || wt.zp.DType != wt.t.DType {
			return ops.Errorf(n, "input %d: %s %v with scale %s and zero point %s, want 8-bit weights of rank 3, float32 scales, zero points of their type", i+1, wt.t.DType, wt.t.Shape, wt.scale.DType, wt.zp.DType)
		}
		dirs, gh := wt.t.Shape[0], wt.t.Shape[2]
		if (wt.scale.Len() != dirs && wt.scale.Len() != dirs*gh) || wt.zp.Len() != wt.scale.Len() {
			return ops.Errorf(n, "input %d: %d scales and %d zero points for %d directions of %d gate rows", i+1, wt.scale.Len(), wt.zp.Len(), dirs, gh)
		}
		for _, z := range ops.TensorInts(wt.zp) {
			exact = exact && wt.t.DType == runtime.Int8 && z == 0
		}
		scales[i] = runtime.FromFloat32([]int{dirs, wt.scale.Len() / dirs}, runtime.Data[float32](wt.scale))
	}
	// W [dirs, I, 4H] and R [dirs, H, 4H].
	if h := r.Shape[1]; w.Shape[0] != r.Shape[0] || w.Shape[2] != 4*h || r.Shape[2] != 4*h || h == 0 {
		return ops.Errorf(n, "W %v and R %v: want [dirs, input, 4*hidden] and [dirs, hidden, 4*hidden] (4 gate rows of hidden)", w.Shape, r.Shape)
	}
	for i, wt := range []weights{{w, ws, wz}, {r, rs, rz}} {
		dirs, k, gh := wt.t.Shape[0], wt.t.Shape[1], wt.t.Shape[2]
		per := wt.scale.Len() / dirs
		dt := runtime.Float32
		if exact {
			dt = runtime.Int8
		}
		t := runtime.New(dt, dirs, gh, k)
		vals, zps := ops.TensorInts(wt.t), ops.TensorInts(wt.zp)
		for d := 0; d < dirs; d++ {
			for p := 0; p < k; p++ {
				for j := 0; j < gh; j++ {
					src, dst := (d*k+p)*gh+j, (d*gh+j)*k+p
					s := d*per + j%per
					if exact {
						runtime.Data[int8](t)[dst] = runtime.Data[int8](wt.t)[src]
						continue
					}
					v := vals[src] - zps[s]
					runtime.Data[float32](t)[dst] = float32(v) * runtime.Data[float32](wt.scale)[s]
				}
			}
		}
		out[i] = t
	}
	ins := append([]*ir.Value(nil), n.Inputs[:8]...)
	ins[1] = q.g.AddConst(n.Name+" (W)", out[0])
	ins[2] = q.g.AddConst(n.Name+" (R)", out[1])
	op, domain := "LSTM", ""
	if exact {
		ins = append(ins, q.g.AddConst(n.Name+" (W scale)", scales[0]), q.g.AddConst(n.Name+" (R scale)", scales[1]))
		op, domain = "DynQuantLSTM", ops.FusedDomain
	}
	q.uses.RemoveNode(n)
	n.Inputs = ins
	q.uses.AddNode(n)
	n.SetOp(op, domain)
	return nil
}

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
	wq, ws := q.recurrentWeights(w.Const)
	ins[1] = q.g.AddConst(n.Name+" (W int8)", wq)
	ins = append(ins, q.g.AddConst(n.Name+" (W scale)", ws))
	why := q.opt.describe(false)
	if op == "GRU" && n.GetInt("linear_before_reset", 0) == 0 {
		why += ", R float32 (GRU without linear_before_reset)"
	} else {
		rq, rs := q.recurrentWeights(r.Const)
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

// recurrentWeights quantizes a recurrent op's W or R ([dirs, gate rows, k]) to int8 of the same
// shape, each direction on its own, with its scales: [dirs], or [dirs, gate rows] per channel.
func (q *quantizer) recurrentWeights(t *runtime.Tensor) (w, scale *runtime.Tensor) {
	dirs, rows, k := t.Shape[0], t.Shape[1], t.Shape[2]
	w = runtime.New(runtime.Int8, t.Shape...)
	per := 1
	if q.opt.PerChannel {
		per = rows
	}
	scale = runtime.New(runtime.Float32, dirs, per)
	src, dst, sd := runtime.Data[float32](t), runtime.Data[int8](w), runtime.Data[float32](scale)
	for d := 0; d < dirs; d++ {
		// The rows are the product's columns: the matrix is rows x k stored transposed.
		qd, s := QuantizeWeights(src[d*rows*k:(d+1)*rows*k], k, rows, true, q.opt.PerChannel, q.opt.ReduceRange)
		for p := 0; p < k; p++ {
			for j := 0; j < rows; j++ {
				dst[(d*rows+j)*k+p] = qd[p*rows+j]
			}
		}
		copy(sd[d*per:], s)
	}
	return w, scale
}

package passes

import (
	"slices"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// gather quantizes a Gather from a constant float32 table (an embedding) into a Gather from the
// table quantized to 8 bits, followed by DequantizeLinear: the table is stored at a quarter of
// its size and only the gathered rows are widened. The table is quantized per tensor, as
// quantize_dynamic's Gather does (--per-channel is about the products' output columns), int8
// symmetric or, with uint8 weights, asymmetric with a zero point.
func (q *quantizer) gather(n *ir.Node) {
	const op = "Gather"
	if why := q.opt.Selects(op, n.Name); why != "" {
		q.remark(n, op, false, why)
		return
	}
	data, y := n.Input(0), n.Outputs[0]
	switch {
	case data == nil || data.Const == nil || data.Const.DType != runtime.Float32 || data.Const.Len() == 0:
		q.remark(n, op, false, "data is not a constant float32 tensor")
		return
	case len(n.Outputs) != 1 || !isF32(y):
		q.remark(n, op, false, "output is not float32")
		return
	}
	table, zp, scale := GatherTable(data.Const, q.opt.WeightType, q.opt.ReduceRange)
	qc := q.g.AddConst(n.Name+" ("+table.DType.String()+")", table)
	gq := q.g.NewNodeBefore(n, "Gather", "", n.Name+" (quantized)", []*ir.Value{qc, n.Inputs[1]}, 1, n.Attrs...)
	gq.Outputs[0].Type = y.Type
	gq.Outputs[0].Type.DType = table.DType
	gq.Outputs[0].Type.Shape = slices.Clone(y.Type.Shape)
	q.uses.AddNode(gq)
	q.uses.RemoveNode(n)
	n.Inputs = []*ir.Value{gq.Outputs[0], q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32(nil, []float32{scale})), q.g.AddConst(n.Name+" (zero point)", zp)}
	q.uses.AddNode(n)
	n.SetOp("DequantizeLinear", "")
	n.Attrs = nil
	q.remark(n, op, true, "per tensor, "+table.DType.String()+" table")
}

// GatherTable quantizes a float32 Gather table to int8 (symmetric; weightType Int8 or
// Undefined) or uint8 (asymmetric) per tensor, as QuantizeWeights and QuantizeWeightsUint8 do
// a matrix, and returns the table, its zero point (a scalar of the table's type) and scale.
func GatherTable(t *runtime.Tensor, weightType runtime.DType, reduceRange bool) (table, zp *runtime.Tensor, scale float32) {
	w := runtime.Data[float32](t)
	if weightType == runtime.Uint8 {
		u, s, z := QuantizeWeightsUint8(w, len(w), 1, false, false, reduceRange)
		table, zp = runtime.New(runtime.Uint8, t.Shape...), runtime.New(runtime.Uint8)
		copy(runtime.Data[uint8](table), u)
		runtime.Data[uint8](zp)[0] = z[0]
		return table, zp, s[0]
	}
	i8, s := QuantizeWeights(w, len(w), 1, false, false, reduceRange)
	table = runtime.New(runtime.Int8, t.Shape...)
	copy(runtime.Data[int8](table), i8)
	return table, runtime.New(runtime.Int8), s[0]
}

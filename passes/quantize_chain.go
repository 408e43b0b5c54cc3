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
	wq, ok := symmetricWeights(w.Const, n.Input(3), nn)
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
	ws := scalesOf(s, d.Outputs[1], nn)
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
	q.become(last, n.Name, "DynQuantMatMul", ins, nil)
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
// of a constant float32 W_scale.
func scalesOf(s, yScale *ir.Value, n int) []float32 {
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
	if c.Const == nil || c.Const.DType != runtime.Float32 || (c.Const.Len() != 1 && c.Const.Len() != n) || c.Type.Rank() > 1 {
		return nil
	}
	return append([]float32(nil), runtime.Data[float32](c.Const)...)
}

// symmetricWeights returns W less its zero point (absent, one value or one per column) as
// int8 when every difference fits; uint8 weights are taken this way too.
func symmetricWeights(w *runtime.Tensor, zp *ir.Value, n int) ([]int8, bool) {
	if w.DType != runtime.Int8 && w.DType != runtime.Uint8 {
		return nil, false
	}
	var zps []int64
	if zp != nil {
		if zp.Const == nil || zp.Const.DType != w.DType || (zp.Const.Len() != 1 && zp.Const.Len() != n) {
			return nil, false
		}
		zps = ops.TensorInts(zp.Const)
	}
	vals := ops.TensorInts(w)
	out := make([]int8, len(vals))
	for i, v := range vals {
		if zps != nil {
			v -= zps[i%n%len(zps)]
		}
		if v < -128 || v > 127 {
			return nil, false
		}
		out[i] = int8(v)
	}
	return out, true
}

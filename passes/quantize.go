package passes

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// Dynamic quantization. With QuantizeOptions, float32 MatMul and Gemm (FusedGemm and
// onnxc.MatMulBias too) by
// constant weights become onnxc.DynQuantMatMul: the weights are quantized here, symmetric int8
// (zero point 0) per tensor or per output column, as onnxruntime's quantize_dynamic does with
// weight_type QInt8; the activations are quantized per run by the kernel. A bias Add after a
// MatMul, and Gemm's C, alpha, beta and activation, go into the kernel's epilogue. Conv
// (quantize_conv.go) and Gather from a constant table (quantize_gather.go) are opt-in.
//
// Always (QuantizeOptions or not), chains that onnxruntime's quantizer writes,
//
//	DynamicQuantizeLinear(x) -> MatMulInteger(y, W, y_zp[, W_zp]) -> Cast(float) ->
//	Mul(., Mul(y_scale, W_scale)) [-> Add(., bias)]
//
// with constant 8-bit W, become the same kernel (quantize_chain.go).

// QuantizeOptions are quantize_dynamic's knobs.
type QuantizeOptions struct {
	// OpTypes are the op types to quantize: "MatMul", "Gemm" (which covers FusedGemm),
	// "Conv" (which covers FusedConv), "Gather" (from a constant table), "LSTM", "GRU" and
	// "RNN" (by constant W and R), and "Attention" (whose ONNX form has no weights: reported);
	// nil means MatMul and Gemm, as quantize_dynamic's default does.
	OpTypes []string
	// PerChannel quantizes the weights per output column instead of per tensor.
	PerChannel bool
	// ReduceRange quantizes the weights to 7 bits ([-64, 64]), which keeps the AVX2 kernel's
	// 16-bit pair sums exact.
	ReduceRange bool
	// WeightType is the weights' type: Int8 (symmetric, zero point 0; Undefined means Int8)
	// or Uint8 (asymmetric, with a zero point per tensor or per channel, as quantize_dynamic's
	// QUInt8), stored as w-128 with the exact offset 128-z.
	WeightType runtime.DType
	// PerRow quantizes the activation of each row of a product with its own scale and zero
	// point (a token of MatMul's and Gemm's A, a pixel of a pointwise Conv's input) instead of
	// one for the whole tensor as DynamicQuantizeLinear does. A convolution with a larger
	// window stays per tensor: its rows overlap in the input.
	PerRow bool
	// Include, when not empty, limits quantization to the nodes of these names; Exclude
	// leaves the nodes of these names in float32.
	Include, Exclude []string
	// Remarks receives the pass's decision for every candidate node.
	Remarks []QuantizeRemark
}

// QuantizeRemark is the quantize pass's decision on a node.
type QuantizeRemark struct {
	Node      string // the node's description
	Op        string
	Quantized bool
	// Why says why the node stayed float32 (or, for a quantized node, from what).
	Why string
}

// matMulBiasOp is MatMul + bias as the fuse pass may make it (onnxc.MatMulBias), quantized as
// a MatMul whose bias goes into the epilogue.
const matMulBiasOp = ops.FusedDomain + ".MatMulBias"

// quantizable are the op types the pass knows, with their kernel support.
var quantizable = map[string]bool{"MatMul": true, "Gemm": true, "Conv": true, "Gather": true, "LSTM": true, "GRU": true, "RNN": true, "Attention": true}

// optIn are the op types quantized only when named, as in quantize_dynamic.
var optIn = []string{"Conv", "Gather", "LSTM", "GRU", "RNN", "Attention"}

// Quantize runs dynamic quantization (opt nil: only the pre-quantized chains).
func Quantize(m *ir.Model, opt *QuantizeOptions) error {
	if opt != nil {
		if opt.WeightType != runtime.Undefined && opt.WeightType != runtime.Int8 && opt.WeightType != runtime.Uint8 {
			return fmt.Errorf("quantize: weight type %s is not supported (int8 or uint8)", opt.WeightType)
		}
		for _, t := range opt.OpTypes {
			if !quantizable[t] {
				return fmt.Errorf("quantize: op type %s is not supported (MatMul, Gemm, Conv, Gather, LSTM, GRU, RNN, Attention)", t)
			}
		}
	}
	// One use index for the whole model: a value's uses lie in its graph and the regions
	// nested there, so it serves every graph, and one per graph is quadratic in the nesting.
	uses := ir.NewUses(m.Graph)
	var err error
	m.Graph.Walk(func(g *ir.Graph) {
		q := &quantizer{g: g, uses: uses, opt: opt}
		for _, n := range slices.Clone(g.Nodes) {
			if err == nil {
				err = q.msLSTM(n)
			}
			q.chain(n)
			q.convChain(n)
			if opt != nil {
				q.node(n)
			}
		}
	})
	return err
}

type quantizer struct {
	g    *ir.Graph
	uses *ir.Uses
	opt  *QuantizeOptions
}

func (q *quantizer) remark(n *ir.Node, op string, ok bool, why string) {
	q.opt.Remarks = append(q.opt.Remarks, QuantizeRemark{Node: n.Describe(), Op: op, Quantized: ok, Why: why})
}

// node quantizes a float32 MatMul or Gemm by constant weights.
func (q *quantizer) node(n *ir.Node) {
	op := qualOp(n)
	withBias := op == matMulBiasOp
	switch op {
	case "MatMul", matMulBiasOp:
		op = "MatMul"
	case "Gemm", msFusedGemm:
		op = "Gemm"
	case "Conv", msFusedConv:
		q.conv(n)
		return
	case "Gather":
		q.gather(n)
		return
	case matMulViewOp:
		// A product of two computed operands (attention's): its inputs are the tensors the
		// operands are views of.
		why := q.opt.Selects("MatMul", n.Name)
		if why == "" {
			why = "B is not a constant float32 matrix"
		}
		q.remark(n, "MatMul", false, why)
		return
	case "LSTM", "GRU", "RNN":
		q.recurrent(n, op)
		return
	case "Attention":
		// ONNX's Attention takes Q, K and V, computed by the products before it, which the
		// MatMul op type quantizes.
		why := q.opt.Selects(op, n.Name)
		if why == "" {
			why = "no constant weights (Q, K and V are inputs; their MatMuls quantize as MatMul)"
		}
		q.remark(n, op, false, why)
		return
	default:
		return
	}
	if why := q.skip(n, op); why != "" {
		q.remark(n, op, false, why)
		return
	}
	b := n.Inputs[1].Const
	trans := op == "Gemm" && n.GetInt("transB", 0) != 0
	k, nn := b.Shape[0], b.Shape[1]
	if trans {
		k, nn = nn, k
	}
	w, scale, off := q.opt.weights(runtime.Data[float32](b), k, nn, trans)
	var bias []float32
	var attrs []ir.Attr
	if off != nil {
		attrs = append(attrs, ir.Ints("w_offset", off...))
	}
	if q.opt.PerRow {
		attrs = append(attrs, ir.Int("x_per_row", 1))
	}
	anchor := n
	if op == "Gemm" {
		alpha, beta := float32(n.GetFloat("alpha", 1)), float32(n.GetFloat("beta", 1))
		for i := range scale {
			scale[i] *= alpha
		}
		if c := n.Input(2); c != nil {
			bias = biasVector(c, nn, beta)
		}
		if act := n.GetString("activation", ""); act != "" {
			a, alpha, beta, err := runtime.ActivationOf(act, nil)
			if err != nil {
				q.remark(n, op, false, err.Error())
				return
			}
			attrs = append(attrs, ir.Int("activation", int64(a)),
				ir.Float("act_alpha", n.GetFloat("activation_alpha", float64(alpha))),
				ir.Float("act_beta", n.GetFloat("activation_beta", float64(beta))))
		}
	} else if withBias {
		bias = biasVector(n.Input(2), nn, 1)
		if n.GetString("activation", "") != "" {
			// An activation fused into MatMulBias (Gelu) runs in the int8 kernel's epilogue.
			a, alpha, beta, err := ops.MatMulBiasActivation(n)
			if err != nil {
				q.remark(n, op, false, err.Error())
				return
			}
			attrs = append(attrs, ir.Int("activation", int64(a)), ir.Float("act_alpha", float64(alpha)), ir.Float("act_beta", float64(beta)))
		}
	} else if add, bv := q.biasAdd(n.Outputs[0], nn); add != nil {
		anchor, bias = add, bv
	}
	ins := []*ir.Value{n.Inputs[0], q.g.AddConst(n.Name+" (int8)", int8Tensor(w, k, nn)), q.g.AddConst(n.Name+" (scale)", runtime.FromFloat32([]int{len(scale)}, scale))}
	if bias != nil {
		ins = append(ins, q.g.AddConst(n.Name+" (bias)", runtime.FromFloat32([]int{nn}, bias)))
	}
	q.become(anchor, n.Name, "DynQuantMatMul", ins, attrs)
	q.remark(n, op, true, q.opt.describe(q.opt.PerRow))
}

// describe says how a node is quantized: its weights per tensor or per channel, and its
// activation per row when perRow.
func (o *QuantizeOptions) describe(perRow bool) string {
	why := "per tensor"
	if o.PerChannel {
		why = "per channel"
	}
	if perRow {
		why += ", activation per row"
	}
	return why
}

// Selects says why the options leave a node of op type op (MatMul, Gemm, Conv or Gather) and that name
// in float32, as far as op types and names decide ("" when they select it).
func (o *QuantizeOptions) Selects(op, name string) string {
	switch {
	case len(o.OpTypes) == 0 && slices.Contains(optIn, op), len(o.OpTypes) > 0 && !slices.Contains(o.OpTypes, op):
		return "op type not selected"
	case slices.Contains(o.Exclude, name):
		return "excluded by name"
	case len(o.Include) > 0 && !slices.Contains(o.Include, name):
		return "not among the included names"
	}
	return ""
}

// skip says why n stays float32 ("" to quantize it).
func (q *quantizer) skip(n *ir.Node, op string) string {
	if why := q.opt.Selects(op, n.Name); why != "" {
		return why
	}
	if op == "Conv" {
		return ""
	}
	a, b := n.Input(0), n.Input(1)
	switch {
	case !isF32(a) || a.Type.Rank() == 0:
		return "A is not a float32 tensor"
	case b == nil || b.Const == nil || b.Const.DType != runtime.Float32 || len(b.Const.Shape) != 2 || b.Const.Len() == 0:
		return "B is not a constant float32 matrix"
	case len(n.Outputs) != 1 || !isF32(n.Outputs[0]):
		return "output is not float32"
	}
	if qualOp(n) == matMulBiasOp && biasVector(n.Input(2), b.Const.Shape[1], 1) == nil {
		return "bias is not a constant vector over the columns"
	}
	if op == "Gemm" {
		nn := b.Const.Shape[1]
		if n.GetInt("transB", 0) != 0 {
			nn = b.Const.Shape[0]
		}
		switch {
		case n.GetInt("transA", 0) != 0:
			return "transA"
		case n.Input(2) != nil && biasVector(n.Input(2), nn, 1) == nil:
			return "C is not a constant vector over the columns"
		}
		if _, _, _, err := runtime.ActivationOf(n.GetString("activation", ""), nil); err != nil {
			return err.Error()
		}
	}
	return ""
}

// biasVector returns constant c (one value, or n values along the last axis) times beta as a
// vector of n values; nil when c is not such a constant.
func biasVector(c *ir.Value, n int, beta float32) []float32 {
	if c == nil {
		return nil
	}
	return VectorOf(c.Const, n, beta)
}

// VectorOf returns float32 tensor t (one value, or n values along its last axis) times beta as
// a vector of n values; nil when t is not such a tensor.
func VectorOf(t *runtime.Tensor, n int, beta float32) []float32 {
	if t == nil || t.DType != runtime.Float32 {
		return nil
	}
	s := t.Shape
	if t.Len() != 1 && (len(s) == 0 || s[len(s)-1] != n || t.Len() != n) {
		return nil
	}
	v := runtime.Data[float32](t)
	out := make([]float32, n)
	for j := range out {
		out[j] = beta * v[j%len(v)]
	}
	return out
}

// biasAdd finds y's one use, an Add of a constant bias along the last axis whose output has
// y's shape; it returns that Add and the bias.
func (q *quantizer) biasAdd(y *ir.Value, n int) (*ir.Node, []float32) {
	us := q.uses.Of(y)
	if len(us) != 1 || us[0].Node == nil || us[0].Node.Graph != q.g {
		return nil, nil
	}
	add := us[0].Node
	if qualOp(add) != "Add" || len(add.Inputs) != 2 || !sameShape(add.Outputs[0].Type, y.Type) {
		return nil, nil
	}
	c := add.Inputs[1-us[0].Index]
	if c == y || c.Const == nil || c.Type.Rank() > y.Type.Rank() {
		return nil, nil
	}
	bias := biasVector(c, n, 1)
	if bias == nil {
		return nil, nil
	}
	return add, bias
}

// become makes node n (in place, keeping its output) an op (DynQuantMatMul, DynQuantConv) on
// ins, with the activation that is y's one use, if any and none is given, fused.
func (q *quantizer) become(n *ir.Node, name, op string, ins []*ir.Value, attrs []ir.Attr) {
	if act := q.activationAfter(n.Outputs[0]); act != nil && !hasActivation(attrs) {
		a, alpha, beta, _ := runtime.ActivationOf(act.Op, nil)
		attrs = append(attrs, ir.Int("activation", int64(a)),
			ir.Float("act_alpha", act.GetFloat("alpha", float64(alpha))), ir.Float("act_beta", act.GetFloat("beta", float64(beta))))
		n = act // n is left without uses
	}
	q.uses.RemoveNode(n)
	n.Inputs = ins
	q.uses.AddNode(n)
	n.SetOp(op, ops.FusedDomain)
	n.Name = name
	n.Attrs = nil
	n.SetAttrs(attrs...)
}

func hasActivation(attrs []ir.Attr) bool {
	return slices.ContainsFunc(attrs, func(a ir.Attr) bool { return a.Name == "activation" })
}

// activationAfter returns y's one use when it is an activation the epilogue runs whose
// parameters are attributes.
func (q *quantizer) activationAfter(y *ir.Value) *ir.Node {
	for _, op := range []string{"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"} {
		if u := q.soleUser(y, op); u != nil && isF32(u.Outputs[0]) {
			return u
		}
	}
	return nil
}

// weights quantizes a k x n matrix (n x k when trans) as the options say: int8 symmetric, or
// uint8 stored as w-128 with its offsets 128-z (one, or one per column).
func (o *QuantizeOptions) weights(w []float32, k, n int, trans bool) ([]int8, []float32, []int64) {
	if o.WeightType != runtime.Uint8 {
		q, scale := QuantizeWeights(w, k, n, trans, o.PerChannel, o.ReduceRange)
		return q, scale, nil
	}
	u, scale, zp := QuantizeWeightsUint8(w, k, n, trans, o.PerChannel, o.ReduceRange)
	q := make([]int8, len(u))
	for i, v := range u {
		q[i] = int8(int(v) - 128)
	}
	off := make([]int64, len(zp))
	for j, z := range zp {
		off[j] = 128 - int64(z)
	}
	return q, scale, off
}

// weightCols views a k x n weight matrix (stored n x k when trans) by depth p and column j, with
// one scale group (perChannel false) or one per column.
type weightCols struct {
	w          []float32
	k, n       int
	trans      bool
	perChannel bool
}

func (m weightCols) at(p, j int) float32 {
	if m.trans {
		return m.w[j*m.k+p]
	}
	return m.w[p*m.n+j]
}

// group is column j's scale group.
func (m weightCols) group(j int) int {
	if m.perChannel {
		return j
	}
	return 0
}

// ranges returns min(w, 0) and max(w, 0) of each scale group.
func (m weightCols) ranges() (lo, hi []float32) {
	groups := 1
	if m.perChannel {
		groups = m.n
	}
	lo, hi = make([]float32, groups), make([]float32, groups)
	for p := 0; p < m.k; p++ {
		for j := 0; j < m.n; j++ {
			c, v := m.group(j), m.at(p, j)
			lo[c], hi[c] = min(lo[c], v), max(hi[c], v)
		}
	}
	return lo, hi
}

// QuantizeWeightsUint8 quantizes a k x n float32 matrix (n x k when trans) to a k x n uint8
// one, asymmetric as quantize_dynamic's QUInt8 weights, per tensor or per column: over the
// range [min(w, 0), max(w, 0)], scale = range / 255 (/ 127 with reduceRange; 1 for an empty
// range), z = round_half_even(-min / scale) and q = clamp(round_half_even(w / scale) + z).
func QuantizeWeightsUint8(w []float32, k, n int, trans, perChannel, reduceRange bool) ([]uint8, []float32, []uint8) {
	m := weightCols{w, k, n, trans, perChannel}
	qmax := float32(255)
	if reduceRange {
		qmax = 127
	}
	lo, hi := m.ranges()
	scale, zp := make([]float32, len(lo)), make([]uint8, len(lo))
	for c := range scale {
		scale[c] = 1
		if hi[c] > lo[c] {
			scale[c] = (hi[c] - lo[c]) / qmax
		}
		zp[c] = uint8(min(float64(qmax), max(0, math.RoundToEven(float64(-lo[c]/scale[c])))))
	}
	q := make([]uint8, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			c := m.group(j)
			v := math.RoundToEven(float64(m.at(p, j)/scale[c])) + float64(zp[c])
			q[p*n+j] = uint8(min(float64(qmax), max(0, v)))
		}
	}
	return q, scale, zp
}

// QuantizeWeights quantizes a k x n float32 matrix (n x k when trans) to a k x n int8 one,
// symmetric, per tensor or per column: scale = max|w| / 127 (/ 64 with reduceRange; 1 for an
// all-zero range) and q = round_half_even(w / scale), in float32 as numpy computes it.
func QuantizeWeights(w []float32, k, n int, trans, perChannel, reduceRange bool) ([]int8, []float32) {
	m := weightCols{w, k, n, trans, perChannel}
	qmax := float32(127)
	if reduceRange {
		qmax = 64
	}
	lo, hi := m.ranges()
	scale := make([]float32, len(lo))
	for c := range scale {
		scale[c] = 1
		if a := max(-lo[c], hi[c]); a > 0 { // max |w|
			scale[c] = 2 * a / (2 * qmax)
		}
	}
	q := make([]int8, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			v := math.RoundToEven(float64(m.at(p, j) / scale[m.group(j)]))
			q[p*n+j] = int8(min(float64(qmax), max(-float64(qmax), v)))
		}
	}
	return q, scale
}

func int8Tensor(w []int8, k, n int) *runtime.Tensor {
	t := runtime.New(runtime.Int8, k, n)
	copy(runtime.Data[int8](t), w)
	return t
}

package passes

import (
	"fmt"
	"math"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// Fuse merges chains of nodes into fewer kernels, as the exported PaddleOCR models need:
//   - an inference BatchNormalization, or a Mul, Div, Add or Sub by a per-channel constant,
//     after a Conv or ConvTranspose with constant weights folds into the weights and bias;
//   - a Mul, or (without padding) an Add, by a per-input-channel constant before a Conv folds
//     into the Conv's weights and bias; with padding, x * s + t becomes (x + t/s) * s and the
//     Mul folds;
//   - x * Clip(x + 3, 0, 6) / 6 becomes HardSwish(x);
//   - an activation (Relu, LeakyRelu, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh) after a Conv
//     or Gemm becomes com.microsoft FusedConv or FusedGemm with that activation, and an Add of a
//     tensor of the output's shape after a Conv becomes FusedConv's summand Z;
//   - MatMul of matrices then Add of a bias becomes Gemm.
//
// Each rewrite is a row of fuseRules. A merged node takes the place of the later node of the
// pair and keeps its output value, so the graph stays in execution order and uses need no
// renaming. Constants are never modified in place (a weight may be shared): folding adds new
// ones and leaves the old ones to DCE.
func Fuse(m *ir.Model) error {
	_, err := FuseRemarks(m)
	return err
}

// FuseRemarks runs Fuse and returns one remark per fused node, in graph order, such as
// `fused Conv+BatchNormalization+HardSwish at node "conv1"`.
func FuseRemarks(m *ir.Model) ([]string, error) {
	chain, err := FuseChains(m)
	if err != nil {
		return nil, err
	}
	var remarks []string
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			if ch := chain[n]; len(ch) > 1 {
				remarks = append(remarks, fmt.Sprintf("fused %s at %s", strings.Join(ch, "+"), describe(n)))
			}
		}
	})
	return remarks, nil
}

// FuseChains runs Fuse and returns, for each node that absorbed others, the ops it was made
// of in data-flow order (inspect --dot labels fused kernels with them).
func FuseChains(m *ir.Model) (map[*ir.Node][]string, error) {
	f := &fuser{uses: map[*ir.Value]int{}, chain: map[*ir.Node][]string{}}
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				if in != nil {
					f.uses[in]++
				}
			}
		}
		for _, o := range g.Outputs {
			f.uses[o]++
		}
	})
	changed := false
	var err error
	m.Graph.Walk(func(g *ir.Graph) {
		if err == nil {
			var c bool
			c, err = f.graph(g)
			changed = changed || c
		}
	})
	if err != nil {
		return nil, err
	}
	if changed {
		// The merged nodes keep their output values and types; inference checks them again.
		if err := Infer(m); err != nil {
			return nil, err
		}
	}
	return f.chain, nil
}

func describe(n *ir.Node) string {
	if n.Name != "" {
		return fmt.Sprintf("node %q", n.Name)
	}
	return fmt.Sprintf("node #%d", n.ID)
}

// fuseRule is one row of the fusion table. A node of op Op (qualified by its domain when it is
// not ai.onnx) merges with the node defining one of its inputs, whose op is one of From, when
// that input has no other use; From nil means a pattern that Fn matches from Op's node alone.
// Fn makes the rewrite and reports whether the pair qualified.
type fuseRule struct {
	Op   string
	From []string
	Fn   func(f *fuser, n, p *ir.Node) bool
}

const msFusedConv, msFusedGemm = "com.microsoft.FusedConv", "com.microsoft.FusedGemm"

var (
	// linearConvs are the producers that per-output-channel affine maps fold into.
	linearConvs = []string{"Conv", msFusedConv, "ConvTranspose"}
	// activationHosts are the producers whose kernels apply a fused activation.
	activationHosts = []string{"Conv", msFusedConv, "Gemm", msFusedGemm, matMulBiasOp}
)

// fuseRules is the fusion table. Rows for the same Op are tried in order.
var fuseRules = []fuseRule{
	// Canonical forms first, so that the rows below see one op.
	{Op: "Div", Fn: canonHardSwish},
	{Op: "Mul", Fn: canonHardSwish},
	{Op: "Mul", Fn: canonGelu},
	// Per-output-channel affine maps after a convolution fold into its weights and bias.
	{Op: "BatchNormalization", From: linearConvs, Fn: foldBatchNorm},
	{Op: "Mul", From: linearConvs, Fn: foldAffine},
	{Op: "Div", From: linearConvs, Fn: foldAffine},
	{Op: "Add", From: linearConvs, Fn: foldAffine},
	{Op: "Sub", From: linearConvs, Fn: foldAffine},
	// An Add of a whole tensor after a Conv is FusedConv's summand Z.
	{Op: "Add", From: []string{"Conv", msFusedConv}, Fn: fuseResidual},
	// Per-input-channel affine maps before a Conv fold into its weights and bias.
	{Op: "Conv", From: []string{"Add"}, Fn: foldInputShift},
	{Op: msFusedConv, From: []string{"Add"}, Fn: foldInputShift},
	{Op: "Conv", From: []string{"Mul"}, Fn: foldInputScale},
	{Op: msFusedConv, From: []string{"Mul"}, Fn: foldInputScale},
	{Op: "Conv", From: []string{"Add"}, Fn: foldInputScaleBeforeShift},
	{Op: msFusedConv, From: []string{"Add"}, Fn: foldInputScaleBeforeShift},
	// MatMul of matrices plus a bias is a Gemm.
	{Op: "Add", From: []string{"MatMul"}, Fn: matMulAddToGemm},
	// Activations after a Conv or Gemm run in its kernel.
	{Op: "Relu", From: activationHosts, Fn: fuseActivation},
	{Op: "LeakyRelu", From: activationHosts, Fn: fuseActivation},
	{Op: "Clip", From: activationHosts, Fn: fuseActivation},
	{Op: "HardSigmoid", From: activationHosts, Fn: fuseActivation},
	{Op: "HardSwish", From: activationHosts, Fn: fuseActivation},
	{Op: "Sigmoid", From: activationHosts, Fn: fuseActivation},
	{Op: "Tanh", From: activationHosts, Fn: fuseActivation},
	// A transformer's feed-forward Gelu runs in the epilogue of the MatMul before it.
	{Op: "Gelu", From: []string{matMulBiasOp}, Fn: fuseActivation},
	// Attention's slices, reshapes, transposes and scalings fold into its products
	// (fuse_views.go).
	{Op: "MatMul", Fn: foldMatMulViews},
	{Op: "Transpose", From: []string{"MatMul", matMulViewOp}, Fn: foldMatMulTranspose},
}

// fuser holds the state of one run: use counts of every value (graph outputs and uses inside
// regions count), the ops merged into each node, and the current graph's node positions.
type fuser struct {
	uses  map[*ir.Value]int
	chain map[*ir.Node][]string
	g     *ir.Graph
	pos   map[*ir.Node]int
}

// opIDOf interns a table's op name, qualified by its domain when not ai.onnx
// ("com.microsoft.FusedConv").
func opIDOf(qual string) ir.OpID {
	if i := strings.LastIndexByte(qual, '.'); i >= 0 {
		return ir.InternOp(qual[:i], qual[i+1:])
	}
	return ir.InternOp("", qual)
}

func opIDsOf(quals []string) []ir.OpID {
	ids := make([]ir.OpID, len(quals))
	for i, q := range quals {
		ids[i] = opIDOf(q)
	}
	return ids
}

// indexedRule is a fuseRules row with its ops interned, so that matching a node is an index
// and integer compares, not string building per node and row.
type indexedRule struct {
	from []ir.OpID
	fn   func(f *fuser, n, p *ir.Node) bool
}

var rulesByOp = func() map[ir.OpID][]indexedRule {
	m := map[ir.OpID][]indexedRule{}
	for _, r := range fuseRules {
		id := opIDOf(r.Op)
		var from []ir.OpID
		if r.From != nil {
			from = opIDsOf(r.From)
		}
		m[id] = append(m[id], indexedRule{from, r.Fn})
	}
	return m
}()

func qualOp(n *ir.Node) string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.Op
	}
	return n.Domain + "." + n.Op
}

// graph applies the table to g's nodes until nothing changes.
func (f *fuser) graph(g *ir.Graph) (bool, error) {
	f.g = g
	fused := false
	for {
		f.pos = make(map[*ir.Node]int, len(g.Nodes))
		for i, n := range g.Nodes {
			f.pos[n] = i
		}
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			for g.Nodes[i] != nil && f.step(g.Nodes[i]) {
				changed = true
			}
		}
		nodes := g.Nodes[:0]
		for _, n := range g.Nodes {
			if n != nil {
				nodes = append(nodes, n)
			}
		}
		clear(g.Nodes[len(nodes):])
		g.Nodes = nodes
		if !changed {
			return fused, nil
		}
		fused = true
	}
}

// step applies the first row that matches n.
func (f *fuser) step(n *ir.Node) bool {
	rules := rulesByOp[n.OpID]
	if len(rules) == 0 || !f.onlyFirstOutputUsed(n) {
		return false
	}
	for _, r := range rules {
		if r.from == nil {
			if r.fn(f, n, nil) {
				return true
			}
			continue
		}
		for _, in := range n.Inputs {
			p := f.soleProducer(in, r.from...)
			if p != nil && r.fn(f, n, p) {
				return true
			}
		}
	}
	return false
}

// onlyFirstOutputUsed reports whether n's outputs other than the first are absent or unused.
func (f *fuser) onlyFirstOutputUsed(n *ir.Node) bool {
	if len(n.Outputs) == 0 || n.Outputs[0] == nil {
		return false
	}
	for _, o := range n.Outputs[1:] {
		if o != nil && f.uses[o] > 0 {
			return false
		}
	}
	return true
}

// soleProducer returns v's defining node when it is in the current graph, has one of the ops,
// and v (its first output) has exactly one use.
func (f *fuser) soleProducer(v *ir.Value, ops ...ir.OpID) *ir.Node {
	if v == nil || v.Def == nil || v.Def.Graph != f.g || f.uses[v] != 1 {
		return nil
	}
	p := v.Def
	if _, ok := f.pos[p]; !ok || f.g.Nodes[f.pos[p]] != p || p.Outputs[0] != v || !f.onlyFirstOutputUsed(p) {
		return nil
	}
	for _, o := range ops {
		if o == p.OpID {
			return p
		}
	}
	return nil
}

// soleDef returns v's defining node when its op is op, in the current graph, and v has one use.
func (f *fuser) soleDef(v *ir.Value, op string) *ir.Node {
	return f.soleProducer(v, opIDOf(op))
}

// setInputs replaces n's inputs, keeping the use counts.
func (f *fuser) setInputs(n *ir.Node, ins []*ir.Value) {
	for _, v := range ins {
		if v != nil {
			f.uses[v]++
		}
	}
	for _, v := range n.Inputs {
		if v != nil {
			f.uses[v]--
		}
	}
	n.Inputs = ins
}

// remove deletes node p (whose outputs have no uses left) from the current graph.
func (f *fuser) remove(p *ir.Node) {
	f.setInputs(p, nil)
	f.g.Nodes[f.pos[p]] = nil
	delete(f.pos, p)
}

// merge makes n the fused node of p then n (p before n in the data flow, whichever is the
// anchor): n takes op, inputs and attributes, the anchor's name, and p's merged ops before its
// own; p is removed. n keeps its position and output value.
func (f *fuser) merge(n, p *ir.Node, op, domain, name string, inputs []*ir.Value, attrs []ir.Attr) {
	ch := append(append([]string(nil), f.chainOf(p)...), f.chainOf(n)...)
	f.setInputs(n, inputs)
	f.remove(p)
	n.SetOp(op, domain)
	n.Name = name
	n.Attrs = nil
	n.SetAttrs(attrs...)
	f.chain[n] = ch
	delete(f.chain, p)
}

func (f *fuser) chainOf(n *ir.Node) []string {
	if ch, ok := f.chain[n]; ok {
		return ch
	}
	return []string{n.Op}
}

// ---- helpers on constants ----

// isF32 reports whether v is a float32 tensor.
func isF32(v *ir.Value) bool {
	return v != nil && v.Type.Kind == ir.TensorKind && v.Type.DType == runtime.Float32
}

// constF64 returns a float32 constant's elements as float64.
func constF64(v *ir.Value) []float64 {
	if v == nil || v.Const == nil || v.Const.DType != runtime.Float32 {
		return nil
	}
	src := runtime.Data[float32](v.Const)
	out := make([]float64, len(src))
	for i, x := range src {
		out[i] = float64(x)
	}
	return out
}

// channelVector reads a float32 constant that broadcasts along dim 1 only of a tensor of the
// given rank with ch channels, as a vector of ch values; ok is false when it does not.
func channelVector(v *ir.Value, rank, ch int) ([]float64, bool) {
	vals := constF64(v)
	if vals == nil || rank < 2 {
		return nil, false
	}
	shape := v.Const.Shape
	if len(shape) > rank {
		return nil, false
	}
	for i, d := range shape {
		axis := rank - len(shape) + i
		if d != 1 && (axis != 1 || d != ch) {
			return nil, false
		}
	}
	out := make([]float64, ch)
	for c := range out {
		if len(vals) == 1 {
			out[c] = vals[0]
		} else {
			out[c] = vals[c]
		}
	}
	return out, true
}

func f32Tensor(vals []float64, shape ...int) *runtime.Tensor {
	t := runtime.New(runtime.Float32, shape...)
	d := runtime.Data[float32](t)
	for i, x := range vals {
		d[i] = float32(x)
	}
	return t
}

// ---- convolution geometry ----

// convInfo is a convolution's constant weights: W as float64, its shape, the output and input
// channel counts, groups, and the bias (zeros when absent).
type convInfo struct {
	w      []float64
	wshape []int
	m, c   int
	group  int
	bias   []float64
	trans  bool // ConvTranspose: W is C x M/group x kernel
}

// readConv returns the constant weights of a float32 Conv, FusedConv or ConvTranspose, or false.
func readConv(p *ir.Node) (convInfo, bool) {
	var ci convInfo
	x, w := p.Input(0), p.Input(1)
	if !isF32(x) || !isF32(p.Outputs[0]) || w == nil || w.Const == nil || w.Const.DType != runtime.Float32 {
		return ci, false
	}
	ci.wshape = w.Const.Shape
	if len(ci.wshape) < 3 {
		return ci, false
	}
	ci.w = constF64(w)
	ci.group = int(p.GetInt("group", 1))
	if ci.group < 1 {
		return ci, false
	}
	ci.trans = p.Op == "ConvTranspose"
	if ci.trans {
		ci.c, ci.m = ci.wshape[0], ci.wshape[1]*ci.group
		if ci.c%ci.group != 0 {
			return ci, false
		}
	} else {
		ci.m, ci.c = ci.wshape[0], ci.wshape[1]*ci.group
		if ci.m%ci.group != 0 {
			return ci, false
		}
	}
	ci.bias = make([]float64, ci.m)
	if b := p.Input(2); b != nil {
		bv := constF64(b)
		if len(bv) != ci.m {
			return ci, false
		}
		copy(ci.bias, bv)
	}
	return ci, true
}

// outChannel returns the output channel of flat weight index i.
func (ci *convInfo) outChannel(i int) int {
	per := 1
	for _, d := range ci.wshape[2:] {
		per *= d
	}
	if !ci.trans {
		return i / (per * ci.wshape[1])
	}
	mg := ci.wshape[1]
	c := i / (per * mg)
	j := i / per % mg
	return c/(ci.c/ci.group)*mg + j
}

// inChannel returns the input channel of flat weight index i (for Conv).
func (ci *convInfo) inChannel(i int) int {
	per := 1
	for _, d := range ci.wshape[2:] {
		per *= d
	}
	cg := ci.wshape[1]
	m := i / (per * cg)
	return m/(ci.m/ci.group)*cg + i/per%cg
}

// linearProducer reports whether p computes a plain convolution: no fused activation or summand.
func linearProducer(p *ir.Node) bool {
	if qualOp(p) == msFusedConv {
		return p.GetString("activation", "") == "" && p.Input(3) == nil
	}
	return true
}

// rebuild replaces p's weights and bias by new constants and makes n the merged node.
func (f *fuser) rebuild(n, p *ir.Node, ci *convInfo) {
	nw, nb := f.newWeights(p, ci)
	ins := append([]*ir.Value{p.Inputs[0], nw, nb}, p.Inputs[min(3, len(p.Inputs)):]...)
	f.merge(n, p, p.Op, p.Domain, p.Name, ins, p.Attrs)
}

// ---- rules ----

// foldBatchNorm folds an inference BatchNormalization with constant parameters into p.
func foldBatchNorm(f *fuser, n, p *ir.Node) bool {
	if n.Input(0) != p.Outputs[0] || n.GetInt("training_mode", 0) != 0 || !linearProducer(p) {
		return false
	}
	ci, ok := readConv(p)
	if !ok {
		return false
	}
	scale, bias, mean, vr := constF64(n.Input(1)), constF64(n.Input(2)), constF64(n.Input(3)), constF64(n.Input(4))
	for _, v := range [][]float64{scale, bias, mean, vr} {
		if len(v) != ci.m {
			return false
		}
	}
	eps := n.GetFloat("epsilon", 1e-5)
	s, t := make([]float64, ci.m), make([]float64, ci.m)
	for c := range s {
		s[c] = scale[c] / math.Sqrt(vr[c]+eps)
		t[c] = bias[c] - mean[c]*s[c]
	}
	ci.affine(s, t)
	f.rebuild(n, p, &ci)
	return true
}

// affine makes the convolution compute y*s + t per output channel.
func (ci *convInfo) affine(s, t []float64) {
	for i := range ci.w {
		ci.w[i] *= s[ci.outChannel(i)]
	}
	for c := range ci.bias {
		ci.bias[c] = ci.bias[c]*s[c] + t[c]
	}
}

// foldAffine folds a Mul, Div, Add or Sub by a per-output-channel constant into p.
func foldAffine(f *fuser, n, p *ir.Node) bool {
	if len(n.Inputs) != 2 || !linearProducer(p) || !isF32(n.Outputs[0]) {
		return false
	}
	y := p.Outputs[0]
	k := 1 // index of the constant operand
	if n.Inputs[1] == y {
		k = 0
	}
	if n.Inputs[1-k] != y {
		return false
	}
	ci, ok := readConv(p)
	if !ok || y.Type.Rank() < 2 || !sameShape(y.Type, n.Outputs[0].Type) {
		return false
	}
	vec, ok := channelVector(n.Inputs[k], y.Type.Rank(), ci.m)
	if !ok {
		return false
	}
	s, t := make([]float64, ci.m), make([]float64, ci.m)
	for c, v := range vec {
		s[c] = 1
		switch {
		case n.Op == "Mul":
			s[c] = v
		case n.Op == "Div" && k == 1:
			s[c] = 1 / v
		case n.Op == "Add":
			t[c] = v
		case n.Op == "Sub" && k == 1:
			t[c] = -v
		case n.Op == "Sub":
			s[c], t[c] = -1, v
		default: // constant divided by the convolution
			return false
		}
	}
	ci.affine(s, t)
	f.rebuild(n, p, &ci)
	return true
}

// sameShape reports whether two types provably have one shape (ir.SameShape).
func sameShape(a, b ir.Type) bool { return ir.SameShape(a, b) }

// fuseResidual makes Add(conv, z), z a tensor of the output's shape, FusedConv's summand.
func fuseResidual(f *fuser, n, p *ir.Node) bool {
	if len(n.Inputs) != 2 || !linearProducer(p) || len(p.Inputs) > 3 {
		return false
	}
	y := p.Outputs[0]
	z := n.Inputs[0]
	if z == y {
		z = n.Inputs[1]
	}
	if z == y || z.Const != nil || !floatF32or64(y) || z.Type.DType != y.Type.DType ||
		!sameShape(y.Type, z.Type) || !sameShape(y.Type, n.Outputs[0].Type) {
		return false
	}
	ins := []*ir.Value{p.Inputs[0], p.Inputs[1], p.Input(2), z}
	f.merge(n, p, "FusedConv", "com.microsoft", p.Name, ins, p.Attrs)
	return true
}

func floatF32or64(v *ir.Value) bool {
	return v.Type.Kind == ir.TensorKind && (v.Type.DType == runtime.Float32 || v.Type.DType == runtime.Float64)
}

// zeroPadding reports whether a Conv node pads nothing.
func zeroPadding(n *ir.Node) bool {
	switch n.GetString("auto_pad", "NOTSET") {
	case "VALID":
		return true
	case "NOTSET", "":
	default:
		return false
	}
	for _, v := range n.GetInts("pads", nil) {
		if v != 0 {
			return false
		}
	}
	return true
}

// inputAffine reads the Mul or Add p before Conv n: the non-constant operand and the
// per-input-channel constant.
func inputAffine(n, p *ir.Node) (x *ir.Value, vec []float64, ci convInfo, ok bool) {
	if n.Input(0) != p.Outputs[0] {
		return nil, nil, ci, false
	}
	if ci, ok = readConv(n); !ok {
		return nil, nil, ci, false
	}
	x, vec, ok = channelOperand(p, ci.c)
	return x, vec, ci, ok
}

// channelOperand reads a binary op of a float32 tensor x and a constant that broadcasts along
// x's channels (ch of them) without growing x: x and the constant as a vector.
func channelOperand(p *ir.Node, ch int) (x *ir.Value, vec []float64, ok bool) {
	if len(p.Inputs) != 2 || !isF32(p.Outputs[0]) {
		return nil, nil, false
	}
	k := 1
	if p.Inputs[0].Const != nil {
		k = 0
	}
	x = p.Inputs[1-k]
	if x.Const != nil || !sameShape(x.Type, p.Outputs[0].Type) {
		return nil, nil, false
	}
	vec, ok = channelVector(p.Inputs[k], x.Type.Rank(), ch)
	return x, vec, ok
}

// foldInputScale folds Mul(x, s) before a Conv into its weights: padding zeros scale to zeros.
func foldInputScale(f *fuser, n, p *ir.Node) bool {
	x, s, ci, ok := inputAffine(n, p)
	if !ok {
		return false
	}
	for i := range ci.w {
		ci.w[i] *= s[ci.inChannel(i)]
	}
	f.refold(n, p, x, &ci)
	return true
}

// foldInputShift folds Add(x, t) before a Conv without padding into its bias: each output
// gains the sum of its taps times t.
func foldInputShift(f *fuser, n, p *ir.Node) bool {
	if !zeroPadding(n) {
		return false
	}
	x, t, ci, ok := inputAffine(n, p)
	if !ok {
		return false
	}
	for i, w := range ci.w {
		ci.bias[ci.outChannel(i)] += w * t[ci.inChannel(i)]
	}
	f.refold(n, p, x, &ci)
	return true
}

// foldInputScaleBeforeShift handles Add(Mul(x, s), t) before a Conv whose padding keeps the
// Add (padding zeros would have to become t): the Add computes x + t/s instead and s folds into
// the weights, one elementwise pass fewer. s must have no zeros.
func foldInputScaleBeforeShift(f *fuser, n, p *ir.Node) bool {
	if n.Input(0) != p.Outputs[0] {
		return false
	}
	ci, ok := readConv(n)
	if !ok {
		return false
	}
	m, t, ok := channelOperand(p, ci.c)
	if !ok {
		return false
	}
	mul := f.soleDef(m, "Mul")
	if mul == nil {
		return false
	}
	x, s, ok := channelOperand(mul, ci.c)
	if !ok {
		return false
	}
	for _, v := range s {
		if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return false
		}
	}
	shifted := make([]float64, ci.c)
	for c := range shifted {
		shifted[c] = t[c] / s[c]
	}
	for i := range ci.w {
		ci.w[i] *= s[ci.inChannel(i)]
	}
	shape := make([]int, x.Type.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = ci.c
	f.setInputs(p, []*ir.Value{x, p.Graph.AddConst("", f32Tensor(shifted, shape...))})
	f.chain[n] = append(f.chainOf(mul), f.chainOf(n)...)
	f.remove(mul)
	nw, nb := f.newWeights(n, &ci)
	f.setInputs(n, append([]*ir.Value{p.Outputs[0], nw, nb}, n.Inputs[min(3, len(n.Inputs)):]...))
	return true
}

// newWeights adds constants for n's weights and bias as ci holds them.
func (f *fuser) newWeights(n *ir.Node, ci *convInfo) (w, b *ir.Value) {
	old := n.Input(1)
	bname := old.Name + "_bias"
	if ob := n.Input(2); ob != nil {
		bname = ob.Name
	}
	return n.Graph.AddConst(old.Name, f32Tensor(ci.w, ci.wshape...)), n.Graph.AddConst(bname, f32Tensor(ci.bias, ci.m))
}

// refold gives Conv n new weights and bias and input x, absorbing p.
func (f *fuser) refold(n, p *ir.Node, x *ir.Value, ci *convInfo) {
	nw, nb := f.newWeights(n, ci)
	ins := append([]*ir.Value{x, nw, nb}, n.Inputs[min(3, len(n.Inputs)):]...)
	f.merge(n, p, n.Op, n.Domain, n.Name, ins, n.Attrs)
}

// canonHardSwish rewrites x * Clip(x + 3, 0, 6) / 6 (and the forms with the factors in another
// order, or a multiplication by 1/6) as HardSwish(x). n is the final Div or Mul.
func canonHardSwish(f *fuser, n, _ *ir.Node) bool {
	if len(n.Inputs) != 2 || !floatF32or64(n.Outputs[0]) {
		return false
	}
	// The final op divides by 6 or multiplies by 1/6; its other operand is x * clip or
	// (x * (clip / 6)).
	var prod *ir.Node
	var divided bool
	if n.Op == "Div" {
		if !isConstNear(n.Inputs[1], 6) {
			return false
		}
		prod, divided = f.soleDef(n.Inputs[0], "Mul"), true
	} else {
		for k := 0; k < 2 && prod == nil; k++ {
			if isConstNear(n.Inputs[k], 1.0/6) {
				prod, divided = f.soleDef(n.Inputs[1-k], "Mul"), true
			}
		}
		if prod == nil {
			prod = n // x * (clip / 6)
		}
	}
	if prod == nil || len(prod.Inputs) != 2 {
		return false
	}
	for k := 0; k < 2; k++ {
		x, other := prod.Inputs[k], prod.Inputs[1-k]
		inner := other
		var scale *ir.Node
		if !divided {
			// other is clip / 6 or clip * (1/6).
			if d := f.soleDef(other, "Div"); d != nil && isConstNear(d.Input(1), 6) {
				scale, inner = d, d.Inputs[0]
			} else if mu := f.soleDef(other, "Mul"); mu != nil {
				for j := 0; j < 2; j++ {
					if isConstNear(mu.Inputs[j], 1.0/6) {
						scale, inner = mu, mu.Inputs[1-j]
					}
				}
			}
			if scale == nil {
				continue
			}
		}
		clip := f.soleDef(inner, "Clip")
		if clip == nil || !isConstNear(clip.Input(1), 0) || !isConstNear(clip.Input(2), 6) {
			continue
		}
		add := f.soleDef(clip.Inputs[0], "Add")
		if add == nil || len(add.Inputs) != 2 {
			continue
		}
		if !(add.Inputs[0] == x && isConstNear(add.Inputs[1], 3)) && !(add.Inputs[1] == x && isConstNear(add.Inputs[0], 3)) {
			continue
		}
		if x.Type.DType != n.Outputs[0].Type.DType || !sameShape(x.Type, n.Outputs[0].Type) {
			continue
		}
		for _, dead := range []*ir.Node{scale, add, clip} {
			if dead != nil {
				f.remove(dead)
			}
		}
		if prod != n {
			f.remove(prod)
		}
		f.setInputs(n, []*ir.Value{x})
		n.SetOp("HardSwish", "")
		n.Attrs = nil
		return true
	}
	return false
}

// canonGelu rewrites 0.5 * x * (1 + erf(x / sqrt2)), as torch exports GELU below opset 20 (the
// factors in any order, the division possibly a multiplication by 1/sqrt2), as Gelu(x). n is
// the final Mul.
func canonGelu(f *fuser, n, _ *ir.Node) bool {
	if len(n.Inputs) != 2 || !floatF32or64(n.Outputs[0]) {
		return false
	}
	y := n.Outputs[0]
	// halfOf returns the operand of a Mul by 0.5 that has one use.
	halfOf := func(v *ir.Value) (*ir.Node, *ir.Value) {
		if m := f.soleDef(v, "Mul"); m != nil && len(m.Inputs) == 2 {
			for k := 0; k < 2; k++ {
				if isConstNear(m.Inputs[k], 0.5) {
					return m, m.Inputs[1-k]
				}
			}
		}
		return nil, nil
	}
	for k := 0; k < 2; k++ {
		u, v := n.Inputs[k], n.Inputs[1-k]
		var x, a *ir.Value
		var mid *ir.Node
		if isConstNear(u, 0.5) {
			// (x * a) * 0.5
			if mid = f.soleDef(v, "Mul"); mid == nil || len(mid.Inputs) != 2 {
				continue
			}
			x, a = mid.Inputs[0], mid.Inputs[1]
			if geluArg(f, a) != x {
				x, a = a, x
			}
		} else if m, w := halfOf(v); m != nil {
			mid, x, a = m, u, w // x * (a * 0.5)
		} else if m, w := halfOf(u); m != nil {
			mid, x, a = m, w, v // (x * 0.5) * a
		} else {
			continue
		}
		if x == nil || geluArg(f, a) != x || x.Type.DType != y.Type.DType || !sameShape(x.Type, y.Type) {
			continue
		}
		add := a.Def
		erf := f.soleDef(add.Inputs[0], "Erf")
		if erf == nil {
			erf = f.soleDef(add.Inputs[1], "Erf")
		}
		scale := erf.Inputs[0].Def
		for _, dead := range []*ir.Node{mid, add, erf, scale} {
			f.remove(dead)
		}
		f.setInputs(n, []*ir.Value{x})
		n.SetOp("Gelu", "")
		n.Attrs = nil
		return true
	}
	return false
}

// geluArg returns x when a is 1 + erf(x / sqrt2) (or erf(x * (1/sqrt2)) + 1), each step's value
// having one use; nil otherwise.
func geluArg(f *fuser, a *ir.Value) *ir.Value {
	add := f.soleDef(a, "Add")
	if add == nil || len(add.Inputs) != 2 {
		return nil
	}
	for k := 0; k < 2; k++ {
		if !isConstNear(add.Inputs[1-k], 1) {
			continue
		}
		erf := f.soleDef(add.Inputs[k], "Erf")
		if erf == nil || len(erf.Inputs) != 1 {
			continue
		}
		if d := f.soleDef(erf.Inputs[0], "Div"); d != nil && len(d.Inputs) == 2 && isConstNear(d.Inputs[1], math.Sqrt2) {
			return d.Inputs[0]
		}
		if m := f.soleDef(erf.Inputs[0], "Mul"); m != nil && len(m.Inputs) == 2 {
			for j := 0; j < 2; j++ {
				if isConstNear(m.Inputs[j], 1/math.Sqrt2) {
					return m.Inputs[1-j]
				}
			}
		}
	}
	return nil
}

// isConstNear reports whether v is a one-element float constant equal to want (to float32
// rounding).
func isConstNear(v *ir.Value, want float64) bool {
	if v == nil || v.Const == nil || v.Const.Len() != 1 {
		return false
	}
	var got float64
	switch v.Const.DType {
	case runtime.Float32:
		got = float64(runtime.Data[float32](v.Const)[0])
	case runtime.Float64:
		got = runtime.Data[float64](v.Const)[0]
	default:
		return false
	}
	return float32(got) == float32(want)
}

// fuseActivation makes activation n part of the Conv or Gemm p.
func fuseActivation(f *fuser, n, p *ir.Node) bool {
	y := p.Outputs[0]
	if n.Input(0) != y || !floatF32or64(y) || n.Outputs[0].Type.DType != y.Type.DType || p.GetString("activation", "") != "" {
		return false
	}
	var params []float64
	switch n.Op {
	case "LeakyRelu":
		params = []float64{n.GetFloat("alpha", 0.01)}
	case "HardSigmoid":
		params = []float64{n.GetFloat("alpha", 0.2), n.GetFloat("beta", 0.5)}
	case "Clip":
		lo, hi := math.Inf(-1), math.Inf(1)
		for i, b := range []*float64{&lo, &hi} {
			v := n.Input(1 + i)
			if v == nil {
				continue
			}
			if v.Const == nil || v.Const.Len() != 1 || v.Const.DType != y.Type.DType {
				return false
			}
			*b = constScalar(v.Const)
		}
		params = []float64{lo, hi}
	}
	if n.Op == "Gelu" && n.GetString("approximate", "none") != "none" {
		return false
	}
	attrs := append([]ir.Attr(nil), p.Attrs...)
	if qualOp(p) == matMulBiasOp {
		attrs = append(attrs, ir.String("activation", n.Op))
		if params != nil {
			attrs = append(attrs, ir.Floats("activation_params", params...))
		}
		f.merge(n, p, p.Op, p.Domain, p.Name, p.Inputs, attrs)
		return true
	}
	if qualOp(p) == "Conv" || qualOp(p) == msFusedConv {
		attrs = append(attrs, ir.String("activation", n.Op))
		if params != nil {
			attrs = append(attrs, ir.Floats("activation_params", params...))
		}
		f.merge(n, p, "FusedConv", "com.microsoft", p.Name, p.Inputs, attrs)
		return true
	}
	attrs = append(attrs, ir.String("activation", n.Op))
	if len(params) > 0 {
		attrs = append(attrs, ir.Float("activation_alpha", params[0]))
	}
	if len(params) > 1 {
		attrs = append(attrs, ir.Float("activation_beta", params[1]))
	}
	f.merge(n, p, "FusedGemm", "com.microsoft", p.Name, p.Inputs, attrs)
	return true
}

func constScalar(t *runtime.Tensor) float64 {
	if t.DType == runtime.Float64 {
		return runtime.Data[float64](t)[0]
	}
	return float64(runtime.Data[float32](t)[0])
}

// matMulAddToGemm turns MatMul(a, b) + c, a and b matrices and c broadcasting to the product's
// shape, into Gemm(a, b, c).
func matMulAddToGemm(f *fuser, n, p *ir.Node) bool {
	y := p.Outputs[0]
	if len(n.Inputs) != 2 || len(p.Inputs) != 2 {
		return false
	}
	c := n.Inputs[1]
	if c == y {
		c = n.Inputs[0]
	}
	a, b := p.Inputs[0], p.Inputs[1]
	if matMulBias(f, n, p, c) {
		return true
	}
	if c == y || !floatF32or64(y) || a.Type.Rank() != 2 || b.Type.Rank() != 2 || c.Type.DType != y.Type.DType ||
		!sameShape(y.Type, n.Outputs[0].Type) || c.Type.Rank() < 0 || c.Type.Rank() > 2 {
		return false
	}
	cs, ok := c.Type.StaticShape()
	if !ok {
		return false
	}
	// c must broadcast to M x N without growing it (M may be symbolic where c's dim is 1).
	for i, d := range cs {
		if want := y.Type.Shape[2-len(cs)+i]; d != 1 && (!want.IsStatic() || int(want.N) != d) {
			return false
		}
	}
	f.merge(n, p, "Gemm", "", p.Name, []*ir.Value{a, b, c}, nil)
	return true
}

// matMulBias makes MatMul(a, B) + c, for A of rank 3 or more (Gemm takes matrices), B a
// constant float32 matrix and c one value per column ([N], or [1, ..., 1, N]), one
// onnxc.MatMulBias, whose GEMM adds c as it stores the product.
func matMulBias(f *fuser, n, p *ir.Node, c *ir.Value) bool {
	y := p.Outputs[0]
	a, b := p.Inputs[0], p.Inputs[1]
	if c == y || !isF32(y) || !isF32(a) || a.Type.Rank() < 3 || b.Const == nil || b.Const.DType != runtime.Float32 ||
		len(b.Const.Shape) != 2 || c.Const == nil || !isF32(c) || !sameShape(y.Type, n.Outputs[0].Type) {
		return false
	}
	cs := c.Const.Shape
	if len(cs) == 0 || len(cs) > len(y.Type.Shape) || cs[len(cs)-1] != b.Const.Shape[1] {
		return false
	}
	for _, d := range cs[:len(cs)-1] {
		if d != 1 {
			return false
		}
	}
	bias := c
	if len(cs) > 1 {
		bias = n.Graph.AddConst(c.Name, f32Tensor(constF64(c), cs[len(cs)-1]))
	}
	f.merge(n, p, "MatMulBias", ops.FusedDomain, p.Name, []*ir.Value{a, b, bias}, nil)
	return true
}

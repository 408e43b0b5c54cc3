package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// Quantized writes a model's dynamic quantization as a standard ONNX model, in the form
// onnxruntime's quantize_dynamic writes, so that users can run it in onnxruntime and compare:
//
//	MatMul(A, B)     -> DynamicQuantizeLinear(A) -> MatMulInteger(A_q, B_q, A_zp) -> Cast(float)
//	                    -> Mul(., Mul(A_scale, B_scale))
//	Gemm(A, B, C)    -> the same, alpha folded into B_scale, then Add(., beta*C)
//	Conv(X, W, bias) -> DynamicQuantizeLinear(X) -> ConvInteger(X_q, W_q, X_zp, 128) -> Cast
//	                    -> Mul(., Mul(X_scale, W_scale)) [-> Add(., bias)]
//	Gather(T, ids)   -> Gather(T_q, ids) -> DequantizeLinear(., T_scale, T_zp)
//	LSTM(X, W, R...) -> com.microsoft.DynamicQuantizeLSTM(X, W_q, R_q, ..., scales, zero points)
//
// The decisions are the compiler's (passes.Quantize with the same options): the same op types,
// names, per-channel and reduce-range choices, and the same int8 weights and scales
// (passes.QuantizeWeights), so onnxc compiles the written chains into the kernels that
// --quantize dynamic gives. Convolution weights are written as uint8 q+128 with zero point 128,
// which is q exactly: onnxruntime's ConvInteger takes uint8 weights only. With uint8 weights
// (WeightType) the weights and their zero points are written as they are; a convolution's
// per channel stays float32, since onnxruntime's ConvInteger takes one zero point. One
// DynamicQuantizeLinear serves every node that quantizes the same value. Only the main graph's
// nodes are rewritten; nodes inside subgraphs stay float32 (and are reported so). Initializers
// stored as external data are written inline, so the output stands alone.
//
// opt.Remarks receives the decision for every candidate node.
func Quantized(data []byte, dir, source string, opt *passes.QuantizeOptions) (out []byte, err error) {
	if opt == nil {
		return nil, errors.New("no quantization options")
	}
	if opt.PerRow {
		// DynamicQuantizeLinear has one scale per tensor, and onnxruntime's MatMulInteger and
		// ConvInteger take one zero point for their input.
		return nil, fmt.Errorf("%s: per-row activation quantization is not written: the chains onnxruntime's quantizer writes (DynamicQuantizeLinear) quantize per tensor; compile with --per-row instead", source)
	}
	// The model is imported first, so a hostile file gets the importer's checks and errors.
	if _, err := Decode(data, dir, source); err != nil {
		return nil, err
	}
	imp := &importer{source: source, dir: dir, funcs: map[string]*onnxpb.FunctionProto{}}
	defer func() {
		if imp.root != nil {
			imp.root.Close()
		}
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: %w: %v", source, errMalformed, r)
		}
	}()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	w := &qwriter{imp: imp, opt: opt, g: mp.Graph, names: map[string]bool{}, dql: map[string][3]string{}, consts: map[string]*onnxpb.TensorProto{}, done: map[weightUse][3]string{}}
	w.collectNames(mp.Graph)
	// DynamicQuantizeLinear needs opset 11: older models are moved to it where their ops mean
	// the same there, as onnxruntime's quantizer moves them.
	for _, o := range mp.OpsetImport {
		if normDomain(o.GetDomain()) == "" && o.GetVersion() < 11 {
			if err := w.upgrade(mp.Graph, int(o.GetVersion())); err != nil {
				return nil, fmt.Errorf("%s: imports ai.onnx opset %d, and DynamicQuantizeLinear needs opset 11: %w (convert the model to opset 11 or later first)", source, o.GetVersion(), err)
			}
			o.Version = proto.Int64(11)
		}
	}
	for _, tp := range mp.Graph.Initializer {
		w.consts[tp.GetName()] = tp
	}
	for _, in := range mp.Graph.Input {
		delete(w.consts, in.GetName()) // an initializer that is also an input can be overridden
	}
	var nodes []*onnxpb.NodeProto
	for _, np := range mp.Graph.Node {
		if np.GetDomain() == "" && np.GetOpType() == "Constant" && len(np.Output) == 1 {
			for _, a := range np.Attribute {
				if a.GetName() == "value" && a.T != nil {
					w.consts[np.Output[0]] = a.T
				}
			}
		}
		// Exporters share a weight between layers through Identity (torch does).
		if np.GetDomain() == "" && np.GetOpType() == "Identity" && len(np.Input) == 1 && len(np.Output) == 1 && w.consts[np.Input[0]] != nil {
			w.consts[np.Output[0]] = w.consts[np.Input[0]]
		}
		rewritten, err := w.node(np)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", source, describe(np), err)
		}
		nodes = append(nodes, rewritten...)
		w.subgraphRemarks(np)
	}
	mp.Graph.Node = nodes
	if w.msOps && !slices.ContainsFunc(mp.OpsetImport, func(o *onnxpb.OperatorSetIdProto) bool { return o.GetDomain() == "com.microsoft" }) {
		mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("com.microsoft"), Version: proto.Int64(1)})
	}
	w.dropUnused(&mp)
	if err := w.inlineExternal(mp.Graph); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return proto.Marshal(&mp)
}

type qwriter struct {
	imp    *importer
	opt    *passes.QuantizeOptions
	g      *onnxpb.GraphProto
	names  map[string]bool
	dql    map[string][3]string // a quantized value's DynamicQuantizeLinear outputs
	consts map[string]*onnxpb.TensorProto
	// done are the quantized weights (initializer names: int8 values, scales) by float weight
	// and use, so that a weight shared by several nodes stays one.
	done map[weightUse][3]string // weights, scales, zero point ("" for none)
	// msOps says the written model holds com.microsoft ops, whose opset it must import.
	msOps bool
}

type weightUse struct {
	w    *onnxpb.TensorProto
	kind string // matmul, gemm-trans, conv
}

func (w *qwriter) collectNames(g *onnxpb.GraphProto) {
	for _, v := range slices.Concat(g.Input, g.Output, g.ValueInfo) {
		w.names[v.GetName()] = true
	}
	for _, t := range g.Initializer {
		w.names[t.GetName()] = true
	}
	for _, n := range g.Node {
		w.names[n.GetName()] = true
		for _, o := range slices.Concat(n.Input, n.Output) {
			w.names[o] = true
		}
		for _, sg := range subgraphs(n) {
			w.collectNames(sg)
		}
	}
}

// fresh returns base, or base with a number, not yet used in the model.
func (w *qwriter) fresh(base string) string {
	name := base
	for i := 1; w.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	w.names[name] = true
	return name
}

func (w *qwriter) remark(np *onnxpb.NodeProto, op string, ok bool, why string) {
	w.opt.Remarks = append(w.opt.Remarks, passes.QuantizeRemark{Node: describe(np), Op: op, Quantized: ok, Why: why})
}

// constant returns the float32 constant (initializer or Constant) of that name.
func (w *qwriter) constant(name string) (*runtime.Tensor, error) {
	tp := w.consts[name]
	if name == "" || tp == nil || tp.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
		return nil, nil
	}
	return w.imp.tensor(tp)
}

func attrInt(np *onnxpb.NodeProto, name string, def int64) int64 {
	for _, a := range np.Attribute {
		if a.GetName() == name {
			return a.GetI()
		}
	}
	return def
}

func attrFloat(np *onnxpb.NodeProto, name string, def float32) float32 {
	for _, a := range np.Attribute {
		if a.GetName() == name {
			return a.GetF()
		}
	}
	return def
}

// node returns the nodes that replace np: np itself when it stays float32.
func (w *qwriter) node(np *onnxpb.NodeProto) ([]*onnxpb.NodeProto, error) {
	op := np.GetOpType()
	if np.GetDomain() != "" && np.GetDomain() != "ai.onnx" {
		return []*onnxpb.NodeProto{np}, nil
	}
	switch op {
	case "MatMul", "Gemm", "Conv", "Gather", "LSTM":
	case "GRU", "RNN", "Attention":
		why := w.opt.Selects(op, np.GetName())
		switch {
		case why != "":
		case op == "Attention":
			why = "no constant weights (Q, K and V are inputs; their MatMuls quantize as MatMul)"
		default:
			why = "onnxruntime has no quantized " + op + " op: float32 in the written model (the compiler quantizes it)"
		}
		w.remark(np, op, false, why)
		return []*onnxpb.NodeProto{np}, nil
	default:
		return []*onnxpb.NodeProto{np}, nil
	}
	if why := w.opt.Selects(op, np.GetName()); why != "" {
		w.remark(np, op, false, why)
		return []*onnxpb.NodeProto{np}, nil
	}
	var nodes []*onnxpb.NodeProto
	var why string
	var err error
	switch op {
	case "Gather":
		nodes, why, err = w.gather(np)
	case "Conv":
		nodes, why, err = w.conv(np)
	case "LSTM":
		nodes, why, err = w.lstm(np)
	default:
		nodes, why, err = w.matMul(np, op)
	}
	if err != nil {
		return nil, err
	}
	if why != "" {
		w.remark(np, op, false, why)
		return []*onnxpb.NodeProto{np}, nil
	}
	how := "per tensor"
	if w.opt.PerChannel {
		how = "per channel"
	}
	if op == "Gather" {
		how = w.gatherHow()
	}
	w.remark(np, op, true, how)
	return nodes, nil
}

// quantizeInput returns the DynamicQuantizeLinear of x (new when x has none yet) and its
// outputs: quantized, scale, zero point.
func (w *qwriter) quantizeInput(x string) ([]*onnxpb.NodeProto, [3]string) {
	if q, ok := w.dql[x]; ok {
		return nil, q
	}
	q := [3]string{w.fresh(x + "_quantized"), w.fresh(x + "_scale"), w.fresh(x + "_zero_point")}
	w.dql[x] = q
	return []*onnxpb.NodeProto{{Name: proto.String(w.fresh(x + "_QuantizeLinear")), OpType: proto.String("DynamicQuantizeLinear"), Input: []string{x}, Output: q[:]}}, q
}

func (w *qwriter) init(name string, t *runtime.Tensor) string {
	name = w.fresh(name)
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(runtime.WriteTensorProto(name, t), &tp); err != nil {
		panic(err) // runtime writes valid TensorProtos
	}
	w.g.Initializer = append(w.g.Initializer, &tp)
	return name
}

func newNode(name, op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

// epilogue appends Cast(float) -> Mul(., Mul(y_scale, wScale)) [-> Add(., bias)] after the
// integer product prod, the last node writing out.
func (w *qwriter) epilogue(nodes []*onnxpb.NodeProto, base, prod, yScale, wScale, bias, out string) []*onnxpb.NodeProto {
	cast, scale := w.fresh(base+"_output_float"), w.fresh(base+"_scale")
	nodes = append(nodes,
		newNode(w.fresh(base+"_cast"), "Cast", []string{prod}, []string{cast},
			&onnxpb.AttributeProto{Name: proto.String("to"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(onnxpb.TensorProto_FLOAT))}),
		newNode(w.fresh(base+"_scales_mul"), "Mul", []string{yScale, wScale}, []string{scale}))
	if bias == "" {
		return append(nodes, newNode(w.fresh(base+"_output_scale_mul"), "Mul", []string{cast, scale}, []string{out}))
	}
	scaled := w.fresh(base + "_output_scaled")
	return append(nodes,
		newNode(w.fresh(base+"_output_scale_mul"), "Mul", []string{cast, scale}, []string{scaled}),
		newNode(w.fresh(base+"_bias_add"), "Add", []string{scaled, bias}, []string{out}))
}

func baseName(np *onnxpb.NodeProto) string {
	if np.GetName() != "" {
		return np.GetName()
	}
	return np.Output[0]
}

// matMul rewrites MatMul or Gemm np; why says why it stays float32.
func (w *qwriter) matMul(np *onnxpb.NodeProto, op string) ([]*onnxpb.NodeProto, string, error) {
	if len(np.Input) < 2 || len(np.Output) != 1 {
		return nil, "not two inputs and one output", nil
	}
	b, err := w.constant(np.Input[1])
	if err != nil {
		return nil, "", err
	}
	if b == nil || len(b.Shape) != 2 || b.Len() == 0 {
		return nil, "B is not a constant float32 matrix", nil
	}
	trans := op == "Gemm" && attrInt(np, "transB", 0) != 0
	k, n := b.Shape[0], b.Shape[1]
	if trans {
		k, n = n, k
	}
	var bias []float32
	alpha := float32(1)
	if op == "Gemm" {
		if attrInt(np, "transA", 0) != 0 {
			return nil, "transA", nil
		}
		alpha = attrFloat(np, "alpha", 1)
		if len(np.Input) > 2 && np.Input[2] != "" {
			c, err := w.constant(np.Input[2])
			if err != nil {
				return nil, "", err
			}
			if bias = passes.VectorOf(c, n, attrFloat(np, "beta", 1)); bias == nil {
				return nil, "C is not a constant vector over the columns", nil
			}
		}
	}
	use := weightUse{w.consts[np.Input[1]], "matmul"}
	if trans {
		use.kind = "gemm-trans"
	}
	if alpha != 1 {
		use.w = nil // alpha is in the scales: not shared
	}
	names, ok := w.done[use]
	if !ok {
		var wq, zp *runtime.Tensor
		var scale []float32
		if w.opt.WeightType == runtime.Uint8 {
			var q, z []uint8
			q, scale, z = passes.QuantizeWeightsUint8(runtime.Data[float32](b), k, n, trans, w.opt.PerChannel, w.opt.ReduceRange)
			wq = runtime.New(runtime.Uint8, k, n)
			copy(runtime.Data[uint8](wq), q)
			zp = runtime.New(runtime.Uint8, len(z))
			if len(z) == 1 {
				zp = runtime.New(runtime.Uint8)
			}
			copy(runtime.Data[uint8](zp), z)
		} else {
			var q []int8
			q, scale = passes.QuantizeWeights(runtime.Data[float32](b), k, n, trans, w.opt.PerChannel, w.opt.ReduceRange)
			wq = runtime.New(runtime.Int8, k, n)
			copy(runtime.Data[int8](wq), q)
		}
		for i := range scale {
			scale[i] *= alpha
		}
		names = [3]string{w.init(np.Input[1]+"_quantized", wq), w.init(np.Input[1]+"_scale", runtime.FromFloat32([]int{len(scale)}, scale)), ""}
		if zp != nil {
			names[2] = w.init(np.Input[1]+"_zero_point", zp)
		}
		if use.w != nil {
			w.done[use] = names
		}
	}
	wName, sName := names[0], names[1]
	base := baseName(np)
	nodes, y := w.quantizeInput(np.Input[0])
	prod := w.fresh(base + "_output_quantized")
	ins := []string{y[0], wName, y[2]}
	if names[2] != "" {
		ins = append(ins, names[2])
	}
	nodes = append(nodes, newNode(w.fresh(base+"_quant"), "MatMulInteger", ins, []string{prod}))
	biasName := ""
	if bias != nil {
		biasName = w.init(base+"_bias", runtime.FromFloat32([]int{n}, bias))
	}
	return w.epilogue(nodes, base, prod, y[1], sName, biasName, np.Output[0]), "", nil
}

// lstm rewrites LSTM np as onnxruntime's com.microsoft.DynamicQuantizeLSTM, with the int8
// weights and scales of the compiler (passes.RecurrentWeights), stored transposed as that op
// takes them ([dirs, I, 4H] and [dirs, H, 4H]), and zero points 0; why says why it stays
// float32.
func (w *qwriter) lstm(np *onnxpb.NodeProto) ([]*onnxpb.NodeProto, string, error) {
	if len(np.Input) < 3 {
		return nil, "fewer than three inputs", nil
	}
	if attrInt(np, "layout", 0) != 0 {
		return nil, "layout 1: DynamicQuantizeLSTM takes layout 0 only", nil
	}
	ins := make([]string, 12)
	copy(ins, np.Input)
	for i := 1; i <= 2; i++ {
		t, err := w.constant(np.Input[i])
		if err != nil {
			return nil, "", err
		}
		if t == nil || len(t.Shape) != 3 || t.Len() == 0 {
			return nil, "W or R is not a constant float32 tensor", nil
		}
		q, scale := passes.RecurrentWeights(t, w.opt.PerChannel, w.opt.ReduceRange)
		dirs, gh := t.Shape[0], t.Shape[1]
		tq := &runtime.Tensor{}
		if err := runtime.Transpose(runtime.NewExec(nil), &runtime.TransposeParams{Perm: []int{0, 2, 1}}, []*runtime.Tensor{tq}, []*runtime.Tensor{q}); err != nil {
			return nil, "", err
		}
		shape := []int{dirs}
		if w.opt.PerChannel {
			shape = []int{dirs, gh}
		}
		scale.Shape = shape
		base := np.Input[i]
		ins[i] = w.init(base+"_quantized", tq)
		ins[6+2*i] = w.init(base+"_scale", scale)
		ins[7+2*i] = w.init(base+"_zero_point", runtime.New(runtime.Int8, shape...))
	}
	for len(ins) > 0 && ins[len(ins)-1] == "" {
		ins = ins[:len(ins)-1]
	}
	var attrs []*onnxpb.AttributeProto
	for _, a := range np.Attribute {
		if a.GetName() != "layout" {
			attrs = append(attrs, a)
		}
	}
	q := newNode(w.fresh(baseName(np)+"_quant"), "DynamicQuantizeLSTM", ins, np.Output, attrs...)
	q.Domain = proto.String("com.microsoft")
	w.msOps = true
	return []*onnxpb.NodeProto{q}, "", nil
}

// conv rewrites Conv np; why says why it stays float32.
func (w *qwriter) conv(np *onnxpb.NodeProto) ([]*onnxpb.NodeProto, string, error) {
	if len(np.Input) < 2 || len(np.Output) != 1 {
		return nil, "not two inputs and one output", nil
	}
	wt, err := w.constant(np.Input[1])
	if err != nil {
		return nil, "", err
	}
	switch {
	case wt == nil || len(wt.Shape) < 3 || wt.Len() == 0:
		return nil, "W is not a constant float32 kernel", nil
	case attrInt(np, "group", 1) != 1:
		return nil, "grouped (depthwise) convolution: the float32 kernel is faster", nil
	}
	m := wt.Shape[0]
	k := wt.Len() / m
	var bias []float32
	if len(np.Input) > 2 && np.Input[2] != "" {
		c, err := w.constant(np.Input[2])
		if err != nil {
			return nil, "", err
		}
		if bias = passes.VectorOf(c, m, 1); bias == nil || len(c.Shape) != 1 {
			return nil, "bias is not a constant vector over the output channels", nil
		}
	}
	// Per-channel scales and the bias broadcast over the output's channel axis: [M, 1, ...].
	chanShape := make([]int, len(wt.Shape)-1)
	for i := range chanShape {
		chanShape[i] = 1
	}
	u8 := w.opt.WeightType == runtime.Uint8
	if u8 && w.opt.PerChannel {
		return nil, "uint8 weights per channel: onnxruntime's ConvInteger takes one weight zero point (use int8 weights or per tensor)", nil
	}
	use := weightUse{w.consts[np.Input[1]], "conv"}
	names, ok := w.done[use]
	if !ok {
		// uint8 values, the output channel first; int8 weights as q+128 with the zero point
		// 128 (the same values).
		var u []uint8
		var scale []float32
		zp := []uint8{128}
		if u8 {
			u, scale, zp = passes.QuantizeWeightsUint8(runtime.Data[float32](wt), k, m, true, false, w.opt.ReduceRange)
		} else {
			var q []int8
			q, scale = passes.QuantizeWeights(runtime.Data[float32](wt), k, m, true, w.opt.PerChannel, w.opt.ReduceRange)
			u = make([]uint8, len(q))
			for i, v := range q {
				u[i] = uint8(int(v) + 128)
			}
		}
		wq := runtime.New(runtime.Uint8, wt.Shape...)
		d := runtime.Data[uint8](wq)
		for p := 0; p < k; p++ {
			for j := 0; j < m; j++ {
				d[j*k+p] = u[p*m+j] // u is k x m, channels as columns
			}
		}
		z := runtime.New(runtime.Uint8)
		runtime.Data[uint8](z)[0] = zp[0]
		chanShape[0] = len(scale)
		names = [3]string{w.init(np.Input[1]+"_quantized", wq), w.init(np.Input[1]+"_scale", runtime.FromFloat32(chanShape, scale)), w.init(np.Input[1]+"_zero_point", z)}
		w.done[use] = names
	}
	wName, sName, zpName := names[0], names[1], names[2]
	base := baseName(np)
	nodes, y := w.quantizeInput(np.Input[0])
	prod := w.fresh(base + "_output_quantized")
	var attrs []*onnxpb.AttributeProto
	for _, a := range np.Attribute {
		switch a.GetName() {
		case "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides":
			attrs = append(attrs, a)
		}
	}
	nodes = append(nodes, newNode(w.fresh(base+"_quant"), "ConvInteger", []string{y[0], wName, y[2], zpName}, []string{prod}, attrs...))
	biasName := ""
	if bias != nil {
		chanShape[0] = m
		biasName = w.init(base+"_bias", runtime.FromFloat32(chanShape, bias))
	}
	return w.epilogue(nodes, base, prod, y[1], sName, biasName, np.Output[0]), "", nil
}

// gather writes Gather(table, ids) as Gather(table_quantized, ids) -> DequantizeLinear, with
// the compiler's table (passes.GatherTable: per tensor, int8 or uint8).
func (w *qwriter) gather(np *onnxpb.NodeProto) ([]*onnxpb.NodeProto, string, error) {
	if len(np.Input) != 2 || len(np.Output) != 1 {
		return nil, "not two inputs and one output", nil
	}
	t, err := w.constant(np.Input[0])
	if err != nil {
		return nil, "", err
	}
	switch {
	case t == nil || t.Len() == 0:
		return nil, "data is not a constant float32 tensor", nil
	case w.consts[np.Input[1]] != nil:
		return nil, "the indices are constant too (the compiler folds the Gather)", nil
	}
	use := weightUse{w.consts[np.Input[0]], "gather"}
	names, ok := w.done[use]
	if !ok {
		table, zp, scale := passes.GatherTable(t, w.opt.WeightType, w.opt.ReduceRange)
		names = [3]string{w.init(np.Input[0]+"_quantized", table), w.init(np.Input[0]+"_scale", runtime.FromFloat32(nil, []float32{scale})), w.init(np.Input[0]+"_zero_point", zp)}
		w.done[use] = names
	}
	base := baseName(np)
	q := w.fresh(base + "_output_quantized")
	return []*onnxpb.NodeProto{
		newNode(w.fresh(base+"_quant"), "Gather", []string{names[0], np.Input[1]}, []string{q}, np.Attribute...),
		newNode(w.fresh(base+"_dequantize"), "DequantizeLinear", []string{q, names[1], names[2]}, []string{np.Output[0]}),
	}, "", nil
}

// gatherHow is the remark for a quantized Gather, as the compiler makes it.
func (w *qwriter) gatherHow() string {
	if w.opt.WeightType == runtime.Uint8 {
		return "per tensor, uint8 table"
	}
	return "per tensor, int8 table"
}

// subgraphRemarks reports the candidates inside np's subgraphs, which stay float32.
func (w *qwriter) subgraphRemarks(np *onnxpb.NodeProto) {
	for _, sg := range subgraphs(np) {
		for _, n := range sg.Node {
			switch n.GetOpType() {
			case "MatMul", "Gemm", "Conv", "Gather":
				if w.opt.Selects(n.GetOpType(), n.GetName()) == "" {
					w.remark(n, n.GetOpType(), false, "inside a subgraph, which the ONNX writer leaves float32")
				}
			}
			w.subgraphRemarks(n)
		}
	}
}

// dropUnused removes the initializers and Constant nodes that nothing uses any more (the float
// weights that were quantized).
func (w *qwriter) dropUnused(mp *onnxpb.ModelProto) {
	used := map[string]bool{}
	free := freeNameCache{} // the subgraphs do not change here
	g := mp.Graph
	// Constant and Identity nodes left without uses go, which may leave others so.
	for {
		clear(used)
		for _, v := range g.Output {
			used[v.GetName()] = true
		}
		for _, n := range g.Node {
			for _, u := range usedNames(n, nil, free) {
				used[u] = true
			}
		}
		n := len(g.Node)
		g.Node = slices.DeleteFunc(g.Node, func(n *onnxpb.NodeProto) bool {
			op := n.GetOpType()
			return (op == "Constant" || op == "Identity") && n.GetDomain() == "" && len(n.Output) == 1 && !used[n.Output[0]]
		})
		if len(g.Node) == n {
			break
		}
	}
	inputs := map[string]bool{}
	for _, v := range g.Input {
		inputs[v.GetName()] = true
	}
	g.Initializer = slices.DeleteFunc(g.Initializer, func(t *onnxpb.TensorProto) bool {
		return !used[t.GetName()] && !inputs[t.GetName()]
	})
}

// inlineExternal makes the initializers stored as external data raw_data, within protobuf's
// 2 GB.
func (w *qwriter) inlineExternal(g *onnxpb.GraphProto) error {
	total := 0
	for i, tp := range g.Initializer {
		if tp.GetDataLocation() != onnxpb.TensorProto_EXTERNAL && len(tp.ExternalData) == 0 {
			total += len(tp.RawData)
			continue
		}
		t, err := w.imp.tensor(tp)
		if err != nil {
			return err
		}
		if total += len(t.Bytes()); total > math.MaxInt32 {
			return errors.New("the quantized model is over protobuf's 2 GB: ONNX files that large need external data, which the writer does not write")
		}
		g.Initializer[i] = &onnxpb.TensorProto{}
		if err := proto.Unmarshal(runtime.WriteTensorProto(tp.GetName(), t), g.Initializer[i]); err != nil {
			return err
		}
	}
	return nil
}

// upgrade rewrites the nodes of g (and its subgraphs) from ai.onnx opset v (< 11) to their
// opset 11 form: Clip's bounds (before 11) and Slice's starts, ends and axes (before 10) and
// TopK's k (before 10) move from attributes to inputs. Ops whose meaning changed otherwise by
// opset 11 (Upsample, Resize, Scatter, Pad, BatchNormalization with spatial=0) are refused.
func (w *qwriter) upgrade(g *onnxpb.GraphProto, v int) error {
	for _, np := range g.Node {
		for _, sg := range subgraphs(np) {
			if err := w.upgrade(sg, v); err != nil {
				return err
			}
		}
		if d := np.GetDomain(); d != "" && d != "ai.onnx" {
			continue
		}
		take := func(name string) *onnxpb.AttributeProto {
			for i, a := range np.Attribute {
				if a.GetName() == name {
					np.Attribute = slices.Delete(np.Attribute, i, i+1)
					return a
				}
			}
			return nil
		}
		ints := func(a *onnxpb.AttributeProto, base string) string {
			if a == nil {
				return ""
			}
			t := runtime.New(runtime.Int64, len(a.Ints))
			copy(runtime.Data[int64](t), a.Ints)
			return w.init(baseName(np)+"_"+base, t)
		}
		switch op := np.GetOpType(); {
		case op == "Clip":
			lo, hi := take("min"), take("max")
			in := []string{np.Input[0], "", ""}
			for i, a := range []*onnxpb.AttributeProto{lo, hi} {
				if a != nil {
					in[1+i] = w.init(baseName(np)+[]string{"_min", "_max"}[i], runtime.FromFloat32(nil, []float32{a.GetF()}))
				}
			}
			for len(in) > 1 && in[len(in)-1] == "" {
				in = in[:len(in)-1]
			}
			np.Input = in
		case op == "Slice" && v < 10:
			starts, ends, axes := take("starts"), take("ends"), take("axes")
			if starts == nil || ends == nil {
				return fmt.Errorf("%s has no starts or ends", describe(np))
			}
			np.Input = []string{np.Input[0], ints(starts, "starts"), ints(ends, "ends")}
			if axes != nil {
				np.Input = append(np.Input, ints(axes, "axes"))
			}
		case op == "TopK" && v < 10:
			k := take("k")
			if k == nil {
				return fmt.Errorf("%s has no k", describe(np))
			}
			k.Ints = []int64{k.GetI()}
			np.Input = append(np.Input[:1], ints(k, "k"))
		case op == "Upsample", op == "Resize", op == "Scatter", op == "Pad":
			return fmt.Errorf("%s means something else at opset 11", describe(np))
		case op == "BatchNormalization" && v < 9 && attrInt(np, "spatial", 1) == 0:
			return fmt.Errorf("%s has spatial=0, which opset 11 does not have", describe(np))
		case op == "BatchNormalization":
			take("spatial")
		}
	}
	return nil
}

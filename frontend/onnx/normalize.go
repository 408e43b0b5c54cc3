package onnx

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Opset normalization. Each rewrite brings one older form of an op to its newest form; it
// applies to a node when the ai.onnx opset in effect is below the version where the form
// changed. A node's rewrites run in table order until one emits the node itself.

// always marks forms that no current opset has (ops that were removed): they are always
// rewritten.
const always = math.MaxInt32

type rewrite struct {
	op     string
	before int
	doc    string
	fn     func(b *builder) ([]*ir.Value, error)
}

var reduceOps18 = []string{"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
	"ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"}

var legacyBroadcastOps = []string{"Add", "And", "Div", "Equal", "Greater", "Less", "Mul", "Or", "Pow", "Sub", "Xor"}

func rewriteTable() []rewrite {
	t := []rewrite{
		{"*", 7, "drops consumed_inputs (an in-place hint)", dropAttrs("consumed_inputs")},
		{"Concat", 4, "axis defaults to 1", concatAxis},
		{"Reshape", 5, "shape attribute becomes input 1", attrToInts("shape", 1)},
		{"Cast", 6, "to as a type name becomes the type number", castTo},
		{"Gemm", 7, "drops broadcast (numpy broadcasting covers it)", dropAttrs("broadcast")},
		{"PRelu", 7, "a per-channel slope is unsqueezed to broadcast numpy-style", preluSlope},
		{"Dropout", always, "drops is_test (the current form has no such attribute)", dropAttrs("is_test")},
		{"Dropout", 12, "ratio attribute becomes input 1", dropoutRatio},
		{"BatchNormalization", always, "drops is_test and consumed_inputs (the current form has neither)", dropAttrs("is_test", "consumed_inputs")},
		{"BatchNormalization", always, "drops spatial=1; spatial=0 becomes elementwise ops", batchNormSpatial},
		{"BatchNormalization", 14, "training outputs become training_mode=1", batchNormOutputs},
		{"Scan", 9, "batched Scan-8 becomes a Loop over the batch of Scan", scan8},
		{"Slice", 10, "starts, ends and axes attributes become inputs", sliceInputs},
		{"TopK", 10, "k attribute becomes input 1", topK},
		{"Upsample", always, "becomes Resize with asymmetric coordinates", upsample},
		{"Resize", 11, "X, scales becomes X, roi, scales with asymmetric coordinates", resize10},
		{"Resize", 13, "empty roi and scales become absent; tf_half_pixel_for_nn becomes half_pixel", resize11},
		{"Clip", 11, "min and max attributes become inputs", clipInputs},
		{"Pad", 11, "pads and value attributes become inputs", padInputs},
		{"Scatter", always, "becomes ScatterElements", renameOp("ScatterElements")},
		{"ImageScaler", always, "becomes Mul and Add", imageScaler},
		{"Scale", always, "becomes Mul", affine("scale", 1, "", 0)},
		{"Affine", always, "becomes Mul and Add", affine("alpha", 1, "beta", 0)},
		{"ScaledTanh", always, "becomes Mul, Tanh, Mul", scaledTanh},
		{"ParametricSoftplus", always, "becomes Mul, Softplus, Mul", parametricSoftplus},
		{"MeanVarianceNormalization", 9, "across_channels becomes axes; normalize_variance=0 becomes x-mean", mvn1},
		{"LSTM", 7, "drops output_sequence", dropAttrs("output_sequence")},
		{"GRU", 7, "drops output_sequence", dropAttrs("output_sequence")},
		{"RNN", 7, "drops output_sequence", dropAttrs("output_sequence")},
		{"Softmax", 13, "2-D coercion at axis becomes Flatten, Softmax(axis=-1), Reshape", coerced2D},
		{"LogSoftmax", 13, "2-D coercion at axis becomes Flatten, LogSoftmax(axis=-1), Reshape", coerced2D},
		{"Hardmax", 13, "2-D coercion at axis becomes Flatten, Hardmax(axis=-1), Reshape", coerced2D},
		{"ReduceSum", 13, "axes attribute becomes input 1", reduceAxes},
		{"Split", 13, "split attribute becomes input 1", attrToInts("split", 1)},
		{"Split", 18, "equal split gets num_outputs", splitNumOutputs},
		{"Squeeze", 13, "axes attribute becomes input 1", attrToInts("axes", 1)},
		{"Unsqueeze", 13, "axes attribute becomes input 1", attrToInts("axes", 1)},
		{"RoiAlign", 16, "default coordinate_transformation_mode becomes output_half_pixel", roiAlignMode},
		{"DFT", 20, "axis attribute becomes input 2", dftAxis},
		{"GridSample", 20, "mode bilinear/bicubic becomes linear/cubic", gridSampleMode},
		{"GroupNormalization", 21, "per-group scale and bias become per-channel", groupNormScale},
	}
	for _, op := range reduceOps18 {
		t = append(t, rewrite{op, 18, "axes attribute becomes input 1", reduceAxes})
	}
	for _, op := range legacyBroadcastOps {
		t = append(t, rewrite{op, 7, "broadcast/axis attributes become numpy broadcasting", legacyBroadcast})
	}
	return t
}

var rewrites = func() map[string][]rewrite {
	m := map[string][]rewrite{}
	for _, r := range rewriteTable() {
		m[r.op] = append(m[r.op], r)
	}
	return m
}()

// Rewrite describes one opset normalization the importer performs.
type Rewrite struct {
	Op string // "*" for every op
	// Before is the opset where the form changed: the rewrite applies to models importing an
	// older ai.onnx opset. Removed ops have math.MaxInt32.
	Before int
	Doc    string
}

// Rewrites lists the normalizations, sorted by op and opset.
func Rewrites() []Rewrite {
	var out []Rewrite
	for _, r := range rewriteTable() {
		out = append(out, Rewrite{Op: r.op, Before: r.before, Doc: r.doc})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Op != out[j].Op {
			return out[i].Op < out[j].Op
		}
		return out[i].Before < out[j].Before
	})
	return out
}

// normalize applies the rewrites that concern b; a non-nil result means a rewrite emitted the
// node (or its replacement) itself.
func normalize(b *builder) ([]*ir.Value, error) {
	for _, list := range [][]rewrite{rewrites["*"], rewrites[b.op]} {
		for _, r := range list {
			if b.opset >= r.before {
				continue
			}
			// Every rewritten op needs its first input except Scan-8, whose first input is
			// the optional sequence lengths.
			if r.op != "*" && r.op != "Scan" && b.input(0) == nil {
				return nil, errors.New("required input 0 is missing")
			}
			outs, err := r.fn(b)
			if err != nil {
				return nil, fmt.Errorf("converting %s from opset %d: %w", r.op, b.opset, err)
			}
			if outs != nil {
				return outs, nil
			}
		}
	}
	return nil, nil
}

func dropAttrs(names ...string) func(b *builder) ([]*ir.Value, error) {
	return func(b *builder) ([]*ir.Value, error) {
		for _, n := range names {
			b.take(n)
		}
		return nil, nil
	}
}

func renameOp(op string) func(b *builder) ([]*ir.Value, error) {
	return func(b *builder) ([]*ir.Value, error) {
		b.op = op
		return nil, nil
	}
}

// attrToInts moves an ints attribute to an int64 input; an absent attribute leaves the input
// absent (the op's default).
func attrToInts(name string, input int) func(b *builder) ([]*ir.Value, error) {
	return func(b *builder) ([]*ir.Value, error) {
		a, ok := b.take(name)
		if !ok {
			return nil, nil
		}
		if a.Kind != ir.AttrInts && a.Kind != ir.AttrInt {
			return nil, fmt.Errorf("attribute %s is %s, want ints", name, a.Kind)
		}
		if b.input(input) != nil {
			return nil, fmt.Errorf("has both attribute %s and input %d", name, input)
		}
		vals := a.Ints
		if a.Kind == ir.AttrInt {
			vals = []int64{a.Int}
		}
		b.setInput(input, b.ints(name, vals))
		return nil, nil
	}
}

func concatAxis(b *builder) ([]*ir.Value, error) {
	if _, ok := b.attr("axis"); !ok {
		b.set(ir.Int("axis", 1))
	}
	return nil, nil
}

func castTo(b *builder) ([]*ir.Value, error) {
	a, ok := b.attr("to")
	if !ok || a.Kind != ir.AttrString {
		return nil, nil
	}
	v, ok := onnxpb.TensorProto_DataType_value[strings.ToUpper(a.Str)]
	if !ok {
		return nil, fmt.Errorf("unknown type name %q in attribute to", a.Str)
	}
	b.set(ir.Int("to", int64(v)))
	return nil, nil
}

// reduceAxes moves Reduce*'s axes attribute to input 1. With no axes (or an empty list) the op
// reduces over all dims, as the input form does by default.
func reduceAxes(b *builder) ([]*ir.Value, error) {
	a, ok := b.take("axes")
	if !ok || len(a.Ints) == 0 {
		return nil, nil
	}
	b.setInput(1, b.ints("axes", a.Ints))
	return nil, nil
}

// splitNumOutputs: before opset 18 a Split without sizes splits into as many equal parts as it
// has outputs; from 18 that must be said with num_outputs.
func splitNumOutputs(b *builder) ([]*ir.Value, error) {
	if b.input(1) == nil && !b.has("num_outputs") {
		b.set(ir.Int("num_outputs", int64(b.nout)))
	}
	return nil, nil
}

func (b *builder) has(name string) bool { _, ok := b.attr(name); return ok }

func sliceInputs(b *builder) ([]*ir.Value, error) {
	starts, ok1 := b.take("starts")
	ends, ok2 := b.take("ends")
	axes, ok3 := b.take("axes")
	if !ok1 || !ok2 {
		return nil, errors.New("needs starts and ends attributes")
	}
	b.in = []*ir.Value{b.input(0), b.ints("starts", starts.Ints), b.ints("ends", ends.Ints)}
	if ok3 {
		b.in = append(b.in, b.ints("axes", axes.Ints))
	}
	return nil, nil
}

func topK(b *builder) ([]*ir.Value, error) {
	k, ok := b.take("k")
	if !ok {
		return nil, errors.New("needs attribute k")
	}
	b.in = []*ir.Value{b.input(0), b.ints("k", []int64{k.Int})}
	return nil, nil
}

func clipInputs(b *builder) ([]*ir.Value, error) {
	x := b.input(0)
	lo, okLo := b.take("min")
	hi, okHi := b.take("max")
	b.in = []*ir.Value{x}
	if okLo {
		b.setInput(1, b.floatsLike("min", []float64{lo.Float}, nil, x))
	}
	if okHi {
		b.setInput(2, b.floatsLike("max", []float64{hi.Float}, nil, x))
	}
	return nil, nil
}

func padInputs(b *builder) ([]*ir.Value, error) {
	x := b.input(0)
	pads, ok := b.take("pads")
	if !ok {
		pads, ok = b.take("paddings") // Pad-1's name
	}
	if !ok {
		return nil, errors.New("needs attribute pads")
	}
	b.in = []*ir.Value{x, b.ints("pads", pads.Ints)}
	if v, ok := b.take("value"); ok && v.Float != 0 {
		b.setInput(2, b.floatsLike("value", []float64{v.Float}, nil, x))
	}
	return nil, nil
}

func dropoutRatio(b *builder) ([]*ir.Value, error) {
	r, ok := b.take("ratio")
	if !ok {
		return nil, nil
	}
	// ratio has a type of its own (T1), so float32 is always valid.
	t := runtime.New(runtime.Float32)
	runtime.Data[float32](t)[0] = float32(r.Float)
	b.in = []*ir.Value{b.input(0), b.constant("ratio", t)}
	return nil, nil
}

// legacyBroadcast: before opset 7, binary ops broadcast only when broadcast=1, aligning B with
// A's dims from axis (or from the right without axis). Numpy broadcasting aligns from the right,
// so B gets trailing 1-dims when axis says otherwise.
func legacyBroadcast(b *builder) ([]*ir.Value, error) {
	bc, _ := b.take("broadcast")
	ax, hasAxis := b.take("axis")
	if bc.Int == 0 || !hasAxis {
		return nil, nil
	}
	x, y := b.input(0), b.input(1)
	ra, okA := rank(x)
	rb, okB := rank(y)
	if !okA || !okB {
		return nil, fmt.Errorf("broadcast with axis=%d needs the ranks of both inputs, which the model does not declare", ax.Int)
	}
	axis := int(ax.Int)
	if axis < 0 {
		axis += ra
	}
	trail := ra - axis - rb
	if axis < 0 || trail < 0 {
		return nil, fmt.Errorf("broadcast axis %d does not fit ranks %d and %d", ax.Int, ra, rb)
	}
	if trail > 0 {
		b.in[1] = b.trailingOnes(y, rb, trail)
	}
	return nil, nil
}

// trailingOnes appends n dims of size 1 to v (of rank r): a reshaped constant, or an Unsqueeze.
func (b *builder) trailingOnes(v *ir.Value, r, n int) *ir.Value {
	if v.Const != nil {
		t := v.Const.Clone()
		for i := 0; i < n; i++ {
			t.Shape = append(t.Shape, 1)
		}
		return b.constant(v.Name+"_unsqueezed", t)
	}
	axes := make([]int64, n)
	for i := range axes {
		axes[i] = int64(r + i)
	}
	return b.emit("Unsqueeze", []*ir.Value{v, b.ints("axes", axes)}, "unsqueeze")[0]
}

// preluSlope: PRelu before opset 7 applied a 1-D slope per channel (dim 1); numpy broadcasting
// would align it with the last dim instead.
func preluSlope(b *builder) ([]*ir.Value, error) {
	x, slope := b.input(0), b.input(1)
	rs, okS := rank(slope)
	if !okS || rs != 1 || (slope.Type.Shape[0].IsStatic() && slope.Type.Shape[0].N == 1) {
		return nil, nil
	}
	rx, okX := rank(x)
	if !okX {
		return nil, errors.New("a per-channel slope needs the input's rank, which the model does not declare")
	}
	if rx > 2 {
		b.in[1] = b.trailingOnes(slope, 1, rx-2)
	}
	return nil, nil
}

// batchNormSpatial: spatial=0 (opsets 7 and 8) normalizes with statistics per element of
// C x D1 x ... rather than per channel; that is plain broadcasting arithmetic.
func batchNormSpatial(b *builder) ([]*ir.Value, error) {
	sp, ok := b.take("spatial")
	if !ok || sp.Int != 0 {
		return nil, nil
	}
	if b.nout != 1 {
		return nil, errors.New("spatial=0 in training mode is not supported")
	}
	if err := b.need(5); err != nil {
		return nil, err
	}
	x, scale, bias, mean, variance := b.in[0], b.in[1], b.in[2], b.in[3], b.in[4]
	eps := 1e-5
	if a, ok := b.attr("epsilon"); ok {
		eps = a.Float
	}
	d := b.emit("Sub", []*ir.Value{x, mean}, "centered")[0]
	ve := b.emit("Add", []*ir.Value{variance, b.floatsLike("epsilon", []float64{eps}, nil, variance)}, "var_eps")[0]
	sd := b.emit("Sqrt", []*ir.Value{ve}, "stddev")[0]
	n := b.emit("Div", []*ir.Value{d, sd}, "normalized")[0]
	s := b.emit("Mul", []*ir.Value{n, scale}, "scaled")[0]
	return b.emit("Add", []*ir.Value{s, bias}, "out"), nil
}

// batchNormOutputs: before opset 14, asking for more than Y meant training mode, with outputs
// mean, var, saved_mean, saved_var; the current form has running_mean and running_var only.
func batchNormOutputs(b *builder) ([]*ir.Value, error) {
	if b.nout <= 1 {
		return nil, nil
	}
	for i := 3; i < len(b.outNames); i++ {
		if b.outNames[i] != "" {
			return nil, fmt.Errorf("uses output %d (saved mean or variance), which the current form lacks", i)
		}
	}
	b.set(ir.Int("training_mode", 1))
	b.nout = min(b.nout, 3)
	return nil, nil
}

// coerced2D: Softmax, LogSoftmax and Hardmax before opset 13 flattened the input to 2-D at axis
// (default 1) and normalized each row; from 13 they normalize along one axis.
func coerced2D(b *builder) ([]*ir.Value, error) {
	axis := int64(1)
	if a, ok := b.take("axis"); ok {
		axis = a.Int
	}
	x := b.input(0)
	last := axis == -1
	if r, ok := rank(x); ok && axis == int64(r-1) {
		last = true
	}
	if last {
		// Rows are the last axis either way.
		b.set(ir.Int("axis", -1))
		return nil, nil
	}
	shape := b.emit("Shape", []*ir.Value{x}, "shape")[0]
	flat := b.emit("Flatten", []*ir.Value{x}, "flat", ir.Int("axis", axis))[0]
	y := b.emit(b.op, []*ir.Value{flat}, "2d", append(b.attrs, ir.Int("axis", -1))...)[0]
	return b.emit("Reshape", []*ir.Value{y, shape}, "out"), nil
}

// upsample turns Upsample (scales as attribute before opset 9, as input after; height_scale and
// width_scale in the experimental opset 1) into Resize.
func upsample(b *builder) ([]*ir.Value, error) {
	x := b.input(0)
	var scales *ir.Value
	var constScales []float64
	if a, ok := b.take("scales"); ok {
		constScales = a.Floats
	} else if h, ok := b.take("height_scale"); ok {
		w, _ := b.take("width_scale")
		constScales = []float64{1, 1, h.Float, w.Float}
	}
	if constScales != nil {
		t := runtime.New(runtime.Float32, len(constScales))
		for i, s := range constScales {
			runtime.Data[float32](t)[i] = float32(s)
		}
		scales = b.constant("scales", t)
	} else {
		scales = b.input(1)
		if scales == nil {
			return nil, errors.New("has no scales")
		}
		if scales.Const != nil && scales.Const.DType == runtime.Float32 {
			constScales = floats64(scales.Const)
		}
	}
	b.op = "Resize"
	b.in = []*ir.Value{x, nil, scales}
	return nil, asymmetric(b, constScales)
}

// resize10: Resize-10 takes X and scales and samples like Upsample.
func resize10(b *builder) ([]*ir.Value, error) {
	if err := b.need(2); err != nil {
		return nil, err
	}
	scales := b.in[1]
	var constScales []float64
	if scales.Const != nil && scales.Const.DType == runtime.Float32 {
		constScales = floats64(scales.Const)
	}
	b.in = []*ir.Value{b.in[0], nil, scales}
	return nil, asymmetric(b, constScales)
}

// asymmetric sets the sampling of Upsample and Resize-10: x_original = x_resized / scale, and
// for nearest, the pixel at or below (upsampling) or at or above (downsampling) that point, as
// onnxruntime does. A resize that both up- and downsamples cannot be expressed with one rule.
func asymmetric(b *builder, scales []float64) error {
	mode := "nearest"
	if a, ok := b.take("mode"); ok {
		mode = strings.ToLower(a.Str)
	}
	switch mode {
	case "bilinear", "trilinear":
		mode = "linear"
	case "nearest", "linear":
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	b.set(ir.String("mode", mode))
	b.set(ir.String("coordinate_transformation_mode", "asymmetric"))
	if mode == "nearest" {
		up, down := false, false
		for _, s := range scales {
			up = up || s > 1
			down = down || s < 1
		}
		switch {
		case up && down:
			return fmt.Errorf("nearest resize with scales %v both up- and downsamples, which the current Resize cannot express", scales)
		case down:
			b.set(ir.String("nearest_mode", "ceil"))
		default:
			b.set(ir.String("nearest_mode", "floor"))
		}
	}
	return nil
}

func floats64(t *runtime.Tensor) []float64 {
	src := runtime.Data[float32](t)
	out := make([]float64, len(src))
	for i, v := range src {
		out[i] = float64(v)
	}
	return out
}

// resize11: Resize-11 required roi and scales, so exporters passed empty constants for the ones
// they did not use; the current form wants them absent. tf_half_pixel_for_nn was removed in 13:
// x_original = (x+0.5)/scale, which is half_pixel shifted by 0.5, so the rounding rule shifts.
func resize11(b *builder) ([]*ir.Value, error) {
	for _, i := range []int{1, 2} {
		if v := b.input(i); v != nil && v.Const != nil && v.Const.Len() == 0 {
			b.in[i] = nil
		}
	}
	b.setInput(0, b.input(0)) // drops trailing absent inputs
	if a, ok := b.attr("coordinate_transformation_mode"); ok && a.Str == "tf_half_pixel_for_nn" {
		nearest := "round_prefer_floor"
		if a, ok := b.attr("nearest_mode"); ok {
			nearest = a.Str
		}
		// floor(v) = round_prefer_ceil(v-0.5) and round_prefer_floor(v) = ceil(v-0.5).
		shifted := map[string]string{"floor": "round_prefer_ceil", "round_prefer_floor": "ceil"}[nearest]
		if shifted == "" {
			return nil, fmt.Errorf("tf_half_pixel_for_nn with nearest_mode %q cannot be expressed in the current Resize", nearest)
		}
		b.set(ir.String("coordinate_transformation_mode", "half_pixel"))
		b.set(ir.String("nearest_mode", shifted))
	}
	return nil, nil
}

func roiAlignMode(b *builder) ([]*ir.Value, error) {
	if !b.has("coordinate_transformation_mode") {
		b.set(ir.String("coordinate_transformation_mode", "output_half_pixel"))
	}
	return nil, nil
}

func gridSampleMode(b *builder) ([]*ir.Value, error) {
	if a, ok := b.attr("mode"); ok {
		switch a.Str {
		case "bilinear":
			b.set(ir.String("mode", "linear"))
		case "bicubic":
			b.set(ir.String("mode", "cubic"))
		}
	}
	return nil, nil
}

// dftAxis: DFT-17's axis attribute (default 1) became input 2 (default -2) in opset 20.
func dftAxis(b *builder) ([]*ir.Value, error) {
	axis := int64(1)
	if a, ok := b.take("axis"); ok {
		axis = a.Int
	}
	b.setInput(2, b.scalarInt("axis", axis))
	return nil, nil
}

// groupNormScale: GroupNormalization-18 took scale and bias per group; from 21 they are per
// channel, so each is repeated C/num_groups times.
func groupNormScale(b *builder) ([]*ir.Value, error) {
	a, ok := b.attr("num_groups")
	if !ok {
		return nil, errors.New("needs attribute num_groups")
	}
	if err := b.need(3); err != nil {
		return nil, err
	}
	x := b.in[0]
	c := b.emit("Shape", []*ir.Value{x}, "channels", ir.Int("start", 1), ir.Int("end", 2))[0]
	per := b.emit("Div", []*ir.Value{c, b.ints("groups", []int64{a.Int})}, "per_group")[0]
	wide := b.emit("Concat", []*ir.Value{b.ints("one", []int64{1}), per}, "expand_shape", ir.Int("axis", 0))[0]
	for i, what := range []string{"scale", "bias"} {
		col := b.emit("Reshape", []*ir.Value{b.in[i+1], b.ints("column", []int64{-1, 1})}, what+"_column")[0]
		rep := b.emit("Expand", []*ir.Value{col, wide}, what+"_repeated")[0]
		b.in[i+1] = b.emit("Reshape", []*ir.Value{rep, b.ints("flat", []int64{-1})}, what+"_per_channel")[0]
	}
	return nil, nil
}

// imageScaler (experimental, removed in opset 10): y = scale*x + bias[c] on NCHW input.
func imageScaler(b *builder) ([]*ir.Value, error) {
	x := b.input(0)
	scale := 1.0
	if a, ok := b.attr("scale"); ok {
		scale = a.Float
	}
	y := b.emit("Mul", []*ir.Value{x, b.floatsLike("scale", []float64{scale}, nil, x)}, "scaled")[0]
	if a, ok := b.attr("bias"); ok && len(a.Floats) > 0 {
		bias := b.floatsLike("bias", a.Floats, []int{1, len(a.Floats), 1, 1}, x)
		y = b.emit("Add", []*ir.Value{y, bias}, "out")[0]
	}
	return []*ir.Value{y}, nil
}

// scan8: Scan-8 ran its body over a batch (dim 0 of every state and scan input) and took
// optional sequence lengths; Scan-9 has no batch. Without sequence lengths, Scan-8 is a Loop over
// the batch whose body slices out one batch entry and runs Scan-9 on it; the Loop stacks the
// results, which puts the batch back as dim 0.
func scan8(b *builder) ([]*ir.Value, error) {
	if b.input(0) != nil {
		return nil, errors.New("sequence_lens is not supported")
	}
	body := b.attrGraph("body")
	if body == nil {
		return nil, errors.New("has no body")
	}
	rest := b.in
	if len(rest) > 0 {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return nil, errors.New("has no inputs besides sequence_lens")
	}
	for _, v := range rest {
		if v == nil {
			return nil, errors.New("has an absent state or scan input")
		}
	}
	shape := b.emit("Shape", []*ir.Value{rest[0]}, "shape")[0]
	batch := b.emit("Gather", []*ir.Value{shape, b.scalarInt("zero", 0)}, "batch", ir.Int("axis", 0))[0]
	cond := runtime.New(runtime.Bool)
	runtime.Data[bool](cond)[0] = true
	lb := b.c.imp.m.NewGraph(body.Name+"_batch", b.g)
	iter := lb.AddInput(b.label("batch_index"), ir.StaticType(runtime.Int64))
	condIn := lb.AddInput(b.label("cond"), ir.StaticType(runtime.Bool))
	sliced := make([]*ir.Value, len(rest))
	for i, v := range rest {
		sliced[i] = lb.NewNode("Gather", "", "", []*ir.Value{v, iter}, 1, ir.Int("axis", 0)).Outputs[0]
	}
	var attrs []ir.Attr
	for _, a := range b.attrs {
		if a.Name == "directions" {
			a.Name = "scan_input_directions"
		}
		attrs = append(attrs, a)
	}
	body.Parent = lb
	scan := lb.NewNode("Scan", "", b.name, sliced, b.nout, attrs...)
	lb.Outputs = append([]*ir.Value{condIn}, scan.Outputs...)
	loop := b.g.NewNode("Loop", "", b.name, []*ir.Value{batch, b.constant("cond", cond)}, b.nout, ir.GraphAttr("body", lb))
	return loop.Outputs, nil
}

func (b *builder) attrGraph(name string) *ir.Graph {
	if a, ok := b.attr(name); ok && a.Kind == ir.AttrGraph {
		return a.Graph
	}
	return nil
}

// affine covers the experimental Scale (y = scale*x) and Affine (y = alpha*x + beta), removed in
// opset 10. An empty add names no additive attribute.
func affine(mul string, mulDef float64, add string, addDef float64) func(b *builder) ([]*ir.Value, error) {
	return func(b *builder) ([]*ir.Value, error) {
		x := b.input(0)
		k := b.floatAttr(mul, mulDef)
		y := b.emit("Mul", []*ir.Value{x, b.floatsLike(mul, []float64{k}, nil, x)}, "scaled")[0]
		if add != "" {
			c := b.floatAttr(add, addDef)
			y = b.emit("Add", []*ir.Value{y, b.floatsLike(add, []float64{c}, nil, x)}, "out")[0]
		}
		return []*ir.Value{y}, nil
	}
}

// floatAttr is a float attribute's value or def.
func (b *builder) floatAttr(name string, def float64) float64 {
	if a, ok := b.attr(name); ok && a.Kind == ir.AttrFloat {
		return a.Float
	}
	return def
}

// scaledTanh (experimental, removed in opset 10): y = alpha * tanh(beta * x).
func scaledTanh(b *builder) ([]*ir.Value, error) {
	return b.outerInner("Tanh", "alpha", "beta"), nil
}

// parametricSoftplus (experimental, removed in opset 10): y = alpha * ln(exp(beta * x) + 1).
func parametricSoftplus(b *builder) ([]*ir.Value, error) {
	return b.outerInner("Softplus", "alpha", "beta"), nil
}

// outerInner emits alpha * op(beta * x), both factors defaulting to 1.
func (b *builder) outerInner(op, outer, inner string) []*ir.Value {
	x := b.input(0)
	in := b.emit("Mul", []*ir.Value{x, b.floatsLike(inner, []float64{b.floatAttr(inner, 1)}, nil, x)}, "inner")[0]
	f := b.emit(op, []*ir.Value{in}, "f")[0]
	return b.emit("Mul", []*ir.Value{f, b.floatsLike(outer, []float64{b.floatAttr(outer, 1)}, nil, x)}, "out")
}

// mvn1: the experimental MeanVarianceNormalization before opset 9 said across_channels
// (default 0: per channel, over N, H, W) where opset 9 says axes, and could skip the variance.
func mvn1(b *builder) ([]*ir.Value, error) {
	ac, hasAC := b.take("across_channels")
	nv, hasNV := b.take("normalize_variance")
	if !hasAC && !hasNV {
		return nil, nil
	}
	axes := []int64{0, 2, 3}
	if ac.Int != 0 {
		axes = []int64{0, 1, 2, 3}
	}
	if hasNV && nv.Int == 0 {
		x := b.input(0)
		mean := b.emit("ReduceMean", []*ir.Value{x, b.ints("axes", axes)}, "mean", ir.Int("keepdims", 1))[0]
		return b.emit("Sub", []*ir.Value{x, mean}, "out"), nil
	}
	b.set(ir.Ints("axes", axes...))
	return nil, nil
}

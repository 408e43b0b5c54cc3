package paddle

import (
	"fmt"
	"math"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// op is one Paddle op as both program formats present it. A ProgramDesc op names its inputs and
// outputs by slot ("X", "Filter"); a PIR op lists them by position, and passes some of what
// ProgramDesc keeps in attributes (kernel sizes, shapes, axes) as constant inputs. Lowering
// functions ask for both and each format answers with what it has.
type op interface {
	kind() string
	in(slot string, pos int) *ir.Value
	list(slot string, pos int) []*ir.Value
	out(slot string, pos int, v *ir.Value)
	outType(slot string, pos int) (ir.Type, bool)
	attr(name string) (any, bool) // int64, float64, string, bool, []int64, []float64
	label() string                // a name for nodes and errors
}

// lowerer builds the IR for one program.
type lowerer struct {
	file string
	m    *ir.Model
	g    *ir.Graph
}

func (l *lowerer) node(o op, opType string, ins []*ir.Value, attrs ...ir.Attr) *ir.Value {
	return l.g.NewNode(opType, "", o.label(), ins, 1, attrs...).Outputs[0]
}

func (l *lowerer) i64s(v ...int64) *ir.Value {
	t := runtime.New(runtime.Int64, len(v))
	copy(runtime.Data[int64](t), v)
	return l.g.AddConst("", t)
}

func (l *lowerer) f32(v float32) *ir.Value {
	t := runtime.New(runtime.Float32)
	runtime.Data[float32](t)[0] = v
	return l.g.AddConst("", t)
}

// lowerFunc maps one Paddle op; it returns an error to report the op as unmapped.
type lowerFunc func(l *lowerer, o op) error

// lowerings is the op table, keyed by ProgramDesc op type (PIR names are renamed onto these).
var lowerings map[string]lowerFunc

func init() {
	unary := func(onnx string) lowerFunc {
		return func(l *lowerer, o op) error {
			o.out("Out", 0, l.node(o, onnx, []*ir.Value{o.in("X", 0)}))
			return nil
		}
	}
	elementwise := func(onnx string) lowerFunc {
		return func(l *lowerer, o op) error {
			x, y := o.in("X", 0), o.in("Y", 1)
			y, err := l.alignY(o, x, y)
			if err != nil {
				return err
			}
			o.out("Out", 0, l.node(o, onnx, []*ir.Value{x, y}))
			return nil
		}
	}
	lowerings = map[string]lowerFunc{
		"relu":                     unary("Relu"),
		"sigmoid":                  unary("Sigmoid"),
		"tanh":                     unary("Tanh"),
		"exp":                      unary("Exp"),
		"sqrt":                     unary("Sqrt"),
		"abs":                      unary("Abs"),
		"assign":                   unary("Identity"),
		"floor":                    unary("Floor"),
		"elementwise_add":          elementwise("Add"),
		"elementwise_sub":          elementwise("Sub"),
		"elementwise_mul":          elementwise("Mul"),
		"elementwise_div":          elementwise("Div"),
		"elementwise_pow":          elementwise("Pow"),
		"elementwise_max":          elementwise("Max"),
		"elementwise_min":          elementwise("Min"),
		"hard_sigmoid":             lowerHardSigmoid,
		"hard_swish":               lowerHardSwish,
		"swish":                    lowerSwish,
		"relu6":                    lowerRelu6,
		"leaky_relu":               lowerLeakyRelu,
		"gelu":                     lowerGelu,
		"scale":                    lowerScale,
		"softmax":                  lowerSoftmax,
		"conv2d":                   lowerConv,
		"depthwise_conv2d":         lowerConv,
		"conv2d_transpose":         lowerConvTranspose,
		"batch_norm":               lowerBatchNorm,
		"pool2d":                   lowerPool,
		"matmul":                   lowerMatMul,
		"matmul_v2":                lowerMatMul,
		"mul":                      lowerMul,
		"reshape2":                 lowerReshape,
		"transpose2":               lowerTranspose,
		"flatten2":                 lowerFlatten2,
		"flatten_contiguous_range": lowerFlattenRange,
		"squeeze2":                 lowerSqueeze("Squeeze"),
		"unsqueeze2":               lowerSqueeze("Unsqueeze"),
		"concat":                   lowerConcat,
		"stack":                    lowerStack,
		"shape":                    lowerShape,
		"slice":                    lowerSlice,
		"fill_constant":            lowerFillConstant,
		"dropout":                  lowerDropout,
		"layer_norm":               lowerLayerNorm,
		"split":                    lowerSplit,
		"nearest_interp_v2":        lowerInterp("nearest"),
		"bilinear_interp_v2":       lowerInterp("linear"),
		"cast":                     lowerCast,
		"prelu":                    lowerPRelu,
	}
}

// Attribute access with defaults.

func attrInt(o op, name string, def int64) int64 {
	if v, ok := o.attr(name); ok {
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			return int64(x)
		case bool:
			if x {
				return 1
			}
			return 0
		}
		panic(attrTypeError{name, v, "an int"})
	}
	return def
}

func attrFloat(o op, name string, def float64) float64 {
	if v, ok := o.attr(name); ok {
		switch x := v.(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		}
		panic(attrTypeError{name, v, "a float"})
	}
	return def
}

func attrBool(o op, name string, def bool) bool {
	if v, ok := o.attr(name); ok {
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		}
		panic(attrTypeError{name, v, "a bool"})
	}
	return def
}

func attrString(o op, name, def string) string {
	if v, ok := o.attr(name); ok {
		if s, ok := v.(string); ok {
			return s
		}
		panic(attrTypeError{name, v, "a string"})
	}
	return def
}

func attrInts(o op, name string) ([]int64, bool) {
	v, ok := o.attr(name)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []int64:
		return x, true
	case int64:
		return []int64{x}, true
	case []float64:
		out := make([]int64, len(x))
		for i, f := range x {
			out[i] = int64(f)
		}
		return out, true
	}
	panic(attrTypeError{name, v, "ints"})
}

// intsArg reads integers that ProgramDesc keeps in attribute name and PIR passes as a constant
// input at pos (or, for legacy ops, as a tensor input in slot).
func intsArg(o op, name, slot string, pos int) ([]int64, bool) {
	if v := o.in(slot, pos); v != nil && v.Const != nil {
		return constInts(v.Const), true
	}
	return attrInts(o, name)
}

// constInts reads a constant's elements as integers; Paddle stores some integer arguments
// (scales, sizes) in float tensors.
func constInts(t *runtime.Tensor) []int64 {
	if !t.DType.IsFloat() {
		return ops.TensorInts(t)
	}
	f := constFloats(t)
	out := make([]int64, len(f))
	for i, v := range f {
		out[i] = int64(v)
	}
	return out
}

func constFloats(t *runtime.Tensor) []float64 {
	out := make([]float64, t.Len())
	switch t.DType {
	case runtime.Float32:
		for i, v := range runtime.Data[float32](t) {
			out[i] = float64(v)
		}
	case runtime.Float64:
		copy(out, runtime.Data[float64](t))
	}
	return out
}

func constFloat(t *runtime.Tensor) (float64, bool) {
	if t == nil || t.Len() != 1 {
		return 0, false
	}
	if t.DType.IsFloat() {
		return constFloats(t)[0], true
	}
	return float64(ops.TensorInts(t)[0]), true
}

func rankOf(v *ir.Value) int {
	if v == nil {
		return -1
	}
	return v.Type.Rank()
}

// alignY implements Paddle's broadcasting axis: Y's dims line up with X's starting at axis
// (default -1: numpy-style trailing alignment). Y gets trailing ones so numpy broadcasting
// gives the same result.
func (l *lowerer) alignY(o op, x, y *ir.Value) (*ir.Value, error) {
	axis := attrInt(o, "axis", -1)
	rx, ry := rankOf(x), rankOf(y)
	if axis == -1 || ry == rx || axis == int64(rx-ry) {
		return y, nil
	}
	if rx < 0 || ry < 0 {
		return nil, fmt.Errorf("broadcast axis %d needs the ranks of X and Y", axis)
	}
	if axis < 0 {
		axis += int64(rx - ry + 1)
	}
	trailing := rx - int(axis) - ry
	if trailing < 0 {
		return nil, fmt.Errorf("broadcast axis %d does not fit X of rank %d and Y of rank %d", axis, rx, ry)
	}
	if trailing == 0 {
		return y, nil
	}
	axes := make([]int64, trailing)
	for i := range axes {
		axes[i] = int64(ry + i)
	}
	return l.node(o, "Unsqueeze", []*ir.Value{y, l.i64s(axes...)}), nil
}

func lowerHardSigmoid(l *lowerer, o op) error {
	o.out("Out", 0, l.node(o, "HardSigmoid", []*ir.Value{o.in("X", 0)},
		ir.Float("alpha", attrFloat(o, "slope", 0.2)), ir.Float("beta", attrFloat(o, "offset", 0.5))))
	return nil
}

func lowerHardSwish(l *lowerer, o op) error {
	x := o.in("X", 0)
	threshold, scale, offset := attrFloat(o, "threshold", 6), attrFloat(o, "scale", 6), attrFloat(o, "offset", 3)
	if threshold == 6 && scale == 6 && offset == 3 {
		o.out("Out", 0, l.node(o, "HardSwish", []*ir.Value{x}))
		return nil
	}
	// x * min(max(x + offset, 0), threshold) / scale
	t := l.node(o, "Add", []*ir.Value{x, l.f32(float32(offset))})
	t = l.node(o, "Clip", []*ir.Value{t, l.f32(0), l.f32(float32(threshold))})
	t = l.node(o, "Mul", []*ir.Value{x, t})
	o.out("Out", 0, l.node(o, "Div", []*ir.Value{t, l.f32(float32(scale))}))
	return nil
}

func lowerSwish(l *lowerer, o op) error {
	x := o.in("X", 0)
	beta := attrFloat(o, "beta", 1)
	s := x
	if beta != 1 {
		s = l.node(o, "Mul", []*ir.Value{x, l.f32(float32(beta))})
	}
	o.out("Out", 0, l.node(o, "Mul", []*ir.Value{x, l.node(o, "Sigmoid", []*ir.Value{s})}))
	return nil
}

func lowerRelu6(l *lowerer, o op) error {
	o.out("Out", 0, l.node(o, "Clip", []*ir.Value{o.in("X", 0), l.f32(0), l.f32(float32(attrFloat(o, "threshold", 6)))}))
	return nil
}

func lowerLeakyRelu(l *lowerer, o op) error {
	o.out("Out", 0, l.node(o, "LeakyRelu", []*ir.Value{o.in("X", 0)}, ir.Float("alpha", attrFloat(o, "alpha", 0.02))))
	return nil
}

func lowerGelu(l *lowerer, o op) error {
	approx := "none"
	if attrBool(o, "approximate", false) {
		approx = "tanh"
	}
	o.out("Out", 0, l.node(o, "Gelu", []*ir.Value{o.in("X", 0)}, ir.String("approximate", approx)))
	return nil
}

func lowerScale(l *lowerer, o op) error {
	x := o.in("X", 0)
	scale := attrFloat(o, "scale", 1)
	if s := o.in("ScaleTensor", 1); s != nil {
		f, ok := constFloat(s.Const)
		if !ok {
			return fmt.Errorf("scale from a run-time tensor is not supported")
		}
		scale = f
	}
	bias := attrFloat(o, "bias", 0)
	after := attrBool(o, "bias_after_scale", true)
	y := x
	if !after && bias != 0 {
		y = l.node(o, "Add", []*ir.Value{y, l.typedScalar(x, bias)})
	}
	if scale != 1 {
		y = l.node(o, "Mul", []*ir.Value{y, l.typedScalar(x, scale)})
	}
	if after && bias != 0 {
		y = l.node(o, "Add", []*ir.Value{y, l.typedScalar(x, bias)})
	}
	if y == x {
		y = l.node(o, "Identity", []*ir.Value{x})
	}
	o.out("Out", 0, y)
	return nil
}

// typedScalar is a scalar constant of x's element type.
func (l *lowerer) typedScalar(x *ir.Value, v float64) *ir.Value {
	dt := x.Type.DType
	t := runtime.New(dt)
	switch dt {
	case runtime.Float64:
		runtime.Data[float64](t)[0] = v
	case runtime.Int64:
		runtime.Data[int64](t)[0] = int64(v)
	case runtime.Int32:
		runtime.Data[int32](t)[0] = int32(v)
	default:
		t = runtime.New(runtime.Float32)
		runtime.Data[float32](t)[0] = float32(v)
	}
	return l.g.AddConst("", t)
}

func lowerSoftmax(l *lowerer, o op) error {
	o.out("Out", 0, l.node(o, "Softmax", []*ir.Value{o.in("X", 0)}, ir.Int("axis", attrInt(o, "axis", -1))))
	return nil
}

// pads turns Paddle's paddings ([h, w], or [top, bottom, left, right]) into ONNX pads, and its
// padding_algorithm into auto_pad.
func convPads(o op, spatial int) ([]ir.Attr, error) {
	switch alg := attrString(o, "padding_algorithm", "EXPLICIT"); alg {
	case "SAME":
		return []ir.Attr{ir.String("auto_pad", "SAME_UPPER")}, nil
	case "VALID":
		return []ir.Attr{ir.String("auto_pad", "VALID")}, nil
	case "EXPLICIT", "":
	default:
		return nil, fmt.Errorf("padding_algorithm %q", alg)
	}
	p, _ := attrInts(o, "paddings")
	pads := make([]int64, 2*spatial)
	switch len(p) {
	case 0:
	case spatial:
		copy(pads, p)
		copy(pads[spatial:], p)
	case 2 * spatial:
		for i := 0; i < spatial; i++ {
			pads[i], pads[spatial+i] = p[2*i], p[2*i+1]
		}
	default:
		return nil, fmt.Errorf("paddings %v", p)
	}
	return []ir.Attr{ir.Ints("pads", pads...)}, nil
}

func checkNCHW(o op) error {
	if f := attrString(o, "data_format", "NCHW"); f != "NCHW" && f != "AnyLayout" {
		return fmt.Errorf("data_format %s is not supported", f)
	}
	return nil
}

func lowerConv(l *lowerer, o op) error {
	if err := checkNCHW(o); err != nil {
		return err
	}
	x, w := o.in("Input", 0), o.in("Filter", 1)
	attrs, err := convPads(o, 2)
	if err != nil {
		return err
	}
	strides, _ := attrInts(o, "strides")
	dil, _ := attrInts(o, "dilations")
	attrs = append(attrs, ir.Int("group", attrInt(o, "groups", 1)), ir.Ints("strides", orOnes(strides)...), ir.Ints("dilations", orOnes(dil)...))
	ins := []*ir.Value{x, w}
	if b := o.in("Bias", -1); b != nil {
		ins = append(ins, b)
	}
	o.out("Output", 0, l.node(o, "Conv", ins, attrs...))
	return nil
}

func orOnes(v []int64) []int64 {
	if len(v) == 0 {
		return []int64{1, 1}
	}
	return v
}

func lowerConvTranspose(l *lowerer, o op) error {
	if err := checkNCHW(o); err != nil {
		return err
	}
	attrs, err := convPads(o, 2)
	if err != nil {
		return err
	}
	strides, _ := attrInts(o, "strides")
	dil, _ := attrInts(o, "dilations")
	attrs = append(attrs, ir.Int("group", attrInt(o, "groups", 1)), ir.Ints("strides", orOnes(strides)...), ir.Ints("dilations", orOnes(dil)...))
	if op, ok := attrInts(o, "output_padding"); ok && len(op) > 0 {
		attrs = append(attrs, ir.Ints("output_padding", op...))
	}
	if sz, ok := intsArg(o, "output_size", "", 2); ok && len(sz) > 0 {
		attrs = append(attrs, ir.Ints("output_shape", sz...))
	}
	o.out("Output", 0, l.node(o, "ConvTranspose", []*ir.Value{o.in("Input", 0), o.in("Filter", 1)}, attrs...))
	return nil
}

func lowerBatchNorm(l *lowerer, o op) error {
	if err := checkNCHW(o); err != nil {
		return err
	}
	x := o.in("X", 0)
	ins := []*ir.Value{x, o.in("Scale", 3), o.in("Bias", 4), o.in("Mean", 1), o.in("Variance", 2)}
	o.out("Y", 0, l.node(o, "BatchNormalization", ins, ir.Float("epsilon", attrFloat(o, "epsilon", 1e-5))))
	return nil
}

func lowerPool(l *lowerer, o op) error {
	if err := checkNCHW(o); err != nil {
		return err
	}
	x := o.in("X", 0)
	ksize, _ := intsArg(o, "ksize", "", 1)
	typ := attrString(o, "pooling_type", "max")
	global := attrBool(o, "global_pooling", false)
	if attrBool(o, "adaptive", false) {
		if len(ksize) != 2 || ksize[0] != 1 || ksize[1] != 1 {
			return fmt.Errorf("adaptive pooling to %v (only 1x1 is supported)", ksize)
		}
		global = true
	}
	if global {
		name := map[string]string{"max": "GlobalMaxPool", "avg": "GlobalAveragePool"}[typ]
		if name == "" {
			return fmt.Errorf("pooling_type %q", typ)
		}
		o.out("Out", 0, l.node(o, name, []*ir.Value{x}))
		return nil
	}
	attrs, err := convPads(o, 2)
	if err != nil {
		return err
	}
	strides, _ := attrInts(o, "strides")
	attrs = append(attrs, ir.Ints("kernel_shape", ksize...), ir.Ints("strides", orOnes(strides)...))
	if attrBool(o, "ceil_mode", false) {
		attrs = append(attrs, ir.Int("ceil_mode", 1))
	}
	switch typ {
	case "max":
		o.out("Out", 0, l.node(o, "MaxPool", []*ir.Value{x}, attrs...))
	case "avg":
		if !attrBool(o, "exclusive", true) {
			attrs = append(attrs, ir.Int("count_include_pad", 1))
		}
		o.out("Out", 0, l.node(o, "AveragePool", []*ir.Value{x}, attrs...))
	default:
		return fmt.Errorf("pooling_type %q", typ)
	}
	return nil
}

// swapLast transposes the last two dims of v.
func (l *lowerer) swapLast(o op, v *ir.Value) (*ir.Value, error) {
	r := rankOf(v)
	if r < 2 {
		return nil, fmt.Errorf("transposing an operand of rank %d", r)
	}
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
	return l.node(o, "Transpose", []*ir.Value{v}, ir.Ints("perm", perm...)), nil
}

func lowerMatMul(l *lowerer, o op) error {
	x, y := o.in("X", 0), o.in("Y", 1)
	var err error
	if attrBool(o, "trans_x", false) || attrBool(o, "transpose_X", false) || attrBool(o, "transpose_x", false) {
		if x, err = l.swapLast(o, x); err != nil {
			return err
		}
	}
	if attrBool(o, "trans_y", false) || attrBool(o, "transpose_Y", false) || attrBool(o, "transpose_y", false) {
		if y, err = l.swapLast(o, y); err != nil {
			return err
		}
	}
	out := l.node(o, "MatMul", []*ir.Value{x, y})
	if alpha := attrFloat(o, "alpha", 1); alpha != 1 {
		out = l.node(o, "Mul", []*ir.Value{out, l.f32(float32(alpha))})
	}
	o.out("Out", 0, out)
	return nil
}

// lowerMul is the old fully connected product: X flattened to 2-D at x_num_col_dims times Y
// flattened at y_num_col_dims.
func lowerMul(l *lowerer, o op) error {
	x, y := o.in("X", 0), o.in("Y", 1)
	xn, yn := attrInt(o, "x_num_col_dims", 1), attrInt(o, "y_num_col_dims", 1)
	if yn != 1 || rankOf(y) != 2 {
		return fmt.Errorf("mul with y_num_col_dims %d and Y of rank %d", yn, rankOf(y))
	}
	if rankOf(x) != int(xn)+1 || xn != 1 {
		x = l.node(o, "Flatten", []*ir.Value{x}, ir.Int("axis", xn))
		if xn != 1 {
			return fmt.Errorf("mul with x_num_col_dims %d", xn)
		}
	}
	o.out("Out", 0, l.node(o, "MatMul", []*ir.Value{x, y}))
	return nil
}

func lowerReshape(l *lowerer, o op) error {
	x := o.in("X", 0)
	shape := o.in("Shape", 1)
	if parts := o.list("ShapeTensor", -1); len(parts) > 0 && shape == nil {
		// One 1-element tensor per output dim, often computed from shapes at run time.
		dims := make([]*ir.Value, len(parts))
		for i, p := range parts {
			p = l.node(o, "Cast", []*ir.Value{p}, ir.Int("to", int64(runtime.Int64)))
			dims[i] = l.node(o, "Reshape", []*ir.Value{p, l.i64s(1)})
		}
		o.out("Out", 0, l.node(o, "Reshape", []*ir.Value{x, l.node(o, "Concat", dims, ir.Int("axis", 0))}))
		return nil
	}
	if shape == nil || shape.Const != nil {
		dims, ok := intsArg(o, "shape", "Shape", 1)
		if !ok {
			return fmt.Errorf("reshape without a shape")
		}
		shape = l.i64s(dims...)
	} else if shape.Type.DType != runtime.Int64 {
		shape = l.node(o, "Cast", []*ir.Value{shape}, ir.Int("to", int64(runtime.Int64)))
	}
	o.out("Out", 0, l.node(o, "Reshape", []*ir.Value{x, shape}))
	return nil
}

func lowerTranspose(l *lowerer, o op) error {
	perm, ok := attrInts(o, "axis")
	if !ok {
		perm, _ = attrInts(o, "perm")
	}
	o.out("Out", 0, l.node(o, "Transpose", []*ir.Value{o.in("X", 0)}, ir.Ints("perm", perm...)))
	return nil
}

func lowerFlatten2(l *lowerer, o op) error {
	o.out("Out", 0, l.node(o, "Flatten", []*ir.Value{o.in("X", 0)}, ir.Int("axis", attrInt(o, "axis", 1))))
	return nil
}

// lowerFlattenRange merges dims start..stop into one.
func lowerFlattenRange(l *lowerer, o op) error {
	x := o.in("X", 0)
	r := rankOf(x)
	start, stop := attrInt(o, "start_axis", 1), attrInt(o, "stop_axis", -1)
	if r < 0 {
		return fmt.Errorf("flatten of an input of unknown rank")
	}
	if start < 0 {
		start += int64(r)
	}
	if stop < 0 {
		stop += int64(r)
	}
	if stop == int64(r-1) && start <= stop {
		// Keep dims before start (0 copies the input's dim at that index), merge the rest.
		shape := make([]int64, start+1)
		shape[start] = -1
		o.out("Out", 0, l.node(o, "Reshape", []*ir.Value{x, l.i64s(shape...)}))
		return nil
	}
	dims := x.Type.Shape
	shape := make([]int64, 0, r)
	for i := 0; i < int(start); i++ {
		shape = append(shape, 0)
	}
	shape = append(shape, -1)
	for i := int(stop) + 1; i < r; i++ {
		if !dims[i].IsStatic() {
			return fmt.Errorf("flatten of dims %d..%d with a dynamic dim after them", start, stop)
		}
		shape = append(shape, dims[i].N)
	}
	o.out("Out", 0, l.node(o, "Reshape", []*ir.Value{x, l.i64s(shape...)}))
	return nil
}

func lowerSqueeze(onnx string) lowerFunc {
	return func(l *lowerer, o op) error {
		x := o.in("X", 0)
		axes, ok := intsArg(o, "axes", "AxesTensor", 1)
		ins := []*ir.Value{x}
		if ok && len(axes) > 0 {
			ins = append(ins, l.i64s(axes...))
		} else if onnx == "Unsqueeze" {
			return fmt.Errorf("unsqueeze without axes")
		}
		o.out("Out", 0, l.node(o, onnx, ins))
		return nil
	}
}

func lowerConcat(l *lowerer, o op) error {
	axis := attrInt(o, "axis", 0)
	if a := o.in("AxisTensor", 1); a != nil {
		if a.Const == nil {
			return fmt.Errorf("concat axis from a run-time tensor")
		}
		axis = constInts(a.Const)[0]
	}
	o.out("Out", 0, l.node(o, "Concat", o.list("X", 0), ir.Int("axis", axis)))
	return nil
}

func lowerStack(l *lowerer, o op) error {
	axis := attrInt(o, "axis", 0)
	xs := o.list("X", 0)
	parts := make([]*ir.Value, len(xs))
	for i, x := range xs {
		parts[i] = l.node(o, "Unsqueeze", []*ir.Value{x, l.i64s(axis)})
	}
	o.out("Y", 0, l.node(o, "Concat", parts, ir.Int("axis", axis)))
	return nil
}

func lowerShape(l *lowerer, o op) error {
	s := l.node(o, "Shape", []*ir.Value{o.in("Input", 0)})
	// ProgramDesc's shape op yields int32, PIR's shape64 int64: follow the declared type.
	if t, ok := o.outType("Out", 0); ok && t.DType == runtime.Int32 {
		s = l.node(o, "Cast", []*ir.Value{s}, ir.Int("to", int64(runtime.Int32)))
	}
	o.out("Out", 0, s)
	return nil
}

func lowerSlice(l *lowerer, o op) error {
	x := o.in("Input", 0)
	axes, _ := attrInts(o, "axes")
	starts, ok1 := intsArg(o, "starts", "StartsTensor", 1)
	ends, ok2 := intsArg(o, "ends", "EndsTensor", 2)
	if !ok1 || !ok2 {
		return fmt.Errorf("slice bounds from run-time tensors are not supported")
	}
	for i := range ends {
		if ends[i] > math.MaxInt32 {
			ends[i] = math.MaxInt64
		}
	}
	out := l.node(o, "Slice", []*ir.Value{x, l.i64s(starts...), l.i64s(ends...), l.i64s(axes...)})
	if dec, ok := attrInts(o, "decrease_axis"); ok && len(dec) > 0 {
		if r := rankOf(x); r >= 0 && len(dec) == r {
			// Every axis decreased: Paddle keeps a 1-element tensor ([1]) in old programs and a
			// scalar in PIR; follow the declared output rank.
			if t, ok := o.outType("Out", 0); ok && t.Rank() == 1 {
				o.out("Out", 0, l.node(o, "Reshape", []*ir.Value{out, l.i64s(1)}))
				return nil
			}
		}
		out = l.node(o, "Squeeze", []*ir.Value{out, l.i64s(dec...)})
	}
	o.out("Out", 0, out)
	return nil
}

// paddleDType maps the dtype attributes (ProgramDesc enum numbers, PIR names).
func paddleDType(v any) (runtime.DType, bool) {
	switch x := v.(type) {
	case int64:
		dt, ok := dtypes[paddleVarType(x)]
		return dt, ok
	case string:
		switch x {
		case "float32":
			return runtime.Float32, true
		case "float64":
			return runtime.Float64, true
		case "int32":
			return runtime.Int32, true
		case "int64":
			return runtime.Int64, true
		case "bool":
			return runtime.Bool, true
		case "float16":
			return runtime.Float16, true
		case "int8":
			return runtime.Int8, true
		case "uint8":
			return runtime.Uint8, true
		}
	}
	return 0, false
}

func lowerFillConstant(l *lowerer, o op) error {
	dv, _ := o.attr("dtype")
	dt, ok := paddleDType(dv)
	if !ok {
		return fmt.Errorf("dtype %v", dv)
	}
	shape, _ := attrInts(o, "shape")
	value := attrFloat(o, "value", 0)
	if s := attrString(o, "str_value", ""); s != "" {
		if _, err := fmt.Sscan(s, &value); err != nil {
			return fmt.Errorf("str_value %q", s)
		}
	}
	dims := make([]int, len(shape))
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("fill_constant with a dynamic shape %v", shape)
		}
		dims[i] = int(d)
	}
	o.out("Out", 0, l.filled(o, dt, dims, value))
	return nil
}

// maxFilledBytes bounds the constants that fill_constant and full embed in the weights; a larger
// one (or one whose size overflows) becomes a ConstantOfShape node, filled at run time, which
// the compiler's size check refuses when it exceeds the tensor bound. Nothing here allocates
// what a program merely declares.
const maxFilledBytes = 64 << 20

// filled is a dt tensor of the given dims, every element value.
func (l *lowerer) filled(o op, dt runtime.DType, dims []int, value float64) *ir.Value {
	n, small := int64(max(dt.Size(), 1)), true
	for _, d := range dims {
		if d > 0 && n > maxFilledBytes/int64(d) {
			small = false
			break
		}
		n *= int64(d)
	}
	if small {
		t := runtime.New(dt, dims...)
		fill(t, value)
		return l.g.AddConst("", t)
	}
	v := runtime.New(dt)
	fill(v, value)
	shape := make([]int64, len(dims))
	for i, d := range dims {
		shape[i] = int64(d)
	}
	return l.node(o, "ConstantOfShape", []*ir.Value{l.i64s(shape...)}, ir.TensorAttr("value", v))
}

func fill(t *runtime.Tensor, v float64) {
	switch t.DType {
	case runtime.Float32:
		for i := range runtime.Data[float32](t) {
			runtime.Data[float32](t)[i] = float32(v)
		}
	case runtime.Float64:
		for i := range runtime.Data[float64](t) {
			runtime.Data[float64](t)[i] = v
		}
	case runtime.Int32:
		for i := range runtime.Data[int32](t) {
			runtime.Data[int32](t)[i] = int32(v)
		}
	case runtime.Int64:
		for i := range runtime.Data[int64](t) {
			runtime.Data[int64](t)[i] = int64(v)
		}
	case runtime.Bool:
		for i := range runtime.Data[bool](t) {
			runtime.Data[bool](t)[i] = v != 0
		}
	case runtime.Float16:
		for i := range runtime.Data[runtime.F16](t) {
			runtime.Data[runtime.F16](t)[i] = runtime.ToF16(float32(v))
		}
	case runtime.Int8:
		for i := range runtime.Data[int8](t) {
			runtime.Data[int8](t)[i] = int8(v)
		}
	case runtime.Uint8:
		for i := range runtime.Data[uint8](t) {
			runtime.Data[uint8](t)[i] = uint8(v)
		}
	}
}

func lowerDropout(l *lowerer, o op) error {
	x := o.in("X", 0)
	p := attrFloat(o, "dropout_prob", attrFloat(o, "p", 0.5))
	impl := attrString(o, "dropout_implementation", attrString(o, "mode", "downgrade_in_infer"))
	if impl == "downgrade_in_infer" && p != 0 {
		o.out("Out", 0, l.node(o, "Mul", []*ir.Value{x, l.f32(float32(1 - p))}))
		return nil
	}
	o.out("Out", 0, l.node(o, "Identity", []*ir.Value{x}))
	return nil
}

func lowerLayerNorm(l *lowerer, o op) error {
	x := o.in("X", 0)
	axis := attrInt(o, "begin_norm_axis", 1)
	if r := rankOf(x); r >= 0 && axis != int64(r-1) {
		return fmt.Errorf("layer_norm over dims %d.. of rank %d (Paddle flattens the scale; only the last axis is supported)", axis, r)
	}
	ins := []*ir.Value{x}
	scale, bias := o.in("Scale", 1), o.in("Bias", 2)
	if scale == nil {
		return fmt.Errorf("layer_norm without a scale")
	}
	ins = append(ins, scale)
	if bias != nil {
		ins = append(ins, bias)
	}
	o.out("Y", 0, l.node(o, "LayerNormalization", ins, ir.Int("axis", axis), ir.Float("epsilon", attrFloat(o, "epsilon", 1e-5))))
	return nil
}

func lowerSplit(l *lowerer, o op) error {
	x := o.in("X", 0)
	axis := attrInt(o, "axis", 0)
	if a := o.in("AxisTensor", 1); a != nil && a.Const != nil {
		axis = constInts(a.Const)[0]
	}
	n := attrInt(o, "num", 0)
	sections, _ := attrInts(o, "sections")
	count := int(n)
	if count == 0 {
		count = len(sections)
	}
	if count == 0 {
		return fmt.Errorf("split without num or sections")
	}
	ins := []*ir.Value{x}
	attrs := []ir.Attr{ir.Int("axis", axis)}
	if n == 0 {
		ins = append(ins, l.i64s(sections...))
	} else {
		attrs = append(attrs, ir.Int("num_outputs", n))
	}
	outs := l.g.NewNode("Split", "", o.label(), ins, count, attrs...).Outputs
	for i, v := range outs {
		o.out("Out", i, v)
	}
	return nil
}

func lowerInterp(mode string) lowerFunc {
	return func(l *lowerer, o op) error {
		if f := attrString(o, "data_layout", attrString(o, "data_format", "NCHW")); f != "NCHW" {
			return fmt.Errorf("data_layout %s", f)
		}
		x := o.in("X", 0)
		attrs := []ir.Attr{ir.String("mode", mode)}
		align := attrBool(o, "align_corners", false)
		switch {
		case align:
			attrs = append(attrs, ir.String("coordinate_transformation_mode", "align_corners"))
		case mode == "nearest":
			attrs = append(attrs, ir.String("coordinate_transformation_mode", "asymmetric"), ir.String("nearest_mode", "floor"))
		case attrInt(o, "align_mode", 1) == 0:
			attrs = append(attrs, ir.String("coordinate_transformation_mode", "half_pixel"))
		default:
			attrs = append(attrs, ir.String("coordinate_transformation_mode", "asymmetric"))
		}
		outH, outW := attrInt(o, "out_h", -1), attrInt(o, "out_w", -1)
		scales, _ := o.attr("scale")
		var sc []float64
		switch s := scales.(type) {
		case []float64:
			sc = s
		case float64:
			if s > 0 {
				sc = []float64{s, s}
			}
		}
		if o.in("OutSize", 1) != nil || len(o.list("SizeTensor", 2)) > 0 || o.in("Scale", 3) != nil {
			return fmt.Errorf("interpolation sizes from run-time tensors are not supported")
		}
		empty := l.g.AddConst("", runtime.New(runtime.Float32, 0))
		switch {
		case len(sc) == 2 && sc[0] > 0:
			s := runtime.New(runtime.Float32, 4)
			copy(runtime.Data[float32](s), []float32{1, 1, float32(sc[0]), float32(sc[1])})
			o.out("Out", 0, l.node(o, "Resize", []*ir.Value{x, empty, l.g.AddConst("", s)}, attrs...))
		case outH > 0 && outW > 0:
			n := l.node(o, "Shape", []*ir.Value{x})
			nc := l.node(o, "Slice", []*ir.Value{n, l.i64s(0), l.i64s(2)})
			sizes := l.node(o, "Concat", []*ir.Value{nc, l.i64s(outH, outW)}, ir.Int("axis", 0))
			o.out("Out", 0, l.node(o, "Resize", []*ir.Value{x, empty, empty, sizes}, attrs...))
		default:
			return fmt.Errorf("interpolation without a scale or output size")
		}
		return nil
	}
}

func lowerCast(l *lowerer, o op) error {
	v, _ := o.attr("out_dtype")
	if v == nil {
		v, _ = o.attr("dtype")
	}
	dt, ok := paddleDType(v)
	if !ok {
		return fmt.Errorf("cast to %v", v)
	}
	o.out("Out", 0, l.node(o, "Cast", []*ir.Value{o.in("X", 0)}, ir.Int("to", int64(dt))))
	return nil
}

func lowerPRelu(l *lowerer, o op) error {
	x, alpha := o.in("X", 0), o.in("Alpha", 1)
	mode := attrString(o, "mode", "all")
	if mode == "channel" && rankOf(x) > 2 && rankOf(alpha) == 1 {
		axes := make([]int64, rankOf(x)-2)
		for i := range axes {
			axes[i] = int64(i + 1)
		}
		alpha = l.node(o, "Unsqueeze", []*ir.Value{alpha, l.i64s(axes...)})
	}
	o.out("Out", 0, l.node(o, "PRelu", []*ir.Value{x, alpha}))
	return nil
}

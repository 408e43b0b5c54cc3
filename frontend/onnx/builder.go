package onnx

import (
	"fmt"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// builder holds one ai.onnx node while the opset rewrites change its form. A rewrite either edits
// op, in and attrs (and the importer then emits the node), or emits an equivalent subgraph itself
// and returns its outputs.
type builder struct {
	c        *ctx
	g        *ir.Graph
	op       string
	domain   string
	name     string
	outNames []string
	in       []*ir.Value
	attrs    []ir.Attr
	nout     int
	opset    int
}

func (b *builder) attr(name string) (ir.Attr, bool) {
	for _, a := range b.attrs {
		if a.Name == name {
			return a, true
		}
	}
	return ir.Attr{}, false
}

// take removes an attribute and returns it.
func (b *builder) take(name string) (ir.Attr, bool) {
	for i, a := range b.attrs {
		if a.Name == name {
			b.attrs = append(b.attrs[:i:i], b.attrs[i+1:]...)
			return a, true
		}
	}
	return ir.Attr{}, false
}

// set adds or replaces an attribute.
func (b *builder) set(a ir.Attr) {
	b.take(a.Name)
	b.attrs = append(b.attrs, a)
}

func (b *builder) input(i int) *ir.Value {
	if i < len(b.in) {
		return b.in[i]
	}
	return nil
}

// need checks that the node has exactly n inputs, all present.
func (b *builder) need(n int) error {
	if len(b.in) != n {
		return fmt.Errorf("has %d inputs, want %d", len(b.in), n)
	}
	for i, v := range b.in {
		if v == nil {
			return fmt.Errorf("required input %d is missing", i)
		}
	}
	return nil
}

// setInput sets input i, padding with absent inputs, and drops trailing absent ones.
func (b *builder) setInput(i int, v *ir.Value) {
	for len(b.in) <= i {
		b.in = append(b.in, nil)
	}
	b.in[i] = v
	for len(b.in) > 0 && b.in[len(b.in)-1] == nil {
		b.in = b.in[:len(b.in)-1]
	}
}

// label names a value the rewrite introduces after the node's first output.
func (b *builder) label(suffix string) string {
	base := b.name
	for _, o := range b.outNames {
		if o != "" {
			base = o
			break
		}
	}
	return b.c.prefix + base + "_" + suffix
}

func (b *builder) constant(suffix string, t *runtime.Tensor) *ir.Value {
	return b.g.AddConst(b.label(suffix), t)
}

// ints is a 1-D int64 constant, the form ONNX uses for axes, pads, starts and the like.
func (b *builder) ints(suffix string, vals []int64) *ir.Value {
	t := runtime.New(runtime.Int64, len(vals))
	copy(runtime.Data[int64](t), vals)
	return b.constant(suffix, t)
}

// scalarInt is an int64 scalar constant.
func (b *builder) scalarInt(suffix string, v int64) *ir.Value {
	t := runtime.New(runtime.Int64)
	runtime.Data[int64](t)[0] = v
	return b.constant(suffix, t)
}

// floatsLike is a float constant of like's element type. An attribute that became an input must
// have the data input's type, which the importer knows when the model declares it; otherwise the
// constant is float32 and a CastLike converts it once shape inference knows the type.
func (b *builder) floatsLike(suffix string, vals []float64, shape []int, like *ir.Value) *ir.Value {
	dt := b.c.imp.dtypeOf(like)
	if !dt.IsFloat() {
		c := b.constant(suffix, floatTensor(runtime.Float32, vals, shape))
		return b.emit("CastLike", []*ir.Value{c, like}, suffix+"_cast")[0]
	}
	return b.constant(suffix, floatTensor(dt, vals, shape))
}

func floatTensor(dt runtime.DType, vals []float64, shape []int) *runtime.Tensor {
	t := runtime.New(dt, shape...)
	switch dt {
	case runtime.Float32:
		for i, v := range vals {
			runtime.Data[float32](t)[i] = float32(v)
		}
	case runtime.Float64:
		copy(runtime.Data[float64](t), vals)
	case runtime.Float16:
		for i, v := range vals {
			runtime.Data[runtime.F16](t)[i] = runtime.ToF16(float32(v))
		}
	case runtime.BFloat16:
		for i, v := range vals {
			runtime.Data[runtime.BF16](t)[i] = runtime.ToBF16(float32(v))
		}
	}
	return t
}

// emit appends a helper node with one output and returns its outputs.
func (b *builder) emit(op string, in []*ir.Value, suffix string, attrs ...ir.Attr) []*ir.Value {
	return b.emitN(op, in, 1, suffix, attrs...)
}

func (b *builder) emitN(op string, in []*ir.Value, nout int, suffix string, attrs ...ir.Attr) []*ir.Value {
	name := ""
	if b.name != "" {
		name = b.name + "/" + suffix
	}
	n := b.g.NewNode(op, "", name, in, nout, attrs...)
	for _, o := range n.Outputs {
		o.Name = b.label(suffix)
	}
	return n.Outputs
}

// self emits the node in its current form.
func (b *builder) self() []*ir.Value {
	return b.g.NewNode(b.op, b.domain, b.name, b.in, b.nout, b.attrs...).Outputs
}

// rank is v's rank when the importer knows it (declared inputs, constants, value_info).
func rank(v *ir.Value) (int, bool) {
	if v == nil || v.Type.Kind != ir.TensorKind || !v.Type.RankKnown {
		return 0, false
	}
	return len(v.Type.Shape), true
}

// sameDType lists ops whose first output has the element type of their first input (T -> T in
// the ONNX type constraints). The importer follows them to learn the type of a value that an
// older form's float attribute must match, so that the constant can be made in that type.
var sameDType = func() map[string]bool {
	m := map[string]bool{}
	for _, op := range strings.Fields(`Abs Acos Acosh Add Asin Asinh Atan Atanh AveragePool
		BatchNormalization Ceil Celu Clip Concat Conv ConvTranspose Cos Cosh DepthToSpace Div Dropout
		Elu Erf Exp Expand Flatten Floor Gather GatherElements GatherND Gelu Gemm GlobalAveragePool
		GlobalLpPool GlobalMaxPool HardSigmoid HardSwish Hardmax Identity InstanceNormalization LRN
		LayerNormalization LeakyRelu Log LogSoftmax LpNormalization LpPool MatMul Max MaxPool Mean Min
		Mish Mod Mul Neg PRelu Pad Pow Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp
		ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize Round
		Selu Shrink Sigmoid Sign Sin Sinh Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt
		Squeeze Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Unsqueeze`) {
		m[op] = true
	}
	return m
}()

// dtypeOf is v's element type when the importer knows it: declared, constant, or followed
// through sameDType ops; Undefined otherwise.
func (imp *importer) dtypeOf(v *ir.Value) runtime.DType {
	if v == nil {
		return runtime.Undefined
	}
	if v.Type.Kind == ir.TensorKind && v.Type.DType.Valid() {
		return v.Type.DType
	}
	if dt, ok := imp.dtypes[v]; ok {
		return dt
	}
	dt := runtime.Undefined
	if v.Def != nil && v.Def.Domain == "" && sameDType[v.Def.Op] && len(v.Def.Inputs) > 0 {
		if v == v.Def.Outputs[0] || v.Def.Op == "Split" {
			dt = imp.dtypeOf(v.Def.Inputs[0])
		}
	}
	// Memoized: a model with many rewritten nodes on a long chain would otherwise walk it again
	// for each.
	imp.dtypes[v] = dt
	return dt
}

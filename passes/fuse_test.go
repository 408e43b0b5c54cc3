package passes_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// fb builds small float32 graphs for the fusion tests; constants are random but deterministic.
type fb struct {
	g   *ir.Graph
	rng *rand.Rand
}

func (b *fb) rand(lo, hi float32, shape ...int) *ir.Value {
	t := runtime.New(runtime.Float32, shape...)
	for i := range runtime.Data[float32](t) {
		runtime.Data[float32](t)[i] = lo + (hi-lo)*b.rng.Float32()
	}
	return b.g.AddConst("", t)
}

func (b *fb) scalar(v float32, shape ...int) *ir.Value {
	t := runtime.New(runtime.Float32, shape...)
	runtime.Data[float32](t)[0] = v
	return b.g.AddConst("", t)
}

func (b *fb) node(op, name string, in []*ir.Value, attrs ...ir.Attr) *ir.Value {
	return b.g.NewNode(op, "", name, in, 1, attrs...).Outputs[0]
}

// conv adds a Conv with random weights (m outputs, c/group inputs per group, k x k window).
func (b *fb) conv(x *ir.Value, name string, m, c, k, group, pad int, bias bool) *ir.Value {
	in := []*ir.Value{x, b.rand(-1, 1, m, c/group, k, k)}
	if bias {
		in = append(in, b.rand(-1, 1, m))
	}
	p := int64(pad)
	return b.node("Conv", name, in, ir.Int("group", int64(group)), ir.Ints("pads", p, p, p, p))
}

// ints adds an int64 constant.
func (b *fb) ints(v ...int64) *ir.Value {
	t := runtime.New(runtime.Int64, len(v))
	copy(runtime.Data[int64](t), v)
	return b.g.AddConst("", t)
}

// attention adds torch's MultiheadAttention core on x [seq, 1, 3*heads*dim]: the slices of
// queries, keys and values, their reshapes into heads and transposes, the queries' scaling,
// the two products around a softmax, and the transpose and reshape of the result.
func (b *fb) attention(x *ir.Value, seq, heads, dim int64) *ir.Value {
	e := heads * dim
	part := func(i int64) *ir.Value {
		s := b.node("Slice", "", []*ir.Value{x, b.ints(i * e), b.ints((i + 1) * e), b.ints(-1)})
		return b.node("Reshape", "", []*ir.Value{s, b.ints(seq, heads, dim)})
	}
	q := b.node("Transpose", "", []*ir.Value{part(0)}, ir.Ints("perm", 1, 0, 2))
	q = b.node("Div", "", []*ir.Value{q, b.scalar(2.5)})
	k := b.node("Transpose", "", []*ir.Value{part(1)}, ir.Ints("perm", 1, 2, 0))
	v := b.node("Transpose", "", []*ir.Value{part(2)}, ir.Ints("perm", 1, 0, 2))
	a := b.node("Softmax", "", []*ir.Value{b.node("MatMul", "qk", []*ir.Value{q, k})}, ir.Int("axis", -1))
	y := b.node("Transpose", "", []*ir.Value{b.node("MatMul", "av", []*ir.Value{a, v})}, ir.Ints("perm", 1, 0, 2))
	return b.node("Reshape", "", []*ir.Value{y, b.ints(seq, e)})
}

func (b *fb) batchNorm(x *ir.Value, c int) *ir.Value {
	return b.node("BatchNormalization", "bn", []*ir.Value{x, b.rand(0.5, 2, c), b.rand(-1, 1, c), b.rand(-1, 1, c), b.rand(0.1, 2, c)}, ir.Float("epsilon", 1e-5))
}

// hardSwish adds x * Clip(x + 3, 0, 6) / 6, as paddle2onnx exports it.
func (b *fb) hardSwish(x *ir.Value) *ir.Value {
	a := b.node("Add", "", []*ir.Value{x, b.scalar(3)})
	c := b.node("Clip", "", []*ir.Value{a, b.scalar(0), b.scalar(6)})
	m := b.node("Mul", "", []*ir.Value{x, c})
	return b.node("Div", "hswish", []*ir.Value{m, b.scalar(6)})
}

// erfPlus1 adds 1 + erf(x / sqrt2), or erf(x * (1/sqrt2)) + 1 when mul.
func (b *fb) erfPlus1(x *ir.Value, mul bool) *ir.Value {
	d := b.node("Div", "", []*ir.Value{x, b.scalar(float32(math.Sqrt2))})
	if mul {
		d = b.node("Mul", "", []*ir.Value{b.scalar(float32(1 / math.Sqrt2)), x})
		return b.node("Add", "", []*ir.Value{b.node("Erf", "", []*ir.Value{d}), b.scalar(1)})
	}
	return b.node("Add", "", []*ir.Value{b.scalar(1), b.node("Erf", "", []*ir.Value{d})})
}

var fuseCases = []struct {
	name string
	// build makes the graph from input x of shape 1x4x6x6 (or the shape given).
	build   func(b *fb, x *ir.Value) []*ir.Value
	shape   []int
	ops     []string // node ops after the pipeline, in order
	remarks []string
}{
	{
		name: "conv+bn+hardswish",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			return []*ir.Value{b.hardSwish(b.batchNorm(b.conv(x, "conv", 8, 4, 3, 1, 1, false), 8))}
		},
		ops:     []string{"com.microsoft.FusedConv"},
		remarks: []string{`fused Conv+BatchNormalization+HardSwish at node "conv"`},
	},
	{
		name: "grouped conv+mul+add+relu",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "conv", 6, 4, 3, 2, 1, true)
			y = b.node("Mul", "", []*ir.Value{b.rand(0.5, 2, 6, 1, 1), y})
			y = b.node("Add", "", []*ir.Value{y, b.scalar(0.25, 1)})
			return []*ir.Value{b.node("Relu", "", []*ir.Value{y})}
		},
		ops:     []string{"com.microsoft.FusedConv"},
		remarks: []string{`fused Conv+Mul+Add+Relu at node "conv"`},
	},
	{
		name: "depthwise conv+sub+div+clip",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "dw", 4, 4, 3, 4, 1, true)
			y = b.node("Sub", "", []*ir.Value{b.rand(-1, 1, 1, 4, 1, 1), y})
			y = b.node("Div", "", []*ir.Value{y, b.rand(1, 2, 4, 1, 1)})
			return []*ir.Value{b.node("Clip", "", []*ir.Value{y, b.scalar(-0.5), b.scalar(0.5)})}
		},
		ops:     []string{"com.microsoft.FusedConv"},
		remarks: []string{`fused Conv+Sub+Div+Clip at node "dw"`},
	},
	{
		name: "conv output used twice stays",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "conv", 4, 4, 1, 1, 0, false)
			return []*ir.Value{b.batchNorm(y, 4), y}
		},
		ops: []string{"Conv", "BatchNormalization"},
	},
	{
		name: "training batchnorm stays",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "conv", 4, 4, 1, 1, 0, false)
			bn := b.batchNorm(y, 4)
			bn.Def.SetAttrs(ir.Int("training_mode", 1))
			return []*ir.Value{bn}
		},
		ops: []string{"Conv", "BatchNormalization"},
	},
	{
		name: "constant divided by conv stays",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "conv", 4, 4, 1, 1, 0, true)
			return []*ir.Value{b.node("Div", "", []*ir.Value{b.rand(1, 2, 4, 1, 1), y})}
		},
		ops: []string{"Conv", "Div"},
	},
	{
		name: "mul+add before unpadded conv",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("Mul", "", []*ir.Value{x, b.scalar(1.5, 1)})
			y = b.node("Add", "", []*ir.Value{b.rand(-1, 1, 1, 4, 1, 1), y})
			return []*ir.Value{b.conv(y, "pw", 8, 4, 1, 1, 0, true)}
		},
		ops:     []string{"Conv"},
		remarks: []string{`fused Mul+Add+Conv at node "pw"`},
	},
	{
		name: "add before padded conv stays, mul before it folds",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("Add", "", []*ir.Value{x, b.scalar(0.5, 1)})
			y = b.node("Mul", "", []*ir.Value{y, b.rand(0.5, 2, 4, 1, 1)})
			return []*ir.Value{b.conv(y, "conv", 4, 4, 3, 2, 1, false)}
		},
		ops:     []string{"Add", "Conv"},
		remarks: []string{`fused Mul+Conv at node "conv"`},
	},
	{
		name: "mul+add before padded conv: the mul folds through the add",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("Mul", "", []*ir.Value{b.rand(0.5, 2, 1, 4, 1, 1), x})
			y = b.node("Add", "", []*ir.Value{y, b.scalar(-0.75, 1)})
			return []*ir.Value{b.conv(y, "conv", 4, 4, 3, 4, 1, true)}
		},
		ops:     []string{"Add", "Conv"},
		remarks: []string{`fused Mul+Conv at node "conv"`},
	},
	{
		name: "a zero scale does not fold through the add",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("Mul", "", []*ir.Value{x, b.scalar(0, 1)})
			y = b.node("Add", "", []*ir.Value{y, b.scalar(-0.75, 1)})
			return []*ir.Value{b.conv(y, "conv", 4, 4, 3, 1, 1, true)}
		},
		ops: []string{"Mul", "Add", "Conv"},
	},
	{
		name: "residual add and relu",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.conv(x, "conv", 4, 4, 3, 1, 1, false)
			y = b.node("Add", "", []*ir.Value{x, y})
			return []*ir.Value{b.node("Relu", "", []*ir.Value{y})}
		},
		ops:     []string{"com.microsoft.FusedConv"},
		remarks: []string{`fused Conv+Add+Relu at node "conv"`},
	},
	{
		name: "activations",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			var outs []*ir.Value
			for _, a := range []struct {
				op    string
				attrs []ir.Attr
			}{
				{"LeakyRelu", []ir.Attr{ir.Float("alpha", 0.3)}},
				{"HardSigmoid", []ir.Attr{ir.Float("alpha", 1.0/6)}},
				{"Sigmoid", nil},
				{"Tanh", nil},
			} {
				y := b.conv(x, a.op, 2, 4, 3, 1, 1, true)
				outs = append(outs, b.node(a.op, "", []*ir.Value{y}, a.attrs...))
			}
			y := b.conv(x, "clipmax", 2, 4, 1, 1, 0, true)
			outs = append(outs, b.node("Clip", "", []*ir.Value{y, nil, b.scalar(0.1)}))
			return outs
		},
		ops: slices.Repeat([]string{"com.microsoft.FusedConv"}, 5),
		remarks: []string{
			`fused Conv+LeakyRelu at node "LeakyRelu"`, `fused Conv+HardSigmoid at node "HardSigmoid"`,
			`fused Conv+Sigmoid at node "Sigmoid"`, `fused Conv+Tanh at node "Tanh"`, `fused Conv+Clip at node "clipmax"`,
		},
	},
	{
		name: "standalone hardswish forms",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			a := b.node("Add", "", []*ir.Value{b.scalar(3), x})
			c := b.node("Clip", "", []*ir.Value{a, b.scalar(0), b.scalar(6)})
			d := b.node("Mul", "", []*ir.Value{c, b.scalar(1.0 / 6)})
			y1 := b.node("Mul", "", []*ir.Value{d, x})
			a2 := b.node("Add", "", []*ir.Value{x, b.scalar(3)})
			c2 := b.node("Clip", "", []*ir.Value{a2, b.scalar(0), b.scalar(6)})
			m2 := b.node("Mul", "", []*ir.Value{c2, x})
			y2 := b.node("Mul", "", []*ir.Value{b.scalar(1.0 / 6), m2})
			return []*ir.Value{y1, y2, b.hardSwish(x)}
		},
		ops: []string{"HardSwish", "HardSwish", "HardSwish"},
	},
	{
		name: "standalone gelu forms",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			// torch: (x * (1 + erf(x/sqrt2))) * 0.5
			y1 := b.node("Mul", "", []*ir.Value{b.node("Mul", "", []*ir.Value{x, b.erfPlus1(x, false)}), b.scalar(0.5)})
			// x * ((erf(x*(1/sqrt2)) + 1) * 0.5)
			y2 := b.node("Mul", "", []*ir.Value{x, b.node("Mul", "", []*ir.Value{b.erfPlus1(x, true), b.scalar(0.5)})})
			// (0.5 * x) * (1 + erf(x/sqrt2))
			y3 := b.node("Mul", "", []*ir.Value{b.node("Mul", "", []*ir.Value{b.scalar(0.5), x}), b.erfPlus1(x, false)})
			return []*ir.Value{y1, y2, y3}
		},
		ops: []string{"Gelu", "Gelu", "Gelu"},
	},
	{
		name: "gelu of another operand stays",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			z := b.node("Relu", "", []*ir.Value{x})
			return []*ir.Value{b.node("Mul", "", []*ir.Value{b.node("Mul", "", []*ir.Value{z, b.erfPlus1(x, false)}), b.scalar(0.5)})}
		},
		ops: []string{"Relu", "Div", "Erf", "Add", "Mul", "Mul"},
	},
	{
		name:  "linear+gelu",
		shape: []int{2, 5, 7},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("MatMul", "fc", []*ir.Value{x, b.rand(-1, 1, 7, 3)})
			y = b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 3)})
			return []*ir.Value{b.node("Mul", "", []*ir.Value{b.node("Mul", "", []*ir.Value{y, b.erfPlus1(y, false)}), b.scalar(0.5)})}
		},
		ops:     []string{"onnxc.MatMulBias"},
		remarks: []string{`fused MatMul+Add+Gelu at node "fc"`},
	},
	{
		name: "clip to other bounds is no hardswish",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			a := b.node("Add", "", []*ir.Value{x, b.scalar(3)})
			c := b.node("Clip", "", []*ir.Value{a, b.scalar(0), b.scalar(5)})
			m := b.node("Mul", "", []*ir.Value{x, c})
			return []*ir.Value{b.node("Div", "", []*ir.Value{m, b.scalar(6)})}
		},
		ops: []string{"Add", "Clip", "Mul", "Div"},
	},
	{
		name:  "matmul+add+relu",
		shape: []int{5, 7},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("MatMul", "fc", []*ir.Value{x, b.rand(-1, 1, 7, 3)})
			y = b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 3)})
			return []*ir.Value{b.node("Relu", "", []*ir.Value{y})}
		},
		ops:     []string{"com.microsoft.FusedGemm"},
		remarks: []string{`fused MatMul+Add+Relu at node "fc"`},
	},
	{
		name:  "batched matmul+bias",
		shape: []int{2, 5, 7},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("MatMul", "fc", []*ir.Value{x, b.rand(-1, 1, 7, 3)})
			return []*ir.Value{b.node("Add", "", []*ir.Value{b.rand(-1, 1, 1, 1, 3), y})}
		},
		ops:     []string{"onnxc.MatMulBias"},
		remarks: []string{`fused MatMul+Add at node "fc"`},
	},
	{
		name:  "batched matmul+add of a matrix stays",
		shape: []int{2, 5, 7},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("MatMul", "fc", []*ir.Value{x, b.rand(-1, 1, 7, 3)})
			return []*ir.Value{b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 5, 3)})}
		},
		ops: []string{"MatMul", "Add"},
	},
	{
		name:  "attention views",
		shape: []int{5, 1, 36},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			return []*ir.Value{b.attention(x, 5, 3, 4)}
		},
		ops: []string{"onnxc.MatMulView", "Softmax", "onnxc.MatMulView", "Reshape"},
		remarks: []string{`fused Slice+Reshape+Transpose+Div+Slice+Reshape+Transpose+MatMul at node "qk"`,
			`fused Slice+Reshape+Transpose+MatMul+Transpose at node "av"`},
	},
	{
		name:  "transposes of a matmul by a constant stay",
		shape: []int{2, 3, 4},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			t := b.node("Transpose", "", []*ir.Value{x}, ir.Ints("perm", 0, 2, 1))
			y := b.node("MatMul", "", []*ir.Value{t, b.rand(-1, 1, 3, 5)})
			return []*ir.Value{b.node("Transpose", "", []*ir.Value{y}, ir.Ints("perm", 1, 0, 2))}
		},
		ops: []string{"Transpose", "MatMul", "Transpose"},
	},
	{
		name:  "a transpose with another use stays",
		shape: []int{2, 3, 3},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			t := b.node("Transpose", "", []*ir.Value{x}, ir.Ints("perm", 0, 2, 1))
			return []*ir.Value{b.node("MatMul", "", []*ir.Value{t, x}), t}
		},
		ops: []string{"Transpose", "MatMul"},
	},
	{
		// A one-element constant of higher rank broadcasts its operand to that rank: no
		// scale of a view.
		name:  "a scalar that broadcasts stays",
		shape: []int{3, 4},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			a := b.node("Mul", "", []*ir.Value{x, b.scalar(0.5, 1, 1, 1)})
			t := b.node("Transpose", "", []*ir.Value{b.node("Relu", "", []*ir.Value{x})}, ir.Ints("perm", 1, 0))
			return []*ir.Value{b.node("MatMul", "mm", []*ir.Value{a, t})}
		},
		ops:     []string{"Mul", "Relu", "onnxc.MatMulView"},
		remarks: []string{`fused Transpose+MatMul at node "mm"`},
	},
	{
		// The reshape merges dims that the transpose made non-contiguous: only the
		// transpose's input is a view, the reshape's output is read as it is.
		name:  "a reshape that copies ends the view",
		shape: []int{2, 3, 4},
		build: func(b *fb, x *ir.Value) []*ir.Value {
			t := b.node("Transpose", "", []*ir.Value{x}, ir.Ints("perm", 0, 2, 1))
			r := b.node("Reshape", "", []*ir.Value{t, b.ints(8, 3)})
			s := b.node("Reshape", "", []*ir.Value{x, b.ints(8, 3)})
			u := b.node("Transpose", "", []*ir.Value{s}, ir.Ints("perm", 1, 0))
			return []*ir.Value{b.node("MatMul", "mm", []*ir.Value{r, u})}
		},
		ops:     []string{"Transpose", "Reshape", "onnxc.MatMulView"},
		remarks: []string{`fused Reshape+Transpose+MatMul at node "mm"`},
	},
	{
		name: "grouped conv transpose+add+bn",
		build: func(b *fb, x *ir.Value) []*ir.Value {
			y := b.node("ConvTranspose", "up", []*ir.Value{x, b.rand(-1, 1, 4, 3, 2, 2)}, ir.Int("group", 2), ir.Ints("strides", 2, 2))
			y = b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 6, 1, 1)})
			return []*ir.Value{b.node("Relu", "", []*ir.Value{b.batchNorm(y, 6)})}
		},
		ops:     []string{"ConvTranspose", "Relu"},
		remarks: []string{`fused ConvTranspose+Add+BatchNormalization at node "up"`},
	},
}

func buildFuseCase(i int) (*ir.Model, []*runtime.Tensor) {
	c := fuseCases[i]
	shape := c.shape
	if shape == nil {
		shape = []int{1, 4, 6, 6}
	}
	m := ir.NewModel(c.name)
	b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(int64(i + 1)))}
	x := m.Graph.AddInput("x", ir.StaticType(runtime.Float32, shape...))
	m.Graph.Outputs = c.build(b, x)
	in := runtime.New(runtime.Float32, shape...)
	for j := range runtime.Data[float32](in) {
		runtime.Data[float32](in)[j] = float32(b.rng.NormFloat64() * 2)
	}
	return m, []*runtime.Tensor{in}
}

func TestFuse(t *testing.T) {
	for i, c := range fuseCases {
		t.Run(c.name, func(t *testing.T) {
			// The reference: the graph as built, run by the interpreter after inference only.
			ref, inputs := buildFuseCase(i)
			if err := passes.Infer(ref); err != nil {
				t.Fatal(err)
			}
			want, err := ops.Interpret(runtime.NewExec(nil), ref.Graph, inputs, nil)
			if err != nil {
				t.Fatal(err)
			}

			m, _ := buildFuseCase(i)
			for _, p := range passes.Pipeline {
				if p.Name == "fuse" {
					break
				}
				if err := p.Fn(m); err != nil {
					t.Fatal(err)
				}
			}
			remarks, err := passes.FuseRemarks(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := passes.DCE(m); err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m, true); err != nil {
				t.Fatalf("IR invalid after fusion: %v\n%s", err, m)
			}
			var got []string
			for _, n := range m.Graph.Nodes {
				op := n.Op
				if n.Domain != "" {
					op = n.Domain + "." + op
				}
				got = append(got, op)
			}
			if !slices.Equal(got, c.ops) {
				t.Errorf("ops after fusion %v, want %v\n%s", got, c.ops, m)
			}
			if !slices.Equal(remarks, c.remarks) {
				t.Errorf("remarks %q, want %q", remarks, c.remarks)
			}
			out, err := ops.Interpret(runtime.NewExec(nil), m.Graph, inputs, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k := range want {
				compareF32(t, k, runtime.Data[float32](want[k]), runtime.Data[float32](out[k]))
			}
		})
	}
}

func compareF32(t *testing.T, k int, want, got []float32) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("output %d: %d elements, want %d", k, len(got), len(want))
	}
	for j := range want {
		if d := math.Abs(float64(got[j] - want[j])); d > 1e-4+1e-4*math.Abs(float64(want[j])) || math.IsNaN(float64(got[j])) {
			t.Fatalf("output %d element %d: %g, want %g", k, j, got[j], want[j])
		}
	}
}

// The fuse pass runs in the pipeline and its remarks name the Conv.
func TestFuseInPipeline(t *testing.T) {
	m, _ := buildFuseCase(0)
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 1 || !strings.Contains(m.String(), `activation="HardSwish"`) {
		t.Errorf("want one FusedConv with HardSwish:\n%s", m)
	}
}

// With symbolic dims attention's chains fold into steps that the kernel resolves per call,
// reading the Reshape targets: for one image the head reshape is a view, for two the kernel
// copies the slice, as the Slice node did; both give the unfused graph's results.
func TestFuseViewsSymbolic(t *testing.T) {
	build := func() (*ir.Model, *ir.Value) {
		m := ir.NewModel("attention")
		b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(1))}
		x := m.Graph.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("seq"), ir.Symbol("batch"), ir.Static(36)))
		heads := m.Graph.AddInput("heads", ir.StaticType(runtime.Int64, 3))
		part := func(i int64) *ir.Value {
			s := b.node("Slice", "", []*ir.Value{x, b.ints(i * 12), b.ints((i + 1) * 12), b.ints(-1)})
			return b.node("Reshape", "", []*ir.Value{s, heads})
		}
		q := b.node("Div", "", []*ir.Value{b.node("Transpose", "", []*ir.Value{part(0)}, ir.Ints("perm", 1, 0, 2)), b.scalar(2)})
		k := b.node("Transpose", "", []*ir.Value{part(1)}, ir.Ints("perm", 1, 2, 0))
		v := b.node("Transpose", "", []*ir.Value{part(2)}, ir.Ints("perm", 1, 0, 2))
		a := b.node("Softmax", "", []*ir.Value{b.node("MatMul", "qk", []*ir.Value{q, k})}, ir.Int("axis", -1))
		y := b.node("Transpose", "", []*ir.Value{b.node("MatMul", "av", []*ir.Value{a, v})}, ir.Ints("perm", 1, 0, 2))
		m.Graph.Outputs = []*ir.Value{y}
		return m, x
	}
	for _, batch := range []int{1, 2} {
		x := runtime.New(runtime.Float32, 5, batch, 36)
		r := rand.New(rand.NewSource(int64(batch)))
		for i := range runtime.Data[float32](x) {
			runtime.Data[float32](x)[i] = float32(r.NormFloat64())
		}
		heads := runtime.New(runtime.Int64, 3)
		copy(runtime.Data[int64](heads), []int64{5, int64(batch * 3), 4})
		inputs := []*runtime.Tensor{x, heads}

		ref, _ := build()
		if err := passes.Infer(ref); err != nil {
			t.Fatal(err)
		}
		want, err := ops.Interpret(runtime.NewExec(nil), ref.Graph, inputs, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := build()
		if got, want := pipelineOps(t, m), []string{"onnxc.MatMulView", ".Softmax", "onnxc.MatMulView"}; !slices.Equal(got, want) {
			t.Fatalf("ops after the pipeline %v, want %v\n%s", got, want, m)
		}
		// The fused node keeps the output's type as inference found it.
		if g, w := m.Graph.Outputs[0].Type.String(), ref.Graph.Outputs[0].Type.String(); g != w {
			t.Errorf("output type %s after fusion, %s before", g, w)
		}
		out, err := ops.Interpret(runtime.NewExec(nil), m.Graph, inputs, nil)
		if err != nil {
			t.Fatal(err)
		}
		compareF32(t, 0, runtime.Data[float32](want[0]), runtime.Data[float32](out[0]))
	}
}

// A slice that steps backwards is no view the kernel takes: with symbolic dims it stays a
// Slice (the other operand's transpose still folds), and the results are the unfused graph's.
func TestFuseViewsSymbolicBackwardSlice(t *testing.T) {
	build := func() *ir.Model {
		m := ir.NewModel("reverse")
		b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(1))}
		x := m.Graph.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("s"), ir.Static(8)))
		a := b.node("Slice", "", []*ir.Value{x, b.ints(-1), b.ints(math.MinInt64), b.ints(0), b.ints(-1)})
		bt := b.node("Transpose", "", []*ir.Value{b.node("Relu", "", []*ir.Value{x})}, ir.Ints("perm", 1, 0))
		m.Graph.Outputs = []*ir.Value{b.node("MatMul", "mm", []*ir.Value{a, bt})}
		return m
	}
	x := runtime.New(runtime.Float32, 5, 8)
	for i := range runtime.Data[float32](x) {
		runtime.Data[float32](x)[i] = float32(i%7) - 3
	}
	ref := build()
	if err := passes.Infer(ref); err != nil {
		t.Fatal(err)
	}
	want, err := ops.Interpret(runtime.NewExec(nil), ref.Graph, []*runtime.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := build()
	if got, w := pipelineOps(t, m), []string{".Slice", ".Relu", "onnxc.MatMulView"}; !slices.Equal(got, w) {
		t.Fatalf("ops after the pipeline %v, want %v\n%s", got, w, m)
	}
	// The fused node keeps the output's symbolic dims, which inference cannot find from its
	// per-call views alone.
	if g, w := m.Graph.Outputs[0].Type.String(), ref.Graph.Outputs[0].Type.String(); g != w || !strings.Contains(w, "s") {
		t.Errorf("output type %s after fusion, %s before", g, w)
	}
	out, err := ops.Interpret(runtime.NewExec(nil), m.Graph, []*runtime.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	compareF32(t, 0, runtime.Data[float32](want[0]), runtime.Data[float32](out[0]))
}

// pipelineOps runs the pipeline on m and returns its ops, domain-qualified ("." for ai.onnx).
func pipelineOps(t *testing.T, m *ir.Model) []string {
	t.Helper()
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.Graph.Nodes {
		ops = append(ops, n.Domain+"."+n.Op)
	}
	return ops
}

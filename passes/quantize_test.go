package passes_test

import (
	"fmt"
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

// qtModel is a graph on input x [2, 5, 24]: MatMul by W1 [24, 40] + bias, Relu, then for Gemm
// a reshape to [10, 40] and Gemm by W2 (transB, [16, 40]) with C, alpha and beta; a MatMul by a
// non-constant stays.
func qtModel(seed int64) (*ir.Model, *runtime.Tensor) {
	m := ir.NewModel("quantize")
	b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(seed))}
	x := m.Graph.AddInput("x", ir.StaticType(runtime.Float32, 2, 5, 24))
	y := b.node("MatMul", "mm1", []*ir.Value{x, b.rand(-1, 1, 24, 40)})
	y = b.node("Add", "bias1", []*ir.Value{y, b.rand(-1, 1, 40)})
	y = b.node("Relu", "", []*ir.Value{y})
	shape := runtime.New(runtime.Int64, 2)
	copy(runtime.Data[int64](shape), []int64{10, 40})
	y = b.node("Reshape", "", []*ir.Value{y, m.Graph.AddConst("", shape)})
	y = b.node("Gemm", "gemm", []*ir.Value{y, b.rand(-1, 1, 16, 40), b.rand(-1, 1, 16)}, ir.Int("transB", 1), ir.Float("alpha", 0.5), ir.Float("beta", 2))
	z := b.node("MatMul", "mm3", []*ir.Value{y, b.node("Transpose", "", []*ir.Value{y})})
	m.Graph.Outputs = []*ir.Value{y, z}
	in := runtime.New(runtime.Float32, 2, 5, 24)
	for i := range runtime.Data[float32](in) {
		runtime.Data[float32](in)[i] = b.rng.Float32()*2 - 1
	}
	return m, in
}

func qtRun(t *testing.T, m *ir.Model, in *runtime.Tensor) []*runtime.Tensor {
	t.Helper()
	outs, err := ops.Interpret(runtime.NewExec(nil), m.Graph, []*runtime.Tensor{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func qtOps(m *ir.Model) []string {
	var out []string
	for _, n := range m.Graph.Nodes {
		out = append(out, n.Op)
	}
	return out
}

// qtPipelineMatches runs the pipeline on m (shapes inferred) and checks that it leaves the ops
// want and computes on in what m computed before, within tol relative to 1+|value|.
func qtPipelineMatches(t *testing.T, label string, m *ir.Model, in *runtime.Tensor, want []string, tol float64) {
	t.Helper()
	before := runtime.Data[float32](qtRun(t, m, in)[0])
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	if ops := qtOps(m); !slices.Equal(ops, want) {
		t.Fatalf("%s: ops after the pipeline %v, want %v", label, ops, want)
	}
	got := runtime.Data[float32](qtRun(t, m, in)[0])
	for i, v := range before {
		if math.Abs(float64(got[i]-v)) > tol*(1+math.Abs(float64(v))) {
			t.Fatalf("%s: element %d = %v, want %v", label, i, got[i], v)
		}
	}
}

func qtRelL2(got, want []float32) float64 {
	var d, w float64
	for i := range want {
		d += math.Pow(float64(got[i]-want[i]), 2)
		w += math.Pow(float64(want[i]), 2)
	}
	return math.Sqrt(d / w)
}

func TestQuantize(t *testing.T) {
	m, in := qtModel(1)
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	want := qtRun(t, m, in)
	for _, tc := range []struct {
		name string
		opt  passes.QuantizeOptions
		n    int // DynQuantMatMul nodes
	}{
		{"per tensor", passes.QuantizeOptions{}, 2},
		{"per channel", passes.QuantizeOptions{PerChannel: true}, 2},
		{"reduce range", passes.QuantizeOptions{ReduceRange: true}, 2},
		{"matmul only", passes.QuantizeOptions{OpTypes: []string{"MatMul"}}, 1},
		{"exclude", passes.QuantizeOptions{Exclude: []string{"mm1"}}, 1},
		{"include", passes.QuantizeOptions{Include: []string{"mm1"}}, 1},
		{"per row", passes.QuantizeOptions{PerChannel: true, PerRow: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, in := qtModel(1)
			opt := tc.opt
			if err := passes.Run(m, passes.Options{Verify: true, Quantize: &opt}); err != nil {
				t.Fatal(err)
			}
			ops := qtOps(m)
			if n := len(slices.DeleteFunc(slices.Clone(ops), func(s string) bool { return s != "DynQuantMatMul" })); n != tc.n {
				t.Fatalf("ops %v: %d DynQuantMatMul, want %d", ops, n, tc.n)
			}
			if slices.Contains(ops, "Add") {
				t.Errorf("ops %v: the bias Add was not fused", ops)
			}
			for _, n := range m.Graph.Nodes {
				if n.Op == "DynQuantMatMul" && (n.GetInt("x_per_row", 0) != 0) != opt.PerRow {
					t.Errorf("%s: x_per_row %d with PerRow %v", n.Describe(), n.GetInt("x_per_row", 0), opt.PerRow)
				}
			}
			quantized, left := 0, map[string]string{}
			for _, r := range opt.Remarks {
				if r.Quantized {
					quantized++
				} else {
					left[r.Node] = r.Why
				}
			}
			why := "B is not a constant float32 matrix"
			if opt.Include != nil {
				why = "not among the included names"
			}
			// mm3, a product of computed operands, is an onnxc.MatMulView after fusion.
			if quantized != tc.n || left[`onnxc.MatMulView node "mm3"`] != why {
				t.Errorf("remarks %+v", opt.Remarks)
			}
			got := qtRun(t, m, in)
			for i := range want {
				if e := qtRelL2(runtime.Data[float32](got[i]), runtime.Data[float32](want[i])); e > 0.02 {
					t.Errorf("output %d: relative L2 %.4f", i, e)
				}
			}
		})
	}
}

// TestQuantizeChain builds onnxruntime's pre-quantized form of MatMul + Add (per-channel
// int8 and per-tensor uint8 weights with a zero point) and checks that the pipeline makes it
// one DynQuantMatMul computing what the chain computes.
func TestQuantizeChain(t *testing.T) {
	for _, u8 := range []bool{false, true} {
		m := ir.NewModel("chain")
		g := m.Graph
		rng := rand.New(rand.NewSource(2))
		b := &fb{g: g, rng: rng}
		x := g.AddInput("x", ir.StaticType(runtime.Float32, 3, 7, 20))
		w := runtime.New(runtime.Int8, 20, 12)
		ws := b.rand(0.001, 0.01, 12)
		var wz *ir.Value
		if u8 {
			w = runtime.New(runtime.Uint8, 20, 12)
			for i := range runtime.Data[uint8](w) {
				runtime.Data[uint8](w)[i] = uint8(100 + rng.Intn(56))
			}
			z := runtime.New(runtime.Uint8)
			runtime.Data[uint8](z)[0] = 128
			wz = g.AddConst("wz", z)
			ws = b.scalar(0.004)
		} else {
			for i := range runtime.Data[int8](w) {
				runtime.Data[int8](w)[i] = int8(rng.Intn(255) - 127)
			}
		}
		dq := g.NewNode("DynamicQuantizeLinear", "", "dql", []*ir.Value{x}, 3)
		mi := b.node("MatMulInteger", "mm_quant", []*ir.Value{dq.Outputs[0], g.AddConst("w", w), dq.Outputs[2], wz})
		c := b.node("Cast", "", []*ir.Value{mi}, ir.Int("to", int64(runtime.Float32)))
		s := b.node("Mul", "", []*ir.Value{dq.Outputs[1], ws})
		y := b.node("Mul", "", []*ir.Value{c, s})
		y = b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 12)})
		g.Outputs = []*ir.Value{y}
		in := runtime.New(runtime.Float32, 3, 7, 20)
		for i := range runtime.Data[float32](in) {
			runtime.Data[float32](in)[i] = rng.Float32()*3 - 1
		}
		if err := passes.Infer(m); err != nil {
			t.Fatal(err)
		}
		qtPipelineMatches(t, fmt.Sprintf("u8 %v", u8), m, in, []string{"DynQuantMatMul"}, 1e-5)
	}
}

// TestQuantizeConv quantizes a 3x3 Conv + Relu, a 1x1 Conv with a bias and a residual Add
// and a depthwise Conv (which stays float32), only when Conv is among the op types.
func TestQuantizeConv(t *testing.T) {
	build := func() (*ir.Model, *runtime.Tensor) {
		m := ir.NewModel("qconv")
		b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(4))}
		x := m.Graph.AddInput("x", ir.StaticType(runtime.Float32, 1, 8, 10, 12))
		y := b.node("Conv", "c3", []*ir.Value{x, b.rand(-1, 1, 16, 8, 3, 3), b.rand(-1, 1, 16)}, ir.Ints("pads", 1, 1, 1, 1))
		y = b.node("Relu", "", []*ir.Value{y})
		d := b.node("Conv", "dw", []*ir.Value{y, b.rand(-1, 1, 16, 1, 3, 3)}, ir.Ints("pads", 1, 1, 1, 1), ir.Int("group", 16))
		z := b.node("Conv", "c1", []*ir.Value{d, b.rand(-1, 1, 16, 16, 1, 1), b.rand(-1, 1, 16)})
		z = b.node("Add", "", []*ir.Value{z, y})
		m.Graph.Outputs = []*ir.Value{z}
		in := runtime.New(runtime.Float32, 1, 8, 10, 12)
		for i := range runtime.Data[float32](in) {
			runtime.Data[float32](in)[i] = b.rng.Float32()*2 - 1
		}
		return m, in
	}
	m, in := build()
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	want := runtime.Data[float32](qtRun(t, m, in)[0])
	for _, tc := range []struct {
		ops    []string
		n      int // DynQuantConv nodes
		perRow bool
	}{{nil, 0, false}, {[]string{"MatMul"}, 0, false}, {[]string{"Conv"}, 2, false}, {[]string{"Conv"}, 2, true}} {
		m, in := build()
		opt := passes.QuantizeOptions{OpTypes: tc.ops, PerChannel: true, PerRow: tc.perRow}
		if err := passes.Run(m, passes.Options{Verify: true, Quantize: &opt}); err != nil {
			t.Fatal(err)
		}
		ops := qtOps(m)
		if n := len(slices.DeleteFunc(slices.Clone(ops), func(s string) bool { return s != "DynQuantConv" })); n != tc.n {
			t.Fatalf("op types %v: ops %v, want %d DynQuantConv", tc.ops, ops, tc.n)
		}
		if tc.n == 0 {
			continue
		}
		if slices.Contains(ops, "Relu") || slices.Contains(ops, "Add") {
			t.Errorf("ops %v: the activation or the residual Add was not fused", ops)
		}
		for _, r := range opt.Remarks {
			if r.Quantized == (r.Node == `Conv node "dw"`) {
				t.Errorf("remark %+v", r)
			}
		}
		// Only the pointwise c1 reads one input pixel per output pixel.
		for _, n := range m.Graph.Nodes {
			if n.Op == "DynQuantConv" && (n.GetInt("x_per_row", 0) != 0) != (tc.perRow && n.Name == "c1") {
				t.Errorf("per row %v: %s has x_per_row %d", tc.perRow, n.Describe(), n.GetInt("x_per_row", 0))
			}
		}
		got := runtime.Data[float32](qtRun(t, m, in)[0])
		if e := qtRelL2(got, want); e > 0.03 {
			t.Errorf("relative L2 %.4f", e)
		}
	}
}

// TestQuantizeConvChain compiles onnxruntime's pre-quantized conv form, DynamicQuantizeLinear
// -> ConvInteger -> Cast -> Mul(X scale * W scale) -> Add(bias [1, M, 1, 1]), into one
// DynQuantConv that computes what the chain does: int8 weights, uint8 weights whose zero point
// keeps w - z in int8, and uint8 weights that need the shifted form (w - 128, offset 128 - z),
// per tensor and per output channel, with one weight scale or one per channel ([M, 1, 1], as
// onnxc quantize writes it).
func TestQuantizeConvChain(t *testing.T) {
	for _, tc := range []struct {
		name       string
		u8         bool
		zps        []uint8 // W's zero points: none, one, or one per output channel
		lo, span   int     // weights drawn from [lo, lo+span)
		perChannel bool    // W's scales per output channel
	}{
		{"int8", false, nil, -127, 255, false},
		{"uint8 fits", true, []uint8{128}, 60, 136, false},
		{"uint8 shifted", true, []uint8{143}, 0, 256, false},
		{"uint8 shifted per channel", true, []uint8{3, 250, 128, 17, 200, 99}, 0, 256, false},
		{"uint8 128, scales per channel", true, []uint8{128}, 0, 256, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const c, m = 5, 6
			g := ir.NewModel("convchain").Graph
			rng := rand.New(rand.NewSource(3))
			b := &fb{g: g, rng: rng}
			x := g.AddInput("x", ir.StaticType(runtime.Float32, 2, c, 9, 11))
			dt := runtime.Int8
			if tc.u8 {
				dt = runtime.Uint8
			}
			w := runtime.New(dt, m, c, 3, 3)
			for i := range w.Len() {
				v := tc.lo + rng.Intn(tc.span)
				if tc.u8 {
					runtime.Data[uint8](w)[i] = uint8(v)
				} else {
					runtime.Data[int8](w)[i] = int8(v)
				}
			}
			var wz *ir.Value
			if tc.zps != nil {
				z := runtime.New(runtime.Uint8, len(tc.zps))
				if len(tc.zps) == 1 {
					z = runtime.New(runtime.Uint8)
				}
				copy(runtime.Data[uint8](z), tc.zps)
				wz = g.AddConst("wz", z)
			}
			dq := g.NewNode("DynamicQuantizeLinear", "", "dql", []*ir.Value{x}, 3)
			ci := b.node("ConvInteger", "conv_quant", []*ir.Value{dq.Outputs[0], g.AddConst("w", w), dq.Outputs[2], wz},
				ir.Ints("pads", 1, 1, 1, 1), ir.Ints("strides", 2, 1))
			cast := b.node("Cast", "", []*ir.Value{ci}, ir.Int("to", int64(runtime.Float32)))
			ws := b.scalar(0.003)
			if tc.perChannel {
				ws = b.rand(0.001, 0.005, m, 1, 1)
			}
			s := b.node("Mul", "", []*ir.Value{dq.Outputs[1], ws})
			y := b.node("Mul", "", []*ir.Value{cast, s})
			y = b.node("Add", "", []*ir.Value{y, b.rand(-1, 1, 1, m, 1, 1)})
			y = b.node("Relu", "", []*ir.Value{y})
			g.Outputs = []*ir.Value{y}
			m0 := g.Model
			in := runtime.New(runtime.Float32, 2, c, 9, 11)
			for i := range runtime.Data[float32](in) {
				runtime.Data[float32](in)[i] = rng.Float32()*3 - 1
			}
			if err := passes.Infer(m0); err != nil {
				t.Fatal(err)
			}
			qtPipelineMatches(t, tc.name, m0, in, []string{"DynQuantConv"}, 1e-5)
		})
	}
}

// TestQDQConv: a QDQ convolution becomes one DynQuantConv with the activation's scale fixed,
// which matches the float32 convolution of the dequantized operands; with the Q and DQ scales
// different (not one quantization) it stays as it is, its weights folded to float32.
func TestQDQConv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dqS    float32
		want   []string
		maxErr float64
	}{
		{"one quantization", 0.02, []string{"DynQuantConv"}, 1e-5},
		{"different scales", 0.03, []string{"QuantizeLinear", "DequantizeLinear", "Conv"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const c, m = 4, 5
			g := ir.NewModel("qdq").Graph
			rng := rand.New(rand.NewSource(9))
			b := &fb{g: g, rng: rng}
			x := g.AddInput("x", ir.StaticType(runtime.Float32, 1, c, 7, 6))
			z := runtime.New(runtime.Uint8)
			runtime.Data[uint8](z)[0] = 100
			zv := g.AddConst("z", z)
			q := b.node("QuantizeLinear", "q", []*ir.Value{x, b.scalar(0.02), zv})
			dq := b.node("DequantizeLinear", "dq", []*ir.Value{q, b.scalar(tc.dqS), zv})
			w := runtime.New(runtime.Int8, m, c, 3, 3)
			for i := range w.Len() {
				runtime.Data[int8](w)[i] = int8(rng.Intn(255) - 127)
			}
			wdq := b.node("DequantizeLinear", "wdq", []*ir.Value{g.AddConst("w", w), b.rand(0.001, 0.01, m)}, ir.Int("axis", 0))
			y := b.node("Conv", "conv", []*ir.Value{dq, wdq, b.rand(-1, 1, m)}, ir.Ints("pads", 1, 1, 1, 1))
			g.Outputs = []*ir.Value{y}
			in := runtime.New(runtime.Float32, 1, c, 7, 6)
			for i := range runtime.Data[float32](in) {
				runtime.Data[float32](in)[i] = rng.Float32()*4 - 2
			}
			if err := passes.Infer(g.Model); err != nil {
				t.Fatal(err)
			}
			qtPipelineMatches(t, tc.name, g.Model, in, tc.want, tc.maxErr)
		})
	}
}

// TestQuantizeGather checks that an embedding lookup (Gather from a constant table by
// run-time ids, then a MatMul) quantizes only when Gather is selected, into a Gather from an
// 8-bit table and DequantizeLinear, int8 and uint8, computing what the float32 graph does
// within the table's quantization step.
func TestQuantizeGather(t *testing.T) {
	build := func() (*ir.Model, *runtime.Tensor, *runtime.Tensor) {
		m := ir.NewModel("qgather")
		b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(5))}
		ids := m.Graph.AddInput("ids", ir.StaticType(runtime.Int64, 2, 7))
		table := b.rand(-0.5, 2, 50, 16)
		y := b.node("Gather", "embed", []*ir.Value{table, ids})
		z := b.node("MatMul", "proj", []*ir.Value{y, b.rand(-1, 1, 16, 8)})
		m.Graph.Outputs = []*ir.Value{y, z}
		in := runtime.New(runtime.Int64, 2, 7)
		for i := range runtime.Data[int64](in) {
			runtime.Data[int64](in)[i] = b.rng.Int63n(50)
		}
		return m, in, table.Const
	}
	m, in, table := build()
	want := qtRun(t, m, in)
	w := runtime.Data[float32](table)
	lo, hi := slices.Min(w), slices.Max(w)
	for _, tc := range []struct {
		name string
		opt  passes.QuantizeOptions
		ops  []string
		step float32 // the table's quantization step
	}{
		{"default", passes.QuantizeOptions{}, []string{"Gather", "DynQuantMatMul"}, 0},
		{"int8", passes.QuantizeOptions{OpTypes: []string{"Gather"}}, []string{"Gather", "DequantizeLinear", "MatMul"}, 2 * max(-lo, hi) / 254},
		{"uint8", passes.QuantizeOptions{OpTypes: []string{"Gather", "MatMul"}, WeightType: runtime.Uint8}, []string{"Gather", "DequantizeLinear", "DynQuantMatMul"}, (hi - min(lo, 0)) / 255},
		{"excluded", passes.QuantizeOptions{OpTypes: []string{"Gather"}, Exclude: []string{"embed"}}, []string{"Gather", "MatMul"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, in, _ := build()
			opt := tc.opt
			if err := passes.Run(m, passes.Options{Verify: true, Quantize: &opt}); err != nil {
				t.Fatal(err)
			}
			if ops := qtOps(m); !slices.Equal(ops, tc.ops) {
				t.Fatalf("ops %v, want %v", ops, tc.ops)
			}
			g := m.Graph.Nodes[0]
			if tc.step > 0 && g.Inputs[0].Const.DType == runtime.Float32 {
				t.Fatalf("the Gather reads a %s table", g.Inputs[0].Const.DType)
			}
			got := runtime.Data[float32](qtRun(t, m, in)[0])
			for i, v := range runtime.Data[float32](want[0]) {
				if d := math.Abs(float64(got[i] - v)); d > float64(tc.step)/2*1.0001 {
					t.Fatalf("element %d = %v, want %v within half a step %v", i, got[i], v, tc.step)
				}
			}
			if tc.step > 0 && slices.Equal(got, runtime.Data[float32](want[0])) {
				t.Errorf("the gathered rows are exactly the float32 ones: the table was not quantized")
			}
		})
	}
}

// TestQuantizeRecurrent quantizes an LSTM (bidirectional, with a bias), a GRU with and one
// without linear_before_reset and an RNN into their DynQuant forms, only when named, and
// checks the outputs stay close to float32's.
func TestQuantizeRecurrent(t *testing.T) {
	const S, B, I, H = 7, 2, 12, 16
	build := func() (*ir.Model, *runtime.Tensor) {
		m := ir.NewModel("qrnn")
		b := &fb{g: m.Graph, rng: rand.New(rand.NewSource(5))}
		x := m.Graph.AddInput("x", ir.StaticType(runtime.Float32, S, B, I))
		l := b.node("LSTM", "lstm", []*ir.Value{x, b.rand(-0.5, 0.5, 2, 4*H, I), b.rand(-0.5, 0.5, 2, 4*H, H), b.rand(-0.2, 0.2, 2, 8*H)},
			ir.Int("hidden_size", H), ir.String("direction", "bidirectional"))
		shape := runtime.New(runtime.Int64, 3)
		copy(runtime.Data[int64](shape), []int64{S, B, 2 * H})
		y := b.node("Reshape", "", []*ir.Value{b.node("Transpose", "", []*ir.Value{l}, ir.Ints("perm", 0, 2, 1, 3)), m.Graph.AddConst("", shape)})
		g1 := b.node("GRU", "gru_lbr", []*ir.Value{y, b.rand(-0.5, 0.5, 1, 3*H, 2*H), b.rand(-0.5, 0.5, 1, 3*H, H)}, ir.Int("hidden_size", H), ir.Int("linear_before_reset", 1))
		g1 = b.node("Squeeze", "", []*ir.Value{g1, b.ints(1)})
		g2 := b.node("GRU", "gru", []*ir.Value{g1, b.rand(-0.5, 0.5, 1, 3*H, H), b.rand(-0.5, 0.5, 1, 3*H, H)}, ir.Int("hidden_size", H))
		g2 = b.node("Squeeze", "", []*ir.Value{g2, b.ints(1)})
		z := b.node("RNN", "rnn", []*ir.Value{g2, b.rand(-0.5, 0.5, 1, H, H), b.rand(-0.5, 0.5, 1, H, H)}, ir.Int("hidden_size", H))
		m.Graph.Outputs = []*ir.Value{z}
		in := runtime.New(runtime.Float32, S, B, I)
		for i := range runtime.Data[float32](in) {
			runtime.Data[float32](in)[i] = b.rng.Float32()*2 - 1
		}
		return m, in
	}
	m, in := build()
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	want := runtime.Data[float32](qtRun(t, m, in)[0])
	for _, tc := range []struct {
		ops  []string
		want []string // the recurrent ops after the pipeline, in order
	}{
		{nil, []string{"LSTM", "GRU", "GRU", "RNN"}},
		{[]string{"LSTM", "GRU", "RNN"}, []string{"DynQuantLSTM", "DynQuantGRU", "DynQuantGRU", "DynQuantRNN"}},
		{[]string{"GRU"}, []string{"LSTM", "DynQuantGRU", "DynQuantGRU", "RNN"}},
	} {
		for _, perChannel := range []bool{false, true} {
			m, in := build()
			opt := passes.QuantizeOptions{OpTypes: tc.ops, PerChannel: perChannel}
			if err := passes.Run(m, passes.Options{Verify: true, Quantize: &opt}); err != nil {
				t.Fatal(err)
			}
			var rec []string
			for _, n := range m.Graph.Nodes {
				if strings.Contains(n.Op, "LSTM") || strings.Contains(n.Op, "GRU") || strings.Contains(n.Op, "RNN") {
					rec = append(rec, n.Op)
					// A GRU without linear_before_reset keeps R float32.
					if n.Op == "DynQuantGRU" && (n.Inputs[2].Type.DType == runtime.Float32) != (n.Name == "gru") {
						t.Errorf("%s: R is %s", n.Describe(), n.Inputs[2].Type.DType)
					}
				}
			}
			if !slices.Equal(rec, tc.want) {
				t.Fatalf("op types %v: recurrent ops %v, want %v", tc.ops, rec, tc.want)
			}
			got := runtime.Data[float32](qtRun(t, m, in)[0])
			e := qtRelL2(got, want)
			t.Logf("op types %v per channel %v: relative L2 %.4f", tc.ops, perChannel, e)
			// Four stacked recurrent layers, X and each state quantized to 8 bits at every step:
			// 3.4% per tensor, 2.1% per channel.
			if e > 0.05 {
				t.Errorf("op types %v per channel %v: relative L2 %.4f", tc.ops, perChannel, e)
			}
		}
	}
}

// TestQuantizeMSLSTM compiles onnxruntime's com.microsoft.DynamicQuantizeLSTM with uint8
// weights and zero points (which int8 cannot hold as w - z) into a float32 LSTM on the
// dequantized weights, exactly: it must compute what an LSTM given those weights computes.
// (The int8 form, which becomes onnxc.DynQuantLSTM, is checked against onnxruntime by
// compiler.TestQuantizeONNX.)
func TestQuantizeMSLSTM(t *testing.T) {
	const S, B, I, H, dirs = 5, 2, 6, 8, 2
	rng := rand.New(rand.NewSource(8))
	u8 := func(shape ...int) *runtime.Tensor {
		q := runtime.New(runtime.Uint8, shape...)
		for i := range runtime.Data[uint8](q) {
			runtime.Data[uint8](q)[i] = uint8(rng.Intn(256))
		}
		return q
	}
	// W [dirs, I, 4H] and R [dirs, H, 4H] as the op stores them, scales and zero points per
	// direction and gate row.
	w, r := u8(dirs, I, 4*H), u8(dirs, H, 4*H)
	ws, rs := runtime.New(runtime.Float32, dirs, 4*H), runtime.New(runtime.Float32, dirs, 4*H)
	for i := range runtime.Data[float32](ws) {
		runtime.Data[float32](ws)[i], runtime.Data[float32](rs)[i] = 0.002+rng.Float32()*0.004, 0.002+rng.Float32()*0.004
	}
	wz, rz := u8(dirs, 4*H), u8(dirs, 4*H)
	// The same weights dequantized, in LSTM's layout [dirs, 4H, k].
	deq := func(q, s, z *runtime.Tensor) *runtime.Tensor {
		k := q.Shape[1]
		t := runtime.New(runtime.Float32, dirs, 4*H, k)
		for d := 0; d < dirs; d++ {
			for p := 0; p < k; p++ {
				for j := 0; j < 4*H; j++ {
					v := float32(int32(runtime.Data[uint8](q)[(d*k+p)*4*H+j]) - int32(runtime.Data[uint8](z)[d*4*H+j]))
					runtime.Data[float32](t)[(d*4*H+j)*k+p] = v * runtime.Data[float32](s)[d*4*H+j]
				}
			}
		}
		return t
	}
	build := func(ms bool) *ir.Model {
		m := ir.NewModel("mslstm")
		g := m.Graph
		x := g.AddInput("x", ir.StaticType(runtime.Float32, S, B, I))
		bias := g.AddConst("b", runtime.New(runtime.Float32, dirs, 8*H))
		attrs := []ir.Attr{ir.Int("hidden_size", H), ir.String("direction", "bidirectional")}
		var n *ir.Node
		if ms {
			c := func(name string, t *runtime.Tensor) *ir.Value { return g.AddConst(name, t) }
			n = g.NewNode("DynamicQuantizeLSTM", "com.microsoft", "lstm", []*ir.Value{x, c("w", w), c("r", r), bias, nil, nil, nil, nil, c("ws", ws), c("wz", wz), c("rs", rs), c("rz", rz)}, 1, attrs...)
		} else {
			n = g.NewNode("LSTM", "", "lstm", []*ir.Value{x, g.AddConst("w", deq(w, ws, wz)), g.AddConst("r", deq(r, rs, rz)), bias}, 1, attrs...)
		}
		g.Outputs = []*ir.Value{n.Outputs[0]}
		if err := passes.Infer(m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	in := runtime.New(runtime.Float32, S, B, I)
	for i := range runtime.Data[float32](in) {
		runtime.Data[float32](in)[i] = rng.Float32()*2 - 1
	}
	ref := build(false)
	if err := passes.Run(ref, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	want := runtime.Data[float32](qtRun(t, ref, in)[0])
	m := build(true)
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	if ops := qtOps(m); !slices.Equal(ops, []string{"LSTM"}) {
		t.Fatalf("ops %v, want the dequantized LSTM", ops)
	}
	got := runtime.Data[float32](qtRun(t, m, in)[0])
	if !slices.Equal(got, want) {
		t.Errorf("DynamicQuantizeLSTM with uint8 weights computes %v..., the LSTM on its dequantized weights %v...", got[:4], want[:4])
	}
}

// TestQuantizeMSLSTMRefuses gives DynamicQuantizeLSTM nodes that cannot compile: each must fail
// with an error naming the node, not panic.
func TestQuantizeMSLSTMRefuses(t *testing.T) {
	const S, B, I, H = 3, 1, 4, 2
	for _, tc := range []struct {
		name   string
		w, r   []int // shapes
		scales int   // W's scale count
		constW bool
		want   string
	}{
		{"W not constant", []int{1, I, 4 * H}, []int{1, H, 4 * H}, 1, false, "must be constants"},
		{"scale count", []int{1, I, 4 * H}, []int{1, H, 4 * H}, 3, true, "3 scales"},
		{"W rank", []int{I, 4 * H}, []int{1, H, 4 * H}, 1, true, "rank"},
		{"R rows", []int{1, I, 4 * H}, []int{1, H, 3 * H}, 1, true, "4 gate rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ir.NewModel("bad")
			g := m.Graph
			x := g.AddInput("x", ir.StaticType(runtime.Float32, S, B, I))
			var w *ir.Value
			if tc.constW {
				w = g.AddConst("w", runtime.New(runtime.Int8, tc.w...))
			} else {
				w = g.AddInput("w", ir.StaticType(runtime.Int8, tc.w...))
			}
			r := g.AddConst("r", runtime.New(runtime.Int8, tc.r...))
			s := func(n int) *ir.Value { return g.AddConst("", runtime.New(runtime.Float32, n)) }
			z := func(n int) *ir.Value { return g.AddConst("", runtime.New(runtime.Int8, n)) }
			n := g.NewNode("DynamicQuantizeLSTM", "com.microsoft", "qlstm", []*ir.Value{x, w, r, nil, nil, nil, nil, nil, s(tc.scales), z(tc.scales), s(1), z(1)}, 1, ir.Int("hidden_size", H))
			g.Outputs = []*ir.Value{n.Outputs[0]}
			err := passes.Infer(m)
			if err == nil {
				err = passes.Run(m, passes.Options{Verify: true})
			}
			if err == nil || !strings.Contains(err.Error(), "qlstm") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming qlstm and %q", err, tc.want)
			}
		})
	}
}

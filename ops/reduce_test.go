package ops

import (
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// rdtNode builds a one-node graph: inputs are types (a graph input) or tensors (a constant),
// nil for an absent input.
func rdtNode(op string, nout int, inputs []any, attrs ...ir.Attr) *ir.Node {
	m := ir.NewModel("test")
	g := m.Graph
	var vals []*ir.Value
	for _, in := range inputs {
		switch v := in.(type) {
		case ir.Type:
			vals = append(vals, g.AddInput("in", v))
		case *runtime.Tensor:
			vals = append(vals, g.AddConst("c", v))
		default:
			vals = append(vals, nil)
		}
	}
	return g.NewNode(op, "", "", vals, nout, attrs...)
}

func rdtInts(v ...int64) *runtime.Tensor {
	t := runtime.New(runtime.Int64, len(v))
	copy(runtime.Data[int64](t), v)
	return t
}

func rdtType(dims ...int64) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		if d < 0 {
			ds[i] = ir.Unknown()
		} else {
			ds[i] = ir.Static(d)
		}
	}
	return ir.TensorType(runtime.Float32, ds...)
}

// rdtInfer runs the op's Infer and returns the output types as strings, or the error.
func rdtInfer(t *testing.T, n *ir.Node) ([]string, error) {
	t.Helper()
	d := Lookup("", n.Op)
	if d == nil {
		t.Fatalf("%s not registered", n.Op)
	}
	if err := d.CheckArity(n); err != nil {
		return nil, err
	}
	if err := d.Infer(n); err != nil {
		return nil, err
	}
	var s []string
	for _, o := range n.Outputs {
		s = append(s, o.Type.String())
	}
	return s, nil
}

type rdtInferCase struct {
	name   string
	op     string
	nout   int
	inputs []any
	attrs  []ir.Attr
	want   string // output types joined by " ", or "error: substring"
}

func rdtRunInfer(t *testing.T, cases []rdtInferCase) {
	t.Helper()
	for _, c := range cases {
		nout := c.nout
		if nout == 0 {
			nout = 1
		}
		got, err := rdtInfer(t, rdtNode(c.op, nout, c.inputs, c.attrs...))
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%s: got %v, %v; want %s", c.name, got, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s: %s, want %s", c.name, s, c.want)
		}
	}
}

func TestReduceInfer(t *testing.T) {
	x := rdtType(2, 3, 4)
	unk := ir.Type{DType: runtime.Float32}
	axesT := ir.StaticType(runtime.Int64, 2)
	rdtRunInfer(t, []rdtInferCase{
		{"const axes", "ReduceSum", 1, []any{x, rdtInts(1)}, nil, "float32[2,1,4]"},
		{"negative axes no keep", "ReduceMean", 1, []any{x, rdtInts(-1, 0)}, []ir.Attr{ir.Int("keepdims", 0)}, "float32[3]"},
		{"no axes", "ReduceMax", 1, []any{x}, nil, "float32[1,1,1]"},
		{"no axes no keep", "ReduceMax", 1, []any{x}, []ir.Attr{ir.Int("keepdims", 0)}, "float32[]"},
		{"empty axes noop", "ReduceL2", 1, []any{x, rdtInts()}, []ir.Attr{ir.Int("noop_with_empty_axes", 1)}, "float32[2,3,4]"},
		{"absent axes noop", "ReduceL2", 1, []any{x, nil}, []ir.Attr{ir.Int("noop_with_empty_axes", 1)}, "float32[2,3,4]"},
		{"runtime axes keep", "ReduceSum", 1, []any{rdtType(2, 1, -1), axesT}, nil, "float32[?,1,?]"},
		{"runtime axes no keep", "ReduceSum", 1, []any{x, axesT}, []ir.Attr{ir.Int("keepdims", 0)}, "float32[?]"},
		{"runtime axes of unknown length", "ReduceSum", 1, []any{x, ir.Type{DType: runtime.Int64}}, []ir.Attr{ir.Int("keepdims", 0)}, "float32[*]"},
		{"unknown rank", "ReduceProd", 1, []any{unk, rdtInts(0)}, nil, "float32[*]"},
		{"unknown dims", "ReduceLogSumExp", 1, []any{rdtType(-1, 5), rdtInts(1)}, []ir.Attr{ir.Int("keepdims", 0)}, "float32[?]"},
		{"old axes attribute", "ReduceSumSquare", 1, []any{x}, []ir.Attr{ir.Ints("axes", 2)}, "float32[2,3,1]"},
		{"bool max", "ReduceMax", 1, []any{ir.StaticType(runtime.Bool, 2, 2), rdtInts(1)}, nil, "bool[2,1]"},
		{"axis out of range", "ReduceSum", 1, []any{x, rdtInts(3)}, nil, "error: out of range"},
		{"repeated axis", "ReduceSum", 1, []any{x, rdtInts(1, -2)}, nil, "error: repeated"},
		{"bool sum", "ReduceSum", 1, []any{ir.StaticType(runtime.Bool, 2)}, nil, "error: not supported"},
		{"argmax", "ArgMax", 1, []any{x}, []ir.Attr{ir.Int("axis", 1)}, "int64[2,1,4]"},
		{"argmin no keep", "ArgMin", 1, []any{x}, []ir.Attr{ir.Int("axis", -1), ir.Int("keepdims", 0)}, "int64[2,3]"},
		{"argmax default axis", "ArgMax", 1, []any{x}, nil, "int64[1,3,4]"},
		{"argmax bad axis", "ArgMax", 1, []any{x}, []ir.Attr{ir.Int("axis", 3)}, "error: out of range"},
		{"cumsum", "CumSum", 1, []any{x, rdtInts(2)}, nil, "float32[2,3,4]"},
		{"cumprod runtime axis", "CumProd", 1, []any{x, ir.StaticType(runtime.Int32)}, nil, "float32[2,3,4]"},
		{"cumsum bad axis", "CumSum", 1, []any{x, rdtInts(-4)}, nil, "error: out of range"},
		{"topk", "TopK", 2, []any{x, rdtInts(2)}, nil, "float32[2,3,2] int64[2,3,2]"},
		{"topk axis", "TopK", 2, []any{x, rdtInts(3)}, []ir.Attr{ir.Int("axis", 1)}, "float32[2,3,4] int64[2,3,4]"},
		{"topk runtime k", "TopK", 2, []any{x, ir.StaticType(runtime.Int64, 1)}, []ir.Attr{ir.Int("axis", 0)}, "float32[?,3,4] int64[?,3,4]"},
		{"topk k too big", "TopK", 2, []any{x, rdtInts(5)}, nil, "error: out of range"},
	})
}

// rdtInterpret runs a one-node graph through Lower and the reference interpreter.
func rdtInterpret(t *testing.T, n *ir.Node, inputs ...*runtime.Tensor) []*runtime.Tensor {
	t.Helper()
	if _, err := rdtInfer(t, n); err != nil {
		t.Fatal(err)
	}
	n.Graph.Outputs = n.Outputs
	res, err := Interpret(runtime.NewExec(nil), n.Graph, inputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReduceLower(t *testing.T) {
	x := runtime.New(runtime.Float32, 2, 3)
	copy(runtime.Data[float32](x), []float32{1, 2, 3, 4, 5, 6})
	n := rdtNode("ReduceSum", 1, []any{rdtType(2, 3), rdtInts(0)}, ir.Int("keepdims", 0))
	if got := runtime.Data[float32](rdtInterpret(t, n, x)[0]); len(got) != 3 || got[0] != 5 || got[2] != 9 {
		t.Errorf("ReduceSum = %v", got)
	}
	// Axes given at run time.
	n = rdtNode("ReduceMin", 1, []any{rdtType(2, 3), ir.StaticType(runtime.Int64, 1)})
	got := rdtInterpret(t, n, x, rdtInts(1))[0]
	if d := runtime.Data[float32](got); len(d) != 2 || d[0] != 1 || d[1] != 4 || len(got.Shape) != 2 {
		t.Errorf("ReduceMin = %v %v", got.Shape, d)
	}
	n = rdtNode("TopK", 2, []any{rdtType(2, 3), rdtInts(1)}, ir.Int("largest", 0))
	res := rdtInterpret(t, n, x)
	if d := runtime.Data[int64](res[1]); len(d) != 2 || d[0] != 0 || d[1] != 0 {
		t.Errorf("TopK indices = %v", d)
	}
	n = rdtNode("CumSum", 1, []any{rdtType(2, 3), rdtInts(1)}, ir.Int("reverse", 1))
	if d := runtime.Data[float32](rdtInterpret(t, n, x)[0]); d[0] != 6 || d[3] != 15 {
		t.Errorf("CumSum = %v", d)
	}
	n = rdtNode("ArgMax", 1, []any{rdtType(2, 3)}, ir.Int("axis", 1))
	if d := runtime.Data[int64](rdtInterpret(t, n, x)[0]); d[0] != 2 || d[1] != 2 {
		t.Errorf("ArgMax = %v", d)
	}
}

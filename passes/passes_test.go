package passes_test

import (
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

func vector[T runtime.Elem](dt runtime.DType, vals ...T) *runtime.Tensor {
	t := runtime.New(dt, len(vals))
	copy(runtime.Data[T](t), vals)
	return t
}

func i64(vals ...int64) *runtime.Tensor { return vector(runtime.Int64, vals...) }

func f32(vals ...float32) *runtime.Tensor { return vector(runtime.Float32, vals...) }

// build makes a model: x [N,3,4] -> Shape -> Gather(0) -> Concat with [-1] -> Reshape(x) -> y,
// plus a dead Relu, and a constant Add that folds.
func build() *ir.Model {
	m := ir.NewModel("test")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("N"), ir.Static(3), ir.Static(4)))
	shape := g.NewNode("Shape", "", "shape", []*ir.Value{x}, 1).Outputs[0]
	idx := g.AddConst("idx", i64(0))
	n := g.NewNode("Gather", "", "gather", []*ir.Value{shape, idx}, 1, ir.Int("axis", 0)).Outputs[0]
	minus1 := g.AddConst("m1", i64(-1))
	twelve := g.NewNode("Add", "", "add", []*ir.Value{g.AddConst("a", i64(5)), g.AddConst("b", i64(7))}, 1).Outputs[0]
	target := g.NewNode("Concat", "", "concat", []*ir.Value{n, minus1, twelve}, 1, ir.Int("axis", 0)).Outputs[0]
	_ = minus1
	y := g.NewNode("Reshape", "", "reshape", []*ir.Value{x, target}, 1).Outputs[0]
	g.NewNode("Relu", "", "dead", []*ir.Value{x}, 1)
	y.Name = "y"
	g.Outputs = []*ir.Value{y}
	return m
}

func TestPipeline(t *testing.T) {
	m := build()
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	text := m.String()
	// The dead Relu is gone, the constant Add folded to 12, and the shape computation stays a
	// run-time one because N is symbolic: one ShapeValue computing [N, -1, 12] from x's dims.
	for _, want := range []string{`onnxc.ShapeValue(%0) {dtype=7, elems=["N" "-1" "12"]`, "Reshape("} {
		if !strings.Contains(text, want) {
			t.Errorf("IR lacks %q:\n%s", want, text)
		}
	}
	for _, gone := range []string{"Relu", "Add(", "Shape(", "Gather(", "Concat("} {
		if strings.Contains(text, gone) {
			t.Errorf("IR still has %q:\n%s", gone, text)
		}
	}
	// Data propagation: the target's elements are [N, -1, 12], so the output's shape is known
	// with N symbolic and the -1 solved.
	if got := m.Graph.Outputs[0].Type.String(); got != "float32[N,1,12]" {
		t.Errorf("Reshape output is %s, want float32[N,1,12]", got)
	}
}

// With N pinned, Shape of a static tensor folds and the Reshape's target becomes a constant,
// so the output type is fully static.
func TestShapeFoldsWhenStatic(t *testing.T) {
	m := build()
	m.Graph.Inputs[0].Type.Shape[0] = ir.Static(2)
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 1 || m.Graph.Nodes[0].Op != "Reshape" {
		t.Fatalf("want only the Reshape left:\n%s", m)
	}
	if got := m.Graph.Outputs[0].Type.String(); got != "float32[2,1,12]" {
		t.Errorf("output type %s, want float32[2,1,12]", got)
	}
}

func TestUnsupportedOpsListedTogether(t *testing.T) {
	m := ir.NewModel("bad.onnx")
	g := m.Graph
	x := g.AddInput("x", ir.StaticType(runtime.Float32, 2))
	a := g.NewNode("Frobnicate", "", "f1", []*ir.Value{x}, 1).Outputs[0]
	b := g.NewNode("Frobnicate", "", "f2", []*ir.Value{a}, 1).Outputs[0]
	c := g.NewNode("Zap", "com.example", "z", []*ir.Value{b}, 1).Outputs[0]
	g.Outputs = []*ir.Value{c}
	err := passes.Run(m, passes.Options{Verify: true})
	var ue *passes.UnsupportedError
	if err == nil || !asUnsupported(err, &ue) || len(ue.Nodes) != 3 {
		t.Fatalf("want an UnsupportedError with 3 nodes, got %v", err)
	}
	for _, want := range []string{"bad.onnx", "Frobnicate (domain ai.onnx", `"f1", "f2"`, "Zap (domain com.example", `"z"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func asUnsupported(err error, target **passes.UnsupportedError) bool {
	ue, ok := err.(*passes.UnsupportedError)
	*target = ue
	return ok
}

func TestVerifierReportsAll(t *testing.T) {
	m := ir.NewModel("v")
	g := m.Graph
	x := g.AddInput("x", ir.StaticType(runtime.Float32, 2))
	other := ir.NewModel("other").Graph.AddInput("stray", ir.StaticType(runtime.Float32, 2))
	n1 := g.NewNode("Relu", "", "uses_stray", []*ir.Value{other}, 1)
	n2 := g.NewNode("Relu", "", "uses_later", []*ir.Value{x}, 1)
	n2.Inputs[0] = n1.Outputs[0]
	n1.Inputs = append(n1.Inputs, n2.Outputs[0]) // used before its definition
	g.Outputs = []*ir.Value{n2.Outputs[0]}
	err := ir.Verify(m, false)
	if err == nil {
		t.Fatal("verifier accepted an invalid graph")
	}
	if c := strings.Count(err.Error(), "not defined before use"); c != 2 {
		t.Errorf("want 2 use-before-definition problems reported together, got %d: %v", c, err)
	}
}

// A static shape beyond the run-time tensor limit is refused at compile time, naming the node.
func TestHugeStaticTensorRefused(t *testing.T) {
	m := ir.NewModel("huge")
	g := m.Graph
	y := g.NewNode("ConstantOfShape", "", "cos", []*ir.Value{g.AddConst("s", i64(1000000, 1000000))}, 1).Outputs[0]
	g.Outputs = []*ir.Value{y}
	err := passes.Run(m, passes.Options{Verify: true})
	if err == nil || !strings.Contains(err.Error(), `ConstantOfShape node "cos": output float32[1000000,1000000] (4000000000000 bytes) would take more than the limit`) {
		t.Fatalf("got %v", err)
	}
}

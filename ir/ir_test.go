package ir_test

import (
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// The printed form is what golden files and reviewers read: pin it.
func TestPrint(t *testing.T) {
	m := ir.NewModel("p")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("N"), ir.Static(3)))
	c := runtime.New(runtime.Float32, 3)
	copy(runtime.Data[float32](c), []float32{1, 2.5, -3})
	w := g.AddConst("w", c)
	n := g.NewNode("Add", "", "add0", []*ir.Value{x, w}, 1, ir.Int("b", 2), ir.Floats("a", 0.5, 1))
	n.Outputs[0].Type = ir.TensorType(runtime.Float32, ir.Symbol("N"), ir.Static(3))
	n.Outputs[0].Name = "y"
	then := m.NewGraph("then", g)
	then.Outputs = []*ir.Value{n.Outputs[0]}
	iff := g.NewNode("If", "", "", []*ir.Value{x}, 1, ir.GraphAttr("then_branch", then))
	g.Outputs = []*ir.Value{iff.Outputs[0]}
	want := `graph main(%0: float32[N,3]) -> (%3) {
  %1 = const float32[3] [1 2.5 -3]  # "w"
  %2:float32[N,3] = Add(%0, %1) {a=[0.5 1.0], b=2}  # "y" node "add0"
  %3:undefined[*] = If(%0)
    then_branch: graph then() -> (%2) {
    }
}
`
	if got := m.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if err := ir.Verify(m, false); err != nil {
		t.Errorf("valid model rejected: %v", err)
	}
}

func TestAttrs(t *testing.T) {
	m := ir.NewModel("a")
	n := m.Graph.NewNode("X", "", "", nil, 0, ir.Int("k", 3), ir.Ints("axes", 1, 2), ir.String("mode", "edge"))
	n.SetAttrs(ir.Int("k", 4))
	if n.GetInt("k", 0) != 4 || n.GetString("mode", "") != "edge" || len(n.GetInts("axes", nil)) != 2 || n.GetFloat("missing", 7) != 7 {
		t.Errorf("attrs %+v", n.Attrs)
	}
	for i := 1; i < len(n.Attrs); i++ {
		if n.Attrs[i-1].Name >= n.Attrs[i].Name {
			t.Errorf("attrs not sorted: %+v", n.Attrs)
		}
	}
	n.RemoveAttr("mode")
	if n.Has("mode") {
		t.Error("RemoveAttr kept the attribute")
	}
}

func TestInternOp(t *testing.T) {
	relu := ir.InternOp("", "Relu")
	if ir.InternOp("ai.onnx", "Relu") != relu || ir.InternOp("", "Relu") != relu {
		t.Fatal("one op interned twice")
	}
	ms := ir.InternOp("com.microsoft", "Relu")
	if ms == relu || ms == 0 || relu == 0 {
		t.Fatalf("ids %d %d: domains must differ and ids be nonzero", relu, ms)
	}
	if ms.Domain() != "com.microsoft" || ms.Name() != "Relu" || ms.String() != "com.microsoft.Relu" || relu.String() != "Relu" {
		t.Fatalf("names: %q %q %q", ms.Domain(), ms.Name(), ms)
	}
}

func TestNodeOpIDAndRegions(t *testing.T) {
	m := ir.NewModel("t")
	x := m.Graph.AddInput("x", ir.StaticType(runtime.Float32, 2))
	b, a := m.NewGraph("else", m.Graph), m.NewGraph("then", m.Graph)
	a.Outputs, b.Outputs = []*ir.Value{x}, []*ir.Value{x}
	n := m.Graph.NewNode("If", "", "", []*ir.Value{x}, 1, ir.GraphAttr("then_branch", a), ir.GraphAttr("else_branch", b), ir.Int("k", 1))
	m.Graph.Outputs = n.Outputs
	if len(n.Attrs) != 1 || len(n.Regions) != 2 || n.Regions[0].Name != "else_branch" || n.Region("then_branch") != a {
		t.Fatalf("attrs %v regions %v: graph attributes must become sorted regions", n.Attrs, n.Regions)
	}
	if n.OpID != ir.InternOp("", "If") {
		t.Fatal("NewNode must intern the op")
	}
	if err := ir.Verify(m, false); err != nil {
		t.Fatal(err)
	}
	n.Op = "Where" // renamed without SetOp: the verifier must notice
	if err := ir.Verify(m, false); err == nil || !strings.Contains(err.Error(), "OpID") {
		t.Fatalf("verifier missed a stale OpID: %v", err)
	}
	n.SetOp("Where", "")
	if err := ir.Verify(m, false); err != nil {
		t.Fatal(err)
	}
}

// Reading an attribute as a kind it does not have gives the default and records an error
// that names the node and both kinds; ints also read a single int, floats an int.
func TestAttrKindMismatch(t *testing.T) {
	m := ir.NewModel("t")
	n := m.Graph.NewNode("Transpose", "", "tr", nil, 1, ir.String("perm", "abc"), ir.Int("k", 2))
	if got := n.GetInts("k", nil); len(got) != 1 || got[0] != 2 || n.GetFloat("k", 0) != 2 || n.AttrErr() != nil {
		t.Fatalf("widening reads failed: %v %v", got, n.AttrErr())
	}
	if got := n.GetInts("perm", []int64{7}); len(got) != 1 || got[0] != 7 {
		t.Fatalf("mismatched read gave %v, want the default", got)
	}
	err := n.AttrErr()
	if err == nil || !strings.Contains(err.Error(), `Transpose node "tr": attribute "perm" is string, want ints`) {
		t.Fatalf("AttrErr = %v", err)
	}
}

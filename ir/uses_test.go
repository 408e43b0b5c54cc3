package ir

import (
	"testing"

	"github.com/onnxc/onnxc/runtime"
)

func TestUses(t *testing.T) {
	m := NewModel("t")
	g := m.Graph
	x := g.AddInput("x", StaticType(runtime.Float32, 2))
	a := g.NewNode("Relu", "", "a", []*Value{x}, 1).Outputs[0]
	b := g.NewNode("Add", "", "b", []*Value{a, a}, 1)
	body := m.NewGraph("body", g)
	inner := body.NewNode("Neg", "", "inner", []*Value{a}, 1) // a region captures a
	body.Outputs = []*Value{inner.Outputs[0]}
	loop := g.NewNode("If", "", "if", []*Value{x}, 1, GraphAttr("then_branch", body))
	g.Outputs = []*Value{b.Outputs[0], a}

	u := NewUses(g)
	if got := u.Count(a); got != 4 { // twice in Add, once in the region, once as an output
		t.Fatalf("a has %d uses, want 4", got)
	}
	c := g.AddConst("c", runtime.New(runtime.Float32, 2))
	u.Replace(a, c)
	if b.Inputs[0] != c || b.Inputs[1] != c || inner.Inputs[0] != c || g.Outputs[1] != c {
		t.Errorf("replace missed a use: %v %v %v", b.Inputs, inner.Inputs, g.Outputs)
	}
	if u.Count(a) != 0 || u.Count(c) != 4 {
		t.Errorf("counts after replace: a %d, c %d", u.Count(a), u.Count(c))
	}
	u.SetInput(b, 1, x)
	if u.Count(c) != 3 || u.Count(x) != 3 { // Relu, If, Add
		t.Errorf("counts after SetInput: c %d, x %d", u.Count(c), u.Count(x))
	}
	u.RemoveNode(loop)
	if u.Count(x) != 2 {
		t.Errorf("x has %d uses after removing the If, want 2", u.Count(x))
	}

	n := g.NewNodeBefore(b, "Neg", "", "before", []*Value{x}, 1)
	for i, k := range g.Nodes {
		if k == n && (i+1 >= len(g.Nodes) || g.Nodes[i+1] != b) {
			t.Errorf("NewNodeBefore put the node at %d, not before b", i)
		}
	}
}

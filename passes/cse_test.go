package passes_test

import (
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// Equal constants and equal nodes merge; nodes that differ in an input, in an attribute's
// exact value or in their op stay apart.
func TestCSE(t *testing.T) {
	m := ir.NewModel("cse")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("N"), ir.Static(2)))
	w1, w2, w3 := g.AddConst("w1", f32(1, 2)), g.AddConst("w2", f32(1, 2)), g.AddConst("w3", f32(1, 3))
	add := func(w *ir.Value) *ir.Value { return g.NewNode("Add", "", "", []*ir.Value{x, w}, 1).Outputs[0] }
	leaky := func(alpha float64) *ir.Value {
		return g.NewNode("LeakyRelu", "", "", []*ir.Value{x}, 1, ir.Float("alpha", alpha)).Outputs[0]
	}
	a1, a2, a3 := add(w1), add(w2), add(w3)
	l1, l2, l3 := leaky(0.1), leaky(0.1), leaky(0.1+1e-12) // the last differs below float32 print precision
	sub := g.NewNode("Sub", "", "", []*ir.Value{x, w2}, 1).Outputs[0]
	g.Outputs = []*ir.Value{a1, a2, a3, l1, l2, l3, sub}
	if err := passes.Infer(m); err != nil {
		t.Fatal(err)
	}
	if err := passes.CSE(m); err != nil {
		t.Fatal(err)
	}
	if err := passes.DCE(m); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m, true); err != nil {
		t.Fatal(err)
	}
	out := g.Outputs
	if out[0] != out[1] || out[0] == out[2] {
		t.Errorf("Add by equal constants must merge, by different ones not:\n%s", m)
	}
	if out[3] != out[4] || out[3] == out[5] {
		t.Errorf("LeakyRelu with one alpha must merge, with alphas differing in any bit not:\n%s", m)
	}
	if len(g.Consts) != 2 || out[6].Def.Inputs[1] != w1 {
		t.Errorf("want the constants [1 2] and [1 3] only, the Sub reading the first:\n%s", m)
	}
	if got := strings.Count(m.String(), "Add("); got != 2 {
		t.Errorf("%d Add nodes, want 2:\n%s", got, m)
	}
}

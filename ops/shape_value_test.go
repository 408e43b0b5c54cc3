package ops

import (
	"slices"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Dim names as inference makes them (symdim.go, elems.go) compile to programs that compute
// the same numbers from the bound dims, including symbols whose names hold operator
// characters, and floor division of negative numbers.
func TestShapeValueNode(t *testing.T) {
	m := ir.NewModel("sv")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Symbol("N"), ir.Symbol("H"), ir.Symbol("W")))
	y := g.AddInput("y", ir.TensorType(runtime.Float32, ir.Symbol("seq-len")))
	syms := map[string]DimRef{"N": {x, 0}, "H": {x, 1}, "W": {x, 2}, "seq-len": {y, 0}}
	n := g.NewNode("Concat", "", "", nil, 1, ir.Int("axis", 0))
	o := n.Outputs[0]
	o.Type = ir.StaticType(runtime.Int64, 6)
	h := ir.Symbol(symPlus(symFloorDiv(symPlus("H", -1), 2), 1)) // (((H-1)/2)+1)
	o.Elems = []ir.Dim{h, {N: -1}, ir.Symbol("(N*W)"), ir.Symbol(symPlus("seq-len", -3)), ir.Symbol("((seq-len-3)/2)"), {N: 7}}
	if !ShapeValueNode(n, syms) {
		t.Fatalf("names %v did not compile", o.Elems)
	}
	if n.Op != "ShapeValue" || len(n.Inputs) != 2 {
		t.Fatalf("got %s with %d inputs", n.Describe(), len(n.Inputs))
	}
	c, err := Lookup(FusedDomain, "ShapeValue").Lower(n)
	if err != nil {
		t.Fatal(err)
	}
	out := []*runtime.Tensor{{Buf: &runtime.Buffer{}}}
	in := []*runtime.Tensor{runtime.New(runtime.Float32, 2, 9, 5), runtime.New(runtime.Float32, 1)}
	if err := c.Run(runtime.NewExec(nil), out, in); err != nil {
		t.Fatal(err)
	}
	// H=9: (9-1)/2+1 = 5; N*W = 10; seq-len-3 = -2, floor(-2/2) = -1.
	if got, want := runtime.Data[int64](out[0]), []int64{5, -1, 10, -2, -1, 7}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if elems := Lookup(FusedDomain, "ShapeValue").Elems(n); !slices.Equal(elems, o.Elems) {
		t.Errorf("Elems %v, want %v back", elems, o.Elems)
	}

	// A name that is not an expression of the symbols leaves the node as it was.
	k := g.NewNode("Concat", "", "", nil, 1)
	k.Outputs[0].Type, k.Outputs[0].Elems = ir.StaticType(runtime.Int64, 1), []ir.Dim{ir.Symbol("(N*unk)")}
	if ShapeValueNode(k, syms) || k.Op != "Concat" {
		t.Errorf("compiled an unknown symbol: %s", k.Describe())
	}
}

package passes_test

import (
	"math"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

func scalarI64(v int64) *runtime.Tensor {
	t := runtime.New(runtime.Int64)
	runtime.Data[int64](t)[0] = v
	return t
}

// unary adds a region graph computing op(x) of the outer value x.
func unary(m *ir.Model, parent *ir.Graph, name, op string, x *ir.Value) *ir.Graph {
	r := m.NewGraph(name, parent)
	r.Outputs = []*ir.Value{r.NewNode(op, "", name+"_"+op, []*ir.Value{x}, 1).Outputs[0]}
	return r
}

// buildIfs makes y = x + If(x has 2 rows) { Neg(If(x has 3 columns) { Relu(x) } else
// { Abs(x) }) } else { Sigmoid(x) } and z = If(c) { Relu(x) } else { Abs(x) } on a run-time
// condition c: the checks on x's shape fold when its dims are static, the one on c does not.
func buildIfs(rows int64) *ir.Model {
	m := ir.NewModel("test")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Static(rows), ir.Static(3)))
	c := g.AddInput("c", ir.TensorType(runtime.Bool))
	dimIs := func(h *ir.Graph, axis, n int64) *ir.Value {
		shape := h.NewNode("Shape", "", "shape", []*ir.Value{x}, 1).Outputs[0]
		d := h.NewNode("Gather", "", "dim", []*ir.Value{shape, h.AddConst("axis", scalarI64(axis))}, 1, ir.Int("axis", 0)).Outputs[0]
		return h.NewNode("Equal", "", "eq", []*ir.Value{d, h.AddConst("n", scalarI64(n))}, 1).Outputs[0]
	}
	then := m.NewGraph("then", g)
	inner := then.NewNode("If", "", "inner", []*ir.Value{dimIs(then, 1, 3)}, 1,
		ir.GraphAttr("then_branch", unary(m, then, "relu", "Relu", x)),
		ir.GraphAttr("else_branch", unary(m, then, "abs", "Abs", x))).Outputs[0]
	then.Outputs = []*ir.Value{then.NewNode("Neg", "", "neg", []*ir.Value{inner}, 1).Outputs[0]}
	outer := g.NewNode("If", "", "outer", []*ir.Value{dimIs(g, 0, 2)}, 1,
		ir.GraphAttr("then_branch", then),
		ir.GraphAttr("else_branch", unary(m, g, "sigmoid", "Sigmoid", x))).Outputs[0]
	y := g.NewNode("Add", "", "add", []*ir.Value{x, outer}, 1).Outputs[0]
	z := g.NewNode("If", "", "runtime", []*ir.Value{c}, 1,
		ir.GraphAttr("then_branch", unary(m, g, "relu2", "Relu", x)),
		ir.GraphAttr("else_branch", unary(m, g, "abs2", "Abs", x))).Outputs[0]
	g.Outputs = []*ir.Value{y, z}
	return m
}

func TestFoldInlinesConstantIfs(t *testing.T) {
	for _, rows := range []int64{2, 4} {
		m := buildIfs(rows)
		if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
			t.Fatal(err)
		}
		text := m.String()
		// Only the If on c is left; the values below say which branches were kept.
		if n := strings.Count(text, "If("); n != 1 {
			t.Errorf("rows %d: %d Ifs left, want the one on c:\n%s", rows, n, text)
		}
		if strings.Contains(text, "Shape(") {
			t.Errorf("rows %d: the shape checks did not fold:\n%s", rows, text)
		}
		// And it computes what the model says, for both values of c.
		x := runtime.New(runtime.Float32, int(rows), 3)
		xs := runtime.Data[float32](x)
		for i := range xs {
			xs[i] = float32(i) - 3.5
		}
		for _, cv := range []bool{false, true} {
			c := runtime.New(runtime.Bool)
			runtime.Data[bool](c)[0] = cv
			out, err := ops.Interpret(runtime.NewExec(nil), m.Graph, []*runtime.Tensor{x, c}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range xs {
				y := v + float32(1/(1+math.Exp(-float64(v))))
				if rows == 2 {
					y = v - max(v, 0)
				}
				z := max(v, 0)
				if !cv {
					z = float32(math.Abs(float64(v)))
				}
				if got := runtime.Data[float32](out[0])[i]; got-y > 1e-6 || y-got > 1e-6 {
					t.Errorf("rows %d: y[%d] = %v, want %v", rows, i, got, y)
				}
				if got := runtime.Data[float32](out[1])[i]; got != z {
					t.Errorf("rows %d c %v: z[%d] = %v, want %v", rows, cv, i, got, z)
				}
			}
		}
	}
}

// Identity and a Cast to the input's own type go, except the Identity the graph returns;
// a Cast that converts stays.
func TestFoldDropsCopies(t *testing.T) {
	m := ir.NewModel("test")
	g := m.Graph
	x := g.AddInput("x", ir.TensorType(runtime.Float32, ir.Static(2), ir.Static(3)))
	a := g.NewNode("Identity", "", "id", []*ir.Value{x}, 1).Outputs[0]
	b := g.NewNode("Cast", "", "same", []*ir.Value{a}, 1, ir.Int("to", int64(runtime.Float32))).Outputs[0]
	c := g.NewNode("Cast", "", "to_f64", []*ir.Value{b}, 1, ir.Int("to", int64(runtime.Float64))).Outputs[0]
	y := g.NewNode("Identity", "", "out", []*ir.Value{c}, 1).Outputs[0]
	g.Outputs = []*ir.Value{y}
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range m.Graph.Nodes {
		got = append(got, n.Name)
	}
	if strings.Join(got, " ") != "to_f64 out" {
		t.Fatalf("nodes %v, want [to_f64 out]:\n%s", got, m)
	}
	if in := m.Graph.Nodes[0].Inputs[0]; in != x {
		t.Errorf("the Cast reads %v, want the input %v", in, x)
	}
}

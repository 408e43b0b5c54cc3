package passes_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// transposed is x (row-major, of shape) transposed by perm, in row-major order.
func transposed(x []int, shape []int, perm []int) []int {
	out := make([]int, len(shape))
	for i, p := range perm {
		out[i] = shape[p]
	}
	strides := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = s
		s *= shape[i]
	}
	y := make([]int, 0, len(x))
	idx := make([]int, len(out))
	for range x {
		off := 0
		for i, p := range perm {
			off += idx[i] * strides[p]
		}
		y = append(y, x[off])
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < out[i] {
				break
			}
			idx[i] = 0
		}
	}
	return y
}

// TestTransposeAsReshape checks which Transposes Fold makes Reshapes (those that move only
// dims of size 1) against the definition: the rewritten ones keep the elements' order.
func TestTransposeAsReshape(t *testing.T) {
	for _, c := range []struct {
		shape, perm []int
		reshape     bool
	}{
		{[]int{1, 64, 384}, []int{1, 0, 2}, true},
		{[]int{64, 1, 384}, []int{1, 0, 2}, true},
		{[]int{2, 1, 3, 1}, []int{1, 0, 3, 2}, true},
		{[]int{2, 1, 3, 1}, []int{2, 1, 0, 3}, false},
		{[]int{1, 64, 6, 64}, []int{0, 2, 1, 3}, false},
		{[]int{3, 1}, nil, true}, // no perm: reversed
		{[]int{3, 2}, nil, false},
		{[]int{1, 1, 5}, []int{2, 1, 0}, true},
	} {
		t.Run(fmt.Sprint(c.shape, c.perm), func(t *testing.T) {
			m := ir.NewModel("test")
			g := m.Graph
			x := g.AddInput("x", ir.StaticType(runtime.Float32, c.shape...))
			var attrs []ir.Attr
			if c.perm != nil {
				p := make([]int64, len(c.perm))
				for i, v := range c.perm {
					p[i] = int64(v)
				}
				attrs = append(attrs, ir.Ints("perm", p...))
			}
			y := g.NewNode("Transpose", "", "t", []*ir.Value{x}, 1, attrs...).Outputs[0]
			g.Outputs = []*ir.Value{y}
			if err := passes.Infer(m); err != nil {
				t.Fatal(err)
			}
			want := y.Type.String()
			if err := passes.Fold(m); err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m, true); err != nil {
				t.Fatal(err)
			}
			n := g.Nodes[0]
			if got := n.Op == "Reshape"; got != c.reshape {
				t.Fatalf("became %s, want a Reshape: %v\n%s", n.Op, c.reshape, m)
			}
			if y.Type.String() != want {
				t.Errorf("output type %s, want %s", y.Type, want)
			}
			perm := c.perm
			if perm == nil {
				for i := len(c.shape) - 1; i >= 0; i-- {
					perm = append(perm, i)
				}
			}
			n0 := 1
			for _, d := range c.shape {
				n0 *= d
			}
			x0 := make([]int, n0)
			for i := range x0 {
				x0[i] = i
			}
			if same := slices.Equal(transposed(x0, c.shape, perm), x0); same != c.reshape {
				t.Errorf("the transpose keeps the order: %v, but rewritten: %v", same, c.reshape)
			}
			if c.reshape {
				shape := runtime.Data[int64](n.Inputs[1].Const)
				outShape, _ := y.Type.StaticShape()
				for i, d := range outShape {
					if shape[i] != int64(d) {
						t.Fatalf("Reshape to %v, want %v", shape, outShape)
					}
				}
			}
		})
	}
}

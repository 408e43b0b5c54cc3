package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onnxc/onnxc/ir"
)

// A model compiled with symbolic input dims fuses as much as with pinned ones: the kernels it
// has beyond the pinned build are the integer shape arithmetic that computes its Reshape
// targets at run time.
func TestSymbolicDimsFuseLikeStatic(t *testing.T) {
	for _, c := range []struct {
		model string
		shape map[string][]int
	}{
		{"../testdata/quickstart/cls.onnx", map[string][]int{"x": {1, 3, 48, 192}}},
		// Exported by scripts/export-torch-models.sh with dynamic batch and sequence axes.
		{"../testdata/models/encoder.onnx", map[string][]int{"x": {1, 64, 384}}},
	} {
		t.Run(filepath.Base(c.model), func(t *testing.T) {
			if _, err := os.Stat(c.model); err != nil {
				if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			symbolicFusesLikeStatic(t, c.model, c.shape)
		})
	}
}

func symbolicFusesLikeStatic(t *testing.T, model string, shape map[string][]int) {
	count := func(shapes map[string][]int) (kernels, shapeOps int) {
		m, err := Compile(model, Options{Verify: true, Shapes: shapes})
		if err != nil {
			t.Fatal(err)
		}
		m.Graph.Walk(func(g *ir.Graph) {
			for _, n := range g.Nodes {
				kernels++
				if o := n.Outputs[0]; o != nil && o.Type.DType.IsInt() {
					shapeOps++
				}
			}
		})
		return kernels, shapeOps
	}
	static, _ := count(shape)
	symbolic, shapeOps := count(nil)
	if symbolic > static+shapeOps {
		t.Errorf("%d kernels with symbolic dims, %d with static ones plus %d of shape arithmetic", symbolic, static, shapeOps)
	}
	t.Logf("kernels: %d static, %d symbolic (%d of them shape arithmetic)", static, symbolic, shapeOps)
}

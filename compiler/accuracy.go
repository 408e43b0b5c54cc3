package compiler

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// OutputDiff is how far one float32 output of a quantized build is from the float32 build's.
type OutputDiff struct {
	Name   string
	Shape  []int
	MaxAbs float64
	RelL2  float64 // |int8 - float32| / |float32| in the 2-norm
	// Agree of Rows rows (the output's last axis, when longer than one) have the same argmax.
	Agree, Rows int
}

// Accuracy compiles the model in float32 and quantized as q says, runs both on the same inputs
// (given by name, the others random: float32 uniform in [-1, 1) from seed, integers and bools
// zero) with the kernels the generated code runs, and compares their float32 outputs.
func Accuracy(path string, shapes map[string][]int, given map[string]*runtime.Tensor, q *passes.QuantizeOptions, seed int64) ([]OutputDiff, error) {
	m32, err := Compile(path, Options{Shapes: shapes})
	if err != nil {
		return nil, err
	}
	m8, err := Compile(path, Options{Shapes: shapes, Quantize: q})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(seed))
	var ins []*runtime.Tensor
	for _, v := range m32.Graph.Inputs {
		if t, ok := given[v.Name]; ok {
			ins = append(ins, t)
			continue
		}
		shape, ok := v.Type.StaticShape()
		if !ok {
			return nil, fmt.Errorf("%s: input %q has shape %s: give it with --input or fix it with --shape", path, v.Name, v.Type)
		}
		t := runtime.New(v.Type.DType, shape...)
		if v.Type.DType == runtime.Float32 {
			for i := range runtime.Data[float32](t) {
				runtime.Data[float32](t)[i] = rng.Float32()*2 - 1
			}
		}
		ins = append(ins, t)
	}
	for name := range given {
		if !inputNamed(m32, name) {
			return nil, fmt.Errorf("%s: the model has no input %q", path, name)
		}
	}
	pool := runtime.NewPool(0)
	defer pool.Close()
	run := func(g *ir.Graph) ([]*runtime.Tensor, error) {
		return ops.Interpret(runtime.NewExec(pool), g, ins, nil)
	}
	want, err := run(m32.Graph)
	if err != nil {
		return nil, fmt.Errorf("%s: float32: %w", path, err)
	}
	got, err := run(m8.Graph)
	if err != nil {
		return nil, fmt.Errorf("%s: quantized: %w", path, err)
	}
	var diffs []OutputDiff
	for i, w := range want {
		if w.DType != runtime.Float32 || got[i].DType != runtime.Float32 || w.Len() != got[i].Len() {
			continue
		}
		wv, gv := runtime.Data[float32](w), runtime.Data[float32](got[i])
		d := OutputDiff{Name: m32.Graph.Outputs[i].Name, Shape: append([]int(nil), w.Shape...)}
		d.MaxAbs, d.RelL2 = maxAbsDiff(gv, wv), relL2(gv, wv)
		if r := len(w.Shape); r > 0 && w.Shape[r-1] > 1 {
			d.Agree, d.Rows = argmaxAgreement(gv, wv, w.Shape[r-1])
		}
		diffs = append(diffs, d)
	}
	return diffs, nil
}

func inputNamed(m *ir.Model, name string) bool {
	for _, v := range m.Graph.Inputs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// relL2 is |got - want| / |want| in the 2-norm (0 when both are zero, +Inf when only want is).
func relL2(got, want []float32) float64 {
	var d, w float64
	for i := range want {
		e := float64(got[i]) - float64(want[i])
		d += e * e
		w += float64(want[i]) * float64(want[i])
	}
	if w == 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Sqrt(d / w)
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// argmaxAgreement counts the steps (rows of classes values) whose argmax a and b share.
func argmaxAgreement(a, b []float32, classes int) (agree, steps int) {
	steps = len(b) / classes
	for s := 0; s < steps; s++ {
		if argmax(a[s*classes:(s+1)*classes]) == argmax(b[s*classes:(s+1)*classes]) {
			agree++
		}
	}
	return agree, steps
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

package runtime

import (
	"math"
	"testing"
)

func TestOptimizer(t *testing.T) {
	scalarF := func(v float32) *Tensor { x := New(Float32); Data[float32](x)[0] = v; return x }
	scalarI := func(v int64) *Tensor { x := New(Int64); Data[int64](x)[0] = v; return x }
	for _, c := range []struct {
		name   string
		p      OptimizerParams
		states []float32
		want   []float64 // new X, then new states
	}{
		// Worked by hand from the operators' definitions, with R = 0.1, X = 1, G = 0.5.
		{"adagrad", OptimizerParams{Kind: OptAdagrad, N: 1, Epsilon: 1e-6}, []float32{0.2},
			[]float64{1 - 0.05/(math.Sqrt(0.45)+1e-6), 0.45}},
		{"momentum", OptimizerParams{Kind: OptMomentum, N: 1, Alpha: 0.9, Beta: 0.1}, []float32{0.2},
			[]float64{0.977, 0.23}},
		{"nesterov", OptimizerParams{Kind: OptMomentum, N: 1, Alpha: 0.9, Beta: 0.1, Nesterov: true}, []float32{0.2},
			[]float64{1 - 0.1*(0.5+0.9*0.23), 0.23}},
		{"adam", OptimizerParams{Kind: OptAdam, N: 1, Alpha: 0.9, Beta: 0.999, Epsilon: 1e-6}, []float32{0, 0},
			[]float64{1 - 0.1*math.Sqrt(0.001)/0.1*0.05/(math.Sqrt(0.00025)+1e-6), 0.05, 0.00025}},
	} {
		in := []*Tensor{scalarF(0.1), scalarI(1), scalarF(1), scalarF(0.5)}
		for _, s := range c.states {
			in = append(in, scalarF(s))
		}
		out := make([]*Tensor, len(c.want))
		for i := range out {
			out[i] = &Tensor{}
		}
		if err := Optimizer(nil, &c.p, out, in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, w := range c.want {
			if g := float64(Data[float32](out[i])[0]); math.Abs(g-w) > 1e-6 {
				t.Errorf("%s: output %d = %v, want %v", c.name, i, g, w)
			}
		}
	}
	// Mismatched shapes are an error, not a panic.
	bad := []*Tensor{scalarF(0.1), scalarI(1), scalarF(1), New(Float32, 2), scalarF(0)}
	if err := Optimizer(nil, &OptimizerParams{Kind: OptAdagrad, N: 1}, []*Tensor{{}, {}}, bad); err == nil {
		t.Error("gradient of another shape: no error")
	}
}

package runtime

import (
	"math"
	"strings"
	"testing"
)

func TestNLLLoss(t *testing.T) {
	x := NewExec(nil)
	lp := []float32{-1, -2, -3, -4, -5, -6} // N=2, C=3
	w := rdtF32([]int{3}, 1, 2, 0.5)
	cases := []struct {
		name string
		p    LossParams
		tgt  []int64
		w    *Tensor
		shp  []int
		want []float64
	}{
		{"none", LossParams{Reduction: LossNone}, []int64{2, 0}, nil, []int{2}, []float64{3, 4}},
		{"sum", LossParams{Reduction: LossSum}, []int64{2, 0}, nil, []int{}, []float64{7}},
		{"mean", LossParams{Reduction: LossMean}, []int64{2, 0}, nil, []int{}, []float64{3.5}},
		{"weight none", LossParams{Reduction: LossNone}, []int64{2, 0}, w, []int{2}, []float64{1.5, 4}},
		{"weight mean", LossParams{Reduction: LossMean}, []int64{2, 0}, w, []int{}, []float64{5.5 / 1.5}},
		{"ignore mean", LossParams{Reduction: LossMean, IgnoreIndex: 0, HasIgnoreIndex: true}, []int64{2, 0}, nil, []int{}, []float64{3}},
		{"ignore weight mean", LossParams{Reduction: LossMean, IgnoreIndex: 0, HasIgnoreIndex: true}, []int64{2, 0}, w, []int{}, []float64{3}},
		{"negative ignore", LossParams{Reduction: LossNone, IgnoreIndex: -1, HasIgnoreIndex: true}, []int64{-1, 1}, nil, []int{2}, []float64{0, 5}},
		{"all ignored", LossParams{Reduction: LossMean, IgnoreIndex: 1, HasIgnoreIndex: true}, []int64{1, 1}, nil, []int{}, []float64{math.NaN()}},
	}
	for _, c := range cases {
		in := []*Tensor{rdtF32([]int{2, 3}, lp...), rdtI64([]int{2}, c.tgt...)}
		if c.w != nil {
			in = append(in, c.w)
		}
		out := []*Tensor{{}}
		if err := NLLLoss(x, &c.p, out, in); err != nil {
			t.Fatal(c.name, err)
		}
		rdtShape(t, c.name, out[0].Shape, c.shp)
		rdtClose(t, c.name, Data[float32](out[0]), c.want)
	}
	// N, C, d1: loss[0, d] = -input[0, target[d], d].
	in := []*Tensor{rdtF32([]int{1, 2, 2}, -1, -2, -3, -4), rdtI64([]int{1, 2}, 1, 0)}
	out := []*Tensor{{}}
	if err := NLLLoss(x, &LossParams{}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtShape(t, "NCd1", out[0].Shape, []int{1, 2})
	rdtClose(t, "NCd1", Data[float32](out[0]), []float64{3, 2})
	// int32 targets.
	t32 := New(Int32, 2)
	copy(Data[int32](t32), []int32{1, 2})
	if err := NLLLoss(x, &LossParams{Reduction: LossSum}, out, []*Tensor{rdtF32([]int{2, 3}, lp...), t32}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "int32", Data[float32](out[0]), []float64{8})
	// Errors: a class out of range, a mismatched target.
	err := NLLLoss(x, &LossParams{}, out, []*Tensor{rdtF32([]int{2, 3}, lp...), rdtI64([]int{2}, 3, 0)})
	if err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("target out of range: %v", err)
	}
	if err := NLLLoss(x, &LossParams{}, out, []*Tensor{rdtF32([]int{2, 3}, lp...), rdtI64([]int{3}, 0, 0, 0)}); err == nil {
		t.Error("mismatched target: no error")
	}
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	x := NewExec(nil)
	l := []float64{-2.40760596444438, -1.40760596444438, -0.40760596444438}
	in := []*Tensor{rdtF32([]int{2, 3}, 1, 2, 3, 1, 2, 3), rdtI64([]int{2}, 2, 0)}
	out := []*Tensor{{}, {}}
	if err := NLLLoss(x, &LossParams{Reduction: LossNone, Softmax: true}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "sce", Data[float32](out[0]), []float64{-l[2], -l[0]})
	rdtShape(t, "log_prob", out[1].Shape, []int{2, 3})
	rdtClose(t, "log_prob", Data[float32](out[1]), append(append([]float64{}, l...), l...))
	// Without the log_prob output, with spatial dims (the softmax runs over a strided axis).
	in = []*Tensor{rdtF32([]int{1, 3, 2}, 1, 5, 2, 5, 3, 5), rdtI64([]int{1, 2}, 1, 2)}
	out = []*Tensor{{}}
	if err := NLLLoss(x, &LossParams{Reduction: LossMean, Softmax: true}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "sce NCd1", Data[float32](out[0]), []float64{(-l[1] + math.Log(3)) / 2})
	// float64 and float16.
	d := New(Float64, 1, 3)
	copy(Data[float64](d), []float64{1, 2, 3})
	out = []*Tensor{{}, {}}
	if err := NLLLoss(x, &LossParams{Reduction: LossSum, Softmax: true}, out, []*Tensor{d, rdtI64([]int{1}, 1)}); err != nil {
		t.Fatal(err)
	}
	if got := Data[float64](out[0])[0]; math.Abs(got+l[1]) > 1e-12 || out[1].DType != Float64 {
		t.Errorf("float64 sce = %v", got)
	}
	h := New(Float16, 1, 3)
	for i, v := range []float32{1, 2, 3} {
		Data[F16](h)[i] = ToF16(v)
	}
	if err := NLLLoss(x, &LossParams{Reduction: LossSum, Softmax: true}, out, []*Tensor{h, rdtI64([]int{1}, 1)}); err != nil {
		t.Fatal(err)
	}
	if got := Data[F16](out[0])[0].Float32(); math.Abs(float64(got)+l[1]) > 2e-3 {
		t.Errorf("float16 sce = %v", got)
	}
	if got := Data[F16](out[1])[2].Float32(); math.Abs(float64(got)-l[2]) > 2e-3 {
		t.Errorf("float16 log_prob = %v", got)
	}
}

package runtime

import (
	"math"
	"slices"
	"testing"
)

func TestBatchNorm(t *testing.T) {
	x := NewExec(nil)
	v := func(vals ...float32) *Tensor { return rdtF32([]int{len(vals)}, vals...) }
	// Channel 0: (x-1)/1*1+0; channel 1: (x-3)/2*2+1.
	in := []*Tensor{rdtF32([]int{1, 2, 1, 2}, 1, 2, 3, 4), v(1, 2), v(0, 1), v(1, 3), v(1, 4)}
	out := []*Tensor{{}}
	if err := BatchNorm(x, &BatchNormParams{}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtShape(t, "bn", out[0].Shape, []int{1, 2, 1, 2})
	rdtClose(t, "bn", Data[float32](out[0]), []float64{0, 1, 1, 2})

	// Training: batch mean 4 and variance 5 over N and space; the running statistics blend.
	in = []*Tensor{rdtF32([]int{2, 1, 2}, 1, 3, 5, 7), v(1), v(0), v(0), v(1)}
	out = []*Tensor{{}, {}, {}}
	if err := BatchNorm(x, &BatchNormParams{Momentum: 0.9, Training: true}, out, in); err != nil {
		t.Fatal(err)
	}
	s5 := math.Sqrt(5)
	rdtClose(t, "bn train y", Data[float32](out[0]), []float64{-3 / s5, -1 / s5, 1 / s5, 3 / s5})
	rdtClose(t, "bn train mean", Data[float32](out[1]), []float64{0.4})
	rdtClose(t, "bn train var", Data[float32](out[2]), []float64{0.9 + 0.5})

	if err := BatchNorm(x, &BatchNormParams{}, []*Tensor{{}}, []*Tensor{rdtF32([]int{1, 2}, 1, 2), v(1), v(0), v(0), v(1)}); err == nil {
		t.Error("scale of the wrong size: no error")
	}
}

func TestGroupNorm(t *testing.T) {
	x := NewExec(nil)
	v := func(vals ...float32) *Tensor { return rdtF32([]int{len(vals)}, vals...) }
	out := []*Tensor{{}}
	// Instance: channel 0 is [1, 3] (mean 2, var 1); channel 1 is constant.
	in := []*Tensor{rdtF32([]int{1, 2, 2}, 1, 3, 2, 2), v(2, 1), v(0, 5)}
	if err := GroupNorm(x, &GroupNormParams{}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "instance", Data[float32](out[0]), []float64{-2, 2, 5, 5})
	// Two groups of two channels, per-channel scale and bias.
	in = []*Tensor{rdtF32([]int{1, 4, 1}, 1, 3, 5, 7), v(1, 2, 3, 4), v(0, 0, 0, 1)}
	if err := GroupNorm(x, &GroupNormParams{Groups: 2}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "group", Data[float32](out[0]), []float64{-1, 2, -3, 5})
	// One group is a layer norm over C and space; epsilon applies.
	in = []*Tensor{rdtF32([]int{1, 2, 1}, 0, 2), v(1, 1), v(0, 0)}
	if err := GroupNorm(x, &GroupNormParams{Groups: 1, Epsilon: 3}, out, in); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "group eps", Data[float32](out[0]), []float64{-0.5, 0.5})
	if err := GroupNorm(x, &GroupNormParams{Groups: 3}, out, in); err == nil {
		t.Error("2 channels in 3 groups: no error")
	}
}

func TestLayerNorm(t *testing.T) {
	x := NewExec(nil)
	v := func(vals ...float32) *Tensor { return rdtF32([]int{len(vals)}, vals...) }
	src := rdtF32([]int{2, 2}, 1, 3, 2, 6)
	out := []*Tensor{{}, {}, {}}
	if err := LayerNorm(x, &LayerNormParams{Axis: -1, StatType: Float32}, out, []*Tensor{src, v(1, 2), v(0, 1)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "ln", Data[float32](out[0]), []float64{-1, 3, -1, 3})
	rdtShape(t, "ln mean", out[1].Shape, []int{2, 1})
	rdtClose(t, "ln mean", Data[float32](out[1]), []float64{2, 4})
	rdtClose(t, "ln inv", Data[float32](out[2]), []float64{1, 0.5})
	// Axis 0 normalizes everything: mean 3, variance 3.5; a scalar scale broadcasts, no bias.
	if err := LayerNorm(x, &LayerNormParams{Axis: 0, StatType: Float64}, out, []*Tensor{src, v(2)}); err != nil {
		t.Fatal(err)
	}
	s := 2 / math.Sqrt(3.5)
	rdtClose(t, "ln axis0", Data[float32](out[0]), []float64{-2 * s, 0, -1 * s, 3 * s})
	rdtShape(t, "ln axis0 mean", out[1].Shape, []int{1, 1})
	if out[1].DType != Float64 || Data[float64](out[1])[0] != 3 {
		t.Errorf("stat output %s %v", out[1].DType, out[1].Shape)
	}
	// A (2,1) scale broadcasts over normalized dims (2,2).
	src3 := rdtF32([]int{1, 2, 2}, 1, 3, 1, 3)
	if err := LayerNorm(x, &LayerNormParams{Axis: 1}, []*Tensor{{}}, []*Tensor{src3, rdtF32([]int{2, 1}, 1, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := LayerNorm(x, &LayerNormParams{Axis: 1}, []*Tensor{{}}, []*Tensor{src3, v(1, 2, 3)}); err == nil {
		t.Error("scale that does not broadcast: no error")
	}
	// RMS: [3, 4] / sqrt(12.5).
	r := math.Sqrt(12.5)
	if err := LayerNorm(x, &LayerNormParams{Axis: -1, RMS: true}, out[:1], []*Tensor{rdtF32([]int{1, 2}, 3, 4), v(1, 2)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "rms", Data[float32](out[0]), []float64{3 / r, 8 / r})
}

func TestLpNorm(t *testing.T) {
	x := NewExec(nil)
	out := []*Tensor{{}}
	cases := []struct {
		name  string
		p     LpNormParams
		shape []int
		x     []float32
		want  []float64
	}{
		{"l2", LpNormParams{Axis: -1, P: 2}, []int{2}, []float32{3, 4}, []float64{0.6, 0.8}},
		{"l1", LpNormParams{Axis: 0, P: 1}, []int{2}, []float32{3, -4}, []float64{3.0 / 7, -4.0 / 7}},
		{"axis0 zero", LpNormParams{Axis: 0, P: 2}, []int{2, 2}, []float32{3, 0, 4, 0}, []float64{0.6, 0, 0.8, 0}},
	}
	for _, c := range cases {
		if err := LpNorm(x, &c.p, out, []*Tensor{rdtF32(c.shape, c.x...)}); err != nil {
			t.Fatal(err)
		}
		rdtClose(t, c.name, Data[float32](out[0]), c.want)
	}
}

func TestMVNAndLRN(t *testing.T) {
	x := NewExec(nil)
	out := []*Tensor{{}}
	if err := MeanVarianceNorm(x, &MVNParams{Axes: []int64{0, 2, 3}}, out, []*Tensor{rdtF32([]int{2, 2, 1, 1}, 1, 2, 3, 2)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "mvn", Data[float32](out[0]), []float64{-1, 0, 1, 0})
	if err := MeanVarianceNorm(x, &MVNParams{Axes: []int64{-1}}, out, []*Tensor{rdtF32([]int{2, 2}, 1, 3, 5, 5)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "mvn last", Data[float32](out[0]), []float64{-1, 1, 0, 0})

	// alpha/size = 1, beta 1, bias 1: y = x / (1 + window sum of squares).
	src := rdtF32([]int{1, 3, 1, 1}, 1, 2, 3)
	if err := LRN(x, &LRNParams{Size: 3, Alpha: 3, Beta: 1, Bias: 1}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "lrn3", Data[float32](out[0]), []float64{1.0 / 6, 2.0 / 15, 3.0 / 14})
	// An even size looks one more channel ahead than behind.
	if err := LRN(x, &LRNParams{Size: 2, Alpha: 2, Beta: 1, Bias: 1}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "lrn2", Data[float32](out[0]), []float64{1.0 / 6, 2.0 / 14, 3.0 / 10})
	if err := LRN(x, &LRNParams{Size: 1, Alpha: 1, Beta: 0.5, Bias: 0}, out, []*Tensor{rdtF32([]int{1, 1, 2}, 2, 4)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "lrn beta", Data[float32](out[0]), []float64{1, 1})
}

func TestDropout(t *testing.T) {
	x := NewExec(nil)
	src := rdtF32([]int{2}, 1, 2)
	tr := New(Bool)
	Data[uint8](tr)[0] = 1
	out := []*Tensor{{}, {}}
	if err := Dropout(x, &struct{}{}, out, []*Tensor{src, rdtF32(nil, 0.3)}); err != nil {
		t.Fatal(err)
	}
	rdtClose(t, "dropout", Data[float32](out[0]), []float64{1, 2})
	if out[1].DType != Bool || !slices.Equal(Data[uint8](out[1]), []uint8{1, 1}) {
		t.Errorf("mask %s %v", out[1].DType, Data[uint8](out[1]))
	}
	if Data[float32](out[0])[0] = 9; Data[float32](src)[0] != 1 {
		t.Error("output shares the input's storage")
	}
	if err := Dropout(x, &struct{}{}, out, []*Tensor{src, rdtF32(nil, 0), tr}); err != nil {
		t.Errorf("training with ratio 0: %v", err)
	}
	if err := Dropout(x, &struct{}{}, out[:1], []*Tensor{src, nil, tr}); err == nil {
		t.Error("training with the default ratio: no error")
	}
}

func BenchmarkLayerNorm(b *testing.B) {
	scale := New(Float32, 768)
	for i := range Data[float32](scale) {
		Data[float32](scale)[i] = 1
	}
	rdtBench(b, []int{512, 768}, func(x *Exec, out, in []*Tensor) error {
		return LayerNorm(x, &LayerNormParams{Axis: -1, Epsilon: 1e-5}, out[:1], []*Tensor{in[0], scale, scale})
	})
}

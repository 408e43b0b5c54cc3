package runtime

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	s123 := []float64{0.09003057317038046, 0.24472847105479764, 0.6652409557748219}
	l123 := []float64{-2.40760596444438, -1.40760596444438, -0.40760596444438}
	cases := []struct {
		name  string
		op    int
		axis  int
		shape []int
		x     []float32
		want  []float64
	}{
		{"softmax", SoftmaxOp, -1, []int{3}, []float32{1, 2, 3}, s123},
		{"softmax rows", SoftmaxOp, 1, []int{2, 3}, []float32{1, 2, 3, 11, 12, 13}, append(append([]float64{}, s123...), s123...)},
		{"softmax axis0", SoftmaxOp, 0, []int{3, 2}, []float32{1, 5, 2, 5, 3, 5}, []float64{s123[0], 1.0 / 3, s123[1], 1.0 / 3, s123[2], 1.0 / 3}},
		{"softmax large", SoftmaxOp, 0, []int{2}, []float32{1000, 1001}, []float64{0.2689414213699951, 0.7310585786300049}},
		{"logsoftmax", LogSoftmaxOp, 0, []int{3}, []float32{1, 2, 3}, l123},
		{"logsoftmax axis0", LogSoftmaxOp, -2, []int{3, 1}, []float32{1, 2, 3}, l123},
		{"logsoftmax inner", LogSoftmaxOp, 0, []int{3, 2}, []float32{1, 10, 2, 10, 3, 10}, []float64{l123[0], -math.Log(3), l123[1], -math.Log(3), l123[2], -math.Log(3)}},
		{"hardmax", HardmaxOp, -1, []int{2, 3}, []float32{3, 1, 3, 0, 1, 2}, []float64{1, 0, 0, 0, 0, 1}},
		{"hardmax axis0", HardmaxOp, 0, []int{3, 2}, []float32{1, 7, 4, 7, 4, 0}, []float64{0, 1, 1, 0, 0, 0}},
		{"softmax nan", SoftmaxOp, 0, []int{2}, []float32{1, float32(math.NaN())}, []float64{math.NaN(), math.NaN()}},
		{"empty", SoftmaxOp, 1, []int{0, 3}, nil, nil},
		{"scalar", SoftmaxOp, -1, []int{}, []float32{5}, []float64{1}},
	}
	pool := NewPool(3)
	defer pool.Close()
	for _, c := range cases {
		for _, x := range []*Exec{NewExec(nil), NewExec(pool)} {
			out := []*Tensor{{}}
			if err := Softmax(x, &SoftmaxParams{Op: c.op, Axis: c.axis}, out, []*Tensor{rdtF32(c.shape, c.x...)}); err != nil {
				t.Fatal(c.name, err)
			}
			rdtShape(t, c.name, out[0].Shape, c.shape)
			rdtClose(t, c.name, Data[float32](out[0]), c.want)
		}
	}
	if err := Softmax(NewExec(nil), &SoftmaxParams{Axis: 2}, []*Tensor{{}}, []*Tensor{rdtF32([]int{2, 2}, 1, 2, 3, 4)}); err == nil {
		t.Error("axis out of range: no error")
	}
	// float64 and float16 take their own paths.
	d := New(Float64, 3)
	copy(Data[float64](d), []float64{1, 2, 3})
	out := []*Tensor{{}}
	if err := Softmax(NewExec(nil), &SoftmaxParams{Op: LogSoftmaxOp}, out, []*Tensor{d}); err != nil {
		t.Fatal(err)
	}
	for i, v := range Data[float64](out[0]) {
		if math.Abs(v-l123[i]) > 1e-12 {
			t.Errorf("float64 logsoftmax[%d] = %v, want %v", i, v, l123[i])
		}
	}
	h := New(Float16, 3)
	for i, v := range []float32{1, 2, 3} {
		Data[F16](h)[i] = ToF16(v)
	}
	if err := Softmax(NewExec(nil), &SoftmaxParams{}, out, []*Tensor{h}); err != nil {
		t.Fatal(err)
	}
	for i, v := range Data[F16](out[0]) {
		if math.Abs(float64(v.Float32())-s123[i]) > 1e-3 {
			t.Errorf("float16 softmax[%d] = %v, want %v", i, v.Float32(), s123[i])
		}
	}
	// A large strided case on the pool against the contiguous path (softmax over a transposed
	// copy).
	const R, inner = 37, 1500
	xs := make([]float32, R*inner)
	xt := make([]float32, R*inner)
	for r := 0; r < R; r++ {
		for k := 0; k < inner; k++ {
			v := float32(math.Sin(float64(r*inner + k)))
			xs[r*inner+k] = v
			xt[k*R+r] = v
		}
	}
	a, b := []*Tensor{{}}, []*Tensor{{}}
	if err := Softmax(NewExec(pool), &SoftmaxParams{Axis: 0}, a, []*Tensor{rdtF32([]int{R, inner}, xs...)}); err != nil {
		t.Fatal(err)
	}
	if err := Softmax(NewExec(nil), &SoftmaxParams{Axis: 1}, b, []*Tensor{rdtF32([]int{inner, R}, xt...)}); err != nil {
		t.Fatal(err)
	}
	da, db := Data[float32](a[0]), Data[float32](b[0])
	for r := 0; r < R; r++ {
		for k := 0; k < inner; k++ {
			if math.Abs(float64(da[r*inner+k]-db[k*R+r])) > 1e-6 {
				t.Fatalf("strided softmax differs at %d,%d: %v vs %v", r, k, da[r*inner+k], db[k*R+r])
			}
		}
	}
}

func BenchmarkSoftmaxLastAxis(b *testing.B) {
	rdtBench(b, []int{1024, 1000}, func(x *Exec, out, in []*Tensor) error {
		return Softmax(x, &SoftmaxParams{Axis: -1}, out, in)
	})
}

func TestSmExp(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 200000; i++ {
		x := -708 + float64(i)*(709+708)/200000
		w, g := math.Exp(x), smExp(x)
		if e := math.Abs(g-w) / w; e > worst {
			worst = e
		}
	}
	if worst > 1e-12 {
		t.Errorf("worst relative error %g", worst)
	}
	for _, c := range []struct{ x, want float64 }{{0, 1}, {-800, 0}, {800, math.Inf(1)}, {math.Inf(-1), 0}, {math.Inf(1), math.Inf(1)}} {
		if g := smExp(c.x); g != c.want {
			t.Errorf("smExp(%v) = %v, want %v", c.x, g, c.want)
		}
	}
	if g := smExp(math.NaN()); !math.IsNaN(g) {
		t.Errorf("smExp(NaN) = %v", g)
	}
}

// BenchmarkSoftmaxAttention is a d384 encoder's attention softmax: 6 heads of 64x64 scores,
// rows of 64 where the per-row calls weigh as much as the exponentials.
func BenchmarkSoftmaxAttention(b *testing.B) {
	rdtBench(b, []int{6, 64, 64}, func(x *Exec, out, in []*Tensor) error {
		return Softmax(x, &SoftmaxParams{Axis: -1}, out, in)
	})
}

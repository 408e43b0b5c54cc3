package runtime

import (
	"context"
	"math"
	"math/rand"
	"testing"
)

// TestKernelsStopWhenCancelled runs the long kernels (float32 GEMM, int8 GEMM, the blocked
// convolution) on an Exec whose context is already cancelled: they must skip every tile,
// leaving the output's NaN fill untouched. On a live context the same calls overwrite all of
// it, so the check sees the difference.
func TestKernelsStopWhenCancelled(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	pool := NewPool(2)
	defer pool.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	nan := func(c []float32) []float32 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
		return c
	}
	// untouched counts the NaNs left in c.
	untouched := func(c []float32) int {
		n := 0
		for _, v := range c {
			if v != v {
				n++
			}
		}
		return n
	}
	m, n, k := 96, 200, 300
	a, b := gmRand(r, m*k), gmRand(r, k*n)
	w := qgRandW(r, k*n, 127)
	qb, err := qgView(PackQGemmB(w, k, n, false), k, n)
	if err != nil {
		t.Fatal(err)
	}
	kernels := []struct {
		name string
		run  func(x *Exec) []float32
	}{
		{"sgemm", func(x *Exec) []float32 {
			c := nan(make([]float32, m*n))
			sgemm(x, false, false, m, n, k, 1, a, k, b, n, c, n, false)
			return c
		}},
		{"qgemm", func(x *Exec) []float32 {
			c := nan(make([]float32, m*n))
			qgemm(x, m, a, qb, []float32{0.01}, nil, nil, activation{}, c, n)
			return c
		}},
	}
	if cvBlkHas() {
		kernels = append(kernels, struct {
			name string
			run  func(x *Exec) []float32
		}{"ConvBlocked", func(x *Exec) []float32 {
			c, mo, hw := 32, 64, 14
			X, W := cvtTensor(r, nil, 1, c, hw, hw), cvtTensor(r, nil, mo, c, 3, 3)
			packed, err := PackConvBlocked(W, mo, c, 9)
			if err != nil {
				t.Fatal(err)
			}
			p := &ConvGeomParams{C: c, M: mo, Group: 1, In: []int{hw, hw}, Kernel: []int{3, 3}, Strides: []int{1, 1},
				Dilations: []int{1, 1}, Out: []int{hw, hw}, Pads: []int{1, 1, 1, 1}, PackedW: true}
			y := New(Float32, 1, mo, hw, hw)
			nan(Data[float32](y))
			if err := ConvBlocked(x, p, []*Tensor{y}, []*Tensor{X, W, nil, packed}); err != nil {
				t.Fatal(err)
			}
			return Data[float32](y)
		}})
	}
	for _, kn := range kernels {
		for _, threads := range []*Pool{nil, pool} {
			x := NewExec(threads)
			x.SetContext(context.Background())
			if left := untouched(kn.run(x)); left != 0 {
				t.Fatalf("%s (%d threads), live context: %d outputs not written", kn.name, threads.Threads(), left)
			}
			x.SetContext(cancelled)
			c := kn.run(x)
			if left := untouched(c); left != len(c) {
				t.Errorf("%s (%d threads), cancelled context: %d of %d outputs written", kn.name, threads.Threads(), len(c)-left, len(c))
			}
		}
	}
}

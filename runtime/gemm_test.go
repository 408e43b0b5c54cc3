package runtime

import (
	"math"
	"math/rand"
	"testing"
)

func gmRand(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// gmNaive is the reference: C (+)= alpha*op(A)*op(B) in float64. It also returns, per element
// of C, the sum of the magnitudes of the terms, which bounds the float32 rounding error.
func gmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) []float64 {
	mag := make([]float64, len(c))
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if transA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if transB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
				mag[i*ldc+j] += math.Abs(float64(av)*float64(bv)) * math.Abs(float64(alpha))
			}
			s *= float64(alpha)
			if acc {
				s += float64(c[i*ldc+j])
				mag[i*ldc+j] += math.Abs(float64(c[i*ldc+j]))
			}
			c[i*ldc+j] = float32(s)
		}
	}
	return mag
}

func gmClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, g, w)
		}
	}
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pool := NewPool(3)
	defer pool.Close()
	for it := 0; it < 200; it++ {
		m, n, k := 1+r.Intn(70), 1+r.Intn(70), r.Intn(40)
		if it%10 == 0 {
			m, n, k = 1+r.Intn(300), 1+r.Intn(700), 1+r.Intn(600)
		}
		transA, transB, acc := r.Intn(2) == 0, r.Intn(2) == 0, r.Intn(2) == 0
		alpha := float32(1)
		if r.Intn(3) == 0 {
			alpha = r.Float32()*4 - 2
		}
		lda, ldb := k+r.Intn(3), n+r.Intn(3)
		if transA {
			lda = m + r.Intn(3)
		}
		if transB {
			ldb = k + r.Intn(3)
		}
		ldc := n + r.Intn(3)
		a := gmRand(r, max(m, k)*lda+1)
		b := gmRand(r, max(n, k)*ldb+1)
		c := gmRand(r, m*ldc)
		want := append([]float32(nil), c...)
		mag := gmNaive(transA, transB, m, n, k, alpha, a, lda, b, ldb, want, ldc, acc)
		var x *Exec
		if it%2 == 1 {
			x = NewExec(pool)
		} else {
			x = NewExec(nil)
		}
		sgemm(x, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, acc)
		// Padding between rows of C must be untouched; compare whole rows, pads included. The
		// error allowed is relative to the magnitude of the terms summed (float32 rounding
		// depends on the order of the sums, which FMA builds change).
		for i := range c {
			if d := math.Abs(float64(c[i]) - float64(want[i])); d > 1e-6+2e-6*mag[i] {
				t.Fatalf("sgemm %dx%dx%d transA %v transB %v: element %d = %v, want %v", m, n, k, transA, transB, i, c[i], want[i])
			}
		}
	}
}

func BenchmarkSgemm512(b *testing.B) {
	const n = 512
	r := rand.New(rand.NewSource(1))
	a, bb, c := gmRand(r, n*n), gmRand(r, n*n), make([]float32, n*n)
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			x := NewExec(pool)
			for i := 0; i < b.N; i++ {
				sgemm(x, false, false, n, n, n, 1, a, n, bb, n, c, n, false)
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

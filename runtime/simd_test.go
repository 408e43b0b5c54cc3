package runtime

import (
	"math"
	"math/rand"
	"testing"
)

// The vector loops must agree with plain Go loops at every length (whole vectors, blocks of
// 32, tails) to within the one rounding that FMA saves, and propagate NaN.
func TestVectorLoops(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	randSlice := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64() * 4)
		}
		return s
	}
	near := func(t *testing.T, what string, got, want []float32) {
		t.Helper()
		for i := range want {
			g, w := float64(got[i]), float64(want[i])
			if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
				t.Fatalf("%s: element %d of %d is %v, want %v", what, i, len(want), g, w)
			}
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 64, 71, 200} {
		x := randSlice(n)
		if n > 3 {
			x[3] = float32(math.NaN())
		}
		type clampCase struct{ a, b, lo, hi float32 }
		for _, c := range []clampCase{{1, 0, 0, float32(math.Inf(1))}, {1, 0, -1, 2}, {0.2, 0.5, 0, 1}} {
			got := append([]float32(nil), x...)
			clampAffine(got, c.a, c.b, c.lo, c.hi)
			want := make([]float32, n)
			for i, v := range x {
				want[i] = min(max(c.a*v+c.b, c.lo), c.hi)
			}
			near(t, "clampAffine", got, want)
		}
		got := append([]float32(nil), x...)
		hardSwish(got, 1.0/6, 0.5)
		want := make([]float32, n)
		for i, v := range x {
			want[i] = v * min(max(v/6+0.5, 0), 1)
		}
		near(t, "hardSwish", got, want)

		for _, k := range []int{1, 3, 5} {
			for _, dx := range []int{1, 2} {
				in := randSlice(n + (k-1)*dx)
				w := randSlice(k)
				d := randSlice(n)
				want := append([]float32(nil), d...)
				for i := range want {
					for t := range w {
						want[i] += w[t] * in[i+t*dx]
					}
				}
				axpyTaps(d, in, w, dx)
				near(t, "axpyTaps", d, want)
			}
		}

		a, b := randSlice(n), randSlice(n)
		for _, op := range []int{BinaryAdd, BinarySub, BinaryMul, BinaryDiv} {
			d := make([]float32, n)
			m := arithVec(op, d, a, b)
			want := make([]float32, n)
			for i := range want {
				switch op {
				case BinaryAdd:
					want[i] = a[i] + b[i]
				case BinarySub:
					want[i] = a[i] - b[i]
				case BinaryMul:
					want[i] = a[i] * b[i]
				case BinaryDiv:
					want[i] = a[i] / b[i]
				}
			}
			if m != vecSplit(n) {
				t.Fatalf("arithVec took %d of %d elements, want %d", m, n, vecSplit(n))
			}
			near(t, "arithVec", d[:m], want[:m])
		}
	}
}

// LayerNorm's vector loops give the Go loops' bits for the row (the same roundings) and their
// statistics to float64 precision.
func TestNormLoops(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{1, 7, 8, 9, 16, 33, 384, 1001} {
		s, sc, bs := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64()*3 + 1)
			sc[i] = float32(rng.NormFloat64())
			bs[i] = float32(rng.NormFloat64())
		}
		var sum, sq float64
		for _, v := range s {
			sum += float64(v)
		}
		mean := sum / float64(n)
		for _, v := range s {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		if g := sumF64(s); math.Abs(g-sum) > 1e-12*(1+math.Abs(sum)) {
			t.Errorf("n=%d: sumF64 %v, want %v", n, g, sum)
		}
		if g := sqDevF64(s, mean); math.Abs(g-sq) > 1e-12*(1+sq) {
			t.Errorf("n=%d: sqDevF64 %v, want %v", n, g, sq)
		}
		m, iv := float32(mean), float32(0.7)
		for _, b := range [][]float32{bs, nil} {
			got := make([]float32, n)
			normRow(got, s, sc, b, m, iv)
			for i, v := range s {
				want := float32((v - m) * iv * sc[i]) // no fused multiply-add, as the assembly
				if b != nil {
					want += b[i]
				}
				if math.Float32bits(got[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d bias=%v: element %d is %v, want %v", n, b != nil, i, got[i], want)
				}
			}
		}
	}
}

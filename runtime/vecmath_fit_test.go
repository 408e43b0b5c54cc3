package runtime

import (
	"math"
	"os"
	"testing"
)

// TestVecmathFit recomputes the polynomial coefficients of vecmath.go when ONNXC_VECMATH_FIT is
// set (go test -run VecmathFit -v ./runtime/): weighted minimax fits by Lawson's algorithm
// (iteratively reweighted least squares, 200 rounds) on 3000 Chebyshev nodes, against float64
// math, printed with their weighted maximum error and rounded to float32.
func TestVecmathFit(t *testing.T) {
	if os.Getenv("ONNXC_VECMATH_FIT") == "" {
		t.Skip("set ONNXC_VECMATH_FIT=1 to recompute vecmath.go's coefficients")
	}
	show := func(name string, c []float64, e float64) {
		t.Logf("%s: max weighted error %.3g (2^%.1f)", name, e, math.Log2(e))
		for j, v := range c {
			t.Logf("  c%d = %v", j, float32(v))
		}
	}
	// exp: e^r = 1 + r + r^2*Q(r) on |r| <= 0.35, Q of degree 4 (expC2..expC6), relative error.
	c, e := vfLawson(vfGrid(-0.35, 0.35, 3000), vfPow, 5, func(r float64) float64 {
		if math.Abs(r) < 1e-4 {
			return 0.5 + r/6 + r*r/24
		}
		return (math.Expm1(r) - r) / (r * r)
	}, func(r float64) float64 { return r * r / math.Exp(r) }, 200)
	show("exp Q", c, e)
	// tanh: tanh x = x + x^3*P(x^2) on [0, 1], P of degree 6 (tanhC0..tanhC6), relative error.
	c, e = vfLawson(vfGrid(0, 1, 3000), vfPow, 7, func(s float64) float64 {
		x := math.Sqrt(s)
		if x < 1e-3 {
			return -1.0/3 + 2.0/15*s - 17.0/315*s*s
		}
		return (math.Tanh(x) - x) / (x * s)
	}, func(s float64) float64 {
		x := math.Sqrt(s)
		if x == 0 {
			return 0
		}
		return x * s / math.Tanh(x)
	}, 200)
	show("tanh P", c, e)
	// erf, |x| < 1: erf x = x + x*Q(x^2), Q of degree 6 (erfC0..erfC6), relative error.
	c, e = vfLawson(vfGrid(0, 1, 3000), vfPow, 7, func(s float64) float64 {
		x := math.Sqrt(s)
		if x < 1e-4 {
			return 2/math.SqrtPi - 1 - 2/math.SqrtPi*s/3
		}
		return math.Erf(x)/x - 1
	}, func(s float64) float64 {
		x := math.Sqrt(s)
		if x == 0 {
			return 1 / (2 / math.SqrtPi)
		}
		return x / math.Erf(x)
	}, 200)
	show("erf Q", c, e)
	// erf, 1 <= t <= 4: log(erfc t) + t^2 = G(t-2.5), G of degree 6 (erfG0..erfG6), error
	// weighted by erfc(t)/erf(t), which makes it the relative error of erf = 1 - erfc.
	c, e = vfLawson(vfGrid(-1.5, 1.5, 3000), vfPow, 7, func(u float64) float64 {
		t := u + 2.5
		return math.Log(math.Erfc(t)) + t*t
	}, func(u float64) float64 {
		t := u + 2.5
		return math.Erfc(t) / math.Erf(t)
	}, 200)
	show("erf G", c, e)
}

// lawson fits sum c_j*phi_j(x) ~ f(x) minimizing max_i w_i*|err| on grid xs (IRLS).
func vfLawson(xs []float64, phi func(x float64, j int) float64, m int, f, w func(float64) float64, iters int) ([]float64, float64) {
	n := len(xs)
	lam := make([]float64, n)
	for i := range lam {
		lam[i] = 1 / float64(n)
	}
	var c []float64
	var maxe float64
	for it := 0; it < iters; it++ {
		// weighted LS: rows sqrt(lam)*w*phi, rhs sqrt(lam)*w*f
		A := make([][]float64, n)
		b := make([]float64, n)
		for i, x := range xs {
			s := math.Sqrt(lam[i]) * w(x)
			A[i] = make([]float64, m)
			for j := 0; j < m; j++ {
				A[i][j] = s * phi(x, j)
			}
			b[i] = s * f(x)
		}
		c = vfLsq(A, b, m)
		maxe = 0
		tot := 0.0
		for i, x := range xs {
			v := 0.0
			for j := 0; j < m; j++ {
				v += c[j] * phi(x, j)
			}
			e := math.Abs((v - f(x)) * w(x))
			maxe = max(maxe, e)
			lam[i] *= e + 1e-300
			tot += lam[i]
		}
		for i := range lam {
			lam[i] /= tot
		}
	}
	return c, maxe
}

// lsq solves min |Ax-b| by Householder QR.
func vfLsq(A [][]float64, b []float64, m int) []float64 {
	n := len(A)
	for k := 0; k < m; k++ {
		norm := 0.0
		for i := k; i < n; i++ {
			norm += A[i][k] * A[i][k]
		}
		norm = math.Sqrt(norm)
		if A[k][k] > 0 {
			norm = -norm
		}
		v := make([]float64, n)
		for i := k; i < n; i++ {
			v[i] = A[i][k]
		}
		v[k] -= norm
		vn := 0.0
		for i := k; i < n; i++ {
			vn += v[i] * v[i]
		}
		if vn == 0 {
			continue
		}
		for j := k; j < m; j++ {
			d := 0.0
			for i := k; i < n; i++ {
				d += v[i] * A[i][j]
			}
			d = 2 * d / vn
			for i := k; i < n; i++ {
				A[i][j] -= d * v[i]
			}
		}
		d := 0.0
		for i := k; i < n; i++ {
			d += v[i] * b[i]
		}
		d = 2 * d / vn
		for i := k; i < n; i++ {
			b[i] -= d * v[i]
		}
	}
	x := make([]float64, m)
	for k := m - 1; k >= 0; k-- {
		s := b[k]
		for j := k + 1; j < m; j++ {
			s -= A[k][j] * x[j]
		}
		x[k] = s / A[k][k]
	}
	return x
}

func vfGrid(a, b float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = (a+b)/2 - (b-a)/2*math.Cos(math.Pi*(float64(i)+0.5)/float64(n))
	}
	return xs
}

func vfPow(x float64, j int) float64 { return math.Pow(x, float64(j)) }

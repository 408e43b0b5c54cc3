package runtime

import (
	"math"
	"testing"
)

// TestScalarRewrites checks the scalar functions that use an identity instead of the defining
// formula against that formula, where the formula is accurate.
func TestScalarRewrites(t *testing.T) {
	for x := -30.0; x <= 30; x += 0.0137 {
		mish := x * math.Tanh(math.Log1p(math.Exp(x)))
		if got := scMish(x); math.Abs(got-mish) > 1e-14*math.Max(1, math.Abs(mish)) {
			t.Errorf("mish(%v) = %v, want %v", x, got, mish)
		}
		gelu := 0.5 * x * (1 + math.Tanh(0.7978845608028654*(x+0.044715*x*x*x)))
		if got := scGeluTanh(x); math.Abs(got-gelu) > 1e-14*math.Max(1, math.Abs(gelu)) {
			t.Errorf("geluTanh(%v) = %v, want %v", x, got, gelu)
		}
		if got, want := scSoftplus(x), math.Log(1+math.Exp(x)); math.Abs(got-want) > 1e-14*math.Max(1, want) {
			t.Errorf("softplus(%v) = %v, want %v", x, got, want)
		}
	}
	// Far out, the rewrites stay finite where the formulas overflow or cancel.
	if scMish(1000) != 1000 || scMish(-1000) != 0 || scSoftplus(1000) != 1000 || scSigmoid(-1000) != 0 {
		t.Error("extreme values")
	}
	if got := scGeluTanh(-10); got >= 0 || got < -1e-30 {
		t.Errorf("geluTanh(-10) = %v, want a tiny negative value", got)
	}
}

func TestRoundOdd(t *testing.T) {
	// Exact values pass through; inexact ones land on an odd float32 between the neighbours.
	for _, f := range []float64{0, 1, -2.5, math.SmallestNonzeroFloat32, math.Inf(-1), math.MaxFloat32} {
		if g := scRoundOdd32(f); float64(g) != f {
			t.Errorf("%v -> %v", f, g)
		}
	}
	// Inexact values give the odd one of the two float32 values around them.
	for _, f := range []float64{1 + 1e-12, -(1 + 1e-12), 1.0 / 3, 1e-40, 1e300} {
		g := scRoundOdd32(f)
		lo := math.Nextafter32(g, 0)
		if math.Float32bits(g)&1 == 0 {
			t.Errorf("%v -> %v: even", f, g)
		}
		if a := math.Abs(f); !(math.Abs(float64(lo)) < a && (a < math.Abs(float64(g)) || math.Abs(float64(g)) == math.MaxFloat32)) &&
			!(math.Abs(float64(g)) < a && a < math.Abs(float64(math.Nextafter32(g, float32(math.Copysign(math.Inf(1), f)))))) {
			t.Errorf("%v -> %v: not a neighbour", f, g)
		}
	}
	if !math.IsNaN(float64(scRoundOdd32(math.NaN()))) {
		t.Error("NaN")
	}
}

package runtime

import "math"

// Float32 exp, erf, tanh, logistic sigmoid and GELU, as polynomial approximations evaluated in
// float32, on slices (VecExp, VecErf, VecTanh, VecSigmoid, VecGelu) and on single values (Exp32,
// Erf32, Tanh32, Sigmoid32, Gelu32). On amd64 the slice functions run AVX-512 (16 lanes, masked tail) or
// AVX2+FMA (8 lanes, masked tail) code from vecmath_amd64.s, chosen once at start-up; elsewhere
// and with the build tag purego they loop over the scalar functions.
//
// The assembly evaluates exactly the operations written out in the scalar functions below, in
// the same order, except that each a*b+c is one fused multiply-add there (Go on amd64 rounds the
// product and the sum separately; on arm64 and others Go may fuse them too), and that the SIMD
// code computes both sides of a branch and selects per lane. So the paths differ only by FMA
// rounding: vecmath_test.go measures at most 1 ulp between the scalar functions and each SIMD
// path (2 for the sigmoid), and every path within 1 ulp of the correctly rounded result (2 for
// the sigmoid) over every 7th float32 and dense grids around the edges (the table in
// vecmath_test.go).
//
// The coefficients are weighted minimax fits computed for this file by vecmath_fit_test.go
// (run it with ONNXC_VECMATH_FIT=1): Lawson's iteratively reweighted least squares on 3000
// Chebyshev nodes against float64 math, minimizing the relative error of the final function;
// the coefficients are the fits rounded to float32.

// Exp constants. exp(x) = 2^k * e^r with k = round(x*log2(e)) and r = x - k*ln2, reduced in two
// steps (ln2 = expLn2Hi + expLn2Lo, expLn2Hi having 9 significant bits, so k*expLn2Hi and the
// first subtraction are exact); e^r = 1 + r + r^2*Q(r) on |r| <= 0.35, Q of degree 4 (relative
// error of the fit 2^-28.2). Inputs are clamped to [expMin, expMax], beyond which exp rounds to
// 0 or overflows; 2^k is applied as 2^(k>>1) * 2^(k-k>>1), so subnormal results are rounded
// once and large ones overflow to +Inf.
const (
	expMin    = -104
	expMax    = 89
	expLog2e  = float32(math.Log2E)
	expMagic  = 0x1.8p23 // adding it rounds a float32 of magnitude < 2^22 to an integer
	expLn2Hi  = 0.693359375
	expLn2Lo  = -2.12194440e-4
	expC2     = 0.49999994
	expC3     = 0.16666515
	expC4     = 0.041668456
	expC5     = 0.00836941
	expC6     = 0.0013813161
	expMagicI = 0x4b400000 // the bits of expMagic
)

// Tanh constants. For |x| < 1, tanh(x) = x + x^3*P(x^2), P of degree 6 (relative error of the fit
// 2^-27.7); above, tanh|x| = 1 - 2e/(1+e) with e = exp(-2|x|), which rounds to 1 from about
// |x| = 9 on.
const (
	tanhC0 = -0.33333296
	tanhC1 = 0.13332345
	tanhC2 = -0.0538798
	tanhC3 = 0.021486657
	tanhC4 = -0.007946106
	tanhC5 = 0.002301364
	tanhC6 = -0.00035845183
)

// Erf constants. For |x| < 1, erf(x) = x + x*Q(x^2), Q of degree 6 (Q(0) = 2/sqrt(pi)-1, so tiny
// and subnormal x keep their relative accuracy; fit error 2^-29.6). For 1 <= t = |x| <= 4,
// erfc(t) = exp(G(t-2.5) - t^2), G of degree 6 fitted to log(erfc(t)) + t^2 with the weight
// erfc(t)/erf(t) (fit error 2^-29.8 relative to erf), and erf = 1 - erfc; from t = 4 on (erfc <
// 2^-25) erf rounds to 1, so t is clamped there.
const (
	erfC0 = 0.12837917
	erfC1 = -0.37612626
	erfC2 = 0.112835854
	erfC3 = -0.026853813
	erfC4 = 0.0051883277
	erfC5 = -0.00080101937
	erfC6 = 7.853861e-05

	erfG0 = -1.5568179
	erfG1 = -0.35269395
	erfG2 = 0.056116857
	erfG3 = -0.01071126
	erfG4 = 0.0024653852
	erfG5 = -0.00015197007
	erfG6 = 0.00018637926
)

// Exp32 is e^x in float32 (within 1 ulp of the correctly rounded result): +Inf from about
// 88.72 on, 0 below about -103.97, subnormal results in between, NaN for NaN.
func Exp32(x float32) float32 {
	if x > expMax {
		x = expMax
	}
	if x < expMin {
		x = expMin
	}
	f := float32(x*expLog2e) + expMagic
	k := f - expMagic
	n := int32(math.Float32bits(f)) - expMagicI
	r := x - k*expLn2Hi
	r = r - k*expLn2Lo
	q := expC6*r + expC5
	q = q*r + expC4
	q = q*r + expC3
	q = q*r + expC2
	p := q*(r*r) + r
	p = p + 1
	h := n >> 1
	s1 := math.Float32frombits(uint32(h+127) << 23)
	s2 := math.Float32frombits(uint32(n-h+127) << 23)
	return p * s1 * s2
}

// Tanh32 is tanh(x) in float32 (within 2 ulp): odd, ±1 for large |x|, NaN for NaN.
func Tanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	var y float32
	if a < 1 {
		s := a * a
		p := tanhC6*s + tanhC5
		p = p*s + tanhC4
		p = p*s + tanhC3
		p = p*s + tanhC2
		p = p*s + tanhC1
		p = p*s + tanhC0
		y = (a*s)*p + a
	} else {
		e := Exp32(-2 * a)
		y = 1 - (e+e)/(1+e)
	}
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&(1<<31))
}

// Erf32 is erf(x) in float32 (within 2 ulp): odd, ±1 from |x| of about 3.92 on, NaN for NaN.
func Erf32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	var y float32
	if a < 1 {
		s := a * a
		q := erfC6*s + erfC5
		q = q*s + erfC4
		q = q*s + erfC3
		q = q*s + erfC2
		q = q*s + erfC1
		q = q*s + erfC0
		y = a*q + a
	} else {
		t := a
		if t > 4 {
			t = 4
		}
		u := t - 2.5
		g := erfG6*u + erfG5
		g = g*u + erfG4
		g = g*u + erfG3
		g = g*u + erfG2
		g = g*u + erfG1
		g = g*u + erfG0
		y = 1 - Exp32(g-t*t)
	}
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&(1<<31))
}

// Sigmoid32 is the logistic function 1/(1+e^-x) in float32 (within 2 ulp), computed as
// 1/(1+e) for x >= 0 and e/(1+e) below, e = exp(-|x|), so that neither side overflows and
// results down to the subnormals stay accurate; 0 at -Inf, 1 at +Inf, NaN for NaN.
func Sigmoid32(x float32) float32 {
	e := Exp32(-math.Float32frombits(math.Float32bits(x) &^ (1 << 31)))
	d := 1 + e
	if x < 0 {
		return e / d
	}
	return 1 / d
}

// geluRsqrt2 is 1/sqrt2 in float32.
const geluRsqrt2 = float32(1 / math.Sqrt2)

// Gelu32 is GELU, 0.5*x*(1+erf(x/sqrt2)), in float32 as onnxruntime computes it (x/sqrt2 as
// x times 1/sqrt2): within a few ulp where x >= -1; below, 1+erf cancels, and the absolute error
// (under 2e-7 from about x = -5 on) is erf's rounding near -1. -Inf gives NaN, as the formula
// does. It serves the Gelu op and the GEMM epilogue's fused Gelu.
func Gelu32(x float32) float32 {
	h := 0.5 * x
	return h * (1 + Erf32(x*geluRsqrt2))
}

// VecExp sets dst[i] = Exp32(src[i]) for i < len(src), up to FMA rounding (see above). dst
// must be at least as long as src and either be src or not overlap it.
func VecExp(dst, src []float32) { vecRun(vecExp, dst, src) }

// VecErf sets dst[i] = Erf32(src[i]), as VecExp.
func VecErf(dst, src []float32) { vecRun(vecErf, dst, src) }

// VecTanh sets dst[i] = Tanh32(src[i]), as VecExp.
func VecTanh(dst, src []float32) { vecRun(vecTanh, dst, src) }

// VecSigmoid sets dst[i] = Sigmoid32(src[i]), as VecExp.
func VecSigmoid(dst, src []float32) { vecRun(vecSigmoid, dst, src) }

// VecGelu sets dst[i] = Gelu32(src[i]), as VecExp.
func VecGelu(dst, src []float32) { vecRun(vecGelu, dst, src) }

// The functions of vecRun.
const (
	vecExp = iota
	vecErf
	vecTanh
	vecSigmoid
	vecGelu
)

// The implementations vecPath selects.
const (
	vecPathGo = iota
	vecPathAVX2
	vecPathAVX512
)

// vecPath is the implementation the slice functions use: vecBestPath, or another one the CPU
// supports in tests.
var vecPath = vecBestPath

func vecRun(fn int, dst, src []float32) {
	n := len(src)
	if n == 0 {
		return
	}
	dst = dst[:n]
	if vecPath != vecPathGo {
		vecAsm(vecPath, fn, &dst[0], &src[0], n)
		return
	}
	switch fn {
	case vecExp:
		for i, v := range src {
			dst[i] = Exp32(v)
		}
	case vecErf:
		for i, v := range src {
			dst[i] = Erf32(v)
		}
	case vecTanh:
		for i, v := range src {
			dst[i] = Tanh32(v)
		}
	case vecSigmoid:
		for i, v := range src {
			dst[i] = Sigmoid32(v)
		}
	case vecGelu:
		for i, v := range src {
			dst[i] = Gelu32(v)
		}
	}
}

// vecMax returns the largest element of s (len(s) >= 1). With a NaN in s the result is some
// element; Softmax does not need more, as the NaN then reaches the sum of exponentials.
func vecMax(s []float32) float32 {
	if vecPath != vecPathGo {
		return vecMaxAsm(vecPath, &s[0], len(s))
	}
	m := s[0]
	for _, v := range s {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

// vecSoftmax sets d[i] = Exp32(s[i] - vecMax(s)) times the float32 1/sum, the sum as
// vecExpSum returns it, for i < len(s) >= 1: on AVX-512 in one call over the row, on AVX2 with
// the scaling in a vector loop too (a transformer's attention rows are 64 wide, where the Go
// scaling loop and the calls cost as much as the exponentials). d is s or does not overlap it.
func vecSoftmax(d, s []float32) {
	d = d[:len(s)]
	if vecPath != vecPathGo {
		vecSoftmaxAsm(vecPath, &d[0], &s[0], len(s))
		return
	}
	inv := 1 / vecExpSum(d, s, vecMax(s))
	for i := range d {
		d[i] *= inv
	}
}

// vecExpSum sets d[i] = Exp32(s[i] - m) for i < len(s), up to FMA rounding, and returns the
// float32 sum of those values (the SIMD paths add 16 or 8 lanes and then the lanes). d must be
// at least as long as s and either be s or not overlap it.
func vecExpSum(d, s []float32, m float32) float32 {
	if len(s) == 0 {
		return 0
	}
	d = d[:len(s)]
	if vecPath != vecPathGo {
		return vecExpSumAsm(vecPath, &d[0], &s[0], len(s), m)
	}
	var sum float32
	for i, v := range s {
		e := Exp32(v - m)
		d[i] = e
		sum += e
	}
	return sum
}

package runtime

import "math"

// Scalar functions of the elementwise kernels, in float64. They are small enough for the compiler
// to inline into the kernels' per-op loops, so a kernel pays no call per element; float32 inputs
// are widened, which also makes the float32 results correctly rounded in practice.

// scSigmoid is 1/(1+e^-x), evaluated so that neither branch overflows.
func scSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// scSoftplus is log(1+e^x) without overflow for large x.
func scSoftplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// scGelu is the exact GELU, x*Phi(x).
func scGelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x*(1/math.Sqrt2))) }

// scGeluTanh is GELU's tanh approximation (Gelu with approximate="tanh"),
// 0.5*x*(1+tanh(u)), written as x*sigmoid(2u), which is equal and does not cancel for negative x.
func scGeluTanh(x float64) float64 { return x * scSigmoid(scGeluU2(x)) }

// scGeluU2 is 2u = 2*sqrt(2/pi)*(x+0.044715*x^3).
func scGeluU2(x float64) float64 {
	const k = 2 * 0.7978845608028654 // 2*sqrt(2/pi)
	return k * (x + 0.044715*x*x*x)
}

// scMish is x*tanh(softplus(x)), using tanh(log(1+e)) = m/(m+2) with e = e^x and m = e*(e+2),
// which needs neither log nor tanh and does not cancel.
func scMish(x float64) float64 {
	if x > 20 {
		return x // tanh(softplus(x)) rounds to 1
	}
	e := math.Exp(x)
	m := e * (e + 2)
	return x * m / (m + 2)
}

// scElu is x for x >= 0 and alpha*(e^x-1) below; Expm1 keeps small negatives accurate.
func scElu(x, alpha float64) float64 {
	if x >= 0 {
		return x
	}
	return alpha * math.Expm1(x)
}

// scSelu is gamma*x for x > 0 and gamma*alpha*(e^x-1) otherwise.
func scSelu(x, alpha, gamma float64) float64 {
	if x > 0 {
		return gamma * x
	}
	return gamma * alpha * math.Expm1(x)
}

// scCelu is max(0,x) + min(0, alpha*(e^(x/alpha)-1)).
func scCelu(x, alpha float64) float64 {
	if x >= 0 {
		return x
	}
	return alpha * math.Expm1(x/alpha)
}

// scHardSigmoid is max(0, min(1, alpha*x+beta)); a NaN input stays NaN.
func scHardSigmoid(x, alpha, beta float64) float64 {
	y := alpha*x + beta
	if y < 0 {
		return 0
	}
	if y > 1 {
		return 1
	}
	return y
}

// scShrink is x+bias below -lambd, x-bias above lambd, and 0 in between.
func scShrink(x, bias, lambd float64) float64 {
	switch {
	case x < -lambd:
		return x + bias
	case x > lambd:
		return x - bias
	}
	return 0
}

// scSign is -1, 0 or 1, with NaN staying NaN.
func scSign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x
}

// scPythonMod is the floating-point remainder with the divisor's sign (numpy's mod, ONNX Mod
// with fmod=0).
func scPythonMod(a, b float64) float64 {
	r := math.Mod(a, b)
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// scRoundOdd32 rounds f to float32 toward zero and sets the lowest bit when that was inexact
// ("round to odd"). Rounding that value again to any format with at least two fewer significand
// bits (float16, bfloat16) gives the correctly rounded result of f, which a plain float32 step
// would not (double rounding).
func scRoundOdd32(f float64) float32 {
	g := float32(f)
	if float64(g) == f || f != f {
		return g
	}
	bits := math.Float32bits(g)
	if math.Abs(float64(g)) > math.Abs(f) {
		bits-- // one ulp toward zero; g is not zero here
	}
	return math.Float32frombits(bits | 1)
}

// scToF16 rounds a float64 to float16 once (ties to even).
func scToF16(f float64) F16 { return ToF16(scRoundOdd32(f)) }

// scToBF16 rounds a float64 to bfloat16 once (ties to even).
func scToBF16(f float64) BF16 { return ToBF16(scRoundOdd32(f)) }

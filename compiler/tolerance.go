package compiler

// tolerances are the documented per-case exceptions to the backend suite's rtol 1e-3, atol 1e-7,
// each with its reason. Keep it short: a case belongs here only when the reference output is
// itself computed at a precision our float32 kernels cannot be expected to match bit for bit.
var tolerances = map[string]struct {
	rtol, atol float64
	why        string
}{
	// The exact inverse DFT is 0 at some points; the stored output holds numpy's complex64
	// rounding noise there (up to 1.9e-7), which our float64-accumulated result does not
	// reproduce: 1e-7 absolute tolerance sits right at that noise.
	"test_dft_inverse":         {1e-3, 1e-6, "reference holds float32 rounding noise where the exact value is 0"},
	"test_dft_inverse_opset19": {1e-3, 1e-6, "reference holds float32 rounding noise where the exact value is 0"},
}

// CaseTolerance returns the tolerances for a case.
func CaseTolerance(name string) (rtol, atol float64) {
	if t, ok := tolerances[name]; ok {
		return t.rtol, t.atol
	}
	return DefaultRtol, DefaultAtol
}

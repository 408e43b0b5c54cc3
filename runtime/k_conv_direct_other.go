//go:build !amd64 || purego

package runtime

// cvDirectHas reports whether the direct 3x3 routines run on this CPU: not on this platform
// (see k_conv_direct_amd64.go), where ConvDirect runs the GEMM.
func cvDirectHas() bool { return false }

func cvDirectRows(rows, mb int, dst []float32, ldm, ldd, n int, src []float32, cstride, pw, c int, w []float32, wstride int, bias *[2]float32, act *dwAct) {
	panic("cvDirectRows: no routine on this platform")
}

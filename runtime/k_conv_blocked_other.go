//go:build !amd64 || purego

package runtime

// cvBlkHas reports whether the blocked micro-kernels run on this CPU: not on this platform (see
// k_conv_blocked_amd64.go), where ConvBlocked runs the GEMM.
func cvBlkHas() bool { return false }

func cvBlkRun(nb, np, lanes int, a *cvBlkArgs) { panic("cvBlkRun: no routine on this platform") }

func cvBlkPackRow(dst, src []float32, idx *[cvBlk]int32, lanes int) {
	panic("cvBlkPackRow: no routine on this platform")
}

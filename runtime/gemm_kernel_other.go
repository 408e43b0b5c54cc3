//go:build !amd64 || purego

package runtime

// Without the assembly kernels only the Go one runs.
const sgemmBestPath = gemmPathGo

func sgemmBlockAVX512(kc, mc, nc int, pa []float32, aps, lda int, pb []float32, bps int, c []float32, ldc int, store bool, ep *gemmEpilogue, b, i0, j0 int) {
	panic("sgemm: no AVX-512 kernel in this build")
}

func sgemmBlockAVX2(kc, mc, nc int, pa []float32, aps int, pb []float32, bps int, c []float32, ldc int, store bool, tmp []float32, ep *gemmEpilogue, b, i0, j0 int) {
	panic("sgemm: no AVX2 kernel in this build")
}

//go:build amd64 && !purego

package runtime

// gmScatter16AVX copies n chunks of gemmPN floats, chunk i from src + i*gemmPN to
// dst + i*dstride.
//
//go:noescape
func gmScatter16AVX(dst *float32, dstride int, src *float32, n int)

// gmScatter16 copies the n = len(src)/gemmPN chunks of gemmPN floats of src, chunk i to
// dst[i*dstride:]: one row of B spread over its panels.
func gmScatter16(dst []float32, dstride int, src []float32) {
	n := len(src) / gemmPN
	if n == 0 {
		return
	}
	if !sgemmHasAVX2FMA {
		gmScatter16Go(dst, dstride, src)
		return
	}
	_ = dst[(n-1)*dstride+gemmPN-1]
	gmScatter16AVX(&dst[0], dstride, &src[0], n)
}

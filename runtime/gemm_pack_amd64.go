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

// gmWiden16AVX packs one B panel (kc steps of gemmPN) from the four panels of gemmNR columns
// (kc steps of gemmNR each) that start at src.
//
//go:noescape
func gmWiden16AVX(dst, src *float32, kc int)

// gmWiden16 is gmWiden16AVX where the CPU has AVX and reports false elsewhere.
func gmWiden16(dst, src []float32, kc int) bool {
	if !sgemmHasAVX2FMA {
		return false
	}
	_ = dst[gemmPN*kc-1]
	_ = src[gemmPN*kc-1]
	gmWiden16AVX(&dst[0], &src[0], kc)
	return true
}

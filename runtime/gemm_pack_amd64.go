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

// gmPackPanelAVX packs 8*n depth steps of a full A panel (see gmPackPanel) with alpha 1.
//
//go:noescape
func gmPackPanelAVX(d, src *float32, rs, n int)

// gmPackPanelFast packs the first multiple of 8 of kc depth steps of a full A panel with alpha
// 1 (d and src as gmPackPanel's) where the CPU has AVX, and returns how many steps it packed.
func gmPackPanelFast(d, src []float32, rs, kc int) int {
	n := kc / 8
	if !sgemmHasAVX2FMA || n == 0 {
		return 0
	}
	_ = src[(gemmPM-1)*rs+8*n-1]
	_ = d[gemmPM*8*n-1]
	gmPackPanelAVX(&d[0], &src[0], rs, n)
	return 8 * n
}

// gmPackBTAVX packs 8*n depth steps of a full panel of a transposed B (see gmPackBTFast).
//
//go:noescape
func gmPackBTAVX(d, src *float32, cs int, alpha float32, n int)

// gmPackBTFast packs the first multiple of 8 of kc depth steps of a full B panel whose gemmPN
// columns are each contiguous along the depth, column c at src[c*cs:], times alpha, into d
// (d[p*gemmPN + c]) where the CPU has AVX, and returns how many steps it packed.
func gmPackBTFast(d, src []float32, cs, kc int, alpha float32) int {
	n := kc / 8
	if !sgemmHasAVX2FMA || n == 0 {
		return 0
	}
	_ = src[(gemmPN-1)*cs+8*n-1]
	_ = d[gemmPN*8*n-1]
	gmPackBTAVX(&d[0], &src[0], cs, alpha, n)
	return 8 * n
}

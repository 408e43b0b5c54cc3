//go:build !amd64 || purego

package runtime

// gmScatter16 copies the len(src)/gemmPN chunks of gemmPN floats of src, chunk i to
// dst[i*dstride:]: one row of B spread over its panels.
func gmScatter16(dst []float32, dstride int, src []float32) {
	gmScatter16Go(dst, dstride, src)
}

// gmWiden16 reports false: gmWiden does the work in Go.
func gmWiden16(dst, src []float32, kc int) bool { return false }

// gmPackPanelFast packs nothing: gmPackPanel does the work in Go.
func gmPackPanelFast(d, src []float32, rs, kc int) int { return 0 }

func gmPackBTFast(d, src []float32, cs, kc int, alpha float32) int { return 0 }

//go:build !amd64 || purego

package runtime

// Without the assembly, simd.go runs its Go loops only.
const sgemmHasAVX2FMA = false

func clampAffineAVX2(s *float32, n int, a, b, lo, hi float32)                {}
func hardSwishAVX2(s *float32, n int, a, b float32)                          {}
func axpyTapsAVX2(d *float32, n int, in *float32, dx int, w *float32, k int) {}
func arithAVX2(op int, d, a, b *float32, n int)                              {}
func sumF64AVX2(s *float32, n int) float64                                   { return 0 }
func sqDevF64AVX2(s *float32, n int, mean float64) float64                   { return 0 }
func normRowAVX2(d, s, sc, bs *float32, n int, m, iv float32)                {}

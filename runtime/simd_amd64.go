//go:build amd64 && !purego

package runtime

// The vector loops of simd_amd64.s; simd.go calls them when sgemmHasAVX2FMA holds, with n a
// multiple of 8.

//go:noescape
func clampAffineAVX2(s *float32, n int, a, b, lo, hi float32)

//go:noescape
func hardSwishAVX2(s *float32, n int, a, b float32)

//go:noescape
func axpyTapsAVX2(d *float32, n int, in *float32, dx int, w *float32, k int)

//go:noescape
func arithAVX2(op int, d, a, b *float32, n int)

//go:noescape
func sumF64AVX2(s *float32, n int) float64

//go:noescape
func sqDevF64AVX2(s *float32, n int, mean float64) float64

//go:noescape
func normRowAVX2(d, s, sc, bs *float32, n int, m, iv float32)

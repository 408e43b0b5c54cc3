//go:build !amd64 || purego

package runtime

// Without the assembly, simd.go runs its Go loops only.
const sgemmHasAVX2FMA = false

func clampAffineAVX2(s *float32, n int, a, b, lo, hi float32)                {}
func hardSwishAVX2(s *float32, n int, a, b float32)                          {}
func axpyTapsAVX2(d *float32, n int, in *float32, dx int, w *float32, k int) {}
func arithAVX2(op int, d, a, b *float32, n int)                              {}

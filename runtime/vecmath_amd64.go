//go:build amd64 && !purego

package runtime

import "golang.org/x/sys/cpu"

// The slice functions of vecmath.go run vecmath_amd64.s: its AVX-512 functions (which use
// AVX512F only) on CPUs with AVX-512F, its AVX2+FMA functions on CPUs with those, and the Go
// loops elsewhere. x/sys/cpu reports a feature only when the OS saves its registers.
var vecBestPath = func() int {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return vecPathAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return vecPathAVX2
	}
	return vecPathGo
}()

// vecPathOK reports whether this build and CPU run path.
func vecPathOK(path int) bool { return path <= vecBestPath }

// vecAsm runs function fn of path over the n >= 1 elements at s, storing them at d.
func vecAsm(path, fn int, d, s *float32, n int) {
	if path == vecPathAVX512 {
		switch fn {
		case vecExp:
			vecExpAVX512(d, s, n)
		case vecErf:
			vecErfAVX512(d, s, n)
		case vecTanh:
			vecTanhAVX512(d, s, n)
		case vecSigmoid:
			vecSigmoidAVX512(d, s, n)
		case vecGelu:
			vecGeluAVX512(d, s, n)
		}
		return
	}
	switch fn {
	case vecExp:
		vecExpAVX2(d, s, n)
	case vecErf:
		vecErfAVX2(d, s, n)
	case vecTanh:
		vecTanhAVX2(d, s, n)
	case vecSigmoid:
		vecSigmoidAVX2(d, s, n)
	case vecGelu:
		vecGeluAVX2(d, s, n)
	}
}

//go:noescape
func vecExpAVX512(d, s *float32, n int)

//go:noescape
func vecErfAVX512(d, s *float32, n int)

//go:noescape
func vecTanhAVX512(d, s *float32, n int)

//go:noescape
func vecSigmoidAVX512(d, s *float32, n int)

//go:noescape
func vecExpAVX2(d, s *float32, n int)

//go:noescape
func vecErfAVX2(d, s *float32, n int)

//go:noescape
func vecTanhAVX2(d, s *float32, n int)

//go:noescape
func vecSigmoidAVX2(d, s *float32, n int)

//go:noescape
func vecGeluAVX512(d, s *float32, n int)

//go:noescape
func vecGeluAVX2(d, s *float32, n int)

// vecMaxAsm is vecMax on path (AVX-512 or AVX2).
func vecMaxAsm(path int, s *float32, n int) float32 {
	if path == vecPathAVX512 {
		return vecMaxAVX512(s, n)
	}
	return vecMaxAVX2(s, n)
}

// vecExpSumAsm is vecExpSum on path (AVX-512 or AVX2).
func vecExpSumAsm(path int, d, s *float32, n int, m float32) float32 {
	if path == vecPathAVX512 {
		return vecExpSumAVX512(d, s, n, m)
	}
	return vecExpSumAVX2(d, s, n, m)
}

//go:noescape
func vecMaxAVX512(s *float32, n int) float32

//go:noescape
func vecSoftmaxAVX512(d, s *float32, n int)

//go:noescape
func vecScaleAVX2(d *float32, n int, a float32)

// vecSoftmaxAsm is vecSoftmax on path: one call on AVX-512; on AVX2 the maximum, the
// exponentials and then the scaling in vector loops.
func vecSoftmaxAsm(path int, d, s *float32, n int) {
	if path == vecPathAVX512 {
		vecSoftmaxAVX512(d, s, n)
		return
	}
	vecScaleAVX2(d, n, 1/vecExpSumAVX2(d, s, n, vecMaxAVX2(s, n)))
}

//go:noescape
func vecMaxAVX2(s *float32, n int) float32

//go:noescape
func vecExpSumAVX512(d, s *float32, n int, m float32) float32

//go:noescape
func vecExpSumAVX2(d, s *float32, n int, m float32) float32

//go:build amd64 && !purego

package runtime

import "golang.org/x/sys/cpu"

// The depthwise row loop in assembly (dw_amd64.s), chosen once at start-up with
// golang.org/x/sys/cpu (which checks that the OS saves the ZMM state too): AVX-512 (16 lanes,
// masked tail) where supported, else AVX2/FMA (8 lanes), else Go.

var (
	dwHasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	dwHasAVX512 = dwHasAVX2 && cpu.X86.HasAVX512F
)

// dwRowAVX512 and dwRowAVX2 compute dst[i] = act(bias + sum_t w[t] * src[offs[t]+i]) for
// i < n (see dwAct), reading src up to n rounded up to a whole vector.
//
//go:noescape
func dwRowAVX512(dst *float32, n int, src *float32, offs *int, w *float32, taps int, act *dwAct)

//go:noescape
func dwRowAVX2(dst *float32, n int, src *float32, offs *int, w *float32, taps int, act *dwAct)

// dwRow is the depthwise row loop: dst[i] = act(bias + sum_t w[t] * src[offs[t]+i]). src must
// hold every offset plus len(dst) rounded up to dwVec.
func dwRow(dst, src []float32, offs []int, w []float32, da *dwAct) {
	if len(dst) == 0 {
		return
	}
	w = w[:len(offs)]
	switch {
	case len(offs) == 0:
	case dwHasAVX512:
		dwRowAVX512(&dst[0], len(dst), &src[0], &offs[0], &w[0], len(offs), da)
		return
	case dwHasAVX2:
		dwRowAVX2(&dst[0], len(dst), &src[0], &offs[0], &w[0], len(offs), da)
		return
	}
	dwRowGo(dst, src, offs, w, da)
}

//go:noescape
func dwMaxRowAVX512(dst *float32, n int, src *float32, offs *int, taps int)

//go:noescape
func dwMaxRowAVX2(dst *float32, n int, src *float32, offs *int, taps int)

//go:noescape
func dwSumAVX512(s *float32, n int) float32

//go:noescape
func dwSumAVX2(s *float32, n int) float32

// dwMaxRow is the max pooling row loop: dst[i] = max_t src[offs[t]+i], NaN inputs ignored and
// -Inf where every input is NaN. src must hold every offset plus len(dst) rounded up to dwVec.
func dwMaxRow(dst, src []float32, offs []int) {
	switch {
	case len(dst) == 0 || len(offs) == 0:
	case dwHasAVX512:
		dwMaxRowAVX512(&dst[0], len(dst), &src[0], &offs[0], len(offs))
		return
	case dwHasAVX2:
		dwMaxRowAVX2(&dst[0], len(dst), &src[0], &offs[0], len(offs))
		return
	}
	dwMaxRowGo(dst, src, offs)
}

//go:noescape
func dwNegInfAVX512(p *float32, n int) bool

// dwNegInf reports whether any element of s is -Inf.
func dwNegInf(s []float32) bool {
	k := 0
	if dwHasAVX512 {
		if k = len(s) &^ 15; k > 0 && dwNegInfAVX512(&s[0], k) {
			return true
		}
	}
	return dwNegInfGo(s[k:])
}

// dwSum is the sum of s's elements, in float32 with several partial sums.
func dwSum(s []float32) float32 {
	k := 0
	var t float32
	switch {
	case dwHasAVX512:
		if k = len(s) &^ 15; k > 0 {
			t = dwSumAVX512(&s[0], k)
		}
	case dwHasAVX2:
		if k = len(s) &^ 7; k > 0 {
			t = dwSumAVX2(&s[0], k)
		}
	}
	return t + dwSumGo(s[k:])
}

//go:noescape
func dwEvensAVX512(dst, src *float32, n int)

//go:noescape
func dwEvensAVX2(dst, src *float32, n int)

// dwEvens sets dst[i] = src[2*i]: whole vectors in assembly, as far as src holds two floats
// per output (the last output may have only one), the rest in Go.
func dwEvens(dst, src []float32) {
	n := min(len(dst), len(src)/2)
	switch {
	case dwHasAVX512:
		n &^= 15
	case dwHasAVX2:
		n &^= 7
	default:
		n = 0
	}
	if n > 0 {
		_ = src[2*n-1]
		if dwHasAVX512 {
			dwEvensAVX512(&dst[0], &src[0], n)
		} else {
			dwEvensAVX2(&dst[0], &src[0], n)
		}
	}
	dwEvensGo(dst[n:], src[2*n:])
}

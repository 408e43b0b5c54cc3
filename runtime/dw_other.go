//go:build !amd64 || purego

package runtime

// dwRow is the depthwise row loop: dst[i] = act(bias + sum_t w[t] * src[offs[t]+i]), in Go on
// this platform (see dw_amd64.go).
func dwRow(dst, src []float32, offs []int, w []float32, da *dwAct) {
	dwRowGo(dst, src, offs, w[:len(offs)], da)
}

// dwMaxRow is the max pooling row loop: dst[i] = max_t src[offs[t]+i], NaN inputs ignored and
// -Inf where every input is NaN.
func dwMaxRow(dst, src []float32, offs []int) { dwMaxRowGo(dst, src, offs) }

// dwSum is the sum of s's elements, in float32 with several partial sums.
func dwSum(s []float32) float32 { return dwSumGo(s) }

// dwEvens sets dst[i] = src[2*i], in Go on this platform.
func dwEvens(dst, src []float32) { dwEvensGo(dst, src) }

// dwNegInf reports whether any element of s is -Inf, in Go on this platform.
func dwNegInf(s []float32) bool { return dwNegInfGo(s) }

// plMax3s2Row has no vector routine on this platform.
func plMax3s2Row(dst, r0, r1, r2 []float32, w int) bool { return false }

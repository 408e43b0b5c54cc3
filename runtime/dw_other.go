//go:build !amd64 || purego

package runtime

// dwRow is the depthwise row loop: dst[i] = act(bias + sum_t w[t] * src[offs[t]+i]), in Go on
// this platform (see dw_amd64.go).
func dwRow(dst, src []float32, offs []int, w []float32, da *dwAct) {
	dwRowGo(dst, src, offs, w[:len(offs)], da)
}

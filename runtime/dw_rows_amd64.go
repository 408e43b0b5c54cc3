//go:build amd64 && !purego

package runtime

// The depthwise multi-row routines of dw_rows_amd64.s, one per square kernel (3, 5), vertical
// stride (1, 2) and number of rows (2 to 4), all of one shape.

//go:noescape
func dwRowsK3S1R2(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK3S1R3(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK3S1R4(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK3S2R2(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK3S2R3(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK3S2R4(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S1R2(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S1R3(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S1R4(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S2R2(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S2R3(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

//go:noescape
func dwRowsK5S2R4(dst *float32, ldd, n int, src *float32, ldr int, kofs *int, w *float32, act *dwAct)

// dwRowsAsm computes rows output rows at once where a routine exists: dst row r (ldd apart)
// gets act(bias + sum over ky, kx of w[ky*k+kx] * src[(r*sy+ky)*ldr + kofs[kx] + i]) for i < n.
// It reports whether it did.
func dwRowsAsm(k, sy, rows int, dst []float32, ldd, n int, src []float32, ldr int, kofs []int, w []float32, act *dwAct) bool {
	if !dwHasAVX512 || n == 0 {
		return false
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = w[k*k-1]
	top := 0
	for _, o := range kofs[:k] {
		top = max(top, o)
	}
	_ = src[((rows-1)*sy+k-1)*ldr+top+(n+15)&^15-1] // the assembly reads whole vectors
	d, s, ko, wp := &dst[0], &src[0], &kofs[0], &w[0]
	switch k<<8 | sy<<4 | rows {
	case 3<<8 | 1<<4 | 2:
		dwRowsK3S1R2(d, ldd, n, s, ldr, ko, wp, act)
	case 3<<8 | 1<<4 | 3:
		dwRowsK3S1R3(d, ldd, n, s, ldr, ko, wp, act)
	case 3<<8 | 1<<4 | 4:
		dwRowsK3S1R4(d, ldd, n, s, ldr, ko, wp, act)
	case 3<<8 | 2<<4 | 2:
		dwRowsK3S2R2(d, ldd, n, s, ldr, ko, wp, act)
	case 3<<8 | 2<<4 | 3:
		dwRowsK3S2R3(d, ldd, n, s, ldr, ko, wp, act)
	case 3<<8 | 2<<4 | 4:
		dwRowsK3S2R4(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 1<<4 | 2:
		dwRowsK5S1R2(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 1<<4 | 3:
		dwRowsK5S1R3(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 1<<4 | 4:
		dwRowsK5S1R4(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 2<<4 | 2:
		dwRowsK5S2R2(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 2<<4 | 3:
		dwRowsK5S2R3(d, ldd, n, s, ldr, ko, wp, act)
	case 5<<8 | 2<<4 | 4:
		dwRowsK5S2R4(d, ldd, n, s, ldr, ko, wp, act)
	default:
		return false
	}
	return true
}

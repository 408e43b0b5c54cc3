//go:build amd64 && !purego

package runtime

// The direct 3x3 convolution routines of k_conv_direct_amd64.s, one per count of output rows
// (1 to 4) and output channels (1 or 2), all of one shape.

//go:noescape
func convK3R1M1(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R2M1(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R3M1(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R4M1(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R1M2(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R2M2(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R3M2(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

//go:noescape
func convK3R4M2(dst *float32, ldm, ldd, n int, src *float32, cstride, pw, c int, w *float32, wstride int, bias *float32, act *dwAct)

// cvDirectHas reports whether the direct 3x3 routines run on this CPU (AVX-512).
func cvDirectHas() bool { return dwHasAVX512 }

// cvDirectRows computes rows (1 to 4) output rows of mb (1 or 2) output channels: dst channel
// j row r (ldm and ldd apart) gets act(bias[j] + sum over channels ch < c, ky, kx of
// w[j*wstride + ch*9 + ky*3 + kx] * src[ch*cstride + (r+ky)*pw + kx + i]) for i < n.
func cvDirectRows(rows, mb int, dst []float32, ldm, ldd, n int, src []float32, cstride, pw, c int, w []float32, wstride int, bias *[2]float32, act *dwAct) {
	_ = dst[(mb-1)*ldm+(rows-1)*ldd+n-1]
	_ = src[(c-1)*cstride+(rows+1)*pw+2+(n+15)&^15-1] // the assembly reads whole vectors
	_ = w[(mb-1)*wstride+c*9-1]
	d, s, wp := &dst[0], &src[0], &w[0]
	switch mb<<4 | rows {
	case 1<<4 | 1:
		convK3R1M1(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 1<<4 | 2:
		convK3R2M1(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 1<<4 | 3:
		convK3R3M1(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 1<<4 | 4:
		convK3R4M1(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 2<<4 | 1:
		convK3R1M2(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 2<<4 | 2:
		convK3R2M2(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 2<<4 | 3:
		convK3R3M2(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	case 2<<4 | 4:
		convK3R4M2(d, ldm, ldd, n, s, cstride, pw, c, wp, wstride, &bias[0], act)
	default:
		panic("cvDirectRows: no routine")
	}
}

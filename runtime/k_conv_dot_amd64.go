//go:build amd64 && !purego

package runtime

// The dot products of ConvDot in assembly (k_conv_dot_amd64.s), AVX-512 or AVX2/FMA as the
// depthwise loops choose (dw_amd64.go).

//go:noescape
func convDotAVX512(w, cols *float32, k, ldc, nc int, out *float32)

//go:noescape
func convDotAVX2(w, cols *float32, k, ldc, nc int, out *float32)

// cvDotRow sets acc[c] to the dot product of w with column c of cols (columns ldc apart) for
// c < nc, nc being 1, 2 or 4.
func cvDotRow(w, cols []float32, ldc, nc int, acc *[4]float32) {
	*acc = [4]float32{}
	_ = cols[(nc-1)*ldc+len(w)-1]
	k := 0
	switch {
	case dwHasAVX512:
		if k = len(w) &^ 15; k > 0 {
			convDotAVX512(&w[0], &cols[0], k, ldc, nc, &acc[0])
		}
	case dwHasAVX2:
		if k = len(w) &^ 7; k > 0 {
			convDotAVX2(&w[0], &cols[0], k, ldc, nc, &acc[0])
		}
	}
	if k < len(w) {
		cvDotRowGo(w, cols, ldc, nc, k, acc)
	}
}

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

//go:noescape
func convDot4AVX512(w *float32, ldw int, cols *float32, ldc, k, nc int, out *[16]float32)

// cvDotRows4 sets out[r*4+c] to the dot product of row r of w (four rows ldw apart, each ldc
// long) with column c of cols (ldc apart), for r < 4 and c < nc (1, 2 or 4; the rest are zero),
// and reports whether it did: only where the CPU has AVX-512.
func cvDotRows4(w []float32, ldw int, cols []float32, ldc, nc int, out *[16]float32) bool {
	if !dwHasAVX512 {
		return false
	}
	k := ldc &^ 15
	_ = w[3*ldw+ldc-1]
	_ = cols[(nc-1)*ldc+ldc-1]
	if k > 0 {
		convDot4AVX512(&w[0], ldw, &cols[0], ldc, k, nc, out)
	} else {
		*out = [16]float32{}
	}
	for r := 0; r < 4 && k < ldc; r++ {
		var acc [4]float32
		cvDotRowGo(w[r*ldw:r*ldw+ldc], cols, ldc, nc, k, &acc)
		for c := 0; c < nc; c++ {
			out[r*4+c] += acc[c]
		}
	}
	return true
}

//go:build !amd64 || purego

package runtime

// cvDotRow sets acc[c] to the dot product of w with column c of cols (columns ldc apart) for
// c < nc, in Go on this platform (see k_conv_dot_amd64.go).
func cvDotRow(w, cols []float32, ldc, nc int, acc *[4]float32) {
	*acc = [4]float32{}
	cvDotRowGo(w, cols, ldc, nc, 0, acc)
}

// cvDotRows4 computes four rows of dot products at once where an assembly routine exists
// (k_conv_dot_amd64.go); here there is none.
func cvDotRows4(w []float32, ldw int, cols []float32, ldc, nc int, out *[16]float32) bool {
	return false
}

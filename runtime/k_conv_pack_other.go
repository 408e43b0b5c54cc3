//go:build !amd64 || purego

package runtime

// cvPackRows sets row r of d (width floats each) to xs[offs[r]+base:][:width], for every r of
// offs.
func cvPackRows(d, xs []float32, offs []int, base, width int) {
	cvPackRowsGo(d, xs, offs, base, width)
}

//go:build amd64 && !purego

package runtime

// cvGatherRows copies, for each r < rows, the width floats at src[offs[r]+base] to
// dst[r*width:]; width is a positive multiple of 4 (k_conv_pack_amd64.s).
//
//go:noescape
func cvGatherRows(dst, src *float32, offs *int, rows, base, width int)

// cvPackRows sets row r of d (width floats each) to xs[offs[r]+base:][:width], for every r of
// offs, which must be nondecreasing (im2col tap offsets are): the first and last rows are
// bounds-checked here for all of them.
func cvPackRows(d, xs []float32, offs []int, base, width int) {
	if len(offs) == 0 {
		return
	}
	if width%4 != 0 {
		cvPackRowsGo(d, xs, offs, base, width)
		return
	}
	_ = d[len(offs)*width-1]
	_ = xs[offs[0]+base]
	_ = xs[offs[len(offs)-1]+base+width-1]
	cvGatherRows(&d[0], &xs[0], &offs[0], len(offs), base, width)
}

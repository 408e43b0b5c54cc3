//go:build amd64 && !purego

package runtime

// plMax3s2RowAVX512 (pool_max3_amd64.s) is one output row of a 3x3 stride-2 max pooling with
// one column of padding on the left, from three input rows of w columns.
//
//go:noescape
func plMax3s2RowAVX512(dst *float32, ow int, r0, r1, r2 *float32, w int)

// plMax3s2Row is plMax3s2RowAVX512 where the CPU has it; false when it does not.
func plMax3s2Row(dst, r0, r1, r2 []float32, w int) bool {
	if !dwHasAVX512 {
		return false
	}
	_, _, _ = r0[w-1], r1[w-1], r2[w-1]
	plMax3s2RowAVX512(&dst[0], len(dst), &r0[0], &r1[0], &r2[0], w)
	return true
}

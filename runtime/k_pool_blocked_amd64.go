//go:build amd64 && !purego

package runtime

//go:noescape
func plBlkMaxAVX512(d, src *float32, offs *int, nt, n, step int) bool

// plBlkMaxRun is plBlkMaxRows, a run in one AVX-512 call where the CPU has it.
func plBlkMaxRun(d, src []float32, offs []int, n, step int) bool {
	// Every load and store stays inside the slices.
	_, _ = src[plBlkLast(offs, n, step)], d[n*cvBlk-1]
	if !dwHasAVX512 || plBlkOff {
		return plBlkMaxRows(d, src, offs, n, step)
	}
	return plBlkMaxAVX512(&d[0], &src[0], &offs[0], len(offs), n, step)
}

//go:build amd64 && !purego

package runtime

//go:noescape
func plBlkMaxAVX512(d, src *float32, offs *int, nt, n, step int) bool

// plBlkMaxRun pools n output pixels into d (see plBlkMaxGo) and reports whether a -Inf came
// out, which the caller recomputes; on CPUs without AVX-512 it runs plBlkMaxGo.
func plBlkMaxRun(d, src []float32, offs []int, n, step int) bool {
	if !dwHasAVX512 || plBlkOff {
		plBlkMaxGo(d, src, offs, n, step, false)
		return false
	}
	last := 0
	for _, o := range offs {
		last = max(last, o)
	}
	// Every load and store stays inside the slices.
	_, _ = src[last+(n-1)*step+cvBlk-1], d[n*cvBlk-1]
	return plBlkMaxAVX512(&d[0], &src[0], &offs[0], len(offs), n, step)
}

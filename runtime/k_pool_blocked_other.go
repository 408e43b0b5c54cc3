//go:build !amd64 || purego

package runtime

// plBlkMaxRun pools n output pixels into d (see plBlkMaxGo); without the assembly nothing is
// left to recompute.
func plBlkMaxRun(d, src []float32, offs []int, n, step int) bool {
	plBlkMaxGo(d, src, offs, n, step, false)
	return false
}

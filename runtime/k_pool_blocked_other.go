//go:build !amd64 || purego

package runtime

// plBlkMaxRun is plBlkMaxRows (no assembly of its own on this platform).
func plBlkMaxRun(d, src []float32, offs []int, n, step int) bool {
	_, _ = src[plBlkLast(offs, n, step)], d[n*cvBlk-1]
	return plBlkMaxRows(d, src, offs, n, step)
}

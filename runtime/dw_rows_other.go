//go:build !amd64 || purego

package runtime

// dwRowsAsm computes several depthwise output rows at once where an assembly routine exists
// (dw_rows_amd64.go); here there is none.
func dwRowsAsm(k, sy, rows int, dst []float32, ldd, n int, src []float32, ldr int, kofs []int, w []float32, act *dwAct) bool {
	return false
}

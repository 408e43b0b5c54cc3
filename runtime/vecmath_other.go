//go:build !amd64 || purego

package runtime

// Without the assembly the slice functions loop over the scalar ones.
const vecBestPath = vecPathGo

// vecPathOK reports whether this build and CPU run path.
func vecPathOK(path int) bool { return path == vecPathGo }

func vecAsm(path, fn int, d, s *float32, n int) {}

func vecMaxAsm(path int, s *float32, n int) float32 { return 0 }

func vecExpSumAsm(path int, d, s *float32, n int, m float32) float32 { return 0 }

func vecSoftmaxAsm(path int, d, s *float32, n int) {}

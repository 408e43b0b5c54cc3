//go:build !amd64 || purego

package runtime

// Without the assembly the slice functions loop over the scalar ones.
const vecBestPath = vecPathGo

// vecPathOK reports whether this build and CPU run path.
func vecPathOK(path int) bool { return path == vecPathGo }

func vecAsm(path, fn int, d, s *float32, n int) {}

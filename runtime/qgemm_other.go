//go:build !amd64 || purego

package runtime

// Without the assembly kernels only the Go one runs.
const qgemmBestPath = gemmPathGo

func qgemmTileVNNI(kg int, ap, bp []byte, bps int, c []float32, ldc int, ep *qgEpilogue) {
	panic("qgemm: no VNNI kernel in this build")
}

// qgemmPaths are the kernel families this build runs, for the tests.
var qgemmPaths = []int{gemmPathGo}

func qgemmAccAVX2(kg int, ap, bp []byte, bps int, acc *[qgMR * qgNR]int32, vnni bool) {
	panic("qgemm: no AVX2 kernel in this build")
}

func qgRowSums(ap []byte, kg int, rs []int32) { qgRowSumsGo(ap, kg, rs) }

func qgMinMax(a []float32) (lo, hi float32) { return qgMinMaxGo(a) }

func qgQuantizeRow(a []float32, scale float32, zp int32, dst []byte) {
	qgQuantizeRowGo(a, scale, zp, dst)
}

func qgQuantize(a []float32, scale float32, zp int32, dst []byte) { qgQuantizeGo(a, scale, zp, dst) }

func qcColumn(dst, src []float32, ld int) { qcColumnGo(dst, src, ld) }

func qcGroups(dst, src []byte, ld, n int) { qcGroupsGo(dst, src, ld, n) }

// Without the assembly there is no register transpose; qcTranspose copies by columns.
const qcHasTranspose8 = false

func qcTranspose8(dst []float32, ldd int, src []float32, lds int) {
	panic("qcTranspose8: no assembly in this build")
}

func qgMinMaxPlane(a, lo, hi []float32) { qgMinMaxPlaneGo(a, lo, hi) }

func qgQuantizePlane(a, scale []float32, zp []int32, dst []byte) {
	qgQuantizePlaneGo(a, scale, zp, dst)
}

func qgStore(acc *[qgMR * qgNR]int32, c []float32, ldc, mr, nr int, ep *qgEpilogue) {
	qgStoreGo(acc, c, ldc, mr, nr, ep)
}

const qgRowTiles = 4

func qgemmRow(kg int, ap, bp []byte, bps int, c []float32, ep *qgEpilogue) bool { return false }

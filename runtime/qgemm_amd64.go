//go:build amd64 && !purego

package runtime

import "golang.org/x/sys/cpu"

// qgemmBestPath is the fastest quantized-product kernel this CPU runs: VPDPBUSD on zmm needs
// AVX512_VNNI (with AVX512BW for the byte operands), on ymm AVX-VNNI (Alder Lake and later
// cores without AVX-512), VPMADDUBSW on ymm AVX2.
var qgemmBestPath = func() int {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI:
		return gemmPathAVX512
	case cpu.X86.HasAVXVNNI && cpu.X86.HasAVX2:
		return qgemmPathAVXVNNI
	case cpu.X86.HasAVX2:
		return gemmPathAVX2
	}
	return gemmPathGo
}()

// qgemmPaths are the kernel families this CPU runs, for the tests.
var qgemmPaths = func() []int {
	paths := []int{gemmPathGo}
	if cpu.X86.HasAVX2 {
		paths = append(paths, gemmPathAVX2)
	}
	if cpu.X86.HasAVXVNNI && cpu.X86.HasAVX2 {
		paths = append(paths, qgemmPathAVXVNNI)
	}
	if qgemmBestPath == gemmPathAVX512 {
		paths = append(paths, gemmPathAVX512)
	}
	return paths
}()

//go:noescape
func qgemmKernelVNNI(kg int, ap, bp *byte, bps int, c *float32, ldc int, corr *int32, mul, bias *float32, rs, off, rzp *int32, rsc *float32, cs *int32)

//go:noescape
func qgRowSumsVNNI(ap *byte, kg int, rs *int32)

//go:noescape
func qgemmKernelAVX2(kg int, ap, bp *byte, acc *int32)

//go:noescape
func qgemmKernelAVXVNNI(kg int, ap, bp *byte, acc *int32)

// qgemmTileVNNI computes the 8x32 tile of C at c (row stride ldc) over kg >= 1 groups of
// depth, with the epilogue's dequantization (not its activation).
func qgemmTileVNNI(kg int, ap, bp []byte, bps int, c []float32, ldc int, ep *qgEpilogue) {
	_ = ap[kg*qgMR*4-1]
	_ = bp[bps+kg*64-1]
	_ = c[(qgMR-1)*ldc+qgNR-1]
	_ = ep.corr[qgNR-1]
	_ = ep.mul[qgNR-1]
	_ = ep.bias[qgNR-1]
	var rs, off *int32
	if ep.off != nil {
		_, _ = ep.rs[qgMR-1], ep.off[qgNR-1]
		rs, off = &ep.rs[0], &ep.off[0]
	}
	var rzp, cs *int32
	var rsc *float32
	if ep.rows.on() {
		_, _, _ = ep.rows.zp[qgMR-1], ep.rows.scale[qgMR-1], ep.cs[qgNR-1]
		rzp, rsc, cs = &ep.rows.zp[0], &ep.rows.scale[0], &ep.cs[0]
	}
	qgemmKernelVNNI(kg, &ap[0], &bp[0], bps, &c[0], ldc, &ep.corr[0], &ep.mul[0], &ep.bias[0], rs, off, rzp, rsc, cs)
}

// qgRowSums is qgRowSumsGo with VPDPBUSD on the VNNI path.
func qgRowSums(ap []byte, kg int, rs []int32) {
	if qgemmPath != gemmPathAVX512 || kg == 0 {
		qgRowSumsGo(ap, kg, rs)
		return
	}
	_ = ap[kg*qgMR*4-1]
	_ = rs[qgMR-1]
	qgRowSumsVNNI(&ap[0], kg, &rs[0])
}

// qgemmAccAVX2 is qgemmAccGo with the AVX2 kernel, for pair-safe B only (or with the AVX-VNNI
// kernel when vnni, for any B): four rows of one B panel per call.
func qgemmAccAVX2(kg int, ap, bp []byte, bps int, acc *[qgMR * qgNR]int32, vnni bool) {
	_ = ap[kg*qgMR*4-1]
	_ = bp[bps+kg*64-1]
	for r := 0; r < qgMR; r += 4 {
		for h := 0; h < 2; h++ {
			if vnni {
				qgemmKernelAVXVNNI(kg, &ap[r*4], &bp[h*bps], &acc[r*qgNR+h*qgPN])
			} else {
				qgemmKernelAVX2(kg, &ap[r*4], &bp[h*bps], &acc[r*qgNR+h*qgPN])
			}
		}
	}
}

//go:noescape
func qgMinMaxAVX512(a *float32, n int) (lo, hi float32)

//go:noescape
func qgQuantizeRowAVX512(a *float32, n int, scale float32, zp int32, dst *byte)

// qgMinMax is min(a, 0) and max(a, 0). Go's min and max order NaNs and signed zeros, which
// makes them slow; the vector loop ignores NaNs (a NaN input gives no meaningful scale anyway).
func qgMinMax(a []float32) (lo, hi float32) {
	switch n := len(a) / 8 * 8; {
	case qgemmPath == gemmPathAVX512 && len(a) > 0:
		return qgMinMaxAVX512(&a[0], len(a))
	case qgAVX2() && n > 0:
		lo, hi = qgMinMaxAVX2(&a[0], n)
		tlo, thi := qgMinMaxGo(a[n:])
		return min(lo, tlo), max(hi, thi)
	}
	return qgMinMaxGo(a)
}

// qgVecLen is how many of n values the vector quantizers take (the rest is Go's): a multiple
// of 16 with AVX-512, of 8 with the AVX2 helpers, none for the Go kernel family.
func qgVecLen(n int) int {
	switch {
	case qgemmPath == gemmPathAVX512:
		return n / 16 * 16
	case qgAVX2():
		return n / 8 * 8
	}
	return 0
}

// qgAVX2 says the AVX2 helpers serve the kernel family in use (AVX2 or AVX-VNNI).
func qgAVX2() bool {
	return qgHasAVX2 && (qgemmPath == gemmPathAVX2 || qgemmPath == qgemmPathAVXVNNI)
}

// qgQuantizeRow is qgQuantizeRowGo, 16 values at a time with AVX-512.
func qgQuantizeRow(a []float32, scale float32, zp int32, dst []byte) {
	n := qgVecLen(len(a))
	if n == 0 {
		qgQuantizeRowGo(a, scale, zp, dst)
		return
	}
	_ = dst[(n/4-1)*4*qgMR+3]
	if qgemmPath == gemmPathAVX512 {
		qgQuantizeRowAVX512(&a[0], n, scale, zp, &dst[0])
	} else {
		qgQuantizeRowAVX2(&a[0], n, scale, zp, &dst[0])
	}
	if n < len(a) {
		qgQuantizeRowGo(a[n:], scale, zp, dst[n/4*4*qgMR:])
	}
}

//go:noescape
func qgQuantizeAVX512(a *float32, n int, scale float32, zp int32, dst *byte)

// qgQuantize quantizes a into dst (len(a) bytes) as qgQuantizeRowGo does, 16 values at a time
// with AVX-512.
func qgQuantize(a []float32, scale float32, zp int32, dst []byte) {
	n := qgVecLen(len(a))
	if n == 0 {
		qgQuantizeGo(a, scale, zp, dst)
		return
	}
	_ = dst[len(a)-1]
	if qgemmPath == gemmPathAVX512 {
		qgQuantizeAVX512(&a[0], n, scale, zp, &dst[0])
	} else {
		qgQuantizeAVX2(&a[0], n, scale, zp, &dst[0])
	}
	qgQuantizeGo(a[n:], scale, zp, dst[n:])
}

//go:noescape
func qcColumnAVX512(dst, src *float32, ld, n int)

// qcColumn copies column 0 of src (row stride ld) into dst, len(dst) values.
func qcColumn(dst, src []float32, ld int) {
	n := len(dst) / 16 * 16
	if qgemmPath != gemmPathAVX512 || n == 0 {
		qcColumnGo(dst, src, ld)
		return
	}
	_ = src[(len(dst)-1)*ld]
	qcColumnAVX512(&dst[0], &src[0], ld, n)
	if n < len(dst) {
		qcColumnGo(dst[n:], src[n*ld:], ld)
	}
}

//go:noescape
func qcGroupsSSE(dst, src *byte, ld, n int)

// qcGroups writes n full groups of an A panel (see qcPanels) from src, depth-major with row
// stride ld: the bytes src[(4g+t)*ld : +8] for g < n, t < 4 must exist.
func qcGroups(dst, src []byte, ld, n int) {
	if n == 0 {
		return
	}
	_ = dst[n*4*qgMR-1]
	_ = src[(4*n-1)*ld+qgMR-1]
	qcGroupsSSE(&dst[0], &src[0], ld, n)
}

//go:noescape
func qcTranspose8AVX(dst *float32, ldd int, src *float32, lds int)

// qcHasTranspose8 says qcTranspose8 can run: qcTranspose8AVX needs AVX.
var qcHasTranspose8 = cpu.X86.HasAVX

// qcTranspose8 writes the 8x8 block at src (row stride lds) transposed into dst (row stride
// ldd).
func qcTranspose8(dst []float32, ldd int, src []float32, lds int) {
	_ = dst[7*ldd+7]
	_ = src[7*lds+7]
	qcTranspose8AVX(&dst[0], ldd, &src[0], lds)
}

//go:noescape
func qgMinMaxPlaneAVX512(a, lo, hi *float32, n int)

//go:noescape
func qgQuantizePlaneAVX512(a, scale *float32, zp *int32, dst *byte, n int)

// qgMinMaxPlane is qgMinMaxPlaneGo, 16 values at a time with AVX-512.
func qgMinMaxPlane(a, lo, hi []float32) {
	n := qgVecLen(len(a))
	if n == 0 {
		qgMinMaxPlaneGo(a, lo, hi)
		return
	}
	_, _ = lo[len(a)-1], hi[len(a)-1]
	if qgemmPath == gemmPathAVX512 {
		qgMinMaxPlaneAVX512(&a[0], &lo[0], &hi[0], n)
	} else {
		qgMinMaxPlaneAVX2(&a[0], &lo[0], &hi[0], n)
	}
	qgMinMaxPlaneGo(a[n:], lo[n:], hi[n:])
}

// qgQuantizePlane is qgQuantizePlaneGo, 16 values at a time with AVX-512.
func qgQuantizePlane(a, scale []float32, zp []int32, dst []byte) {
	n := qgVecLen(len(a))
	if n == 0 {
		qgQuantizePlaneGo(a, scale, zp, dst)
		return
	}
	_, _, _ = scale[len(a)-1], zp[len(a)-1], dst[len(a)-1]
	if qgemmPath == gemmPathAVX512 {
		qgQuantizePlaneAVX512(&a[0], &scale[0], &zp[0], &dst[0], n)
	} else {
		qgQuantizePlaneAVX2(&a[0], &scale[0], &zp[0], &dst[0], n)
	}
	qgQuantizePlaneGo(a[n:], scale[n:], zp[n:], dst[n:])
}

// qgHasAVX2 says the AVX2 helpers of the quantized product (its epilogue, quantization and
// ranges) can run: they use AVX2 and FMA.
var qgHasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func qgStoreAVX2(acc *int32, c *float32, ldc int, corr *int32, mul, bias *float32, rs, off, rzp *int32, rsc *float32, cs *int32)

// qgStore is qgStoreGo, with AVX2 for whole 8x32 tiles.
func qgStore(acc *[qgMR * qgNR]int32, c []float32, ldc, mr, nr int, ep *qgEpilogue) {
	if !qgHasAVX2 || mr != qgMR || nr != qgNR {
		qgStoreGo(acc, c, ldc, mr, nr, ep)
		return
	}
	_ = c[(qgMR-1)*ldc+qgNR-1]
	_, _, _ = ep.corr[qgNR-1], ep.mul[qgNR-1], ep.bias[qgNR-1]
	for h := 0; h < qgNR; h += qgPN {
		var rs, off, rzp, cs *int32
		var rsc *float32
		if ep.off != nil {
			_, _ = ep.rs[qgMR-1], ep.off[qgNR-1]
			rs, off = &ep.rs[0], &ep.off[h]
		}
		if ep.rows.on() {
			_, _, _ = ep.rows.zp[qgMR-1], ep.rows.scale[qgMR-1], ep.cs[qgNR-1]
			rzp, rsc, cs = &ep.rows.zp[0], &ep.rows.scale[0], &ep.cs[h]
		}
		qgStoreAVX2(&acc[h], &c[h], ldc, &ep.corr[h], &ep.mul[h], &ep.bias[h], rs, off, rzp, rsc, cs)
	}
	if ep.act.kind != actNone {
		for r := 0; r < qgMR; r++ {
			actRun(&ep.act, c[r*ldc:r*ldc+qgNR])
		}
	}
}

//go:noescape
func qgMinMaxAVX2(a *float32, n int) (lo, hi float32)

//go:noescape
func qgQuantizeRowAVX2(a *float32, n int, scale float32, zp int32, dst *byte)

//go:noescape
func qgQuantizeAVX2(a *float32, n int, scale float32, zp int32, dst *byte)

//go:noescape
func qgMinMaxPlaneAVX2(a, lo, hi *float32, n int)

//go:noescape
func qgQuantizePlaneAVX2(a, scale *float32, zp *int32, dst *byte, n int)

//go:noescape
func qgemmRowVNNI(kg int, ap, bp *byte, bps int, c *float32, corr *int32, mul, bias *float32, zp int32, scale float32, cs *int32, rows int)

// qgRowTiles is how many column tiles qgemmRow covers (eight B panels).
const qgRowTiles = 4

// qgemmRow computes row 0 of packed A (panel ap) by the qgRowTiles column tiles of B from
// panel bp, into c, with ep's dequantization and activation (no B offsets); false when the
// CPU has no one-row kernel.
func qgemmRow(kg int, ap, bp []byte, bps int, c []float32, ep *qgEpilogue) bool {
	const cols = qgRowTiles * qgNR
	if qgemmPath != gemmPathAVX512 || ep.off != nil {
		return false
	}
	_ = ap[(kg-1)*qgMR*4+3]
	_ = bp[(2*qgRowTiles-1)*bps+kg*64-1]
	_, _, _, _ = c[cols-1], ep.corr[cols-1], ep.mul[cols-1], ep.bias[cols-1]
	var zp int32
	var scale float32
	cs, rows := &ep.corr[0], 0 // cs is not read unless rows
	if ep.rows.on() {
		_ = ep.cs[cols-1]
		zp, scale, cs, rows = ep.rows.zp[0], ep.rows.scale[0], &ep.cs[0], 1
	}
	qgemmRowVNNI(kg, &ap[0], &bp[0], bps, &c[0], &ep.corr[0], &ep.mul[0], &ep.bias[0], zp, scale, cs, rows)
	if ep.act.kind != actNone {
		actRun(&ep.act, c[:cols])
	}
	return true
}

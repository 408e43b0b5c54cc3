package runtime

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// This file is the u8 x s8 matrix product of dynamic quantization: C (float32, m x n) =
// scaleA * scaleB[j] * (sum_p A[i,p] * B[p,j] - zpA * colsum(B)[j]) + bias[j], then the
// fused activation. A is uint8 with a zero point (quantized per run, qgQuantizeRows); B is
// int8, symmetric (zero point 0), quantized and packed at compile time (PackQGemmB), with its
// column sums stored beside it for the zero-point correction. The int32 accumulation is exact
// on every path, so the paths differ only in the float epilogue's rounding (the AVX-512 path
// fuses the last multiply and add).
//
// Kernel families, chosen once at start-up (qgemmBestPath, qgemm_amd64.go):
//   - AVX-512 VNNI: VPDPBUSD multiplies 4 u8 by 4 s8 and adds them into an int32 lane; an 8x32
//     tile of C is 16 zmm accumulators, the epilogue runs in registers before the store.
//   - AVX2: VPMADDUBSW multiplies u8 by s8 and adds adjacent pairs into int16 with signed
//     saturation, VPMADDWD by ones widens to int32. A pair can exceed int16 (255*127*2 > 32767):
//     the packer records whether every pair of B satisfies |b0|+|b1| <= 128 (always true with
//     reduce_range's 7-bit weights), and only then is the AVX2 kernel used; otherwise the pure
//     Go kernel runs, so the result never saturates.
//   - AVX-VNNI: VPDPBUSD on ymm (VEX-encoded), for CPUs with AVX-VNNI but without AVX-512;
//     exact for any B, in the AVX2 kernel's 4x16 blocks.
//   - pure Go (-tags purego, other architectures).

const (
	qgMR = 8  // rows of a packed A panel and of a micro-tile
	qgNR = 32 // columns of a micro-tile: two panels of 16
	qgPN = 16 // columns of a packed B panel (one zmm of int32)
	// qgemmPathAVXVNNI is the VEX-encoded VPDPBUSD of AVX-VNNI on ymm, a kernel family of the
	// quantized product only (numbered past the shared ones: a CPU with AVX-512 VNNI may
	// lack it, and one with it may lack AVX-512).
	qgemmPathAVXVNNI = gemmPathAVX512 + 1
	// qgHeader is the packed B header: version, K, N, flags (int32 each).
	qgHeader = 16
	// qgPairSafe (header flags) says every adjacent pair of B's values along K sums to at
	// most 128 in absolute value, so VPMADDUBSW cannot saturate.
	qgPairSafe = 1
	// QGemmPackVersion is the version of PackQGemmB's layout.
	QGemmPackVersion = 1
)

// Scratch slots of the quantized product.
const (
	qgSlotA = 16 + iota
	qgSlotVec
	qgSlotX    // DynQuantConv's quantized input
	qgSlotCols // DynQuantConv's per-chunk im2col rows and A panels
	qgSlotOut  // DynQuantConv's per-chunk products
	qgSlotRS   // A's row sums, for shifted B (qgEpilogue.off)
	qgSlotRowQ // A's per-row scales and zero points (qgRows)
	qgSlotMin  // per-pixel minima and maxima of DynQuantConv's input (qgQuantizePixels)
)

// Packed B layout (PackQGemmB), version 1, an int8 tensor of QGemmPackedLen(k, n) bytes:
//
//	header   4 little-endian int32: version, K, N, flags (qgPairSafe)
//	colsum   Np int32: the sum over p of B[p, j], 0 for j >= N (Np = N rounded up to 32)
//	panels   Np/16 panels of 16 columns, each Kp/4 groups (Kp = K rounded up to 4) of 64
//	         bytes: group g of panel q holds B[4g+t, 16q+c] at byte c*4 + t. Values past K or
//	         N are zero.
//
// The group of four consecutive depths per column is what VPDPBUSD multiplies by four
// consecutive bytes of an A row.

func qgRound(v, m int) int { return (v + m - 1) / m * m }

// QGemmPackedLen is the length of PackQGemmB's result.
func QGemmPackedLen(k, n int) int {
	np, kp := qgRound(n, qgNR), qgRound(k, 4)
	return qgHeader + 4*np + np*kp
}

// PackQGemmB packs a k x n int8 matrix (n x k when trans) as the B operand of the quantized
// product.
func PackQGemmB(w []int8, k, n int, trans bool) []int8 {
	if len(w) < k*n || k <= 0 || n <= 0 {
		panic(fmt.Sprintf("PackQGemmB: %d values for %dx%d", len(w), k, n))
	}
	np, kp := qgRound(n, qgNR), qgRound(k, 4)
	dst := make([]int8, QGemmPackedLen(k, n))
	at := func(p, j int) int8 {
		if trans {
			return w[j*k+p]
		}
		return w[p*n+j]
	}
	flags := int32(qgPairSafe)
	sums := make([]int32, np)
	panels := dst[qgHeader+4*np:]
	for j := 0; j < n; j++ {
		q, c := j/qgPN, j%qgPN
		for p := 0; p < k; p++ {
			v := at(p, j)
			sums[j] += int32(v)
			panels[q*kp*qgPN+p/4*64+c*4+p%4] = v
			if p%2 == 1 && abs32(int32(v))+abs32(int32(at(p-1, j))) > 128 {
				flags = 0
			}
		}
	}
	hdr := qgBytes(dst)
	binary.LittleEndian.PutUint32(hdr[0:], QGemmPackVersion)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(k))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(n))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(flags))
	for j, s := range sums {
		binary.LittleEndian.PutUint32(hdr[qgHeader+4*j:], uint32(s))
	}
	return dst
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func qgBytes(b []int8) []byte { return bytesAsSlice[int8, byte](b) }

// PackQGemmOperand packs a constant int8 tensor of shape [k, n] ([n, k] when trans) as
// PackQGemmB, for the compiler and the reference interpreter.
func PackQGemmOperand(t *Tensor, k, n int, trans bool) (*Tensor, error) {
	return PackQGemmGroups(t, 1, k, n, trans)
}

// PackQGemmGroups packs a constant int8 tensor holding groups matrices of shape [k, n] ([n, k]
// when trans), one after the other, as that many PackQGemmB forms in a row.
func PackQGemmGroups(t *Tensor, groups, k, n int, trans bool) (*Tensor, error) {
	if t.DType != Int8 || groups <= 0 || t.Len() != groups*k*n || k <= 0 || n <= 0 {
		return nil, fmt.Errorf("prepacking %s %v as %d %dx%d int8 matrices", t.DType, t.Shape, groups, k, n)
	}
	out := New(Int8, groups*QGemmPackedLen(k, n))
	w, dst := Data[int8](t), Data[int8](out)
	for g := 0; g < groups; g++ {
		copy(dst[g*QGemmPackedLen(k, n):], PackQGemmB(w[g*k*n:(g+1)*k*n], k, n, trans))
	}
	return out, nil
}

// qgPackedB is a view of PackQGemmB's result.
type qgPackedB struct {
	k, n, np, kp int
	pairSafe     bool
	colsum       []int32
	panels       []byte
}

func qgView(b []int8, k, n int) (qgPackedB, error) {
	if len(b) != QGemmPackedLen(k, n) {
		return qgPackedB{}, fmt.Errorf("packed int8 weights have %d bytes, want %d for %dx%d", len(b), QGemmPackedLen(k, n), k, n)
	}
	raw := qgBytes(b)
	le := binary.LittleEndian
	if le.Uint32(raw) != QGemmPackVersion || int(le.Uint32(raw[4:])) != k || int(le.Uint32(raw[8:])) != n {
		return qgPackedB{}, fmt.Errorf("packed int8 weights: header %v, want version %d for %dx%d", raw[:12], QGemmPackVersion, k, n)
	}
	v := qgPackedB{k: k, n: n, np: qgRound(n, qgNR), kp: qgRound(k, 4), pairSafe: le.Uint32(raw[12:])&qgPairSafe != 0}
	// The colsums start 16 bytes into 8-byte aligned storage.
	v.colsum = bytesAs[int32](raw[qgHeader:], v.np)
	v.panels = raw[qgHeader+4*v.np:]
	return v, nil
}

// qgEpilogue is what the quantized product does to each accumulator before storing it:
// C[i][j] = float32(acc - corr[j] + rs[i]*off[j]) * mul[j] + bias[j], then act. The vectors
// have np entries (zero past n), so kernels read whole tiles of them.
//
// off is nil unless B is stored shifted: the true B[p][j] is the packed value plus off[j]
// (uint8 weights with a zero point are packed as w-128, exact in int8, with off = 128-zp), so
// each accumulator gains off[j] times the sum of A's row (rs, the current block's rows).
//
// rows, when set, is A quantized per row: then corr is zero, each accumulator loses
// rows.zp[i] * cs[j] (cs the true B's column sums) and is scaled by rows.scale[i] before the
// multiply by mul[j] (B's scale alone).
type qgEpilogue struct {
	corr      []int32
	mul, bias []float32
	act       activation
	off, rs   []int32
	rows      qgRows
	cs        []int32
}

// qgRows is A quantized per row, each row with its own DynamicQuantizeLinear scale and zero
// point: row i is quantized with scale[i] and zp[i]. Padding rows have 0 and 0.
type qgRows struct {
	scale []float32
	zp    []int32
}

// on says A is quantized per row.
func (r qgRows) on() bool { return r.scale != nil }

// from is the rows from i on.
func (r qgRows) from(i int) qgRows {
	if !r.on() {
		return r
	}
	return qgRows{scale: r.scale[i:], zp: r.zp[i:]}
}

// newQGRows makes per-row quantization parameters for m rows in scratch, with a tile's worth
// of zeroed padding rows past them (a tile starting at any row < m reads only these).
func newQGRows(x *Exec, m int) qgRows {
	mp := m + qgMR
	v := ScratchOf[float32](x, qgSlotRowQ, 2*mp)
	r := qgRows{scale: v[:mp], zp: bytesAsSlice[float32, int32](v[mp:])}
	clear(r.scale[m:])
	clear(r.zp[m:])
	return r
}

// qgJob is one quantized product: A packed by qgQuantizeRows (m rows, in panels of qgMR), B
// packed, C row-major with row stride ldc. With ep.off, rs holds A's row sums (qgRowSums).
type qgJob struct {
	m   int
	a   []byte
	b   qgPackedB
	c   []float32
	ldc int
	ep  qgEpilogue
	rs  []int32
	// done, when closed, stops the workers before their next column block.
	done <-chan struct{}
}

// run computes the job over column blocks of qgNR taken by the pool's threads.
func (j *qgJob) run(x *Exec) {
	tiles := j.b.np / qgNR
	j.done = x.doneCh()
	parFor(gmPool(x), tiles, j.m*qgNR*j.b.kp/4, qgPar{j: *j})
}

type qgPar struct{ j qgJob }

func (p qgPar) run(lo, hi int) {
	j := &p.j
	kg := j.b.kp / 4
	bps := j.b.kp * qgPN
	var tmp [qgMR * qgNR]float32
	var acc [qgMR * qgNR]int32
	path := qgemmPath
	if path == gemmPathAVX2 && !j.b.pairSafe {
		path = gemmPathGo
	}
	for t := lo; t < hi; t++ {
		if stopped(j.done) {
			return
		}
		j0 := t * qgNR
		nr := min(qgNR, j.b.n-j0)
		bp := j.b.panels[j0/qgPN*bps:]
		// A single row (a recurrent step's state, a token) by whole column tiles: the one-row
		// kernel, without the 8-row tile's seven padding rows.
		if w := qgRowTiles * qgNR; j.m == 1 && t+qgRowTiles <= hi && j0+w <= j.b.n {
			ep := qgEpilogue{corr: j.ep.corr[j0 : j0+w], mul: j.ep.mul[j0 : j0+w], bias: j.ep.bias[j0 : j0+w], act: j.ep.act, rows: j.ep.rows}
			if j.ep.rows.on() {
				ep.cs = j.ep.cs[j0 : j0+w]
			}
			if j.ep.off == nil && qgemmRow(kg, j.a, bp, bps, j.c[j0:j0+w], &ep) {
				t += qgRowTiles - 1
				continue
			}
		}
		ep := qgEpilogue{corr: j.ep.corr[j0 : j0+qgNR], mul: j.ep.mul[j0 : j0+qgNR], bias: j.ep.bias[j0 : j0+qgNR], act: j.ep.act}
		if j.ep.off != nil {
			ep.off = j.ep.off[j0 : j0+qgNR]
		}
		if j.ep.rows.on() {
			ep.cs = j.ep.cs[j0 : j0+qgNR]
		}
		for i0 := 0; i0 < j.m; i0 += qgMR {
			mr := min(qgMR, j.m-i0)
			ap := j.a[i0*j.b.kp:]
			c := j.c[i0*j.ldc+j0:]
			if ep.off != nil {
				ep.rs = j.rs[i0 : i0+qgMR]
			}
			if j.ep.rows.on() {
				ep.rows = j.ep.rows.from(i0)
			}
			if path == gemmPathAVX512 {
				if mr == qgMR && nr == qgNR {
					qgemmTileVNNI(kg, ap, bp, bps, c, j.ldc, &ep)
				} else {
					qgemmTileVNNI(kg, ap, bp, bps, tmp[:], qgNR, &ep)
					gmCopyTile(c, j.ldc, tmp[:], qgNR, mr, nr, true)
				}
			} else {
				if path == gemmPathAVX2 || path == qgemmPathAVXVNNI {
					qgemmAccAVX2(kg, ap, bp, bps, &acc, path == qgemmPathAVXVNNI)
				} else {
					qgemmAccGo(kg, ap, bp, bps, &acc)
				}
				qgStore(&acc, c, j.ldc, mr, nr, &ep)
				continue
			}
			if ep.act.kind != actNone {
				for r := 0; r < mr; r++ {
					actRun(&ep.act, c[r*j.ldc:r*j.ldc+nr])
				}
			}
		}
	}
}

// qgemmAccGo computes the 8x32 int32 tile acc = A * B over kg groups of four depths: ap is a
// packed A panel, bp the first of two B panels bps bytes apart.
func qgemmAccGo(kg int, ap, bp []byte, bps int, acc *[qgMR * qgNR]int32) {
	clear(acc[:])
	_ = ap[kg*qgMR*4-1]
	_ = bp[bps+kg*64-1]
	for h := 0; h < 2; h++ {
		b := bp[h*bps:]
		for g := 0; g < kg; g++ {
			bg := (*[64]byte)(b[g*64:])
			ag := (*[qgMR * 4]byte)(ap[g*qgMR*4:])
			for r := 0; r < qgMR; r++ {
				a0, a1, a2, a3 := int32(ag[r*4]), int32(ag[r*4+1]), int32(ag[r*4+2]), int32(ag[r*4+3])
				row := (*[qgPN]int32)(acc[r*qgNR+h*qgPN:])
				for c := range row {
					q := bg[c*4 : c*4+4 : c*4+4]
					row[c] += a0*int32(int8(q[0])) + a1*int32(int8(q[1])) + a2*int32(int8(q[2])) + a3*int32(int8(q[3]))
				}
			}
		}
	}
}

// qgStoreGo applies the epilogue to the accumulators and stores the mr x nr block of C.
func qgStoreGo(acc *[qgMR * qgNR]int32, c []float32, ldc, mr, nr int, ep *qgEpilogue) {
	corr, mul, bias := ep.corr[:nr], ep.mul[:nr], ep.bias[:nr]
	for r := 0; r < mr; r++ {
		row := c[r*ldc : r*ldc+nr]
		a := acc[r*qgNR : r*qgNR+nr]
		if ep.off != nil {
			rs, off := ep.rs[r], ep.off[:nr]
			for q := range a {
				a[q] += rs * off[q]
			}
		}
		if ep.rows.on() {
			zp, scale, cs := ep.rows.zp[r], ep.rows.scale[r], ep.cs[:nr]
			for q := range row {
				row[q] = float32(a[q]-zp*cs[q])*scale*mul[q] + bias[q]
			}
		} else {
			for q := range row {
				row[q] = float32(a[q]-corr[q])*mul[q] + bias[q]
			}
		}
		if ep.act.kind != actNone {
			actRun(&ep.act, row)
		}
	}
}

// qgQuantizeRows is DynamicQuantizeLinear of A (m x k, row-major), bit for bit as the
// DynamicQuantizeLinear kernel computes it, written as qgMR-row panels of kp/4 groups: row i,
// depth p at (i/qgMR)*kp*qgMR + (p/4)*4*qgMR + (i%qgMR)*4 + p%4. Padding (rows past m, depths
// past k) is zero. It returns the scale and the zero point.
func qgQuantizeRows(a []float32, m, k, kp int, dst []byte) (scale float32, zp int32) {
	return qgQuantizeRowsAs(a, m, k, kp, dst, QuantStatic{})
}

// QuantStatic is an activation quantization fixed at compile time (QuantizeLinear's scale and
// uint8 zero point, from a QDQ model); the zero value means dynamic, as
// DynamicQuantizeLinear. An int8 activation's zero point z is given as z+128: the uint8
// value q+128 then stands for the int8 value q, exactly.
type QuantStatic struct {
	On    bool
	Scale float32
	Zero  int32
}

// params returns the scale and zero point for a: the fixed ones, or a's dynamic ones.
func (q QuantStatic) params(a []float32) (float32, int32) {
	if q.On {
		return q.Scale, q.Zero
	}
	return qgScale(a)
}

// qgQuantizeRowsAs is qgQuantizeRows with the quantization q.
func qgQuantizeRowsAs(a []float32, m, k, kp int, dst []byte, q QuantStatic) (scale float32, zp int32) {
	scale, zp = q.params(a[:m*k])
	mp := qgRound(m, qgMR)
	clear(dst[:mp*kp])
	for i := 0; i < m; i++ {
		base := (i/qgMR)*kp*qgMR + (i%qgMR)*4
		qgQuantizeRow(a[i*k:i*k+k], scale, zp, dst[base:])
	}
	return scale, zp
}

// qgScale is DynamicQuantizeLinear's scale and zero point for the values a: the range of a
// and 0, over 255 steps.
func qgScale(a []float32) (scale float32, zp int32) {
	lo, hi := qgMinMax(a)
	return qgScaleOf(lo, hi)
}

// qgScaleOf is qgScale for values of minimum lo <= 0 and maximum hi >= 0.
func qgScaleOf(lo, hi float32) (scale float32, zp int32) {
	scale = 1
	if lo != hi {
		scale = (hi - lo) / 255
	}
	return scale, int32(math.RoundToEven(float64(min(255, max(0, 0-lo/scale)))))
}

// qgQuantizeGo quantizes a into dst, one byte per value, as qgQuantizeRowGo does.
func qgQuantizeGo(a []float32, scale float32, zp int32, dst []byte) {
	dst = dst[:len(a)]
	for p, v := range a {
		q := int32(math.RoundToEven(float64(v/scale))) + zp
		dst[p] = uint8(min(255, max(0, q)))
	}
}

// qgQuantizeRowGo quantizes one row into its panel: depth p at (p/4)*4*qgMR + p%4.
func qgQuantizeRowGo(a []float32, scale float32, zp int32, dst []byte) {
	for p, v := range a {
		q := int32(math.RoundToEven(float64(v/scale))) + zp
		dst[p/4*4*qgMR+p%4] = uint8(min(255, max(0, q)))
	}
}

// qgRowSumsGo sums each of the qgMR rows of an A panel of kg groups into rs.
func qgRowSumsGo(ap []byte, kg int, rs []int32) {
	var s [qgMR]int32
	for g := range kg {
		grp := (*[qgMR * 4]byte)(ap[g*qgMR*4:])
		for r := range s {
			s[r] += int32(grp[r*4]) + int32(grp[r*4+1]) + int32(grp[r*4+2]) + int32(grp[r*4+3])
		}
	}
	copy(rs[:qgMR], s[:])
}

// qgAllRowSums writes the row sums of the m rows of packed A (panels of kp depths) into rs
// (m rounded up to qgMR entries).
func qgAllRowSums(a []byte, m, kp int, rs []int32) {
	for i0 := 0; i0 < m; i0 += qgMR {
		qgRowSums(a[i0*kp:(i0+qgMR)*kp], kp/4, rs[i0:i0+qgMR])
	}
}

func qgMinMaxGo(a []float32) (lo, hi float32) {
	for _, v := range a {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return lo, hi
}

// qgemm computes the quantized product of A (float32 m x k, row-major, quantized here) by the
// packed B into C (row stride ldc): C = dequantized product * scaleB + bias, then act. scaleB
// has 1 or n entries; bias is nil or has n entries.
// off is nil, or B's offsets (1 or n values, see qgEpilogue).
func qgemm(x *Exec, m int, a []float32, b qgPackedB, scaleB, bias []float32, off []int32, act activation, c []float32, ldc int) {
	qgemmAs(x, m, a, b, scaleB, bias, off, act, c, ldc, QuantStatic{}, false)
}

// qgOffsets checks a kernel's weight offsets (none, one, or n: see qgEpilogue), nil for none.
func qgOffsets(off []int32, n int) ([]int32, error) {
	switch {
	case len(off) == 0:
		return nil, nil
	case len(off) > 1 && len(off) != n:
		return nil, fmt.Errorf("%d weight offsets for %d output columns", len(off), n)
	}
	return off, nil
}

// qgemmAs is qgemm with A quantized as q says, or each of its rows with its own scale and
// zero point when perRow.
func qgemmAs(x *Exec, m int, a []float32, b qgPackedB, scaleB, bias []float32, off []int32, act activation, c []float32, ldc int, q QuantStatic, perRow bool) {
	if m == 0 {
		return
	}
	k, kp := b.k, b.kp
	mp := qgRound(m, qgMR)
	pa := ScratchOf[byte](x, qgSlotA, mp*kp)
	var j qgJob
	if perRow {
		rows := newQGRows(x, m)
		qgQuantizeEachRow(a, m, k, kp, pa, rows)
		j = qgJob{m: m, a: pa, b: b, c: c, ldc: ldc, ep: qgEpilogueOf(x, b, rows, 1, 0, scaleB, bias, off, act)}
	} else {
		sa, zp := qgQuantizeRowsAs(a, m, k, kp, pa, q)
		j = qgJob{m: m, a: pa, b: b, c: c, ldc: ldc, ep: qgEpilogueOf(x, b, qgRows{}, sa, zp, scaleB, bias, off, act)}
	}
	if off != nil {
		j.rs = ScratchOf[int32](x, qgSlotRS, mp)
		qgAllRowSums(pa, m, kp, j.rs)
	}
	j.run(x)
}

// qgQuantizeEachRow is qgQuantizeRows with each row of A quantized on its own, as
// DynamicQuantizeLinear of that row alone: its scale and zero point go to rows.
func qgQuantizeEachRow(a []float32, m, k, kp int, dst []byte, rows qgRows) {
	mp := qgRound(m, qgMR)
	clear(dst[:mp*kp])
	for i := 0; i < m; i++ {
		row := a[i*k : i*k+k]
		scale, zp := qgScale(row)
		rows.scale[i], rows.zp[i] = scale, zp
		qgQuantizeRow(row, scale, zp, dst[(i/qgMR)*kp*qgMR+(i%qgMR)*4:])
	}
}

// qgEpilogueOf makes the epilogue of a product of A (quantized with scale sa and zero point zp,
// or per row as rows says, with sa 1 and zp 0) by b, in scratch: the zero-point correction
// zp * colsum(true B) (per row: the true B's column sums), sa times B's scales (1 or n), the
// bias (nil or n values), B's offsets (nil, 1 or n values) and act.
func qgEpilogueOf(x *Exec, b qgPackedB, rows qgRows, sa float32, zp int32, scaleB, bias []float32, off []int32, act activation) qgEpilogue {
	np := b.np
	vec := ScratchOf[float32](x, qgSlotVec, 5*np)
	corr := bytesAsSlice[float32, int32](vec[:np])
	mul, bs := vec[np:2*np], vec[2*np:3*np]
	var offs, cs []int32
	if off != nil {
		offs = bytesAsSlice[float32, int32](vec[3*np : 4*np])
	}
	if rows.on() {
		cs = bytesAsSlice[float32, int32](vec[4*np:])
	}
	for j := 0; j < np; j++ {
		if j >= b.n {
			corr[j], mul[j], bs[j] = 0, 0, 0
			if offs != nil {
				offs[j] = 0
			}
			if cs != nil {
				cs[j] = 0
			}
			continue
		}
		sum := b.colsum[j]
		if offs != nil {
			offs[j] = off[j%len(off)]
			sum += int32(b.k) * offs[j]
		}
		corr[j] = zp * sum
		if cs != nil {
			cs[j] = sum
		}
		mul[j] = sa * scaleB[j%len(scaleB)]
		bs[j] = 0
		if bias != nil {
			bs[j] = bias[j]
		}
	}
	return qgEpilogue{corr: corr, mul: mul, bias: bs, act: act, off: offs, rows: rows, cs: cs}
}

// qgemmPath is the kernel family the quantized product runs: qgemmBestPath unless a test
// forces another.
var qgemmPath = qgemmBestPath

// bytesAsSlice views s as a []T covering the same bytes.
func bytesAsSlice[F, T any](s []F) []T {
	if len(s) == 0 {
		return nil
	}
	var f F
	var t T
	return unsafe.Slice((*T)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(f))/int(unsafe.Sizeof(t)))
}

package runtime

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DynQuantConv is the dynamically quantized convolution: the u8 x s8 product of qgemm.go on
// the im2col matrix. The input is quantized once per run, as DynamicQuantizeLinear of the whole
// tensor would (one scale and zero point), to uint8; the output pixels are then taken in
// chunks of qcRows (the chunks are what the threads share): the chunk's im2col rows (one per
// output pixel, one byte per depth c*kvol + kernel offset; padding reads as the zero point,
// which stands for 0) are packed as A panels, multiplied by the weights packed as B (output
// channels as columns, prepacked at compile time), the product rescaled with the bias added in
// the GEMM epilogue, and the chunk's pixels-by-channels result transposed into the NCHW output,
// where the summand Z and the activation are applied.

// DynQuantConvParams configures DynQuantConv: the convolution (one group) and its fused
// activation, K = C * kernel volume and M output channels. WOffset, when not empty (1 or M
// values), is added to the stored int8 weights to give the true ones: onnxruntime's uint8
// weights with a zero point z are stored as w-128 with the offset 128-z, exact in int32 (see
// qgEpilogue).
type DynQuantConvParams struct {
	ConvParams
	K, M    int
	WOffset []int32
	// X, when On, quantizes the input with a scale and zero point fixed at compile time (a
	// QDQ model's QuantizeLinear) instead of per run.
	X QuantStatic
	// PerRow, for a pointwise convolution (1x1, unit strides, no padding) only, quantizes
	// each input pixel (its values across the channels: a row of the product) with its own
	// scale and zero point.
	PerRow bool
}

// qcPanelBytes bounds a chunk's A panels, so that they stay in L2 while the weights' column
// tiles stream past them.
const qcPanelBytes = 192 << 10

// DynQuantConv computes Conv(X, W) * scale + bias [+ Z], then the activation, with W int8
// (input 1, [M, C, kernel...], read only through its packed form), its scale (input 2: one
// value or M), the bias (input 3, [M]), the optional summand Z (input 4, the output's shape)
// and the packed form last.
func DynQuantConv(x *Exec, p *DynQuantConvParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	X, W, S, B, packed := in[0], in[1], in[2], in[3], in[len(in)-1]
	var Z *Tensor
	if len(in) > 5 {
		Z = in[4]
	}
	if X.DType != Float32 || W.DType != Int8 {
		return fmt.Errorf("quantized conv of %s by %s weights, want float32 by int8", X.DType, W.DType)
	}
	w, n, c, m, g, err := cvConvGeom(&p.ConvParams, X.Shape, W.Shape)
	if err != nil {
		return err
	}
	if g != 1 || c*w.kVol() != p.K || m != p.M {
		return fmt.Errorf("quantized conv of %v by %v in %d groups, compiled for %dx%d", X.Shape, W.Shape, g, p.K, p.M)
	}
	if S.DType != Float32 || (S.Len() != 1 && S.Len() != m) || B.DType != Float32 || B.Len() != m {
		return fmt.Errorf("scale %s %v and bias %s %v, want float32 of 1 or %d and of %d values", S.DType, S.Shape, B.DType, B.Shape, m, m)
	}
	off, err := qgOffsets(p.WOffset, m)
	if err != nil {
		return err
	}
	b, err := qgView(Data[int8](packed), p.K, m)
	if err != nil {
		return err
	}
	act, err := newActivation(p.Activation, p.ActAlpha, p.ActBeta)
	if err != nil {
		return err
	}
	Y := out[0]
	ys := w.outShape(n, m)
	Y.Resize(Float32, ys[:w.nsp+2]...)
	if Z != nil && (Z.DType != Float32 || !ctEqualInts(Z.Shape, Y.Shape)) {
		return fmt.Errorf("Z of type %s and shape %v, want float32 of the output's shape %v", Z.DType, Z.Shape, Y.Shape)
	}
	if Y.Len() == 0 {
		return nil
	}
	if p.PerRow && !qcPointwise(&w) {
		// The window's numbers by value: slicing w for fmt would move w to the heap on every call.
		k, st := w.k, w.s
		return fmt.Errorf("per-pixel quantization of a %v window with strides %v, want a pointwise convolution", k[3-w.nsp:], st[3-w.nsp:])
	}
	xs := Data[float32](X)
	xq := ScratchOf[byte](x, qgSlotX, len(xs))
	var rowq qgRows
	sa, zp := float32(1), int32(0)
	if p.PerRow {
		rowq = newQGRows(x, len(xs)/c)
		qgQuantizePixels(x, xs, c, w.inVol(), xq, rowq)
	} else {
		sa, zp = p.X.params(xs)
		qgQuantize(xs, sa, zp, xq)
	}
	ov := w.outVol()
	rows := min(qgRound(ov, qgMR), max(qgMR, qcPanelBytes/b.kp/qgMR*qgMR))
	per := (ov + rows - 1) / rows
	total, cost := n*per, rows*p.K*m
	chunk := total
	if pool := gmPool(x); !pool.Serial(total, cost) {
		chunk = pool.chunk(total)
	}
	slots := (total + chunk - 1) / chunk
	colBytes := 0
	if !qcPointwise(&w) {
		colBytes = p.K * rows
	}
	cols := ScratchOf[byte](x, qgSlotCols, slots*(colBytes+rows*b.kp))
	prod := ScratchOf[float32](x, qgSlotOut, slots*rows*m)
	j := qcJob{w: w, c: c, m: m, xq: xq, zp: byte(zp), b: b, y: Data[float32](Y), z: gmData[float32](Z), act: act,
		rows: rows, per: per, chunk: chunk, colBytes: colBytes, cols: cols, prod: prod}
	j.ep = qgEpilogueOf(x, b, rowq, sa, zp, Data[float32](S), Data[float32](B), off, activation{})
	if off != nil {
		j.rs = ScratchOf[int32](x, qgSlotRS, slots*rows)
	}
	parFor(gmPool(x), total, cost, j)
	return nil
}

// qgQuantizePixels quantizes the images xs (each c planes of iv pixels) into dst pixel by
// pixel: pixel i of all images, image-major, with rows.scale[i] and rows.zp[i], made from the
// range of its c values as DynamicQuantizeLinear of them alone would.
func qgQuantizePixels(x *Exec, xs []float32, c, iv int, dst []byte, rows qgRows) {
	mm := ScratchOf[float32](x, qgSlotMin, 2*iv)
	lo, hi := mm[:iv], mm[iv:]
	for img := 0; img < len(xs)/(c*iv); img++ {
		im := xs[img*c*iv : (img+1)*c*iv]
		clear(mm)
		for ch := 0; ch < c; ch++ {
			qgMinMaxPlane(im[ch*iv:(ch+1)*iv], lo, hi)
		}
		scale, zp := rows.scale[img*iv:(img+1)*iv], rows.zp[img*iv:(img+1)*iv]
		for i := range scale {
			scale[i], zp[i] = qgScaleOf(lo[i], hi[i])
		}
		for ch := 0; ch < c; ch++ {
			qgQuantizePlane(im[ch*iv:(ch+1)*iv], scale, zp, dst[(img*c+ch)*iv:])
		}
	}
}

// qgMinMaxPlaneGo lowers lo and raises hi to a's values, element by element (NaNs are
// ignored).
func qgMinMaxPlaneGo(a, lo, hi []float32) {
	lo, hi = lo[:len(a)], hi[:len(a)]
	for i, v := range a {
		if v < lo[i] {
			lo[i] = v
		}
		if v > hi[i] {
			hi[i] = v
		}
	}
}

// qgQuantizePlaneGo quantizes a into dst, value i with scale[i] and zp[i], as qgQuantizeGo.
func qgQuantizePlaneGo(a, scale []float32, zp []int32, dst []byte) {
	dst, scale, zp = dst[:len(a)], scale[:len(a)], zp[:len(a)]
	for i, v := range a {
		q := int32(math.RoundToEven(float64(v/scale[i]))) + zp[i]
		dst[i] = uint8(min(255, max(0, q)))
	}
}

// qcPointwise says the im2col matrix of w is its input itself (1x1, unit strides, no padding).
func qcPointwise(w *cvWin) bool {
	for i := range w.k {
		if w.k[i] != 1 || w.s[i] != 1 || w.pb[i] != 0 || w.pe[i] != 0 {
			return false
		}
	}
	return true
}

// qcJob computes chunks lo..hi of output pixels (image-major, rows pixels each).
type qcJob struct {
	w               cvWin
	c, m            int
	xq              []byte
	zp              byte
	b               qgPackedB
	ep              qgEpilogue
	y, z            []float32
	act             activation
	rows, per       int
	chunk, colBytes int
	cols            []byte
	prod            []float32
	rs              []int32 // per-chunk row sums, with ep.off
}

func (j qcJob) run(lo, hi int) {
	if lo%j.chunk != 0 || hi-lo > j.chunk {
		panic("runtime: parallel chunk off the per-chunk scratch grid")
	}
	s := lo / j.chunk
	size := j.colBytes + j.rows*j.b.kp
	col := j.cols[s*size : s*size+j.colBytes]
	panels := j.cols[s*size+j.colBytes : (s+1)*size]
	prod := j.prod[s*j.rows*j.m : (s+1)*j.rows*j.m]
	iv, ov, K := j.w.inVol(), j.w.outVol(), j.b.k
	for t := lo; t < hi; t++ {
		img, i0 := t/j.per, t%j.per*j.rows
		r := min(j.rows, ov-i0)
		xq := j.xq[img*j.c*iv : (img+1)*j.c*iv]
		if j.colBytes == 0 {
			qcPanels(panels, xq[i0:], iv, r, K, j.b.kp)
		} else {
			qcIm2col(col, xq, &j.w, j.zp, i0, r, j.rows)
			qcPanels(panels, col, j.rows, r, K, j.b.kp)
		}
		gj := qgJob{m: r, a: panels, b: j.b, c: prod, ldc: j.m, ep: j.ep}
		gj.ep.rows = j.ep.rows.from(img*ov + i0)
		if j.ep.off != nil {
			gj.rs = j.rs[s*j.rows : (s+1)*j.rows]
			qgAllRowSums(panels, r, j.b.kp, gj.rs)
		}
		qgPar{j: gj}.run(0, j.b.np/qgNR)
		y := j.y[img*j.m*ov : (img+1)*j.m*ov]
		var z []float32
		if j.z != nil {
			z = j.z[img*j.m*ov : (img+1)*j.m*ov]
		}
		qcTranspose(y[i0:], ov, prod, j.m, r)
		for ch := 0; ch < j.m; ch++ {
			dst := y[ch*ov+i0 : ch*ov+i0+r]
			if z != nil {
				for q, v := range z[ch*ov+i0 : ch*ov+i0+r] {
					dst[q] += v
				}
			}
			if j.act.kind != actNone {
				actRun(&j.act, dst)
			}
		}
	}
}

// qcIm2col writes the im2col matrix of output pixels i0..i0+r of one quantized image, depth-
// major: depth p (channel, kernel offset) at col[p*ld:], one byte per pixel; padding is zp.
func qcIm2col(col, xq []byte, w *cvWin, zp byte, i0, r, ld int) {
	D, H, Wd := w.in[0], w.in[1], w.in[2]
	OH, OW := w.out[1], w.out[2]
	iv := w.inVol()
	// Depth p runs over (channel, kz, ky, kx), kx fastest.
	ch, kz, ky, kx := 0, 0, 0, 0
	for p := 0; p < len(col)/ld; p, kx = p+1, kx+1 {
		if kx == w.k[2] {
			kx, ky = 0, ky+1
			if ky == w.k[1] {
				ky, kz = 0, kz+1
				if kz == w.k[0] {
					kz, ch = 0, ch+1
				}
			}
		}
		src := xq[ch*iv : (ch+1)*iv]
		dst := col[p*ld : p*ld+r]
		for q := 0; q < r; {
			i := i0 + q
			oz, oy, ox := i/(OH*OW), i/OW%OH, i%OW
			n := min(OW-ox, r-q)
			iz := oz*w.s[0] + kz*w.d[0] - w.pb[0]
			iy := oy*w.s[1] + ky*w.d[1] - w.pb[1]
			seg := dst[q : q+n]
			if iz < 0 || iz >= D || iy < 0 || iy >= H {
				for e := range seg {
					seg[e] = zp
				}
			} else {
				row := src[(iz*H+iy)*Wd : (iz*H+iy+1)*Wd]
				sx, ix := w.s[2], ox*w.s[2]+kx*w.d[2]-w.pb[2]
				// Pixels lo..hi-1 read inside the row; the others are padding.
				lo, hi := 0, n
				if ix < 0 {
					lo = min(n, (-ix+sx-1)/sx)
				}
				if ix+(n-1)*sx >= Wd {
					hi = 0
					if Wd > ix {
						hi = (Wd - ix + sx - 1) / sx
					}
					hi = max(hi, lo)
				}
				for e := range seg[:lo] {
					seg[e] = zp
				}
				if sx == 1 {
					copy(seg[lo:hi], row[ix+lo:ix+hi])
				} else {
					for e := lo; e < hi; e++ {
						seg[e] = row[ix+e*sx]
					}
				}
				for e := hi; e < n; e++ {
					seg[e] = zp
				}
			}
			q += n
		}
	}
}

// qcPanels packs r rows of the depth-major matrix src (depth p of row i at src[p*ld+i], k
// depths) as qgQuantizeRows' A panels of kp depths; the padding is zero. Eight rows by four
// depths make one 32-byte group of a panel.
func qcPanels(dst, src []byte, ld, r, k, kp int) {
	rp := qgRound(r, qgMR)
	if rp != r {
		clear(dst[(rp-qgMR)*kp : rp*kp]) // the full panels' groups are all written below
	}
	for i0 := 0; i0 < r; i0 += qgMR {
		panel := dst[i0*kp : (i0+qgMR)*kp]
		full := i0+qgMR <= r && (k-1)*ld+i0+qgMR <= len(src)
		p0 := 0
		if full {
			// The groups of four whole depths, then the rest below.
			qcGroups(panel, src[i0:], ld, k/4)
			p0 = k / 4 * 4
		}
		for ; p0 < k; p0 += 4 {
			g := panel[p0*qgMR : p0*qgMR+4*qgMR]
			clear(g)
			for t := 0; t < 4 && p0+t < k; t++ {
				for q := 0; q < min(qgMR, r-i0); q++ {
					g[q*4+t] = src[(p0+t)*ld+i0+q]
				}
			}
		}
	}
}

// qcGroupsGo is qcGroups in Go: group g's byte q*4+t is row q of depth 4g+t.
func qcGroupsGo(dst, src []byte, ld, n int) {
	for g := 0; g < n; g++ {
		var a [4]uint64
		for t := range a {
			a[t] = binary.LittleEndian.Uint64(src[(4*g+t)*ld:])
		}
		out := dst[g*4*qgMR : (g+1)*4*qgMR]
		for q := 0; q < qgMR; q += 2 {
			binary.LittleEndian.PutUint64(out[q*4:], uint64(qcGather(&a, q))|uint64(qcGather(&a, q+1))<<32)
		}
	}
}

// qcGather is byte q of each of the four words, as one little-endian word.
func qcGather(a *[4]uint64, q int) uint32 {
	s := uint(q * 8)
	return uint32(byte(a[0]>>s)) | uint32(byte(a[1]>>s))<<8 | uint32(byte(a[2]>>s))<<16 | uint32(byte(a[3]>>s))<<24
}

// qcTranspose writes the r x m matrix src (row stride m) transposed into dst (row stride ld).
func qcTranspose(dst []float32, ld int, src []float32, m, r int) {
	// 8x8 blocks in registers where the CPU has them; the gather by columns, strided through
	// the whole chunk, cost a quarter of an int8 network's time.
	ch0, r8 := 0, r/8*8
	if qcHasTranspose8 && r8 > 0 {
		for ; ch0+8 <= m; ch0 += 8 {
			for q := 0; q < r8; q += 8 {
				qcTranspose8(dst[ch0*ld+q:], ld, src[q*m+ch0:], m)
			}
			for ch := ch0; ch < ch0+8 && r8 < r; ch++ {
				qcColumnGo(dst[ch*ld+r8:ch*ld+r], src[r8*m+ch:], m)
			}
		}
	}
	for ch := ch0; ch < m; ch++ {
		qcColumn(dst[ch*ld:ch*ld+r], src[ch:], m)
	}
}

func qcColumnGo(dst, src []float32, ld int) {
	for q := range dst {
		dst[q] = src[q*ld]
	}
}

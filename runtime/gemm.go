package runtime

import (
	"math"
	"sync/atomic"
)

// This file is the float32 matrix-multiply core (sgemm) that Conv, ConvTranspose, MatMul, Gemm
// and Einsum run on. It follows the usual packed design: C is cut into tiles that threads take
// one at a time; for each tile and each block of KC along K, a block of A is packed into panels
// of gemmPM rows and a block of B into panels of gemmPN columns, both laid out k-major so that
// the micro-kernels read them sequentially, and a micro-kernel keeps a block of C in registers
// across the whole K block. An operand that is constant (Conv's or Gemm's weights) can be
// packed once, by PackGemmA or PackGemmB (gemm_pack.go), into the same panel layout over the
// whole K; the job then reads its panels in place instead of packing them per call.
//
// The micro-kernels, chosen once at start-up (sgemmPath): AVX-512 (up to 12x32 from one A
// panel and two B panels, gemm_kernel_avx512_amd64.s), AVX2/FMA (6x16 from half an A panel
// and one B panel, gemm_kernel_amd64.s) and pure Go (2x4 inside the panels, gemm_kernel*.go).
// All read the one packed layout, so prepacked operands run on any of them. After the last K
// block, the job's epilogue (bias per row or column, a residual and the fused activation,
// gemm_epilogue.go) runs on each micro-tile while it is still in L1.

const (
	gemmNR = 4    // columns per panel that cvPackIm2col (k_conv.go) writes; repacked to gemmPN
	gemmPM = 12   // rows of a packed A panel
	gemmPN = 16   // columns of a packed B panel
	gemmKC = 256  // depth of a packed block: an A panel and two B panels stay in L1
	gemmMC = 144  // rows of a tile (a multiple of gemmPM): its packed A block stays in L2
	gemmNC = 1024 // columns of a tile at most (a multiple of 2*gemmPN); smaller when that gives threads more tiles
)

// Scratch slots used by the GEMM driver; kernels that call it use slots below gemmSlotBase.
const (
	gemmSlotBase    = 24
	gemmSlotSharedA = gemmSlotBase + 1
)

// gemmSharedA bounds the size of an A (all batches) that a job packs once for all its column
// tiles: 1 MB, which stays in L2 while the tiles read it.
const gemmSharedA = 1 << 18

// gemmMaxBatchDims bounds the batch dims a gemmMat can broadcast over.
const gemmMaxBatchDims = 8

// gemmMat is a strided view of one operand: element (r, c) of batch b is
// data[off(b) + r*rs + c*cs]. The batch offset is a sum over nb batch dims of
// ((b / bdiv[i]) % bdim[i]) * bstr[i], which covers plain batches, Conv's groups and MatMul's
// broadcasting without allocating a table of offsets.
type gemmMat struct {
	data   []float32
	rs, cs int
	nb     int
	bdiv   [gemmMaxBatchDims]int
	bdim   [gemmMaxBatchDims]int
	bstr   [gemmMaxBatchDims]int
}

// gemmView returns a view with batch b at offset b*bs.
func gemmView(data []float32, rs, cs, bs int) gemmMat {
	m := gemmMat{data: data, rs: rs, cs: cs, nb: 1}
	m.bdiv[0], m.bdim[0], m.bstr[0] = 1, math.MaxInt, bs
	return m
}

// withMod makes batch b's offset (b % mod) * bs: one operand shared by every group's products.
func (m gemmMat) withMod(mod, bs int) gemmMat {
	m.nb = 1
	m.bdiv[0], m.bdim[0], m.bstr[0] = 1, mod, bs
	return m
}

func (m *gemmMat) off(b int) int {
	o := 0
	for i := 0; i < m.nb; i++ {
		o += (b / m.bdiv[i]) % m.bdim[i] * m.bstr[i]
	}
	return o
}

// gemmPacked is a prepacked operand: data is what PackGemmA (for A) or PackGemmB (for B)
// returned, holding mod matrices; batch b of the job reads matrix b % mod (mod 0 or 1: every
// batch reads the first). The matrices' sizes are the job's m, k (A) or k, n (B).
type gemmPacked struct {
	data []float32
	mod  int
}

func (p *gemmPacked) matrix(b, size int) int {
	if p.mod > 1 {
		return b % p.mod * size
	}
	return 0
}

// sgemmJob is a batch of products C[b] (+)= alpha * A[b] * B[b], A[b] m x k, B[b] k x n,
// C[b] m x n with row stride ldc, followed by the epilogue ep.
type sgemmJob struct {
	m, n, k int
	batches int
	alpha   float32
	a, b    gemmMat
	c       gemmMat // C[b] element (i, j) is at c.off(b) + i*c.rs + j; c.cs must be 1
	// acc adds to C's contents; otherwise C is overwritten.
	acc bool
	// im2col, when set, is used instead of b: B[b] is the implicit im2col matrix (cvPackIm2col)
	// of Conv's input for window win, batch b being the colStride elements at b*colStride.
	im2col    bool
	win       cvWin
	col       []float32
	colStride int
	// packA and packB, when their data is set, replace a and b (and im2col) by prepacked
	// operands. alpha is then applied to the operand packed per call; with both prepacked it
	// must be 1.
	packA, packB gemmPacked
	// ep is applied to C after the product (gemm_epilogue.go); the zero value does nothing.
	ep gemmEpilogue
	// inPlaceA says the AVX-512 kernels read A where it is (run sets it): its rows are
	// contiguous and it needs no scaling, so packing it would only copy it.
	inPlaceA bool
	// done, when closed, stops the workers before their next tile (Exec.SetContext).
	done <-chan struct{}
}

// gemmGrid is how a job is cut into tiles, and each worker's packing space.
type gemmGrid struct {
	tm, tn, rows, mc, nc, tiles int
	aSize, bSize, cSize         int
}

// run computes the job, splitting it into tiles taken by the pool's threads.
func (j *sgemmJob) run(x *Exec) {
	if j.m <= 0 || j.n <= 0 || j.batches <= 0 {
		return
	}
	if j.k <= 0 {
		for b := 0; b < j.batches; b++ {
			c0 := j.c.off(b)
			for i := 0; i < j.m; i++ {
				row := j.c.data[c0+i*j.c.rs : c0+i*j.c.rs+j.n]
				if !j.acc {
					clear(row)
				}
				if j.ep.active() {
					j.ep.apply(row, j.c.rs, b, i, 0, 1, j.n)
				}
			}
		}
		return
	}
	if j.packA.data != nil && j.packB.data != nil && j.alpha != 1 {
		panic("sgemm: alpha != 1 with both operands prepacked")
	}
	j.done = x.doneCh()
	threads := gmPool(x).Threads()
	mc := min(gemmMC, gmRoundUp(j.m, gemmPM))
	nc := min(gemmNC, gmRoundUp(j.n, gemmPN))
	// A tile is rows x nc of C: its B block is packed once per K block and its rows taken mc
	// at a time. At one thread a tile takes every row, so B is packed once.
	rows := gmRoundUp(j.m, mc)
	flops := 2 * j.m * j.n * j.k * j.batches
	if threads > 1 && flops > 1<<20 {
		// Give every thread a few tiles so that an uneven share of a busy machine evens out,
		// halving the longer side (repacking B costs in proportion to 1/rows, A to 1/nc).
		want := 4 * threads
		for {
			tm, tn := (j.m+rows-1)/rows, (j.n+nc-1)/nc
			if j.batches*tm*tn >= want {
				break
			}
			switch {
			case rows > mc && (rows >= nc || nc <= 64):
				rows = gmRoundUp(rows/2, mc)
			case nc > 64:
				nc = gmRoundUp(nc/2, 2*gemmPN)
			}
			if rows <= mc && nc <= 64 {
				break
			}
		}
		nc = gmBalanceCols(j.n, nc, threads, j.batches*((j.m+rows-1)/rows))
	}
	tm := (j.m + rows - 1) / rows
	tn := (j.n + nc - 1) / nc
	tiles := j.batches * tm * tn
	// A with contiguous rows is read in place by the AVX-512 kernels, the broadcasts going
	// down its rows as they would down a packed panel: the packing pass would only copy it.
	// Not at strides of a multiple of 4 KB, whose rows fall in the same L1 sets.
	if sgemmPath == gemmPathAVX512 && j.packA.data == nil && j.a.cs == 1 && j.a.rs%1024 != 0 && (j.alpha == 1 || j.packB.data == nil) {
		jj := *j
		jj.inPlaceA = true
		j = &jj
	}
	if tn > 1 && j.packA.data == nil && !j.inPlaceA && j.batches*j.m*j.k <= gemmSharedA {
		// Every column tile would pack the same rows of A (a transformer's 64 tokens against
		// its weights are split over columns only): pack A once, whole, and let the tiles read
		// it as a prepacked operand.
		jj := *j
		size := PackedGemmALen(1, j.m, j.k)
		pa := ScratchOf[float32](x, gemmSlotSharedA, j.batches*size)
		panels := size / (gemmPM * j.k)
		parFor(gmPool(x), j.batches*panels, gemmPM*j.k, gmPackAJob{dst: pa, a: j.a, m: j.m, k: j.k, panels: panels, alpha: j.alpha})
		jj.packA, jj.alpha = gemmPacked{data: pa, mod: j.batches}, 1
		j = &jj
	}
	kc := min(gemmKC, j.k)
	aSize := mc * kc
	bSize := nc * kc
	if j.packA.data != nil || j.inPlaceA {
		aSize = 0
	}
	if j.packB.data != nil {
		bSize = 0
	}
	cSize := 0
	if j.im2col && j.packB.data == nil {
		cSize = gmRoundUp(nc, gemmNR) * kc
	}
	workers := min(threads, tiles)
	if flops < 1<<17 {
		workers = 1
	}
	per := aSize + bSize + cSize + gemmTmp
	buf := ScratchOf[float32](x, gemmSlotBase, workers*per)
	g := gemmGrid{tm: tm, tn: tn, rows: rows, mc: mc, nc: nc, tiles: tiles, aSize: aSize, bSize: bSize, cSize: cSize}
	if workers == 1 {
		var next atomic.Int64
		j.work(&g, buf[:per], &next)
		return
	}
	// parAll shares one copy of the job among the workers without boxing it per call.
	parAll(gmPool(x), workers, sgemmPar{j: *j, g: g, buf: buf, per: per})
}

// gmBalanceCols returns the tile width, at least nc/2, that makes the column split of n columns
// into tiles (each of rowTiles row tiles) finish soonest on threads threads: the fewest tiles
// per thread times the widest tile's double panels. Halving alone can leave one thread a tile
// more than the other (a d384 transformer's 1152 columns: 9 tiles of 128 at two threads, where
// 12 of 96 split evenly).
func gmBalanceCols(n, nc, threads, rowTiles int) int {
	const unit = 2 * gemmPN
	if nc%unit != 0 {
		return nc
	}
	units := (n + unit - 1) / unit
	tn := (n + nc - 1) / nc
	cost := func(w int) int {
		tiles := rowTiles * ((units + w - 1) / w)
		return (tiles + threads - 1) / threads * w
	}
	best := nc / unit
	for w := best; w >= 1 && w*2 >= nc/unit && (units+w-1)/w <= 2*tn; w-- {
		if cost(w) < cost(best) {
			best = w
		}
	}
	return best * unit
}

// gemmTmp is the room each worker has for a micro-tile that ends inside a panel.
const gemmTmp = gemmPM * 2 * gemmPN

// sgemmPar is a job's parallel run: workers lo..hi take tiles from next.
type sgemmPar struct {
	j    sgemmJob
	g    gemmGrid
	buf  []float32
	per  int
	next atomic.Int64
}

func (s *sgemmPar) run(lo, hi int) {
	for w := lo; w < hi; w++ {
		s.j.work(&s.g, s.buf[w*s.per:(w+1)*s.per], &s.next)
	}
}

// work computes tiles taken from next until none are left, packing into ws.
func (j *sgemmJob) work(g *gemmGrid, ws []float32, next *atomic.Int64) {
	pa := ws[:g.aSize]
	ws = ws[g.aSize:]
	pb := ws[:g.bSize]
	ws = ws[g.bSize:]
	pc := ws[:g.cSize]
	tmp := ws[g.cSize:]
	tm, tn, rows, nc := g.tm, g.tn, g.rows, g.nc
	for {
		t := int(next.Add(1) - 1)
		if t >= g.tiles || stopped(j.done) {
			return
		}
		b := t / (tm * tn)
		r := t % (tm * tn)
		i0 := (r / tn) * rows
		j0 := (r % tn) * nc
		j.tile(b, i0, min(rows, j.m-i0), g.mc, j0, min(nc, j.n-j0), pa, pb, pc, tmp)
	}
}

func gmPool(x *Exec) *Pool {
	if x == nil {
		return nil
	}
	return x.Pool
}

func gmRoundUp(n, m int) int { return (n + m - 1) / m * m }

// tile computes the rows x nc block of C[b] at (i0, j0) over the whole K, mc rows at a time;
// i0 and mc are multiples of gemmPM and j0 of gemmPN.
func (j *sgemmJob) tile(b, i0, rows, mc, j0, nc int, pa, pb, pc, tmp []float32) {
	c := j.c.data[j.c.off(b):]
	ldc := j.c.rs
	var ep *gemmEpilogue
	if j.ep.active() {
		ep = &j.ep
	}
	alphaA, alphaB := j.alpha, float32(1)
	if j.packA.data != nil || j.inPlaceA {
		alphaA, alphaB = 1, j.alpha
	}
	for p0 := 0; p0 < j.k; p0 += gemmKC {
		kc := min(gemmKC, j.k-p0)
		// Each operand is a set of panels aps (bps) elements apart, kc depth steps each.
		var bp []float32
		var bps int
		switch {
		case j.packB.data != nil:
			bps = j.k * gemmPN
			bp = j.packB.data[j.packB.matrix(b, PackedGemmBLen(1, j.k, j.n))+j0/gemmPN*bps+p0*gemmPN:]
		case j.im2col:
			bps = kc * gemmPN
			bp = pb
			cvPackIm2col(pc, j.col[b*j.colStride:(b+1)*j.colStride], &j.win, p0, kc, j0, nc)
			gmWiden(pb, pc, kc, nc, alphaB)
		default:
			bps = kc * gemmPN
			bp = pb
			gmPackB(pb, &j.b, b, p0, kc, j0, nc, alphaB)
		}
		store := p0 == 0 && !j.acc
		var e *gemmEpilogue
		if p0+kc >= j.k {
			e = ep
		}
		for ic := i0; ic < i0+rows; ic += mc {
			m := min(mc, i0+rows-ic)
			var ap []float32
			var aps int
			if j.inPlaceA {
				ap = j.a.data[j.a.off(b)+ic*j.a.rs+p0:]
				sgemmBlockAVX512(kc, m, nc, ap, gemmPM*j.a.rs, j.a.rs, bp, bps, c[ic*ldc+j0:], ldc, store, e, b, ic, j0)
				continue
			}
			if j.packA.data != nil {
				aps = j.k * gemmPM
				ap = j.packA.data[j.packA.matrix(b, PackedGemmALen(1, j.m, j.k))+ic/gemmPM*aps+p0*gemmPM:]
			} else {
				aps = kc * gemmPM
				ap = pa
				gmPackA(pa, &j.a, b, ic, m, p0, kc, alphaA)
			}
			sgemmBlock(kc, m, nc, ap, aps, bp, bps, c[ic*ldc+j0:], ldc, store, tmp, e, b, ic, j0)
		}
	}
}

// gmPackA packs rows i0..i0+mc, depth p0..p0+kc of A[b], times alpha, into panels of gemmPM
// rows: dst[(panel*kc + p)*gemmPM + r]. Rows past mc in the last panel are zero.
func gmPackA(dst []float32, a *gemmMat, b, i0, mc, p0, kc int, alpha float32) {
	base := a.off(b) + i0*a.rs + p0*a.cs
	src := a.data
	for ip := 0; ip < mc; ip += gemmPM {
		d := dst[ip*kc : ip*kc+gemmPM*kc]
		rows := min(gemmPM, mc-ip)
		if a.rs == 1 && rows == gemmPM {
			// Transposed A: a panel's rows are adjacent at every depth.
			o := base + ip
			for p := 0; p < kc; p++ {
				s := src[o+p*a.cs : o+p*a.cs+gemmPM]
				q := d[p*gemmPM : p*gemmPM+gemmPM]
				if alpha == 1 {
					copy(q, s)
					continue
				}
				for r, v := range s {
					q[r] = alpha * v
				}
			}
			continue
		}
		if a.cs == 1 && rows == gemmPM {
			gmPackPanel(d, src[base+ip*a.rs:], a.rs, kc, alpha)
			continue
		}
		if rows < gemmPM {
			// One sequential clear instead of kc strided stores per padding row: with few rows
			// (a matrix-vector product) the padding is most of the panel.
			clear(d)
		}
		for r := 0; r < rows; r++ {
			o := base + (ip+r)*a.rs
			if a.cs == 1 {
				row := src[o : o+kc]
				q := d[r:]
				if alpha == 1 {
					for p, v := range row {
						q[p*gemmPM] = v
					}
				} else {
					for p, v := range row {
						q[p*gemmPM] = alpha * v
					}
				}
				continue
			}
			for p := 0; p < kc; p++ {
				d[p*gemmPM+r] = alpha * src[o+p*a.cs]
			}
		}
	}
}

// gmPackAJob packs panels lo..hi of A, counted over all batches, into dst in the prepacked
// layout (PackedGemmALen per batch).
type gmPackAJob struct {
	dst          []float32
	a            gemmMat
	m, k, panels int
	alpha        float32
}

func (g gmPackAJob) run(lo, hi int) {
	for t := lo; t < hi; t++ {
		b, q := t/g.panels, t%g.panels
		d := g.dst[(b*g.panels+q)*gemmPM*g.k:]
		gmPackA(d[:gemmPM*g.k], &g.a, b, q*gemmPM, min(gemmPM, g.m-q*gemmPM), 0, g.k, g.alpha)
	}
}

// gmPackPanel packs a full panel of gemmPM rows of depth kc, row r at src[r*rs:], times
// alpha, into d (d[p*gemmPM+r]). It writes each depth step's gemmPM values together and reads
// the rows in step, which runs several times faster than a row at a time; with AVX and alpha 1,
// eight steps at a time are transposed in registers (gmPackPanelFast), several times faster
// again: a transformer's 64x1536 A took a quarter of its product at two threads.
func gmPackPanel(d, src []float32, rs, kc int, alpha float32) {
	r0 := src[:kc]
	r1, r2, r3 := src[rs:][:len(r0)], src[2*rs:][:len(r0)], src[3*rs:][:len(r0)]
	r4, r5, r6 := src[4*rs:][:len(r0)], src[5*rs:][:len(r0)], src[6*rs:][:len(r0)]
	r7, r8, r9 := src[7*rs:][:len(r0)], src[8*rs:][:len(r0)], src[9*rs:][:len(r0)]
	r10, r11 := src[10*rs:][:len(r0)], src[11*rs:][:len(r0)]
	d = d[:len(r0)*gemmPM]
	p0 := 0
	if alpha == 1 {
		p0 = gmPackPanelFast(d, src, rs, kc)
	}
	for p := p0; p < len(r0); p++ {
		q := (*[gemmPM]float32)(d[p*gemmPM:])
		q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
		q[4], q[5], q[6], q[7] = r4[p], r5[p], r6[p], r7[p]
		q[8], q[9], q[10], q[11] = r8[p], r9[p], r10[p], r11[p]
		if alpha != 1 {
			for r := range q {
				q[r] *= alpha
			}
		}
	}
}

// gmPackB packs depth p0..p0+kc, columns j0..j0+nc of B[b], times alpha, into panels of
// gemmPN columns: dst[(panel*kc + p)*gemmPN + c]. Columns past nc in the last panel are zero.
func gmPackB(dst []float32, bm *gemmMat, b, p0, kc, j0, nc int, alpha float32) {
	base := bm.off(b) + p0*bm.rs + j0*bm.cs
	src := bm.data
	if bm.cs == 1 {
		// Row-major B: each row is read once, sequentially, and spread over the panels.
		full := nc / gemmPN * gemmPN
		for p := 0; p < kc; p++ {
			row := src[base+p*bm.rs : base+p*bm.rs+nc]
			d := dst[p*gemmPN:]
			if alpha == 1 {
				gmScatter16(d, gemmPN*kc, row[:full])
			} else {
				for jp := 0; jp < full; jp += gemmPN {
					q, s := (*[gemmPN]float32)(d[jp*kc:]), (*[gemmPN]float32)(row[jp:])
					for c := range q {
						q[c] = alpha * s[c]
					}
				}
			}
			if full < nc {
				q := d[full*kc : full*kc+gemmPN]
				for c, v := range row[full:] {
					q[c] = alpha * v
				}
				clear(q[nc-full:])
			}
		}
		return
	}
	for jp := 0; jp < nc; jp += gemmPN {
		d := dst[jp*kc : jp*kc+gemmPN*kc]
		w := min(gemmPN, nc-jp)
		for c := w; c < gemmPN; c++ {
			for p := 0; p < kc; p++ {
				d[p*gemmPN+c] = 0
			}
		}
		p0 := 0
		if bm.rs == 1 && w == gemmPN {
			// A full panel of a transposed B: 8x8 register transposes, then the steps left.
			p0 = gmPackBTFast(d, src[base+jp*bm.cs:], bm.cs, kc, alpha)
		}
		for c := 0; c < w; c++ {
			o := base + (jp+c)*bm.cs
			q := d[c:]
			if bm.rs == 1 {
				// Transposed B: each column is contiguous along the depth.
				for p, v := range src[o+p0 : o+kc] {
					q[(p0+p)*gemmPN] = alpha * v
				}
				continue
			}
			for p := 0; p < kc; p++ {
				q[p*gemmPN] = alpha * src[o+p*bm.rs]
			}
		}
	}
}

// gmWiden repacks kc x nc columns in panels of gemmNR (what cvPackIm2col writes) into panels
// of gemmPN, times alpha, zero past nc.
func gmWiden(dst, src []float32, kc, nc int, alpha float32) {
	const per = gemmPN / gemmNR
	np := (nc + gemmNR - 1) / gemmNR
	for jp := 0; jp < nc; jp += gemmPN {
		d := dst[jp*kc : jp*kc+gemmPN*kc]
		if alpha == 1 && jp/gemmNR+per <= np && gmWiden16(d, src[jp*kc:jp*kc+gemmPN*kc], kc) {
			continue
		}
		for s := 0; s < per; s++ {
			q := jp/gemmNR + s
			if q >= np {
				for p := 0; p < kc; p++ {
					clear(d[p*gemmPN+s*gemmNR : p*gemmPN+s*gemmNR+gemmNR])
				}
				continue
			}
			sp := src[q*gemmNR*kc : (q+1)*gemmNR*kc]
			for p := 0; p < kc; p++ {
				v := sp[p*gemmNR : p*gemmNR+gemmNR : p*gemmNR+gemmNR]
				o := d[p*gemmPN+s*gemmNR : p*gemmPN+s*gemmNR+gemmNR : p*gemmPN+s*gemmNR+gemmNR]
				if alpha == 1 {
					o[0], o[1], o[2], o[3] = v[0], v[1], v[2], v[3]
				} else {
					o[0], o[1], o[2], o[3] = alpha*v[0], alpha*v[1], alpha*v[2], alpha*v[3]
				}
			}
		}
	}
}

// sgemm computes C (+)= alpha * op(A) * op(B) for row-major matrices: A is m x k (k x m when
// transA) with row stride lda, B is k x n (n x k when transB) with row stride ldb, and C is
// m x n with row stride ldc.
func sgemm(x *Exec, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	j := sgemmJob{m: m, n: n, k: k, batches: 1, alpha: alpha, c: gemmView(c, ldc, 1, 0), acc: acc}
	j.a = gemmView(a, lda, 1, 0)
	if transA {
		j.a.rs, j.a.cs = 1, lda
	}
	j.b = gemmView(b, ldb, 1, 0)
	if transB {
		j.b.rs, j.b.cs = 1, ldb
	}
	j.run(x)
}

// gemmNum is the element types of the plain (unpacked) matrix product.
type gemmNum interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// gemmGeneric computes C (+)= A * B for strided A (m x k: element (i, p) at a[i*ars + p*acs]),
// B (k x n: element (p, j) at b[p*brs + j*bcs]) and row-major C with row stride ldc. It is the
// path of float64 and integer products: a row of C accumulates a[i, p] times row p of B, which
// streams B's rows when they are contiguous.
func gemmGeneric[T gemmNum](m, n, k int, a []T, ars, acs int, b []T, brs, bcs int, c []T, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if !acc {
			clear(row)
		}
		for p := 0; p < k; p++ {
			av := a[i*ars+p*acs]
			if bcs == 1 {
				br := b[p*brs : p*brs+n]
				for j, bv := range br {
					row[j] += av * bv
				}
				continue
			}
			o := p * brs
			for j := range row {
				row[j] += av * b[o+j*bcs]
			}
		}
	}
}

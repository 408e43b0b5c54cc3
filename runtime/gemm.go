package runtime

import (
	"math"
	"sync/atomic"
)

// This file is the float32 matrix-multiply core (sgemm) that Conv, ConvTranspose, MatMul, Gemm
// and Einsum run on. It follows the usual packed design: C is cut into tiles that threads take
// one at a time; for each tile and each block of KC along K, a block of A is packed into panels
// of gemmMR rows and a block of B into panels of gemmNR columns, both laid out k-major so that
// the micro-kernel reads them sequentially, and the micro-kernel keeps a gemmMR x gemmNR block
// of C in registers across the whole K block.
//
// The micro-kernel (gemm_kernel*.go) is pure Go and comes in two builds: one for targets where
// the compiler fuses x*y+z into one FMA instruction and one for those where it does not
// (amd64 below GOAMD64=v3). The tile shape is private to these files so that an assembly
// kernel can replace them later.

const (
	gemmMR = 2   // rows of C per micro-kernel call
	gemmNR = 4   // columns of C per micro-kernel call
	gemmKC = 256 // depth of a packed block: an A panel and a B panel stay in L1
	gemmMC = 128 // rows of a tile: its packed A block (128 KiB) stays in L2
	gemmNC = 512 // columns of a tile at most; smaller when that gives threads more tiles
)

// Scratch slots used by the GEMM driver; kernels that call it use slots below gemmSlotBase.
const gemmSlotBase = 24

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

// sgemmJob is a batch of products C[b] (+)= alpha * A[b] * B[b], A[b] m x k, B[b] k x n,
// C[b] m x n with row stride ldc.
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
}

// gemmGrid is how a job is cut into tiles, and each worker's packing space.
type gemmGrid struct {
	tm, tn, mc, nc, tiles int
	aSize, bSize          int
}

// run computes the job, splitting it into tiles taken by the pool's threads.
func (j *sgemmJob) run(x *Exec) {
	if j.m <= 0 || j.n <= 0 || j.batches <= 0 {
		return
	}
	if j.k <= 0 {
		if !j.acc {
			for b := 0; b < j.batches; b++ {
				c0 := j.c.off(b)
				for i := 0; i < j.m; i++ {
					clear(j.c.data[c0+i*j.c.rs : c0+i*j.c.rs+j.n])
				}
			}
		}
		return
	}
	threads := gmPool(x).Threads()
	mc := min(gemmMC, gmRoundUp(j.m, gemmMR))
	nc := min(gemmNC, gmRoundUp(j.n, gemmNR))
	tm := (j.m + mc - 1) / mc
	// Give every thread a few tiles so that an uneven share of a busy machine evens out, but
	// keep tiles wide enough that packing A per tile stays cheap.
	flops := 2 * j.m * j.n * j.k * j.batches
	if threads > 1 && flops > 1<<20 {
		want := 4 * threads
		for tm*j.batches*((j.n+nc-1)/nc) < want && nc > 64 {
			nc = gmRoundUp(nc/2, gemmNR)
		}
	}
	tn := (j.n + nc - 1) / nc
	tiles := j.batches * tm * tn
	kc := min(gemmKC, j.k)
	aSize := mc * kc
	bSize := nc * kc
	workers := min(threads, tiles)
	if flops < 1<<17 {
		workers = 1
	}
	per := aSize + bSize + gemmMR*gemmNR
	buf := ScratchOf[float32](x, gemmSlotBase, workers*per)
	g := gemmGrid{tm: tm, tn: tn, mc: mc, nc: nc, tiles: tiles, aSize: aSize, bSize: bSize}
	if workers == 1 {
		var next atomic.Int64
		j.work(&g, buf[:per], &next)
		return
	}
	// What the workers share goes to the heap in one piece (workers > 1 only on a pool of
	// several threads), so that the caller's job need not.
	gmPool(x).parallel(workers, poolTask{job: &sgemmPar{j: *j, g: g, buf: buf, per: per}})
}

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
	pa, pb, tmp := ws[:g.aSize], ws[g.aSize:g.aSize+g.bSize], ws[g.aSize+g.bSize:]
	tm, tn, mc, nc := g.tm, g.tn, g.mc, g.nc
	for {
		t := int(next.Add(1) - 1)
		if t >= g.tiles {
			return
		}
		b := t / (tm * tn)
		r := t % (tm * tn)
		i0 := (r / tn) * mc
		j0 := (r % tn) * nc
		j.tile(b, i0, min(mc, j.m-i0), j0, min(nc, j.n-j0), pa, pb, tmp)
	}
}

func gmPool(x *Exec) *Pool {
	if x == nil {
		return nil
	}
	return x.Pool
}

func gmRoundUp(n, m int) int { return (n + m - 1) / m * m }

// tile computes the mc x nc block of C[b] at (i0, j0) over the whole K.
func (j *sgemmJob) tile(b, i0, mc, j0, nc int, pa, pb, tmp []float32) {
	c := j.c.data[j.c.off(b):]
	ldc := j.c.rs
	for p0 := 0; p0 < j.k; p0 += gemmKC {
		kc := min(gemmKC, j.k-p0)
		gmPackA(pa, &j.a, b, i0, mc, p0, kc, j.alpha)
		if j.im2col {
			cvPackIm2col(pb, j.col[b*j.colStride:(b+1)*j.colStride], &j.win, p0, kc, j0, nc)
		} else {
			gmPackB(pb, &j.b, b, p0, kc, j0, nc)
		}
		store := p0 == 0 && !j.acc
		sgemmBlock(kc, mc, nc, pa, pb, c[i0*ldc+j0:], ldc, store, tmp)
	}
}

// gmPackA packs rows i0..i0+mc, depth p0..p0+kc of A[b], times alpha, into panels of gemmMR rows:
// dst[(panel*kc + p)*gemmMR + r]. Rows past the matrix are zero.
func gmPackA(dst []float32, a *gemmMat, b, i0, mc, p0, kc int, alpha float32) {
	base := a.off(b) + i0*a.rs + p0*a.cs
	src := a.data
	for ip := 0; ip < mc; ip += gemmMR {
		d := dst[ip*kc : ip*kc+gemmMR*kc]
		if a.rs == 1 && ip+gemmMR <= mc {
			// Transposed A: a panel's rows are adjacent at every depth.
			o := base + ip
			for p := 0; p < kc; p++ {
				s := src[o+p*a.cs : o+p*a.cs+gemmMR]
				q := d[p*gemmMR : p*gemmMR+gemmMR]
				for r, v := range s {
					q[r] = alpha * v
				}
			}
			continue
		}
		for r := 0; r < gemmMR; r++ {
			if ip+r >= mc {
				for p := 0; p < kc; p++ {
					d[p*gemmMR+r] = 0
				}
				continue
			}
			o := base + (ip+r)*a.rs
			if a.cs == 1 {
				row := src[o : o+kc]
				if alpha == 1 {
					for p, v := range row {
						d[p*gemmMR+r] = v
					}
				} else {
					for p, v := range row {
						d[p*gemmMR+r] = alpha * v
					}
				}
				continue
			}
			for p := 0; p < kc; p++ {
				d[p*gemmMR+r] = alpha * src[o+p*a.cs]
			}
		}
	}
}

// gmPackB packs depth p0..p0+kc, columns j0..j0+nc of B[b] into panels of gemmNR columns:
// dst[(panel*kc + p)*gemmNR + c]. Columns past the matrix are zero.
func gmPackB(dst []float32, bm *gemmMat, b, p0, kc, j0, nc int) {
	base := bm.off(b) + p0*bm.rs + j0*bm.cs
	src := bm.data
	for jp := 0; jp < nc; jp += gemmNR {
		d := dst[jp*kc : jp*kc+gemmNR*kc]
		if jp+gemmNR <= nc && bm.cs == 1 {
			o := base + jp
			for p := 0; p < kc; p++ {
				s := src[o+p*bm.rs : o+p*bm.rs+gemmNR]
				q := d[p*gemmNR : p*gemmNR+gemmNR]
				q[0], q[1], q[2], q[3] = s[0], s[1], s[2], s[3]
			}
			continue
		}
		w := min(gemmNR, nc-jp)
		if bm.rs == 1 {
			// Transposed B: each column is contiguous along the depth.
			for c := 0; c < gemmNR; c++ {
				if c >= w {
					for p := 0; p < kc; p++ {
						d[p*gemmNR+c] = 0
					}
					continue
				}
				o := base + (jp+c)*bm.cs
				for p, v := range src[o : o+kc] {
					d[p*gemmNR+c] = v
				}
			}
			continue
		}
		for p := 0; p < kc; p++ {
			q := d[p*gemmNR : p*gemmNR+gemmNR]
			o := base + p*bm.rs + jp*bm.cs
			for c := 0; c < gemmNR; c++ {
				if c < w {
					q[c] = src[o+c*bm.cs]
				} else {
					q[c] = 0
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

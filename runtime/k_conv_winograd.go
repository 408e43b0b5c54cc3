package runtime

import (
	"fmt"
	"sync/atomic"
)

// Winograd convolution (ConvWinograd): a 3x3 convolution with unit strides, F(2x2, 3x3) (Lavin
// and Gray, "Fast Algorithms for Convolutional Neural Networks"). Each 2x2 tile of output
// pixels is computed from the 4x4 tile of input pixels around it as
//
//	Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// so that the sum over input channels is 16 matrix products (one per element e of the 4x4
// transformed tile) of tiles x input channels by input channels x output channels: 16
// multiplications per tile and channel pair where the direct convolution does 36, 2.25 times
// fewer. The weights' transform G g Gᵀ is done at compile time (PackConvWinograd). Operands are
// in the blocked layout (BlkLayout), 16 channels to a vector: the input transform reads a tile's
// 16 pixel vectors and writes its 16 transformed vectors, the products run on the blocked
// convolution's micro-kernel as 1x1 convolutions over tiles instead of pixels, and the output
// transform adds the bias and Z, applies Relu and stores the 2x2 pixels.
//
// Work is split by bands of tiles (a worker transforms a band's input, multiplies and
// transforms its output while the band's transformed tiles, 16 times the band's pixels in and
// out, are still in L2), or, where the transformed weights outweigh the transformed input, by
// groups of output blocks over the whole image (see winograd). The transforms' additions and the weights' transform (its halves) round differently
// from the direct sum: results agree with it to float32 rounding of the transformed values, not
// bit for bit.

// wgTileFloats is the floats of one transformed tile of one channel block: 16 elements of 16
// channels.
const wgTileFloats = 16 * cvBlk

// wgBandBytes bounds the bytes of a band's transformed input and output tiles: they stay in L2
// (with the weights of one element's product) while the band is done.
var wgBandBytes = 384 << 10 // a var for the tests of many bands

// wgSlotV is the scratch slot of the whole images' transformed input (by groups); the others
// are ConvBlocked's.
const wgSlotV = cvSlotGenericCol + 6

// wgMode, when not 0, fixes how ConvWinograd splits its work, for the tests: 1 by bands, 2 by
// groups.
var wgMode = 0

// wgOff turns the Winograd routines off (tests of the fallback).
var wgOff bool

// WinogradFits reports whether ConvWinograd computes the convolution p: 2-D, one group, 3x3
// kernel, unit strides and dilations, input and output channels multiples of 16, no activation
// or Relu. It also needs its input and output in the blocked layout, which the compiler chooses
// (and checks) separately, the input's border one row (column) wider than the pads below (to
// the right) when the output's rows (columns) are odd: see WinogradBorder.
func WinogradFits(p *ConvGeomParams) bool {
	return len(p.In) == 2 && len(p.Kernel) == 2 && len(p.Strides) == 2 && len(p.Dilations) == 2 && len(p.Out) == 2 && len(p.Pads) == 4 &&
		p.Group == 1 && p.C%cvBlk == 0 && p.M%cvBlk == 0 && p.C > 0 && p.M > 0 &&
		p.Kernel[0] == 3 && p.Kernel[1] == 3 && p.Strides[0] == 1 && p.Strides[1] == 1 &&
		p.Dilations[0] == 1 && p.Dilations[1] == 1 && p.Out[0] > 0 && p.Out[1] > 0 &&
		(p.Activation == ActNone || p.Activation == ActRelu)
}

// WinogradPays reports whether ConvWinograd is expected to beat ConvBlocked on p (which
// WinogradFits): its transformed weights are 16/9 the size of the weights, and each is used once
// per tile, so with few tiles and many channels (a 7x7 layer at 512 channels: 16 MB of them for
// 16 tiles) the convolution waits on memory for its weights. It pays when the weights stay in
// L2 (1 MB) or each weight serves at least 32 tiles. Measured on resnet18's layers (one
// thread): 56x56, 28x28 and 14x14 1.6-1.9 times faster than ConvBlocked, 7x7 at 512 channels
// 5% slower.
func WinogradPays(p *ConvGeomParams) bool {
	tiles := (p.Out[0] + 1) / 2 * ((p.Out[1] + 1) / 2)
	return tiles >= 32 || 16*p.C*p.M*4 <= 1<<20
}

// WinogradBorder is the border a ConvWinograd of p needs below and to the right of its input:
// the pads, one more where the output's dims are odd (the last 2x2 tiles reach past them).
func WinogradBorder(p *ConvGeomParams) (bottom, right int) {
	return p.Pads[2] + p.Out[0]%2, p.Pads[3] + p.Out[1]%2
}

// PackConvWinograd transforms the 3x3 weights [m][c][3][3] of a ConvWinograd into U = G g Gᵀ
// (computed in float64) and packs them: per element e of the 4x4 transformed tile, the m x c
// matrix U[e] in the layout of PackConvBlocked for a 1x1 kernel (per tile of cvBlkNB output
// blocks, per input channel, the tile's output channels).
func PackConvWinograd(t *Tensor, m, c int) (*Tensor, error) {
	if t.DType != Float32 || t.Len() != m*c*9 || m%cvBlk != 0 || c%cvBlk != 0 || m <= 0 || c <= 0 {
		return nil, fmt.Errorf("prepacking %s%v as Winograd conv weights [%d %d 3 3]", t.DType, t.Shape, m, c)
	}
	w := Data[float32](t)
	p := make([]float32, 16*m*c)
	g := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	mb := m / cvBlk
	for o := 0; o < m; o++ {
		t0 := o / cvBlk / cvBlkNB * cvBlkNB
		nb := min(cvBlkNB, mb-t0)
		for ic := 0; ic < c; ic++ {
			k := w[(o*c+ic)*9:][:9]
			// gk = G k, then u = gk Gᵀ.
			var gk [4][3]float64
			for a := 0; a < 4; a++ {
				for j := 0; j < 3; j++ {
					for i := 0; i < 3; i++ {
						gk[a][j] += g[a][i] * float64(k[i*3+j])
					}
				}
			}
			for a := 0; a < 4; a++ {
				for b := 0; b < 4; b++ {
					var u float64
					for j := 0; j < 3; j++ {
						u += gk[a][j] * g[b][j]
					}
					e := a*4 + b
					p[e*m*c+t0*cvBlk*c+ic*nb*cvBlk+o-t0*cvBlk] = float32(u)
				}
			}
		}
	}
	return FromFloat32([]int{len(p)}, p), nil
}

// ConvWinograd is a 3x3 float32 convolution with unit strides (WinogradFits) whose input and
// output (and Z) are in the blocked layout, with the weights' Winograd transform prepacked
// (PackConvWinograd, the last input): the F(2x2, 3x3) algorithm where the CPU has AVX-512, else
// the im2col GEMM on the original weights.
func ConvWinograd(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	if !p.PackedW || len(in) < 3 {
		return fmt.Errorf("ConvWinograd needs its weights prepacked")
	}
	packed, in := in[len(in)-1], in[:len(in)-1]
	if !WinogradFits(p) || !p.XLayout.On || !p.YLayout.On {
		return fmt.Errorf("conv parameters %+v do not suit the Winograd kernel", *p)
	}
	cd, _, bias, _, act, err := cvStatic(p, out, in)
	if err != nil {
		return err
	}
	if packed.DType != Float32 || packed.Len() != 16*cd.m*cd.c {
		return fmt.Errorf("prepacked weights (%d values) do not fit this convolution", packed.Len())
	}
	l, err := cd.layouts(p, in[0], out[0], in)
	if err != nil {
		return err
	}
	if b, r := WinogradBorder(p); l.x.Bottom < b || l.x.Right < r {
		// The last tile row (column) of an odd output reads a row (column) past the pads.
		return fmt.Errorf("conv parameters %+v: the input's border is too narrow for the Winograd tiles", *p)
	}
	if out[0].Len() == 0 {
		return nil
	}
	if !cvBlkHas() || wgOff {
		cd.gemmBlk(x, l.xb, Data[float32](in[1]), bias, l.yb, nil, &act, &l)
		return nil
	}
	cd.winograd(x, Data[float32](packed), bias, act.kind == actRelu, &l)
	l.y.clearBorder(l.yb, cd.w.out[1], cd.w.out[2])
	return nil
}

// winograd runs the F(2x2, 3x3) convolution. Where the weights' transform outweighs the
// input's (deep layers: many channels, few pixels), the input is transformed once, whole, and
// workers take groups of output blocks, each reading only its share of the weights once (by
// groups); otherwise workers take bands of tiles, each transforming its band's input and
// reading all the weights (by bands).
func (cd *cvConv) winograd(x *Exec, pu, bias []float32, relu bool, l *cvBlkLayouts) {
	w := &cd.w
	th, tw := (w.out[1]+1)/2, (w.out[2]+1)/2
	tiles := th * tw
	pool := gmPool(x)
	threads := 1
	if pool != nil {
		threads = pool.Threads()
	}
	cb, mb := cd.c/cvBlk, cd.m/cvBlk
	// The products' bias is zero: the output transform adds the real one once per pixel.
	zero := ScratchOf[float32](x, cvSlotBlkTaps, cd.m)
	clear(zero)
	if bias == nil {
		bias = zero
	}
	da, _ := dwActOf(&activation{})
	j := wgJob{cd: *cd, pu: pu, bias: bias, zero: zero, l: *l, relu: relu, tiles: tiles, th: th, tw: tw, done: x.doneCh(), da: da}
	vAll := cb * tiles * wgTileFloats * 4 // bytes of an image's transformed input
	uAll := 16 * cd.c * cd.m * 4
	// Groups are the packed weights' tiles of cvBlkNB output blocks; too few of them for the
	// threads go by bands.
	groups := (mb + cvBlkNB - 1) / cvBlkNB
	if j.byGroups = wgMode == 2 || wgMode == 0 && vAll <= wgGroupInput && uAll > vAll && groups*cd.n >= threads; j.byGroups {
		j.items = cd.n * groups
		j.per = cvBlkNB*tiles*wgTileFloats + 4*tw*cvBlk
		j.v = ScratchOf[float32](x, wgSlotV, cd.n*cb*tiles*wgTileFloats)
		parFor(pool, cd.n*cb*th, tw*wgTileFloats*4, wgInJob{j: j})
		if stopped(j.done) {
			return
		}
	} else {
		// By bands: the fewest within wgBandBytes, as many for each thread, of equal sizes.
		most := max(cvBlkNP, wgBandBytes/((cd.c+cd.m)*wgTileFloats/cvBlk*4))
		bands := (tiles + most - 1) / most
		if bands*cd.n < threads {
			bands = (threads + cd.n - 1) / cd.n
		} else if threads > 1 {
			bands = (bands*cd.n + threads - 1) / threads * threads / cd.n
		}
		bands = min(bands, tiles)
		j.band = (tiles + bands - 1) / bands
		j.items = cd.n * ((tiles + j.band - 1) / j.band)
		j.per = j.band*(cd.c+cd.m)*wgTileFloats/cvBlk + 4*tw*cvBlk
	}
	workers := min(threads, j.items)
	j.buf = ScratchOf[float32](x, cvSlotBlk, workers*j.per)
	j.offs = ScratchOf[int64](x, cvSlotBlkAcc, workers*cb)
	j.start(pool, workers)
}

// wgGroupInput bounds the bytes of an image's transformed input for the convolution to go by
// groups: the groups read it from L2.
const wgGroupInput = 1 << 20

// wgJob is a Winograd convolution's items: bands of band tiles, or (byGroups) groups of
// cvBlkNB output blocks whose input v was transformed before. Worker i works in buf[i*per:(i+1)*per] and
// keeps its products' tap offsets in offs[i*cb:(i+1)*cb].
type wgJob struct {
	cd               cvConv
	pu, bias, zero   []float32
	l                cvBlkLayouts
	relu             bool
	tiles, th, tw    int
	byGroups         bool
	band, items, per int
	v, buf           []float32
	offs             []int64
	da               dwAct
	done             <-chan struct{}
}

// start runs the items on workers threads.
func (j *wgJob) start(pool *Pool, workers int) {
	if workers == 1 {
		var next atomic.Int64
		j.work(0, &next)
		return
	}
	parAll(pool, workers, wgPar{j: *j})
}

// wgPar is a wgJob's parallel run: workers lo..hi take items from next.
type wgPar struct {
	j    wgJob
	next atomic.Int64
}

func (s *wgPar) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.j.work(i, &s.next)
	}
}

// wgInJob transforms whole images' input into j.v, items being (image, input block, tile row).
type wgInJob struct{ j wgJob }

func (g wgInJob) run(lo, hi int) {
	j := &g.j
	cb := j.cd.c / cvBlk
	for it := lo; it < hi; it++ {
		n, ib, ty := it/(cb*j.th), it/j.th%cb, it%j.th
		v := j.v[n*cb*j.tiles*wgTileFloats : (n+1)*cb*j.tiles*wgTileFloats]
		j.input(n, ty*j.tw, (ty+1)*j.tw, v, j.tiles, 0, ib, ib+1)
	}
}

// work computes the items taken from next until none are left.
func (j *wgJob) work(worker int, next *atomic.Int64) {
	cb, mb := j.cd.c/cvBlk, j.cd.m/cvBlk
	ws := j.buf[worker*j.per : (worker+1)*j.per]
	offs := j.offs[worker*cb : (worker+1)*cb]
	for {
		it := int(next.Add(1) - 1)
		if it >= j.items || stopped(j.done) {
			return
		}
		if j.byGroups {
			groups := (mb + cvBlkNB - 1) / cvBlkNB
			n, k0 := it/groups, it%groups*cvBlkNB
			k1 := min(k0+cvBlkNB, mb)
			v := j.v[n*cb*j.tiles*wgTileFloats : (n+1)*cb*j.tiles*wgTileFloats]
			mo := ws[:(k1-k0)*j.tiles*wgTileFloats]
			j.products(v, mo, j.tiles, k0, k1, offs)
			j.output(n, 0, j.tiles, mo, j.tiles, k0, k1, ws[len(mo):])
			continue
		}
		bands := (j.tiles + j.band - 1) / j.band
		n, t0 := it/bands, it%bands*j.band
		t1 := min(t0+j.band, j.tiles)
		T := t1 - t0
		v, mo := ws[:cb*T*wgTileFloats], ws[cb*T*wgTileFloats:][:mb*T*wgTileFloats]
		j.input(n, t0, t1, v, T, t0, 0, cb)
		j.products(v, mo, T, 0, mb, offs)
		j.output(n, t0, t1, mo, T, 0, mb, ws[len(v)+len(mo):])
	}
}

// The three steps over tiles t0..t1 (row-major over the tile grid) of image n, whose
// transformed values v ([input block][tile][element][16]) and mo ([output block][tile][element]
// [16]) hold T tiles from t0 on, taken a run at a time: the run ends with the tiles or the tile
// row.

// input transforms input blocks ib0..ib1 into v, whose tiles start at tile base (t0 or 0).
func (j *wgJob) input(n, t0, t1 int, v []float32, T, base, ib0, ib1 int) {
	cd, w := &j.cd, &j.cd.w
	cb := cd.c / cvBlk
	xl := j.l.x
	xhb, xwb := xl.dims(w.in[1], w.in[2])
	xplane := xhb * xwb * cvBlk
	xs := j.l.xb[n*cb*xplane : (n+1)*cb*xplane]
	for t := t0; t < t1; {
		ty, tx := t/j.tw, t%j.tw
		cnt := min(j.tw-tx, t1-t)
		// The tile's input starts a pad above and left of its output.
		s := ((2*ty-w.pb[1]+xl.Top)*xwb + 2*tx - w.pb[2] + xl.Left) * cvBlk
		_ = xs[(ib1-1)*xplane+s+(3*xwb+2*cnt+1)*cvBlk+cvBlk-1] // the last block's farthest input pixel
		for ib := ib0; ib < ib1; ib++ {
			d := (ib*T + t - base) * wgTileFloats
			_ = v[d+cnt*wgTileFloats-1]
			wgInAVX512(&v[d], &xs[ib*xplane+s], xwb*cvBlk*4, cnt)
		}
		t += cnt
	}
}

// products computes output blocks k0..k1 of mo (its block 0 being k0) from v, per element:
// cvBlkNB blocks at a time, in chunks of at most cvBlkNP tiles, as 1x1 convolutions over the
// tiles.
func (j *wgJob) products(v, mo []float32, T, k0, k1 int, offs []int64) {
	cd := &j.cd
	cb := cd.c / cvBlk
	for ib := range offs {
		offs[ib] = int64(ib * T * wgTileFloats * 4)
	}
	a := cvBlkArgs{offs: &offs[0], ntap: cb, act: &j.da, bstride: T * wgTileFloats * 4, mode: cvBlkBlockedOut}
	// Chunks of balanced sizes (see cvBlkJob).
	chunks := (T + cvBlkNP - 1) / cvBlkNP
	chunk, rem, np := T/chunks, T%chunks, 0
	_ = v[cb*T*wgTileFloats-1]
	for e := 0; e < 16; e++ {
		ue := j.pu[e*cd.m*cd.c : (e+1)*cd.m*cd.c]
		for kb := k0; kb < k1; kb += cvBlkNB {
			nb := min(cvBlkNB, k1-kb)
			a.w, a.bias = &ue[kb*cvBlk*cd.c], &j.zero[kb*cvBlk]
			_ = ue[(kb+nb)*cvBlk*cd.c-1]
			_ = mo[(kb-k0+nb-1)*T*wgTileFloats+(T-1)*wgTileFloats+e*cvBlk+cvBlk-1]
			for q0, c := 0, 0; q0 < T; q0, c = q0+np, c+1 {
				np = chunk
				if c < rem {
					np++
				}
				for q := 0; q < np; q++ {
					a.pix[q] = (q0 + q) * wgTileFloats * 4
					a.dpix[q] = a.pix[q]
				}
				a.src = &v[e*cvBlk]
				a.dst = &mo[(kb-k0)*T*wgTileFloats+e*cvBlk]
				cvBlkRun(nb, np, cvBlk, &a)
			}
		}
	}
}

// output transforms output blocks k0..k1 from mo (its block 0 being k0) into the output. A
// run with pixels past the image (the last tile row or column of odd output dims) is
// transformed into tmp (room for a run of two rows of the tile grid's width), Z copied there
// first, and its pixels in the image copied out.
func (j *wgJob) output(n, t0, t1 int, mo []float32, T, k0, k1 int, tmp []float32) {
	cd, w := &j.cd, &j.cd.w
	OH, OW := w.out[1], w.out[2]
	mb := cd.m / cvBlk
	yl := j.l.y
	yhb, ywb := yl.dims(OH, OW)
	yplane := yhb * ywb * cvBlk
	ys := j.l.yb[n*mb*yplane : (n+1)*mb*yplane]
	var zs []float32
	if j.l.z.On {
		zs = j.l.zb[n*mb*yplane : (n+1)*mb*yplane]
	}
	relu := 0
	if j.relu {
		relu = 1
	}
	for t := t0; t < t1; {
		ty, tx := t/j.tw, t%j.tw
		cnt := min(j.tw-tx, t1-t)
		rows, cols := min(2, OH-2*ty), min(2*cnt, OW-2*tx) // the run's pixels in the image
		d := ((2*ty+yl.Top)*ywb + 2*tx + yl.Left) * cvBlk
		_ = ys[(k1-1)*yplane+d+((rows-1)*ywb+cols-1)*cvBlk+cvBlk-1]
		for ob := k0; ob < k1; ob++ {
			s := ((ob-k0)*T + t - t0) * wgTileFloats
			_ = mo[s+cnt*wgTileFloats-1]
			yo := ob*yplane + d
			if rows == 2 && cols == 2*cnt {
				var z *float32
				if zs != nil {
					z = &zs[yo]
				}
				wgOutAVX512(&ys[yo], ywb*cvBlk*4, &mo[s], cnt, &j.bias[ob*cvBlk], z, relu)
				continue
			}
			rt := 2 * cnt * cvBlk // tmp's row
			_ = tmp[2*rt-1]
			var z *float32
			if zs != nil {
				for r := 0; r < rows; r++ {
					copy(tmp[r*rt:r*rt+cols*cvBlk], zs[yo+r*ywb*cvBlk:])
				}
				z = &tmp[0]
			}
			wgOutAVX512(&tmp[0], rt*4, &mo[s], cnt, &j.bias[ob*cvBlk], z, relu)
			for r := 0; r < rows; r++ {
				copy(ys[yo+r*ywb*cvBlk:yo+r*ywb*cvBlk+cols*cvBlk], tmp[r*rt:])
			}
		}
		t += cnt
	}
}

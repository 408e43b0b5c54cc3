package runtime

import (
	"fmt"
	"sync/atomic"
)

// Winograd convolution (ConvWinograd): a 3x3 convolution with unit strides, F(2x2, 3x3) (Lavin
// and Gray, "Fast Algorithms for Convolutional Neural Networks"). Each 2x2 tile of output
// pixels is computed from the 4x4 tile of input pixels around it as
//
//	Y = Aᵀ [ Σ_c (G g G ᵀ) ⊙ (Bᵀ d B) ] A
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
// Tiles are taken in bands: a worker transforms a band's input, multiplies and transforms its
// output while the band's transformed tiles (16 times the band's pixels, in and out) are still
// in L2. The transforms' additions and the weights' transform (its halves) round differently
// from the direct sum: results agree with it to float32 rounding of the transformed values, not
// bit for bit.

// wgTileFloats is the floats of one transformed tile of one channel block: 16 elements of 16
// channels.
const wgTileFloats = 16 * cvBlk

// wgBandBytes bounds the bytes of a band's transformed input and output tiles: they stay in L2
// (with the weights of one element's product) while the band is done.
var wgBandBytes = 384 << 10 // a var for the tests of many bands

// wgOff turns the Winograd routines off (tests of the fallback).
var wgOff bool

// WinogradFits reports whether ConvWinograd computes the convolution p: 2-D, one group, 3x3
// kernel, unit strides and dilations, input and output channels multiples of 16, even output
// dims (whole 2x2 tiles), no activation or Relu. It also needs its input and output in the
// blocked layout, which the compiler chooses (and checks) separately.
func WinogradFits(p *ConvGeomParams) bool {
	return len(p.In) == 2 && len(p.Kernel) == 2 && len(p.Strides) == 2 && len(p.Dilations) == 2 && len(p.Out) == 2 &&
		p.Group == 1 && p.C%cvBlk == 0 && p.M%cvBlk == 0 && p.C > 0 && p.M > 0 &&
		p.Kernel[0] == 3 && p.Kernel[1] == 3 && p.Strides[0] == 1 && p.Strides[1] == 1 &&
		p.Dilations[0] == 1 && p.Dilations[1] == 1 && p.Out[0]%2 == 0 && p.Out[1]%2 == 0 && p.Out[0] > 0 && p.Out[1] > 0 &&
		(p.Activation == ActNone || p.Activation == ActRelu)
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

// winograd runs the F(2x2, 3x3) convolution in bands of tiles, one band at a time per worker.
func (cd *cvConv) winograd(x *Exec, pu, bias []float32, relu bool, l *cvBlkLayouts) {
	w := &cd.w
	tiles := w.out[1] / 2 * (w.out[2] / 2)
	pool := gmPool(x)
	threads := 1
	if pool != nil {
		threads = pool.Threads()
	}
	// The fewest bands within wgBandBytes, as many for each thread, of equal sizes.
	most := max(cvBlkNP, wgBandBytes/((cd.c+cd.m)*wgTileFloats/cvBlk*4))
	bands := (tiles + most - 1) / most
	if bands*cd.n < threads {
		bands = (threads + cd.n - 1) / cd.n
	} else if threads > 1 {
		bands = (bands*cd.n + threads - 1) / threads * threads / cd.n
	}
	bands = min(bands, tiles)
	band := (tiles + bands - 1) / bands
	bands = (tiles + band - 1) / band
	per := band * (cd.c + cd.m) * wgTileFloats / cvBlk
	workers := min(threads, bands*cd.n)
	// The products' bias is zero: the output transform adds the real one once per pixel.
	zero := ScratchOf[float32](x, cvSlotBlkTaps, cd.m)
	clear(zero)
	if bias == nil {
		bias = zero
	}
	da, _ := dwActOf(&activation{})
	j := wgJob{cd: *cd, pu: pu, bias: bias, zero: zero, l: *l, relu: relu, band: band, bands: bands, tiles: tiles,
		per: per, buf: ScratchOf[float32](x, cvSlotBlk, workers*per), offs: ScratchOf[int64](x, cvSlotBlkAcc, workers*cd.c/cvBlk),
		done: x.doneCh(), da: da}
	if workers == 1 {
		var next atomic.Int64
		j.work(0, &next)
		return
	}
	parAll(pool, workers, wgPar{j: j})
}

// wgJob is a Winograd convolution's bands; worker i transforms into buf[i*per:(i+1)*per] and
// keeps its products' tap offsets in offs[i*cb:(i+1)*cb].
type wgJob struct {
	cd                      cvConv
	pu, bias, zero          []float32
	l                       cvBlkLayouts
	relu                    bool
	band, bands, tiles, per int
	buf                     []float32
	offs                    []int64
	da                      dwAct
	done                    <-chan struct{}
}

// wgPar is a wgJob's parallel run: workers lo..hi take bands from next.
type wgPar struct {
	j    wgJob
	next atomic.Int64
}

func (s *wgPar) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.j.work(i, &s.next)
	}
}

// work computes the bands taken from next until none are left.
func (j *wgJob) work(worker int, next *atomic.Int64) {
	ws := j.buf[worker*j.per : (worker+1)*j.per]
	cb := j.cd.c / cvBlk
	offs := j.offs[worker*cb : (worker+1)*cb]
	for {
		b := int(next.Add(1) - 1)
		if b >= j.bands*j.cd.n || stopped(j.done) {
			return
		}
		n, t0 := b/j.bands, b%j.bands*j.band
		j.doBand(n, t0, min(t0+j.band, j.tiles), ws, offs)
	}
}

// doBand computes tiles t0..t1 (row-major over the tile grid) of image n: the input
// transform into v ([input block][tile][element][16]), the 16 products into mo ([output
// block][tile][element][16]) and the output transform. A band's tiles are taken a run at a
// time, the run ending with the band or the tile row.
func (j *wgJob) doBand(n, t0, t1 int, ws []float32, offs []int64) {
	cd, w := &j.cd, &j.cd.w
	H, W, OH, OW := w.in[1], w.in[2], w.out[1], w.out[2]
	T, cb, mb := t1-t0, cd.c/cvBlk, cd.m/cvBlk
	v, mo := ws[:cb*T*wgTileFloats], ws[cb*T*wgTileFloats:][:mb*T*wgTileFloats]
	xl, yl := j.l.x, j.l.y
	xhb, xwb := xl.dims(H, W)
	yhb, ywb := yl.dims(OH, OW)
	xplane, yplane := xhb*xwb*cvBlk, yhb*ywb*cvBlk
	tw := OW / 2
	xs := j.l.xb[n*cb*xplane : (n+1)*cb*xplane]
	for t := t0; t < t1; {
		ty, tx := t/tw, t%tw
		cnt := min(tw-tx, t1-t)
		// The tile's input starts a pad above and left of its output.
		s := ((2*ty-w.pb[1]+xl.Top)*xwb + 2*tx - w.pb[2] + xl.Left) * cvBlk
		_ = xs[(cb-1)*xplane+s+(3*xwb+2*cnt+1)*cvBlk+cvBlk-1] // the last block's farthest input pixel
		for ib := 0; ib < cb; ib++ {
			d := (ib*T + t - t0) * wgTileFloats
			_ = v[d+cnt*wgTileFloats-1]
			wgInAVX512(&v[d], &xs[ib*xplane+s], xwb*cvBlk*4, cnt)
		}
		t += cnt
	}
	// The products, per element: output blocks a tile of cvBlkNB at a time, cvBlkNP tiles at a
	// time, as 1x1 convolutions over the band's tiles.
	for ib := range offs {
		offs[ib] = int64(ib * T * wgTileFloats * 4)
	}
	a := cvBlkArgs{offs: &offs[0], ntap: cb, act: &j.da, bstride: T * wgTileFloats * 4, mode: cvBlkBlockedOut}
	// Chunks of balanced sizes, at most cvBlkNP tiles (see cvBlkJob).
	chunks := (T + cvBlkNP - 1) / cvBlkNP
	chunk, rem, np := T/chunks, T%chunks, 0
	for e := 0; e < 16; e++ {
		ue := j.pu[e*cd.m*cd.c : (e+1)*cd.m*cd.c]
		for k0 := 0; k0 < mb; k0 += cvBlkNB {
			nb := min(cvBlkNB, mb-k0)
			a.w, a.bias = &ue[k0*cvBlk*cd.c], &j.zero[k0*cvBlk]
			_ = ue[(k0+nb)*cvBlk*cd.c-1]
			_ = mo[(k0+nb-1)*T*wgTileFloats+(T-1)*wgTileFloats+e*cvBlk+cvBlk-1]
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
				a.dst = &mo[k0*T*wgTileFloats+e*cvBlk]
				cvBlkRun(nb, np, cvBlk, &a)
			}
		}
	}
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
		ty, tx := t/tw, t%tw
		cnt := min(tw-tx, t1-t)
		d := ((2*ty+yl.Top)*ywb + 2*tx + yl.Left) * cvBlk
		_ = ys[(mb-1)*yplane+d+(ywb+2*cnt-1)*cvBlk+cvBlk-1]
		for ob := 0; ob < mb; ob++ {
			s := (ob*T + t - t0) * wgTileFloats
			_ = mo[s+cnt*wgTileFloats-1]
			var z *float32
			if zs != nil {
				z = &zs[ob*yplane+d]
			}
			wgOutAVX512(&ys[ob*yplane+d], ywb*cvBlk*4, &mo[s], cnt, &j.bias[ob*cvBlk], z, relu)
		}
		t += cnt
	}
}

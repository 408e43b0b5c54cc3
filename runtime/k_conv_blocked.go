package runtime

import (
	"fmt"
	"unsafe"
)

// Blocked convolution (ConvBlocked): the dense convolution of classification backbones (3x3 and
// strided convs at 64-512 channels), computed over channel blocks of 16, one ZMM register. The
// input is reordered once per call into a zero-padded blocked copy ([C/16][H+pads][W+pads][16]),
// so that no tap needs a bounds check, and the weights are prepacked at compile time
// (PackConvBlocked) so that each tap's weights for a tile of output blocks are consecutive.
// A micro-kernel (k_conv_blocked_amd64.s, generated) holds up to cvBlkNB blocks of output
// channels times cvBlkNP output pixels in registers and, per input channel, loads the tile's
// weight vectors once and broadcasts each pixel's input value: 24 FMAs for 10 loads. Output
// pixels are taken in NCHW order across rows, in chunks of balanced sizes (at most cvBlkNP),
// whatever the output width. The store adds the bias and the summand Z, applies the
// activation and scatters each pixel's 16 channels straight into the NCHW output: the blocked
// layout stays inside the kernel, and no reorder pass runs on the output. CPUs without AVX-512
// (and purego builds) run the im2col GEMM on the original weights.

const (
	cvBlk   = 16 // channels per block
	cvBlkNB = 4  // most output blocks per micro-kernel call
	cvBlkNP = 6  // most output pixels per micro-kernel call
)

// Scratch slots of the blocked convolution: the padded blocked input, the taps' offsets.
const (
	cvSlotBlk     = cvSlotGenericCol + 3
	cvSlotBlkTaps = cvSlotGenericCol + 4
	cvSlotBlkAcc  = cvSlotGenericCol + 5
)

// cvBlkOff turns the micro-kernels off (tests of the fallback).
var cvBlkOff bool

// cvBlkArgs is a micro-kernel call's operands; the assembly reads it at these offsets.
type cvBlkArgs struct {
	src     *float32     // 0: the image's padded blocked input
	pix     [cvBlkNP]int // 8: each pixel's first input value, in bytes from src
	offs    *int64       // 56: the taps' offsets in bytes (input block, ky, kx)
	ntap    int          // 64
	w       *float32     // 72: the tile's packed weights
	dst     *float32     // 80: output channel 0 of the tile at the first pixel (NCHW)
	z       *float32     // 88: Z at the same place, or nil
	bias    *float32     // 96: the tile's bias (nb*16 values)
	act     *dwAct       // 104
	bstride int          // 112: bytes between output blocks (16 channels)
	acc     *float32     // 120: the call's partial sums ([nb*np][16]) when mode is not 0
	mode    int          // 128: cvBlkFromAcc | cvBlkToAcc | cvBlkBlockedOut
	dpix    [cvBlkNP]int // 136: with cvBlkBlockedOut, each pixel's offset in bytes from dst (and z)
}

// The modes of a micro-kernel call that covers only some of the taps.
const (
	cvBlkFromAcc = 1 // start from the partial sums at acc (else from zero)
	cvBlkToAcc   = 2 // leave the sums at acc (else add bias and Z, activate, store)
	// cvBlkBlockedOut: store each pixel's 16 channels as one vector at dst+dpix (Z read
	// likewise at z+dpix), block j at j*bstride: the blocked layout, rather than NCHW rows.
	cvBlkBlockedOut = 4
)

// BlkLayout is the blocked layout of a float32 image tensor [N][C][H][W] (C a multiple of 16)
// that ConvBlocked reads and writes between convolutions: per image, per block of 16 channels,
// H+Top+Bottom rows of W+Left+Right pixels, each pixel the block's 16 channels, the border zero.
// A convolution with pads up to these reads it as its padded input where it would otherwise
// reorder its NCHW input into that form on every call, and a convolution that writes it stores
// whole vectors instead of transposing them into NCHW rows. The tensor keeps its NCHW shape;
// only its storage (longer than the shape) is laid out so, and only the ConvBlocked kernels the
// compiler marked read it.
type BlkLayout struct {
	On                       bool
	Top, Left, Bottom, Right int
}

// dims returns the padded rows and columns of an h x w image.
func (l BlkLayout) dims(h, w int) (int, int) { return h + l.Top + l.Bottom, w + l.Left + l.Right }

// blkStorage returns t's storage in layout l for n images of c channels of h x w pixels; an
// output's (grow) is made that long, an input's must be.
func blkStorage(t *Tensor, l BlkLayout, n, c, h, w int, grow bool) ([]float32, error) {
	hb, wb := l.dims(h, w)
	size := n * c * hb * wb
	if grow && t.Buf != nil {
		t.Buf.Grow(size * 4)
	}
	if c%cvBlk != 0 || t.DType != Float32 || t.Buf == nil || len(t.Buf.words)*2 < size {
		return nil, fmt.Errorf("tensor %s%v is not stored in the blocked layout %+v", t.DType, t.Shape, l)
	}
	if size == 0 {
		return nil, nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&t.Buf.words[0])), size), nil
}

// clearBorder zeroes the border of each block plane of s (layout l, planes of h x w pixels).
func (l BlkLayout) clearBorder(s []float32, h, w int) {
	hb, wb := l.dims(h, w)
	row := wb * cvBlk
	for p := 0; p+hb*row <= len(s); p += hb * row {
		clear(s[p : p+l.Top*row])
		clear(s[p+(l.Top+h)*row : p+hb*row])
		for y := l.Top; y < l.Top+h; y++ {
			r := s[p+y*row : p+(y+1)*row]
			clear(r[:l.Left*cvBlk])
			clear(r[(l.Left+w)*cvBlk:])
		}
	}
}

// blkToNCHW copies s (layout l) into d (NCHW, n images of c channels of h x w); blkFromNCHW
// the other way, leaving the border as it is. The GEMM fallback of ConvBlocked uses them.
func blkToNCHW(d, s []float32, l BlkLayout, n, c, h, w int) {
	blkCopy(d, s, l, n, c, h, w, false)
}

func blkFromNCHW(d, s []float32, l BlkLayout, n, c, h, w int) {
	blkCopy(s, d, l, n, c, h, w, true)
}

func blkCopy(nchw, blk []float32, l BlkLayout, n, c, h, w int, toBlk bool) {
	hb, wb := l.dims(h, w)
	for i := 0; i < n*c; i++ {
		plane := nchw[i*h*w : (i+1)*h*w]
		b := blk[(i/cvBlk)*hb*wb*cvBlk+i%cvBlk:]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				o := ((y+l.Top)*wb + x + l.Left) * cvBlk
				if toBlk {
					b[o] = plane[y*w+x]
				} else {
					plane[y*w+x] = b[o]
				}
			}
		}
	}
}

// cvBlkTileBudget is the most bytes of packed weights a pass over a tile's pixels reads: a
// tile's weights above it (512 channels of 3x3 taps: 1.2 MB for four output blocks) would be
// fetched from L3 again for every chunk of pixels, so the taps are split into passes whose
// weights stay in L2 across the chunks, the sums carried between passes in scratch.
var cvBlkTileBudget = 256 << 10 // a var for the tests of many passes

// cvBlkOrder, when not 0, fixes the order of cvBlkJob's items for the tests: 1 chunks of
// pixels fastest, 2 tiles fastest.
var cvBlkOrder = 0

var _ = [1]struct{}{}[unsafe.Offsetof(cvBlkArgs{}.mode)-128]
var _ = [1]struct{}{}[unsafe.Offsetof(cvBlkArgs{}.dpix)-136]

// ConvBlocked is a float32 convolution in one group with 2-D (or 1-D) windows, any kernel,
// strides, dilations and padding, input and output channels multiples of 16, and the weights
// prepacked (PackConvBlocked, the last input): the blocked kernel where the CPU has AVX-512, else
// the im2col GEMM.
func ConvBlocked(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	if !p.PackedW || len(in) < 3 {
		return fmt.Errorf("ConvBlocked needs its weights prepacked")
	}
	packed, in := in[len(in)-1], in[:len(in)-1]
	cd, y, bias, z, act, err := cvStatic(p, out, in)
	if err != nil {
		return err
	}
	if !cvBlockedFits(&cd.w, cd.c, cd.m, cd.g) {
		return fmt.Errorf("conv parameters %+v do not suit the blocked kernel", *p)
	}
	if packed.DType != Float32 || packed.Len() != cd.m*cd.c*cd.w.kVol() {
		return fmt.Errorf("prepacked weights (%d values) do not fit this convolution", packed.Len())
	}
	if len(y) == 0 {
		return nil
	}
	xs := Data[float32](in[0])
	var l cvBlkLayouts
	if p.XLayout.On || p.YLayout.On || p.ZLayout.On {
		if l, err = cd.layouts(p, in[0], out[0], in); err != nil {
			return err
		}
		if l.x.On {
			xs = l.xb
		}
		if l.y.On {
			y = l.yb
		}
		if l.z.On {
			z = l.zb
		}
	}
	if !cvBlkHas() {
		cd.gemmBlk(x, xs, Data[float32](in[1]), bias, y, z, &act, &l)
		return nil
	}
	cd.blocked(x, xs, Data[float32](packed), bias, y, z, &act, &l)
	return nil
}

// cvBlkLayouts is a ConvBlocked call's operands in the blocked layout: the input, output and Z
// layouts (each off for NCHW) and their storage.
type cvBlkLayouts struct {
	x, y, z    BlkLayout
	xb, yb, zb []float32
}

// layouts checks p's blocked layouts against the convolution (2-D, input channels a multiple of
// 16 for a blocked input, pads within the input's border, Z in the output's layout) and
// returns the operands' storage.
func (cd *cvConv) layouts(p *ConvGeomParams, X, Y *Tensor, in []*Tensor) (l cvBlkLayouts, err error) {
	w := &cd.w
	l.x, l.y, l.z = p.XLayout, p.YLayout, p.ZLayout
	H, W, OH, OW := w.in[1], w.in[2], w.out[1], w.out[2]
	hasZ := len(in) > 3 && in[3] != nil
	bad := len(p.In) != 2 || (l.z.On && (l.z != l.y || !hasZ)) || (l.y.On && hasZ && !l.z.On)
	if l.x.On {
		bad = bad || cd.c%cvBlk != 0 || w.pb[1] > l.x.Top || w.pb[2] > l.x.Left || w.pe[1] > l.x.Bottom || w.pe[2] > l.x.Right
	}
	if bad {
		return l, fmt.Errorf("conv parameters %+v: blocked layouts that do not fit the convolution", *p)
	}
	if l.x.On {
		if l.xb, err = blkStorage(X, l.x, cd.n, cd.c, H, W, false); err != nil {
			return l, err
		}
	}
	if l.z.On {
		if l.zb, err = blkStorage(in[3], l.z, cd.n, cd.m, OH, OW, false); err != nil {
			return l, err
		}
	}
	if l.y.On {
		l.yb, err = blkStorage(Y, l.y, cd.n, cd.m, OH, OW, true)
	}
	return l, err
}

// gemmBlk is the GEMM fallback with the operands in layouts l: blocked ones are copied to and
// from NCHW scratch around the GEMM.
func (cd *cvConv) gemmBlk(x *Exec, xs, ws, bias, y, z []float32, act *activation, l *cvBlkLayouts) {
	w := &cd.w
	H, W, OH, OW := w.in[1], w.in[2], w.out[1], w.out[2]
	if l.x.On {
		xs = ScratchOf[float32](x, cvSlotBlk, cd.n*cd.c*H*W)
		blkToNCHW(xs, l.xb, l.x, cd.n, cd.c, H, W)
	}
	if l.z.On {
		z = ScratchOf[float32](x, cvSlotBlkAcc, cd.n*cd.m*OH*OW)
		blkToNCHW(z, l.zb, l.z, cd.n, cd.m, OH, OW)
	}
	yo := y
	if l.y.On {
		yo = ScratchOf[float32](x, cvSlotBlkTaps, cd.n*cd.m*OH*OW)
	}
	cd.gemmAct(x, false, xs, ws, bias, yo, z, act)
	if l.y.On {
		blkFromNCHW(y, yo, l.y, cd.n, cd.m, OH, OW)
		l.y.clearBorder(y, OH, OW)
	}
}

// CvBlockedFits reports whether ConvBlocked computes a convolution of c input and m output
// channels in g groups with spatial dims in (one or two of them): c a multiple of 16 or below
// 16 (a stem convolution of an image's few channels), m a multiple of 16.
func CvBlockedFits(c, m, g int, in []int) bool {
	return g == 1 && (c%cvBlk == 0 || c < cvBlk) && m%cvBlk == 0 && c > 0 && m > 0 && (len(in) == 1 || len(in) == 2)
}

// cvBlkLanes returns the channels of an input block (16, or all c when fewer) and the input
// channels per tap of the micro-kernel (16, or 1: then a tap is one channel at one kernel
// position and the padded input is [H][W][c]).
func cvBlkLanes(c int) (cl, lanes int) {
	if c%cvBlk == 0 {
		return cvBlk, cvBlk
	}
	return c, 1
}

// cvBlockedFits is CvBlockedFits for a resolved window (the depth dim unused).
func cvBlockedFits(w *cvWin, c, m, g int) bool {
	return CvBlockedFits(c, m, g, w.in[1:]) && w.in[0] == 1 && w.k[0] == 1 && w.pb[0] == 0 && w.pe[0] == 0
}

// PackConvBlocked packs the weights [m][c][kvol] of a ConvBlocked: per tile of cvBlkNB output
// blocks (fewer in the last), per tap, per input channel of the tap, the tile's output
// channels. A tap is an input block and a kernel position when c is a multiple of 16 (w[o][ib*16
// +i][k] at tile base + ((ib*kvol+k)*16+i)*nb*16 + o - tile's first channel), else one channel
// at a kernel position (w[o][ic][k] at tile base + (k*c+ic)*nb*16 + o - first channel).
func PackConvBlocked(t *Tensor, m, c, kvol int) (*Tensor, error) {
	if t.DType != Float32 || t.Len() != m*c*kvol || !CvBlockedFits(c, m, 1, []int{1}) {
		return nil, fmt.Errorf("prepacking %s%v as blocked conv weights [%d %d %d]", t.DType, t.Shape, m, c, kvol)
	}
	w := Data[float32](t)
	p := make([]float32, len(w))
	mb := m / cvBlk
	for t0 := 0; t0 < mb; t0 += cvBlkNB {
		nb := min(cvBlkNB, mb-t0)
		base := t0 * cvBlk * c * kvol
		for o := 0; o < nb*cvBlk; o++ {
			for ic := 0; ic < c; ic++ {
				for k := 0; k < kvol; k++ {
					e := k*c + ic // the tap-channel's index in the tile
					if c%cvBlk == 0 {
						e = (ic/cvBlk*kvol+k)*cvBlk + ic%cvBlk
					}
					p[base+e*nb*cvBlk+o] = w[((t0*cvBlk+o)*c+ic)*kvol+k]
				}
			}
		}
	}
	return FromFloat32([]int{len(p)}, p), nil
}

// blocked computes y = act(conv + bias + z) with the blocked micro-kernels, the operands in
// layouts l (xs, y and z are then their blocked storage).
func (cd *cvConv) blocked(x *Exec, xs, pw, bias, y, z []float32, act *activation, l *cvBlkLayouts) {
	w := &cd.w
	H, W := w.in[1], w.in[2]
	Hp, Wp := H+w.pb[1]+w.pe[1], W+w.pb[2]+w.pe[2]
	cl, lanes := cvBlkLanes(cd.c)
	cb, kh, kw := cd.c/cl, w.k[1], w.k[2]
	pool := gmPool(x)
	var src []float32
	off0 := 0 // the padded input's first value in src (past the rows and columns of a wider border)
	if l.x.On {
		// The input is its producer's blocked output, whose border holds this one's pads.
		Hp, Wp = l.x.dims(H, W)
		src, off0 = xs, ((l.x.Top-w.pb[1])*Wp+l.x.Left-w.pb[2])*cl
	} else {
		src = ScratchOf[float32](x, cvSlotBlk, cd.n*cb*Hp*Wp*cl)
		var pidx [cvBlk]int32
		for i := range pidx {
			pidx[i] = int32(i * H * W)
		}
		parFor(pool, cd.n*cb*Hp, W*cl, cvBlkPackJob{cd: *cd, xs: xs, src: src, hp: Hp, wp: Wp, cl: cl, idx: pidx})
	}
	plane := Hp * Wp * cl
	// Taps in the packed weights' order: input block, ky, kx, or ky, kx, channel.
	ntap := cd.c / lanes * kh * kw
	offs := ScratchOf[int64](x, cvSlotBlkTaps, ntap+cd.m)
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			o := ky*w.d[1]*Wp + kx*w.d[2]
			for ib := 0; ib < cb; ib++ {
				if lanes == 1 {
					for ic := 0; ic < cd.c; ic++ {
						offs[(ky*kw+kx)*cd.c+ic] = int64((o*cl + ic) * 4)
					}
					continue
				}
				offs[(ib*kh+ky)*kw+kx] = int64((ib*Hp*Wp + o) * cl * 4)
			}
		}
	}
	if bias == nil {
		// A zero bias, in the taps' scratch past the offsets (as many bits as m floats).
		zb := offs[ntap:]
		clear(zb)
		bias = unsafe.Slice((*float32)(unsafe.Pointer(&zb[0])), cd.m)
	}
	da, post := dwActOf(act)
	ohw := w.out[1] * w.out[2]
	j := cvBlkJob{cd: *cd, src: src, off0: off0, pw: pw, bias: bias, y: y, z: z, offs: offs[:ntap], da: da,
		plane: plane, wp: Wp, cl: cl, lanes: lanes, ohw: ohw, done: x.doneCh(), chunks: (ohw + cvBlkNP - 1) / cvBlkNP, tiles: (cd.m/cvBlk + cvBlkNB - 1) / cvBlkNB}
	j.yl = l.y
	items := cd.n * j.tiles * j.chunks
	j.tileFast = cd.m*cd.c*kh*kw < cd.c*H*W
	if cvBlkOrder != 0 {
		j.tileFast = cvBlkOrder == 2
	}
	tileBytes := cvBlkNB * cvBlk * cd.c * kh * kw * 4
	passes := min(ntap, (tileBytes+cvBlkTileBudget-1)/cvBlkTileBudget)
	if passes > 1 {
		j.acc = ScratchOf[float32](x, cvSlotBlkAcc, items*cvBlkNB*cvBlkNP*cvBlk)
	}
	for p := range passes {
		if stopped(j.done) {
			return
		}
		j.t0, j.t1 = p*ntap/passes, (p+1)*ntap/passes
		j.mode = 0
		if p > 0 {
			j.mode |= cvBlkFromAcc
		}
		if p < passes-1 {
			j.mode |= cvBlkToAcc
		}
		if l.y.On {
			j.mode |= cvBlkBlockedOut
		}
		parFor(pool, items, cvBlkNP*cvBlkNB*cvBlk*lanes*(j.t1-j.t0), j)
	}
	if post {
		act.apply(x, y, nil)
	}
	if l.y.On {
		l.y.clearBorder(y, w.out[1], w.out[2])
	}
}

// cvBlkPackJob copies the input into the padded blocked buffer, items lo..hi being padded rows
// (plane-major, hp rows of 16 channels each per plane): a stem convolution's input is one plane
// of a few channels, which rows split among the threads.
type cvBlkPackJob struct {
	cd      cvConv
	xs, src []float32
	hp, wp  int
	cl      int // channels per block
	idx     [cvBlk]int32
}

func (j cvBlkPackJob) run(lo, hi int) {
	w := &j.cd.w
	H, W, pt, pl := w.in[1], w.in[2], w.pb[1], w.pb[2]
	cl := j.cl
	rowLen := j.wp * cl
	cb := j.cd.c / cl
	for it := lo; it < hi; it++ {
		// Items are image-major, then padded row, then input block, so that a thread packs
		// whole rows of every block: the rows its own chunks of pixels read.
		img, r, blk := it/(j.hp*cb), it/cb%j.hp, it%cb
		q := img*cb + blk
		row := j.src[(q*j.hp+r)*rowLen : (q*j.hp+r+1)*rowLen]
		iy := r - pt
		if iy < 0 || iy >= H {
			clear(row)
			continue
		}
		s := j.xs[q*cl*H*W : (q+1)*cl*H*W]
		clear(row[:pl*cl])
		clear(row[(pl+W)*cl:])
		cvBlkPackRow(row[pl*cl:(pl+W)*cl], s[iy*W:], &j.idx, cl)
	}
}

// cvBlkJob runs the micro-kernel on items lo..hi: (image, tile of output blocks, chunk of
// cvBlkNP output pixels), chunks fastest, so that a thread's items share the tile's weights;
// or, with tileFast, (image, chunk, tile), tiles fastest, so that a thread's items share their
// pixels: when the weights are smaller than the input, splitting the pixels among the threads
// keeps each one's input (packed by its own thread) in its own cache.
type cvBlkJob struct {
	cd                  cvConv
	src, pw, bias, y, z []float32
	off0                int       // the padded input's first value in each image's part of src
	yl                  BlkLayout // with yl.On, y and z are in this layout
	offs                []int64
	da                  dwAct
	plane, wp, ohw      int
	cl, lanes           int // see cvBlkLanes
	chunks, tiles       int
	tileFast            bool
	t0, t1, mode        int             // this pass's taps and cvBlkArgs.mode
	acc                 []float32       // the partial sums between passes, per item
	done                <-chan struct{} // closed: the Run was cancelled, skip the rest
}

func (j cvBlkJob) run(lo, hi int) {
	cd, w := &j.cd, &j.cd.w
	OW, sy, sx := w.out[2], w.s[1], w.s[2]
	cb, mb, kk := cd.c/j.cl, cd.m/cvBlk, cd.c*w.kVol()
	last := j.offs[len(j.offs)-1]
	a := cvBlkArgs{offs: &j.offs[j.t0], ntap: j.t1 - j.t0, act: &j.da, bstride: cvBlk * j.ohw * 4, mode: j.mode}
	ohb, owb := j.yl.dims(w.out[1], OW) // a blocked output's padded plane
	yplane := ohb * owb * cvBlk
	if j.yl.On {
		a.bstride = yplane * 4
	}
	tapW := j.lanes * cvBlk // packed weights per tap and output block
	// Chunks of balanced sizes (the first ohw%chunks one pixel larger): a last chunk of one or
	// two pixels would load the tile's weights for few FMAs.
	base, rem := j.ohw/j.chunks, j.ohw%j.chunks
	// The item's chunk, tile and image, and its first pixel's (oy, ox), advance with it rather
	// than being divided out again: a stem's items are short enough for divisions to show.
	c, t, n := lo%j.chunks, lo/j.chunks%j.tiles, lo/j.chunks/j.tiles
	if j.tileFast {
		t, c, n = lo%j.tiles, lo/j.tiles%j.chunks, lo/j.tiles/j.chunks
	}
	f0 := c*base + min(c, rem)
	oy, ox := f0/OW, f0%OW
	rowStep, colStep := sy*j.wp*j.cl*4, sx*j.cl*4
	for it := lo; it < hi; it++ {
		if stopped(j.done) {
			return
		}
		np := base
		if c < rem {
			np++
		}
		nb := min(cvBlkNB, mb-t*cvBlkNB)
		src := j.src[n*cb*j.plane+j.off0 : (n+1)*cb*j.plane]
		py, px := oy, ox
		for q := 0; q < np; q++ {
			a.pix[q] = py*rowStep + px*colStep
			a.dpix[q] = ((py+j.yl.Top)*owb + px + j.yl.Left) * cvBlk * 4
			if px++; px == OW {
				px, py = 0, py+1
			}
		}
		// Every load of the kernel stays inside the image's buffer (a pixel's farthest tap).
		if a.pix[np-1]/4+int(last)/4+j.lanes > len(src) {
			panic("cvBlkJob: tap outside the input")
		}
		m0 := t * cvBlkNB * cvBlk
		o := (n*cd.m+m0)*j.ohw + f0
		if j.yl.On {
			o = (n*mb + t*cvBlkNB) * yplane
			_ = j.y[o+(nb-1)*yplane+a.dpix[np-1]/4+cvBlk-1]
		} else {
			_ = j.y[o+(nb*cvBlk-1)*j.ohw+np-1]
		}
		a.src, a.w, a.dst, a.bias = &src[0], &j.pw[m0*kk+j.t0*nb*tapW], &j.y[o], &j.bias[m0]
		_ = j.pw[(m0+nb*cvBlk)*kk-1]
		if j.mode&(cvBlkFromAcc|cvBlkToAcc) != 0 {
			acc := j.acc[it*cvBlkNB*cvBlkNP*cvBlk : (it+1)*cvBlkNB*cvBlkNP*cvBlk]
			a.acc = &acc[0]
		}
		a.z = nil
		if j.z != nil {
			a.z = &j.z[o]
		}
		cvBlkRun(nb, np, j.lanes, &a)
		if j.tileFast {
			if t++; t < j.tiles {
				continue
			}
			t = 0
			if c++; c < j.chunks {
				f0, oy, ox = f0+np, py, px
				continue
			}
			c, f0, oy, ox, n = 0, 0, 0, 0, n+1
			continue
		}
		if c++; c < j.chunks {
			f0, oy, ox = f0+np, py, px
			continue
		}
		c, f0, oy, ox = 0, 0, 0, 0
		if t++; t == j.tiles {
			t, n = 0, n+1
		}
	}
}

// cvBlkPackFew sets dst[x*lanes+i] = src[idx[i]+x] for x < n and i < lanes: the interleave of a
// few channels' rows (an image's three), one output pixel at a time.
func cvBlkPackFew(dst, src []float32, idx *[cvBlk]int32, lanes, n int) {
	dst = dst[:n*lanes]
	if lanes == 3 {
		r0, r1, r2 := src[idx[0]:][:n], src[idx[1]:][:n], src[idx[2]:][:n]
		for x := range r0 {
			d := (*[3]float32)(dst[3*x:])
			d[0], d[1], d[2] = r0[x], r1[x], r2[x]
		}
		return
	}
	for i := 0; i < lanes; i++ {
		r := src[idx[i]:][:n]
		for x, v := range r {
			dst[x*lanes+i] = v
		}
	}
}

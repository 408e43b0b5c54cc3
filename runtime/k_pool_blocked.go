package runtime

import (
	"fmt"
	"math"
)

// MaxPoolBlockedParams configures MaxPoolBlocked, all resolved at compile time: the channels C
// (a multiple of 16), the input and output spatial dims, the window, and the blocked layouts of
// the input and the output.
type MaxPoolBlockedParams struct {
	C                                   int
	In, Out, Kernel, Strides, Dilations []int
	Pads                                []int // top, left, bottom, right
	XLayout, YLayout                    BlkLayout
}

// plBlkOff turns the AVX-512 routine off (tests of the dwMaxRow path).
var plBlkOff bool

// plBlkMaxTaps bounds a window's taps (kernel height times width).
const plBlkMaxTaps = 64

// PlBlkFits reports whether MaxPoolBlocked computes a 2-D max pooling of c channels with a
// window of kvol taps.
func PlBlkFits(c, kvol int) bool { return c > 0 && c%cvBlk == 0 && kvol >= 1 && kvol <= plBlkMaxTaps }

// MaxPoolBlocked is 2-D max pooling of a float32 tensor stored in the blocked layout between
// blocked convolutions (a classification backbone's stem pooling, between its first
// convolutions), into the blocked layout: per output pixel the maximum of its window's 16-channel
// vectors, the window clipped to the image (padding never wins, as in MaxPool). As in Pooling,
// NaNs never win and a window of NaNs gives NaN.
func MaxPoolBlocked(x *Exec, p *MaxPoolBlockedParams, out, in []*Tensor) error {
	X := in[0]
	if len(p.In) != 2 || len(p.Out) != 2 || len(p.Kernel) != 2 || len(p.Strides) != 2 || len(p.Dilations) != 2 || len(p.Pads) != 4 ||
		!p.XLayout.On || !p.YLayout.On || !PlBlkFits(p.C, p.Kernel[0]*p.Kernel[1]) {
		return fmt.Errorf("max pooling parameters %+v are not resolved for the blocked layout", *p)
	}
	if X.DType != Float32 || len(X.Shape) != 4 || X.Shape[1] != p.C || X.Shape[2] != p.In[0] || X.Shape[3] != p.In[1] {
		return fmt.Errorf("input %s%v, want float32 [N %d %v]", X.DType, X.Shape, p.C, p.In)
	}
	n := X.Shape[0]
	xs, err := blkStorage(X, p.XLayout, n, p.C, p.In[0], p.In[1], false)
	if err != nil {
		return err
	}
	Y := out[0]
	Y.Resize(Float32, n, p.C, p.Out[0], p.Out[1])
	ys, err := blkStorage(Y, p.YLayout, n, p.C, p.Out[0], p.Out[1], true)
	if err != nil || len(ys) == 0 {
		return err
	}
	rows := n * p.C / cvBlk * p.Out[0]
	parFor(gmPool(x), rows, p.Out[1]*p.Kernel[0]*p.Kernel[1]*cvBlk, plBlkJob{p: p, xs: xs, ys: ys})
	p.YLayout.clearBorder(ys, p.Out[0], p.Out[1])
	return nil
}

// plBlkJob pools output rows lo..hi (image, block, row).
type plBlkJob struct {
	p      *MaxPoolBlockedParams
	xs, ys []float32
}

func (j plBlkJob) run(lo, hi int) {
	p := j.p
	H, W, OH, OW := p.In[0], p.In[1], p.Out[0], p.Out[1]
	xl, yl := p.XLayout, p.YLayout
	hb, wb := xl.dims(H, W)
	ohb, owb := yl.dims(OH, OW)
	sy, sx, dy, dx := p.Strides[0], p.Strides[1], p.Dilations[0], p.Dilations[1]
	var offs [plBlkMaxTaps]int
	for r := lo; r < hi; r++ {
		q, oy := r/OH, r%OH
		src := j.xs[q*hb*wb*cvBlk : (q+1)*hb*wb*cvBlk]
		dst := j.ys[q*ohb*owb*cvBlk : (q+1)*ohb*owb*cvBlk]
		drow := ((oy+yl.Top)*owb + yl.Left) * cvBlk
		// Output columns whose windows lie inside the image share one list of taps; the
		// others are pooled one by one over their clipped windows.
		ox0 := min(OW, (p.Pads[1]+sx-1)/sx)
		ox1 := ox0
		for ox1 < OW && ox1*sx-p.Pads[1]+(p.Kernel[1]-1)*dx < W {
			ox1++
		}
		for ox := 0; ox < OW; {
			end := ox + 1
			if ox == ox0 && ox1 > ox0 {
				end = ox1
			}
			nt := 0
			ix0 := ox*sx - p.Pads[1]
			for ky := 0; ky < p.Kernel[0]; ky++ {
				iy := oy*sy - p.Pads[0] + ky*dy
				if iy < 0 || iy >= H {
					continue
				}
				for kx := 0; kx < p.Kernel[1]; kx++ {
					if ix := ix0 + kx*dx; ix >= 0 && ix < W {
						offs[nt] = ((iy+xl.Top)*wb + ix + xl.Left) * cvBlk
						nt++
					}
				}
			}
			d := dst[drow+ox*cvBlk : drow+end*cvBlk]
			switch {
			case nt == 0:
				// No tap inside the image: NaN, as Pooling gives for an empty window.
				fillF32(d, float32(math.NaN()))
			case plBlkMaxRun(d, src, offs[:nt], end-ox, sx*cvBlk):
				// -Inf came out (an input's -Inf or a window of NaNs): those lanes are taken
				// again by the scalar loop, which gives NaN where it must.
				plBlkFixNegInf(d, src, offs[:nt], end-ox, sx*cvBlk)
			}
			ox = end
		}
	}
}

// plBlkMaxRows sets d[k*16+i] to the maximum over the taps t of src[offs[t]+k*step+i], for
// k < n and i < 16, with dwMaxRow (NaNs ignored, -Inf where all are NaN): over the whole run
// when the pixels are adjacent, else pixel by pixel. It reports whether a -Inf came out.
func plBlkMaxRows(d, src []float32, offs []int, n, step int) bool {
	if step == cvBlk {
		dwMaxRow(d[:n*cvBlk], src, offs)
	} else {
		for k := 0; k < n; k++ {
			dwMaxRow(d[k*cvBlk:(k+1)*cvBlk], src[k*step:], offs)
		}
	}
	return dwNegInf(d[:n*cvBlk])
}

// plBlkLast is the last index a run of n pixels step apart reads through the taps offs.
func plBlkLast(offs []int, n, step int) int {
	last := 0
	for _, o := range offs {
		last = max(last, o)
	}
	return last + (n-1)*step + cvBlk - 1
}

// plBlkFixNegInf recomputes the lanes of d (see plBlkMaxRows) that are -Inf by the window
// loop of Pooling's rule: NaNs never win, and a window of NaNs gives NaN.
func plBlkFixNegInf(d, src []float32, offs []int, n, step int) {
	negInf := float32(math.Inf(-1))
	for k := 0; k < n; k++ {
		for i := 0; i < cvBlk; i++ {
			if d[k*cvBlk+i] != negInf {
				continue
			}
			m, found := negInf, false
			for _, o := range offs {
				if v := src[o+k*step+i]; v == v && (!found || v > m) {
					m, found = v, true
				}
			}
			if !found {
				m = float32(math.NaN())
			}
			d[k*cvBlk+i] = m
		}
	}
}

// GlobalAvgPoolBlockedParams configures GlobalAvgPoolBlocked: C channels (a multiple of 16) of
// In[0] x In[1] pixels, stored in XLayout.
type GlobalAvgPoolBlockedParams struct {
	C       int
	In      []int
	XLayout BlkLayout
}

// GlobalAvgPoolBlocked is 2-D global average pooling of a float32 tensor stored in the blocked
// layout (a backbone's last blocked convolution's output) into NCHW [N C 1 1]: per block of 16
// channels, the sum of the image's pixel vectors (the depthwise row loop, a tap of weight 1 at
// every pixel) times 1/(H*W). The sum runs in another order than Pooling's, so results agree
// with it to rounding, not bit for bit.
func GlobalAvgPoolBlocked(x *Exec, p *GlobalAvgPoolBlockedParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	X := in[0]
	if len(p.In) != 2 || !p.XLayout.On || p.C <= 0 || p.C%cvBlk != 0 {
		return fmt.Errorf("global pooling parameters %+v are not resolved for the blocked layout", *p)
	}
	if X.DType != Float32 || len(X.Shape) != 4 || X.Shape[1] != p.C || X.Shape[2] != p.In[0] || X.Shape[3] != p.In[1] {
		return fmt.Errorf("input %s%v, want float32 [N %d %v]", X.DType, X.Shape, p.C, p.In)
	}
	n, H, W := X.Shape[0], p.In[0], p.In[1]
	xs, err := blkStorage(X, p.XLayout, n, p.C, H, W, false)
	if err != nil {
		return err
	}
	Y := out[0]
	Y.Resize(Float32, n, p.C, 1, 1)
	if Y.Len() == 0 {
		return nil
	}
	ys := Data[float32](Y)
	if H*W == 0 {
		return fmt.Errorf("global pooling of an empty input of shape %v", X.Shape)
	}
	hb, wb := p.XLayout.dims(H, W)
	offs := x.Ints(H * W)
	for iy := 0; iy < H; iy++ {
		for ix := 0; ix < W; ix++ {
			offs[iy*W+ix] = ((iy+p.XLayout.Top)*wb + ix + p.XLayout.Left) * cvBlk
		}
	}
	ones := arenaOf[float32](x, H*W)
	fillF32(ones, 1)
	da, _ := dwActOf(&activation{})
	parFor(gmPool(x), n*p.C/cvBlk, H*W*cvBlk, gapBlkJob{xs: xs, ys: ys, offs: offs, ones: ones, da: da,
		plane: hb * wb * cvBlk, inv: 1 / float32(H*W)})
	return nil
}

// gapBlkJob pools blocks lo..hi (image, block) of 16 channels.
type gapBlkJob struct {
	xs, ys []float32
	offs   []int
	ones   []float32
	da     dwAct
	plane  int
	inv    float32
}

func (j gapBlkJob) run(lo, hi int) {
	for q := lo; q < hi; q++ {
		d := j.ys[q*cvBlk : (q+1)*cvBlk]
		dwRow(d, j.xs[q*j.plane:(q+1)*j.plane], j.offs, j.ones, &j.da)
		for i := range d {
			d[i] *= j.inv
		}
	}
}

package runtime

import (
	"fmt"
	"math"
)

// This file holds the pooling kernels: MaxPool, AveragePool and LpPool share one kernel
// (Pooling) with a mode (their global forms set Global), plus MaxUnpool. Windows use the
// geometry of k_conv.go.

// PoolMode is a pooling op's reduction, fixed at compile time.
type PoolMode uint8

// Pooling modes: MaxPool, AveragePool and LpPool (the zero PoolMode is none of them).
const (
	PoolMax PoolMode = iota + 1
	PoolAvg
	PoolLp
)

// String is the mode's name: max, avg or lp.
func (m PoolMode) String() string {
	switch m {
	case PoolMax:
		return "max"
	case PoolAvg:
		return "avg"
	case PoolLp:
		return "lp"
	}
	return fmt.Sprintf("PoolMode(%d)", uint8(m))
}

// PoolParams configures Pooling. Slices have one entry per spatial dim (Pads: all begins, then all
// ends); empty ones take the defaults. Global pools over the whole spatial extent and ignores
// the window fields.
type PoolParams struct {
	Mode            PoolMode
	Global          bool
	KernelShape     []int
	Strides         []int
	Pads            []int
	Dilations       []int
	AutoPad         string
	CeilMode        bool
	CountIncludePad bool
	// P is LpPool's exponent.
	P int
	// StorageOrder is MaxPool's order of the indices output: 0 row-major, 1 column-major.
	StorageOrder int
}

// plWin resolves the pooling window for input shape xs.
func plWin(p *PoolParams, xs []int) (cvWin, error) {
	if len(xs) < 2 {
		return cvWin{}, fmt.Errorf("input of shape %v, want N x C x spatial dims", xs)
	}
	sp := xs[2:]
	if p.Global {
		// One window over the flattened spatial dims, whatever their number: what cvMakeWin
		// gives for a one-dim input and kernel of that volume.
		vol := NumElems(sp)
		if vol == 0 {
			return cvWin{}, fmt.Errorf("global pooling of an empty input of shape %v", xs)
		}
		w := cvWin{nsp: 1}
		for i := 0; i < cvMaxSpatial; i++ {
			w.in[i], w.k[i], w.s[i], w.d[i], w.out[i] = 1, 1, 1, 1, 1
		}
		w.in[cvMaxSpatial-1], w.k[cvMaxSpatial-1] = vol, vol
		return w, nil
	}
	if len(p.KernelShape) != len(sp) {
		return cvWin{}, fmt.Errorf("kernel_shape %v does not match input of shape %v", p.KernelShape, xs)
	}
	return cvMakeWin(sp, p.KernelShape, p.Strides, p.Dilations, p.Pads, p.AutoPad, p.CeilMode)
}

// Pooling is ONNX MaxPool (with its optional Indices output), AveragePool and LpPool, and their
// global forms, for float types; max pooling also takes 8-bit integers.
func Pooling(x *Exec, p *PoolParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	X := in[0]
	w, err := plWin(p, X.Shape)
	if err != nil {
		return err
	}
	n, c := X.Shape[0], X.Shape[1]
	os := w.outShape(n, c)
	shape := os[:w.nsp+2]
	if p.Global {
		shape = x.Ints(len(X.Shape))
		copy(shape, X.Shape)
		for i := 2; i < len(shape); i++ {
			shape[i] = 1
		}
	}
	Y := out[0]
	Y.Resize(X.DType, shape...)
	var idx []int64
	if len(out) > 1 && out[1] != nil {
		if p.Mode != PoolMax {
			return fmt.Errorf("only max pooling has an indices output")
		}
		out[1].Resize(Int64, Y.Shape...)
		idx = Data[int64](out[1])
	}
	if Y.Len() == 0 {
		return nil
	}
	if p.Mode < PoolMax || p.Mode > PoolLp {
		return fmt.Errorf("unknown pooling mode %d", p.Mode)
	}
	pl := plPool{w: w, global: p.Global, planes: n * c, mode: p.Mode, countPad: p.CountIncludePad, p: float64(p.P), colMajor: p.StorageOrder == 1}
	if p.Mode == PoolLp && p.P == 0 {
		pl.p = 2
	}
	switch X.DType {
	case Float32:
		plRun32(x, &pl, Data[float32](X), Data[float32](Y), idx)
	case Float64:
		plRun(x, &pl, Data[float64](X), Data[float64](Y), idx)
	case Float16, BFloat16:
		xs, _ := cvF32(x, X, cvSlotX)
		ys := ScratchOf[float32](x, cvSlotY, Y.Len())
		plRun32(x, &pl, xs, ys, idx)
		cvStoreF32(Y, ys)
	case Int8, Uint8:
		if p.Mode != PoolMax {
			return fmt.Errorf("%s input is only supported by max pooling", X.DType)
		}
		if X.DType == Int8 {
			plMax(x, &pl, Data[int8](X), Data[int8](Y), idx)
		} else {
			plMax(x, &pl, Data[uint8](X), Data[uint8](Y), idx)
		}
	default:
		return fmt.Errorf("%s input is not supported", X.DType)
	}
	return nil
}

// plPool is a resolved pooling: window, number of (image, channel) planes and mode.
type plPool struct {
	w        cvWin
	global   bool
	planes   int
	mode     PoolMode
	countPad bool
	p        float64
	colMajor bool
}

// plRange returns the taps k of a window dim (input position o*s - pb + k*d) that fall inside
// the input [lo, hi), and inside the padded input when counting padding.
func plRange(w *cvWin, dim, o int) (lo, hi, padded int) {
	start := o*w.s[dim] - w.pb[dim]
	d := w.d[dim]
	lo, hi = 0, w.k[dim]
	for lo < hi && start+lo*d < 0 {
		lo++
	}
	for hi > lo && start+(hi-1)*d >= w.in[dim] {
		hi--
	}
	// Taps inside the padded extent [-pb, in+pe): only the ceil_mode overhang is left out.
	ph := w.k[dim]
	for ph > 0 && start+(ph-1)*d >= w.in[dim]+w.pe[dim] {
		ph--
	}
	return lo, hi, ph
}

// plRun pools float data (max, average or Lp).
func plRun[T float32 | float64](x *Exec, pl *plPool, xs, ys []T, idx []int64) {
	if pl.global && pl.mode == PoolAvg {
		// Global average pooling (the squeeze of squeeze-and-excitation blocks): a plain sum
		// per plane.
		iv := pl.w.inVol()
		parFor(gmPool(x), pl.planes, iv, plGlobalAvgJob[T]{xs: xs, ys: ys, iv: iv})
		return
	}
	if pl.mode == PoolMax {
		plMax(x, pl, xs, ys, idx)
		return
	}
	w := &pl.w
	parFor(gmPool(x), pl.planes, w.outVol()*w.kVol(), plAvgJob[T]{pl: *pl, xs: xs, ys: ys})
}

// plMax max-pools, recording the argmax's flat input index when idx is set. NaNs never win,
// and of equal values the first one does.
func plMax[T float32 | float64 | int8 | uint8](x *Exec, pl *plPool, xs, ys []T, idx []int64) {
	w := &pl.w
	parFor(gmPool(x), pl.planes, w.outVol()*w.kVol(), plMaxJob[T]{pl: *pl, xs: xs, ys: ys, idx: idx})
}

type plGlobalAvgJob[T float32 | float64] struct {
	xs, ys []T
	iv     int
}

func (j plGlobalAvgJob[T]) run(lo, hi int) {
	xs, ys, iv := j.xs, j.ys, j.iv
	for pi := lo; pi < hi; pi++ {
		var s float64
		for _, v := range xs[pi*iv : (pi+1)*iv] {
			s += float64(v)
		}
		ys[pi] = T(s / float64(iv))
	}
}

type plAvgJob[T float32 | float64] struct {
	pl     plPool
	xs, ys []T
}

func (j plAvgJob[T]) run(lo, hi int) {
	pl, xs, ys := &j.pl, j.xs, j.ys
	w := &pl.w
	iv, ov := w.inVol(), w.outVol()
	for pi := lo; pi < hi; pi++ {
		src := xs[pi*iv : (pi+1)*iv]
		dst := ys[pi*ov : (pi+1)*ov]
		o := 0
		for oz := 0; oz < w.out[0]; oz++ {
			zl, zh, zp := plRange(w, 0, oz)
			for oy := 0; oy < w.out[1]; oy++ {
				yl, yh, yp := plRange(w, 1, oy)
				for ox := 0; ox < w.out[2]; ox++ {
					xl, xh, xp := plRange(w, 2, ox)
					var s float64
					for kz := zl; kz < zh; kz++ {
						iz := oz*w.s[0] - w.pb[0] + kz*w.d[0]
						for ky := yl; ky < yh; ky++ {
							iy := oy*w.s[1] - w.pb[1] + ky*w.d[1]
							row := src[(iz*w.in[1]+iy)*w.in[2]:]
							ix := ox*w.s[2] - w.pb[2] + xl*w.d[2]
							for kx := xl; kx < xh; kx++ {
								v := float64(row[ix])
								if pl.mode == PoolLp {
									v = math.Pow(math.Abs(v), pl.p)
								}
								s += v
								ix += w.d[2]
							}
						}
					}
					if pl.mode == PoolLp {
						dst[o] = T(math.Pow(s, 1/pl.p))
					} else {
						cnt := (zh - zl) * (yh - yl) * (xh - xl)
						if pl.countPad {
							cnt = zp * yp * xp
						}
						dst[o] = T(s / float64(cnt))
					}
					o++
				}
			}
		}
	}
}

type plMaxJob[T float32 | float64 | int8 | uint8] struct {
	pl     plPool
	xs, ys []T
	idx    []int64
}

func (j plMaxJob[T]) run(lo, hi int) {
	pl, xs, ys, idx := &j.pl, j.xs, j.ys, j.idx
	w := &pl.w
	iv, ov := w.inVol(), w.outVol()
	for pi := lo; pi < hi; pi++ {
		src := xs[pi*iv : (pi+1)*iv]
		dst := ys[pi*ov : (pi+1)*ov]
		o := 0
		for oz := 0; oz < w.out[0]; oz++ {
			for oy := 0; oy < w.out[1]; oy++ {
				for ox := 0; ox < w.out[2]; ox++ {
					best, bi := plMaxAt(w, src, oz, oy, ox)
					dst[o] = best
					if idx != nil {
						idx[pi*ov+o] = plIndex(w, pi, bi, pl.colMajor)
					}
					o++
				}
			}
		}
	}
}

// plMaxAt is the maximum of window (oz, oy, ox) over plane src, and its offset in the plane.
// NaNs never win, and of equal values the first one does; a window of NaNs gives NaN (zero for
// integers) at its first position.
func plMaxAt[T float32 | float64 | int8 | uint8](w *cvWin, src []T, oz, oy, ox int) (T, int) {
	zl, zh, _ := plRange(w, 0, oz)
	yl, yh, _ := plRange(w, 1, oy)
	xl, xh, _ := plRange(w, 2, ox)
	best, bi, found := T(0), -1, false
	for kz := zl; kz < zh; kz++ {
		iz := oz*w.s[0] - w.pb[0] + kz*w.d[0]
		for ky := yl; ky < yh; ky++ {
			iy := oy*w.s[1] - w.pb[1] + ky*w.d[1]
			base := (iz*w.in[1] + iy) * w.in[2]
			ix := ox*w.s[2] - w.pb[2] + xl*w.d[2]
			for kx := xl; kx < xh; kx++ {
				v := src[base+ix]
				if v == v && (!found || v > best) {
					best, bi, found = v, base+ix, true
				}
				ix += w.d[2]
			}
		}
	}
	if !found {
		// All NaN (or an empty window): the result is NaN for floats.
		best = plNaN[T]()
		if zl < zh && yl < yh && xl < xh {
			bi = ((oz*w.s[0]-w.pb[0]+zl*w.d[0])*w.in[1]+oy*w.s[1]-w.pb[1]+yl*w.d[1])*w.in[2] + ox*w.s[2] - w.pb[2] + xl*w.d[2]
		}
	}
	return best, bi
}

// plNaN is NaN for float types and zero for integers.
func plNaN[T float32 | float64 | int8 | uint8]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(float32(math.NaN())).(T)
	case float64:
		return any(math.NaN()).(T)
	}
	return z
}

// plIndex converts a row-major offset within plane pi to MaxPool's flat index of the whole
// input, in column-major order of the spatial dims when asked.
func plIndex(w *cvWin, pi, off int, colMajor bool) int64 {
	if off < 0 {
		return -1
	}
	iv := w.inVol()
	if colMajor {
		z, y, x := off/(w.in[1]*w.in[2]), off/w.in[2]%w.in[1], off%w.in[2]
		off = z + y*w.in[0] + x*w.in[0]*w.in[1]
	}
	return int64(pi*iv + off)
}

// MaxUnpoolParams configures MaxUnpool; the window fields are MaxPool's.
type MaxUnpoolParams struct {
	KernelShape []int
	Strides     []int
	Pads        []int
}

// MaxUnpool is ONNX MaxUnpool: a zero tensor with X's values written at the flat indices I (as
// MaxPool's Indices output gives them). The output shape is the optional third input, or the
// input size that MaxPool's window would map onto X's size.
func MaxUnpool(x *Exec, p *MaxUnpoolParams, out, in []*Tensor) error {
	X, I := in[0], in[1]
	if I.DType != Int64 || !ctEqualInts(I.Shape, X.Shape) {
		return fmt.Errorf("indices of type %s and shape %v, want int64 of shape %v", I.DType, I.Shape, X.Shape)
	}
	nsp := len(X.Shape) - 2
	if nsp < 1 || len(p.KernelShape) != nsp {
		return fmt.Errorf("input of shape %v does not match kernel_shape %v", X.Shape, p.KernelShape)
	}
	// Indices address the shape MaxPool's window maps onto X's; an explicit output_shape
	// only pads that with zeros at the end of each dim.
	inferred := []int{X.Shape[0], X.Shape[1]}
	for i := 0; i < nsp; i++ {
		s, pb, pe := 1, 0, 0
		if len(p.Strides) > 0 {
			s = p.Strides[i]
		}
		if len(p.Pads) > 0 {
			pb, pe = p.Pads[i], p.Pads[nsp+i]
		}
		inferred = append(inferred, (X.Shape[2+i]-1)*s+p.KernelShape[i]-pb-pe)
	}
	shape := inferred
	if len(in) > 2 && in[2] != nil {
		shape = nil
		for _, v := range plInts(in[2]) {
			shape = append(shape, int(v))
		}
		if len(shape) != len(X.Shape) {
			return fmt.Errorf("output_shape %v does not match input of shape %v", shape, X.Shape)
		}
		for i := range shape {
			if shape[i] < inferred[i] {
				return fmt.Errorf("output_shape %v is smaller than the unpooled shape %v", shape, inferred)
			}
		}
	}
	Y := out[0]
	Y.Resize(X.DType, shape...)
	size := X.DType.Size()
	dst, src := Y.Bytes(), X.Bytes()
	clear(dst)
	total := int64(NumElems(inferred))
	same := ctEqualInts(shape, inferred)
	for i, at := range Data[int64](I) {
		if at < 0 || at >= total {
			return fmt.Errorf("index %d out of range for unpooled shape %v", at, inferred)
		}
		o := int(at)
		if !same {
			// Re-address the element in the larger output.
			o = 0
			rem := int(at)
			stride := 1
			for d := len(inferred) - 1; d >= 0; d-- {
				o += (rem % inferred[d]) * stride
				rem /= inferred[d]
				stride *= shape[d]
			}
		}
		copy(dst[o*size:(o+1)*size], src[i*size:(i+1)*size])
	}
	return nil
}

// plInts reads an integer tensor as int64.
func plInts(t *Tensor) []int64 {
	switch t.DType {
	case Int64:
		return Data[int64](t)
	case Int32:
		v := make([]int64, t.Len())
		for i, e := range Data[int32](t) {
			v[i] = int64(e)
		}
		return v
	}
	return nil
}

// GoName is the name of m's constant in package runtime, for generated code ("" for none).
func (m PoolMode) GoName() string {
	switch m {
	case PoolMax:
		return "PoolMax"
	case PoolAvg:
		return "PoolAvg"
	case PoolLp:
		return "PoolLp"
	}
	return ""
}

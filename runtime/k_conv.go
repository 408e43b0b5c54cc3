package runtime

import (
	"fmt"
	"math"
)

// This file holds Conv and the sliding-window geometry that Conv, ConvTranspose and the pooling
// kernels share. Spatial dims are normalized to three (1-D and 2-D windows get leading dims of
// size 1), so one loop nest serves 1-D, 2-D and 3-D ops.
//
// Float32 Conv runs on the packed GEMM (gemm.go): per image and group, Y = W * im2col(X), where
// the im2col matrix is never materialized: the GEMM's B-packing reads it straight from X. A 1x1
// convolution with unit strides and no padding reads X as a plain matrix. Depthwise convolution
// (one input channel per group, several groups) has a direct kernel (k_conv_dw.go), since a GEMM
// with one row per group has nothing to reuse.
//
// When the shapes are static the compiler picks the algorithm and calls its entry directly
// (ConvDepthwise, ConvPointwise, ConvGemm in k_conv_static.go, with the geometry resolved);
// Conv is the general kernel, which resolves the geometry and picks the algorithm per call.

// cvMaxSpatial is the number of spatial dims the window kernels handle.
const cvMaxSpatial = 3

// Scratch slots of the conv and pooling kernels (below gemmSlotBase).
const (
	cvSlotX = iota + 1
	cvSlotW
	cvSlotB
	cvSlotY
	cvSlotCol
	// cvSlotGenericCol is cvConvGeneric's im2col matrix (the slots between are other conv
	// kernels').
	cvSlotGenericCol = cvSlotCol + 5
	// cvSlotDW is the depthwise kernel's padded input planes, cvSlotDot ConvDot's im2col
	// columns.
	cvSlotDW  = cvSlotGenericCol + 1
	cvSlotDot = cvSlotGenericCol + 2
)

// ConvParams configures Conv. Slices have one entry per spatial dim (Pads: all begins, then all
// ends); empty ones take the defaults (kernel from W, strides and dilations 1, pads 0). AutoPad
// is "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID"; the compiler resolves it into Pads when
// the input's spatial dims are static, otherwise the kernel does at run time.
//
// Activation (with its parameters ActAlpha and ActBeta, see Act), when set, is applied to the
// result after adding the optional fourth input Z. It serves com.microsoft FusedConv and fusion
// passes.
type ConvParams struct {
	KernelShape       []int
	Strides           []int
	Pads              []int
	Dilations         []int
	Group             int
	AutoPad           string
	Activation        Act
	ActAlpha, ActBeta float32
}

// cvWin is the geometry of a sliding window over up to three spatial dims: input size, window
// size, stride, dilation, padding before and after, and output size per dim.
type cvWin struct {
	nsp                      int
	in, k, s, d, pb, pe, out [cvMaxSpatial]int
}

func (w *cvWin) inVol() int  { return w.in[0] * w.in[1] * w.in[2] }
func (w *cvWin) kVol() int   { return w.k[0] * w.k[1] * w.k[2] }
func (w *cvWin) outVol() int { return w.out[0] * w.out[1] * w.out[2] }

// outShape returns the output shape N x C x spatial dims in an array: its first nsp+2 entries
// (an array, so that the shape stays on the caller's stack).
func (w *cvWin) outShape(n, c int) (s [cvMaxSpatial + 2]int) {
	s[0], s[1] = n, c
	copy(s[2:], w.out[cvMaxSpatial-w.nsp:])
	return s
}

// cvFloorDiv is integer division rounding towards minus infinity.
func cvFloorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// cvMakeWin resolves a window op's geometry for the given spatial input dims. kernel must have
// one entry per dim; strides, dilations and pads may be empty (defaults). ceil selects the
// pooling ceil_mode output size.
func cvMakeWin(inSp, kernel, strides, dilations, pads []int, autoPad string, ceil bool) (cvWin, error) {
	var w cvWin
	nsp := len(inSp)
	if nsp == 0 || nsp > cvMaxSpatial {
		return w, fmt.Errorf("%d spatial dims, want 1 to %d", nsp, cvMaxSpatial)
	}
	if len(kernel) != nsp {
		return w, fmt.Errorf("kernel shape %v does not match %d spatial dims", kernel, nsp)
	}
	if len(strides) != 0 && len(strides) != nsp {
		return w, fmt.Errorf("strides %v do not match %d spatial dims", strides, nsp)
	}
	if len(dilations) != 0 && len(dilations) != nsp {
		return w, fmt.Errorf("dilations %v do not match %d spatial dims", dilations, nsp)
	}
	if len(pads) != 0 && len(pads) != 2*nsp {
		return w, fmt.Errorf("pads %v do not match %d spatial dims", pads, nsp)
	}
	w.nsp = nsp
	for i := 0; i < cvMaxSpatial; i++ {
		w.in[i], w.k[i], w.s[i], w.d[i], w.out[i] = 1, 1, 1, 1, 1
	}
	off := cvMaxSpatial - nsp
	for i := 0; i < nsp; i++ {
		in, k, s, d := inSp[i], kernel[i], 1, 1
		if len(strides) > 0 {
			s = strides[i]
		}
		if len(dilations) > 0 {
			d = dilations[i]
		}
		var pb, pe int
		if len(pads) > 0 {
			pb, pe = pads[i], pads[nsp+i]
		}
		out, pb, pe, err := WindowDim(in, k, s, d, pb, pe, autoPad, ceil)
		if err != nil {
			return w, err
		}
		w.in[off+i], w.k[off+i], w.s[off+i], w.d[off+i], w.pb[off+i], w.pe[off+i], w.out[off+i] = in, k, s, d, pb, pe, out
	}
	return w, nil
}

// WindowDim computes one spatial dim of a sliding-window op (Conv, the pooling ops): the output
// size and the padding applied before and after, from the input size, window size, stride,
// dilation, explicit pads and auto_pad ("", "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID").
// ceil selects pooling's ceil_mode, in which a last window that would start in the end padding
// is dropped.
func WindowDim(in, k, s, d, pb, pe int, autoPad string, ceil bool) (out, padBegin, padEnd int, err error) {
	if k < 1 || s < 1 || d < 1 {
		return 0, 0, 0, fmt.Errorf("kernel %d, stride %d and dilation %d must be positive", k, s, d)
	}
	if pb < 0 || pe < 0 {
		return 0, 0, 0, fmt.Errorf("negative pads %d, %d", pb, pe)
	}
	eff := (k-1)*d + 1
	switch autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		out = (in + s - 1) / s
		total := max(0, (out-1)*s+eff-in)
		pb = total / 2
		if autoPad == "SAME_LOWER" {
			pb = total - total/2
		}
		pe = total - pb
	case "VALID":
		pb, pe = 0, 0
		fallthrough
	case "", "NOTSET":
		span := in + pb + pe - eff
		if ceil {
			out = -cvFloorDiv(-span, s) + 1
			if out > 0 && (out-1)*s >= in+pb {
				out--
			}
		} else {
			out = cvFloorDiv(span, s) + 1
		}
	default:
		return 0, 0, 0, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	if out < 1 && in > 0 {
		return 0, 0, 0, fmt.Errorf("window of %d (dilation %d) does not fit input of %d padded by %d, %d", k, d, in, pb, pe)
	}
	return max(out, 0), pb, pe, nil
}

// cvF32 returns t's elements as float32: t's own data for float32 tensors, else a converted copy
// in scratch slot.
func cvF32(x *Exec, t *Tensor, slot int) ([]float32, error) {
	switch t.DType {
	case Float32:
		return Data[float32](t), nil
	case Float16:
		src := Data[F16](t)
		d := ScratchOf[float32](x, slot, len(src))
		for i, v := range src {
			d[i] = v.Float32()
		}
		return d, nil
	case BFloat16:
		src := Data[BF16](t)
		d := ScratchOf[float32](x, slot, len(src))
		for i, v := range src {
			d[i] = v.Float32()
		}
		return d, nil
	}
	return nil, fmt.Errorf("%s tensor where a float tensor is expected", t.DType)
}

// cvStoreF32 writes float32 values into a float16 or bfloat16 tensor (already resized).
func cvStoreF32(t *Tensor, v []float32) {
	switch t.DType {
	case Float16:
		d := Data[F16](t)
		for i := range d {
			d[i] = ToF16(v[i])
		}
	case BFloat16:
		d := Data[BF16](t)
		for i := range d {
			d[i] = ToBF16(v[i])
		}
	}
}

// cvConvGeom checks Conv's operand shapes and returns the window, batch N, input channels C,
// output channels M and groups G.
func cvConvGeom(p *ConvParams, xs, ws []int) (w cvWin, n, c, m, g int, err error) {
	if len(xs) < 3 {
		return w, 0, 0, 0, 0, fmt.Errorf("input of shape %v, want N x C x spatial dims", xs)
	}
	if len(ws) != len(xs) {
		return w, 0, 0, 0, 0, fmt.Errorf("weights of shape %v do not match input of shape %v", ws, xs)
	}
	g = max(p.Group, 1)
	n, c, m = xs[0], xs[1], ws[0]
	if ws[1]*g != c || m%g != 0 {
		return w, 0, 0, 0, 0, fmt.Errorf("weights of shape %v do not fit input of shape %v in %d groups", ws, xs, g)
	}
	kernel := ws[2:]
	if len(p.KernelShape) > 0 {
		for i, k := range p.KernelShape {
			if i >= len(kernel) || kernel[i] != k {
				return w, 0, 0, 0, 0, fmt.Errorf("kernel_shape %v does not match weights of shape %v", p.KernelShape, ws)
			}
		}
	}
	w, err = cvMakeWin(xs[2:], kernel, p.Strides, p.Dilations, p.Pads, p.AutoPad, false)
	return w, n, c, m, g, err
}

// Conv is ONNX Conv: N-D convolution with groups, strides, dilations, padding and an optional
// bias, for float32, float16, bfloat16 and float64.
func Conv(x *Exec, p *ConvParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	X, W := in[0], in[1]
	var B *Tensor
	if len(in) > 2 {
		B = in[2]
	}
	if W.DType != X.DType || (B != nil && B.DType != X.DType) {
		return fmt.Errorf("operand types %s, %s differ", X.DType, W.DType)
	}
	w, n, c, m, g, err := cvConvGeom(p, X.Shape, W.Shape)
	if err != nil {
		return err
	}
	if B != nil && B.Len() != m {
		return fmt.Errorf("bias of shape %v, want %d elements", B.Shape, m)
	}
	act, err := newActivation(p.Activation, p.ActAlpha, p.ActBeta)
	if err != nil {
		return err
	}
	var Z *Tensor
	if len(in) > 3 {
		Z = in[3]
	}
	Y := out[0]
	ys := w.outShape(n, m)
	Y.Resize(X.DType, ys[:w.nsp+2]...)
	if Z != nil && (Z.DType != X.DType || !ctEqualInts(Z.Shape, Y.Shape)) {
		return fmt.Errorf("Z of type %s and shape %v, want %s of the output's shape %v", Z.DType, Z.Shape, X.DType, Y.Shape)
	}
	cd := cvConv{w: w, n: n, c: c, m: m, g: g}
	switch X.DType {
	case Float32:
		var bias []float32
		if B != nil {
			bias = Data[float32](B)
		}
		cd.f32(x, Data[float32](X), Data[float32](W), bias, Data[float32](Y), gmData[float32](Z), &act)
		return nil
	case Float16, BFloat16:
		xs, _ := cvF32(x, X, cvSlotX)
		ws, _ := cvF32(x, W, cvSlotW)
		var bias, z []float32
		if B != nil {
			bias, _ = cvF32(x, B, cvSlotB)
		}
		if Z != nil {
			z, _ = cvF32(x, Z, cvSlotCol)
		}
		ys := ScratchOf[float32](x, cvSlotY, Y.Len())
		cd.f32(x, xs, ws, bias, ys, z, &act)
		cvStoreF32(Y, ys)
		return nil
	case Float64:
		var bias []float64
		if B != nil {
			bias = Data[float64](B)
		}
		y := Data[float64](Y)
		cvConvGeneric(x, &cd, Data[float64](X), Data[float64](W), bias, y, 0, nil)
		actApply(x, &act, y, gmData[float64](Z))
		return nil
	}
	return fmt.Errorf("%s input is not supported", X.DType)
}

// cvConv is a resolved convolution: window, batch, channels and groups.
type cvConv struct {
	w          cvWin
	n, c, m, g int
	// packedW, when set, is the weights prepacked at compile time (PackGemmA of the groups'
	// M/g x C/g*kvol matrices); the GEMM paths read it instead of packing the weights.
	packedW []float32
}

// Convolution algorithms of float32 Conv.
const (
	cvAlgGemm      = iota // im2col GEMM
	cvAlgPointwise        // 1x1, unit strides, no padding: a plain GEMM
	cvAlgDepthwise        // one input channel per group, several groups: the direct kernel
	cvAlgDot              // at most ConvDotMaxOut output positions: dot products (k_conv_dot.go)
	cvAlgDirect           // 3x3, unit strides and dilations, one group: k_conv_direct.go
)

// cvAlgOf picks the algorithm for a resolved convolution; the compiler makes the same choice
// for static shapes (ops/conv.go).
func cvAlgOf(w *cvWin, c, g int) int {
	switch {
	case c == g && g > 1: // any channel multiplier M/G
		return cvAlgDepthwise
	case w.outVol() <= ConvDotMaxOut:
		return cvAlgDot
	case cvDirectFits(w, g):
		return cvAlgDirect
	case cvPointwise(w):
		return cvAlgPointwise
	}
	return cvAlgGemm
}

// cvPointwise reports whether a window is 1x1 with unit strides and no padding.
func cvPointwise(w *cvWin) bool {
	return w.kVol() == 1 && w.s == [3]int{1, 1, 1} && w.pb == [3]int{} && w.out == w.in
}

// cvAlgFits reports whether algorithm alg computes the convolution.
func cvAlgFits(alg int, w *cvWin, c, g int) bool {
	switch alg {
	case cvAlgDepthwise:
		return c == g && g > 1
	case cvAlgPointwise:
		return cvPointwise(w)
	case cvAlgDirect:
		return cvDirectFits(w, g)
	}
	return true
}

// f32 computes a float32 convolution into y, with the algorithm cvAlgOf picks, then adds z
// (optional) and applies act.
func (cd *cvConv) f32(x *Exec, xs, ws, bias, y, z []float32, act *activation) {
	cd.run32(x, cvAlgOf(&cd.w, cd.c, cd.g), xs, ws, bias, y, z, act)
}

// run32 computes a float32 convolution with algorithm alg: y = act(conv + z).
func (cd *cvConv) run32(x *Exec, alg int, xs, ws, bias, y, z []float32, act *activation) {
	switch alg {
	case cvAlgDepthwise:
		cvDepthwise(x, cd, xs, ws, bias, y, z, act)
		return
	case cvAlgDirect:
		cd.direct(x, xs, ws, bias, y, z, act)
		return
	case cvAlgDot:
		cd.dot(x, xs, ws, bias, y)
		act.apply(x, y, z)
	default:
		cd.gemmAct(x, alg == cvAlgPointwise, xs, ws, bias, y, z, act)
	}
}

// gemmAct computes y = act(conv + bias + z) on the GEMM (pointwise or im2col). Outputs too
// large for the cache (cvBiasPassMin floats and up) are overwritten by the GEMM, then one pass
// per output plane adds the bias and z and applies the activation, rather than being filled
// with the bias before the GEMM and passed over again after; small ones take the latter, which
// has fewer calls per plane.
func (cd *cvConv) gemmAct(x *Exec, pointwise bool, xs, ws, bias, y, z []float32, act *activation) {
	ov := cd.w.outVol()
	if bias == nil || len(y) < cvBiasPassMin {
		cd.gemm(x, pointwise, xs, ws, bias, y)
		act.apply(x, y, z)
		return
	}
	cd.gemm(x, pointwise, xs, ws, nil, y)
	parFor(gmPool(x), cd.n*cd.m, ov*2, cvBiasActJob{y: y, bias: bias, z: z, act: *act, ov: ov, m: cd.m})
}

// cvBiasPassMin is the output size from which gemmAct adds the bias after the GEMM.
const cvBiasPassMin = 1 << 18

// cvBiasActJob sets output planes lo..hi to act(y + bias[m] + z).
type cvBiasActJob struct {
	y, bias, z []float32
	act        activation
	ov, m      int
}

func (j cvBiasActJob) run(lo, hi int) {
	inf := float32(math.Inf(1))
	for i := lo; i < hi; i++ {
		s := j.y[i*j.ov : (i+1)*j.ov]
		b := j.bias[i%j.m]
		if j.z != nil {
			zs := j.z[i*j.ov : (i+1)*j.ov]
			for k := arithVec(BinaryAdd, s, s, zs); k < len(s); k++ {
				s[k] += zs[k]
			}
		}
		switch a := &j.act; a.kind {
		case actRelu:
			clampAffine(s, 1, b, 0, inf)
		case actClip:
			clampAffine(s, 1, b, a.a, a.b)
		default:
			clampAffine(s, 1, b, -inf, inf)
			actRun(a, s)
		}
	}
}

// gemm computes a float32 convolution on the GEMM: a plain matrix product of the weights and
// the input when pointwise, else of the weights and the input's implicit im2col matrix.
func (cd *cvConv) gemm(x *Exec, pointwise bool, xs, ws, bias, y []float32) {
	w := &cd.w
	cg, mg := cd.c/cd.g, cd.m/cd.g
	ov, iv, kv := w.outVol(), w.inVol(), w.kVol()
	kk := cg * kv
	if bias != nil {
		for i := 0; i < cd.n*cd.m; i++ {
			fillF32(y[i*ov:(i+1)*ov], bias[i%cd.m])
		}
	}
	job := sgemmJob{m: mg, n: ov, k: kk, batches: cd.n * cd.g, alpha: 1, acc: bias != nil}
	job.a = gemmView(ws, kk, 1, 0).withMod(cd.g, mg*kk)
	if cd.packedW != nil {
		job.packA = gemmPacked{data: cd.packedW, mod: cd.g}
	}
	job.c = gemmView(y, ov, 1, mg*ov)
	if pointwise {
		job.b = gemmView(xs, iv, 1, cg*iv)
	} else {
		job.im2col, job.win, job.col, job.colStride = true, *w, xs, cg*iv
	}
	job.run(x)
}

// cvPackIm2col packs rows p0..p0+kc, columns j0..j0+nc of the im2col matrix of one image's
// group of channels (xs) into GEMM B panels. Row p is (channel, kz, ky, kx) and column j is the
// output position (oz, oy, ox); the element is the input value that the window at j sees
// through tap p, or zero in the padding.
//
// Panels are filled one at a time so that the writes are sequential; the taps' offsets are
// tabulated first. A panel's gemmNR columns usually lie in one output row and read gemmNR input
// values at a fixed stride, which the fast path copies directly.
func cvPackIm2col(dst, xs []float32, w *cvWin, p0, kc, j0, nc int) {
	D, H, W := w.in[0], w.in[1], w.in[2]
	OH, OW := w.out[1], w.out[2]
	sz, sy, sx := w.s[0], w.s[1], w.s[2]
	kv := w.kVol()
	var chOff, tz, ty, tx, toff [gemmKC]int
	for pp := 0; pp < kc; pp++ {
		p := p0 + pp
		ch, t := p/kv, p%kv
		kz, ky, kx := t/(w.k[1]*w.k[2]), t/w.k[2]%w.k[1], t%w.k[2]
		chOff[pp] = ch * D * H * W
		tz[pp] = kz*w.d[0] - w.pb[0]
		ty[pp] = ky*w.d[1] - w.pb[1]
		tx[pp] = kx*w.d[2] - w.pb[2]
		toff[pp] = chOff[pp] + (tz[pp]*H+ty[pp])*W + tx[pp]
	}
	// Span of the window's taps in each dim, for telling panels whose every tap is inside.
	spanZ := (w.k[0]-1)*w.d[0] - w.pb[0]
	spanY := (w.k[1]-1)*w.d[1] - w.pb[1]
	spanX := (w.k[2]-1)*w.d[2] - w.pb[2] + (gemmNR-1)*sx
	oz, rem := j0/(OH*OW), j0%(OH*OW)
	oy, ox := rem/OW, rem%OW
	for jp := 0; jp < nc; jp += gemmNR {
		d := dst[jp*kc : jp*kc+gemmNR*kc]
		if jp+gemmNR <= nc && ox+gemmNR <= OW {
			// The panel's columns are gemmNR consecutive positions of one output row.
			bz, by, bx := oz*sz, oy*sy, ox*sx
			if bz-w.pb[0] >= 0 && bz+spanZ < D && by-w.pb[1] >= 0 && by+spanY < H && bx-w.pb[2] >= 0 && bx+spanX < W {
				// Every tap of the panel is inside the input: no checks.
				base := (bz*H+by)*W + bx
				if sx == 1 {
					cvPackRows(d, xs, toff[:kc], base, gemmNR)
				} else {
					for pp := 0; pp < kc; pp++ {
						o := toff[pp] + base
						cvPackStrided(d[pp*gemmNR:pp*gemmNR+gemmNR:pp*gemmNR+gemmNR], xs[o:o+(gemmNR-1)*sx+1], sx)
					}
				}
				if ox += gemmNR; ox == OW {
					ox = 0
					if oy++; oy == OH {
						oy = 0
						oz++
					}
				}
				continue
			}
			for pp := 0; pp < kc; pp++ {
				q := d[pp*gemmNR : pp*gemmNR+gemmNR : pp*gemmNR+gemmNR]
				iz, iy, ix := bz+tz[pp], by+ty[pp], bx+tx[pp]
				if uint(iz) >= uint(D) || uint(iy) >= uint(H) {
					clear(q)
					continue
				}
				row := xs[chOff[pp]+(iz*H+iy)*W : chOff[pp]+(iz*H+iy+1)*W]
				if ix >= 0 && ix+(gemmNR-1)*sx < W {
					cvPackStrided(q, row[ix:ix+(gemmNR-1)*sx+1], sx)
					continue
				}
				for c := range q {
					q[c] = 0
					if i := ix + c*sx; uint(i) < uint(W) {
						q[c] = row[i]
					}
				}
			}
			if ox += gemmNR; ox == OW {
				ox = 0
				if oy++; oy == OH {
					oy = 0
					oz++
				}
			}
			continue
		}
		// Columns that cross an output row or run past nc, one at a time.
		for c := 0; c < gemmNR; c++ {
			if jp+c >= nc {
				for pp := 0; pp < kc; pp++ {
					d[pp*gemmNR+c] = 0
				}
				continue
			}
			bz, by, bx := oz*sz, oy*sy, ox*sx
			for pp := 0; pp < kc; pp++ {
				var v float32
				iz, iy, ix := bz+tz[pp], by+ty[pp], bx+tx[pp]
				if uint(iz) < uint(D) && uint(iy) < uint(H) && uint(ix) < uint(W) {
					v = xs[chOff[pp]+(iz*H+iy)*W+ix]
				}
				d[pp*gemmNR+c] = v
			}
			if ox++; ox == OW {
				ox = 0
				if oy++; oy == OH {
					oy = 0
					oz++
				}
			}
		}
	}
}

// cvPackStrided sets q[c] = r[c*sx] for the gemmNR columns c of a panel row.
func cvPackStrided(q, r []float32, sx int) {
	if gemmNR == 4 {
		q, r := q[:4:4], r[:3*sx+1]
		q[0], q[1], q[2], q[3] = r[0], r[sx], r[2*sx], r[3*sx]
		return
	}
	for c := range q {
		q[c] = r[c*sx]
	}
}

// cvPackRowsGo is cvPackRows in Go.
func cvPackRowsGo(d, xs []float32, offs []int, base, width int) {
	for r, o := range offs {
		copy(d[r*width:(r+1)*width], xs[o+base:o+base+width])
	}
}

// cvNum is the element types of the generic (non-GEMM) convolution path.
type cvNum interface{ ~float64 | ~int32 }

// cvConvGeneric computes a convolution in type T with an explicit im2col matrix and a plain
// matrix product, for float64 and for the integer convolutions (ConvInteger, QLinearConv), whose
// operands arrive already shifted by their zero points. xzp is subtracted from input values
// (padding reads as xzp, so it contributes zero); wzp[m], when set, from weights of output
// channel m.
func cvConvGeneric[T cvNum](x *Exec, cd *cvConv, xs, ws, bias, y []T, xzp T, wzp []T) {
	w := &cd.w
	cg, mg := cd.c/cd.g, cd.m/cd.g
	ov, iv, kv := w.outVol(), w.inVol(), w.kVol()
	kk := cg * kv
	col := ScratchOf[T](x, cvSlotGenericCol, kk*ov)
	D, H, W := w.in[0], w.in[1], w.in[2]
	for n := 0; n < cd.n; n++ {
		for g := 0; g < cd.g; g++ {
			src := xs[(n*cd.c+g*cg)*iv : (n*cd.c+(g+1)*cg)*iv]
			for p := 0; p < kk; p++ {
				ch, t := p/kv, p%kv
				kz, ky, kx := t/(w.k[1]*w.k[2]), t/w.k[2]%w.k[1], t%w.k[2]
				r := col[p*ov : (p+1)*ov]
				j := 0
				for oz := 0; oz < w.out[0]; oz++ {
					iz := oz*w.s[0] + kz*w.d[0] - w.pb[0]
					for oy := 0; oy < w.out[1]; oy++ {
						iy := oy*w.s[1] + ky*w.d[1] - w.pb[1]
						for ox := 0; ox < w.out[2]; ox++ {
							ix := ox*w.s[2] + kx*w.d[2] - w.pb[2]
							var v T
							if iz >= 0 && iz < D && iy >= 0 && iy < H && ix >= 0 && ix < W {
								v = src[ch*iv+(iz*H+iy)*W+ix] - xzp
							}
							r[j] = v
							j++
						}
					}
				}
			}
			parFor(gmPool(x), mg, kk*ov*2, cvGenericJob[T]{m0: g * mg, y: y[n*cd.m*ov : (n+1)*cd.m*ov], ws: ws, bias: bias, wzp: wzp, col: col, kk: kk, ov: ov})
		}
	}
}

// cvGenericJob computes output channels m0+lo..m0+hi of one image from the im2col matrix.
type cvGenericJob[T cvNum] struct {
	m0                    int
	y, ws, bias, wzp, col []T
	kk, ov                int
}

func (j cvGenericJob[T]) run(lo, hi int) {
	kk, ov := j.kk, j.ov
	for mi := lo; mi < hi; mi++ {
		m := j.m0 + mi
		out := j.y[m*ov : (m+1)*ov]
		var b T
		if j.bias != nil {
			b = j.bias[m]
		}
		for i := range out {
			out[i] = b
		}
		var zw T
		if j.wzp != nil {
			zw = j.wzp[m]
		}
		for p, wv := range j.ws[m*kk : (m+1)*kk] {
			wv -= zw
			r := j.col[p*ov : (p+1)*ov]
			for i := range out {
				out[i] += wv * r[i]
			}
		}
	}
}

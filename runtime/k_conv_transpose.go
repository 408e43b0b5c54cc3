package runtime

import "fmt"

// ConvTransposeParams configures ConvTranspose. Slices have one entry per spatial dim (Pads: all
// begins, then all ends); empty ones take the defaults. Pads is left empty when the model gives
// none, because then OutputShape (or AutoPad SAME_*) decides the padding. OutputShape may also
// hold the full output shape (N, C and the spatial dims), as some exporters write it.
type ConvTransposeParams struct {
	KernelShape   []int
	Strides       []int
	Pads          []int
	Dilations     []int
	OutputPadding []int
	OutputShape   []int
	Group         int
	AutoPad       string
}

// ctGeom resolves ConvTranspose's geometry. In the returned window, in is X's spatial size, out
// is Y's, and pb is Y's padding before: input position i and tap k land on output position
// i*s + k*d - pb.
func ctGeom(p *ConvTransposeParams, xs, ws []int) (w cvWin, n, c, m, g int, err error) {
	if len(xs) < 3 || len(ws) != len(xs) {
		return w, 0, 0, 0, 0, fmt.Errorf("input of shape %v and weights of shape %v, want N x C x spatial dims and C x M/group x kernel", xs, ws)
	}
	g = max(p.Group, 1)
	n, c = xs[0], xs[1]
	if ws[0] != c || c%g != 0 {
		return w, 0, 0, 0, 0, fmt.Errorf("weights of shape %v do not fit input of shape %v in %d groups", ws, xs, g)
	}
	m = ws[1] * g
	nsp := len(xs) - 2
	if nsp > cvMaxSpatial {
		return w, 0, 0, 0, 0, fmt.Errorf("%d spatial dims, want at most %d", nsp, cvMaxSpatial)
	}
	kernel := ws[2:]
	if len(p.KernelShape) > 0 && !ctEqualInts(p.KernelShape, kernel) {
		return w, 0, 0, 0, 0, fmt.Errorf("kernel_shape %v does not match weights of shape %v", p.KernelShape, ws)
	}
	outShape := p.OutputShape
	if len(outShape) == nsp+2 {
		outShape = outShape[2:]
	}
	for _, v := range [][]int{p.Strides, p.Dilations, p.OutputPadding, outShape} {
		if len(v) != 0 && len(v) != nsp {
			return w, 0, 0, 0, 0, fmt.Errorf("attribute %v does not match %d spatial dims", v, nsp)
		}
	}
	if len(p.Pads) != 0 && len(p.Pads) != 2*nsp {
		return w, 0, 0, 0, 0, fmt.Errorf("pads %v do not match %d spatial dims", p.Pads, nsp)
	}
	w.nsp = nsp
	for i := 0; i < cvMaxSpatial; i++ {
		w.in[i], w.k[i], w.s[i], w.d[i], w.out[i] = 1, 1, 1, 1, 1
	}
	off := cvMaxSpatial - nsp
	for i := 0; i < nsp; i++ {
		in, k, s, d, op := xs[2+i], kernel[i], 1, 1, 0
		if len(p.Strides) > 0 {
			s = p.Strides[i]
		}
		if len(p.Dilations) > 0 {
			d = p.Dilations[i]
		}
		if len(p.OutputPadding) > 0 {
			op = p.OutputPadding[i]
		}
		pb, pe, want := 0, 0, -1
		if len(p.Pads) > 0 {
			pb, pe = p.Pads[i], p.Pads[nsp+i]
		}
		if len(outShape) > 0 {
			want = outShape[i]
		}
		out, pb, _, err := ConvTransposeDim(in, k, s, d, op, pb, pe, len(p.Pads) > 0, want, p.AutoPad)
		if err != nil {
			return w, 0, 0, 0, 0, err
		}
		w.in[off+i], w.k[off+i], w.s[off+i], w.d[off+i], w.pb[off+i], w.out[off+i] = in, k, s, d, pb, out
	}
	return w, n, c, m, g, nil
}

// ConvTransposeDim computes one spatial dim of ConvTranspose: the output size and the padding
// before and after, from the input size, kernel size, stride, dilation, output_padding, the
// explicit pads (hasPads says whether the model gave any), the requested output size (-1 when
// output_shape is absent) and auto_pad. Without explicit pads, the padding is derived from the
// output size (in*s under SAME_*), the odd unit going at the end for SAME_UPPER and at the
// beginning otherwise; the end padding may come out negative when the requested output is
// larger than the full one.
func ConvTransposeDim(in, k, s, d, op, pb, pe int, hasPads bool, want int, autoPad string) (out, padBegin, padEnd int, err error) {
	if s < 1 || d < 1 || k < 1 || op < 0 {
		return 0, 0, 0, fmt.Errorf("invalid kernel %d, stride %d, dilation %d or output_padding %d", k, s, d, op)
	}
	full := s*(in-1) + op + (k-1)*d + 1 // the output size without padding
	notSet := autoPad == "" || autoPad == "NOTSET"
	switch {
	case hasPads && notSet:
		out = full - pb - pe
		if want >= 0 {
			out = want
		}
	case autoPad == "VALID" || (notSet && want < 0):
		pb, pe, out = 0, 0, full
	case notSet || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
		out = in * s
		if want >= 0 {
			out = want
		}
		total := full - out
		if autoPad == "SAME_UPPER" {
			pb = cvFloorDiv(total, 2)
		} else {
			pb = total - cvFloorDiv(total, 2)
		}
		pe = total - pb
	default:
		return 0, 0, 0, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	if out < 0 {
		return 0, 0, 0, fmt.Errorf("negative output size %d", out)
	}
	return out, pb, pe, nil
}

func ctEqualInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ConvTranspose is ONNX ConvTranspose (the gradient of Conv with respect to its input): per
// image and group, the columns W^T * X are computed as one matrix product and scattered
// (col2im) into the output.
func ConvTranspose(x *Exec, p *ConvTransposeParams, out, in []*Tensor) error {
	X, W := in[0], in[1]
	var B *Tensor
	if len(in) > 2 {
		B = in[2]
	}
	if W.DType != X.DType || (B != nil && B.DType != X.DType) {
		return fmt.Errorf("operand types %s, %s differ", X.DType, W.DType)
	}
	w, n, c, m, g, err := ctGeom(p, X.Shape, W.Shape)
	if err != nil {
		return err
	}
	if B != nil && B.Len() != m {
		return fmt.Errorf("bias of shape %v, want %d elements", B.Shape, m)
	}
	Y := out[0]
	ys := w.outShape(n, m)
	Y.Resize(X.DType, ys[:w.nsp+2]...)
	ct := cvConv{w: w, n: n, c: c, m: m, g: g}
	switch X.DType {
	case Float32:
		var bias []float32
		if B != nil {
			bias = Data[float32](B)
		}
		ctRun(x, &ct, Data[float32](X), Data[float32](W), bias, Data[float32](Y))
		return nil
	case Float16, BFloat16:
		xs, _ := cvF32(x, X, cvSlotX)
		ws, _ := cvF32(x, W, cvSlotW)
		var bias []float32
		if B != nil {
			bias, _ = cvF32(x, B, cvSlotB)
		}
		ys := ScratchOf[float32](x, cvSlotY, Y.Len())
		ctRun(x, &ct, xs, ws, bias, ys)
		cvStoreF32(Y, ys)
		return nil
	case Float64:
		var bias []float64
		if B != nil {
			bias = Data[float64](B)
		}
		ctRun(x, &ct, Data[float64](X), Data[float64](W), bias, Data[float64](Y))
		return nil
	}
	return fmt.Errorf("%s input is not supported", X.DType)
}

// ctRun computes a transposed convolution in T (float32 on the packed GEMM, float64 on the
// plain product).
func ctRun[T float32 | float64](x *Exec, ct *cvConv, xs, ws, bias, y []T) {
	w := &ct.w
	cg, mg := ct.c/ct.g, ct.m/ct.g
	iv, kv, ov := w.inVol(), w.kVol(), w.outVol()
	rows := mg * kv // rows of one group's column matrix
	col := ScratchOf[T](x, cvSlotCol, ct.g*rows*iv)
	for n := 0; n < ct.n; n++ {
		xn := xs[n*ct.c*iv : (n+1)*ct.c*iv]
		// col[g] (rows x iv) = W[g]^T (rows x cg) * X[n, g] (cg x iv); W[g] is cg x rows.
		switch xv := any(xn).(type) {
		case []float32:
			job := sgemmJob{m: rows, n: iv, k: cg, batches: ct.g, alpha: 1}
			job.a = gemmView(any(ws).([]float32), 1, rows, cg*rows)
			job.b = gemmView(xv, iv, 1, cg*iv)
			job.c = gemmView(any(col).([]float32), iv, 1, rows*iv)
			job.run(x)
		default:
			for g := 0; g < ct.g; g++ {
				gemmGeneric(rows, iv, cg, ws[g*cg*rows:], 1, rows, xn[g*cg*iv:], iv, 1, col[g*rows*iv:], iv, false)
			}
		}
		yn := y[n*ct.m*ov : (n+1)*ct.m*ov]
		parFor(gmPool(x), ct.m, kv*iv*2, ctCol2imJob[T]{w: *w, col: col, bias: bias, y: yn})
	}
}

// ctCol2imJob scatters output channels [lo, hi) of one image.
type ctCol2imJob[T float32 | float64] struct {
	w            cvWin
	col, bias, y []T
}

func (j ctCol2imJob[T]) run(lo, hi int) {
	w := &j.w
	iv, kv, ov := w.inVol(), w.kVol(), w.outVol()
	for m := lo; m < hi; m++ {
		var b T
		if j.bias != nil {
			b = j.bias[m]
		}
		// Channel m = g*mg + ml owns rows ml*kv.. of group g's columns, which start
		// at (g*mg + ml)*kv*iv = m*kv*iv.
		ctCol2im(w, j.col[m*kv*iv:(m+1)*kv*iv], b, j.y[m*ov:(m+1)*ov])
	}
}

// ctCol2im scatters one output channel's columns (kv rows of iv values) into its output plane.
func ctCol2im[T float32 | float64](w *cvWin, col []T, bias T, y []T) {
	for i := range y {
		y[i] = bias
	}
	D, H, W := w.in[0], w.in[1], w.in[2]
	OD, OH, OW := w.out[0], w.out[1], w.out[2]
	iv := w.inVol()
	r := 0
	for kz := 0; kz < w.k[0]; kz++ {
		for ky := 0; ky < w.k[1]; ky++ {
			for kx := 0; kx < w.k[2]; kx++ {
				src := col[r*iv : (r+1)*iv]
				r++
				for iz := 0; iz < D; iz++ {
					oz := iz*w.s[0] + kz*w.d[0] - w.pb[0]
					if oz < 0 || oz >= OD {
						continue
					}
					for iy := 0; iy < H; iy++ {
						oy := iy*w.s[1] + ky*w.d[1] - w.pb[1]
						if oy < 0 || oy >= OH {
							continue
						}
						srow := src[(iz*H+iy)*W : (iz*H+iy+1)*W]
						drow := y[(oz*OH+oy)*OW : (oz*OH+oy+1)*OW]
						ox := kx*w.d[2] - w.pb[2]
						for _, v := range srow {
							if uint(ox) < uint(OW) {
								drow[ox] += v
							}
							ox += w.s[2]
						}
					}
				}
			}
		}
	}
}

package runtime

import (
	"fmt"
	"math"
	"sort"
)

// SwiGLUParams configures SwiGLU.
type SwiGLUParams struct {
	Alpha float32
}

// SwiGLU is a * sigmoid(Alpha*a) * b with numpy broadcasting of a and b.
func SwiGLU(x *Exec, p *SwiGLUParams, out, in []*Tensor) error {
	A, B := in[0], in[1]
	if A.DType != B.DType {
		return fmt.Errorf("swiglu: inputs of %s and %s", A.DType, B.DType)
	}
	shape, err := BroadcastShape(A.Shape, B.Shape)
	if err != nil {
		return fmt.Errorf("swiglu: %w", err)
	}
	out[0].Resize(A.DType, shape...)
	switch A.DType {
	case Float64:
		msSwiGLU(x, float64(p.Alpha), Data[float64](A), Data[float64](B), atOut[float64](x, out[0], A.DType, 0, out[0].Len(), shape...), A.Shape, B.Shape, shape)
	case Float32, Float16, BFloat16:
		y := atOut[float32](x, out[0], A.DType, 2, out[0].Len(), shape...)
		msSwiGLU(x, float64(p.Alpha), atLoad[float32](x, A, 0), atLoad[float32](x, B, 1), y, A.Shape, B.Shape, shape)
		atStore(out[0], y)
	default:
		return fmt.Errorf("swiglu of %s is not supported", A.DType)
	}
	return nil
}

func msSwiGLU[T float32 | float64](x *Exec, alpha float64, a, b, y []T, as, bs, shape []int) {
	if len(y) == 0 {
		return
	}
	f := func(av, bv T) T {
		v := float64(av)
		return T(v / (1 + math.Exp(-alpha*v)) * float64(bv))
	}
	if len(a) == len(y) && len(b) == len(y) {
		x.Pool.For(len(y), 16, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y[i] = f(a[i], b[i])
			}
		})
		return
	}
	it := NewStridedIndex(shape, BroadcastStrides(as, shape), BroadcastStrides(bs, shape))
	o := 0
	for it.Next() {
		ao, bo := it.Off[0], it.Off[1]
		for k := 0; k < it.Inner; k++ {
			y[o] = f(a[ao+k*it.InnerStride[0]], b[bo+k*it.InnerStride[1]])
			o++
		}
	}
}

// Det is the determinant of each square matrix in the last two dims (LU with partial pivoting,
// in float64).
func Det(x *Exec, _ *struct{}, out, in []*Tensor) error {
	X := in[0]
	r := len(X.Shape)
	if r < 2 || X.Shape[r-1] != X.Shape[r-2] {
		return fmt.Errorf("det: input %v is not a batch of square matrices", X.Shape)
	}
	n := X.Shape[r-1]
	out[0].Resize(X.DType, X.Shape[:r-2]...)
	var src []float64
	switch X.DType {
	case Float64:
		src = Data[float64](X)
	case Float32, Float16, BFloat16:
		s := atLoad[float32](x, X, 0)
		src = ScratchOf[float64](x, 1, len(s))
		for i, v := range s {
			src[i] = float64(v)
		}
	default:
		return fmt.Errorf("det of %s is not supported", X.DType)
	}
	res := make([]float64, out[0].Len())
	m := make([]float64, n*n)
	for b := range res {
		copy(m, src[b*n*n:(b+1)*n*n])
		res[b] = msDetLU(m, n)
	}
	if X.DType == Float64 {
		copy(Data[float64](out[0]), res)
		return nil
	}
	f := make([]float32, len(res))
	for i, v := range res {
		f[i] = float32(v)
	}
	atStore(out[0], f)
	return nil
}

// msDetLU reduces m (n x n, destroyed) to upper triangular form and returns the product of the
// pivots with the sign of the row swaps.
func msDetLU(m []float64, n int) float64 {
	det := 1.0
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r*n+c]) > math.Abs(m[p*n+c]) {
				p = r
			}
		}
		if m[p*n+c] == 0 {
			return 0
		}
		if p != c {
			for k := 0; k < n; k++ {
				m[p*n+k], m[c*n+k] = m[c*n+k], m[p*n+k]
			}
			det = -det
		}
		piv := m[c*n+c]
		det *= piv
		for r := c + 1; r < n; r++ {
			f := m[r*n+c] / piv
			if f == 0 {
				continue
			}
			for k := c; k < n; k++ {
				m[r*n+k] -= f * m[c*n+k]
			}
		}
	}
	return det
}

// Window kinds (WindowParams.Kind).
const (
	HannWindowKind = iota
	HammingWindowKind
	BlackmanWindowKind
)

// WindowParams configures the window generators.
type WindowParams struct {
	Kind     int
	Periodic bool
	DType    DType // output_datatype
}

// Window generates a Hann, Hamming or Blackman window of the length given by the scalar input:
// a periodic window of length N is the symmetric one of length N+1 without its last point.
func Window(x *Exec, p *WindowParams, out, in []*Tensor) error {
	sz, err := msScalarInt(in[0])
	if err != nil {
		return fmt.Errorf("window: size: %w", err)
	}
	if sz < 0 {
		return fmt.Errorf("window: negative size %d", sz)
	}
	n := int(sz)
	v := make([]float64, n)
	den := float64(n)
	if !p.Periodic {
		den = float64(n - 1)
	}
	for i := range v {
		t := 2 * math.Pi * float64(i) / den
		switch p.Kind {
		case HannWindowKind:
			v[i] = 0.5 - 0.5*math.Cos(t)
		case HammingWindowKind:
			v[i] = 25.0/46 - 21.0/46*math.Cos(t)
		case BlackmanWindowKind:
			v[i] = 0.42 - 0.5*math.Cos(t) + 0.08*math.Cos(2*t)
		}
	}
	if n == 1 && !p.Periodic {
		v[0] = 1 // the 0/0 of a one-point symmetric window
	}
	return msStoreFloat(out[0], p.DType, v, n)
}

// msScalarInt reads a one-element integer tensor.
func msScalarInt(t *Tensor) (int64, error) {
	if t == nil || t.Len() != 1 {
		return 0, fmt.Errorf("want one value")
	}
	switch t.DType {
	case Int64:
		return Data[int64](t)[0], nil
	case Int32:
		return int64(Data[int32](t)[0]), nil
	case Int16:
		return int64(Data[int16](t)[0]), nil
	case Int8:
		return int64(Data[int8](t)[0]), nil
	case Uint8:
		return int64(Data[uint8](t)[0]), nil
	case Uint16:
		return int64(Data[uint16](t)[0]), nil
	case Uint32:
		return int64(Data[uint32](t)[0]), nil
	case Uint64:
		return int64(Data[uint64](t)[0]), nil
	}
	return 0, fmt.Errorf("%s is not an integer type", t.DType)
}

// msScalarFloat reads a one-element numeric tensor as float64.
func msScalarFloat(t *Tensor) (float64, error) {
	if t == nil || t.Len() != 1 {
		return 0, fmt.Errorf("want one value")
	}
	switch t.DType {
	case Float32:
		return float64(Data[float32](t)[0]), nil
	case Float64:
		return Data[float64](t)[0], nil
	case Float16:
		return float64(Data[F16](t)[0].Float32()), nil
	case BFloat16:
		return float64(Data[BF16](t)[0].Float32()), nil
	}
	v, err := msScalarInt(t)
	return float64(v), err
}

// msStoreFloat resizes t to dt and the shape and stores v, converting (integers truncate, as a
// numpy astype does).
func msStoreFloat(t *Tensor, dt DType, v []float64, shape ...int) error {
	t.Resize(dt, shape...)
	switch dt {
	case Float32:
		for i, e := range v {
			Data[float32](t)[i] = float32(e)
		}
	case Float64:
		copy(Data[float64](t), v)
	case Float16:
		for i, e := range v {
			Data[F16](t)[i] = ToF16(float32(e))
		}
	case BFloat16:
		for i, e := range v {
			Data[BF16](t)[i] = ToBF16(float32(e))
		}
	case Int8:
		for i, e := range v {
			Data[int8](t)[i] = int8(e)
		}
	case Int16:
		for i, e := range v {
			Data[int16](t)[i] = int16(e)
		}
	case Int32:
		for i, e := range v {
			Data[int32](t)[i] = int32(e)
		}
	case Int64:
		for i, e := range v {
			Data[int64](t)[i] = int64(e)
		}
	case Uint8:
		for i, e := range v {
			Data[uint8](t)[i] = uint8(e)
		}
	case Uint16:
		for i, e := range v {
			Data[uint16](t)[i] = uint16(e)
		}
	case Uint32:
		for i, e := range v {
			Data[uint32](t)[i] = uint32(e)
		}
	case Uint64:
		for i, e := range v {
			Data[uint64](t)[i] = uint64(e)
		}
	default:
		return fmt.Errorf("output type %s is not supported", dt)
	}
	return nil
}

// MelWeightMatrixParams configures MelWeightMatrix.
type MelWeightMatrixParams struct {
	DType DType // output_datatype
}

// MelWeightMatrix builds the [dft_length/2+1, num_mel_bins] matrix of triangular mel filters
// from the inputs num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz.
// The band edges are num_mel_bins+2 points evenly spaced in mel (with the step of the ONNX
// reference, the mel range over num_mel_bins+2), mapped to FFT bins by flooring.
func MelWeightMatrix(x *Exec, p *MelWeightMatrixParams, out, in []*Tensor) error {
	nm, err1 := msScalarInt(in[0])
	dl, err2 := msScalarInt(in[1])
	sr, err3 := msScalarInt(in[2])
	lo, err4 := msScalarFloat(in[3])
	hi, err5 := msScalarFloat(in[4])
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			return fmt.Errorf("mel weight matrix: %w", err)
		}
	}
	if nm < 0 || dl < 0 || sr <= 0 {
		return fmt.Errorf("mel weight matrix: num_mel_bins %d, dft_length %d, sample_rate %d", nm, dl, sr)
	}
	bins := int(dl/2 + 1)
	M := int(nm)
	// The edge computations run in float32, as the reference does on float32 inputs, so that
	// the floors land on the same bins.
	lowMel := float32(2595 * math.Log10(float64(1+float32(lo)/700)))
	highMel := float32(2595 * math.Log10(float64(1+float32(hi)/700)))
	step := (highMel - lowMel) / float32(M+2)
	edge := make([]int, M+2)
	for i := range edge {
		mel := float64(i)*float64(step) + float64(lowMel)
		hz := 700 * (math.Pow(10, mel/2595) - 1)
		edge[i] = int(math.Floor(float64(dl+1) * hz / float64(sr)))
	}
	w := make([]float64, bins*M)
	set := func(j, i int, v float64) error {
		if j < 0 || j >= bins {
			return fmt.Errorf("mel weight matrix: band edge %d outside the %d spectrogram bins", j, bins)
		}
		w[j*M+i] = v
		return nil
	}
	for i := 0; i < M; i++ {
		l, c, h := edge[i], edge[i+1], edge[i+2]
		if c == l {
			if err := set(c, i, 1); err != nil {
				return err
			}
		} else {
			for j := l; j <= c; j++ {
				if err := set(j, i, float64(j-l)/float64(c-l)); err != nil {
					return err
				}
			}
		}
		for j := c; j < h; j++ {
			if err := set(j, i, float64(h-j)/float64(h-c)); err != nil {
				return err
			}
		}
	}
	return msStoreFloat(out[0], p.DType, w, bins, M)
}

// NonMaxSuppressionParams configures NonMaxSuppression.
type NonMaxSuppressionParams struct {
	// CenterPointBox: boxes are [x_center, y_center, width, height] instead of two corners
	// [y1, x1, y2, x2] (in either order).
	CenterPointBox bool
}

// NonMaxSuppression selects, per batch and class, boxes in descending score order (ties: lower
// index first) whose IoU with every box already selected is at most iou_threshold, skipping
// scores not above score_threshold, up to max_output_boxes_per_class. Inputs boxes [B, N, 4],
// scores [B, C, N], and the optional scalars max_output_boxes_per_class, iou_threshold and
// score_threshold; the output is [selected, 3] int64 of (batch, class, box).
func NonMaxSuppression(x *Exec, p *NonMaxSuppressionParams, out, in []*Tensor) error {
	boxes, scores := in[0], in[1]
	if len(boxes.Shape) != 3 || boxes.Shape[2] != 4 || len(scores.Shape) != 3 ||
		scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1] {
		return fmt.Errorf("nms: boxes %v and scores %v do not fit [B, N, 4] and [B, C, N]", boxes.Shape, scores.Shape)
	}
	B, N, C := boxes.Shape[0], boxes.Shape[1], scores.Shape[1]
	maxOut := int64(0)
	iouTh := 0.0
	scoreTh := math.Inf(-1)
	var err error
	if t := atIn(in, 2); t != nil && t.Len() > 0 {
		if maxOut, err = msScalarInt(t); err != nil {
			return fmt.Errorf("nms: max_output_boxes_per_class: %w", err)
		}
	}
	if t := atIn(in, 3); t != nil && t.Len() > 0 {
		if iouTh, err = msScalarFloat(t); err != nil {
			return fmt.Errorf("nms: iou_threshold: %w", err)
		}
	}
	hasScoreTh := false
	if t := atIn(in, 4); t != nil && t.Len() > 0 {
		if scoreTh, err = msScalarFloat(t); err != nil {
			return fmt.Errorf("nms: score_threshold: %w", err)
		}
		hasScoreTh = true
	}
	bx := msFloats(x, boxes, 0)
	sc := msFloats(x, scores, 1)
	// Normalize every box to corners (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2.
	corners := make([]float64, len(bx))
	for i := 0; i < B*N; i++ {
		b := bx[i*4 : i*4+4]
		var y1, x1, y2, x2 float64
		if p.CenterPointBox {
			xc, yc, w, h := b[0], b[1], b[2], b[3]
			x1, x2 = xc-w/2, xc+w/2
			y1, y2 = yc-h/2, yc+h/2
		} else {
			y1, x1, y2, x2 = min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])
		}
		copy(corners[i*4:], []float64{y1, x1, y2, x2})
	}
	iou := func(a, b []float64) float64 {
		ih := min(a[2], b[2]) - max(a[0], b[0])
		iw := min(a[3], b[3]) - max(a[1], b[1])
		if ih <= 0 || iw <= 0 {
			return 0
		}
		inter := ih * iw
		union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
		if union <= 0 {
			return 0
		}
		return inter / union
	}
	var sel []int64
	cand := make([]int, 0, N)
	var kept []int
	for b := 0; b < B && maxOut > 0; b++ {
		for c := 0; c < C; c++ {
			s := sc[(b*C+c)*N : (b*C+c+1)*N]
			cand = cand[:0]
			for i, v := range s {
				if !hasScoreTh || v > scoreTh {
					cand = append(cand, i)
				}
			}
			sort.SliceStable(cand, func(i, j int) bool { return s[cand[i]] > s[cand[j]] })
			kept = kept[:0]
			for _, i := range cand {
				if int64(len(kept)) >= maxOut {
					break
				}
				bi := corners[(b*N+i)*4 : (b*N+i)*4+4]
				ok := true
				for _, k := range kept {
					if iou(bi, corners[(b*N+k)*4:(b*N+k)*4+4]) > iouTh {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, int64(b), int64(c), int64(i))
				}
			}
		}
	}
	out[0].Resize(Int64, len(sel)/3, 3)
	copy(Data[int64](out[0]), sel)
	return nil
}

// msFloats returns a float tensor's elements as float64 (scratch slot).
func msFloats(x *Exec, t *Tensor, slot int) []float64 {
	if t.DType == Float64 {
		return Data[float64](t)
	}
	s := atLoad[float32](x, t, slot+8)
	d := ScratchOf[float64](x, slot, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

package runtime

import (
	"fmt"
	"math"
)

// Softmax op codes (SoftmaxParams.Op).
const (
	SoftmaxOp = iota
	LogSoftmaxOp
	HardmaxOp
)

// SoftmaxParams configures Softmax.
type SoftmaxParams struct {
	Op   int
	Axis int
}

// Softmax computes Softmax, LogSoftmax or Hardmax along one axis (opset 13 semantics). Softmax
// and LogSoftmax subtract the maximum first, so large inputs do not overflow; Hardmax is 1 at
// the first maximum and 0 elsewhere.
func Softmax(x *Exec, p *SoftmaxParams, out, in []*Tensor) error {
	src := in[0]
	dst := out[0]
	l, empty, err := rdAlongAxis(src, dst, int64(p.Axis))
	if err != nil || empty {
		return err
	}
	switch src.DType {
	case Float32:
		smRun(x, p.Op, Data[float32](src), Data[float32](dst), l)
	case Float64:
		smRun(x, p.Op, Data[float64](src), Data[float64](dst), l)
	case Float16, BFloat16:
		d := ScratchOf[float32](x, rdSlotHalfOut, dst.Len())
		smRun(x, p.Op, rdF32In(x, src, rdSlotHalfIn), d, l)
		rdF32Store(dst, d)
	default:
		return fmt.Errorf("softmax of %s is not supported", src.DType)
	}
	return nil
}

func smRun[T rdFloat](x *Exec, op int, src, dst []T, l rdLayout) {
	R, inner := l.R, l.Inner
	j := smJob[T]{op: op, src: src, dst: dst, R: R, inner: inner}
	if inner == 1 {
		parFor(x.Pool, l.Outer, 8*R, j)
		return
	}
	// The axis is strided: work on whole inner rows, with per-column max and sum in scratch.
	j.mx = ScratchOf[T](x, rdSlotAcc, l.Outer*inner)
	j.sm = ScratchOf[float64](x, rdSlotAcc2, l.Outer*inner)
	rdFor(x, l.Outer, inner, 8*R, j)
}

type smJob[T rdFloat] struct {
	op           int
	src, dst, mx []T
	sm           []float64
	R, inner     int
}

func (j smJob[T]) run(lo, hi int) {
	R := j.R
	for o := lo; o < hi; o++ {
		smRow(j.op, j.src[o*R:(o+1)*R], j.dst[o*R:(o+1)*R])
	}
}

func (j smJob[T]) block(o, k0, k1 int) {
	op, src, dst, mx, sm, R, inner := j.op, j.src, j.dst, j.mx, j.sm, j.R, j.inner
	m := mx[o*inner+k0 : o*inner+k1]
	s := sm[o*inner+k0 : o*inner+k1]
	base := o*R*inner + k0
	rowAt := func(t []T, r int) []T { return t[base+r*inner : base+r*inner+len(m)] }
	copy(m, rowAt(src, 0))
	for r := 1; r < R; r++ {
		for k, v := range rowAt(src, r) {
			if v > m[k] || v != v {
				m[k] = v
			}
		}
	}
	switch op {
	case HardmaxOp:
		// s marks the columns whose first maximum has been found.
		clear(s)
		for r := 0; r < R; r++ {
			d := rowAt(dst, r)
			for k, v := range rowAt(src, r) {
				d[k] = 0
				if s[k] == 0 && (v == m[k] || m[k] != m[k]) {
					d[k], s[k] = 1, 1
				}
			}
		}
	case SoftmaxOp:
		clear(s)
		for r := 0; r < R; r++ {
			smExpAcc(rowAt(dst, r), rowAt(src, r), m, s)
		}
		for k := range s {
			s[k] = 1 / s[k]
		}
		for r := 0; r < R; r++ {
			d := rowAt(dst, r)
			for k := range d {
				d[k] = T(float64(d[k]) * s[k])
			}
		}
	case LogSoftmaxOp:
		clear(s)
		for r := 0; r < R; r++ {
			smExpAcc(nil, rowAt(src, r), m, s)
		}
		for k := range s {
			s[k] = float64(m[k]) + math.Log(s[k])
		}
		for r := 0; r < R; r++ {
			d := rowAt(dst, r)
			for k, v := range rowAt(src, r) {
				d[k] = T(float64(v) - s[k])
			}
		}
	}
}

// smRow applies the op to one contiguous row.
func smRow[T rdFloat](op int, row, d []T) {
	if op == SoftmaxOp && smIsF32[T]() {
		vecSoftmax(any(d).([]float32), any(row).([]float32))
		return
	}
	m := row[0]
	for _, v := range row {
		if v > m || v != v {
			m = v
		}
	}
	switch op {
	case HardmaxOp:
		clear(d)
		for i, v := range row {
			if v == m || m != m {
				d[i] = 1
				return
			}
		}
	case SoftmaxOp:
		inv := 1 / smExpSum(d, row, m)
		for i := range d {
			d[i] = T(float64(d[i]) * inv)
		}
	case LogSoftmaxOp:
		lse := float64(m) + math.Log(smExpSum(nil, row, m))
		for i, v := range row {
			d[i] = T(float64(v) - lse)
		}
	}
}

// smIsF32 reports whether T is float32, whose kernels may use the faster smExp.
func smIsF32[T rdNum]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// smExpSum sets d[i] = exp(src[i] - m) (d may be nil) and returns the sum of those values.
// The four loops keep the choices (which exp, whether to store) out of the element loop.
func smExpSum[T rdFloat](d, src []T, m T) float64 {
	s := 0.0
	f32 := smIsF32[T]()
	switch {
	case f32:
		d32, _ := any(d).([]float32)
		return smExpSum32(d32, any(src).([]float32), any(m).(float32))
	case d != nil:
		d = d[:len(src)]
		for i, v := range src {
			e := math.Exp(float64(v - m))
			d[i] = T(e)
			s += e
		}
	default:
		for _, v := range src {
			s += math.Exp(float64(v - m))
		}
	}
	return s
}

// smExpAcc adds exp(src[k] - m[k]) to s[k], also storing it in d[k] unless d is nil.
func smExpAcc[T rdFloat](d, src, m []T, s []float64) {
	m = m[:len(src)]
	s = s[:len(src)]
	f32 := smIsF32[T]()
	switch {
	case f32:
		d32, _ := any(d).([]float32)
		smExpAcc32(d32, any(src).([]float32), any(m).([]float32), s)
	case d != nil:
		d = d[:len(src)]
		for k, v := range src {
			e := math.Exp(float64(v - m[k]))
			d[k] = T(e)
			s[k] += e
		}
	default:
		for k, v := range src {
			s[k] += math.Exp(float64(v - m[k]))
		}
	}
}

// smExpSum32 is smExpSum of float32, with VecExp: it computes src[i]-m into d (a block on the
// stack when d is nil), exponentiates that in place and sums the float32 results in float64.
func smExpSum32(d, src []float32, m float32) float64 {
	var buf [ewBlock]float32
	var s0, s1, s2, s3 float64
	for i := 0; i < len(src); i += ewBlock {
		x := src[i:min(i+ewBlock, len(src))]
		t := buf[:len(x)]
		if d != nil {
			t = d[i : i+len(x)]
		}
		for k, v := range x {
			t[k] = v - m
		}
		VecExp(t, t)
		k := 0
		for ; k+4 <= len(t); k += 4 {
			s0 += float64(t[k])
			s1 += float64(t[k+1])
			s2 += float64(t[k+2])
			s3 += float64(t[k+3])
		}
		for ; k < len(t); k++ {
			s0 += float64(t[k])
		}
	}
	return (s0 + s1) + (s2 + s3)
}

// smExpAcc32 is smExpAcc of float32, with VecExp as smExpSum32.
func smExpAcc32(d, src, m []float32, s []float64) {
	var buf [ewBlock]float32
	for i := 0; i < len(src); i += ewBlock {
		x := src[i:min(i+ewBlock, len(src))]
		t := buf[:len(x)]
		if d != nil {
			t = d[i : i+len(x)]
		}
		mm := m[i : i+len(x)]
		for k, v := range x {
			t[k] = v - mm[k]
		}
		VecExp(t, t)
		ss := s[i : i+len(x)]
		for k, v := range t {
			ss[k] += float64(v)
		}
	}
}

// smExp is exp(x) to within about 1e-10 relative error, several times faster than math.Exp,
// for kernels whose results are float32 (or narrower) anyway. With x = (64m + j)*ln2/64 + r,
// |r| <= ln2/128: exp(x) = 2^m * 2^(j/64) * e^r, the middle factor from a table and e^r from
// a short polynomial, so the dependency chain stays short.
func smExp(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709:
		return math.Inf(1)
	case x < -708:
		return 0 // below the normal range; float32 results would be 0 long before
	}
	const (
		ln2Hi = 6.93147180369123816490e-01 / 64
		ln2Lo = 1.90821492927058770002e-10 / 64
		round = 0x1.8p52 // adding and subtracting it rounds to an integer
	)
	kf := (x*(64*math.Log2E) + round) - round
	r := x - kf*ln2Hi - kf*ln2Lo
	k := int64(kf)
	r2 := r * r
	p := (1 + r) + r2*(0.5+r*(1.0/6+r*(1.0/24)))
	t := smExp2Table[k&63] * p
	return math.Float64frombits(math.Float64bits(t) + uint64(k>>6)<<52)
}

// smExp2Table[j] is 2^(j/64).
var smExp2Table = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

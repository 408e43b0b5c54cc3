package runtime

import (
	"fmt"
	"math"
)

// This file holds the reduction kernels: the Reduce* family (one kernel, an op code per member),
// ArgMax/ArgMin, CumSum/CumProd and TopK, plus the helpers the other reduction-like kernels
// (softmax, normalizations, losses) share: the (outer, reduced, inner) view of a tensor and the
// float16/bfloat16 staging through float32.

// Reduce op codes (ReduceParams.Op).
const (
	ReduceSumOp = iota
	ReduceMeanOp
	ReduceMaxOp
	ReduceMinOp
	ReduceProdOp
	ReduceL1Op
	ReduceL2Op
	ReduceLogSumOp
	ReduceLogSumExpOp
	ReduceSumSquareOp
)

// ReduceParams configures Reduce.
type ReduceParams struct {
	Op int
	// Axes are the reduced axes when AxesConst is set (empty: see NoopWithEmptyAxes); otherwise
	// the kernel reads them from input 1, absent meaning empty.
	Axes              []int64
	AxesConst         bool
	KeepDims          bool
	NoopWithEmptyAxes bool
}

// Scratch slots used by the kernels of this file family. Half-precision staging uses its own
// slots so that a kernel can stage its input and output and still use the others.
const (
	rdSlotGather = iota
	rdSlotAcc
	rdSlotAcc2
	rdSlotHalfIn
	rdSlotHalfOut
	rdSlotHalfIn2
	rdSlotHalfIn3
	rdSlotVec
	rdSlotVec2
	rdSlotVec3
	rdSlotVec4
	rdSlotStat
	rdSlotStat2
	rdSlotLabels
	rdSlotAux
	rdSlotAux2
)

// rdNum is the set of element types the numeric kernels are instantiated for; float16 and
// bfloat16 are staged through float32 and bool is handled as uint8.
type rdNum interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// rdAcc is the accumulator type of a sum-like reduction: float64 for floats (so that long sums
// keep their precision), int64/uint64 for integers (which wrap exactly as the element type
// would once narrowed back).
type rdAcc interface{ ~float64 | ~int64 | ~uint64 }

// rdFloat is the set of compute types of the float-only kernels.
type rdFloat interface{ ~float32 | ~float64 }

// Reduce computes ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp and ReduceSumSquare (opset 18 semantics). Reducing an empty set
// gives the operation's identity (0, 1, -inf for max and the log-sums, +inf for min).
func Reduce(x *Exec, p *ReduceParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	axes := p.Axes
	if !p.AxesConst && len(in) > 1 && in[1] != nil {
		var err error
		if axes, err = rdTensorInts(x, in[1]); err != nil {
			return err
		}
	}
	red, err := rdAxesMask(x, len(src.Shape), axes, p.NoopWithEmptyAxes)
	if err != nil {
		return err
	}
	dst := out[0]
	dst.Resize(src.DType, rdOutShape(x, src.Shape, red, p.KeepDims)...)
	if dst.Len() == 0 {
		return nil
	}
	lay := rdLayoutOf(x, src.Shape, red)
	switch src.DType {
	case Float32:
		rdRun[float32, float64](x, p.Op, Data[float32](src), Data[float32](dst), lay)
	case Float64:
		rdRun[float64, float64](x, p.Op, Data[float64](src), Data[float64](dst), lay)
	case Float16, BFloat16:
		d := ScratchOf[float32](x, rdSlotHalfOut, dst.Len())
		rdRun[float32, float64](x, p.Op, rdF32In(x, src, rdSlotHalfIn), d, lay)
		rdF32Store(dst, d)
	case Int8:
		rdRun[int8, int64](x, p.Op, Data[int8](src), Data[int8](dst), lay)
	case Int16:
		rdRun[int16, int64](x, p.Op, Data[int16](src), Data[int16](dst), lay)
	case Int32:
		rdRun[int32, int64](x, p.Op, Data[int32](src), Data[int32](dst), lay)
	case Int64:
		rdRun[int64, int64](x, p.Op, Data[int64](src), Data[int64](dst), lay)
	case Uint8:
		rdRun[uint8, uint64](x, p.Op, Data[uint8](src), Data[uint8](dst), lay)
	case Uint16:
		rdRun[uint16, uint64](x, p.Op, Data[uint16](src), Data[uint16](dst), lay)
	case Uint32:
		rdRun[uint32, uint64](x, p.Op, Data[uint32](src), Data[uint32](dst), lay)
	case Uint64:
		rdRun[uint64, uint64](x, p.Op, Data[uint64](src), Data[uint64](dst), lay)
	case Bool:
		// Bools are 0/1 bytes: max is "any", min is "all"; nothing else is defined on them.
		if p.Op != ReduceMaxOp && p.Op != ReduceMinOp {
			return fmt.Errorf("reduction %d is not defined on bool", p.Op)
		}
		rdRun[uint8, uint64](x, p.Op, Data[uint8](src), Data[uint8](dst), lay)
	default:
		return fmt.Errorf("reduction of %s is not supported", src.DType)
	}
	return nil
}

// rdTensorInts reads an int32 or int64 tensor (axes, K, an axis scalar), in x's arena.
func rdTensorInts(x *Exec, t *Tensor) ([]int64, error) {
	switch t.DType {
	case Int64:
		r := arenaOf[int64](x, t.Len())
		copy(r, Data[int64](t))
		return r, nil
	case Int32:
		v := Data[int32](t)
		r := arenaOf[int64](x, len(v))
		for i, a := range v {
			r[i] = int64(a)
		}
		return r, nil
	}
	return nil, fmt.Errorf("expected an int32 or int64 tensor, got %s", t.DType)
}

// rdAxis maps a possibly negative axis into [0, rank).
func rdAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// rdAxesMask says which axes of a rank-r tensor are reduced. No axes means all of them, or none
// with noop. The mask is in x's arena.
func rdAxesMask(x *Exec, rank int, axes []int64, noop bool) ([]bool, error) {
	red := arenaOf[bool](x, rank)
	if len(axes) == 0 {
		for i := range red {
			red[i] = !noop
		}
		return red, nil
	}
	for _, a := range axes {
		ax, err := rdAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if red[ax] {
			return nil, fmt.Errorf("axis %d repeated in %v", a, axes)
		}
		red[ax] = true
	}
	return red, nil
}

// rdOutShape is the shape after reducing the marked axes, in x's arena.
func rdOutShape(x *Exec, shape []int, red []bool, keep bool) []int {
	out := x.Ints(len(shape))[:0]
	for i, d := range shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	return out
}

// rdLayout is a reduction seen as a contiguous (Outer, R, Inner) block: each output element
// (o, k) reduces src[(o*R + r)*Inner + k] over r. When the reduced axes are not adjacent, the
// input is first gathered (Perm) into an order with all kept dims ahead of all reduced ones, of
// shape PShape with source strides PStrides, and Inner is 1.
type rdLayout struct {
	Outer, R, Inner  int
	Perm             bool
	PShape, PStrides []int
}

// rdLayoutOf plans the reduction of the marked axes; the layout's slices are in x's arena.
func rdLayoutOf(x *Exec, shape []int, red []bool) rdLayout {
	// Merge neighbouring dims of the same kind; size-1 dims do not matter either way.
	sizes := x.Ints(len(shape))[:0]
	reds := arenaOf[bool](x, len(shape))[:0]
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(sizes) - 1; k >= 0 && reds[k] == red[i] {
			sizes[k] *= d
			continue
		}
		sizes = append(sizes, d)
		reds = append(reds, red[i])
	}
	nred := 0
	for _, r := range reds {
		if r {
			nred++
		}
	}
	l := rdLayout{Outer: 1, R: 1, Inner: 1}
	if nred <= 1 {
		seen := false
		for i, d := range sizes {
			switch {
			case reds[i]:
				l.R, seen = d, true
			case seen:
				l.Inner *= d
			default:
				l.Outer *= d
			}
		}
		return l
	}
	strides := stridesOf(x, sizes)
	l.Perm = true
	l.PShape, l.PStrides = x.Ints(len(sizes))[:0], x.Ints(len(sizes))[:0]
	for pass := 0; pass < 2; pass++ {
		for i, d := range sizes {
			if reds[i] == (pass == 1) {
				l.PShape = append(l.PShape, d)
				l.PStrides = append(l.PStrides, strides[i])
				if pass == 0 {
					l.Outer *= d
				} else {
					l.R *= d
				}
			}
		}
	}
	return l
}

// rdSource returns the data in layout order, gathering it into scratch when permuted.
func rdSource[T Elem](x *Exec, src []T, l rdLayout) []T {
	if !l.Perm || l.R == 0 || l.Outer == 0 {
		return src
	}
	g := ScratchOf[T](x, rdSlotGather, l.Outer*l.R)
	// A row-major walk of PShape reading src with PStrides (which has at least two dims).
	mvStridedCopyT(x, g, src, l.PShape, l.PStrides, 0)
	return g
}

// rdFor runs body over every (o, k0..k1) block of an Outer x Inner output, cutting Inner into
// chunks when Outer alone gives too little parallel work. cost is the work per output element.
// The body is a job value's block method rather than a closure, so that the serial path
// allocates nothing (see parFor).
func rdFor[J rdBlockJob](x *Exec, outer, inner, cost int, job J) {
	chunk := inner
	if t := x.Pool.Threads(); t > 1 && outer < 2*t && inner >= 512 {
		chunk = max(256, (inner+2*t-1)/(2*t))
	}
	nc := (inner + chunk - 1) / chunk
	parFor(x.Pool, outer*nc, cost*chunk+1, rdForJob[J]{job: job, nc: nc, chunk: chunk, inner: inner})
}

// rdBlockJob is rdFor's body: block(o, k0, k1) computes outputs k0..k1 of outer index o.
type rdBlockJob interface{ block(o, k0, k1 int) }

type rdForJob[J rdBlockJob] struct {
	job              J
	nc, chunk, inner int
}

func (j rdForJob[J]) run(lo, hi int) {
	for t := lo; t < hi; t++ {
		o, c := t/j.nc, t%j.nc
		k0 := c * j.chunk
		j.job.block(o, k0, min(k0+j.chunk, j.inner))
	}
}

// rdExtremeValue is the lowest (or highest) value of T: the identity of max (or min).
func rdExtremeValue[T rdNum](lowest bool) T {
	var z T
	s := 1.0
	if lowest {
		s = -1
	}
	switch p := any(&z).(type) {
	case *float32:
		*p = float32(math.Inf(int(s)))
	case *float64:
		*p = math.Inf(int(s))
	case *int8:
		*p = math.MaxInt8
		if lowest {
			*p = math.MinInt8
		}
	case *int16:
		*p = math.MaxInt16
		if lowest {
			*p = math.MinInt16
		}
	case *int32:
		*p = math.MaxInt32
		if lowest {
			*p = math.MinInt32
		}
	case *int64:
		*p = math.MaxInt64
		if lowest {
			*p = math.MinInt64
		}
	case *uint8:
		*p = math.MaxUint8
		if lowest {
			*p = 0
		}
	case *uint16:
		*p = math.MaxUint16
		if lowest {
			*p = 0
		}
	case *uint32:
		*p = math.MaxUint32
		if lowest {
			*p = 0
		}
	case *uint64:
		*p = math.MaxUint64
		if lowest {
			*p = 0
		}
	}
	return z
}

func rdIsFloat[T rdNum]() bool {
	var z T
	switch any(z).(type) {
	case float32, float64:
		return true
	}
	return false
}

// rdRun reduces src into dst according to the layout.
func rdRun[T rdNum, A rdAcc](x *Exec, op int, src, dst []T, l rdLayout) {
	if l.R == 0 {
		var v T
		switch op {
		case ReduceProdOp:
			v = 1
		case ReduceMaxOp:
			v = rdExtremeValue[T](true)
		case ReduceMinOp:
			v = rdExtremeValue[T](false)
		case ReduceLogSumOp, ReduceLogSumExpOp:
			v = rdExtremeValue[T](true) // -inf, or the lowest integer
		case ReduceMeanOp:
			if rdIsFloat[T]() {
				nan := math.NaN()
				v = T(nan) // 0/0
			}
		}
		for i := range dst {
			dst[i] = v
		}
		return
	}
	src = rdSource(x, src, l)
	switch op {
	case ReduceMaxOp, ReduceMinOp:
		rdExtreme(x, src, dst, l, op == ReduceMaxOp)
		return
	case ReduceLogSumExpOp:
		rdLogSumExp(x, src, dst, l)
		return
	}
	acc := ScratchOf[A](x, rdSlotAcc, len(dst))
	if op == ReduceProdOp {
		rdProd(x, src, acc, l)
		for i, a := range acc {
			dst[i] = T(a)
		}
		return
	}
	pre := 0
	switch op {
	case ReduceL1Op:
		pre = 1
	case ReduceL2Op, ReduceSumSquareOp:
		pre = 2
	}
	rdSum(x, src, acc, l, pre)
	switch op {
	case ReduceSumOp, ReduceL1Op, ReduceSumSquareOp:
		for i, a := range acc {
			dst[i] = T(a)
		}
	case ReduceMeanOp:
		n := A(l.R)
		for i, a := range acc {
			dst[i] = T(a / n)
		}
	case ReduceL2Op:
		for i, a := range acc {
			dst[i] = T(math.Sqrt(float64(a)))
		}
	case ReduceLogSumOp:
		for i, a := range acc {
			dst[i] = T(math.Log(float64(a)))
		}
	}
}

// rdSum sums pre(x) (0: x, 1: |x|, 2: x*x) into acc.
func rdSum[T rdNum, A rdAcc](x *Exec, src []T, acc []A, l rdLayout, pre int) {
	j := rdSumJob[T, A]{src: src, acc: acc, R: l.R, inner: l.Inner, pre: pre}
	if l.Inner == 1 {
		parFor(x.Pool, l.Outer, l.R, j)
		return
	}
	rdFor(x, l.Outer, l.Inner, l.R, j)
}

type rdSumJob[T rdNum, A rdAcc] struct {
	src           []T
	acc           []A
	R, inner, pre int
}

func (j rdSumJob[T, A]) run(lo, hi int) {
	R := j.R
	for o := lo; o < hi; o++ {
		j.acc[o] = rdSumRow[T, A](j.src[o*R:(o+1)*R], j.pre)
	}
}

func (j rdSumJob[T, A]) block(o, k0, k1 int) {
	src, acc, R, inner, pre := j.src, j.acc, j.R, j.inner, j.pre
	a := acc[o*inner+k0 : o*inner+k1]
	clear(a)
	base := o*R*inner + k0
	for r := 0; r < R; r++ {
		row := src[base+r*inner : base+r*inner+len(a)]
		switch pre {
		case 0:
			for k, v := range row {
				a[k] += A(v)
			}
		case 1:
			for k, v := range row {
				w := A(v)
				if v < 0 {
					w = -w
				}
				a[k] += w
			}
		default:
			for k, v := range row {
				w := A(v)
				a[k] += w * w
			}
		}
	}
}

// rdSumRow sums one contiguous row with four independent accumulators, which keeps the adds
// out of one long dependency chain.
func rdSumRow[T rdNum, A rdAcc](row []T, pre int) A {
	var s0, s1, s2, s3 A
	i := 0
	switch pre {
	case 0:
		for ; i+4 <= len(row); i += 4 {
			s0 += A(row[i])
			s1 += A(row[i+1])
			s2 += A(row[i+2])
			s3 += A(row[i+3])
		}
		for ; i < len(row); i++ {
			s0 += A(row[i])
		}
	case 1:
		for _, v := range row {
			w := A(v)
			if v < 0 {
				w = -w
			}
			s0 += w
		}
	default:
		for ; i+4 <= len(row); i += 4 {
			a, b, c, d := A(row[i]), A(row[i+1]), A(row[i+2]), A(row[i+3])
			s0 += a * a
			s1 += b * b
			s2 += c * c
			s3 += d * d
		}
		for ; i < len(row); i++ {
			a := A(row[i])
			s0 += a * a
		}
	}
	return s0 + s1 + s2 + s3
}

func rdProd[T rdNum, A rdAcc](x *Exec, src []T, acc []A, l rdLayout) {
	j := rdProdJob[T, A]{src: src, acc: acc, R: l.R, inner: l.Inner}
	if l.Inner == 1 {
		parFor(x.Pool, l.Outer, l.R, j)
		return
	}
	rdFor(x, l.Outer, l.Inner, l.R, j)
}

type rdProdJob[T rdNum, A rdAcc] struct {
	src      []T
	acc      []A
	R, inner int
}

func (j rdProdJob[T, A]) run(lo, hi int) {
	src, acc, R := j.src, j.acc, j.R
	for o := lo; o < hi; o++ {
		p := A(1)
		for _, v := range src[o*R : (o+1)*R] {
			p *= A(v)
		}
		acc[o] = p
	}
}

func (j rdProdJob[T, A]) block(o, k0, k1 int) {
	src, acc, R, inner := j.src, j.acc, j.R, j.inner
	a := acc[o*inner+k0 : o*inner+k1]
	for k := range a {
		a[k] = 1
	}
	base := o*R*inner + k0
	for r := 0; r < R; r++ {
		row := src[base+r*inner : base+r*inner+len(a)]
		for k, v := range row {
			a[k] *= A(v)
		}
	}
}

// rdExtreme computes max or min; a NaN anywhere in the set makes the result NaN.
func rdExtreme[T rdNum](x *Exec, src, dst []T, l rdLayout, isMax bool) {
	j := rdExtremeJob[T]{src: src, dst: dst, R: l.R, inner: l.Inner, isMax: isMax}
	if l.Inner == 1 {
		parFor(x.Pool, l.Outer, l.R, j)
		return
	}
	rdFor(x, l.Outer, l.Inner, l.R, j)
}

type rdExtremeJob[T rdNum] struct {
	src, dst []T
	R, inner int
	isMax    bool
}

func (j rdExtremeJob[T]) run(lo, hi int) {
	src, dst, R, isMax := j.src, j.dst, j.R, j.isMax
	for o := lo; o < hi; o++ {
		row := src[o*R : (o+1)*R]
		m := row[0]
		if isMax {
			for _, v := range row[1:] {
				if v > m || v != v {
					m = v
					if v != v {
						break
					}
				}
			}
		} else {
			for _, v := range row[1:] {
				if v < m || v != v {
					m = v
					if v != v {
						break
					}
				}
			}
		}
		dst[o] = m
	}
}

func (j rdExtremeJob[T]) block(o, k0, k1 int) {
	src, dst, R, inner, isMax := j.src, j.dst, j.R, j.inner, j.isMax
	d := dst[o*inner+k0 : o*inner+k1]
	base := o*R*inner + k0
	copy(d, src[base:base+len(d)])
	for r := 1; r < R; r++ {
		row := src[base+r*inner : base+r*inner+len(d)]
		if isMax {
			for k, v := range row {
				if v > d[k] || v != v {
					d[k] = v
				}
			}
		} else {
			for k, v := range row {
				if v < d[k] || v != v {
					d[k] = v
				}
			}
		}
	}
}

// rdLogSumExp computes log(sum(exp(x))) as m + log(sum(exp(x - m))) with m the maximum, so that
// large inputs do not overflow. An infinite maximum is the result itself.
func rdLogSumExp[T rdNum](x *Exec, src, dst []T, l rdLayout) {
	R, inner := l.R, l.Inner
	j := rdLogSumExpJob[T]{src: src, dst: dst, R: R, inner: inner, f32: smIsF32[T]()} // float32 results can use the faster exp
	if inner == 1 {
		parFor(x.Pool, l.Outer, 4*R, j)
		return
	}
	j.mx = ScratchOf[float64](x, rdSlotAcc, len(dst))
	j.sm = ScratchOf[float64](x, rdSlotAcc2, len(dst))
	rdFor(x, l.Outer, inner, 4*R, j)
}

type rdLogSumExpJob[T rdNum] struct {
	src, dst []T
	mx, sm   []float64
	R, inner int
	f32      bool
}

func (j rdLogSumExpJob[T]) run(lo, hi int) {
	src, dst, R, f32 := j.src, j.dst, j.R, j.f32
	for o := lo; o < hi; o++ {
		row := src[o*R : (o+1)*R]
		m := math.Inf(-1)
		for _, v := range row {
			if f := float64(v); f > m || f != f {
				m = f
			}
		}
		if math.IsInf(m, 0) || m != m {
			dst[o] = T(m)
			continue
		}
		s := 0.0
		if f32 {
			for _, v := range row {
				s += smExp(float64(v) - m)
			}
		} else {
			for _, v := range row {
				s += math.Exp(float64(v) - m)
			}
		}
		dst[o] = T(m + math.Log(s))
	}
}

func (j rdLogSumExpJob[T]) block(o, k0, k1 int) {
	src, dst, mx, sm, R, inner, f32 := j.src, j.dst, j.mx, j.sm, j.R, j.inner, j.f32
	m := mx[o*inner+k0 : o*inner+k1]
	s := sm[o*inner+k0 : o*inner+k1]
	base := o*R*inner + k0
	for k := range m {
		m[k] = math.Inf(-1)
	}
	clear(s)
	for r := 0; r < R; r++ {
		for k, v := range src[base+r*inner : base+r*inner+len(m)] {
			if f := float64(v); f > m[k] || f != f {
				m[k] = f
			}
		}
	}
	for r := 0; r < R; r++ {
		row := src[base+r*inner : base+r*inner+len(m)]
		if f32 {
			for k, v := range row {
				s[k] += smExp(float64(v) - m[k])
			}
		} else {
			for k, v := range row {
				s[k] += math.Exp(float64(v) - m[k])
			}
		}
	}
	d := dst[o*inner+k0 : o*inner+k1]
	for k := range d {
		if math.IsInf(m[k], 0) || m[k] != m[k] {
			d[k] = T(m[k])
		} else {
			d[k] = T(m[k] + math.Log(s[k]))
		}
	}
}

// rdF32In returns a float16, bfloat16 or float64 tensor's elements converted to float32 in
// scratch slot, or a float32 tensor's own data.
func rdF32In(x *Exec, t *Tensor, slot int) []float32 {
	switch t.DType {
	case Float32:
		return Data[float32](t)
	case Float16:
		s := Data[F16](t)
		d := ScratchOf[float32](x, slot, len(s))
		for i, v := range s {
			d[i] = v.Float32()
		}
		return d
	case BFloat16:
		s := Data[BF16](t)
		d := ScratchOf[float32](x, slot, len(s))
		for i, v := range s {
			d[i] = v.Float32()
		}
		return d
	case Float64:
		s := Data[float64](t)
		d := ScratchOf[float32](x, slot, len(s))
		for i, v := range s {
			d[i] = float32(v)
		}
		return d
	}
	return nil
}

// rdF32Store rounds float32 results into t (float16, bfloat16, float32 or float64, already
// resized).
func rdF32Store(t *Tensor, src []float32) {
	switch t.DType {
	case Float16:
		d := Data[F16](t)
		for i, v := range src[:len(d)] {
			d[i] = ToF16(v)
		}
	case BFloat16:
		d := Data[BF16](t)
		for i, v := range src[:len(d)] {
			d[i] = ToBF16(v)
		}
	case Float32:
		copy(Data[float32](t), src)
	case Float64:
		d := Data[float64](t)
		for i, v := range src[:len(d)] {
			d[i] = float64(v)
		}
	}
}

// rdVec returns a small float tensor (scale, bias, weights) as []T, converting when its type is
// not T.
func rdVec[T rdFloat](x *Exec, t *Tensor, slot int) ([]T, error) {
	n := t.Len()
	var z T
	switch t.DType {
	case Float32:
		if _, ok := any(z).(float32); ok {
			return any(Data[float32](t)).([]T), nil
		}
	case Float64:
		if _, ok := any(z).(float64); ok {
			return any(Data[float64](t)).([]T), nil
		}
	}
	d := ScratchOf[T](x, slot, n)
	switch t.DType {
	case Float32:
		for i, v := range Data[float32](t) {
			d[i] = T(v)
		}
	case Float64:
		for i, v := range Data[float64](t) {
			d[i] = T(v)
		}
	case Float16:
		for i, v := range Data[F16](t) {
			d[i] = T(v.Float32())
		}
	case BFloat16:
		for i, v := range Data[BF16](t) {
			d[i] = T(v.Float32())
		}
	default:
		return nil, fmt.Errorf("expected a float tensor, got %s", t.DType)
	}
	return d, nil
}

// rdOuterInner splits shape around axis: the product of the dims before it and after it.
func rdOuterInner(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < axis:
			outer *= d
		case i > axis:
			inner *= d
		}
	}
	return outer, inner
}

// ArgReduceParams configures ArgReduce (ArgMax, or ArgMin when Min).
type ArgReduceParams struct {
	Axis            int
	KeepDims        bool
	SelectLastIndex bool
	Min             bool
}

// ArgReduce computes ArgMax or ArgMin along one axis as int64 indices. Ties go to the first
// index, or the last with SelectLastIndex; a NaN counts as the extreme value.
func ArgReduce(x *Exec, p *ArgReduceParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	rank := len(src.Shape)
	axis, err := rdAxis(int64(p.Axis), max(rank, 1))
	if err != nil {
		return err
	}
	red := arenaOf[bool](x, rank)
	R := 1
	if rank > 0 {
		red[axis] = true
		R = src.Shape[axis]
	}
	dst := out[0]
	dst.Resize(Int64, rdOutShape(x, src.Shape, red, p.KeepDims)...)
	if dst.Len() == 0 {
		return nil
	}
	if R == 0 {
		return fmt.Errorf("arg-reduction over an empty axis %d of shape %v", axis, src.Shape)
	}
	outer, inner := 1, 1
	if rank > 0 {
		outer, inner = rdOuterInner(src.Shape, axis)
	}
	l := rdLayout{Outer: outer, R: R, Inner: inner}
	d := Data[int64](dst)
	switch src.DType {
	case Float32:
		rdArg(x, Data[float32](src), d, l, p)
	case Float64:
		rdArg(x, Data[float64](src), d, l, p)
	case Float16, BFloat16:
		rdArg(x, rdF32In(x, src, rdSlotHalfIn), d, l, p)
	case Int8:
		rdArg(x, Data[int8](src), d, l, p)
	case Int16:
		rdArg(x, Data[int16](src), d, l, p)
	case Int32:
		rdArg(x, Data[int32](src), d, l, p)
	case Int64:
		rdArg(x, Data[int64](src), d, l, p)
	case Uint8, Bool:
		rdArg(x, Data[uint8](src), d, l, p)
	case Uint16:
		rdArg(x, Data[uint16](src), d, l, p)
	case Uint32:
		rdArg(x, Data[uint32](src), d, l, p)
	case Uint64:
		rdArg(x, Data[uint64](src), d, l, p)
	default:
		return fmt.Errorf("arg-reduction of %s is not supported", src.DType)
	}
	return nil
}

// rdBetter reports whether v replaces the current best b: strictly more extreme, equal when
// the last index wins, or the first NaN.
func rdBetter[T rdNum](v, b T, isMin, last bool) bool {
	if v != v {
		return b == b || last
	}
	if isMin {
		return v < b || (last && v == b)
	}
	return v > b || (last && v == b)
}

func rdArg[T rdNum](x *Exec, src []T, dst []int64, l rdLayout, p *ArgReduceParams) {
	R, inner := l.R, l.Inner
	j := rdArgJob[T]{src: src, dst: dst, R: R, inner: inner, isMin: p.Min, last: p.SelectLastIndex}
	if inner == 1 {
		parFor(x.Pool, l.Outer, R, j)
		return
	}
	j.best = ScratchOf[T](x, rdSlotAcc, len(dst))
	rdFor(x, l.Outer, inner, R, j)
}

type rdArgJob[T rdNum] struct {
	src, best   []T
	dst         []int64
	R, inner    int
	isMin, last bool
}

func (j rdArgJob[T]) run(lo, hi int) {
	src, dst, R, isMin, last := j.src, j.dst, j.R, j.isMin, j.last
	for o := lo; o < hi; o++ {
		row := src[o*R : (o+1)*R]
		b, bi := row[0], 0
		for i, v := range row {
			if i > 0 && rdBetter(v, b, isMin, last) {
				b, bi = v, i
			}
		}
		dst[o] = int64(bi)
	}
}

func (j rdArgJob[T]) block(o, k0, k1 int) {
	src, dst, best, R, inner, isMin, last := j.src, j.dst, j.best, j.R, j.inner, j.isMin, j.last
	b := best[o*inner+k0 : o*inner+k1]
	bi := dst[o*inner+k0 : o*inner+k1]
	base := o*R*inner + k0
	copy(b, src[base:base+len(b)])
	clear(bi)
	for r := 1; r < R; r++ {
		for k, v := range src[base+r*inner : base+r*inner+len(b)] {
			if rdBetter(v, b[k], isMin, last) {
				b[k], bi[k] = v, int64(r)
			}
		}
	}
}

// CumParams configures Cumulative (CumSum, or CumProd when Prod).
type CumParams struct {
	Prod      bool
	Exclusive bool
	Reverse   bool
	// Axis is used when AxisConst; otherwise the kernel reads input 1.
	Axis      int64
	AxisConst bool
}

// Cumulative computes CumSum or CumProd along one axis, optionally exclusive (each output
// leaves out its own element) and reversed (accumulating from the end).
func Cumulative(x *Exec, p *CumParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	ax := p.Axis
	if !p.AxisConst {
		if len(in) < 2 || in[1] == nil {
			return fmt.Errorf("missing axis input")
		}
		v, err := rdTensorInts(x, in[1])
		if err != nil {
			return err
		}
		if len(v) != 1 {
			return fmt.Errorf("axis input has %d elements, want 1", len(v))
		}
		ax = v[0]
	}
	dst := out[0]
	l, empty, err := rdAlongAxis(src, dst, ax)
	if err != nil || empty {
		return err
	}
	switch src.DType {
	case Float32:
		rdCum(x, Data[float32](src), Data[float32](dst), l, p)
	case Float64:
		rdCum(x, Data[float64](src), Data[float64](dst), l, p)
	case Float16, BFloat16:
		d := ScratchOf[float32](x, rdSlotHalfOut, dst.Len())
		rdCum(x, rdF32In(x, src, rdSlotHalfIn), d, l, p)
		rdF32Store(dst, d)
	case Int8:
		rdCum(x, Data[int8](src), Data[int8](dst), l, p)
	case Int16:
		rdCum(x, Data[int16](src), Data[int16](dst), l, p)
	case Int32:
		rdCum(x, Data[int32](src), Data[int32](dst), l, p)
	case Int64:
		rdCum(x, Data[int64](src), Data[int64](dst), l, p)
	case Uint8:
		rdCum(x, Data[uint8](src), Data[uint8](dst), l, p)
	case Uint16:
		rdCum(x, Data[uint16](src), Data[uint16](dst), l, p)
	case Uint32:
		rdCum(x, Data[uint32](src), Data[uint32](dst), l, p)
	case Uint64:
		rdCum(x, Data[uint64](src), Data[uint64](dst), l, p)
	default:
		return fmt.Errorf("cumulative op on %s is not supported", src.DType)
	}
	return nil
}

// rdCum walks the axis one inner-row at a time: each output row is the previous output row
// combined with the current (inclusive) or previous (exclusive) input row.
func rdCum[T rdNum](x *Exec, src, dst []T, l rdLayout, p *CumParams) {
	j := rdCumJob[T]{src: src, dst: dst, R: l.R, inner: l.Inner, p: p}
	if p.Prod {
		j.id = 1
	}
	rdFor(x, l.Outer, l.Inner, l.R, j)
}

type rdCumJob[T rdNum] struct {
	src, dst []T
	R, inner int
	id       T
	p        *CumParams
}

func (j rdCumJob[T]) block(o, k0, k1 int) {
	src, dst, R, inner, id, p := j.src, j.dst, j.R, j.inner, j.id, j.p
	n := k1 - k0
	base := o*R*inner + k0
	row := func(r int) int { return base + r*inner }
	first, step := 0, 1
	if p.Reverse {
		first, step = R-1, -1
	}
	d := dst[row(first) : row(first)+n]
	if p.Exclusive {
		for k := range d {
			d[k] = id
		}
	} else {
		copy(d, src[row(first):row(first)+n])
	}
	for i, r := 1, first+step; i < R; i, r = i+1, r+step {
		prev := dst[row(r-step) : row(r-step)+n]
		s := r
		if p.Exclusive {
			s = r - step
		}
		cur := dst[row(r) : row(r)+n]
		in := src[row(s) : row(s)+n]
		if p.Prod {
			for k := range cur {
				cur[k] = prev[k] * in[k]
			}
		} else {
			for k := range cur {
				cur[k] = prev[k] + in[k]
			}
		}
	}
}

// TopKParams configures TopK; K is read from input 1.
type TopKParams struct {
	Axis    int
	Largest bool
	Sorted  bool
}

// TopK returns the K largest (or smallest) elements along an axis and their int64 indices,
// always sorted (which Sorted=false permits), equal values in increasing index order. NaN
// counts as greater than every number.
func TopK(x *Exec, p *TopKParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	kv, err := rdTensorInts(x, in[1])
	if err != nil {
		return err
	}
	if len(kv) != 1 {
		return fmt.Errorf("K has %d elements, want 1", len(kv))
	}
	rank := len(src.Shape)
	if rank == 0 {
		return fmt.Errorf("TopK of a scalar")
	}
	axis, err := rdAxis(int64(p.Axis), rank)
	if err != nil {
		return err
	}
	R := src.Shape[axis]
	K := kv[0]
	if K < 0 || K > int64(R) {
		return fmt.Errorf("K = %d out of range for axis %d of size %d", K, axis, R)
	}
	shape := x.Ints(rank)
	copy(shape, src.Shape)
	shape[axis] = int(K)
	vals, idx := out[0], out[1]
	vals.Resize(src.DType, shape...)
	idx.Resize(Int64, shape...)
	if vals.Len() == 0 {
		return nil
	}
	outer, inner := rdOuterInner(src.Shape, axis)
	l := rdLayout{Outer: outer, R: R, Inner: inner}
	k := int(K)
	ix := Data[int64](idx)
	switch src.DType {
	case Float32:
		rdTopK(x, Data[float32](src), Data[float32](vals), ix, l, k, p.Largest)
	case Float64:
		rdTopK(x, Data[float64](src), Data[float64](vals), ix, l, k, p.Largest)
	case Float16, BFloat16:
		d := ScratchOf[float32](x, rdSlotHalfOut, vals.Len())
		rdTopK(x, rdF32In(x, src, rdSlotHalfIn), d, ix, l, k, p.Largest)
		rdF32Store(vals, d)
	case Int8:
		rdTopK(x, Data[int8](src), Data[int8](vals), ix, l, k, p.Largest)
	case Int16:
		rdTopK(x, Data[int16](src), Data[int16](vals), ix, l, k, p.Largest)
	case Int32:
		rdTopK(x, Data[int32](src), Data[int32](vals), ix, l, k, p.Largest)
	case Int64:
		rdTopK(x, Data[int64](src), Data[int64](vals), ix, l, k, p.Largest)
	case Uint8:
		rdTopK(x, Data[uint8](src), Data[uint8](vals), ix, l, k, p.Largest)
	case Uint16:
		rdTopK(x, Data[uint16](src), Data[uint16](vals), ix, l, k, p.Largest)
	case Uint32:
		rdTopK(x, Data[uint32](src), Data[uint32](vals), ix, l, k, p.Largest)
	case Uint64:
		rdTopK(x, Data[uint64](src), Data[uint64](vals), ix, l, k, p.Largest)
	default:
		return fmt.Errorf("TopK of %s is not supported", src.DType)
	}
	return nil
}

type rdItem[T rdNum] struct {
	v T
	i int
}

// rdBefore is TopK's output order: a comes before b.
func rdBefore[T rdNum](a, b rdItem[T], largest bool) bool {
	if a.v != b.v {
		an, bn := a.v != a.v, b.v != b.v
		switch {
		case an && bn:
		case an:
			return largest
		case bn:
			return !largest
		case largest:
			return a.v > b.v
		default:
			return a.v < b.v
		}
	}
	return a.i < b.i
}

// rdTopK selects with a bounded heap whose root is the worst item kept so far (O(R log K) per
// line), then pops it from the back of the output so the result comes out sorted.
func rdTopK[T rdNum](x *Exec, src, vals []T, idx []int64, l rdLayout, k int, largest bool) {
	j := rdTopKJob[T]{src: src, vals: vals, idx: idx, R: l.R, inner: l.Inner, k: k, largest: largest}
	parFor(x.Pool, l.Outer*l.Inner, l.R*8, j)
}

type rdTopKJob[T rdNum] struct {
	src, vals   []T
	idx         []int64
	R, inner, k int
	largest     bool
}

func (j rdTopKJob[T]) run(lo, hi int) {
	src, vals, idx, R, inner, k, largest := j.src, j.vals, j.idx, j.R, j.inner, j.k, j.largest
	h := make([]rdItem[T], 0, k)
	// down restores the heap below i: a parent never comes before its children.
	down := func(i int) {
		n := len(h)
		for {
			c := 2*i + 1
			if c >= n {
				return
			}
			if c+1 < n && rdBefore(h[c], h[c+1], largest) {
				c++
			}
			if !rdBefore(h[i], h[c], largest) {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for line := lo; line < hi; line++ {
		o, kk := line/inner, line%inner
		base := o*R*inner + kk
		h = h[:0]
		for r := 0; r < R; r++ {
			it := rdItem[T]{src[base+r*inner], r}
			if len(h) < k {
				h = append(h, it)
				for c := len(h) - 1; c > 0; {
					par := (c - 1) / 2
					if !rdBefore(h[par], h[c], largest) {
						break
					}
					h[par], h[c] = h[c], h[par]
					c = par
				}
				continue
			}
			if k > 0 && rdBefore(it, h[0], largest) {
				h[0] = it
				down(0)
			}
		}
		ob := o*k*inner + kk
		for pos := len(h) - 1; pos >= 0; pos-- {
			vals[ob+pos*inner] = h[0].v
			idx[ob+pos*inner] = int64(h[0].i)
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
			down(0)
		}
	}
}

// rdAlongAxis is the set-up of the ops that work along one axis and keep the input's shape
// (Softmax, CumSum, LpNormalization): it checks axis (a scalar counts as rank 1), resizes dst
// like src and splits the shape around the axis. empty reports an output with no elements.
func rdAlongAxis(src, dst *Tensor, axis int64) (l rdLayout, empty bool, err error) {
	rank := len(src.Shape)
	a, err := rdAxis(axis, max(rank, 1))
	if err != nil {
		return l, false, err
	}
	dst.Resize(src.DType, src.Shape...)
	if dst.Len() == 0 {
		return l, true, nil
	}
	l = rdLayout{Outer: 1, R: 1, Inner: 1}
	if rank > 0 {
		l.Outer, l.Inner = rdOuterInner(src.Shape, a)
		l.R = src.Shape[a]
	}
	return l, false, nil
}

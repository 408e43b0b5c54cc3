package runtime

import (
	"fmt"
	"slices"
)

// Variadic op codes (VariadicParams.Op).
const (
	VariadicSum = iota
	VariadicMean
	VariadicMax
	VariadicMin
)

// VariadicParams configures Variadic.
type VariadicParams struct{ Op int }

var variadicBinary = [...]int{VariadicSum: BinaryAdd, VariadicMean: BinaryAdd, VariadicMax: BinaryMax, VariadicMin: BinaryMin}

// Variadic is Sum, Mean, Max and Min of one or more inputs of one type, broadcast together. It
// folds the inputs into the output one at a time with the binary ops.
func Variadic(x *Exec, p *VariadicParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	if p.Op < 0 || p.Op >= len(variadicBinary) {
		return fmt.Errorf("variadic op code %d is unknown", p.Op)
	}
	if len(in) == 0 {
		return fmt.Errorf("needs at least one input")
	}
	dt := in[0].DType
	r := 0
	for i, t := range in {
		if t == nil {
			return fmt.Errorf("input %d is missing", i)
		}
		if t.DType != dt {
			return fmt.Errorf("input types %s and %s differ", dt, t.DType)
		}
		r = max(r, len(t.Shape))
	}
	if !(dt.IsFloat() || dt.IsInt()) || (p.Op == VariadicMean && !dt.IsFloat()) {
		return fmt.Errorf("variadic op %d of %s is not supported", p.Op, dt)
	}
	shape := x.Ints(r)
	for i := range shape {
		shape[i] = 1
	}
	for _, t := range in {
		off := r - len(t.Shape)
		for i, d := range t.Shape {
			switch o := shape[off+i]; {
			case d == o || d == 1:
			case o == 1:
				shape[off+i] = d
			default:
				return variadicBroadcastError(in)
			}
		}
	}
	op := variadicBinary[p.Op]
	dst := out[0]
	// The output may share storage with an input of its shape: fold that input in first, so it is
	// read before anything is written (the ops are commutative). The fold order is the inputs'
	// with that one swapped with the first.
	first := 0
	for i, t := range in {
		if t.Buf != nil && t.Buf == dst.Buf && slices.Equal(t.Shape, shape) {
			first = i
			break
		}
	}
	order := func(k int) *Tensor {
		switch k {
		case 0:
			return in[first]
		case first:
			return in[0]
		}
		return in[k]
	}
	for k := 1; k < len(in); k++ {
		if t := order(k); t.Buf != nil && t.Buf == dst.Buf {
			// The output's storage is also a later operand (Sum(x, x) in place on x): it would be
			// overwritten before it is read, so the output gets storage of its own.
			dst.Buf = &Buffer{}
			break
		}
	}
	f := ewFold{x: x, op: op, shape: shape, n: len(in), order: order}
	if ewIsHalf(dt) {
		acc := ScratchOf[float32](x, 0, NumElems(shape))
		ewFoldRun[ewOpArithF[float32]](&f, acc, func(k int) []float32 { return ewHalfTensor(x, k+1, order(k)) })
		if p.Op == VariadicMean {
			ewScale(acc, len(in))
		}
		dst.Resize(dt, shape...)
		ewHalfStore(dt, Data[uint16](dst), acc)
		return nil
	}
	dst.Resize(dt, shape...)
	switch dt {
	case Float32:
		d := Data[float32](dst)
		ewFoldRun[ewOpArithF[float32]](&f, d, func(k int) []float32 { return Data[float32](order(k)) })
		if p.Op == VariadicMean {
			ewScale(d, len(in))
		}
	case Float64:
		d := Data[float64](dst)
		ewFoldRun[ewOpArithF[float64]](&f, d, func(k int) []float64 { return Data[float64](order(k)) })
		if p.Op == VariadicMean {
			ewScale(d, len(in))
		}
	case Int8:
		ewFoldRun[ewOpArithI[int8]](&f, Data[int8](dst), func(k int) []int8 { return Data[int8](order(k)) })
	case Int16:
		ewFoldRun[ewOpArithI[int16]](&f, Data[int16](dst), func(k int) []int16 { return Data[int16](order(k)) })
	case Int32:
		ewFoldRun[ewOpArithI[int32]](&f, Data[int32](dst), func(k int) []int32 { return Data[int32](order(k)) })
	case Int64:
		ewFoldRun[ewOpArithI[int64]](&f, Data[int64](dst), func(k int) []int64 { return Data[int64](order(k)) })
	case Uint8:
		ewFoldRun[ewOpArithI[uint8]](&f, Data[uint8](dst), func(k int) []uint8 { return Data[uint8](order(k)) })
	case Uint16:
		ewFoldRun[ewOpArithI[uint16]](&f, Data[uint16](dst), func(k int) []uint16 { return Data[uint16](order(k)) })
	case Uint32:
		ewFoldRun[ewOpArithI[uint32]](&f, Data[uint32](dst), func(k int) []uint32 { return Data[uint32](order(k)) })
	case Uint64:
		ewFoldRun[ewOpArithI[uint64]](&f, Data[uint64](dst), func(k int) []uint64 { return Data[uint64](order(k)) })
	}
	return nil
}

// variadicBroadcastError is BroadcastShape's error for the inputs' shapes.
func variadicBroadcastError(in []*Tensor) error {
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = t.Shape
	}
	_, err := BroadcastShape(shapes...)
	return err
}

// ewFold is a fold of n inputs, taken in the given order, over the broadcast shape.
type ewFold struct {
	x     *Exec
	op    int
	shape []int
	n     int
	order func(k int) *Tensor
}

// ewFoldRun computes d = in(0) op in(1) op ... with F's loop, in(k) being the data of input k.
func ewFoldRun[F ewOp2[T, T, T], T ewNum](f *ewFold, d []T, in func(k int) []T) {
	if len(d) == 0 {
		return
	}
	if f.n == 1 {
		// One input has the output's shape; copy unless it is the output's storage.
		if s := in(0); &s[0] != &d[0] {
			copy(d, s)
		}
		return
	}
	l := ewNewLayout(f.x, f.shape, f.order(0).Shape, f.order(1).Shape)
	ewRun2[F](f.x, &l, 1, d, in(0), in(1), f.op)
	for k := 2; k < f.n; k++ {
		l := ewNewLayout(f.x, f.shape, f.shape, f.order(k).Shape)
		ewRun2[F](f.x, &l, 1, d, d, in(k), f.op)
	}
}

// ewScale divides a sum by the number of inputs (Mean).
func ewScale[T ewFloat](d []T, n int) {
	k := T(n)
	for i := range d {
		d[i] /= k
	}
}

// WhereParams configures Where (it has no attributes).
type WhereParams struct{}

// Where picks X where the condition is true and Y elsewhere, the three broadcast together. It
// moves bits, so it dispatches on element size only.
func Where(x *Exec, _ *WhereParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	c, a, b := in[0], in[1], in[2]
	if c.DType != Bool {
		return fmt.Errorf("condition has type %s, want bool", c.DType)
	}
	if a.DType != b.DType {
		return fmt.Errorf("X and Y types %s and %s differ", a.DType, b.DType)
	}
	if !a.DType.Valid() {
		return fmt.Errorf("where of %s is not supported", a.DType)
	}
	shape, err := broadcastShape(x, c.Shape, a.Shape, b.Shape)
	if err != nil {
		return err
	}
	lv := ewNewLayout(x, shape, c.Shape, a.Shape, b.Shape)
	l := &lv
	out[0].Resize(a.DType, shape...)
	cd := Data[bool](c)
	switch {
	case a.DType == String:
		ewWhere(x, l, out[0].Strs, cd, a.Strs, b.Strs)
	case a.DType.Size() == 1:
		ewWhere(x, l, Data[uint8](out[0]), cd, Data[uint8](a), Data[uint8](b))
	case a.DType.Size() == 2:
		ewWhere(x, l, Data[uint16](out[0]), cd, Data[uint16](a), Data[uint16](b))
	case a.DType.Size() == 4:
		ewWhere(x, l, Data[uint32](out[0]), cd, Data[uint32](a), Data[uint32](b))
	default:
		ewWhere(x, l, Data[uint64](out[0]), cd, Data[uint64](a), Data[uint64](b))
	}
	return nil
}

// ewWhere walks the rows; each operand's inner stride is 0 or 1, so indexing by i*stride covers
// both the contiguous and the repeated case in one loop.
func ewWhere[T any](x *Exec, l *ewLayout, d []T, c []bool, a, b []T) {
	n, cost := l.work(1)
	parFor(x.Pool, n, cost, ewWhereJob[T]{l: *l, d: d, c: c, a: a, b: b})
}

type ewWhereJob[T any] struct {
	l       ewLayout
	d, a, b []T
	c       []bool
}

func (j ewWhereJob[T]) run(lo, hi int) {
	sc, sa, sb := j.l.inner(0), j.l.inner(1), j.l.inner(2)
	d, c, a, b := j.d, j.c, j.a, j.b
	j.l.walk(lo, hi, 1, func(o, cnt int, off [ewMaxOps]int) {
		dd := d[o : o+cnt]
		if sc == 1 && sa == 1 && sb == 1 {
			cc, aa, bb := c[off[0]:off[0]+cnt], a[off[1]:off[1]+cnt], b[off[2]:off[2]+cnt]
			for i := range dd {
				if cc[i] {
					dd[i] = aa[i]
				} else {
					dd[i] = bb[i]
				}
			}
			return
		}
		for i := range dd {
			if c[off[0]+i*sc] {
				dd[i] = a[off[1]+i*sa]
			} else {
				dd[i] = b[off[2]+i*sb]
			}
		}
	})
}

// ClipParams configures Clip (it has no attributes: min and max are inputs 1 and 2).
type ClipParams struct{}

// Clip limits X to [min, max], each bound optional (absent inputs are nil). With min > max every
// element becomes max, as numpy's clip gives; NaN elements stay NaN.
func Clip(x *Exec, _ *ClipParams, out, in []*Tensor) error {
	src := in[0]
	dt := src.DType
	if !(dt.IsFloat() || dt.IsInt()) {
		return fmt.Errorf("clip of %s is not supported", dt)
	}
	var bounds [2]*Tensor
	for i := range bounds {
		if i+1 < len(in) && in[i+1] != nil {
			t := in[i+1]
			if t.DType != dt {
				return fmt.Errorf("bound type %s differs from input type %s", t.DType, dt)
			}
			if t.Len() > 1 {
				return fmt.Errorf("bound of shape %v is not a scalar", t.Shape)
			}
			if t.Len() == 1 {
				bounds[i] = t
			}
		}
	}
	out[0].Resize(dt, src.Shape...)
	switch dt {
	case Float32:
		ewClip(x, Data[float32](out[0]), Data[float32](src), bounds)
	case Float64:
		ewClip(x, Data[float64](out[0]), Data[float64](src), bounds)
	case Float16, BFloat16:
		var lh [2]float32
		var has [2]bool
		for i, t := range bounds {
			if t != nil {
				ewHalfLoad(dt, lh[i:i+1], Data[uint16](t))
				has[i] = true
			}
		}
		s := Data[uint16](src)
		parFor(x.Pool, len(s), 1, ewHalfClipJob{dt: dt, d: Data[uint16](out[0]), s: s, lim: lh, has: has})
	case Int8:
		ewClip(x, Data[int8](out[0]), Data[int8](src), bounds)
	case Int16:
		ewClip(x, Data[int16](out[0]), Data[int16](src), bounds)
	case Int32:
		ewClip(x, Data[int32](out[0]), Data[int32](src), bounds)
	case Int64:
		ewClip(x, Data[int64](out[0]), Data[int64](src), bounds)
	case Uint8:
		ewClip(x, Data[uint8](out[0]), Data[uint8](src), bounds)
	case Uint16:
		ewClip(x, Data[uint16](out[0]), Data[uint16](src), bounds)
	case Uint32:
		ewClip(x, Data[uint32](out[0]), Data[uint32](src), bounds)
	case Uint64:
		ewClip(x, Data[uint64](out[0]), Data[uint64](src), bounds)
	}
	return nil
}

func ewClip[T ewNum](x *Exec, d, s []T, bounds [2]*Tensor) {
	var lim [2]T
	var has [2]bool
	for i, t := range bounds {
		if t != nil {
			lim[i], has[i] = Data[T](t)[0], true
		}
	}
	parFor(x.Pool, len(s), 1, ewClipJob[T]{d: d, s: s, lim: lim, has: has})
}

type ewClipJob[T ewNum] struct {
	d, s []T
	lim  [2]T
	has  [2]bool
}

func (j ewClipJob[T]) run(lo, hi int) {
	ewClipLoop(j.d[lo:hi], j.s[lo:hi], j.lim[0], j.lim[1], j.has[0], j.has[1])
}

// ewHalfClipJob is Clip of float16 or bfloat16, computed in float32 blocks.
type ewHalfClipJob struct {
	dt   DType
	d, s []uint16
	lim  [2]float32
	has  [2]bool
}

func (j ewHalfClipJob) run(lo, hi int) {
	var buf [ewBlock]float32
	for i := lo; i < hi; i += ewBlock {
		k := min(i+ewBlock, hi)
		b := buf[:k-i]
		ewHalfLoad(j.dt, b, j.s[i:k])
		ewClipLoop(b, b, j.lim[0], j.lim[1], j.has[0], j.has[1])
		ewHalfStore(j.dt, j.d[i:k], b)
	}
}

func ewClipLoop[T ewNum](d, s []T, lo, hi T, hasLo, hasHi bool) {
	d = d[:len(s)]
	switch {
	case hasLo && hasHi:
		for i, v := range s {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			d[i] = v
		}
	case hasLo:
		for i, v := range s {
			if v < lo {
				v = lo
			}
			d[i] = v
		}
	case hasHi:
		for i, v := range s {
			if v > hi {
				v = hi
			}
			d[i] = v
		}
	default:
		copy(d, s)
	}
}

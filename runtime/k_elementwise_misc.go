package runtime

import "fmt"

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
	if p.Op < 0 || p.Op >= len(variadicBinary) {
		return fmt.Errorf("variadic op code %d is unknown", p.Op)
	}
	if len(in) == 0 {
		return fmt.Errorf("needs at least one input")
	}
	dt := in[0].DType
	shapes := make([][]int, len(in))
	for i, t := range in {
		if t == nil {
			return fmt.Errorf("input %d is missing", i)
		}
		if t.DType != dt {
			return fmt.Errorf("input types %s and %s differ", dt, t.DType)
		}
		shapes[i] = t.Shape
	}
	if !(dt.IsFloat() || dt.IsInt()) || (p.Op == VariadicMean && !dt.IsFloat()) {
		return fmt.Errorf("variadic op %d of %s is not supported", p.Op, dt)
	}
	shape, err := BroadcastShape(shapes...)
	if err != nil {
		return err
	}
	op := variadicBinary[p.Op]
	dst := out[0]
	// The output may share storage with an input of its shape: fold that input in first, so it is
	// read before anything is written (the ops are commutative).
	order := append([]*Tensor(nil), in...)
	for i, t := range order {
		if t.Buf != nil && t.Buf == dst.Buf && ewSameShape(t.Shape, shape) {
			order[0], order[i] = order[i], order[0]
			break
		}
	}
	for _, t := range order[1:] {
		if t.Buf != nil && t.Buf == dst.Buf {
			// The output's storage is also a later operand (Sum(x, x) in place on x): it would be
			// overwritten before it is read, so the output gets storage of its own.
			dst.Buf = &Buffer{}
			break
		}
	}
	if ewIsHalf(dt) {
		acc := ScratchOf[float32](x, 0, NumElems(shape))
		ws := make([][]float32, len(order))
		for i, t := range order {
			ws[i] = ewHalfTensor(x, i+1, t)
		}
		ewFoldF(x, op, shape, acc, ws, order)
		if p.Op == VariadicMean {
			ewScale(acc, len(order))
		}
		dst.Resize(dt, shape...)
		ewHalfStore(dt, Data[uint16](dst), acc)
		return nil
	}
	dst.Resize(dt, shape...)
	switch dt {
	case Float32:
		d := Data[float32](dst)
		ewFoldF(x, op, shape, d, ewDatas[float32](order), order)
		if p.Op == VariadicMean {
			ewScale(d, len(order))
		}
	case Float64:
		d := Data[float64](dst)
		ewFoldF(x, op, shape, d, ewDatas[float64](order), order)
		if p.Op == VariadicMean {
			ewScale(d, len(order))
		}
	case Int8:
		ewFoldI(x, op, shape, Data[int8](dst), ewDatas[int8](order), order)
	case Int16:
		ewFoldI(x, op, shape, Data[int16](dst), ewDatas[int16](order), order)
	case Int32:
		ewFoldI(x, op, shape, Data[int32](dst), ewDatas[int32](order), order)
	case Int64:
		ewFoldI(x, op, shape, Data[int64](dst), ewDatas[int64](order), order)
	case Uint8:
		ewFoldI(x, op, shape, Data[uint8](dst), ewDatas[uint8](order), order)
	case Uint16:
		ewFoldI(x, op, shape, Data[uint16](dst), ewDatas[uint16](order), order)
	case Uint32:
		ewFoldI(x, op, shape, Data[uint32](dst), ewDatas[uint32](order), order)
	case Uint64:
		ewFoldI(x, op, shape, Data[uint64](dst), ewDatas[uint64](order), order)
	}
	return nil
}

func ewDatas[T Elem](ts []*Tensor) [][]T {
	ds := make([][]T, len(ts))
	for i, t := range ts {
		ds[i] = Data[T](t)
	}
	return ds
}

func ewFoldF[T ewFloat](x *Exec, op int, shape []int, d []T, ins [][]T, ts []*Tensor) {
	ewFold(x, shape, d, ins, ts, func(d, a, b []T) { ewArithF(op, d, a, b) })
}

func ewFoldI[T ewInt](x *Exec, op int, shape []int, d []T, ins [][]T, ts []*Tensor) {
	ewFold(x, shape, d, ins, ts, func(d, a, b []T) { ewArithI(op, d, a, b) })
}

// ewFold computes d = ins[0] vv ins[1] vv ... over the broadcast shape; ts are the inputs, for
// their shapes.
func ewFold[T ewNum](x *Exec, shape []int, d []T, ins [][]T, ts []*Tensor, vv func(d, a, b []T)) {
	if len(d) == 0 {
		return
	}
	if len(ins) == 1 {
		// One input has the output's shape; copy unless it is the output's storage.
		if &ins[0][0] != &d[0] {
			copy(d, ins[0])
		}
		return
	}
	ewRun2(x, ewNewLayout(shape, ts[0].Shape, ts[1].Shape), 1, d, ins[0], ins[1], vv)
	for k := 2; k < len(ins); k++ {
		ewRun2(x, ewNewLayout(shape, shape, ts[k].Shape), 1, d, d, ins[k], vv)
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
	shape, err := BroadcastShape(c.Shape, a.Shape, b.Shape)
	if err != nil {
		return err
	}
	l := ewNewLayout(shape, c.Shape, a.Shape, b.Shape)
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
	sc, sa, sb := l.inner(0), l.inner(1), l.inner(2)
	row := func(o, cnt int, off *[ewMaxOps]int) {
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
	}
	l.each(x, 1, 1, func() func(o, cnt int, off *[ewMaxOps]int) { return row })
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
		d, s := Data[uint16](out[0]), Data[uint16](src)
		x.Pool.For(len(s), 1, func(lo, hi int) {
			var buf [ewBlock]float32
			for i := lo; i < hi; i += ewBlock {
				j := min(i+ewBlock, hi)
				b := buf[:j-i]
				ewHalfLoad(dt, b, s[i:j])
				ewClipLoop(b, b, lh[0], lh[1], has[0], has[1])
				ewHalfStore(dt, d[i:j], b)
			}
		})
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
	x.Pool.For(len(s), 1, func(lo, hi int) { ewClipLoop(d[lo:hi], s[lo:hi], lim[0], lim[1], has[0], has[1]) })
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

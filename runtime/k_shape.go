package runtime

import (
	"fmt"
	"math"
)

// Kernels that only change a tensor's shape (and may alias their input's storage), and kernels
// that make tensors from shapes: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size,
// ConstantOfShape, Range, EyeLike.

// ReshapeParams: with AllowZero, a 0 in the shape means a zero dim rather than "copy the
// input's dim".
type ReshapeParams struct {
	AllowZero bool
}

// Reshape gives its input a new shape without moving data (ONNX Reshape).
func Reshape(x *Exec, p *ReshapeParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	want, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Reshape: shape: %w", err)
	}
	shape, err := reshapeDimsInto(x.Ints(len(want)), in[0].Shape, want, p.AllowZero)
	if err != nil {
		return fmt.Errorf("Reshape: %w", err)
	}
	out[0].Alias(in[0], shape...)
	return nil
}

// ReshapeDims resolves a Reshape shape (with its 0 and -1 entries) against the input shape.
func ReshapeDims(in []int, want []int64, allowZero bool) ([]int, error) {
	return reshapeDimsInto(make([]int, len(want)), in, want, allowZero)
}

// reshapeDimsInto is ReshapeDims into shape (len(want) long, zeroed).
func reshapeDimsInto(shape, in []int, want []int64, allowZero bool) ([]int, error) {
	neg := -1
	known := 1
	for i, d := range want {
		switch {
		case d == -1:
			if neg >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", want)
			}
			neg = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dim %d of a rank-%d input", want, i, len(in))
			}
			shape[i] = in[i]
		case d < 0:
			return nil, fmt.Errorf("shape %v has a negative dim", want)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	total := NumElems(in)
	if neg >= 0 {
		if known == 0 {
			if total != 0 {
				return nil, fmt.Errorf("cannot infer the -1 of %v for %d elements", want, total)
			}
			shape[neg] = 0
		} else {
			if total%known != 0 {
				return nil, fmt.Errorf("cannot reshape %v to %v", in, want)
			}
			shape[neg] = total / known
		}
	}
	if NumElems(shape) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, want)
	}
	return shape, nil
}

// FlattenParams: Axis may be negative (counted from the rank).
type FlattenParams struct {
	Axis int
}

// Flatten reshapes to 2-D, splitting the dims before Axis from those after (ONNX Flatten).
func Flatten(x *Exec, p *FlattenParams, out, in []*Tensor) error {
	r := len(in[0].Shape)
	axis := p.Axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis > r {
		return fmt.Errorf("Flatten: axis %d out of range for rank %d", p.Axis, r)
	}
	out[0].Alias(in[0], NumElems(in[0].Shape[:axis]), NumElems(in[0].Shape[axis:]))
	return nil
}

// Squeeze removes the dims of size 1 listed in the optional axes input, or all of them
// (ONNX Squeeze).
func Squeeze(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	drop := arenaOf[bool](x, r)
	if len(in) > 1 && in[1] != nil {
		axes, err := mvInts(x, in[1])
		if err != nil {
			return fmt.Errorf("Squeeze: axes: %w", err)
		}
		for _, a := range axes {
			k, err := mvAxis(int(a), r)
			if err != nil {
				return fmt.Errorf("Squeeze: %w", err)
			}
			if src.Shape[k] != 1 {
				return fmt.Errorf("Squeeze: dim %d of shape %v is not 1", k, src.Shape)
			}
			drop[k] = true
		}
	} else {
		for i, d := range src.Shape {
			drop[i] = d == 1
		}
	}
	shape := x.Ints(r)[:0]
	for i, d := range src.Shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	out[0].Alias(src, shape...)
	return nil
}

// Unsqueeze inserts dims of size 1 at the positions (in the output) listed in the axes input
// (ONNX Unsqueeze).
func Unsqueeze(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	axes, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Unsqueeze: axes: %w", err)
	}
	r := len(src.Shape) + len(axes)
	ins := arenaOf[bool](x, r)
	for _, a := range axes {
		k, err := mvAxis(int(a), r)
		if err != nil {
			return fmt.Errorf("Unsqueeze: %w", err)
		}
		if ins[k] {
			return fmt.Errorf("Unsqueeze: axis %d repeated", k)
		}
		ins[k] = true
	}
	shape := x.Ints(r)
	j := 0
	for i := range shape {
		if ins[i] {
			shape[i] = 1
			continue
		}
		shape[i] = src.Shape[j]
		j++
	}
	out[0].Alias(src, shape...)
	return nil
}

// ShapeParams: the output is dims [Start, End) of the input's shape; negative values count from
// the end and both are clamped to [0, rank]. HasEnd false means End is the rank.
type ShapeParams struct {
	Start  int
	End    int
	HasEnd bool
}

// ShapeRange resolves Shape's start and end attributes for a rank.
func ShapeRange(start, end int, hasEnd bool, rank int) (int, int) {
	if !hasEnd {
		end = rank
	}
	clamp := func(v int) int {
		if v < 0 {
			v += rank
		}
		return min(max(v, 0), rank)
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	return start, end
}

// Shape outputs its input's shape as int64 (ONNX Shape).
func Shape(x *Exec, p *ShapeParams, out, in []*Tensor) error {
	s, e := ShapeRange(p.Start, p.End, p.HasEnd, len(in[0].Shape))
	out[0].Resize(Int64, e-s)
	d := Data[int64](out[0])
	for i := range d {
		d[i] = int64(in[0].Shape[s+i])
	}
	return nil
}

// Size outputs its input's element count as an int64 scalar (ONNX Size).
func Size(x *Exec, _ *struct{}, out, in []*Tensor) error {
	out[0].Resize(Int64)
	Data[int64](out[0])[0] = int64(in[0].Len())
	return nil
}

// ConstantOfShapeParams: the fill value, as Float for floating types and Int for integer and
// bool types, so that 64-bit integers keep every bit.
type ConstantOfShapeParams struct {
	DType DType
	Float float64
	Int   int64
}

// ConstantOfShape makes a tensor of the shape given by its input, filled with a value (ONNX
// ConstantOfShape).
func ConstantOfShape(x *Exec, p *ConstantOfShapeParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	dims, err := mvInts(x, in[0])
	if err != nil {
		return fmt.Errorf("ConstantOfShape: %w", err)
	}
	shape := x.Ints(len(dims))
	for i, d := range dims {
		if d < 0 {
			return fmt.Errorf("ConstantOfShape: negative dim in %v", dims)
		}
		shape[i] = int(d)
	}
	out[0].Resize(p.DType, shape...)
	return mvFillScalar(out[0], p.Float, p.Int)
}

// mvFillScalar sets every element of t to a value given as a float (for floating types) and an
// integer (for integer and bool types).
func mvFillScalar(t *Tensor, f float64, i int64) error {
	switch t.DType {
	case Float32:
		mvFill(Data[float32](t), float32(f))
	case Float64:
		mvFill(Data[float64](t), f)
	case Float16:
		mvFill(Data[F16](t), ToF16(float32(f)))
	case BFloat16:
		mvFill(Data[BF16](t), ToBF16(float32(f)))
	case Int8:
		mvFill(Data[int8](t), int8(i))
	case Int16:
		mvFill(Data[int16](t), int16(i))
	case Int32:
		mvFill(Data[int32](t), int32(i))
	case Int64:
		mvFill(Data[int64](t), i)
	case Uint8:
		mvFill(Data[uint8](t), uint8(i))
	case Uint16:
		mvFill(Data[uint16](t), uint16(i))
	case Uint32:
		mvFill(Data[uint32](t), uint32(i))
	case Uint64:
		mvFill(Data[uint64](t), uint64(i))
	case Bool:
		mvFill(Data[bool](t), i != 0)
	case String:
		mvFill(t.Strs, "")
	default:
		return fmt.Errorf("cannot fill a %s tensor", t.DType)
	}
	return nil
}

func mvFill[T any](d []T, v T) {
	if len(d) == 0 {
		return
	}
	d[0] = v
	// Doubling copies: a memmove per step rather than a store per element.
	for k := 1; k < len(d); k *= 2 {
		copy(d[k:], d[:k])
	}
}

// Range makes the sequence start, start+delta, ... up to but not including limit (ONNX Range).
// The three inputs are scalars of the output's type.
func Range(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	n, err := rangeLen(x, in[0], in[1], in[2])
	if err != nil {
		return err
	}
	dt := in[0].DType
	o := out[0]
	o.Resize(dt, n)
	if dt.IsInt() {
		s, _ := mvInts(x, in[0])
		d, _ := mvInts(x, in[2])
		v := arenaOf[int64](x, n)
		for i := range v {
			v[i] = s[0] + int64(i)*d[0]
		}
		return mvStoreInts(o, v)
	}
	s, _ := mvNumbers(x, in[0])
	d, _ := mvNumbers(x, in[2])
	start, delta := s[0], d[0]
	switch dt {
	case Float32:
		// start + i*delta in float32, as the reference computes it.
		v := Data[float32](o)
		s, d := float32(start), float32(delta)
		for i := range v {
			v[i] = s + float32(i)*d
		}
	case Float64:
		v := Data[float64](o)
		for i := range v {
			v[i] = start + float64(i)*delta
		}
	case Float16:
		v := Data[F16](o)
		for i := range v {
			v[i] = ToF16(float32(start + float64(i)*delta))
		}
	case BFloat16:
		v := Data[BF16](o)
		for i := range v {
			v[i] = ToBF16(float32(start + float64(i)*delta))
		}
	}
	return nil
}

// RangeLen is the number of elements Range makes: max(ceil((limit-start)/delta), 0). Shape
// inference calls it on constant inputs.
func RangeLen(start, limit, delta *Tensor) (int, error) { return rangeLen(nil, start, limit, delta) }

// rangeLen is RangeLen with its scratch in x's arena.
func rangeLen(x *Exec, start, limit, delta *Tensor) (int, error) {
	dt := start.DType
	for i, t := range [...]*Tensor{start, limit, delta} {
		if t.Len() != 1 || t.DType != dt {
			return 0, fmt.Errorf("Range: input %d is %v, want a %s scalar", i, t, dt)
		}
	}
	if dt.IsInt() {
		s, _ := mvInts(x, start)
		l, _ := mvInts(x, limit)
		d, _ := mvInts(x, delta)
		switch {
		case d[0] == 0:
			return 0, fmt.Errorf("Range: delta is 0")
		case d[0] > 0 && l[0] > s[0]:
			return int((l[0] - s[0] + d[0] - 1) / d[0]), nil
		case d[0] < 0 && l[0] < s[0]:
			return int((s[0] - l[0] - d[0] - 1) / -d[0]), nil
		}
		return 0, nil
	}
	if !dt.IsFloat() {
		return 0, fmt.Errorf("Range: unsupported element type %s", dt)
	}
	s, _ := mvNumbers(x, start)
	l, _ := mvNumbers(x, limit)
	d, _ := mvNumbers(x, delta)
	if d[0] == 0 {
		return 0, fmt.Errorf("Range: delta is 0")
	}
	c := math.Ceil((l[0] - s[0]) / d[0])
	if c <= 0 {
		return 0, nil
	}
	if c != c || c > math.MaxInt32 {
		return 0, fmt.Errorf("Range: %g to %g by %g has no reasonable length", s[0], l[0], d[0])
	}
	return int(c), nil
}

// mvStoreInts writes int64 values into an integer tensor of any integer type (truncating).
func mvStoreInts(t *Tensor, v []int64) error {
	switch t.DType {
	case Int64:
		copy(Data[int64](t), v)
	case Int32:
		d := Data[int32](t)
		for i := range d {
			d[i] = int32(v[i])
		}
	case Int16:
		d := Data[int16](t)
		for i := range d {
			d[i] = int16(v[i])
		}
	case Int8:
		d := Data[int8](t)
		for i := range d {
			d[i] = int8(v[i])
		}
	case Uint8:
		d := Data[uint8](t)
		for i := range d {
			d[i] = uint8(v[i])
		}
	case Uint16:
		d := Data[uint16](t)
		for i := range d {
			d[i] = uint16(v[i])
		}
	case Uint32:
		d := Data[uint32](t)
		for i := range d {
			d[i] = uint32(v[i])
		}
	case Uint64:
		d := Data[uint64](t)
		for i := range d {
			d[i] = uint64(v[i])
		}
	default:
		return fmt.Errorf("element type %s is not an integer type", t.DType)
	}
	return nil
}

// EyeLikeParams: DType is the output type (Undefined: the input's); K is the diagonal offset.
type EyeLikeParams struct {
	DType DType
	K     int
}

// EyeLike makes a 2-D tensor of its input's shape with ones on diagonal K (ONNX EyeLike).
func EyeLike(x *Exec, p *EyeLikeParams, out, in []*Tensor) error {
	if len(in[0].Shape) != 2 {
		return fmt.Errorf("EyeLike: input rank %d, want 2", len(in[0].Shape))
	}
	dt := p.DType
	if dt == Undefined {
		dt = in[0].DType
	}
	r, c := in[0].Shape[0], in[0].Shape[1]
	o := out[0]
	o.Resize(dt, r, c)
	if err := mvFillScalar(o, 0, 0); err != nil {
		return fmt.Errorf("EyeLike: %w", err)
	}
	one := New(dt, 1)
	if err := mvFillScalar(one, 1, 1); err != nil {
		return fmt.Errorf("EyeLike: %w", err)
	}
	es := dt.Size()
	b, ob := o.Bytes(), one.Bytes()
	for i := 0; i < r; i++ {
		if j := i + p.K; j >= 0 && j < c {
			copy(b[(i*c+j)*es:], ob)
		}
	}
	return nil
}

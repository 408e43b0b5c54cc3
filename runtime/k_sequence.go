package runtime

import "fmt"

// Sequence and optional kernels (ONNX SequenceConstruct ... OptionalGetElement).
//
// A sequence value is a Tensor with IsSeq set and its elements in Seq. Elements are never
// changed once they are in a sequence, so a kernel may put an element of an input sequence into
// its output sequence as is; a plain tensor input is cloned first, because its storage is a
// planned buffer that later nodes reuse. An output's Seq is always a fresh slice (CopyFrom
// appends into a sequence's slice, which must therefore never be shared). These kernels
// allocate: sequences are not on the static, allocation-free path.

// setSeq makes out the sequence of elems (a fresh slice) with element type dt.
func setSeq(out *Tensor, dt DType, elems []*Tensor) {
	out.IsSeq, out.None = true, false
	out.DType = dt
	out.Shape = out.Shape[:0]
	out.Strs = nil
	out.Seq = elems
}

// seqInput checks that t is a sequence.
func seqInput(t *Tensor, what string) error {
	if t == nil || !t.IsSeq {
		return fmt.Errorf("%s: want a sequence, got %v", what, t)
	}
	return nil
}

// seqPos reads a position tensor (a scalar int32 or int64) and checks it against [lo, hi]
// after adding n to a negative position.
func seqPos(t *Tensor, n, lo, hi int) (int, error) {
	if t.Len() != 1 || (t.DType != Int64 && t.DType != Int32) {
		return 0, fmt.Errorf("position: want one int32 or int64, got %v", t)
	}
	var p int
	if t.DType == Int64 {
		p = int(Data[int64](t)[0])
	} else {
		p = int(Data[int32](t)[0])
	}
	if p < 0 {
		p += n
	}
	if p < lo || p > hi {
		return 0, fmt.Errorf("position %d out of range for a sequence of %d", p, n)
	}
	return p, nil
}

// SequenceEmptyParams: DType is the element type of the empty sequence.
type SequenceEmptyParams struct {
	DType DType
}

// SequenceEmpty makes an empty sequence (ONNX SequenceEmpty).
func SequenceEmpty(x *Exec, p *SequenceEmptyParams, out, in []*Tensor) error {
	setSeq(out[0], p.DType, []*Tensor{})
	return nil
}

// SequenceConstruct makes a sequence of copies of its inputs (ONNX SequenceConstruct).
func SequenceConstruct(x *Exec, _ *struct{}, out, in []*Tensor) error {
	elems := make([]*Tensor, len(in))
	for i, t := range in {
		if t.IsSeq || t.None || t.DType != in[0].DType {
			return fmt.Errorf("input %d is %v, input 0 is %v", i, t, in[0])
		}
		elems[i] = t.Clone()
	}
	setSeq(out[0], in[0].DType, elems)
	return nil
}

// SequenceInsert inserts a copy of tensor in[1] into sequence in[0] at position in[2] (at the
// end when absent) (ONNX SequenceInsert).
func SequenceInsert(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	seq, t := in[0].Seq, in[1]
	if t.IsSeq || t.None {
		return fmt.Errorf("input 1: want a tensor")
	}
	if len(seq) > 0 && t.DType != in[0].DType {
		return fmt.Errorf("inserting %v into a sequence of %v", t, in[0].DType)
	}
	pos := len(seq)
	if len(in) > 2 && in[2] != nil {
		var err error
		if pos, err = seqPos(in[2], len(seq), 0, len(seq)); err != nil {
			return err
		}
	}
	elems := make([]*Tensor, 0, len(seq)+1)
	elems = append(elems, seq[:pos]...)
	elems = append(elems, t.Clone())
	elems = append(elems, seq[pos:]...)
	setSeq(out[0], t.DType, elems)
	return nil
}

// SequenceAt copies element in[1] of sequence in[0] (ONNX SequenceAt).
func SequenceAt(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	n := len(in[0].Seq)
	pos, err := seqPos(in[1], n, 0, n-1)
	if err != nil {
		return err
	}
	out[0].CopyFrom(in[0].Seq[pos])
	return nil
}

// SequenceErase removes element in[1] (the last when absent) of sequence in[0] (ONNX
// SequenceErase).
func SequenceErase(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	seq := in[0].Seq
	pos := len(seq) - 1
	if len(in) > 1 && in[1] != nil {
		var err error
		if pos, err = seqPos(in[1], len(seq), 0, len(seq)-1); err != nil {
			return err
		}
	} else if pos < 0 {
		return fmt.Errorf("erasing from an empty sequence")
	}
	elems := make([]*Tensor, 0, len(seq)-1)
	elems = append(elems, seq[:pos]...)
	elems = append(elems, seq[pos+1:]...)
	setSeq(out[0], in[0].DType, elems)
	return nil
}

// SequenceLength is the number of elements of sequence in[0] as an int64 scalar (ONNX
// SequenceLength).
func SequenceLength(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	out[0].Resize(Int64)
	Data[int64](out[0])[0] = int64(len(in[0].Seq))
	return nil
}

// SplitToSequenceParams: Axis may be negative; KeepDims applies only without a split input.
type SplitToSequenceParams struct {
	Axis     int
	KeepDims bool
}

// SplitToSequence cuts in[0] along an axis into a sequence (ONNX SplitToSequence): into parts
// of the sizes in in[1] (a 1-D tensor), into parts of in[1]'s size (a scalar; the last part
// may be smaller), or, without in[1], into parts of size 1, whose axis is dropped unless
// KeepDims.
func SplitToSequence(x *Exec, p *SplitToSequenceParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	axis, err := mvAxis(p.Axis, len(src.Shape))
	if err != nil {
		return err
	}
	dim := src.Shape[axis]
	var sizes []int64
	squeeze := false
	var split *Tensor
	if len(in) > 1 {
		split = in[1]
	}
	switch {
	case split == nil:
		sizes = make([]int64, dim)
		for i := range sizes {
			sizes[i] = 1
		}
		squeeze = !p.KeepDims
	case len(split.Shape) == 0:
		s, err := mvInts(x, split)
		if err != nil {
			return fmt.Errorf("split: %w", err)
		}
		c := int(s[0])
		if c <= 0 {
			return fmt.Errorf("split size %d is not positive", c)
		}
		for at := 0; at < dim; at += c {
			sizes = append(sizes, int64(min(c, dim-at)))
		}
	case len(split.Shape) == 1:
		s, err := mvInts(x, split)
		if err != nil {
			return fmt.Errorf("split: %w", err)
		}
		sizes = append(sizes, s...)
	default:
		return fmt.Errorf("split: want a scalar or a 1-D tensor, got %v", split)
	}
	elems := make([]*Tensor, len(sizes))
	for i := range elems {
		elems[i] = &Tensor{Buf: &Buffer{}}
	}
	if len(elems) > 0 {
		st := New(Int64, len(sizes))
		copy(Data[int64](st), sizes)
		if err := Split(x, &SplitParams{Axis: axis}, elems, []*Tensor{src, st}); err != nil {
			return err
		}
	}
	if squeeze {
		for _, e := range elems {
			e.Shape = append(e.Shape[:axis], e.Shape[axis+1:]...)
		}
	}
	setSeq(out[0], src.DType, elems)
	return nil
}

// ConcatFromSequenceParams: Axis may be negative (in [-r-1, r] with NewAxis).
type ConcatFromSequenceParams struct {
	Axis    int
	NewAxis bool
}

// ConcatFromSequence joins the elements of sequence in[0] along an axis, or stacks them along
// a new one (ONNX ConcatFromSequence).
func ConcatFromSequence(x *Exec, p *ConcatFromSequenceParams, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	seq := in[0].Seq
	if len(seq) == 0 {
		return fmt.Errorf("concatenating an empty sequence")
	}
	if !p.NewAxis {
		return Concat(x, &ConcatParams{Axis: p.Axis}, out, seq)
	}
	r := len(seq[0].Shape)
	axis, err := mvAxis(p.Axis, r+1)
	if err != nil {
		return err
	}
	// Stack: view each element with a 1 inserted at axis, then concatenate.
	views := make([]*Tensor, len(seq))
	for i, e := range seq {
		shape := make([]int, 0, len(e.Shape)+1)
		if axis <= len(e.Shape) {
			shape = append(append(append(shape, e.Shape[:axis]...), 1), e.Shape[axis:]...)
		} else {
			return fmt.Errorf("element %d is %v, element 0 is %v", i, e, seq[0])
		}
		views[i] = &Tensor{DType: e.DType, Shape: shape, Buf: e.Buf, Strs: e.Strs}
	}
	return Concat(x, &ConcatParams{Axis: axis}, out, views)
}

// SequenceMapParams holds SequenceMap's body.
type SequenceMapParams struct {
	Body Body
}

// SequenceMap runs its body once per element of sequence in[0] (ONNX SequenceMap). The body's
// inputs are element i of each sequence input and each tensor input as is; output k collects
// the body's output k of every iteration into a sequence.
func SequenceMap(x *Exec, p *SequenceMapParams, out, in []*Tensor) error {
	if err := seqInput(in[0], "input 0"); err != nil {
		return err
	}
	n := len(in[0].Seq)
	for j, t := range in[1:] {
		if t != nil && t.IsSeq && len(t.Seq) != n {
			return fmt.Errorf("input %d has %d elements, input 0 %d", j+1, len(t.Seq), n)
		}
	}
	bodyIn := make([]*Tensor, len(in))
	bodyOut := make([]*Tensor, len(out))
	for k := range bodyOut {
		bodyOut[k] = &Tensor{}
	}
	res := make([][]*Tensor, len(out))
	for i := 0; i < n; i++ {
		for j, t := range in {
			bodyIn[j] = t
			if t != nil && t.IsSeq {
				bodyIn[j] = t.Seq[i]
			}
		}
		if err := p.Body(bodyOut, bodyIn); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		for k, o := range bodyOut {
			res[k] = append(res[k], o.Clone())
		}
	}
	for k, o := range out {
		dt := DType(0)
		if len(res[k]) > 0 {
			dt = res[k][0].DType
		} else if res[k] == nil {
			res[k] = []*Tensor{}
		}
		setSeq(o, dt, res[k])
	}
	return nil
}

// Optional wraps in[0] (a tensor or a sequence) in an optional, or makes an empty optional
// when there is no input (ONNX Optional).
func Optional(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if len(in) == 0 || in[0] == nil {
		setNone(out[0])
		return nil
	}
	out[0].CopyFrom(in[0])
	return nil
}

// setNone makes t an empty optional.
func setNone(t *Tensor) {
	t.None, t.IsSeq, t.Seq = true, false, nil
	t.Shape = t.Shape[:0]
	t.Strs = nil
}

// OptionalHasElement says, as a bool scalar, whether in[0] holds a value: false for an absent
// input or an empty optional (ONNX OptionalHasElement).
func OptionalHasElement(x *Exec, _ *struct{}, out, in []*Tensor) error {
	has := len(in) > 0 && in[0] != nil && !in[0].None
	out[0].Resize(Bool)
	Data[bool](out[0])[0] = has
	return nil
}

// OptionalGetElement copies the value an optional holds; a tensor or sequence input is copied
// as is (ONNX OptionalGetElement). An empty optional is an error.
func OptionalGetElement(x *Exec, _ *struct{}, out, in []*Tensor) error {
	if in[0].None {
		return fmt.Errorf("the optional input is empty")
	}
	out[0].CopyFrom(in[0])
	return nil
}

package runtime

import (
	"fmt"
	"strings"
	"unsafe"
)

// Tensor is a dense row-major tensor. Numeric and bool elements live in one 8-byte aligned
// buffer viewed as a typed slice with Data; strings live in Strs. Shape is in elements; Strides
// is derived and kept only for kernels that need it.
//
// Storage is a *Buffer so that the memory planner can let several tensors whose lifetimes do not
// overlap share one allocation, and so that Reshape-like ops can alias their input.
type Tensor struct {
	DType DType
	Shape []int
	Buf   *Buffer
	Strs  []string
	// IsSeq marks a sequence value (ONNX sequence types): its elements are in Seq, and DType
	// is their element type. Shape and storage are unused.
	IsSeq bool
	Seq   []*Tensor
	// None marks an optional value that holds nothing.
	None bool
}

// MaxTensorBytes bounds one tensor's storage. A model whose Expand, ConstantOfShape or Range
// asks for more at run time (a hostile one, or one given absurd inputs) fails with a
// *TooLargeError, which the generated Run returns, instead of the process dying out of memory.
// Programs that need bigger tensors may raise it before running.
var MaxTensorBytes int64 = 16 << 30

// TooLargeError is a tensor that would exceed MaxTensorBytes (or whose size overflows).
type TooLargeError struct {
	DType DType
	Shape []int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("a %s%v tensor would exceed the limit of %d bytes (runtime.MaxTensorBytes, which onnxc --max-tensor-bytes sets)", e.DType, e.Shape, MaxTensorBytes)
}

// checkedSize is the element count of shape; it panics with a *TooLargeError when the
// tensor's bytes overflow or exceed MaxTensorBytes, and for negative dims.
func checkedSize(dt DType, shape []int) int {
	n, size := int64(1), int64(max(dt.Size(), 1))
	if dt == String {
		size = 16 // a string header
	}
	for _, d := range shape {
		if d == 0 {
			// An empty tensor holds nothing, however large its other dims.
			return checkedEmpty(dt, shape)
		}
	}
	for _, d := range shape {
		if d < 0 || n > MaxTensorBytes/size/int64(d) {
			panic(&TooLargeError{DType: dt, Shape: append([]int(nil), shape...)})
		}
		n *= int64(d)
	}
	return int(n)
}

func checkedEmpty(dt DType, shape []int) int {
	for _, d := range shape {
		if d < 0 {
			panic(&TooLargeError{DType: dt, Shape: append([]int(nil), shape...)})
		}
	}
	return 0
}

// PanicError turns a panic recovered in a generated Run into its error: a *TooLargeError as
// it is, anything else as an internal error.
func PanicError(r any) error {
	if e, ok := r.(*TooLargeError); ok {
		return e
	}
	if e, ok := r.(error); ok {
		return fmt.Errorf("internal error: %w", e)
	}
	return fmt.Errorf("internal error: %v", r)
}

// Buffer is raw tensor storage, aligned for every element type.
type Buffer struct{ words []uint64 }

// Grow makes the buffer hold at least n bytes, keeping nothing when it must reallocate.
func (b *Buffer) Grow(n int) {
	w := (n + 7) / 8
	if cap(b.words) < w {
		b.words = make([]uint64, w)
	}
	b.words = b.words[:w]
}

// Bytes is the buffer's storage as bytes.
func (b *Buffer) Bytes() []byte {
	if len(b.words) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&b.words[0])), len(b.words)*8)
}

// Elem is the set of Go types that back numeric and bool tensors. Float16 and BFloat16 tensors
// are stored as their bit patterns (the F16 and BF16 types).
type Elem interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~bool
}

// F16 is an IEEE 754 half-precision value's bit pattern.
type F16 uint16

// BF16 is a bfloat16 value's bit pattern.
type BF16 uint16

// New returns a tensor of the given type and shape, zero-filled, with storage of its own.
func New(dt DType, shape ...int) *Tensor {
	t := &Tensor{Buf: &Buffer{}}
	t.Resize(dt, shape...)
	return t
}

// NumElems is the product of the shape (1 for a scalar).
func NumElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElems(t.Shape) }

// Resize sets the type and shape and makes sure the storage holds that many elements. Existing
// storage is reused when it is large enough, so a steady-state run allocates nothing; contents
// are not preserved or cleared.
func (t *Tensor) Resize(dt DType, shape ...int) {
	t.DType = dt
	if cap(t.Shape) >= len(shape) {
		t.Shape = t.Shape[:len(shape)]
	} else {
		t.Shape = make([]int, len(shape))
	}
	copy(t.Shape, shape)
	n := checkedSize(dt, shape)
	if dt == String {
		if cap(t.Strs) < n {
			t.Strs = make([]string, n)
		}
		t.Strs = t.Strs[:n]
		return
	}
	if t.Buf == nil {
		t.Buf = &Buffer{}
	}
	t.Buf.Grow(n * dt.Size())
}

// Data views a tensor's storage as a []T of exactly Len elements. T must match the tensor's
// element type in size; kernels call it once per call, never per element.
func Data[T Elem](t *Tensor) []T {
	n := t.Len()
	if n == 0 || t.Buf == nil || len(t.Buf.words) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&t.Buf.words[0])), n)
}

// Bytes is the tensor's data as bytes (little-endian element encoding, as on every platform Go
// supports for this runtime).
func (t *Tensor) Bytes() []byte {
	if t.DType == String || t.Buf == nil {
		return nil
	}
	return t.Buf.Bytes()[:t.Len()*t.DType.Size()]
}

// Alias makes t share src's storage under a new shape (Reshape, Squeeze, Flatten, Identity).
func (t *Tensor) Alias(src *Tensor, shape ...int) {
	t.DType = src.DType
	t.Buf = src.Buf
	t.Strs = src.Strs
	if cap(t.Shape) >= len(shape) {
		t.Shape = t.Shape[:len(shape)]
	} else {
		t.Shape = make([]int, len(shape))
	}
	copy(t.Shape, shape)
}

// CopyFrom makes t an independent copy of src.
func (t *Tensor) CopyFrom(src *Tensor) {
	t.IsSeq, t.None = src.IsSeq, src.None
	if src.IsSeq || t.Seq != nil {
		t.DType = src.DType
		t.Seq = t.Seq[:0]
		for _, e := range src.Seq {
			t.Seq = append(t.Seq, e.Clone())
		}
		if src.IsSeq {
			return
		}
		t.Seq = nil
	}
	if t.Buf == src.Buf && t.Buf != nil {
		t.Buf = &Buffer{}
	}
	t.Resize(src.DType, src.Shape...)
	if src.DType == String {
		copy(t.Strs, src.Strs)
		return
	}
	copy(t.Bytes(), src.Bytes())
}

// Clone returns an independent copy of t.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{}
	c.CopyFrom(t)
	return c
}

// Strides returns row-major strides in elements.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%v", t.DType, t.Shape)
	return b.String()
}

// ShapeString formats a shape as 1x3x224x224 (a scalar is "scalar").
func ShapeString(shape []int) string {
	if len(shape) == 0 {
		return "scalar"
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}

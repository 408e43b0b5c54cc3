package runtime

import (
	"encoding/binary"
	"fmt"
)

// This file is the support code that generated model packages call outside their kernels:
// weight loading and input checking.

// WeightSpec locates one constant tensor inside a model's embedded weights file.
type WeightSpec struct {
	DType DType
	Shape []int
	// Off and Len are the byte range of the data; strings are stored as a uvarint length
	// followed by the bytes, one after another.
	Off, Len int
	// ShapeOnly says the file holds no data for this tensor: every kernel that uses it reads a
	// prepacked form instead (lowered.Kernel.Prepack), and needs only its type and shape.
	ShapeOnly bool
}

// WeightAlign is the alignment of every tensor in a weights file, so that a future loader can
// use the embedded bytes in place.
const WeightAlign = 64

// LoadWeights makes tensors of the weights file's contents. Data are copied into aligned
// storage once per process; Run calls share them read-only.
func LoadWeights(data string, specs []WeightSpec) ([]*Tensor, error) {
	ts := make([]*Tensor, len(specs))
	for i, s := range specs {
		if s.Off < 0 || s.Len < 0 || s.Off+s.Len > len(data) {
			return nil, fmt.Errorf("weights: tensor %d lies outside the weights file (%d bytes)", i, len(data))
		}
		if s.ShapeOnly {
			ts[i] = &Tensor{DType: s.DType, Shape: append([]int(nil), s.Shape...)}
			continue
		}
		t := New(s.DType, s.Shape...)
		raw := data[s.Off : s.Off+s.Len]
		if s.DType == String {
			if err := decodeStrings(raw, t.Strs); err != nil {
				return nil, fmt.Errorf("weights: tensor %d: %w", i, err)
			}
		} else {
			if len(raw) != len(t.Bytes()) {
				return nil, fmt.Errorf("weights: tensor %d has %d bytes, want %d", i, len(raw), len(t.Bytes()))
			}
			copy(t.Bytes(), raw)
		}
		ts[i] = t
	}
	return ts, nil
}

// EncodeStrings is the weights-file encoding of a string tensor's elements.
func EncodeStrings(strs []string) []byte {
	var b []byte
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeStrings(raw string, out []string) error {
	b := []byte(raw)
	for i := range out {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fmt.Errorf("string %d is corrupt", i)
		}
		out[i] = string(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	return nil
}

// CheckInput validates a caller's tensor against the input's declared element type and shape.
// A dim of -1 in want matches any size; symbolic dims are checked for consistency through
// syms, which maps each symbol to its index in bound (bound[i] < 0 means not yet bound).
func CheckInput(name string, t *Tensor, dt DType, want []int, syms []int, bound []int) error {
	if t == nil {
		return fmt.Errorf("input %q is missing", name)
	}
	if t.DType != dt {
		return fmt.Errorf("input %q has element type %s, want %s", name, t.DType, dt)
	}
	if want == nil {
		return nil // rank unknown: anything goes
	}
	if len(t.Shape) != len(want) {
		return fmt.Errorf("input %q has shape %v, want rank %d (%s)", name, t.Shape, len(want), dimsString(want))
	}
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("input %q has negative dim %d", name, d)
		}
		if want[i] >= 0 && d != want[i] {
			return fmt.Errorf("input %q has shape %v, want %s", name, t.Shape, dimsString(want))
		}
		if syms != nil && syms[i] >= 0 {
			if b := bound[syms[i]]; b >= 0 && b != d {
				return fmt.Errorf("input %q has dim %d = %d, but an earlier input fixed that symbolic dim to %d", name, i, d, b)
			}
			bound[syms[i]] = d
		}
	}
	if t.DType == String {
		if len(t.Strs) != t.Len() {
			return fmt.Errorf("input %q has %d strings for shape %v", name, len(t.Strs), t.Shape)
		}
	} else if t.Buf == nil || len(t.Buf.Bytes()) < t.Len()*dt.Size() {
		return fmt.Errorf("input %q has less data than its shape %v needs", name, t.Shape)
	}
	return nil
}

func dimsString(dims []int) string {
	s := "["
	for i, d := range dims {
		if i > 0 {
			s += " "
		}
		if d < 0 {
			s += "?"
		} else {
			s += fmt.Sprint(d)
		}
	}
	return s + "]"
}

// CheckKind validates a caller's sequence or optional input.
func CheckKind(name string, t *Tensor, kind ValueKind) error {
	switch {
	case t == nil:
		return fmt.Errorf("input %q is missing", name)
	case kind == SequenceValue && !t.IsSeq:
		return fmt.Errorf("input %q must be a sequence (IsSeq)", name)
	case kind == TensorValue && (t.IsSeq || t.None):
		return fmt.Errorf("input %q must be a tensor", name)
	}
	return nil
}

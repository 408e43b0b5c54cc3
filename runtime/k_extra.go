package runtime

import "fmt"

// BitCast and TensorScatter: ops that move bits and bytes without arithmetic.

// BitCastParams configures BitCast.
type BitCastParams struct {
	To DType
}

// BitCast reinterprets the input's element bits as To, which must have the same size; the shape
// is unchanged. A bool result holds 1 wherever the source byte is nonzero, since a Go bool must
// be 0 or 1.
func BitCast(_ *Exec, p *BitCastParams, out, in []*Tensor) error {
	X := in[0]
	if X.DType == String || p.To == String || !p.To.Valid() {
		return fmt.Errorf("bitcast from %s to %s is not supported", X.DType, p.To)
	}
	if X.DType.Bits() != p.To.Bits() {
		return fmt.Errorf("bitcast from %s to %s: element sizes of %d and %d bits differ", X.DType, p.To, X.DType.Bits(), p.To.Bits())
	}
	out[0].Resize(p.To, X.Shape...)
	dst := out[0].Bytes()
	copy(dst, X.Bytes())
	switch p.To {
	case Int4, Int2: // held one per byte: sign-extend, or clear the high bits
		castWrapNarrow(p.To, Data[int8](out[0]))
	case Uint4, Uint2, Float4E2M1:
		castWrapNarrow(p.To, Data[uint8](out[0]))
	}
	if p.To == Bool {
		for i, b := range dst {
			if b != 0 {
				dst[i] = 1
			}
		}
	}
	return nil
}

// TensorScatterParams configures TensorScatter. Axis may be negative.
type TensorScatterParams struct {
	Axis     int
	Circular bool
}

// TensorScatter writes update into a copy of the cache along Axis, at the per-batch offsets of
// the optional write_indices input (in[2]; zero when absent), wrapping around in circular mode.
func TensorScatter(_ *Exec, p *TensorScatterParams, out, in []*Tensor) error {
	C, U := in[0], in[1]
	r := len(C.Shape)
	if r == 0 {
		return fmt.Errorf("tensorscatter: cache is a scalar")
	}
	if C.DType != U.DType {
		return fmt.Errorf("tensorscatter: cache of %s and update of %s", C.DType, U.DType)
	}
	axis := p.Axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return fmt.Errorf("tensorscatter: axis %d out of range for rank %d", p.Axis, r)
	}
	if axis == 0 {
		return fmt.Errorf("tensorscatter: axis must not be the batch axis")
	}
	if len(U.Shape) != r {
		return fmt.Errorf("tensorscatter: update %v and cache %v differ in rank", U.Shape, C.Shape)
	}
	for i := range r {
		if i != axis && U.Shape[i] != C.Shape[i] || i == axis && U.Shape[i] > C.Shape[i] {
			return fmt.Errorf("tensorscatter: update %v does not fit cache %v along axis %d", U.Shape, C.Shape, axis)
		}
	}
	batch, maxSeq, seq := C.Shape[0], C.Shape[axis], U.Shape[axis]
	var idx []int64
	if len(in) > 2 && in[2] != nil {
		W := in[2]
		if W.Len() != batch {
			return fmt.Errorf("tensorscatter: write_indices %v, want %d values", W.Shape, batch)
		}
		switch W.DType {
		case Int64:
			idx = Data[int64](W)
		case Int32:
			idx = make([]int64, batch)
			for i, v := range Data[int32](W) {
				idx[i] = int64(v)
			}
		default:
			return fmt.Errorf("tensorscatter: write_indices of %s", W.DType)
		}
	}
	// outer: rows of the dims between batch and axis; inner: elements after axis.
	outer := NumElems(C.Shape[1:axis])
	inner := NumElems(C.Shape[axis+1:])
	out[0].CopyFrom(C)
	str := C.DType == String
	es := C.DType.Size()
	var dstB, srcB []byte
	if !str {
		dstB, srcB = out[0].Bytes(), U.Bytes()
	}
	for b := range batch {
		w := int64(0)
		if idx != nil {
			w = idx[b]
		}
		for o := range outer {
			row := b*outer + o
			for s := range seq {
				t := w + int64(s)
				if p.Circular {
					t %= int64(maxSeq)
					if t < 0 {
						t += int64(maxSeq)
					}
				}
				if t < 0 || t >= int64(maxSeq) {
					return fmt.Errorf("tensorscatter: write position %d out of range [0, %d) for batch %d", t, maxSeq, b)
				}
				d := (row*maxSeq + int(t)) * inner
				sOff := (row*seq + s) * inner
				if str {
					copy(out[0].Strs[d:d+inner], U.Strs[sOff:sOff+inner])
				} else {
					copy(dstB[d*es:(d+inner)*es], srcB[sOff*es:(sOff+inner)*es])
				}
			}
		}
	}
	return nil
}

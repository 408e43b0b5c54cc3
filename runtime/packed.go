package runtime

// ONNX stores the 4- and 2-bit element types packed (two or four elements per byte, the first
// in the least significant bits) in TensorProto raw_data and int32_data; in memory they take a
// byte each (see dtype.go). These helpers convert between the two layouts.

// StoredLen is the number of bytes that n elements of dt take in ONNX raw_data.
func StoredLen(dt DType, n int) int {
	if b := dt.Bits(); b < 8 {
		per := 8 / b
		return n/per + min(n%per, 1) // no overflow for any n
	}
	return n * dt.Size()
}

// UnpackNarrow spreads the packed elements of dt in src over dst, one per byte: int4 and int2
// sign-extended, the others zero-extended. dst's length is the element count; src must hold
// StoredLen(dt, len(dst)) bytes. Other types are copied.
func UnpackNarrow(dt DType, dst, src []byte) {
	bits := dt.Bits()
	if bits >= 8 {
		copy(dst, src)
		return
	}
	per := 8 / bits
	mask := byte(1<<bits - 1)
	signed := dt == Int4 || dt == Int2
	shift := 8 - bits
	for i := range dst {
		v := src[i/per] >> (uint(i%per) * uint(bits)) & mask
		if signed {
			v = byte(int8(v<<shift) >> shift)
		}
		dst[i] = v
	}
}

// PackNarrow is the inverse of UnpackNarrow: it packs the one-per-byte elements of src into dst
// (StoredLen(dt, len(src)) bytes), the unused high bits of the last byte zero.
func PackNarrow(dt DType, dst, src []byte) {
	bits := dt.Bits()
	if bits >= 8 {
		copy(dst, src)
		return
	}
	per := 8 / bits
	mask := byte(1<<bits - 1)
	clear(dst[:StoredLen(dt, len(src))])
	for i, v := range src {
		dst[i/per] |= (v & mask) << (uint(i%per) * uint(bits))
	}
}

package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode/utf8"
)

// This file reads and writes ONNX TensorProto, SequenceProto and OptionalProto messages (the .pb
// files of the ONNX backend test layout) with a hand-written protobuf wire decoder, because
// generated code links this package and must depend on the standard library alone.
//
// Reading is two passes over the message: the first validates every field and counts the
// elements each data field holds without allocating for them, the second decodes the data into a
// tensor whose size has already been checked against what is present. Hostile input therefore
// gives an error, never a panic or an allocation larger than a small multiple of the input.

// ErrUnsupportedType is wrapped by read errors for element types the runtime cannot hold
// (complex, float8, int4, ...) and for values other than tensors and sequences of tensors, so
// that callers can tell "not representable" from "corrupt".
var ErrUnsupportedType = errors.New("unsupported element type")

// TensorProto field numbers (onnx.proto).
const (
	tpDims         = 1
	tpDataType     = 2
	tpSegment      = 3
	tpFloatData    = 4
	tpInt32Data    = 5
	tpStringData   = 6
	tpInt64Data    = 7
	tpName         = 8
	tpRawData      = 9
	tpDoubleData   = 10
	tpUint64Data   = 11
	tpExternalData = 13
	tpDataLocation = 14
)

// Protobuf wire types.
const (
	wtVarint  = 0
	wtFixed64 = 1
	wtBytes   = 2
	wtFixed32 = 5
)

// onnxTypeNames names the ONNX element types the runtime does not hold, for error messages.
var onnxTypeNames = map[uint64]string{14: "complex64", 15: "complex128"}

// pbuf is a cursor over one protobuf message.
type pbuf struct {
	b []byte
	i int
}

var errTruncated = errors.New("truncated message")

func (p *pbuf) done() bool { return p.i >= len(p.b) }

func (p *pbuf) varint() (uint64, error) {
	var v uint64
	for k := 0; k < 10; k++ {
		if p.i >= len(p.b) {
			return 0, errTruncated
		}
		c := p.b[p.i]
		p.i++
		if k == 9 && c > 1 {
			return 0, errors.New("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * k)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// key reads a field key: the field number and the wire type.
func (p *pbuf) key() (int, int, error) {
	k, err := p.varint()
	if err != nil {
		return 0, 0, err
	}
	f, wt := k>>3, int(k&7)
	if f == 0 || f > 1<<29-1 {
		return 0, 0, fmt.Errorf("invalid field number %d", f)
	}
	return int(f), wt, nil
}

// bytes reads a length-delimited payload as a sub-slice of the input (no copy).
func (p *pbuf) bytes() ([]byte, error) {
	n, err := p.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p.b)-p.i) {
		return nil, fmt.Errorf("length %d runs past the end of the message", n)
	}
	s := p.b[p.i : p.i+int(n)]
	p.i += int(n)
	return s, nil
}

func (p *pbuf) fixed(n int) ([]byte, error) {
	if len(p.b)-p.i < n {
		return nil, errTruncated
	}
	s := p.b[p.i : p.i+n]
	p.i += n
	return s, nil
}

// skip steps over a field of wire type wt whose key has been read.
func (p *pbuf) skip(wt int) error {
	var err error
	switch wt {
	case wtVarint:
		_, err = p.varint()
	case wtFixed64:
		_, err = p.fixed(8)
	case wtBytes:
		_, err = p.bytes()
	case wtFixed32:
		_, err = p.fixed(4)
	default:
		err = fmt.Errorf("unsupported wire type %d", wt)
	}
	return err
}

// countVarints validates a packed run of varints and returns how many it holds.
func countVarints(b []byte) (int, error) {
	q := pbuf{b: b}
	n := 0
	for !q.done() {
		if _, err := q.varint(); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// repeatedEnc is how a repeated scalar field's elements are encoded.
type repeatedEnc int

const (
	encVarint repeatedEnc = iota
	encFixed32
	encFixed64
)

// countRepeated validates one occurrence of a repeated scalar field (packed or not; protobuf
// parsers must accept both) and returns how many elements it adds.
func countRepeated(p *pbuf, wt int, enc repeatedEnc) (int, error) {
	if wt == wtBytes {
		b, err := p.bytes()
		if err != nil {
			return 0, err
		}
		switch enc {
		case encFixed32:
			if len(b)%4 != 0 {
				return 0, fmt.Errorf("packed fixed32 field of %d bytes", len(b))
			}
			return len(b) / 4, nil
		case encFixed64:
			if len(b)%8 != 0 {
				return 0, fmt.Errorf("packed fixed64 field of %d bytes", len(b))
			}
			return len(b) / 8, nil
		}
		return countVarints(b)
	}
	want := wtVarint
	switch enc {
	case encFixed32:
		want = wtFixed32
	case encFixed64:
		want = wtFixed64
	}
	if wt != want {
		return 0, fmt.Errorf("wire type %d for a field of wire type %d", wt, want)
	}
	return 1, p.skip(wt)
}

// eachRepeated calls fn with every element of one occurrence of a repeated scalar field, as the
// raw 64-bit value (varint value, or the fixed32/fixed64 bits). The field was validated by
// countRepeated in the first pass.
func eachRepeated(p *pbuf, wt int, enc repeatedEnc, fn func(v uint64) error) error {
	one := func(q *pbuf) (uint64, error) {
		switch enc {
		case encFixed32:
			b, err := q.fixed(4)
			if err != nil {
				return 0, err
			}
			return uint64(binary.LittleEndian.Uint32(b)), nil
		case encFixed64:
			b, err := q.fixed(8)
			if err != nil {
				return 0, err
			}
			return binary.LittleEndian.Uint64(b), nil
		}
		return q.varint()
	}
	if wt != wtBytes {
		v, err := one(p)
		if err != nil {
			return err
		}
		return fn(v)
	}
	b, err := p.bytes()
	if err != nil {
		return err
	}
	q := pbuf{b: b}
	for !q.done() {
		v, err := one(&q)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// tensorScan is what the first pass learns about a TensorProto.
type tensorScan struct {
	dims    []int
	dtype   uint64
	hasType bool
	name    string
	raw     []byte
	hasRaw  bool
	counts  [tpUint64Data + 1]int // elements per data field, indexed by field number
}

// dataField is the typed field that holds dt's elements when raw_data is not used.
func dataField(dt DType) int {
	switch dt {
	case Float32:
		return tpFloatData
	case Float64:
		return tpDoubleData
	case Int64:
		return tpInt64Data
	case Uint32, Uint64:
		return tpUint64Data
	case String:
		return tpStringData
	}
	return tpInt32Data // bool, (u)int8, (u)int16, int32, float16 and bfloat16 bit patterns
}

var fieldNames = map[int]string{
	tpFloatData: "float_data", tpInt32Data: "int32_data", tpStringData: "string_data",
	tpInt64Data: "int64_data", tpDoubleData: "double_data", tpUint64Data: "uint64_data",
}

func scanTensor(b []byte) (*tensorScan, error) {
	s := &tensorScan{}
	p := pbuf{b: b}
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return nil, err
		}
		switch f {
		case tpDims:
			err = eachRepeatedChecked(&p, wt, encVarint, func(v uint64) error {
				if int64(v) < 0 || v > math.MaxInt32 {
					return fmt.Errorf("dim %d out of range", int64(v))
				}
				s.dims = append(s.dims, int(v))
				return nil
			})
		case tpDataType:
			if wt != wtVarint {
				return nil, fmt.Errorf("data_type has wire type %d", wt)
			}
			s.dtype, err = p.varint()
			s.hasType = true
		case tpSegment:
			return nil, errors.New("segmented tensors are not supported")
		case tpFloatData, tpDoubleData, tpInt32Data, tpInt64Data, tpUint64Data:
			enc := encVarint
			if f == tpFloatData {
				enc = encFixed32
			} else if f == tpDoubleData {
				enc = encFixed64
			}
			var n int
			n, err = countRepeated(&p, wt, enc)
			s.counts[f] += n
		case tpStringData:
			if wt != wtBytes {
				return nil, fmt.Errorf("string_data has wire type %d", wt)
			}
			_, err = p.bytes()
			s.counts[f]++
		case tpName:
			if wt != wtBytes {
				return nil, fmt.Errorf("name has wire type %d", wt)
			}
			var nb []byte
			nb, err = p.bytes()
			s.name = string(nb)
		case tpRawData:
			if wt != wtBytes {
				return nil, fmt.Errorf("raw_data has wire type %d", wt)
			}
			s.raw, err = p.bytes()
			s.hasRaw = true
		case tpExternalData:
			return nil, errors.New("tensor data is stored in an external file, which is not supported: " +
				"load the model with its external data and save it with the data inside")
		case tpDataLocation:
			var loc uint64
			if wt != wtVarint {
				return nil, fmt.Errorf("data_location has wire type %d", wt)
			}
			if loc, err = p.varint(); err == nil && loc != 0 {
				return nil, errors.New("tensor data is stored in an external file, which is not supported")
			}
		default: // doc_string, metadata_props and fields newer than this reader
			err = p.skip(wt)
		}
		if err != nil {
			return nil, fmt.Errorf("field %d: %w", f, err)
		}
	}
	return s, nil
}

// eachRepeatedChecked is eachRepeated for the first pass: it validates the wire type too.
func eachRepeatedChecked(p *pbuf, wt int, enc repeatedEnc, fn func(v uint64) error) error {
	if wt != wtBytes && wt != wtVarint {
		return fmt.Errorf("wire type %d for a varint field", wt)
	}
	return eachRepeated(p, wt, enc, fn)
}

// maxElems bounds the product of a tensor's nonzero dims: far beyond any memory, far below
// overflow, so element and byte counts can be computed without checks downstream.
const maxElems = min(1<<48, math.MaxInt>>4) // 2^27 - 1 on 32-bit targets

// checkedElems is the product of shape, or an error when a dim is negative or the product of the
// nonzero dims exceeds maxElems (a zero dim makes the tensor empty, but strides over the other
// dims must still be computable).
func checkedElems(shape []int) (int, error) {
	n, nz := 1, 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dim %d", d)
		}
		if d == 0 {
			n = 0
			continue
		}
		if nz > maxElems/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		nz *= d
		n *= d
	}
	return n, nil
}

// ReadTensorProto decodes an ONNX TensorProto. It accepts every element type DType can hold,
// with data in raw_data or in the typed field ONNX prescribes for the type (float16 and bfloat16
// bit patterns, bool and 8/16-bit integers in int32_data; uint32 and uint64 in uint64_data), and
// refuses external data, segments, and element types the runtime cannot hold (wrapping
// ErrUnsupportedType).
func ReadTensorProto(b []byte) (t *Tensor, name string, err error) {
	s, err := scanTensor(b)
	if err != nil {
		return nil, "", fmt.Errorf("TensorProto: %w", err)
	}
	t, err = s.decode(b)
	if err != nil {
		return nil, s.name, fmt.Errorf("TensorProto %q: %w", s.name, err)
	}
	return t, s.name, nil
}

func (s *tensorScan) decode(b []byte) (*Tensor, error) {
	if !s.hasType || s.dtype == 0 {
		return nil, errors.New("no data_type")
	}
	dt := DType(s.dtype)
	if s.dtype > 255 || !dt.Valid() {
		name := onnxTypeNames[s.dtype]
		if name == "" {
			name = fmt.Sprintf("data_type %d", s.dtype)
		}
		return nil, fmt.Errorf("%w %s", ErrUnsupportedType, name)
	}
	n, err := checkedElems(s.dims)
	if err != nil {
		return nil, err
	}
	want := dataField(dt)
	for f, c := range s.counts {
		if c > 0 && f != want {
			return nil, fmt.Errorf("%s holds %d values for a %s tensor", fieldNames[f], c, dt)
		}
	}
	// Check the size against the data present before allocating anything for it.
	if s.hasRaw {
		if dt == String {
			return nil, errors.New("raw_data for a string tensor")
		}
		if s.counts[want] > 0 {
			return nil, fmt.Errorf("both raw_data and %s are set", fieldNames[want])
		}
		if uint64(len(s.raw)) != uint64(StoredLen(dt, n)) {
			return nil, fmt.Errorf("raw_data has %d bytes, want %d for %s%v", len(s.raw), StoredLen(dt, n), dt, s.dims)
		}
	} else if c, w := s.counts[want], storedCount(dt, n); c != w {
		return nil, fmt.Errorf("%s holds %d values, want %d for %s%v", fieldNames[want], c, w, dt, s.dims)
	}
	t := New(dt, s.dims...)
	if n == 0 {
		return t, nil
	}
	if s.hasRaw {
		UnpackNarrow(dt, t.Bytes(), s.raw)
		return t, nil
	}
	if dt.Bits() < 8 {
		// int32_data holds the packed bytes (two 4-bit or four 2-bit elements each).
		packed := make([]byte, StoredLen(dt, n))
		if err := fillPacked(packed, b, dt); err != nil {
			return nil, err
		}
		UnpackNarrow(dt, t.Bytes(), packed)
		return t, nil
	}
	if err := fillTyped(t, b, want); err != nil {
		return nil, err
	}
	return t, nil
}

// fillPacked reads the int32_data of a packed 4- or 2-bit tensor into packed, one byte each.
// storedCount is how many values the typed data field holds for n elements: one each, except
// for types narrower than a byte, whose int32_data holds the packed bytes.
func storedCount(dt DType, n int) int {
	if dt.Bits() < 8 {
		return StoredLen(dt, n)
	}
	return n
}

func fillPacked(packed, b []byte, dt DType) error {
	i := 0
	p := pbuf{b: b}
	for !p.done() {
		g, wt, err := p.key()
		if err != nil {
			return err
		}
		if g != tpInt32Data {
			if err := p.skip(wt); err != nil {
				return err
			}
			continue
		}
		err = eachRepeated(&p, wt, encVarint, func(v uint64) error {
			if x := int64(v); x < 0 || x > math.MaxUint8 {
				return fmt.Errorf("packed %s byte %d at %d is out of range", dt, x, i)
			}
			if i >= len(packed) {
				return fmt.Errorf("more packed %s bytes than the shape holds (%d)", dt, len(packed))
			}
			packed[i] = byte(v)
			i++
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// fillTyped is the second pass: it decodes the typed data field f into t, checking that each
// value fits the element type (int32_data carries narrower types, uint64_data carries uint32).
func fillTyped(t *Tensor, b []byte, f int) error {
	i := 0
	var set func(v uint64) error
	rangeErr := func(v int64) error { return fmt.Errorf("value %d at %d does not fit %s", v, i, t.DType) }
	switch t.DType {
	case String:
		p := pbuf{b: b}
		for !p.done() {
			g, wt, err := p.key()
			if err != nil {
				return err
			}
			if g != tpStringData {
				if err := p.skip(wt); err != nil {
					return err
				}
				continue
			}
			sb, err := p.bytes()
			if err != nil {
				return err
			}
			t.Strs[i] = string(sb)
			i++
		}
		return nil
	case Float32:
		d := Data[float32](t)
		set = func(v uint64) error { d[i] = math.Float32frombits(uint32(v)); return nil }
	case Float64:
		d := Data[float64](t)
		set = func(v uint64) error { d[i] = math.Float64frombits(v); return nil }
	case Int64:
		d := Data[int64](t)
		set = func(v uint64) error { d[i] = int64(v); return nil }
	case Uint64:
		d := Data[uint64](t)
		set = func(v uint64) error { d[i] = v; return nil }
	case Uint32:
		d := Data[uint32](t)
		set = func(v uint64) error {
			if v > math.MaxUint32 {
				return fmt.Errorf("value %d at %d does not fit uint32", v, i)
			}
			d[i] = uint32(v)
			return nil
		}
	default: // int32_data: protobuf int32 is a sign-extended varint
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		switch t.DType {
		case Int8:
			lo, hi = math.MinInt8, math.MaxInt8
		case Uint8:
			lo, hi = 0, math.MaxUint8
		case Int16:
			lo, hi = math.MinInt16, math.MaxInt16
		case Uint16, Float16, BFloat16:
			lo, hi = 0, math.MaxUint16
		case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0:
			lo, hi = 0, math.MaxUint8
		case Bool:
			lo, hi = 0, 1
		}
		raw := t.Bytes()
		size := t.DType.Size()
		set = func(v uint64) error {
			x := int64(v)
			if x < lo || x > hi {
				return rangeErr(x)
			}
			switch size {
			case 1:
				raw[i] = byte(x)
			case 2:
				binary.LittleEndian.PutUint16(raw[2*i:], uint16(x))
			default:
				binary.LittleEndian.PutUint32(raw[4*i:], uint32(x))
			}
			return nil
		}
	}
	enc := encVarint
	if f == tpFloatData {
		enc = encFixed32
	} else if f == tpDoubleData {
		enc = encFixed64
	}
	p := pbuf{b: b}
	for !p.done() {
		g, wt, err := p.key()
		if err != nil {
			return err
		}
		if g != f {
			if err := p.skip(wt); err != nil {
				return err
			}
			continue
		}
		err = eachRepeated(&p, wt, enc, func(v uint64) error {
			if err := set(v); err != nil {
				return err
			}
			i++
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteTensorProto encodes t as an ONNX TensorProto: dims, data_type, name, and the data in
// raw_data (string tensors in string_data), in field-number order as protobuf serializers write.
func WriteTensorProto(name string, t *Tensor) []byte {
	return appendTensorProto(nil, name, t, false)
}

// appendTensorProto appends t's TensorProto to b. typed puts numeric data in the typed fields
// instead of raw_data (packed), which other writers do and the tests exercise.
func appendTensorProto(b []byte, name string, t *Tensor, typed bool) []byte {
	for _, d := range t.Shape {
		b = appendKey(b, tpDims, wtVarint)
		b = binary.AppendUvarint(b, uint64(d))
	}
	b = appendKey(b, tpDataType, wtVarint)
	b = binary.AppendUvarint(b, uint64(t.DType))
	if t.DType == String {
		for _, s := range t.Strs {
			b = appendBytes(b, tpStringData, []byte(s))
		}
	}
	if typed && t.DType != String && t.Len() > 0 {
		b = appendTyped(b, t)
	}
	if name != "" {
		b = appendBytes(b, tpName, []byte(name))
	}
	if !typed && t.DType != String {
		raw := t.Bytes()
		if t.DType.Bits() < 8 {
			raw = make([]byte, StoredLen(t.DType, t.Len()))
			PackNarrow(t.DType, raw, t.Bytes())
		}
		b = appendBytes(b, tpRawData, raw)
	}
	return b
}

func appendTyped(b []byte, t *Tensor) []byte {
	var payload []byte
	f := dataField(t.DType)
	switch t.DType {
	case Float32:
		for _, v := range Data[float32](t) {
			payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
		}
	case Float64:
		for _, v := range Data[float64](t) {
			payload = binary.LittleEndian.AppendUint64(payload, math.Float64bits(v))
		}
	case Int64:
		for _, v := range Data[int64](t) {
			payload = binary.AppendUvarint(payload, uint64(v))
		}
	case Uint64:
		for _, v := range Data[uint64](t) {
			payload = binary.AppendUvarint(payload, v)
		}
	case Uint32:
		for _, v := range Data[uint32](t) {
			payload = binary.AppendUvarint(payload, uint64(v))
		}
	case Int32:
		for _, v := range Data[int32](t) {
			payload = binary.AppendUvarint(payload, uint64(int64(v)))
		}
	case Int16:
		for _, v := range Data[int16](t) {
			payload = binary.AppendUvarint(payload, uint64(int64(v)))
		}
	case Int8:
		for _, v := range Data[int8](t) {
			payload = binary.AppendUvarint(payload, uint64(int64(v)))
		}
	case Uint16, Float16, BFloat16:
		for _, v := range Data[uint16](t) {
			payload = binary.AppendUvarint(payload, uint64(v))
		}
	case Uint8, Bool, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0:
		for _, v := range Data[uint8](t) {
			payload = binary.AppendUvarint(payload, uint64(v))
		}
	case Int4, Uint4, Float4E2M1, Int2, Uint2:
		packed := make([]byte, StoredLen(t.DType, t.Len()))
		PackNarrow(t.DType, packed, t.Bytes())
		for _, v := range packed {
			payload = binary.AppendUvarint(payload, uint64(v))
		}
	}
	return appendBytes(b, f, payload)
}

func appendKey(b []byte, f, wt int) []byte { return binary.AppendUvarint(b, uint64(f)<<3|uint64(wt)) }

func appendBytes(b []byte, f int, p []byte) []byte {
	b = appendKey(b, f, wtBytes)
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// ValueKind says which ONNX value message a .pb file holds.
type ValueKind uint8

const (
	NoValue       ValueKind = iota // unrecognised
	TensorValue                    // TensorProto
	SequenceValue                  // SequenceProto of tensors
	OptionalValue                  // OptionalProto of a tensor or a sequence of tensors
	// SequenceOrOptional is SniffValueProto's answer for a message that is not a tensor: the
	// SequenceProto and OptionalProto wire formats coincide (an optional tensor and a one-element
	// sequence can be byte-identical), so the model's declared type must decide.
	SequenceOrOptional
)

// Value is an ONNX value read from a .pb file.
type Value struct {
	Name   string
	Kind   ValueKind // TensorValue, SequenceValue or OptionalValue
	Tensor *Tensor   // TensorValue
	Seq    []*Tensor // SequenceValue (non-nil, possibly empty)
	Opt    *Value    // OptionalValue: the content (a tensor or a sequence), nil when empty (None)
}

// SequenceProto and OptionalProto field numbers; the two messages share them.
const (
	vpName       = 1
	vpElemType   = 2
	vpTensor     = 3
	vpSparse     = 4
	vpSequence   = 5
	vpMap        = 6
	vpOptional   = 7
	elemTensor   = 1
	elemSequence = 3
)

// SniffValueProto tells a TensorProto from a SequenceProto or OptionalProto: TensorValue when b
// reads as a tensor, SequenceOrOptional when it reads as a sequence or an optional, NoValue
// otherwise. The .pb files do not say which message they hold; a reader that knows the model's
// declared types should pass that kind to ReadValueProto instead.
func SniffValueProto(b []byte) ValueKind {
	if _, _, err := ReadTensorProto(b); err == nil {
		return TensorValue
	}
	if _, err := ReadValueProto(b, SequenceValue); err == nil {
		return SequenceOrOptional
	}
	if _, err := ReadValueProto(b, OptionalValue); err == nil {
		return SequenceOrOptional
	}
	return NoValue
}

// ReadSequenceProto decodes an ONNX SequenceProto of tensors.
func ReadSequenceProto(b []byte) (name string, elems []*Tensor, err error) {
	v, err := ReadValueProto(b, SequenceValue)
	if err != nil {
		return "", nil, err
	}
	return v.Name, v.Seq, nil
}

// ReadValueProto decodes b as the given kind of message: TensorValue (TensorProto),
// SequenceValue (SequenceProto of tensors) or OptionalValue (OptionalProto holding a tensor or a
// sequence of tensors, or nothing). Sparse tensors, maps, and nested sequences and optionals are
// refused with an error wrapping ErrUnsupportedType.
func ReadValueProto(b []byte, kind ValueKind) (*Value, error) {
	switch kind {
	case TensorValue:
		t, name, err := ReadTensorProto(b)
		if err != nil {
			return nil, err
		}
		return &Value{Name: name, Kind: TensorValue, Tensor: t}, nil
	case SequenceValue, OptionalValue:
		return readContainer(b, kind, true)
	}
	return nil, fmt.Errorf("ReadValueProto: kind %d is not a message kind", kind)
}

// readContainer decodes a SequenceProto or an OptionalProto. nest allows one level of sequence
// inside an optional; nothing deeper is supported, so hostile nesting cannot recurse.
func readContainer(b []byte, kind ValueKind, nest bool) (*Value, error) {
	what := map[ValueKind]string{SequenceValue: "SequenceProto", OptionalValue: "OptionalProto"}[kind]
	v := &Value{Kind: kind}
	var elem uint64
	var tensors, seqs [][]byte
	p := pbuf{b: b}
	for !p.done() {
		f, wt, err := p.key()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		switch f {
		case vpName, vpTensor, vpSparse, vpSequence, vpMap, vpOptional:
			if wt != wtBytes {
				return nil, fmt.Errorf("%s: field %d has wire type %d", what, f, wt)
			}
			pb, err := p.bytes()
			if err != nil {
				return nil, fmt.Errorf("%s: field %d: %w", what, f, err)
			}
			switch f {
			case vpName:
				if !utf8.Valid(pb) {
					return nil, fmt.Errorf("%s: name is not UTF-8", what)
				}
				v.Name = string(pb)
			case vpTensor:
				tensors = append(tensors, pb)
			case vpSequence:
				seqs = append(seqs, pb)
			case vpSparse:
				return nil, fmt.Errorf("%s: sparse tensors: %w", what, ErrUnsupportedType)
			case vpMap:
				return nil, fmt.Errorf("%s: maps: %w", what, ErrUnsupportedType)
			case vpOptional:
				return nil, fmt.Errorf("%s: nested optionals: %w", what, ErrUnsupportedType)
			}
		case vpElemType:
			if wt != wtVarint {
				return nil, fmt.Errorf("%s: elem_type has wire type %d", what, wt)
			}
			if elem, err = p.varint(); err != nil {
				return nil, fmt.Errorf("%s: elem_type: %w", what, err)
			}
		default:
			if err := p.skip(wt); err != nil {
				return nil, fmt.Errorf("%s: field %d: %w", what, f, err)
			}
		}
	}
	switch {
	case elem != elemTensor && len(tensors) > 0:
		return nil, fmt.Errorf("%s %q: tensor values with elem_type %d", what, v.Name, elem)
	case elem != elemSequence && len(seqs) > 0:
		return nil, fmt.Errorf("%s %q: sequence values with elem_type %d", what, v.Name, elem)
	case elem > 5:
		return nil, fmt.Errorf("%s %q: invalid elem_type %d", what, v.Name, elem)
	case elem != elemTensor && elem != elemSequence && elem != 0:
		return nil, fmt.Errorf("%s %q: elem_type %d: %w", what, v.Name, elem, ErrUnsupportedType)
	}
	if kind == SequenceValue {
		if len(seqs) > 0 {
			return nil, fmt.Errorf("%s %q: sequences of sequences: %w", what, v.Name, ErrUnsupportedType)
		}
		v.Seq = make([]*Tensor, 0, len(tensors))
		for i, tb := range tensors {
			t, _, err := ReadTensorProto(tb)
			if err != nil {
				return nil, fmt.Errorf("%s %q: element %d: %w", what, v.Name, i, err)
			}
			v.Seq = append(v.Seq, t)
		}
		return v, nil
	}
	if len(tensors)+len(seqs) > 1 {
		return nil, fmt.Errorf("%s %q: %d values in an optional", what, v.Name, len(tensors)+len(seqs))
	}
	switch {
	case len(tensors) == 1:
		t, name, err := ReadTensorProto(tensors[0])
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, v.Name, err)
		}
		v.Opt = &Value{Name: name, Kind: TensorValue, Tensor: t}
	case len(seqs) == 1:
		if !nest {
			return nil, fmt.Errorf("%s %q: nesting: %w", what, v.Name, ErrUnsupportedType)
		}
		s, err := readContainer(seqs[0], SequenceValue, false)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, v.Name, err)
		}
		v.Opt = s
	}
	return v, nil
}

// WriteSequenceProto encodes tensors as an ONNX SequenceProto of tensors.
func WriteSequenceProto(name string, elems []*Tensor) []byte {
	var b []byte
	if name != "" {
		b = appendBytes(b, vpName, []byte(name))
	}
	b = appendKey(b, vpElemType, wtVarint)
	b = binary.AppendUvarint(b, elemTensor)
	for _, t := range elems {
		b = appendBytes(b, vpTensor, WriteTensorProto("", t))
	}
	return b
}

// FromFloat32 makes a float32 tensor of the given shape holding a copy of data. It panics when
// len(data) does not match the shape, as indexing past a slice would: the sizes are the caller's
// to get right. FromSlice returns an error instead.
func FromFloat32(shape []int, data []float32) *Tensor {
	t, err := FromSlice(Float32, shape, data)
	if err != nil {
		panic("runtime.FromFloat32: " + err.Error())
	}
	return t
}

// FromSlice makes a tensor of type dt and the given shape holding a copy of data. T must be the
// Go type that backs dt (float32 for Float32, F16 or uint16 for Float16, bool for Bool, int8 for
// Int4 and Int2 and uint8 for Uint4, Uint2 and the float8 and float4 bit patterns, ...); narrow
// integer values must be within their type's range.
func FromSlice[T Elem](dt DType, shape []int, data []T) (*Tensor, error) {
	if !dt.Valid() || dt == String {
		return nil, fmt.Errorf("FromSlice: element type %s is not numeric or bool", dt)
	}
	var z T
	if !elemMatches[T](dt) || int(sizeOf(z)) != dt.Size() {
		return nil, fmt.Errorf("FromSlice: a []%T cannot hold %s elements", z, dt)
	}
	n, err := checkedElems(shape)
	if err != nil {
		return nil, fmt.Errorf("FromSlice: %w", err)
	}
	if len(data) != n {
		return nil, fmt.Errorf("FromSlice: %d values for shape %v (%d elements)", len(data), shape, n)
	}
	t := New(dt, shape...)
	copy(Data[T](t), data)
	return t, nil
}

// elemMatches reports whether T is a Go type that can back dt. Named types other than F16 and
// BF16 (say, type Celsius float32) are accepted on size alone, as their kind is not visible
// without reflection.
func elemMatches[T Elem](dt DType) bool {
	var z T
	switch any(z).(type) {
	case float32:
		return dt == Float32
	case float64:
		return dt == Float64
	case int8:
		return dt == Int8 || dt == Int4 || dt == Int2
	case int16:
		return dt == Int16
	case int32:
		return dt == Int32
	case int64:
		return dt == Int64
	case uint8:
		return dt == Uint8 || dt == Bool || dt.IsMiniFloat() || dt == Uint4 || dt == Uint2
	case uint16:
		return dt == Uint16 || dt == Float16 || dt == BFloat16
	case uint32:
		return dt == Uint32
	case uint64:
		return dt == Uint64
	case bool:
		return dt == Bool
	case F16:
		return dt == Float16
	case BF16:
		return dt == BFloat16
	}
	return true
}

// FromStrings makes a string tensor of the given shape holding a copy of data. It panics when
// len(data) does not match the shape.
func FromStrings(shape []int, data []string) *Tensor {
	n, err := checkedElems(shape)
	if err != nil || n != len(data) {
		panic(fmt.Sprintf("runtime.FromStrings: %d strings for shape %v", len(data), shape))
	}
	t := New(String, shape...)
	copy(t.Strs, data)
	return t
}

// maxReported is how many mismatching elements Compare lists.
const maxReported = 5

// Compare checks that got matches want: the same element type, the same shape, and every value
// within tolerance, |got-want| <= atol + rtol*|want| for floating-point types (as numpy's
// assert_allclose), where NaN matches only NaN and an infinity only the same infinity. Integers,
// bools and strings must match exactly: a tolerance on them would hide off-by-one results. So
// must the float8 and float4 types, bit for bit, except that any NaN matches any NaN: their
// results are single roundings, which a correct conversion gets exactly. The
// error lists the first few mismatches with their index, and how many there are in all.
func Compare(want, got *Tensor, rtol, atol float64) error {
	if want == nil || got == nil {
		if want == got {
			return nil
		}
		return fmt.Errorf("want %v, got %v", want, got)
	}
	if want.DType != got.DType {
		return fmt.Errorf("element type: want %s, got %s", want.DType, got.DType)
	}
	if !ioSameShape(want.Shape, got.Shape) {
		return fmt.Errorf("shape: want %v, got %v", want.Shape, got.Shape)
	}
	n := want.Len()
	var diffs []string
	bad := 0
	maxAbs, maxAt := 0.0, -1
	report := func(i int, w, g string) {
		bad++
		if len(diffs) < maxReported {
			diffs = append(diffs, fmt.Sprintf("at %v want %s got %s", ioUnravel(i, want.Shape), w, g))
		}
	}
	if want.DType == String {
		for i := range n {
			if want.Strs[i] != got.Strs[i] {
				report(i, fmt.Sprintf("%q", want.Strs[i]), fmt.Sprintf("%q", got.Strs[i]))
			}
		}
	} else if tab := MiniFloatTable(want.DType); tab != nil {
		// Exact: the same bit pattern, or NaN for NaN.
		wb, gb := want.Bytes(), got.Bytes()
		for i := range n {
			w, g := tab[wb[i]], tab[gb[i]]
			if wb[i] != gb[i] && !(w != w && g != g) {
				report(i, fmt.Sprintf("%s (%#02x)", ioFmtFloat(float64(w)), wb[i]), fmt.Sprintf("%s (%#02x)", ioFmtFloat(float64(g)), gb[i]))
			}
		}
	} else if want.DType.IsFloat() {
		wv, gv := ioFloatAt(want), ioFloatAt(got)
		for i := range n {
			w, g := wv(i), gv(i)
			ok := false
			switch {
			case math.IsNaN(w) || math.IsNaN(g):
				ok = math.IsNaN(w) && math.IsNaN(g)
			case math.IsInf(w, 0) || math.IsInf(g, 0):
				ok = w == g
			default:
				d := math.Abs(g - w)
				ok = d <= atol+rtol*math.Abs(w)
				if d > maxAbs {
					maxAbs, maxAt = d, i
				}
			}
			if !ok {
				report(i, ioFmtFloat(w), ioFmtFloat(g))
			}
		}
	} else {
		wb, gb, size := want.Bytes(), got.Bytes(), want.DType.Size()
		for i := range n {
			w, g := wb[i*size:(i+1)*size], gb[i*size:(i+1)*size]
			if string(w) != string(g) {
				report(i, ioIntString(want.DType, w), ioIntString(want.DType, g))
			}
		}
	}
	if bad == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s%v: %d of %d values differ", want.DType, want.Shape, bad, n)
	if want.DType.IsFloat() {
		msg += fmt.Sprintf(" (rtol %g, atol %g", rtol, atol)
		if maxAt >= 0 {
			msg += fmt.Sprintf("; max abs error %.3g at %v", maxAbs, ioUnravel(maxAt, want.Shape))
		}
		msg += ")"
	}
	msg += ": " + ioJoin(diffs)
	if bad > len(diffs) {
		msg += ", ..."
	}
	return errors.New(msg)
}

func ioSameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ioJoin(d []string) string {
	s := ""
	for i, x := range d {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

// ioUnravel turns a flat row-major index into a multi-index.
func ioUnravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return idx
}

// ioFloatAt returns an accessor that reads element i of a floating-point tensor as float64.
func ioFloatAt(t *Tensor) func(i int) float64 {
	switch t.DType {
	case Float32:
		d := Data[float32](t)
		return func(i int) float64 { return float64(d[i]) }
	case Float64:
		d := Data[float64](t)
		return func(i int) float64 { return d[i] }
	case Float16:
		d := Data[F16](t)
		return func(i int) float64 { return float64(d[i].Float32()) }
	}
	d := Data[BF16](t)
	return func(i int) float64 { return float64(d[i].Float32()) }
}

func ioFmtFloat(v float64) string { return fmt.Sprintf("%.7g", v) }

// ioIntString formats one little-endian integer or bool element.
func ioIntString(dt DType, b []byte) string {
	var u uint64
	for k := len(b) - 1; k >= 0; k-- {
		u = u<<8 | uint64(b[k])
	}
	switch {
	case dt == Bool && u > 1:
		return fmt.Sprintf("invalid bool byte %#x", u) // a kernel bug: Go bools are 0 or 1
	case dt == Bool:
		return fmt.Sprint(u != 0)
	case dt.IsSigned() || dt == Int4 || dt == Int2:
		shift := 64 - 8*len(b)
		return fmt.Sprint(int64(u<<shift) >> shift)
	}
	return fmt.Sprint(u)
}

// ReadTensorFile reads an input file: NumPy (.npy) by its extension, else a TensorProto.
func ReadTensorFile(file string) (*Tensor, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(file, ".npy") {
		return ReadNpy(data)
	}
	t, _, err := ReadTensorProto(data)
	return t, err
}

package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"testing"
)

// ioDTypes is every element type the runtime holds.
var ioDTypes = []DType{Float32, Uint8, Int8, Uint16, Int16, Int32, Int64, String, Bool, Float16,
	Float64, Uint32, Uint64, BFloat16}

// ioSample makes a small tensor of dt whose values include each type's extremes (and NaN,
// infinities, negative zero for floats), so that round trips exercise sign extension and ranges.
func ioSample(dt DType, shape ...int) *Tensor {
	t := New(dt, shape...)
	n := t.Len()
	switch dt {
	case String:
		base := []string{"", "a", "héllo", "with\x00nul", strings.Repeat("z", 200)}
		for i := range n {
			t.Strs[i] = base[i%len(base)]
		}
		return t
	case Float32:
		base := []float32{0, -1.5, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1))}
		d := Data[float32](t)
		for i := range d {
			d[i] = base[i%len(base)]
		}
		return t
	case Float64:
		base := []float64{0, -1.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)}
		d := Data[float64](t)
		for i := range d {
			d[i] = base[i%len(base)]
		}
		return t
	case Bool:
		d := Data[bool](t)
		for i := range d {
			d[i] = i%3 == 1
		}
		return t
	}
	// Integers and 16-bit float bit patterns: walk through the byte patterns that matter (all
	// zeros, all ones, sign bit only, just below the sign bit, and a counter).
	size := dt.Size()
	raw := t.Bytes()
	for i := range n {
		e := raw[i*size : (i+1)*size]
		switch i % 5 {
		case 0:
			clear(e)
		case 1:
			for k := range e {
				e[k] = 0xff
			}
		case 2:
			clear(e)
			e[size-1] = 0x80
		case 3:
			for k := range e {
				e[k] = 0xff
			}
			e[size-1] = 0x7f
		default:
			for k := range e {
				e[k] = byte(i + k)
			}
		}
	}
	return t
}

// ioSame reports whether a and b have the same type, shape and bits (NaN payloads
// included), which is what a lossless round trip must preserve.
func ioSame(a, b *Tensor) bool {
	if a.DType != b.DType || !ioSameShape(a.Shape, b.Shape) {
		return false
	}
	if a.DType == String {
		if len(a.Strs) != len(b.Strs) {
			return false
		}
		for i := range a.Strs {
			if a.Strs[i] != b.Strs[i] {
				return false
			}
		}
		return true
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

// unpackedTensorProto encodes t with one typed field per element (not packed), as proto2
// writers such as onnx's Python helper do for fields without [packed=true].
func unpackedTensorProto(name string, t *Tensor) []byte {
	b := appendTensorProto(nil, name, t, true)
	// Re-encode: parse the packed typed field and write each element as its own field.
	f := dataField(t.DType)
	var out []byte
	p := pbuf{b: b}
	for !p.done() {
		g, wt, _ := p.key()
		start := p.i
		if g != f || t.DType == String {
			_ = p.skip(wt)
			out = appendKey(out, g, wt)
			out = append(out, b[start:p.i]...)
			continue
		}
		enc := encVarint
		switch g {
		case tpFloatData:
			enc = encFixed32
		case tpDoubleData:
			enc = encFixed64
		}
		_ = eachRepeated(&p, wt, enc, func(v uint64) error {
			switch enc {
			case encFixed32:
				out = appendKey(out, g, wtFixed32)
				out = binary.LittleEndian.AppendUint32(out, uint32(v))
			case encFixed64:
				out = appendKey(out, g, wtFixed64)
				out = binary.LittleEndian.AppendUint64(out, v)
			default:
				out = appendKey(out, g, wtVarint)
				out = binary.AppendUvarint(out, v)
			}
			return nil
		})
	}
	return out
}

func TestTensorProtoRoundTrip(t *testing.T) {
	shapes := [][]int{{}, {0}, {7}, {2, 3, 4}, {3, 0, 2}}
	for _, dt := range ioDTypes {
		for _, shape := range shapes {
			want := ioSample(dt, shape...)
			encodings := map[string][]byte{
				"raw":      WriteTensorProto("x_"+dt.String(), want),
				"packed":   appendTensorProto(nil, "x_"+dt.String(), want, true),
				"unpacked": unpackedTensorProto("x_"+dt.String(), want),
			}
			for enc, b := range encodings {
				got, name, err := ReadTensorProto(b)
				if err != nil {
					t.Fatalf("%s%v %s: %v", dt, shape, enc, err)
				}
				if name != "x_"+dt.String() {
					t.Errorf("%s%v %s: name %q", dt, shape, enc, name)
				}
				if !ioSame(want, got) {
					t.Errorf("%s%v %s: round trip changed the tensor", dt, shape, enc)
				}
				if k := SniffValueProto(b); k != TensorValue {
					t.Errorf("%s%v %s: sniffed as %d", dt, shape, enc, k)
				}
			}
		}
	}
}

func TestTensorProtoPackedDims(t *testing.T) {
	// proto3 writers (protobufjs's onnx-proto, which testdata/ort uses) pack dims.
	var b []byte
	b = appendBytes(b, tpDims, []byte{2, 3})
	b = appendKey(b, tpDataType, wtVarint)
	b = append(b, byte(Int8))
	b = appendBytes(b, tpName, []byte("y"))
	b = appendBytes(b, tpRawData, []byte{1, 2, 3, 4, 5, 0xff})
	got, name, err := ReadTensorProto(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := FromSlice(Int8, []int{2, 3}, []int8{1, 2, 3, 4, 5, -1})
	if name != "y" || Compare(want, got, 0, 0) != nil {
		t.Fatalf("got %q %v %v", name, got, Data[int8](got))
	}
}

// pbMsg builds a TensorProto from parts, for the corrupt-input table.
type pbMsg []byte

func (b pbMsg) varint(f int, v uint64) pbMsg {
	return binary.AppendUvarint(appendKey(b, f, wtVarint), v)
}
func (b pbMsg) bytes(f int, p []byte) pbMsg { return appendBytes(b, f, p) }
func (b pbMsg) raw(p ...byte) pbMsg         { return append(b, p...) }

func TestTensorProtoCorrupt(t *testing.T) {
	f32 := func() pbMsg { return pbMsg(nil).varint(tpDataType, uint64(Float32)) }
	cases := map[string]struct {
		b    []byte
		want string // a substring of the error
	}{
		"empty":                {nil, "no data_type"},
		"truncated key":        {[]byte{0x80}, "truncated"},
		"truncated varint":     {pbMsg(nil).raw(0x08, 0xff), "truncated"},
		"varint too long":      {pbMsg(nil).raw(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "overflows"},
		"field zero":           {pbMsg(nil).raw(0x00, 0x01), "invalid field number"},
		"length past end":      {f32().raw(0x4a, 0x10, 1, 2, 3), "past the end"},
		"huge length":          {f32().raw(0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f), "past the end"},
		"group wire type":      {f32().raw(0x63), "wire type"},
		"data_type as bytes":   {pbMsg(nil).bytes(tpDataType, []byte{1}), "wire type"},
		"negative dim":         {f32().varint(tpDims, math.MaxUint64).raw(0x4a, 0), "out of range"},
		"dim past int32":       {f32().varint(tpDims, 1<<31).raw(0x4a, 0), "out of range"},
		"dims overflow":        {f32().varint(tpDims, 1<<30).varint(tpDims, 1<<30).bytes(tpRawData, make([]byte, 4)), "too many elements"},
		"dims exceed data":     {f32().varint(tpDims, 1<<24).varint(tpDims, 1<<6).bytes(tpRawData, make([]byte, 4)), "raw_data has 4 bytes"},
		"raw too short":        {f32().varint(tpDims, 2).bytes(tpRawData, make([]byte, 7)), "raw_data has 7 bytes"},
		"raw too long":         {f32().varint(tpDims, 2).bytes(tpRawData, make([]byte, 9)), "raw_data has 9 bytes"},
		"no data":              {f32().varint(tpDims, 3), "float_data holds 0 values, want 3"},
		"too few floats":       {f32().varint(tpDims, 3).bytes(tpFloatData, make([]byte, 8)), "holds 2 values, want 3"},
		"packed float partial": {f32().bytes(tpFloatData, make([]byte, 6)), "packed fixed32"},
		"wrong typed field":    {f32().bytes(tpInt64Data, []byte{1}), "int64_data holds 1 values for a float32"},
		"raw and typed":        {f32().bytes(tpFloatData, make([]byte, 4)).bytes(tpRawData, make([]byte, 4)), "both raw_data and float_data"},
		"float as varint":      {f32().varint(tpFloatData, 1), "wire type 0"},
		"string raw":           {pbMsg(nil).varint(tpDataType, uint64(String)).bytes(tpRawData, []byte("ab")), "raw_data for a string"},
		"string count":         {pbMsg(nil).varint(tpDataType, uint64(String)).varint(tpDims, 2).bytes(tpStringData, []byte("a")), "string_data holds 1 values, want 2"},
		"bool out of range":    {pbMsg(nil).varint(tpDataType, uint64(Bool)).varint(tpInt32Data, 2), "does not fit bool"},
		"int8 out of range":    {pbMsg(nil).varint(tpDataType, uint64(Int8)).varint(tpInt32Data, 300), "does not fit int8"},
		"uint8 negative":       {pbMsg(nil).varint(tpDataType, uint64(Uint8)).varint(tpInt32Data, math.MaxUint64), "does not fit uint8"},
		"int32 out of range":   {pbMsg(nil).varint(tpDataType, uint64(Int32)).varint(tpInt32Data, 1<<40), "does not fit int32"},
		"uint32 out of range":  {pbMsg(nil).varint(tpDataType, uint64(Uint32)).varint(tpUint64Data, 1<<32), "does not fit uint32"},
		"int4 unpacked":        {pbMsg(nil).varint(tpDataType, uint64(Int4)).varint(tpDims, 2).bytes(tpRawData, []byte{1, 2}), "raw_data has 2 bytes, want 1"},
		"uint4 int32_data":     {pbMsg(nil).varint(tpDataType, uint64(Uint4)).varint(tpDims, 3).varint(tpInt32Data, 1), "int32_data holds 1 values, want 2"},
		"int4 one per int32":   {pbMsg(nil).varint(tpDataType, uint64(Int4)).varint(tpDims, 2).varint(tpInt32Data, 1).varint(tpInt32Data, 2), "int32_data holds 2 values, want 1"},
		"int4 packed range":    {pbMsg(nil).varint(tpDataType, uint64(Int4)).varint(tpDims, 2).varint(tpInt32Data, 256), "out of range"},
		"float8 out of range":  {pbMsg(nil).varint(tpDataType, uint64(Float8E5M2)).varint(tpInt32Data, 256), "does not fit float8e5m2"},
		"complex64":            {pbMsg(nil).varint(tpDataType, 14).bytes(tpRawData, make([]byte, 8)), "complex64"},
		"huge data_type":       {pbMsg(nil).varint(tpDataType, 1<<40), "data_type 1099511627776"},
		"external data":        {f32().bytes(tpExternalData, []byte{0x0a, 0x01, 'x'}), "external file"},
		"data_location":        {f32().varint(tpDataLocation, 1), "external file"},
		"segment":              {f32().bytes(tpSegment, []byte{0x08, 0x00}), "segmented"},
	}
	for name, c := range cases {
		_, _, err := ReadTensorProto(c.b)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.want)
		}
	}
	_, _, err := ReadTensorProto(pbMsg(nil).varint(tpDataType, 14).bytes(tpRawData, make([]byte, 8)))
	if !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("complex64: %v does not wrap ErrUnsupportedType", err)
	}
}

// TestTensorProtoTruncations reads every prefix of valid messages: each must give a tensor or an
// error, never a panic.
func TestTensorProtoTruncations(t *testing.T) {
	for _, dt := range ioDTypes {
		x := ioSample(dt, 2, 3)
		for _, b := range [][]byte{WriteTensorProto("name", x), unpackedTensorProto("name", x)} {
			for i := range b {
				ReadTensorProto(b[:i])
				SniffValueProto(b[:i])
			}
		}
	}
}

// TestTensorProtoNoHugeAllocation checks that a few bytes claiming a huge tensor are refused
// before anything of that size is allocated.
func TestTensorProtoNoHugeAllocation(t *testing.T) {
	b := pbMsg(nil).varint(tpDataType, uint64(Float64)).varint(tpDims, 1<<20).varint(tpDims, 1<<20).bytes(tpRawData, make([]byte, 16))
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for range 10 {
		if _, _, err := ReadTensorProto(b); err == nil {
			t.Fatal("no error")
		}
	}
	goruntime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("allocated %d bytes refusing a 30-byte message", d)
	}
}

func TestSequenceProto(t *testing.T) {
	elems := []*Tensor{ioSample(Float32, 2), ioSample(Int64, 3, 1), ioSample(String, 2)}
	b := WriteSequenceProto("seq", elems)
	name, got, err := ReadSequenceProto(b)
	if err != nil {
		t.Fatal(err)
	}
	if name != "seq" || len(got) != len(elems) {
		t.Fatalf("got %q with %d elements", name, len(got))
	}
	for i := range elems {
		if !ioSame(elems[i], got[i]) {
			t.Errorf("element %d changed", i)
		}
	}
	if k := SniffValueProto(b); k != SequenceOrOptional {
		t.Errorf("sniffed as %d", k)
	}
	// An empty sequence, and an optional holding a sequence (OptionalProto field 5).
	empty := WriteSequenceProto("e", nil)
	if _, got, err := ReadSequenceProto(empty); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty sequence: %v %v", got, err)
	}
	opt := pbMsg(nil).bytes(vpName, []byte("o")).varint(vpElemType, elemSequence).bytes(vpSequence, b)
	v, err := ReadValueProto(opt, OptionalValue)
	if err != nil || v.Opt == nil || v.Opt.Kind != SequenceValue || len(v.Opt.Seq) != 3 {
		t.Fatalf("optional sequence: %+v %v", v, err)
	}
	none := pbMsg(nil).bytes(vpName, []byte("o")).varint(vpElemType, 0)
	if v, err := ReadValueProto(none, OptionalValue); err != nil || v.Opt != nil {
		t.Fatalf("empty optional: %+v %v", v, err)
	}
	bad := map[string][]byte{
		"map":              pbMsg(nil).varint(vpElemType, 4).bytes(vpMap, nil),
		"sparse":           pbMsg(nil).varint(vpElemType, 2).bytes(vpSparse, nil),
		"nested sequences": pbMsg(nil).varint(vpElemType, elemSequence).bytes(vpSequence, empty),
		"bad element":      pbMsg(nil).varint(vpElemType, elemTensor).bytes(vpTensor, []byte{0x08}),
		"elem mismatch":    pbMsg(nil).varint(vpElemType, elemSequence).bytes(vpTensor, WriteTensorProto("", elems[0])),
		"name not utf8":    pbMsg(nil).bytes(vpName, []byte{0xff}),
		"name as varint":   pbMsg(nil).varint(vpName, 1),
	}
	for what, b := range bad {
		if _, _, err := ReadSequenceProto(b); err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	twoInOpt := pbMsg(nil).varint(vpElemType, elemTensor).bytes(vpTensor, WriteTensorProto("", elems[0])).bytes(vpTensor, WriteTensorProto("", elems[0]))
	if _, err := ReadValueProto(twoInOpt, OptionalValue); err == nil {
		t.Error("two values in an optional: no error")
	}
	// Hostile nesting: an optional of an optional of ... must be refused without recursing.
	deep := pbMsg(nil).varint(vpElemType, elemTensor)
	for range 1000 {
		deep = pbMsg(nil).varint(vpElemType, elemSequence).bytes(vpSequence, deep)
	}
	if _, err := ReadValueProto(deep, OptionalValue); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("deep nesting: %v", err)
	}
}

// The ONNX message fields the backend walker below needs (onnx.proto).
const (
	modelGraph      = 7
	graphInput      = 11
	graphOutput     = 12
	valueInfoType   = 2
	typeTensor      = 1
	typeSequence    = 4
	typeMap         = 5
	typeSparse      = 8
	typeOptional    = 9
	backendSuiteDir = "../testdata/onnx-backend"
)

// fieldsOf returns the payloads of field f (length-delimited) in message b.
func fieldsOf(b []byte, f int) [][]byte {
	var out [][]byte
	p := pbuf{b: b}
	for !p.done() {
		g, wt, err := p.key()
		if err != nil {
			return out
		}
		if g == f && wt == wtBytes {
			pb, err := p.bytes()
			if err != nil {
				return out
			}
			out = append(out, pb)
			continue
		}
		if p.skip(wt) != nil {
			return out
		}
	}
	return out
}

// declaredKinds returns the value kinds of a model's graph inputs and outputs, from each
// ValueInfoProto's TypeProto.
func declaredKinds(model []byte) (ins, outs []ValueKind) {
	kinds := func(vis [][]byte) []ValueKind {
		var ks []ValueKind
		for _, vi := range vis {
			k := NoValue
			for _, ty := range fieldsOf(vi, valueInfoType) {
				switch {
				case len(fieldsOf(ty, typeTensor)) > 0:
					k = TensorValue
				case len(fieldsOf(ty, typeSequence)) > 0:
					k = SequenceValue
				case len(fieldsOf(ty, typeOptional)) > 0:
					k = OptionalValue
				}
			}
			ks = append(ks, k)
		}
		return ks
	}
	for _, g := range fieldsOf(model, modelGraph) {
		ins, outs = kinds(fieldsOf(g, graphInput)), kinds(fieldsOf(g, graphOutput))
	}
	return ins, outs
}

// TestBackendSuiteFiles reads every input_K.pb and output_K.pb of the vendored ONNX backend
// suite as the message its model declares, and checks that the only refusals are for element
// types the runtime does not hold.
func TestBackendSuiteFiles(t *testing.T) {
	models, _ := filepath.Glob(filepath.Join(backendSuiteDir, "*", "*", "model.onnx"))
	if len(models) == 0 {
		t.Skip("no backend suite at " + backendSuiteDir)
	}
	sort.Strings(models)
	counts := map[ValueKind]int{}
	unsupported := map[string]int{}
	for _, m := range models {
		mb, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		ins, outs := declaredKinds(mb)
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(m), "test_data_set_*", "*put_*.pb"))
		for _, f := range files {
			base := filepath.Base(f)
			var k int
			declared := ins
			if strings.HasPrefix(base, "output_") {
				declared = outs
				k = atoiPrefix(strings.TrimPrefix(base, "output_"))
			} else {
				k = atoiPrefix(strings.TrimPrefix(base, "input_"))
			}
			kind := TensorValue
			if k < len(declared) && declared[k] != NoValue {
				kind = declared[k]
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(backendSuiteDir, f)
			v, err := ReadValueProto(b, kind)
			if err != nil {
				if errors.Is(err, ErrUnsupportedType) && kind == TensorValue {
					unsupported[unsupportedName(err)]++
					continue
				}
				t.Errorf("%s (declared kind %d): %v", rel, kind, err)
				continue
			}
			counts[kind]++
			sniff := SniffValueProto(b)
			if (kind == TensorValue) != (sniff == TensorValue) {
				t.Errorf("%s: declared kind %d, sniffed %d", rel, kind, sniff)
			}
			if kind == TensorValue {
				// Writing what was read and reading it again must give the same tensor.
				again, _, err := ReadTensorProto(WriteTensorProto(v.Name, v.Tensor))
				if err != nil || !ioSame(v.Tensor, again) {
					t.Errorf("%s: rewrite round trip failed: %v", rel, err)
				}
			}
		}
	}
	t.Logf("read %d tensors, %d sequences, %d optionals; refused as unsupported: %v",
		counts[TensorValue], counts[SequenceValue], counts[OptionalValue], unsupported)
	if counts[SequenceValue] == 0 || counts[OptionalValue] == 0 {
		t.Error("the suite should hold sequences and optionals")
	}
	for name := range unsupported {
		switch name {
		case "complex64", "complex128":
		default:
			t.Errorf("refused %d files as unsupported %q, which the runtime should hold", unsupported[name], name)
		}
	}
}

func atoiPrefix(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// unsupportedName extracts the type name from an ErrUnsupportedType error.
func unsupportedName(err error) string {
	s := err.Error()
	i := strings.Index(s, ErrUnsupportedType.Error())
	if i < 0 {
		return s
	}
	return strings.TrimSpace(s[i+len(ErrUnsupportedType.Error()):])
}

func TestFromSlice(t *testing.T) {
	x := FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	if x.DType != Float32 || !ioSameShape(x.Shape, []int{2, 2}) || Data[float32](x)[3] != 4 {
		t.Fatalf("FromFloat32: %v", x)
	}
	if _, err := FromSlice(Float32, []int{3}, []float32{1, 2}); err == nil {
		t.Error("short data: no error")
	}
	if _, err := FromSlice(Float32, []int{1}, []int32{1}); err == nil {
		t.Error("int32 data for float32: no error")
	}
	if _, err := FromSlice(Int64, []int{-1}, []int64{}); err == nil {
		t.Error("negative dim: no error")
	}
	if _, err := FromSlice(String, []int{1}, []uint8{1}); err == nil {
		t.Error("string type: no error")
	}
	h, err := FromSlice(Float16, []int{2}, []F16{ToF16(1), ToF16(-2)})
	if err != nil || Data[F16](h)[1].Float32() != -2 {
		t.Errorf("float16: %v", err)
	}
	if _, err := FromSlice(Float16, []int{1}, []BF16{1}); err == nil {
		t.Error("BF16 data for float16: no error")
	}
	bo, err := FromSlice(Bool, []int{3}, []bool{true, false, true})
	if err != nil || !Data[bool](bo)[2] {
		t.Errorf("bool: %v", err)
	}
	data := []int64{1, 2}
	c, _ := FromSlice(Int64, []int{2}, data)
	data[0] = 9
	if Data[int64](c)[0] != 1 {
		t.Error("FromSlice does not copy")
	}
	s := FromStrings([]int{2}, []string{"a", "b"})
	if s.DType != String || s.Strs[1] != "b" {
		t.Errorf("FromStrings: %v", s)
	}
	defer func() {
		if recover() == nil {
			t.Error("FromFloat32 with short data did not panic")
		}
	}()
	FromFloat32([]int{3}, []float32{1})
}

func TestCompare(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	w := FromFloat32([]int{2, 3}, []float32{1, nan, inf, -inf, 100, 0})
	ok := FromFloat32([]int{2, 3}, []float32{1.0005, nan, inf, -inf, 100.09, 1e-8})
	if err := Compare(w, ok, 1e-3, 1e-7); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	bad := FromFloat32([]int{2, 3}, []float32{1.01, 0, -inf, inf, 100, 0})
	err := Compare(w, bad, 1e-3, 1e-7)
	if err == nil {
		t.Fatal("mismatch: no error")
	}
	for _, want := range []string{"4 of 6 values differ", "at [0 0] want 1 got 1.01", "at [0 1] want NaN got 0", "at [0 2] want +Inf got -Inf", "at [1 0] want -Inf got +Inf"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := Compare(w, FromFloat32([]int{6}, make([]float32, 6)), 1, 1); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("shape mismatch: %v", err)
	}
	i64, _ := FromSlice(Int64, []int{2}, []int64{5, 1 << 60})
	if err := Compare(w, i64, 1, 1); err == nil || !strings.Contains(err.Error(), "element type") {
		t.Errorf("type mismatch: %v", err)
	}
	i64b, _ := FromSlice(Int64, []int{2}, []int64{5, 1<<60 + 1})
	if err := Compare(i64, i64b, 1e-3, 1); err == nil || !strings.Contains(err.Error(), "want 1152921504606846976 got 1152921504606846977") {
		t.Errorf("integers must match exactly: %v", err)
	}
	i8a, _ := FromSlice(Int8, []int{1}, []int8{-3})
	i8b, _ := FromSlice(Int8, []int{1}, []int8{-4})
	if err := Compare(i8a, i8b, 0, 0); err == nil || !strings.Contains(err.Error(), "want -3 got -4") {
		t.Errorf("int8: %v", err)
	}
	if err := Compare(FromStrings([]int{2}, []string{"a", "b"}), FromStrings([]int{2}, []string{"a", "c"}), 1, 1); err == nil || !strings.Contains(err.Error(), `at [1] want "b" got "c"`) {
		t.Errorf("strings: %v", err)
	}
	h1, _ := FromSlice(Float16, []int{1}, []F16{ToF16(1)})
	h2, _ := FromSlice(Float16, []int{1}, []F16{ToF16(1.001)})
	if err := Compare(h1, h2, 1e-2, 0); err != nil {
		t.Errorf("float16 within tolerance: %v", err)
	}
	if err := Compare(h1, h2, 0, 0); err == nil {
		t.Error("float16 mismatch: no error")
	}
	many := FromFloat32([]int{100}, make([]float32, 100))
	other := FromFloat32([]int{100}, make([]float32, 100))
	for i := range 100 {
		Data[float32](other)[i] = 1
	}
	if err := Compare(many, other, 0, 0); err == nil || strings.Count(err.Error(), "want") != maxReported || !strings.HasSuffix(err.Error(), "...") {
		t.Errorf("long report: %v", err)
	}
}

// tensorSeeds are small real TensorProto/SequenceProto messages for the fuzz corpus.
func tensorSeeds() [][]byte {
	var seeds [][]byte
	for _, dt := range ioDTypes {
		x := ioSample(dt, 2, 3)
		seeds = append(seeds, WriteTensorProto("x", x), appendTensorProto(nil, "x", x, true), unpackedTensorProto("x", x))
	}
	seeds = append(seeds, WriteSequenceProto("s", []*Tensor{ioSample(Float32, 2), ioSample(Int64, 1)}))
	seeds = append(seeds, WriteTensorProto("", New(Float32)), WriteTensorProto("", New(Int32, 0, 3)))
	return seeds
}

func FuzzReadTensorProto(f *testing.F) {
	for _, s := range tensorSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, name, err := ReadTensorProto(b)
		SniffValueProto(b)
		ReadValueProto(b, OptionalValue)
		if err != nil {
			return
		}
		// What was read must survive being written and read again.
		y, name2, err := ReadTensorProto(WriteTensorProto(name, x))
		if err != nil || name2 != name || !ioSame(x, y) {
			t.Fatalf("rewrite round trip: %v", err)
		}
	})
}

package runtime

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

var npyDTypes = []DType{Float16, Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Bool}

func TestNpyRoundTrip(t *testing.T) {
	for _, dt := range npyDTypes {
		for _, shape := range [][]int{{}, {0}, {5}, {2, 3, 4}} {
			want := ioSample(dt, shape...)
			b, err := WriteNpy(want)
			if err != nil {
				t.Fatalf("%s%v: %v", dt, shape, err)
			}
			if hl := int(binary.LittleEndian.Uint16(b[8:])); (10+hl)%64 != 0 || b[10+hl-1] != '\n' {
				t.Errorf("%s%v: header of %d bytes is not padded to 64 with a final newline", dt, shape, hl)
			}
			got, err := ReadNpy(b)
			if err != nil {
				t.Fatalf("%s%v: %v", dt, shape, err)
			}
			if !ioSame(want, got) {
				t.Errorf("%s%v: round trip changed the tensor", dt, shape)
			}
		}
	}
	for _, dt := range []DType{BFloat16, String} {
		if _, err := WriteNpy(New(dt, 1)); err == nil {
			t.Errorf("WriteNpy(%s): no error", dt)
		}
	}
}

// npyFile builds a .npy file from a header dict and data, as np.save lays it out.
func npyFile(major byte, header string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	pre := 10
	if major > 1 {
		pre = 12
	}
	header += strings.Repeat(" ", (64-(pre+len(header)+1)%64)%64) + "\n"
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func TestReadNpyVariants(t *testing.T) {
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	good := map[string]struct {
		b     []byte
		dt    DType
		shape []int
	}{
		// np.save(np.arange(6, dtype='<f4').reshape(2, 3)) writes this header (numpy sorts keys
		// and adds spare spaces for growing the array in place).
		"numpy v1":      {npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }                    ", f32(0, 1, 2, 3, 4, 5)), Float32, []int{2, 3}},
		"v2":            {npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32(1, 2, 3)), Float32, []int{3}},
		"v3":            {npyFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32(1)), Float32, []int{1}},
		"scalar":        {npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32(7)), Float32, []int{}},
		"key order":     {npyFile(1, `{"shape": (2,), "fortran_order": False, "descr": "|u1"}`, []byte{1, 2}), Uint8, []int{2}},
		"python2 longs": {npyFile(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2L,), }", []byte{1, 0, 2, 0}), Int16, []int{2}},
		"bool ?":        {npyFile(1, "{'descr': '|?', 'fortran_order': False, 'shape': (2,), }", []byte{1, 0}), Bool, []int{2}},
		"bool b1":       {npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", []byte{1, 0}), Bool, []int{2}},
		"int8 >":        {npyFile(1, "{'descr': '>i1', 'fortran_order': False, 'shape': (1,), }", []byte{0xff}), Int8, []int{1}},
		"native order":  {npyFile(1, "{'descr': '=f8', 'fortran_order': False, 'shape': (0,), }", nil), Float64, []int{0}},
		"fortran 1d":    {npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", f32(1, 2)), Float32, []int{2}},
	}
	for name, c := range good {
		got, err := ReadNpy(c.b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.DType != c.dt || !ioSameShape(got.Shape, c.shape) {
			t.Errorf("%s: got %v", name, got)
		}
	}
	x, _ := ReadNpy(good["numpy v1"].b)
	if d := Data[float32](x); d[5] != 5 {
		t.Errorf("numpy v1: data %v", d)
	}
	// A header over 64 KiB needs format 2.0.
	big := New(Uint8, make([]int, 30000)...)
	for i := range big.Shape {
		big.Shape[i] = 1
	}
	big.Resize(Uint8, big.Shape...)
	b, err := WriteNpy(big)
	if err != nil || b[6] != 2 {
		t.Fatalf("big header: version %d, %v", b[6], err)
	}
	if got, err := ReadNpy(b); err != nil || len(got.Shape) != 30000 {
		t.Fatalf("big header: %v", err)
	}
}

func TestReadNpyCorrupt(t *testing.T) {
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	}
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":          {nil, "bad magic"},
		"bad magic":      {[]byte("\x93NUMPX\x01\x00\x00\x00"), "bad magic"},
		"header past":    {[]byte("\x93NUMPY\x01\x00\xff\x00{"), "runs past"},
		"v2 header past": {[]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"), "runs past"},
		"v2 truncated":   {[]byte("\x93NUMPY\x02\x00\x00\x00"), "truncated"},
		"fortran":        {npyFile(1, hdr("<f4", "True", "(2, 2)"), make([]byte, 16)), "fortran_order"},
		"big endian":     {npyFile(1, hdr(">f4", "False", "(1,)"), make([]byte, 4)), "little-endian"},
		"pipe f4":        {npyFile(1, hdr("|f4", "False", "(1,)"), make([]byte, 4)), "little-endian"},
		"complex":        {npyFile(1, hdr("<c8", "False", "(1,)"), make([]byte, 8)), "not supported"},
		"unicode":        {npyFile(1, hdr("<U3", "False", "(1,)"), make([]byte, 12)), "not supported"},
		"object":         {npyFile(1, hdr("|O", "False", "(1,)"), make([]byte, 8)), "not supported"},
		"structured":     {npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", make([]byte, 4)), "structured"},
		"short data":     {npyFile(1, hdr("<f4", "False", "(2, 3)"), make([]byte, 20)), "20 data bytes, want 24"},
		"long data":      {npyFile(1, hdr("<f4", "False", "(1,)"), make([]byte, 5)), "5 data bytes"},
		"huge shape":     {npyFile(1, hdr("<f8", "False", "(100000000, 100000)"), make([]byte, 8)), "8 data bytes"},
		"overflow shape": {npyFile(1, hdr("<f8", "False", "(4294967296, 4294967296, 4294967296)"), make([]byte, 8)), "too many elements"},
		"negative dim":   {npyFile(1, hdr("<f4", "False", "(-1,)"), nil), "bad dim"},
		"long dim":       {npyFile(1, hdr("<f4", "False", "(99999999999999999999,)"), nil), "bad dim"},
		"bad bool":       {npyFile(1, hdr("|b1", "False", "(1,)"), []byte{2}), "not 0 or 1"},
		"missing key":    {npyFile(1, "{'descr': '<f4', 'shape': (1,), }", make([]byte, 4)), "want the keys"},
		"unknown key":    {npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", make([]byte, 4)), "unknown key"},
		"not a dict":     {npyFile(1, "[1, 2]", nil), "not a dict"},
		"unterminated":   {npyFile(1, "{'descr': '<f4", nil), "unterminated"},
		"trailing":       {npyFile(1, hdr("<f4", "False", "(1,)")+" x", make([]byte, 4)), "trailing"},
		"bad bool word":  {npyFile(1, hdr("<f4", "Maybe", "(1,)"), make([]byte, 4)), "True or False"},
	}
	v4 := npyFile(1, hdr("<f4", "False", "(1,)"), make([]byte, 4))
	v4[6] = 4
	cases["version 4"] = struct {
		b    []byte
		want string
	}{v4, "version 4.0"}
	for name, c := range cases {
		_, err := ReadNpy(c.b)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.want)
		}
	}
	// Every prefix of a valid file gives a tensor or an error, never a panic.
	b, _ := WriteNpy(ioSample(Int16, 3, 5))
	for i := range b {
		if _, err := ReadNpy(b[:i]); err == nil {
			t.Errorf("prefix of %d bytes read without error", i)
		}
	}
}

func FuzzReadNpy(f *testing.F) {
	for _, dt := range npyDTypes {
		b, _ := WriteNpy(ioSample(dt, 2, 3))
		f.Add(b)
	}
	b, _ := WriteNpy(New(Float32))
	f.Add(b)
	f.Add(npyFile(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (1L, 2L), }", make([]byte, 16)))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadNpy(b)
		if err != nil {
			return
		}
		out, err := WriteNpy(x)
		if err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		y, err := ReadNpy(out)
		if err != nil || !ioSame(x, y) {
			t.Fatalf("rewrite round trip: %v", err)
		}
	})
}

package runtime

import (
	"math"
	"testing"
)

func TestMiniFloatEncode(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		dt       DType
		in       float64
		sat, raw uint8 // saturate=1 and saturate=0 results
	}{
		{Float8E4M3FN, 448, 0x7e, 0x7e},
		{Float8E4M3FN, -448, 0xfe, 0xfe},
		{Float8E4M3FN, 464, 0x7e, 0x7e}, // tie between 448 and 480: even mantissa
		{Float8E4M3FN, 470, 0x7e, 0x7f}, // rounds to 480, beyond the largest finite value
		{Float8E4M3FN, inf, 0x7e, 0x7f},
		{Float8E4M3FN, -inf, 0xfe, 0xff},
		{Float8E4M3FN, nan, 0x7f, 0x7f},
		{Float8E4M3FN, 1, 0x38, 0x38},
		{Float8E4M3FN, 0.47892547, 0x2f, 0x2f},
		{Float8E4M3FN, 0x1p-9, 0x01, 0x01},    // smallest subnormal
		{Float8E4M3FN, 0x1p-10, 0x00, 0x00},   // half of it: ties to even, 0
		{Float8E4M3FN, 0x1.8p-10, 0x01, 0x01}, // three quarters: up
		{Float8E4M3FN, -1e-7, 0x80, 0x80},     // -0 keeps its sign
		{Float8E4M3FN, 0x1.cp-7, 0x07, 0x07},  // largest subnormal, 7 * 2^-9
		{Float8E4M3FN, 0x1.ep-7, 0x08, 0x08},  // 7.5 * 2^-9: ties to even, the smallest normal
		{Float8E4M3FNUZ, 240, 0x7f, 0x7f},     // largest finite
		{Float8E4M3FNUZ, 1e6, 0x7f, 0x80},     // overflow: NaN is 0x80
		{Float8E4M3FNUZ, -inf, 0xff, 0x80},
		{Float8E4M3FNUZ, -1e-7, 0x00, 0x00}, // no -0
		{Float8E4M3FNUZ, 1, 0x40, 0x40},     // bias 8
		{Float8E4M3FNUZ, nan, 0x80, 0x80},
		{Float8E5M2, 57344, 0x7b, 0x7b}, // largest finite
		{Float8E5M2, 61440, 0x7b, 0x7c}, // tie rounds up to 65536: infinity without saturate
		{Float8E5M2, inf, 0x7b, 0x7c},
		{Float8E5M2, -1e6, 0xfb, 0xfc},
		{Float8E5M2, 1, 0x3c, 0x3c},
		{Float8E5M2, 0.81910545, 0x3b, 0x3b},
		{Float8E5M2, nan, 0x7e, 0x7e},
		{Float8E5M2, 0x1p-16, 0x01, 0x01}, // smallest subnormal
		{Float8E5M2FNUZ, 57344, 0x7f, 0x7f},
		{Float8E5M2FNUZ, 1e6, 0x7f, 0x80},
		{Float8E5M2FNUZ, 1, 0x40, 0x40}, // bias 16
		{Float8E5M2FNUZ, 0.47892547, 0x3c, 0x3c},
		{Float4E2M1, 0.25, 0x0, 0x0}, // tie between 0 and 0.5: even, 0
		{Float4E2M1, 0.48, 0x1, 0x1},
		{Float4E2M1, 0.75, 0x2, 0x2}, // tie between 0.5 and 1: even, 1
		{Float4E2M1, -3.5, 0xe, 0xe}, // tie between 3 and 4: even, 4
		{Float4E2M1, 5, 0x6, 0x6},    // tie between 4 and 6: even, 4
		{Float4E2M1, 9, 0x7, 0x7},    // float4 always saturates
		{Float4E2M1, -inf, 0xf, 0xf},
		{Float4E2M1, nan, 0x8, 0x8}, // no NaN: -0, as the ONNX reference
		{Float4E2M1, math.Copysign(0, -1), 0x8, 0x8},
		{Float8E8M0, 0, 0x00, 0x00},     // smallest, 2^-127
		{Float8E8M0, 0.124, 0x7c, 0x7c}, // rounds up to 0.125
		{Float8E8M0, 1, 0x7f, 0x7f},
		{Float8E8M0, 1.1, 0x80, 0x80},
		{Float8E8M0, 0x1p128, 0xfe, 0xff},
		{Float8E8M0, inf, 0xfe, 0xff},
		{Float8E8M0, -1, 0xff, 0xff},
		{Float8E8M0, nan, 0xff, 0xff},
	}
	for _, c := range cases {
		if got := MiniFloatFrom(c.dt, c.in, true); got != c.sat {
			t.Errorf("%s(%g) saturating = %#02x, want %#02x", c.dt, c.in, got, c.sat)
		}
		if got := MiniFloatFrom(c.dt, c.in, false); got != c.raw {
			t.Errorf("%s(%g) not saturating = %#02x, want %#02x", c.dt, c.in, got, c.raw)
		}
	}
}

func TestMiniFloatE8M0Rounding(t *testing.T) {
	cases := []struct {
		in                float64
		up, down, nearest uint8
	}{
		{1, 0x7f, 0x7f, 0x7f},
		{1.1, 0x80, 0x7f, 0x7f},
		{1.5, 0x80, 0x7f, 0x80}, // the midpoint of 1 and 2 goes up
		{1.49, 0x80, 0x7f, 0x7f},
		{0.75, 0x7f, 0x7e, 0x7f},
		{0x1p-130, 0x00, 0x00, 0x00}, // below the smallest value
	}
	for _, c := range cases {
		for _, m := range []struct {
			mode E8M0Round
			want uint8
		}{{E8M0Up, c.up}, {E8M0Down, c.down}, {E8M0Nearest, c.nearest}} {
			if got := encodeE8M0(c.in, true, m.mode); got != m.want {
				t.Errorf("e8m0(%g) mode %d = %#02x, want %#02x", c.in, m.mode, got, m.want)
			}
		}
	}
}

func TestMiniFloatDecode(t *testing.T) {
	cases := []struct {
		dt   DType
		bits uint8
		want float64
	}{
		{Float8E4M3FN, 0x7e, 448}, {Float8E4M3FN, 0xfe, -448}, {Float8E4M3FN, 0x7f, math.NaN()},
		{Float8E4M3FN, 0xff, math.NaN()}, {Float8E4M3FN, 0x01, 0x1p-9}, {Float8E4M3FN, 0x38, 1},
		{Float8E4M3FN, 0x80, math.Copysign(0, -1)},
		{Float8E4M3FNUZ, 0x7f, 240}, {Float8E4M3FNUZ, 0x80, math.NaN()}, {Float8E4M3FNUZ, 0xff, -240},
		{Float8E5M2, 0x7b, 57344}, {Float8E5M2, 0x7c, math.Inf(1)}, {Float8E5M2, 0xfc, math.Inf(-1)},
		{Float8E5M2, 0x7d, math.NaN()}, {Float8E5M2, 0x01, 0x1p-16},
		{Float8E5M2FNUZ, 0x7f, 57344}, {Float8E5M2FNUZ, 0x80, math.NaN()}, {Float8E5M2FNUZ, 0x40, 1},
		{Float4E2M1, 0x7, 6}, {Float4E2M1, 0xf, -6}, {Float4E2M1, 0x1, 0.5}, {Float4E2M1, 0x5, 3},
		{Float4E2M1, 0x8, math.Copysign(0, -1)},
		{Float8E8M0, 0x7f, 1}, {Float8E8M0, 0x00, 0x1p-127}, {Float8E8M0, 0xfe, 0x1p127},
		{Float8E8M0, 0xff, math.NaN()},
	}
	for _, c := range cases {
		got := float64(MiniFloatTable(c.dt)[c.bits])
		same := got == c.want && math.Signbit(got) == math.Signbit(c.want) || got != got && c.want != c.want
		if !same {
			t.Errorf("%s %#02x = %g, want %g", c.dt, c.bits, got, c.want)
		}
	}
	// Every non-NaN pattern converts back to itself.
	for _, dt := range []DType{Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1, Float8E8M0} {
		n := 256
		if dt == Float4E2M1 {
			n = 16
		}
		tab := MiniFloatTable(dt)
		for b := 0; b < n; b++ {
			v := tab[b]
			if v != v {
				continue
			}
			if got := MiniFloatFrom(dt, float64(v), false); got != uint8(b) {
				t.Errorf("%s: %#02x decodes to %g, which encodes to %#02x", dt, b, v, got)
			}
		}
	}
}

func TestCastNarrow(t *testing.T) {
	cases := []struct {
		from, to DType
		in       []float64
		want     []float64
	}{
		// Integer casts wrap, as the ONNX reference does.
		{Float32, Int4, []float64{-9, -8, 7, 8, 7.9, -8.5}, []float64{7, -8, 7, -8, 7, -8}},
		{Float32, Uint4, []float64{-1, 15, 16, 3.7}, []float64{15, 15, 0, 3}},
		{Float32, Int2, []float64{-3, -2, 1, 2}, []float64{1, -2, 1, -2}},
		{Int64, Uint2, []float64{-1, 3, 4, 5}, []float64{3, 3, 0, 1}},
		{Float32, Float8E4M3FN, []float64{1e6, 0.5, -2, 0x1p-9}, []float64{448, 0.5, -2, 0x1p-9}},
		{Float16, Float8E5M2, []float64{1, 0.81910545, 60000, -1}, []float64{1, 0.875, 57344, -1}},
		{Float32, Float4E2M1, []float64{0.25, 1.05, -3.5, 100}, []float64{0, 1, -4, 6}},
		{Float32, Float8E8M0, []float64{0.124, 1.1, 2, 4}, []float64{0.125, 2, 2, 4}},
	}
	for _, c := range cases {
		src := ewtFromFloats(t, c.from, []int{len(c.in)}, c.in...)
		got := ewtCastRun(t, src, c.to)
		back := ewtCastRun(t, got, Float64)
		for i, w := range c.want {
			if g := Data[float64](back)[i]; g != w {
				t.Errorf("%s %v to %s: element %d is %g, want %g", c.from, c.in, c.to, i, g, w)
			}
		}
	}
	// Narrow sources widen exactly.
	i4 := New(Int4, 3)
	copy(Data[int8](i4), []int8{-8, 7, -1})
	ewtCheck(t, "int4 to int8", ewtCastRun(t, i4, Int8), Int8, []int{3}, []float64{-8, 7, -1}, 0)
	f8 := New(Float8E4M3FNUZ, 2)
	copy(Data[uint8](f8), []uint8{0x80, 0x7f})
	out := ewtCastRun(t, f8, Float16)
	if v := Data[F16](out); v[0].Float32() == v[0].Float32() || v[1].Float32() != 240 {
		t.Errorf("float8e4m3fnuz to float16: got %v %v, want NaN 240", v[0].Float32(), v[1].Float32())
	}
	// saturate=0 gives NaN or infinity.
	o := ewtOut()
	if err := Cast(ewtX, &CastParams{To: Float8E5M2, NoSaturate: true}, o, []*Tensor{ewtFromFloats(t, Float32, []int{1}, 1e6)}); err != nil {
		t.Fatal(err)
	}
	if b := Data[uint8](o[0])[0]; b != 0x7c {
		t.Errorf("1e6 to e5m2 without saturation: %#02x, want 0x7c", b)
	}
}

func TestPackNarrow(t *testing.T) {
	cases := []struct {
		dt     DType
		packed []byte
		vals   []byte
	}{
		{Int4, []byte{0x8f, 0x07}, []byte{0xff, 0xf8, 0x07}},       // -1, -8, 7
		{Uint4, []byte{0x8f, 0x07}, []byte{0x0f, 0x08, 0x07}},      // 15, 8, 7
		{Float4E2M1, []byte{0x71}, []byte{0x1, 0x7}},               // 0.5, 6
		{Int2, []byte{0xe4, 0x03}, []byte{0, 1, 0xfe, 0xff, 0xff}}, // 0, 1, -2, -1, -1
		{Uint2, []byte{0xe4}, []byte{0, 1, 2, 3}},
	}
	for _, c := range cases {
		if n := StoredLen(c.dt, len(c.vals)); n != len(c.packed) {
			t.Errorf("%s: StoredLen(%d) = %d, want %d", c.dt, len(c.vals), n, len(c.packed))
		}
		vals := make([]byte, len(c.vals))
		UnpackNarrow(c.dt, vals, c.packed)
		if string(vals) != string(c.vals) {
			t.Errorf("%s: unpack %x = %x, want %x", c.dt, c.packed, vals, c.vals)
		}
		packed := make([]byte, len(c.packed))
		PackNarrow(c.dt, packed, c.vals)
		if string(packed) != string(c.packed) {
			t.Errorf("%s: pack %x = %x, want %x", c.dt, c.vals, packed, c.packed)
		}
		// Through a TensorProto, raw and typed.
		tn := New(c.dt, len(c.vals))
		copy(tn.Bytes(), c.vals)
		for _, typed := range []bool{false, true} {
			back, _, err := ReadTensorProto(appendTensorProto(nil, "x", tn, typed))
			if err != nil || string(back.Bytes()) != string(c.vals) {
				t.Errorf("%s typed=%v: round trip gives %v, %v", c.dt, typed, back, err)
			}
		}
	}
}

func TestCompareMiniFloat(t *testing.T) {
	mk := func(b ...uint8) *Tensor {
		x := New(Float8E4M3FN, len(b))
		copy(x.Bytes(), b)
		return x
	}
	if err := Compare(mk(0x7f, 0x38), mk(0xff, 0x38), 0, 0); err != nil {
		t.Errorf("NaN patterns should match: %v", err)
	}
	if err := Compare(mk(0x00), mk(0x80), 1, 1); err == nil {
		t.Error("0 and -0 should differ, whatever the tolerance")
	}
	if err := Compare(mk(0x38), mk(0x39), 1, 1); err == nil {
		t.Error("neighbouring values should differ, whatever the tolerance")
	}
}

package runtime

import "math"

// This file converts between the ONNX float8 and float4 types (held as bit patterns, one per
// byte) and float32/float64. Each format is one row of mfFormats; decoding is a 256-entry
// table built from the row, encoding rounds once to nearest even from the exact float64
// source value.

// mfFormat describes a small float format: sign, exp exponent bits, man mantissa bits.
type mfFormat struct {
	exp, man int
	bias     int
	// inf: the all-ones exponent with a zero mantissa is ±infinity and with any other mantissa
	// NaN, as in IEEE 754 (e5m2). Otherwise all values are finite: fnuz formats have one NaN,
	// the pattern of negative zero (0x80), and no negative zero; the others (e4m3fn) have NaN
	// at the all-ones exponent and mantissa, and float4e2m1 has no NaN at all.
	inf, fnuz bool
	noNaN     bool
	// unsigned: no sign bit and no mantissa (e8m0, a bare power of two; 0xff is NaN).
	unsigned bool
	max      float64 // largest finite value
	maxBits  uint8
}

var mfFormats = [...]mfFormat{
	Float8E4M3FN:   {exp: 4, man: 3, bias: 7, max: 448, maxBits: 0x7e},
	Float8E4M3FNUZ: {exp: 4, man: 3, bias: 8, fnuz: true, max: 240, maxBits: 0x7f},
	Float8E5M2:     {exp: 5, man: 2, bias: 15, inf: true, max: 57344, maxBits: 0x7b},
	Float8E5M2FNUZ: {exp: 5, man: 2, bias: 16, fnuz: true, max: 57344, maxBits: 0x7f},
	Float4E2M1:     {exp: 2, man: 1, bias: 1, noNaN: true, max: 6, maxBits: 0x7},
	Float8E8M0:     {exp: 8, bias: 127, unsigned: true, max: 0x1p127, maxBits: 0xfe},
}

// mfTables holds the float32 value of every bit pattern of each mini float type.
var mfTables [len(mfFormats)]*[256]float32

func init() {
	for dt := range mfFormats {
		if DType(dt).IsMiniFloat() {
			t := new([256]float32)
			for b := range t {
				t[b] = float32(mfFormats[dt].decode(uint8(b)))
			}
			mfTables[dt] = t
		}
	}
}

// MiniFloatTable is the float32 value of each bit pattern of mini float type dt (nil for other
// types; only the low 16 entries are patterns of float4e2m1).
func MiniFloatTable(dt DType) *[256]float32 {
	if int(dt) < len(mfTables) {
		return mfTables[dt]
	}
	return nil
}

func (f *mfFormat) signBit() uint8 {
	if f.unsigned {
		return 0
	}
	return 1 << (f.exp + f.man)
}

func (f *mfFormat) nanBits(sign uint8) uint8 {
	switch {
	case f.unsigned:
		return 0xff
	case f.fnuz:
		return 0x80
	case f.inf:
		return sign | 0x7e // e5m2: all-ones exponent, quiet mantissa 10
	}
	return sign | 0x7f // e4m3fn: all ones
}

// decode is the value of bit pattern b (bits above the format's width are ignored).
func (f *mfFormat) decode(b uint8) float64 {
	if f.unsigned {
		if b == 0xff {
			return math.NaN()
		}
		return math.Ldexp(1, int(b)-f.bias)
	}
	width := 1 + f.exp + f.man
	b &= uint8(1<<width - 1)
	sign := 1.0
	if b&f.signBit() != 0 {
		sign = -1
	}
	e := int(b>>f.man) & (1<<f.exp - 1)
	m := int(b) & (1<<f.man - 1)
	allOnes := 1<<f.exp - 1
	switch {
	case f.fnuz && b == 0x80:
		return math.NaN()
	case f.inf && e == allOnes && m == 0:
		return math.Inf(int(sign))
	case f.inf && e == allOnes:
		return math.NaN()
	case !f.inf && !f.fnuz && !f.noNaN && e == allOnes && m == 1<<f.man-1:
		return math.NaN()
	case e == 0:
		return sign * math.Ldexp(float64(m), 1-f.bias-f.man)
	}
	return sign * math.Ldexp(float64(1<<f.man+m), e-f.bias-f.man)
}

// encode rounds v to the nearest value of the format, ties to even. Values beyond the largest
// finite one (infinities included) become it when sat is set, else infinity where the format
// has one and NaN where it has not (float4e2m1, which has neither, always saturates). NaN
// becomes NaN (-0 for float4e2m1); -0 becomes +0 in the fnuz formats.
func (f *mfFormat) encode(v float64, sat bool) uint8 {
	var sign uint8
	if math.Signbit(v) {
		sign = f.signBit()
	}
	if v != v {
		if f.noNaN {
			return f.signBit() // float4e2m1 has no NaN: -0, as the ONNX reference gives
		}
		return f.nanBits(sign)
	}
	a := math.Abs(v)
	overflow := func() uint8 {
		switch {
		case sat || f.noNaN:
			return sign | f.maxBits
		case f.inf:
			return sign | uint8(1<<f.exp-1)<<f.man
		}
		return f.nanBits(sign)
	}
	if math.IsInf(a, 0) {
		return overflow()
	}
	emin := 1 - f.bias
	_, e := math.Frexp(a)
	e-- // a = 1.x * 2^e
	if e < emin {
		e = emin
	}
	q := math.Ldexp(1, e-f.man)
	r := math.RoundToEven(a/q) * q
	if r > f.max {
		return overflow()
	}
	if r == 0 {
		if f.fnuz {
			return 0
		}
		return sign
	}
	_, e = math.Frexp(r)
	e--
	if e < emin { // subnormal
		return sign | uint8(r/math.Ldexp(1, emin-f.man))
	}
	m := uint8(r/math.Ldexp(1, e-f.man)) - 1<<f.man
	return sign | uint8(e+f.bias)<<f.man | m
}

// E8M0Round says how a value that is not a power of two becomes float8e8m0 (Cast's round_mode).
type E8M0Round uint8

const (
	E8M0Up      E8M0Round = iota // the next power of two up ("up", the default)
	E8M0Down                     // the next power of two down ("down")
	E8M0Nearest                  // the nearer of the two, ties up ("nearest")
)

// encodeE8M0 converts v to float8e8m0, a bare power of two 2^-127..2^127: the exponent is
// rounded by mode; NaN, negative values and infinities (without sat) give NaN; with sat,
// values beyond 2^127 give 2^127 and values below 2^-127 (zero included) give 2^-127.
func encodeE8M0(v float64, sat bool, mode E8M0Round) uint8 {
	if v != v || v < 0 {
		return 0xff
	}
	if math.IsInf(v, 1) {
		if sat {
			return 0xfe
		}
		return 0xff
	}
	if v == 0 {
		return 0
	}
	fr, e := math.Frexp(v) // v = fr * 2^e, fr in [0.5, 1)
	e--                    // v = 2fr * 2^e, 2fr in [1, 2)
	switch mode {
	case E8M0Up:
		if fr != 0.5 {
			e++
		}
	case E8M0Nearest:
		if fr >= 0.75 {
			e++
		}
	}
	b := e + 127
	switch {
	case b < 0:
		return 0
	case b > 0xfe && sat:
		return 0xfe
	case b > 0xfe:
		return 0xff
	}
	return uint8(b)
}

// MiniFloatFrom converts v to the bit pattern of mini float type dt (see mfFormat.encode and
// encodeE8M0; float8e8m0 rounds up).
func MiniFloatFrom(dt DType, v float64, sat bool) uint8 {
	if dt == Float8E8M0 {
		return encodeE8M0(v, sat, E8M0Up)
	}
	return mfFormats[dt].encode(v, sat)
}

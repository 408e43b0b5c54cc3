package runtime

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CastParams configures Cast (and CastLike, whose target is the second input's type).
// NoSaturate is ONNX's saturate=0 for float8 targets; Round is round_mode for float8e8m0.
type CastParams struct {
	To         DType
	NoSaturate bool
	Round      E8M0Round
}

// Cast converts every element to type To (ONNX Cast). Numbers convert as in C/numpy: floats to
// integers truncate toward zero (out-of-range values are undefined in ONNX; here they wrap through
// int64), integers wrap, anything to bool is "not zero" (NaN is true), and float16/bfloat16
// results are rounded once, to nearest even. Strings parse plain and scientific notation and the
// literals INF, +INF, -INF and NaN in any case; numbers format as numpy's str does (shortest
// round-trip digits, "1.0", "1e-05"), with infinities and NaN as "INF", "-INF" and "NaN".
//
// The narrow types: int4, uint4, int2 and uint2 results wrap like the wider integers; float8
// and float4 results are rounded once, to nearest even, from the exact source value, out-of-range
// values (infinities included) becoming the largest finite value unless NoSaturate, then
// infinity (e5m2) or NaN (see mfFormat.encode); float8e8m0 results round as p.Round says.
// Float8 and float4 sources convert to float32 exactly first.
func Cast(x *Exec, p *CastParams, out, in []*Tensor) error {
	src, dst := in[0], out[0]
	to := p.To
	if !to.Valid() {
		return fmt.Errorf("cast to %s: unsupported element type", to)
	}
	if !src.DType.Valid() {
		return fmt.Errorf("cast from %s: unsupported element type", src.DType)
	}
	if src.DType == to {
		if dst.Buf != nil && dst.Buf == src.Buf && to != String {
			dst.Resize(to, src.Shape...) // in place: the data is already there
		} else {
			dst.CopyFrom(src)
		}
		return nil
	}
	switch {
	case src.DType == String:
		strs := src.Strs
		dst.Resize(to, src.Shape...)
		return castFromStrings(dst, strs, castOpts{sat: !p.NoSaturate, round: p.Round})
	case to == String:
		dst.Resize(to, src.Shape...)
		castToStrings(x, dst.Strs, src)
		return nil
	}
	// Storage may be shared only when the sizes match (same-shaped in-place use); a converted
	// element is then written after its source element is read.
	n := src.Len()
	if src.Buf != nil && src.Buf == dst.Buf && to.Size() != src.DType.Size() {
		dst.Buf = &Buffer{}
	}
	dst.Resize(to, src.Shape...)
	parFor(x.Pool, n, 2, castJob{dst: dst, src: src, o: castOpts{sat: !p.NoSaturate, round: p.Round}})
	return nil
}

// castOpts are the conversion options for float8 targets.
type castOpts struct {
	sat   bool
	round E8M0Round
}

type castJob struct {
	dst, src *Tensor
	o        castOpts
}

func (j castJob) run(lo, hi int) { castRange(j.dst, j.src, lo, hi, j.o) }

// castRange converts elements [lo, hi) of numeric src into dst.
func castRange(dst, src *Tensor, lo, hi int, o castOpts) {
	if tab := MiniFloatTable(src.DType); tab != nil {
		// Float8 and float4 values widen to float32 exactly.
		s := Data[uint8](src)
		var buf [ewBlock]float32
		for i := lo; i < hi; i += ewBlock {
			j := min(i+ewBlock, hi)
			b := buf[:j-i]
			for k, v := range s[i:j] {
				b[k] = tab[v]
			}
			castFrom(dst, i, b, o)
		}
		return
	}
	switch src.DType {
	case Float32:
		castFrom(dst, lo, Data[float32](src)[lo:hi], o)
	case Float64:
		castFrom(dst, lo, Data[float64](src)[lo:hi], o)
	case Int8, Int4, Int2: // the narrow integers are held as int8 and uint8
		castFrom(dst, lo, Data[int8](src)[lo:hi], o)
	case Int16:
		castFrom(dst, lo, Data[int16](src)[lo:hi], o)
	case Int32:
		castFrom(dst, lo, Data[int32](src)[lo:hi], o)
	case Int64:
		castFrom(dst, lo, Data[int64](src)[lo:hi], o)
	case Uint8, Bool, Uint4, Uint2: // bools are bytes holding 0 or 1
		castFrom(dst, lo, Data[uint8](src)[lo:hi], o)
	case Uint16:
		castFrom(dst, lo, Data[uint16](src)[lo:hi], o)
	case Uint32:
		castFrom(dst, lo, Data[uint32](src)[lo:hi], o)
	case Uint64:
		castFrom(dst, lo, Data[uint64](src)[lo:hi], o)
	case Float16, BFloat16:
		// Half values widen to float32 exactly, so casting the float32 is exact too.
		s := Data[uint16](src)
		var buf [ewBlock]float32
		for i := lo; i < hi; i += ewBlock {
			j := min(i+ewBlock, hi)
			ewHalfLoad(src.DType, buf[:j-i], s[i:j])
			castFrom(dst, i, buf[:j-i], o)
		}
	}
}

// castFrom converts s into dst's elements starting at lo.
func castFrom[S ewNum](dst *Tensor, lo int, s []S, o castOpts) {
	hi := lo + len(s)
	switch dst.DType {
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1:
		d := Data[uint8](dst)[lo:hi]
		f := &mfFormats[dst.DType]
		for i, v := range s {
			d[i] = f.encode(float64(v), o.sat)
		}
	case Float8E8M0:
		d := Data[uint8](dst)[lo:hi]
		for i, v := range s {
			d[i] = encodeE8M0(float64(v), o.sat, o.round)
		}
	case Int4, Int2:
		d := Data[int8](dst)[lo:hi]
		castInt(d, s)
		castWrapNarrow(dst.DType, d)
	case Uint4, Uint2:
		d := Data[uint8](dst)[lo:hi]
		castInt(d, s)
		castWrapNarrow(dst.DType, d)
	case Float32:
		castNum(Data[float32](dst)[lo:hi], s)
	case Float64:
		castNum(Data[float64](dst)[lo:hi], s)
	case Int8:
		castInt(Data[int8](dst)[lo:hi], s)
	case Int16:
		castInt(Data[int16](dst)[lo:hi], s)
	case Int32:
		castInt(Data[int32](dst)[lo:hi], s)
	case Int64:
		castInt(Data[int64](dst)[lo:hi], s)
	case Uint8:
		castInt(Data[uint8](dst)[lo:hi], s)
	case Uint16:
		castInt(Data[uint16](dst)[lo:hi], s)
	case Uint32:
		castInt(Data[uint32](dst)[lo:hi], s)
	case Uint64:
		castInt(Data[uint64](dst)[lo:hi], s)
	case Bool:
		d := Data[bool](dst)[lo:hi]
		for i, v := range s {
			d[i] = v != 0
		}
	case Float16:
		d := Data[F16](dst)[lo:hi]
		if f, ok := any(s).([]float32); ok {
			for i, v := range f {
				d[i] = ToF16(v)
			}
			return
		}
		for i, v := range s {
			d[i] = scToF16(float64(v))
		}
	case BFloat16:
		d := Data[BF16](dst)[lo:hi]
		if f, ok := any(s).([]float32); ok {
			for i, v := range f {
				d[i] = ToBF16(v)
			}
			return
		}
		for i, v := range s {
			d[i] = scToBF16(float64(v))
		}
	}
}

// castWrapNarrow wraps int8 or uint8 values to the 4 or 2 bits of dt (sign-extending int4
// and int2), as integer casts wrap.
func castWrapNarrow[T int8 | uint8](dt DType, d []T) {
	shift := 8 - dt.Bits()
	for i, v := range d {
		d[i] = v << shift >> shift
	}
}

// castNum converts to a float type (Go rounds to nearest even) or between integer types (Go
// wraps), both as ONNX and numpy do.
func castNum[D, S ewNum](d []D, s []S) {
	d = d[:len(s)]
	for i, v := range s {
		d[i] = D(v)
	}
}

// castInt converts to an integer type. Integer sources wrap; float sources truncate toward zero
// through int64 (uint64 above 2^63), so that, as on common C platforms, -1.0 becomes 255 as
// uint8 rather than Go's implementation-defined value.
func castInt[D ewInt, S ewNum](d []D, s []S) {
	d = d[:len(s)]
	if S(1)/S(2) == 0 { // integer source
		for i, v := range s {
			d[i] = D(v)
		}
		return
	}
	for i, v := range s {
		f := float64(v)
		if f >= 1<<63 {
			d[i] = D(uint64(f))
		} else {
			d[i] = D(int64(f))
		}
	}
}

// castToStrings formats numeric src.
func castToStrings(x *Exec, d []string, src *Tensor) {
	n := src.Len()
	x.Pool.For(n, 50, func(lo, hi int) {
		var b []byte
		for i := lo; i < hi; i++ {
			b = b[:0]
			switch src.DType {
			case Float32:
				b = castFormatFloat(b, float64(Data[float32](src)[i]), 32)
			case Float64:
				b = castFormatFloat(b, Data[float64](src)[i], 64)
			case Float16, BFloat16:
				b = castFormatFloat(b, float64(castHalfAt(src, i)), 16)
			case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1, Float8E8M0:
				// float32 digits: the value is exact in float32, and fewer digits may not read
				// back as it.
				b = castFormatFloat(b, float64(MiniFloatTable(src.DType)[Data[uint8](src)[i]]), 32)
			case Bool:
				if Data[bool](src)[i] {
					b = append(b, "True"...)
				} else {
					b = append(b, "False"...)
				}
			case Int8, Int4, Int2:
				b = strconv.AppendInt(b, int64(Data[int8](src)[i]), 10)
			case Int16:
				b = strconv.AppendInt(b, int64(Data[int16](src)[i]), 10)
			case Int32:
				b = strconv.AppendInt(b, int64(Data[int32](src)[i]), 10)
			case Int64:
				b = strconv.AppendInt(b, Data[int64](src)[i], 10)
			case Uint8, Uint4, Uint2:
				b = strconv.AppendUint(b, uint64(Data[uint8](src)[i]), 10)
			case Uint16:
				b = strconv.AppendUint(b, uint64(Data[uint16](src)[i]), 10)
			case Uint32:
				b = strconv.AppendUint(b, uint64(Data[uint32](src)[i]), 10)
			case Uint64:
				b = strconv.AppendUint(b, Data[uint64](src)[i], 10)
			}
			d[i] = string(b)
		}
	})
}

func castHalfAt(t *Tensor, i int) float32 {
	v := Data[uint16](t)[i]
	if t.DType == BFloat16 {
		return BF16(v).Float32()
	}
	return F16(v).Float32()
}

// castFormatFloat appends f as numpy's str formats a float of the given width: the shortest
// digits that read back as the same value, positional when 1e-4 <= |f| < 1e16 (with ".0" on
// whole numbers), scientific otherwise ("1e-05", "1.5e+16"). Width 16 is float16 or bfloat16,
// which strconv lacks: the digits are found by trying more until the value reads back.
func castFormatFloat(b []byte, f float64, bits int) []byte {
	switch {
	case f != f:
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "INF"...)
	case math.IsInf(f, -1):
		return append(b, "-INF"...)
	}
	var e string
	switch bits {
	case 32, 64:
		e = strconv.FormatFloat(f, 'e', -1, bits)
	default:
		for prec := 0; prec < 17; prec++ {
			e = strconv.FormatFloat(f, 'e', prec, 64)
			if g, _ := strconv.ParseFloat(e, 64); castSame16(g, f) {
				break
			}
		}
	}
	// e is [-]d[.ddd]e±XX.
	neg := e[0] == '-'
	if neg {
		e = e[1:]
		b = append(b, '-')
	}
	k := strings.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[k+1:])
	digits := strings.TrimRight(strings.Replace(e[:k], ".", "", 1), "0")
	if digits == "" {
		digits = "0"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	if f == 0 {
		return append(b, "0.0"...)
	}
	if exp < 0 {
		b = append(b, "0."...)
		for i := -1; i > exp; i-- {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	if len(digits) <= exp+1 {
		b = append(b, digits...)
		for i := len(digits); i <= exp; i++ {
			b = append(b, '0')
		}
		return append(b, ".0"...)
	}
	b = append(b, digits[:exp+1]...)
	b = append(b, '.')
	return append(b, digits[exp+1:]...)
}

// castSame16 reports whether g rounds to the same 16-bit value f is (f is exactly a float16 or a
// bfloat16; trying both is harmless, since g is closest to f in either format's precision only
// when it rounds back to f in the format f came from).
func castSame16(g, f float64) bool {
	return scToF16(g).Float32() == float32(f) || scToBF16(g).Float32() == float32(f)
}

// castFromStrings parses strings into numeric dst.
func castFromStrings(dst *Tensor, strs []string, o castOpts) error {
	for i, s := range strs {
		s = strings.TrimSpace(s)
		switch dt := dst.DType; {
		case dt.IsMiniFloat():
			f, err := castParseFloat(s, 64)
			if err != nil {
				return err
			}
			if dt == Float8E8M0 {
				Data[uint8](dst)[i] = encodeE8M0(f, o.sat, o.round)
			} else {
				Data[uint8](dst)[i] = mfFormats[dt].encode(f, o.sat)
			}
		case dt.IsFloat():
			bits := 64
			if dt == Float32 {
				bits = 32
			}
			f, err := castParseFloat(s, bits)
			if err != nil {
				return err
			}
			switch dt {
			case Float32:
				Data[float32](dst)[i] = float32(f)
			case Float64:
				Data[float64](dst)[i] = f
			case Float16:
				Data[F16](dst)[i] = scToF16(f)
			case BFloat16:
				Data[BF16](dst)[i] = scToBF16(f)
			}
		case dt == Bool:
			switch strings.ToLower(s) {
			case "true":
				Data[bool](dst)[i] = true
			case "false":
				Data[bool](dst)[i] = false
			default:
				f, err := castParseFloat(s, 64)
				if err != nil {
					return err
				}
				Data[bool](dst)[i] = f != 0
			}
		case dt.IsUnsigned():
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				f, ferr := castParseFloat(s, 64)
				if ferr != nil {
					return ferr
				}
				if v = uint64(int64(f)); f >= 1<<63 {
					v = uint64(f)
				}
			}
			castStoreInt(dst, i, int64(v))
		default:
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f, ferr := castParseFloat(s, 64)
				if ferr != nil {
					return ferr
				}
				v = int64(f) // "100.5" gives 100, as the ONNX spec suggests
			}
			castStoreInt(dst, i, v)
		}
	}
	return nil
}

// castStoreInt stores v into integer element i of dst, wrapping to its width.
func castStoreInt(dst *Tensor, i int, v int64) {
	switch dst.DType {
	case Int8:
		Data[int8](dst)[i] = int8(v)
	case Int4, Int2:
		shift := 64 - dst.DType.Bits()
		Data[int8](dst)[i] = int8(v << shift >> shift)
	case Uint4, Uint2:
		Data[uint8](dst)[i] = uint8(v) & (1<<dst.DType.Bits() - 1)
	case Int16:
		Data[int16](dst)[i] = int16(v)
	case Int32:
		Data[int32](dst)[i] = int32(v)
	case Int64:
		Data[int64](dst)[i] = v
	case Uint8:
		Data[uint8](dst)[i] = uint8(v)
	case Uint16:
		Data[uint16](dst)[i] = uint16(v)
	case Uint32:
		Data[uint32](dst)[i] = uint32(v)
	case Uint64:
		Data[uint64](dst)[i] = uint64(v)
	}
}

// castParseFloat parses a decimal or scientific number or one of the special literals; strconv
// already accepts "inf", "+inf", "-inf", "infinity" and "nan" in any case.
func castParseFloat(s string, bits int) (float64, error) {
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // overflow gives ±Inf, underflow ±0, as numpy does
		}
		return 0, fmt.Errorf("cannot cast string %q to a number", s)
	}
	return f, nil
}

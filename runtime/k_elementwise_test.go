package runtime

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Test helpers for the elementwise kernels.

func ewtT[T Elem](dt DType, shape []int, v ...T) *Tensor {
	var z T
	if int(sizeOf(z)) != dt.Size() {
		panic(fmt.Sprintf("ewtT: %T values for a %s tensor", z, dt))
	}
	t := New(dt, shape...)
	copy(Data[T](t), v)
	return t
}

func ewtF32(shape []int, v ...float32) *Tensor { return ewtT(Float32, shape, v...) }

func ewtOut() []*Tensor { return []*Tensor{{Buf: &Buffer{}}} }

var ewtNaN = math.NaN()

// ewtSame compares floats with NaN equal to NaN and a small relative tolerance.
func ewtSame(got, want float64, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) || tol == 0 {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func ewtFloats(t *Tensor) []float64 {
	n := t.Len()
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		switch t.DType {
		case Float32:
			out[i] = float64(Data[float32](t)[i])
		case Float64:
			out[i] = Data[float64](t)[i]
		case Float16:
			out[i] = float64(Data[F16](t)[i].Float32())
		case BFloat16:
			out[i] = float64(Data[BF16](t)[i].Float32())
		case Int8:
			out[i] = float64(Data[int8](t)[i])
		case Int16:
			out[i] = float64(Data[int16](t)[i])
		case Int32:
			out[i] = float64(Data[int32](t)[i])
		case Int64:
			out[i] = float64(Data[int64](t)[i])
		case Uint8:
			out[i] = float64(Data[uint8](t)[i])
		case Uint16:
			out[i] = float64(Data[uint16](t)[i])
		case Uint32:
			out[i] = float64(Data[uint32](t)[i])
		case Uint64:
			out[i] = float64(Data[uint64](t)[i])
		case Bool:
			if Data[bool](t)[i] {
				out[i] = 1
			}
		}
	}
	return out
}

func ewtCheck(t *testing.T, name string, got *Tensor, dt DType, shape []int, want []float64, tol float64) {
	t.Helper()
	if got.DType != dt || !slices.Equal(got.Shape, shape) {
		t.Errorf("%s: got %s%v, want %s%v", name, got.DType, got.Shape, dt, shape)
		return
	}
	g := ewtFloats(got)
	if len(g) != len(want) {
		t.Errorf("%s: %d elements, want %d", name, len(g), len(want))
		return
	}
	for i := range g {
		if !ewtSame(g[i], want[i], tol) {
			t.Errorf("%s: element %d = %v, want %v (all %v)", name, i, g[i], want[i], g)
			return
		}
	}
}

func TestUnaryFloat(t *testing.T) {
	inf := math.Inf(1)
	in := []float32{-2, -0.5, 0, 0.5, 2, float32(ewtNaN)}
	cases := []struct {
		op          int
		alpha, beta float64
		want        []float64
	}{
		{UnaryAbs, 0, 0, []float64{2, 0.5, 0, 0.5, 2, ewtNaN}},
		{UnaryNeg, 0, 0, []float64{2, 0.5, 0, -0.5, -2, ewtNaN}},
		{UnaryExp, 0, 0, []float64{0.1353352832, 0.6065306597, 1, 1.6487212707, 7.3890560989, ewtNaN}},
		{UnaryReciprocal, 0, 0, []float64{-0.5, -2, inf, 2, 0.5, ewtNaN}},
		{UnaryFloor, 0, 0, []float64{-2, -1, 0, 0, 2, ewtNaN}},
		{UnaryCeil, 0, 0, []float64{-2, -0, 0, 1, 2, ewtNaN}},
		{UnaryRound, 0, 0, []float64{-2, -0, 0, 0, 2, ewtNaN}},
		{UnarySign, 0, 0, []float64{-1, -1, 0, 1, 1, ewtNaN}},
		{UnaryRelu, 0, 0, []float64{0, 0, 0, 0.5, 2, ewtNaN}},
		{UnarySigmoid, 0, 0, []float64{0.1192029220, 0.3775406688, 0.5, 0.6224593312, 0.8807970780, ewtNaN}},
		{UnaryHardSigmoid, 0.2, 0.5, []float64{0.1, 0.4, 0.5, 0.6, 0.9, ewtNaN}},
		{UnaryHardSwish, 0, 0, []float64{-2 * (1.0 / 6), -0.5 * (0.5 - 1.0/12), 0, 0.5 * (0.5 + 1.0/12), 2 * (5.0 / 6), ewtNaN}},
		{UnaryTanh, 0, 0, []float64{-0.9640275801, -0.4621171573, 0, 0.4621171573, 0.9640275801, ewtNaN}},
		{UnaryErf, 0, 0, []float64{-0.9953222650, -0.5204998778, 0, 0.5204998778, 0.9953222650, ewtNaN}},
		{UnarySoftplus, 0, 0, []float64{0.1269280110, 0.4740769842, 0.6931471806, 0.9740769842, 2.1269280110, ewtNaN}},
		{UnarySoftsign, 0, 0, []float64{-2.0 / 3, -1.0 / 3, 0, 1.0 / 3, 2.0 / 3, ewtNaN}},
		{UnaryElu, 2, 0, []float64{2 * (math.Exp(-2) - 1), 2 * (math.Exp(-0.5) - 1), 0, 0.5, 2, ewtNaN}},
		{UnarySelu, 1.5, 2, []float64{2 * 1.5 * (math.Exp(-2) - 1), 2 * 1.5 * (math.Exp(-0.5) - 1), 0, 1, 4, ewtNaN}},
		{UnaryCelu, 2, 0, []float64{2 * (math.Exp(-1) - 1), 2 * (math.Exp(-0.25) - 1), 0, 0.5, 2, ewtNaN}},
		{UnaryLeakyRelu, 0.1, 0, []float64{-0.2, -0.05, 0, 0.5, 2, ewtNaN}},
		{UnaryThresholdedRelu, 0.5, 0, []float64{0, 0, 0, 0, 2, 0}},
		{UnaryShrink, 0.25, 0.5, []float64{-1.75, 0, 0, 0, 1.75, 0}},
		{UnaryMish, 0, 0, []float64{-2 * math.Tanh(math.Log1p(math.Exp(-2))), -0.5 * math.Tanh(math.Log1p(math.Exp(-0.5))), 0, 0.5 * math.Tanh(math.Log1p(math.Exp(0.5))), 2 * math.Tanh(math.Log1p(math.Exp(2))), ewtNaN}},
		{UnaryGelu, 0, 0, []float64{-0.0455002639, -0.1542687694, 0, 0.3457312306, 1.9544997361, ewtNaN}},
		{UnaryGeluTanh, 0, 0, []float64{-0.0454023059, -0.1542859, 0, 0.3457141, 1.9545976941, ewtNaN}},
		{UnarySwish, 1, 0, []float64{-2 * 0.1192029220, -0.5 * 0.3775406688, 0, 0.5 * 0.6224593312, 2 * 0.8807970780, ewtNaN}},
		{UnarySin, 0, 0, []float64{math.Sin(-2), math.Sin(-0.5), 0, math.Sin(0.5), math.Sin(2), ewtNaN}},
		{UnaryAtan, 0, 0, []float64{math.Atan(-2), math.Atan(-0.5), 0, math.Atan(0.5), math.Atan(2), ewtNaN}},
		{UnaryAsinh, 0, 0, []float64{math.Asinh(-2), math.Asinh(-0.5), 0, math.Asinh(0.5), math.Asinh(2), ewtNaN}},
		{UnaryAsin, 0, 0, []float64{ewtNaN, -0.5235987756, 0, 0.5235987756, ewtNaN, ewtNaN}},
		{UnaryLog, 0, 0, []float64{ewtNaN, ewtNaN, -inf, -0.6931471806, 0.6931471806, ewtNaN}},
		{UnarySqrt, 0, 0, []float64{ewtNaN, ewtNaN, 0, 0.7071067812, 1.4142135624, ewtNaN}},
	}
	for _, c := range cases {
		for _, dt := range []DType{Float32, Float64, Float16, BFloat16} {
			name := fmt.Sprintf("op%d/%s", c.op, dt)
			src := ewtCast(t, ewtF32([]int{2, 3}, in...), dt)
			out := ewtOut()
			if err := Unary(ewtX, &UnaryParams{Op: c.op, Alpha: c.alpha, Beta: c.beta}, out, []*Tensor{src}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			tol := 1e-6
			if dt == Float16 || dt == BFloat16 {
				tol = 1e-2 // inputs are exact halves; outputs are rounded to 8 or 11 bits
			}
			ewtCheck(t, name, out[0], dt, []int{2, 3}, c.want, tol)
		}
	}
}

// ewtCast converts a tensor with the Cast kernel (itself tested in k_cast_test.go).
func ewtCast(t *testing.T, src *Tensor, to DType) *Tensor {
	t.Helper()
	out := ewtOut()
	if err := Cast(ewtX, &CastParams{To: to}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func TestUnaryRoundHalfEven(t *testing.T) {
	out := ewtOut()
	src := ewtF32([]int{6}, 0.5, 1.5, 2.5, -0.5, -2.5, 2.4999998)
	if err := Unary(ewtX, &UnaryParams{Op: UnaryRound}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "round", out[0], Float32, []int{6}, []float64{0, 2, 2, -0, -2, 2}, 0)
}

func TestUnaryInt(t *testing.T) {
	cases := []struct {
		op   int
		dt   DType
		in   []float64
		want []float64
	}{
		{UnaryAbs, Int8, []float64{-128, -5, 0, 7}, []float64{-128, 5, 0, 7}}, // wraps like C
		{UnaryNeg, Int8, []float64{-128, -5, 0, 7}, []float64{-128, 5, 0, -7}},
		{UnarySign, Int32, []float64{-9, 0, 3, -1}, []float64{-1, 0, 1, -1}},
		{UnarySign, Uint8, []float64{0, 1, 200, 3}, []float64{0, 1, 1, 1}},
		{UnaryAbs, Uint16, []float64{0, 1, 65535, 3}, []float64{0, 1, 65535, 3}},
		{UnaryRelu, Int64, []float64{-9, 0, 3, -1}, []float64{0, 0, 3, 0}},
		{UnaryBitwiseNot, Int16, []float64{0, -1, 5, 32767}, []float64{-1, 0, -6, -32768}},
		{UnaryBitwiseNot, Uint8, []float64{0, 255, 5, 128}, []float64{255, 0, 250, 127}},
		{UnaryErf, Int32, []float64{-3, 0, 3, 1}, []float64{0, 0, 0, 0}},
		{UnaryShrink, Int32, []float64{-3, 0, 3, 1}, []float64{-2, 0, 2, 0}},
	}
	for _, c := range cases {
		name := fmt.Sprintf("op%d/%s", c.op, c.dt)
		src := ewtFromFloats(t, c.dt, []int{4}, c.in...)
		out := ewtOut()
		p := &UnaryParams{Op: c.op}
		if c.op == UnaryShrink {
			p.Alpha, p.Beta = 1, 1.5
		}
		if err := Unary(ewtX, p, out, []*Tensor{src}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ewtCheck(t, name, out[0], c.dt, []int{4}, c.want, 0)
	}
	// Float-only ops on integers, and Not on non-bool, are errors.
	for _, c := range []struct {
		op int
		dt DType
	}{{UnaryExp, Int32}, {UnaryNot, Float32}, {UnaryAbs, Bool}, {UnaryIsNaN, Int64}, {UnaryBitwiseNot, Float32}, {UnaryAbs, String}} {
		if err := Unary(ewtX, &UnaryParams{Op: c.op}, ewtOut(), []*Tensor{New(c.dt, 2)}); err == nil {
			t.Errorf("op %d of %s: no error", c.op, c.dt)
		}
	}
}

// ewtFromFloats builds a tensor of any numeric or bool type from float64 values.
func ewtFromFloats(t *testing.T, dt DType, shape []int, v ...float64) *Tensor {
	t.Helper()
	src := New(Float64, shape...)
	copy(Data[float64](src), v)
	return ewtCast(t, src, dt)
}

func TestUnaryPredicatesAndNot(t *testing.T) {
	inf := math.Inf(1)
	vals := []float64{1, ewtNaN, inf, -inf, 0}
	for _, dt := range []DType{Float32, Float64, Float16, BFloat16} {
		src := ewtFromFloats(t, dt, []int{5}, vals...)
		for _, c := range []struct {
			p    UnaryParams
			want []float64
		}{
			{UnaryParams{Op: UnaryIsNaN}, []float64{0, 1, 0, 0, 0}},
			{UnaryParams{Op: UnaryIsInf, Alpha: 1, Beta: 1}, []float64{0, 0, 1, 1, 0}},
			{UnaryParams{Op: UnaryIsInf, Alpha: 0, Beta: 1}, []float64{0, 0, 1, 0, 0}},
			{UnaryParams{Op: UnaryIsInf, Alpha: 1, Beta: 0}, []float64{0, 0, 0, 1, 0}},
		} {
			out := ewtOut()
			if err := Unary(ewtX, &c.p, out, []*Tensor{src}); err != nil {
				t.Fatal(err)
			}
			ewtCheck(t, fmt.Sprintf("%v/%s", c.p, dt), out[0], Bool, []int{5}, c.want, 0)
		}
	}
	out := ewtOut()
	b := ewtT(Bool, []int{3}, true, false, true)
	if err := Unary(ewtX, &UnaryParams{Op: UnaryNot}, out, []*Tensor{b}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "not", out[0], Bool, []int{3}, []float64{0, 1, 0}, 0)
}

func TestUnaryInPlaceEmptyParallel(t *testing.T) {
	// In place: the output is the input tensor's storage.
	for _, dt := range []DType{Float32, Float16} {
		src := ewtFromFloats(t, dt, []int{3}, -1, 0, 4)
		out := []*Tensor{{Buf: src.Buf}}
		if err := Unary(ewtX, &UnaryParams{Op: UnarySqrt}, out, []*Tensor{src}); err != nil {
			t.Fatal(err)
		}
		ewtCheck(t, "in place", out[0], dt, []int{3}, []float64{ewtNaN, 0, 2}, 0)
	}
	// Empty.
	out := ewtOut()
	if err := Unary(ewtX, &UnaryParams{Op: UnaryExp}, out, []*Tensor{New(Float32, 0, 3)}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "empty", out[0], Float32, []int{0, 3}, nil, 0)
	// Many elements on a pool agree with one thread.
	pool := NewPool(4)
	defer pool.Close()
	n := 100003
	src := New(Float16, n)
	for i, h := range Data[F16](src) {
		_ = h
		Data[F16](src)[i] = ToF16(float32(i%200-100) / 10)
	}
	a, b := ewtOut(), ewtOut()
	if err := Unary(NewExec(pool), &UnaryParams{Op: UnaryTanh}, a, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	if err := Unary(ewtX, &UnaryParams{Op: UnaryTanh}, b, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "pool", a[0], Float16, []int{n}, ewtFloats(b[0]), 0)
}

// ewtX is a single-threaded Exec.
var ewtX = NewExec(nil)

func BenchmarkUnary(b *testing.B) {
	x := New(Float32, 1<<16)
	for i, f := range Data[float32](x) {
		_ = f
		Data[float32](x)[i] = float32(i%2000-1000) / 100
	}
	for _, c := range []struct {
		name string
		op   int
	}{{"Relu", UnaryRelu}, {"Exp", UnaryExp}, {"Sigmoid", UnarySigmoid}, {"Tanh", UnaryTanh}, {"Gelu", UnaryGelu}, {"GeluTanh", UnaryGeluTanh}, {"Erf", UnaryErf}} {
		b.Run(c.name, func(b *testing.B) {
			out := ewtOut()
			b.SetBytes(2 * 4 << 16)
			for b.Loop() {
				if err := Unary(ewtX, &UnaryParams{Op: c.op}, out, []*Tensor{x}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package runtime

import (
	"fmt"
	"math"
	"testing"
)

func ewtCastRun(t *testing.T, src *Tensor, to DType) *Tensor {
	t.Helper()
	out := ewtOut()
	if err := Cast(ewtX, &CastParams{To: to}, out, []*Tensor{src}); err != nil {
		t.Fatalf("cast %s to %s: %v", src.DType, to, err)
	}
	return out[0]
}

func TestCastNumeric(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		from, to DType
		in, want []float64
	}{
		{Float32, Int32, []float64{1.9, -1.9, 0, 2147483520}, []float64{1, -1, 0, 2147483520}},
		{Float32, Uint8, []float64{1.9, -1, 255, 256}, []float64{1, 255, 255, 0}},
		{Float64, Int8, []float64{127.5, -128.9, 300, -3.5}, []float64{127, -128, 44, -3}},
		{Float64, Uint64, []float64{1.5, 18446744073709549568, 9223372036854775808, 0}, []float64{1, 18446744073709549568, 9223372036854775808, 0}},
		{Int64, Int8, []float64{255, 256, -129, 7}, []float64{-1, 0, 127, 7}},
		{Int32, Float32, []float64{16777217, -3, 0, 1 << 30}, []float64{16777216, -3, 0, 1 << 30}},
		{Uint8, Int16, []float64{255, 0, 1, 128}, []float64{255, 0, 1, 128}},
		{Float32, Bool, []float64{0, -0.0, ewtNaN, 0.1}, []float64{0, 0, 1, 1}},
		{Bool, Float64, []float64{1, 0, 1, 0}, []float64{1, 0, 1, 0}},
		{Bool, Int64, []float64{1, 0, 1, 1}, []float64{1, 0, 1, 1}},
		{Int32, Bool, []float64{1, 0, -5, 256}, []float64{1, 0, 1, 1}},
		{Float32, Float16, []float64{1, 65504, 65520, 1.0 / 3}, []float64{1, 65504, inf, 0.333251953125}},
		{Float64, Float16, []float64{ewtNaN, -inf, 1e-8, 2049}, []float64{ewtNaN, -inf, 0, 2048}},
		{Float16, Float32, []float64{0.5, -2, inf, 6e-8}, []float64{0.5, -2, inf, 5.960464477539063e-08}},
		{Float16, Int32, []float64{2.5, -2.5, 1000, 0}, []float64{2, -2, 1000, 0}},
		{Float16, BFloat16, []float64{1, 3, 0.1, -inf}, []float64{1, 3, 0.10009765625, -inf}},
		{BFloat16, Float64, []float64{1, 3, 256, -inf}, []float64{1, 3, 256, -inf}},
		{Int64, BFloat16, []float64{257, -3, 0, 1 << 40}, []float64{256, -3, 0, 1 << 40}},
		{Float32, BFloat16, []float64{1.00390625, 1.01171875, 3.3e38, ewtNaN}, []float64{1, 1.015625, 3.2964854295465914e+38, ewtNaN}},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s->%s", c.from, c.to)
		src := New(Float64, 4)
		copy(Data[float64](src), c.in)
		if c.from != Float64 {
			src = ewtCastRun(t, src, c.from)
		}
		ewtCheck(t, name, ewtCastRun(t, src, c.to), c.to, []int{4}, c.want, 0)
	}
}

// TestCastDoubleRounding checks that float64 -> float16 rounds once: 1+2^-11+2^-40 is just above
// a float16 tie, so it must round up, while going through float32 would land on the tie and
// round to even (down).
func TestCastDoubleRounding(t *testing.T) {
	v := 1 + math.Pow(2, -11) + math.Pow(2, -40)
	src := ewtT(Float64, []int{1}, v)
	got := Data[F16](ewtCastRun(t, src, Float16))[0].Float32()
	if want := float32(1 + math.Pow(2, -10)); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if scToBF16(1+math.Pow(2, -8)+math.Pow(2, -30)).Float32() != float32(1+math.Pow(2, -7)) {
		t.Error("bfloat16 double rounding")
	}
}

func TestCastStrings(t *testing.T) {
	f32 := ewtT(Float32, []int{12}, 0.1, 1, -2.5, 1e-5, 1.5e16, 123456789, float32(math.NaN()),
		float32(math.Inf(1)), float32(math.Inf(-1)), 0, 0.0001, 3.4028235e38)
	got := ewtCastRun(t, f32, String).Strs
	want := []string{"0.1", "1.0", "-2.5", "1e-05", "1.5e+16", "123456790.0", "NaN", "INF", "-INF", "0.0", "1e-04", "3.4028235e+38"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("float32 to string:\n got %q\nwant %q", got, want)
	}
	f64 := ewtT(Float64, []int{3}, 0.1, 1.0/3, 1e100)
	if got := ewtCastRun(t, f64, String).Strs; fmt.Sprint(got) != "[0.1 0.3333333333333333 1e+100]" {
		t.Errorf("float64 to string: %q", got)
	}
	f16 := ewtCastRun(t, ewtF32([]int{3}, 0.1, 65504, -0.000123), Float16)
	if got := ewtCastRun(t, f16, String).Strs; fmt.Sprint(got) != "[0.1 65500.0 -0.000123]" {
		t.Errorf("float16 to string: %q", got)
	}
	ints := ewtT(Int64, []int{2}, int64(-9223372036854775808), 42)
	if got := ewtCastRun(t, ints, String).Strs; fmt.Sprint(got) != "[-9223372036854775808 42]" {
		t.Errorf("int64 to string: %q", got)
	}
	bools := ewtT(Bool, []int{2}, true, false)
	if got := ewtCastRun(t, bools, String).Strs; fmt.Sprint(got) != "[True False]" {
		t.Errorf("bool to string: %q", got)
	}

	strs := &Tensor{DType: String, Shape: []int{8}, Strs: []string{"3.14", "1000", "1e-5", "1E8", "+INF", "inf", "-Inf", "nan"}}
	ewtCheck(t, "string to float32", ewtCastRun(t, strs, Float32), Float32, []int{8},
		[]float64{float64(float32(3.14)), 1000, float64(float32(1e-5)), 1e8, math.Inf(1), math.Inf(1), math.Inf(-1), ewtNaN}, 0)
	ewtCheck(t, "string to float16", ewtCastRun(t, strs, Float16), Float16, []int{8},
		[]float64{3.140625, 1000, float64(ToF16(1e-5).Float32()), math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(-1), ewtNaN}, 0)
	nums := &Tensor{DType: String, Shape: []int{4}, Strs: []string{"100.5", "-7", " 12 ", "1e3"}}
	ewtCheck(t, "string to int32", ewtCastRun(t, nums, Int32), Int32, []int{4}, []float64{100, -7, 12, 1000}, 0)
	ewtCheck(t, "string to uint8", ewtCastRun(t, nums, Uint8), Uint8, []int{4}, []float64{100, 249, 12, 232}, 0)
	bs := &Tensor{DType: String, Shape: []int{4}, Strs: []string{"True", "false", "0", "2.5"}}
	ewtCheck(t, "string to bool", ewtCastRun(t, bs, Bool), Bool, []int{4}, []float64{1, 0, 0, 1}, 0)
	bad := &Tensor{DType: String, Shape: []int{1}, Strs: []string{"Hello World!"}}
	if err := Cast(ewtX, &CastParams{To: Float32}, ewtOut(), []*Tensor{bad}); err == nil {
		t.Error("non-numeric string: no error")
	}
	// Round trip of float32 through strings is exact.
	rt := ewtCastRun(t, ewtCastRun(t, f32, String), Float32)
	for i, v := range Data[float32](rt) {
		w := Data[float32](f32)[i]
		if v != w && !(v != v && w != w) {
			t.Errorf("round trip of %v gave %v", w, v)
		}
	}
}

func TestCastSameTypeInPlaceErrors(t *testing.T) {
	src := ewtF32([]int{2}, 1.5, -2)
	out := []*Tensor{{Buf: src.Buf}}
	if err := Cast(ewtX, &CastParams{To: Int32}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "in place same size", out[0], Int32, []int{2}, []float64{1, -2}, 0)
	src = ewtF32([]int{2}, 1.5, -2)
	out = []*Tensor{{Buf: src.Buf}}
	if err := Cast(ewtX, &CastParams{To: Float64}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "in place wider", out[0], Float64, []int{2}, []float64{1.5, -2}, 0)
	ewtCheck(t, "source intact", src, Float32, []int{2}, []float64{1.5, -2}, 0)
	out = []*Tensor{{Buf: src.Buf}}
	if err := Cast(ewtX, &CastParams{To: Float32}, out, []*Tensor{src}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "in place same type", out[0], Float32, []int{2}, []float64{1.5, -2}, 0)
	same := ewtCastRun(t, src, Float32)
	if same.Buf == src.Buf {
		t.Error("same-type cast shares storage")
	}
	ewtCheck(t, "same type", same, Float32, []int{2}, []float64{1.5, -2}, 0)
	ewtCheck(t, "empty", ewtCastRun(t, New(Float32, 0, 2), Float16), Float16, []int{0, 2}, nil, 0)
	for _, to := range []DType{Complex64, 27, Undefined} {
		if err := Cast(ewtX, &CastParams{To: to}, ewtOut(), []*Tensor{src}); err == nil {
			t.Errorf("cast to %s: no error", to)
		}
	}
	// A pool splits big casts.
	pool := NewPool(3)
	defer pool.Close()
	big := New(Float16, 70001)
	for i := range Data[F16](big) {
		Data[F16](big)[i] = ToF16(float32(i%1000) - 500)
	}
	out = ewtOut()
	if err := Cast(NewExec(pool), &CastParams{To: Int16}, out, []*Tensor{big}); err != nil {
		t.Fatal(err)
	}
	for i, v := range Data[int16](out[0]) {
		if int(v) != i%1000-500 {
			t.Fatalf("element %d = %d", i, v)
		}
	}
}

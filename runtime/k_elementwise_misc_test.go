package runtime

import (
	"fmt"
	"math"
	"testing"
)

func TestVariadic(t *testing.T) {
	nan := ewtNaN
	cases := []struct {
		op     int
		dt     DType
		shapes [][]int
		vals   [][]float64
		shape  []int
		want   []float64
	}{
		{VariadicSum, Float32, [][]int{{3}}, [][]float64{{1, 2, 3}}, []int{3}, []float64{1, 2, 3}},
		{VariadicSum, Float32, [][]int{{2, 1}, {3}, {}}, [][]float64{{1, 2}, {10, 20, 30}, {100}},
			[]int{2, 3}, []float64{111, 121, 131, 112, 122, 132}},
		{VariadicMean, Float64, [][]int{{3}, {3}, {1}}, [][]float64{{1, 2, 3}, {4, 5, 6}, {3}},
			[]int{3}, []float64{8.0 / 3, 10.0 / 3, 4}},
		{VariadicMean, Float16, [][]int{{2}, {2}}, [][]float64{{1, 2}, {2, 3}}, []int{2}, []float64{1.5, 2.5}},
		{VariadicMax, Float32, [][]int{{4}, {4}, {1}}, [][]float64{{1, nan, 3, -1}, {2, 1, nan, -2}, {0}},
			[]int{4}, []float64{2, nan, nan, 0}},
		{VariadicMin, Float64, [][]int{{4}, {1, 4}}, [][]float64{{1, nan, 3, -1}, {2, 1, 5, -2}},
			[]int{1, 4}, []float64{1, nan, 3, -2}},
		{VariadicMax, Int8, [][]int{{3}, {3}}, [][]float64{{-128, 5, 0}, {127, -5, 0}}, []int{3}, []float64{127, 5, 0}},
		{VariadicMin, Uint64, [][]int{{3}, {1}}, [][]float64{{7, 5, 0}, {6}}, []int{3}, []float64{6, 5, 0}},
		{VariadicSum, Int32, [][]int{{2}, {2}}, [][]float64{{2147483647, 5}, {1, -5}}, []int{2}, []float64{-2147483648, 0}},
		{VariadicMax, BFloat16, [][]int{{2}, {2}}, [][]float64{{1, -2}, {0.5, -1}}, []int{2}, []float64{1, -1}},
		{VariadicSum, Float32, [][]int{{0, 2}, {2}}, [][]float64{{}, {1, 2}}, []int{0, 2}, nil},
	}
	for _, c := range cases {
		name := fmt.Sprintf("op%d/%s/%v", c.op, c.dt, c.shapes)
		in := make([]*Tensor, len(c.shapes))
		for i, s := range c.shapes {
			in[i] = ewtFromFloats(t, c.dt, s, c.vals[i]...)
		}
		out := ewtOut()
		if err := Variadic(ewtX, &VariadicParams{Op: c.op}, out, in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ewtCheck(t, name, out[0], c.dt, c.shape, c.want, 1e-7)
	}
	// In place on any input of the output's shape, including a later one and a repeated one.
	for k := 0; k < 3; k++ {
		a := ewtF32([]int{3}, 1, 2, 3)
		b := ewtF32([]int{1}, 10)
		c := ewtF32([]int{3}, 100, 200, 300)
		in := []*Tensor{a, b, c}
		if k == 2 {
			in = []*Tensor{a, b, a}
		}
		alias := in[2*(k%2)]
		out := []*Tensor{{Buf: alias.Buf}}
		if err := Variadic(ewtX, &VariadicParams{Op: VariadicSum}, out, in); err != nil {
			t.Fatal(err)
		}
		want := []float64{111, 212, 313}
		if k == 2 {
			want = []float64{12, 14, 16}
		}
		ewtCheck(t, fmt.Sprintf("in place %d", k), out[0], Float32, []int{3}, want, 0)
	}
	if err := Variadic(ewtX, &VariadicParams{Op: VariadicSum}, ewtOut(), []*Tensor{New(Float32, 2), New(Float64, 2)}); err == nil {
		t.Error("mixed types: no error")
	}
	if err := Variadic(ewtX, &VariadicParams{Op: VariadicMean}, ewtOut(), []*Tensor{New(Int32, 2)}); err == nil {
		t.Error("integer mean: no error")
	}
}

func TestWhere(t *testing.T) {
	c := ewtT(Bool, []int{2, 1}, true, false)
	x := ewtF32([]int{3}, 1, 2, 3)
	y := ewtF32([]int{2, 3}, 10, 20, 30, 40, 50, 60)
	out := ewtOut()
	if err := Where(ewtX, &WhereParams{}, out, []*Tensor{c, x, y}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "where", out[0], Float32, []int{2, 3}, []float64{1, 2, 3, 40, 50, 60}, 0)

	// Same shapes, in place on Y, with NaN bits moved untouched.
	c = ewtT(Bool, []int{3}, true, false, true)
	x = ewtT(Float64, []int{3}, math.NaN(), 2.0, math.Inf(-1))
	y = ewtT(Float64, []int{3}, 7.0, 8, 9)
	out = []*Tensor{{Buf: y.Buf}}
	if err := Where(ewtX, &WhereParams{}, out, []*Tensor{c, x, y}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "where in place", out[0], Float64, []int{3}, []float64{ewtNaN, 8, math.Inf(-1)}, 0)

	// Strings and a scalar condition.
	sx := &Tensor{DType: String, Shape: []int{2}, Strs: []string{"a", "b"}}
	sy := &Tensor{DType: String, Shape: []int{2, 1}, Strs: []string{"y0", "y1"}}
	out = ewtOut()
	if err := Where(ewtX, &WhereParams{}, out, []*Tensor{ewtT(Bool, nil, false), sx, sy}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out[0].Shape, out[0].Strs) != "[2 2] [y0 y0 y1 y1]" {
		t.Errorf("string where: %v %v", out[0].Shape, out[0].Strs)
	}
	// All element sizes.
	for _, dt := range []DType{Int8, Float16, Int32, Int64, Bool} {
		x := ewtFromFloats(t, dt, []int{2}, 1, 0)
		y := ewtFromFloats(t, dt, []int{2}, 0, 1)
		out := ewtOut()
		if err := Where(ewtX, &WhereParams{}, out, []*Tensor{ewtT(Bool, []int{2}, true, true), x, y}); err != nil {
			t.Fatal(err)
		}
		ewtCheck(t, "where "+dt.String(), out[0], dt, []int{2}, []float64{1, 0}, 0)
	}
	if err := Where(ewtX, &WhereParams{}, ewtOut(), []*Tensor{New(Float32, 2), x, y}); err == nil {
		t.Error("float condition: no error")
	}
}

func TestClip(t *testing.T) {
	nan := ewtNaN
	cases := []struct {
		dt     DType
		lo, hi []float64 // nil: absent; empty: present but empty (also absent)
		in     []float64
		want   []float64
	}{
		{Float32, []float64{-1}, []float64{1}, []float64{-2, 0.5, 3, nan}, []float64{-1, 0.5, 1, nan}},
		{Float32, []float64{-1}, nil, []float64{-2, 0.5, 3, nan}, []float64{-1, 0.5, 3, nan}},
		{Float64, nil, []float64{1}, []float64{-2, 0.5, 3, nan}, []float64{-2, 0.5, 1, nan}},
		{Float32, nil, nil, []float64{-2, 0.5, 3, nan}, []float64{-2, 0.5, 3, nan}},
		{Float32, []float64{}, []float64{}, []float64{-2, 0.5, 3, nan}, []float64{-2, 0.5, 3, nan}},
		{Float32, []float64{2}, []float64{1}, []float64{-2, 0.5, 3, 1.5}, []float64{1, 1, 1, 1}},
		{Int8, []float64{-100}, []float64{100}, []float64{-128, 0, 127, -100}, []float64{-100, 0, 100, -100}},
		{Uint8, []float64{3}, nil, []float64{0, 3, 255, 4}, []float64{3, 3, 255, 4}},
		{Int64, nil, []float64{-5}, []float64{0, -9, 5, -5}, []float64{-5, -9, -5, -5}},
		{Float16, []float64{-1}, []float64{1}, []float64{-2, 0.5, 3, nan}, []float64{-1, 0.5, 1, nan}},
	}
	for i, c := range cases {
		in := []*Tensor{ewtFromFloats(t, c.dt, []int{4}, c.in...), nil, nil}
		if c.lo != nil {
			in[1] = ewtFromFloats(t, c.dt, []int{len(c.lo)}, c.lo...)
			if len(c.lo) == 1 {
				in[1].Shape = nil
			}
		}
		if c.hi != nil {
			in[2] = ewtFromFloats(t, c.dt, []int{len(c.hi)}, c.hi...)
		}
		out := ewtOut()
		if err := Clip(ewtX, &ClipParams{}, out, in); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		ewtCheck(t, fmt.Sprintf("clip %d %s", i, c.dt), out[0], c.dt, []int{4}, c.want, 0)
	}
	// One input only, in place.
	x := ewtF32([]int{2}, -1, 5)
	out := []*Tensor{{Buf: x.Buf}}
	if err := Clip(ewtX, &ClipParams{}, out, []*Tensor{x, ewtF32(nil, 0)}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "clip in place", out[0], Float32, []int{2}, []float64{0, 5}, 0)
	if err := Clip(ewtX, &ClipParams{}, ewtOut(), []*Tensor{x, ewtF32([]int{2}, 0, 1)}); err == nil {
		t.Error("non-scalar bound: no error")
	}
	if err := Clip(ewtX, &ClipParams{}, ewtOut(), []*Tensor{x, New(Float64)}); err == nil {
		t.Error("bound of another type: no error")
	}
}

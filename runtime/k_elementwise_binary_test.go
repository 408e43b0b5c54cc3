package runtime

import (
	"fmt"
	"math"
	"testing"
)

// ewtBroadcastRef computes f over the numpy broadcast of a and b the slow way, one coordinate at
// a time, as the reference for the layout-based kernels.
func ewtBroadcastRef(as, bs []int, a, b []float64, f func(x, y float64) float64) ([]int, []float64) {
	out, err := BroadcastShape(as, bs)
	if err != nil {
		panic(err)
	}
	n := NumElems(out)
	res := make([]float64, n)
	idx := func(shape []int, coord []int) int {
		off := len(coord) - len(shape)
		k := 0
		for i, d := range shape {
			c := coord[off+i]
			if d == 1 {
				c = 0
			}
			k = k*d + c
		}
		return k
	}
	coord := make([]int, len(out))
	for i := 0; i < n; i++ {
		r := i
		for d := len(out) - 1; d >= 0; d-- {
			coord[d] = r % out[d]
			r /= out[d]
		}
		res[i] = f(a[idx(as, coord)], b[idx(bs, coord)])
	}
	return out, res
}

func ewtSeq(n int, scale, shift float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)*scale + shift
	}
	return v
}

func TestBinaryBroadcastShapes(t *testing.T) {
	shapes := [][2][]int{
		{{2, 3}, {2, 3}},
		{{2, 3}, {3}},
		{{2, 3}, {}},
		{{}, {2, 3}},
		{{}, {}},
		{{2, 1}, {1, 3}},
		{{3, 1, 2}, {1, 4, 1}},
		{{2, 3, 4, 5}, {3, 1, 1}},
		{{2, 3, 4, 5}, {1, 3, 4, 1}},
		{{1, 1, 5}, {4, 1}},
		{{0, 3}, {3}},
		{{2, 0}, {1}},
		{{5, 1, 1, 7}, {5, 6, 1, 1}},
		{{1}, {1, 1, 1}},
	}
	pool := NewPool(3)
	defer pool.Close()
	for _, sh := range shapes {
		for _, x := range []*Exec{ewtX, NewExec(pool)} {
			as, bs := sh[0], sh[1]
			av := ewtSeq(NumElems(as), 1.5, -3)
			bv := ewtSeq(NumElems(bs), -0.25, 2)
			outShape, want := ewtBroadcastRef(as, bs, av, bv, func(x, y float64) float64 { return x - y })
			for _, dt := range []DType{Float32, Float64, Int32} {
				if dt == Int32 {
					av = ewtSeq(NumElems(as), 3, -7)
					bv = ewtSeq(NumElems(bs), -2, 5)
					outShape, want = ewtBroadcastRef(as, bs, av, bv, func(x, y float64) float64 { return x - y })
				}
				a, b := ewtFromFloats(t, dt, as, av...), ewtFromFloats(t, dt, bs, bv...)
				out := ewtOut()
				if err := Binary(x, &BinaryParams{Op: BinarySub}, out, []*Tensor{a, b}); err != nil {
					t.Fatalf("%v: %v", sh, err)
				}
				ewtCheck(t, fmt.Sprintf("sub %v %s", sh, dt), out[0], dt, outShape, want, 0)
			}
		}
	}
	// Big broadcasts on a pool exercise rows that start mid-way through a chunk.
	for _, sh := range [][2][]int{{{64, 33, 17}, {33, 1}}, {{3, 1, 4099}, {1, 7, 4099}}, {{40000}, {1}}, {{1}, {40000}},
		// Short rows taken in groups, a repeated row tiled (the same one, or one per outer index).
		{{50, 370, 7}, {7}}, {{7}, {50, 371, 7}}, {{3, 5001, 4}, {3, 1, 4}}, {{2, 9001, 3}, {1, 1, 3}}, {{1, 9001, 3}, {2, 1, 1}},
		{{5, 37, 7}, {7}}, {{2, 3}, {3}}, {{3}, {2, 3}}} {
		as, bs := sh[0], sh[1]
		av := ewtSeq(NumElems(as), 0.5, -1000)
		bv := ewtSeq(NumElems(bs), 1, 3)
		outShape, want := ewtBroadcastRef(as, bs, av, bv, func(x, y float64) float64 { return x * y })
		a, b := ewtFromFloats(t, Float64, as, av...), ewtFromFloats(t, Float64, bs, bv...)
		out := ewtOut()
		if err := Binary(NewExec(pool), &BinaryParams{Op: BinaryMul}, out, []*Tensor{a, b}); err != nil {
			t.Fatal(err)
		}
		ewtCheck(t, fmt.Sprintf("mul %v", sh), out[0], Float64, outShape, want, 0)
	}
	// Shapes that do not broadcast, and mismatched types, are errors.
	if err := Binary(ewtX, &BinaryParams{Op: BinaryAdd}, ewtOut(), []*Tensor{New(Float32, 2, 3), New(Float32, 2)}); err == nil {
		t.Error("2x3 + 2: no error")
	}
	if err := Binary(ewtX, &BinaryParams{Op: BinaryAdd}, ewtOut(), []*Tensor{New(Float32, 2), New(Int32, 2)}); err == nil {
		t.Error("float32 + int32: no error")
	}
}

func TestBinaryOps(t *testing.T) {
	inf, nan := math.Inf(1), ewtNaN
	cases := []struct {
		op   int
		dt   DType
		a, b []float64
		want []float64
	}{
		{BinaryAdd, Float32, []float64{1, inf, nan, -0.5}, []float64{2, -inf, 1, 0.25}, []float64{3, nan, nan, -0.25}},
		{BinaryDiv, Float32, []float64{1, -1, 0, 7}, []float64{0, 0, 0, 2}, []float64{inf, -inf, nan, 3.5}},
		{BinaryMax, Float32, []float64{1, nan, 3, -inf}, []float64{2, 1, nan, -1}, []float64{2, nan, nan, -1}},
		{BinaryMin, Float64, []float64{1, nan, 3, -inf}, []float64{2, 1, nan, -1}, []float64{1, nan, nan, -inf}},
		{BinaryMod, Float32, []float64{5, -5, 5, -5}, []float64{3, 3, -3, -3}, []float64{2, 1, -1, -2}},
		{BinaryFmod, Float32, []float64{5, -5, 5, -5.5}, []float64{3, 3, -3, -3}, []float64{2, -2, 2, -2.5}},
		{BinaryPRelu, Float32, []float64{-2, 3, -1, 0}, []float64{0.5, 0.5, 2, 2}, []float64{-1, 3, -2, 0}},
		{BinaryAdd, Int8, []float64{127, -128, 5, 0}, []float64{1, -1, -6, 0}, []float64{-128, 127, -1, 0}},
		{BinaryMul, Uint8, []float64{16, 255, 3, 0}, []float64{16, 2, 5, 9}, []float64{0, 254, 15, 0}},
		{BinarySub, Uint32, []float64{0, 5, 3, 0}, []float64{1, 2, 5, 0}, []float64{4294967295, 3, 4294967294, 0}},
		{BinaryDiv, Int32, []float64{7, -7, 7, 3}, []float64{2, 2, 0, -4}, []float64{3, -3, 0, 0}},
		{BinaryDiv, Int64, []float64{-9223372036854775808, 1, 0, -6}, []float64{-1, 1, 0, 4}, []float64{-9223372036854775808, 1, 0, -1}},
		{BinaryMod, Int32, []float64{5, -5, 5, -5}, []float64{3, 3, -3, 0}, []float64{2, 1, -1, 0}},
		{BinaryFmod, Int64, []float64{5, -5, 5, -5}, []float64{3, 3, -3, 0}, []float64{2, -2, 2, 0}},
		{BinaryMod, Uint16, []float64{5, 7, 0, 9}, []float64{3, 0, 4, 9}, []float64{2, 0, 0, 0}},
		{BinaryMax, Int16, []float64{-5, 7, 0, 9}, []float64{3, 0, 4, 9}, []float64{3, 7, 4, 9}},
		{BinaryPRelu, Int32, []float64{-5, 7, 0, -1}, []float64{3, 3, 4, 9}, []float64{-15, 7, 0, -9}},
		{BinaryBitAnd, Int16, []float64{12, -1, 5, 0}, []float64{10, 7, -2, 3}, []float64{8, 7, 4, 0}},
		{BinaryBitOr, Uint8, []float64{12, 255, 5, 0}, []float64{10, 7, 2, 3}, []float64{14, 255, 7, 3}},
		{BinaryBitXor, Int32, []float64{12, -1, 5, 0}, []float64{10, 7, 5, 3}, []float64{6, -8, 0, 3}},
		{BinaryShl, Uint8, []float64{1, 255, 5, 3}, []float64{3, 1, 8, 0}, []float64{8, 254, 0, 3}},
		{BinaryShr, Uint64, []float64{16, 255, 5, 1 << 40}, []float64{4, 1, 64, 40}, []float64{1, 127, 0, 1}},
		{BinaryShl, Int32, []float64{1, 1, 1, 1}, []float64{-1, 31, 32, 2}, []float64{0, -2147483648, 0, 4}},
		{BinaryLess, Float32, []float64{1, nan, 3, -inf}, []float64{2, 1, 3, -1}, []float64{1, 0, 0, 1}},
		{BinaryLessEqual, Int64, []float64{1, 5, 3, -2}, []float64{2, 1, 3, -1}, []float64{1, 0, 1, 1}},
		{BinaryGreater, Uint8, []float64{1, 5, 3, 200}, []float64{2, 1, 3, 100}, []float64{0, 1, 0, 1}},
		{BinaryGreaterEqual, Float16, []float64{1, 5, 3, nan}, []float64{2, 1, 3, nan}, []float64{0, 1, 1, 0}},
		{BinaryEqual, Float64, []float64{1, nan, 0, 3}, []float64{1, nan, -0.0, 2}, []float64{1, 0, 1, 0}},
		{BinaryEqual, Bool, []float64{1, 0, 1, 0}, []float64{1, 0, 0, 1}, []float64{1, 1, 0, 0}},
		{BinaryAnd, Bool, []float64{1, 0, 1, 0}, []float64{1, 0, 0, 1}, []float64{1, 0, 0, 0}},
		{BinaryOr, Bool, []float64{1, 0, 1, 0}, []float64{1, 0, 0, 1}, []float64{1, 0, 1, 1}},
		{BinaryXor, Bool, []float64{1, 0, 1, 0}, []float64{1, 0, 0, 1}, []float64{0, 0, 1, 1}},
		{BinaryAdd, Float16, []float64{1, 2048, 0.5, -3}, []float64{2, 1, 0.25, 1}, []float64{3, 2048, 0.75, -2}},
		{BinarySub, BFloat16, []float64{1, 256, 0.5, -3}, []float64{2, 0.5, 0.25, 1}, []float64{-1, 256, 0.25, -4}},
	}
	for _, c := range cases {
		name := fmt.Sprintf("op%d/%s", c.op, c.dt)
		a, b := ewtFromFloats(t, c.dt, []int{4}, c.a...), ewtFromFloats(t, c.dt, []int{4}, c.b...)
		out := ewtOut()
		if err := Binary(ewtX, &BinaryParams{Op: c.op}, out, []*Tensor{a, b}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		odt := c.dt
		if BinaryIsCompare(c.op) {
			odt = Bool
		}
		ewtCheck(t, name, out[0], odt, []int{4}, c.want, 0)
		// The same with b a broadcast scalar (its first element) and with a one.
		for _, sa := range []bool{false, true} {
			if sa && c.op == BinaryPRelu {
				continue // X is never broadcast
			}
			as, bs := []int{4}, []int{}
			a, b := ewtFromFloats(t, c.dt, as, c.a...), ewtFromFloats(t, c.dt, bs, c.b[0])
			if sa {
				as, bs = bs, as
				a, b = ewtFromFloats(t, c.dt, as, c.a[0]), ewtFromFloats(t, c.dt, bs, c.b...)
			}
			want := make([]float64, 4)
			for i := range want {
				switch {
				case sa:
					want[i] = ewtPick(c.a, c.b, c.want, 0, i)
				default:
					want[i] = ewtPick(c.a, c.b, c.want, i, 0)
				}
			}
			out := ewtOut()
			if err := Binary(ewtX, &BinaryParams{Op: c.op}, out, []*Tensor{a, b}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := ewtFloats(out[0])
			for i := range want {
				if want[i] != ewtSkip && !ewtSame(got[i], want[i], 0) {
					t.Errorf("%s scalar(a=%v): element %d = %v, want %v", name, sa, i, got[i], want[i])
				}
			}
		}
	}
}

const ewtSkip = -12345.678

// ewtPick finds op(a[i], b[j]) among the table's element pairs; when the pair is not in the table
// the element is skipped.
func ewtPick(a, b, want []float64, i, j int) float64 {
	for k := range want {
		if ewtBits(a[k]) == ewtBits(a[i]) && ewtBits(b[k]) == ewtBits(b[j]) {
			return want[k]
		}
	}
	return ewtSkip
}

func ewtBits(f float64) uint64 {
	if f != f {
		return 1
	}
	return math.Float64bits(f)
}

func TestBinaryStringsPow(t *testing.T) {
	a := &Tensor{DType: String, Shape: []int{2, 2}, Strs: []string{"a", "b", "", "x"}}
	b := &Tensor{DType: String, Shape: []int{2}, Strs: []string{"a", "x"}}
	out := ewtOut()
	if err := Binary(ewtX, &BinaryParams{Op: BinaryEqual}, out, []*Tensor{a, b}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "string equal", out[0], Bool, []int{2, 2}, []float64{1, 0, 0, 1}, 0)
	if err := Binary(ewtX, &BinaryParams{Op: BinaryAdd}, ewtOut(), []*Tensor{a, b}); err == nil {
		t.Error("string add: no error")
	}

	pow := []struct {
		bt, et DType
		b, e   []float64
		want   []float64
	}{
		{Float32, Float32, []float64{2, 4, -8, 3}, []float64{3, 0.5, 1.0 / 3, 2}, []float64{8, 2, ewtNaN, 9}},
		{Float32, Int64, []float64{2, 4, -2, 0}, []float64{3, -1, 3, 0}, []float64{8, 0.25, -8, 1}},
		{Int32, Int32, []float64{2, -3, 2, 7}, []float64{10, 3, -1, 0}, []float64{1024, -27, 0, 1}},
		{Int64, Int64, []float64{3, -1, -1, 1}, []float64{40, -3, -2, -5}, []float64{12157665459056928801, -1, 1, 1}},
		{Int32, Float32, []float64{2, 9, 10, -2}, []float64{0.5, 0.5, -1, 2}, []float64{1, 3, 0, 4}},
		{Uint8, Uint8, []float64{2, 3, 16, 1}, []float64{7, 5, 2, 200}, []float64{128, 243, 0, 1}},
		{Float16, Float32, []float64{2, 4, 0.5, 3}, []float64{3, 0.5, 2, 2}, []float64{8, 2, 0.25, 9}},
		{Float64, Uint64, []float64{2, 1.5, 10, 3}, []float64{3, 2, 0, 4}, []float64{8, 2.25, 1, 81}},
	}
	for _, c := range pow {
		name := fmt.Sprintf("pow %s^%s", c.bt, c.et)
		b, e := ewtFromFloats(t, c.bt, []int{4}, c.b...), ewtFromFloats(t, c.et, []int{4}, c.e...)
		out := ewtOut()
		if err := Binary(ewtX, &BinaryParams{Op: BinaryPow}, out, []*Tensor{b, e}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.bt == Int64 {
			// 3^40 wraps in int64; compare exactly.
			got := Data[int64](out[0])
			want := int64(1)
			for i := 0; i < 40; i++ {
				want *= 3
			}
			if got[0] != want || got[1] != -1 || got[2] != 1 || got[3] != 1 {
				t.Errorf("%s: %v", name, got)
			}
			continue
		}
		ewtCheck(t, name, out[0], c.bt, []int{4}, c.want, 1e-6)
	}
}

func TestBinaryInPlaceAndEmpty(t *testing.T) {
	for _, dt := range []DType{Float32, Int32, Float16} {
		for k := 0; k < 2; k++ {
			a := ewtFromFloats(t, dt, []int{2, 3}, 1, 2, 3, 4, 5, 6)
			b := ewtFromFloats(t, dt, []int{2, 3}, 10, 20, 30, 40, 50, 60)
			c := ewtFromFloats(t, dt, []int{3}, 1, 2, 3)
			ins := []*Tensor{a, b}
			want := []float64{-9, -18, -27, -36, -45, -54}
			if k == 1 {
				ins = []*Tensor{c, a} // broadcast operand first, output on the second
				want = []float64{0, 0, 0, -3, -3, -3}
			}
			out := []*Tensor{{Buf: ins[k].Buf}}
			if err := Binary(ewtX, &BinaryParams{Op: BinarySub}, out, ins); err != nil {
				t.Fatal(err)
			}
			ewtCheck(t, fmt.Sprintf("in place %s %d", dt, k), out[0], dt, []int{2, 3}, want, 0)
		}
	}
	out := ewtOut()
	if err := Binary(ewtX, &BinaryParams{Op: BinaryLess}, out, []*Tensor{New(Float32, 0, 4), New(Float32, 1, 4)}); err != nil {
		t.Fatal(err)
	}
	ewtCheck(t, "empty", out[0], Bool, []int{0, 4}, nil, 0)
	// PRelu broadcasts the slope only.
	err := Binary(ewtX, &BinaryParams{Op: BinaryPRelu}, ewtOut(), []*Tensor{New(Float32, 3), New(Float32, 2, 3)})
	if err == nil {
		t.Error("PRelu with a slope larger than X: no error")
	}
}

func BenchmarkBinaryAddSameShape(b *testing.B) {
	x, y := New(Float32, 1<<20), New(Float32, 1<<20)
	out := ewtOut()
	b.SetBytes(3 * 4 << 20)
	for b.Loop() {
		if err := Binary(ewtX, &BinaryParams{Op: BinaryAdd}, out, []*Tensor{x, y}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBinaryAddBias(b *testing.B) {
	x, y := New(Float32, 8, 64, 56, 56), New(Float32, 64, 1, 1)
	out := ewtOut()
	b.SetBytes(2 * 4 * int64(x.Len()))
	for b.Loop() {
		if err := Binary(ewtX, &BinaryParams{Op: BinaryAdd}, out, []*Tensor{x, y}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBinaryMulRowVector(b *testing.B) {
	x, y := New(Float32, 4096, 7), New(Float32, 7)
	out := ewtOut()
	b.SetBytes(2 * 4 * int64(x.Len()))
	for b.Loop() {
		if err := Binary(ewtX, &BinaryParams{Op: BinaryMul}, out, []*Tensor{x, y}); err != nil {
			b.Fatal(err)
		}
	}
}

package runtime

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func rdtF32(shape []int, v ...float32) *Tensor {
	t := New(Float32, shape...)
	copy(Data[float32](t), v)
	return t
}

func rdtI64(shape []int, v ...int64) *Tensor {
	t := New(Int64, shape...)
	copy(Data[int64](t), v)
	return t
}

// rdtClose compares float results with a relative tolerance; NaN matches NaN and infinities
// must match exactly.
func rdtClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i, w := range want {
		g := float64(got[i])
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g) {
				t.Fatalf("%s[%d] = %v, want NaN (all: %v)", what, i, g, got)
			}
		case math.IsInf(w, 0):
			if g != w {
				t.Fatalf("%s[%d] = %v, want %v (all: %v)", what, i, g, w, got)
			}
		case math.Abs(g-w) > 1e-5+1e-5*math.Abs(w):
			t.Fatalf("%s[%d] = %v, want %v (all: %v, want %v)", what, i, g, w, got, want)
		}
	}
}

func rdtShape(t *testing.T, what string, got, want []int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: shape %v, want %v", what, got, want)
	}
}

var rdtInf = math.Inf(1)

func TestReduceTable(t *testing.T) {
	x23 := []float32{1, 2, 3, 4, 5, 6}
	neg := []float32{-1, 2, -3, 4, -5, 6}
	x3 := make([]float32, 12) // x[i,j,k] = 6i + 2j + k, shape 2x3x2
	for i := range x3 {
		x3[i] = float32(i)
	}
	nan := float32(math.NaN())
	cases := []struct {
		name  string
		op    int
		shape []int
		x     []float32
		axes  []int64
		keep  bool
		noop  bool
		shp   []int
		want  []float64
	}{
		{"sum axis1 keep", ReduceSumOp, []int{2, 3}, x23, []int64{1}, true, false, []int{2, 1}, []float64{6, 15}},
		{"sum axis1", ReduceSumOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{6, 15}},
		{"sum axis -1", ReduceSumOp, []int{2, 3}, x23, []int64{-1}, false, false, []int{2}, []float64{6, 15}},
		{"sum axis0", ReduceSumOp, []int{2, 3}, x23, []int64{0}, false, false, []int{3}, []float64{5, 7, 9}},
		{"sum all", ReduceSumOp, []int{2, 3}, x23, nil, false, false, []int{}, []float64{21}},
		{"sum all keep", ReduceSumOp, []int{2, 3}, x23, nil, true, false, []int{1, 1}, []float64{21}},
		{"sum noop", ReduceSumOp, []int{2, 3}, x23, nil, true, true, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"l1 noop is abs", ReduceL1Op, []int{2, 3}, neg, nil, true, true, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"mean", ReduceMeanOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{2, 5}},
		{"max axis0", ReduceMaxOp, []int{2, 3}, x23, []int64{0}, false, false, []int{3}, []float64{4, 5, 6}},
		{"min axis1", ReduceMinOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{1, 4}},
		{"prod axis1", ReduceProdOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{6, 120}},
		{"prod axis0", ReduceProdOp, []int{2, 3}, x23, []int64{0}, false, false, []int{3}, []float64{4, 10, 18}},
		{"l1", ReduceL1Op, []int{2, 3}, neg, []int64{1}, false, false, []int{2}, []float64{6, 15}},
		{"l1 axis0", ReduceL1Op, []int{2, 3}, neg, []int64{0}, false, false, []int{3}, []float64{5, 7, 9}},
		{"l2", ReduceL2Op, []int{2, 3}, []float32{3, -4, 0, 0, 0, 5}, []int64{1}, false, false, []int{2}, []float64{5, 5}},
		{"logsum", ReduceLogSumOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{math.Log(6), math.Log(15)}},
		{"logsumexp", ReduceLogSumExpOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{3.40760596444438, 6.40760596444438}},
		{"logsumexp axis0", ReduceLogSumExpOp, []int{2, 3}, x23, []int64{0}, false, false, []int{3}, []float64{4.04858735157374, 5.04858735157374, 6.04858735157374}},
		{"logsumexp large", ReduceLogSumExpOp, []int{2}, []float32{1000, 1000}, nil, false, false, []int{}, []float64{1000 + math.Ln2}},
		{"sumsquare", ReduceSumSquareOp, []int{2, 3}, x23, []int64{1}, false, false, []int{2}, []float64{14, 77}},
		{"sum inner", ReduceSumOp, []int{2, 3, 2}, x3, []int64{1}, false, false, []int{2, 2}, []float64{6, 9, 24, 27}},
		{"sum two groups", ReduceSumOp, []int{2, 3, 2}, x3, []int64{0, 2}, false, false, []int{3}, []float64{14, 22, 30}},
		{"mean two groups keep", ReduceMeanOp, []int{2, 3, 2}, x3, []int64{2, 0}, true, false, []int{1, 3, 1}, []float64{3.5, 5.5, 7.5}},
		{"max two groups", ReduceMaxOp, []int{2, 3, 2}, x3, []int64{0, -1}, false, false, []int{3}, []float64{7, 9, 11}},
		{"scalar", ReduceSumOp, []int{}, []float32{7}, nil, false, false, []int{}, []float64{7}},
		{"size-1 axis", ReduceSumOp, []int{2, 1, 3}, x23, []int64{1}, false, false, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"empty sum", ReduceSumOp, []int{2, 0, 2}, nil, []int64{1}, true, false, []int{2, 1, 2}, []float64{0, 0, 0, 0}},
		{"empty prod", ReduceProdOp, []int{2, 0}, nil, []int64{1}, false, false, []int{2}, []float64{1, 1}},
		{"empty max", ReduceMaxOp, []int{2, 0}, nil, []int64{1}, false, false, []int{2}, []float64{-rdtInf, -rdtInf}},
		{"empty min", ReduceMinOp, []int{2, 0}, nil, []int64{1}, false, false, []int{2}, []float64{rdtInf, rdtInf}},
		{"empty logsum", ReduceLogSumOp, []int{0}, nil, nil, false, false, []int{}, []float64{-rdtInf}},
		{"empty logsumexp", ReduceLogSumExpOp, []int{0}, nil, nil, false, false, []int{}, []float64{-rdtInf}},
		{"empty l2", ReduceL2Op, []int{0}, nil, nil, true, false, []int{1}, []float64{0}},
		{"empty mean", ReduceMeanOp, []int{0}, nil, nil, false, false, []int{}, []float64{math.NaN()}},
		{"empty kept axis", ReduceSumOp, []int{2, 0, 4}, nil, []int64{2}, true, false, []int{2, 0, 1}, nil},
		{"max nan", ReduceMaxOp, []int{3}, []float32{1, nan, 3}, nil, false, false, []int{}, []float64{math.NaN()}},
		{"min nan inner", ReduceMinOp, []int{2, 2}, []float32{1, nan, 3, 0}, []int64{0}, false, false, []int{2}, []float64{1, math.NaN()}},
		{"sum nan", ReduceSumOp, []int{2, 2}, []float32{1, nan, 3, 0}, []int64{1}, false, false, []int{2}, []float64{math.NaN(), 3}},
		{"logsumexp inf", ReduceLogSumExpOp, []int{2}, []float32{float32(rdtInf), 1}, nil, false, false, []int{}, []float64{rdtInf}},
	}
	x := NewExec(nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, constAxes := range []bool{true, false} {
				in := []*Tensor{rdtF32(c.shape, c.x...)}
				p := &ReduceParams{Op: c.op, KeepDims: c.keep, NoopWithEmptyAxes: c.noop}
				if constAxes {
					p.Axes, p.AxesConst = c.axes, true
				} else if c.axes != nil {
					in = append(in, rdtI64([]int{len(c.axes)}, c.axes...))
				}
				out := []*Tensor{{}}
				if err := Reduce(x, p, out, in); err != nil {
					t.Fatal(err)
				}
				rdtShape(t, c.name, out[0].Shape, c.shp)
				rdtClose(t, c.name, Data[float32](out[0]), c.want)
			}
		})
	}
}

func TestReduceErrors(t *testing.T) {
	x := NewExec(nil)
	in := []*Tensor{rdtF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)}
	for _, axes := range [][]int64{{2}, {-3}, {1, -1}} {
		err := Reduce(x, &ReduceParams{Op: ReduceSumOp, Axes: axes, AxesConst: true}, []*Tensor{{}}, in)
		if err == nil {
			t.Errorf("axes %v: no error", axes)
		}
	}
	b := New(Bool, 2)
	if err := Reduce(x, &ReduceParams{Op: ReduceSumOp, AxesConst: true}, []*Tensor{{}}, []*Tensor{b}); err == nil {
		t.Errorf("sum of bools: no error")
	}
}

func TestReduceTypes(t *testing.T) {
	x := NewExec(nil)
	i32 := New(Int32, 2, 3)
	copy(Data[int32](i32), []int32{1, 2, 4, -7, 5, 9})
	run := func(op int, src *Tensor, axes ...int64) *Tensor {
		t.Helper()
		out := []*Tensor{{}}
		if err := Reduce(x, &ReduceParams{Op: op, Axes: axes, AxesConst: true}, out, []*Tensor{src}); err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	if got := Data[int32](run(ReduceSumOp, i32, 1)); !slices.Equal(got, []int32{7, 7}) {
		t.Errorf("int32 sum = %v", got)
	}
	if got := Data[int32](run(ReduceMeanOp, i32, 1)); !slices.Equal(got, []int32{2, 2}) {
		t.Errorf("int32 mean = %v (want truncation)", got)
	}
	if got := Data[int32](run(ReduceMinOp, i32, 0)); !slices.Equal(got, []int32{-7, 2, 4}) {
		t.Errorf("int32 min = %v", got)
	}
	if got := Data[int32](run(ReduceL1Op, i32, 1)); !slices.Equal(got, []int32{7, 21}) {
		t.Errorf("int32 l1 = %v", got)
	}
	u8 := New(Uint8, 0)
	if got := Data[uint8](run(ReduceMaxOp, u8)); !slices.Equal(got, []uint8{0}) {
		t.Errorf("empty uint8 max = %v", got)
	}
	i64 := New(Int64, 0)
	if got := Data[int64](run(ReduceMinOp, i64)); !slices.Equal(got, []int64{math.MaxInt64}) {
		t.Errorf("empty int64 min = %v", got)
	}
	bl := New(Bool, 2, 2)
	copy(Data[uint8](bl), []uint8{1, 0, 1, 1})
	if got := Data[uint8](run(ReduceMaxOp, bl, 1)); !slices.Equal(got, []uint8{1, 1}) {
		t.Errorf("bool max = %v", got)
	}
	if got := Data[uint8](run(ReduceMinOp, bl, 1)); !slices.Equal(got, []uint8{0, 1}) {
		t.Errorf("bool min = %v", got)
	}
	if got := run(ReduceMinOp, bl, 1); got.DType != Bool {
		t.Errorf("bool min has type %s", got.DType)
	}
	h := New(Float16, 3)
	for i, v := range []float32{0.5, 1.25, 2} {
		Data[F16](h)[i] = ToF16(v)
	}
	hs := run(ReduceSumOp, h)
	if hs.DType != Float16 || Data[F16](hs)[0].Float32() != 3.75 {
		t.Errorf("float16 sum = %s %v", hs.DType, Data[F16](hs)[0].Float32())
	}
	bf := New(BFloat16, 2)
	Data[BF16](bf)[0], Data[BF16](bf)[1] = ToBF16(3), ToBF16(-8)
	if v := Data[BF16](run(ReduceMaxOp, bf))[0].Float32(); v != 3 {
		t.Errorf("bfloat16 max = %v", v)
	}
	f64 := New(Float64, 2)
	copy(Data[float64](f64), []float64{1e300, 1e300})
	if v := Data[float64](run(ReduceLogSumExpOp, f64))[0]; math.Abs(v-(1e300+math.Ln2)) > 1e285 {
		t.Errorf("float64 logsumexp = %v", v)
	}
}

// rdtNaive reduces by visiting every element with its multi-index, in float64.
func rdtNaive(op int, shape []int, x []float32, red []bool) []float64 {
	var oshape []int
	for i, d := range shape {
		if !red[i] {
			oshape = append(oshape, d)
		}
	}
	n := NumElems(oshape)
	acc := make([]float64, n)
	mx := make([]float64, n)
	cnt := make([]float64, n)
	for i := range acc {
		mx[i] = math.Inf(-1)
		switch op {
		case ReduceProdOp:
			acc[i] = 1
		case ReduceMinOp:
			acc[i] = math.Inf(1)
		case ReduceMaxOp:
			acc[i] = math.Inf(-1)
		}
	}
	idx := make([]int, len(shape))
	for e := range x {
		rem := e
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		o := 0
		for d := range shape {
			if !red[d] {
				o = o*shape[d] + idx[d]
			}
		}
		v := float64(x[e])
		cnt[o]++
		mx[o] = math.Max(mx[o], v)
		switch op {
		case ReduceSumOp, ReduceMeanOp, ReduceLogSumOp:
			acc[o] += v
		case ReduceL1Op:
			acc[o] += math.Abs(v)
		case ReduceL2Op, ReduceSumSquareOp:
			acc[o] += v * v
		case ReduceProdOp:
			acc[o] *= v
		case ReduceMaxOp:
			acc[o] = math.Max(acc[o], v)
		case ReduceMinOp:
			acc[o] = math.Min(acc[o], v)
		}
	}
	for e := range x {
		rem := e
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		o := 0
		for d := range shape {
			if !red[d] {
				o = o*shape[d] + idx[d]
			}
		}
		if op == ReduceLogSumExpOp {
			acc[o] += math.Exp(float64(x[e]) - mx[o])
		}
	}
	for i := range acc {
		switch op {
		case ReduceMeanOp:
			acc[i] /= cnt[i]
		case ReduceL2Op:
			acc[i] = math.Sqrt(acc[i])
		case ReduceLogSumOp:
			acc[i] = math.Log(acc[i])
		case ReduceLogSumExpOp:
			acc[i] = mx[i] + math.Log(acc[i])
		}
	}
	return acc
}

// TestReduceLayouts checks every op over every subset of axes of a few shapes, serially and on
// a pool, against the naive reduction.
func TestReduceLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pool := NewPool(4)
	defer pool.Close()
	for _, shape := range [][]int{{3, 4, 5}, {2, 1, 3, 4}, {5, 70, 130}, {300, 2, 100}} {
		n := NumElems(shape)
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(rng.Float64()*2 + 0.5) // positive, so LogSum and Prod stay defined
		}
		if n > 1000 {
			for i := range xs {
				xs[i] = 1 + (xs[i]-1.5)*1e-3 // keep products of many elements finite
			}
		}
		for mask := 1; mask < 1<<len(shape); mask++ {
			var axes []int64
			red := make([]bool, len(shape))
			for d := range shape {
				if mask&(1<<d) != 0 {
					axes = append(axes, int64(d))
					red[d] = true
				}
			}
			for op := ReduceSumOp; op <= ReduceSumSquareOp; op++ {
				want := rdtNaive(op, shape, xs, red)
				for _, x := range []*Exec{NewExec(nil), NewExec(pool)} {
					out := []*Tensor{{}}
					err := Reduce(x, &ReduceParams{Op: op, Axes: axes, AxesConst: true}, out, []*Tensor{rdtF32(shape, xs...)})
					if err != nil {
						t.Fatal(err)
					}
					got := Data[float32](out[0])
					for i, w := range want {
						if math.Abs(float64(got[i])-w) > 1e-4*math.Abs(w)+1e-5 {
							t.Fatalf("op %d shape %v axes %v: [%d] = %v, want %v", op, shape, axes, i, got[i], w)
						}
					}
				}
			}
		}
	}
}

func TestArgReduce(t *testing.T) {
	x := NewExec(nil)
	cases := []struct {
		name  string
		p     ArgReduceParams
		shape []int
		x     []float32
		shp   []int
		want  []int64
	}{
		{"max axis0 keep", ArgReduceParams{Axis: 0, KeepDims: true}, []int{2, 2}, []float32{2, 1, 3, 10}, []int{1, 2}, []int64{1, 1}},
		{"max axis1", ArgReduceParams{Axis: 1}, []int{2, 2}, []float32{2, 1, 3, 10}, []int{2}, []int64{0, 1}},
		{"max axis -1 keep", ArgReduceParams{Axis: -1, KeepDims: true}, []int{2, 2}, []float32{2, 1, 3, 10}, []int{2, 1}, []int64{0, 1}},
		{"min axis0", ArgReduceParams{Axis: 0, Min: true}, []int{2, 2}, []float32{2, 1, 3, 10}, []int{2}, []int64{0, 0}},
		{"ties first", ArgReduceParams{Axis: 1}, []int{2, 3}, []float32{2, 2, 1, 3, 5, 5}, []int{2}, []int64{0, 1}},
		{"ties last", ArgReduceParams{Axis: 1, SelectLastIndex: true}, []int{2, 3}, []float32{2, 2, 1, 3, 5, 5}, []int{2}, []int64{1, 2}},
		{"min ties last axis0", ArgReduceParams{Axis: 0, Min: true, SelectLastIndex: true}, []int{3, 2}, []float32{1, 4, 1, 4, 2, 4}, []int{2}, []int64{1, 2}},
		{"nan first", ArgReduceParams{Axis: 0}, []int{3}, []float32{1, float32(math.NaN()), 5}, []int{}, []int64{1}},
		{"inner", ArgReduceParams{Axis: 1}, []int{1, 3, 2}, []float32{1, 9, 7, 2, 3, 8}, []int{1, 2}, []int64{1, 0}},
	}
	for _, c := range cases {
		out := []*Tensor{{}}
		if err := ArgReduce(x, &c.p, out, []*Tensor{rdtF32(c.shape, c.x...)}); err != nil {
			t.Fatal(c.name, err)
		}
		rdtShape(t, c.name, out[0].Shape, c.shp)
		if got := Data[int64](out[0]); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if err := ArgReduce(x, &ArgReduceParams{Axis: 1}, []*Tensor{{}}, []*Tensor{New(Float32, 2, 0)}); err == nil {
		t.Error("argmax over an empty axis: no error")
	}
	u := New(Uint64, 3)
	copy(Data[uint64](u), []uint64{5, math.MaxUint64, 7})
	out := []*Tensor{{}}
	if err := ArgReduce(x, &ArgReduceParams{}, out, []*Tensor{u}); err != nil || Data[int64](out[0])[0] != 1 {
		t.Errorf("uint64 argmax: %v %v", err, Data[int64](out[0]))
	}
}

func TestCumulative(t *testing.T) {
	x := NewExec(nil)
	v5 := []float32{1, 2, 3, 4, 5}
	m23 := []float32{1, 2, 3, 4, 5, 6}
	cases := []struct {
		name  string
		p     CumParams
		shape []int
		x     []float32
		want  []float64
	}{
		{"sum", CumParams{}, []int{5}, v5, []float64{1, 3, 6, 10, 15}},
		{"exclusive", CumParams{Exclusive: true}, []int{5}, v5, []float64{0, 1, 3, 6, 10}},
		{"reverse", CumParams{Reverse: true}, []int{5}, v5, []float64{15, 14, 12, 9, 5}},
		{"reverse exclusive", CumParams{Reverse: true, Exclusive: true}, []int{5}, v5, []float64{14, 12, 9, 5, 0}},
		{"axis0", CumParams{}, []int{2, 3}, m23, []float64{1, 2, 3, 5, 7, 9}},
		{"axis1", CumParams{Axis: 1}, []int{2, 3}, m23, []float64{1, 3, 6, 4, 9, 15}},
		{"axis -1", CumParams{Axis: -1}, []int{2, 3}, m23, []float64{1, 3, 6, 4, 9, 15}},
		{"prod", CumParams{Prod: true}, []int{5}, v5, []float64{1, 2, 6, 24, 120}},
		{"prod exclusive", CumParams{Prod: true, Exclusive: true}, []int{5}, v5, []float64{1, 1, 2, 6, 24}},
		{"prod reverse axis0", CumParams{Prod: true, Reverse: true}, []int{2, 3}, m23, []float64{4, 10, 18, 4, 5, 6}},
		{"empty", CumParams{}, []int{0}, nil, nil},
	}
	for _, c := range cases {
		for _, constAxis := range []bool{true, false} {
			p := c.p
			in := []*Tensor{rdtF32(c.shape, c.x...)}
			if constAxis {
				p.AxisConst = true
				in = append(in, nil)
			} else {
				a := New(Int32)
				Data[int32](a)[0] = int32(p.Axis)
				in = append(in, a)
				p.Axis = 99 // must be ignored
			}
			out := []*Tensor{{}}
			if err := Cumulative(x, &p, out, in); err != nil {
				t.Fatal(c.name, err)
			}
			rdtShape(t, c.name, out[0].Shape, c.shape)
			rdtClose(t, c.name, Data[float32](out[0]), c.want)
		}
	}
	i32 := New(Int32, 3)
	copy(Data[int32](i32), []int32{1, 2, 3})
	out := []*Tensor{{}}
	if err := Cumulative(x, &CumParams{AxisConst: true, Exclusive: true}, out, []*Tensor{i32, nil}); err != nil {
		t.Fatal(err)
	}
	if got := Data[int32](out[0]); !slices.Equal(got, []int32{0, 1, 3}) {
		t.Errorf("int32 exclusive cumsum = %v", got)
	}
	if err := Cumulative(x, &CumParams{Axis: 1, AxisConst: true}, out, []*Tensor{i32, nil}); err == nil {
		t.Error("axis out of range: no error")
	}
}

func TestTopK(t *testing.T) {
	x := NewExec(nil)
	m := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	cases := []struct {
		name  string
		p     TopKParams
		shape []int
		x     []float32
		k     int64
		shp   []int
		vals  []float64
		idx   []int64
	}{
		{"largest", TopKParams{Axis: 1, Largest: true}, []int{3, 4}, m, 3, []int{3, 3}, []float64{3, 2, 1, 7, 6, 5, 11, 10, 9}, []int64{3, 2, 1, 3, 2, 1, 3, 2, 1}},
		{"smallest", TopKParams{Axis: -1}, []int{3, 4}, m, 2, []int{3, 2}, []float64{0, 1, 4, 5, 8, 9}, []int64{0, 1, 0, 1, 0, 1}},
		{"axis0", TopKParams{Axis: 0, Largest: true}, []int{3, 4}, m, 1, []int{1, 4}, []float64{8, 9, 10, 11}, []int64{2, 2, 2, 2}},
		{"ties largest", TopKParams{Axis: 0, Largest: true}, []int{5}, []float32{1, 3, 3, 2, 3}, 3, []int{3}, []float64{3, 3, 3}, []int64{1, 2, 4}},
		{"ties smallest", TopKParams{Axis: 0}, []int{6}, []float32{2, 1, 3, 1, 2, 0}, 4, []int{4}, []float64{0, 1, 1, 2}, []int64{5, 1, 3, 0}},
		{"all", TopKParams{Axis: 0, Largest: true}, []int{4}, []float32{2, 8, 5, 8}, 4, []int{4}, []float64{8, 8, 5, 2}, []int64{1, 3, 2, 0}},
		{"k0", TopKParams{Axis: 0, Largest: true}, []int{4}, []float32{2, 8, 5, 8}, 0, []int{0}, nil, nil},
		{"nan largest", TopKParams{Axis: 0, Largest: true}, []int{3}, []float32{1, float32(math.NaN()), 5}, 2, []int{2}, []float64{math.NaN(), 5}, []int64{1, 2}},
	}
	for _, c := range cases {
		out := []*Tensor{{}, {}}
		if err := TopK(x, &c.p, out, []*Tensor{rdtF32(c.shape, c.x...), rdtI64([]int{1}, c.k)}); err != nil {
			t.Fatal(c.name, err)
		}
		rdtShape(t, c.name, out[0].Shape, c.shp)
		rdtShape(t, c.name, out[1].Shape, c.shp)
		rdtClose(t, c.name, Data[float32](out[0]), c.vals)
		if got := Data[int64](out[1]); !slices.Equal(got, c.idx) {
			t.Errorf("%s: indices %v, want %v", c.name, got, c.idx)
		}
	}
	if err := TopK(x, &TopKParams{}, []*Tensor{{}, {}}, []*Tensor{rdtF32([]int{2}, 1, 2), rdtI64([]int{1}, 3)}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("K too large: %v", err)
	}
	// A long row with small K takes the heap path; compare with sorting.
	rng := rand.New(rand.NewSource(2))
	xs := make([]float32, 1000)
	for i := range xs {
		xs[i] = float32(rng.Intn(50))
	}
	out := []*Tensor{{}, {}}
	if err := TopK(x, &TopKParams{Largest: true}, out, []*Tensor{rdtF32([]int{1000}, xs...), rdtI64([]int{1}, 10)}); err != nil {
		t.Fatal(err)
	}
	order := make([]int, 1000)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case xs[a] > xs[b]:
			return -1
		case xs[a] < xs[b]:
			return 1
		}
		return 0
	})
	for i := 0; i < 10; i++ {
		if got := Data[int64](out[1])[i]; got != int64(order[i]) {
			t.Fatalf("heap topk index %d = %d, want %d", i, got, order[i])
		}
	}
}

func rdtBench(b *testing.B, shape []int, run func(x *Exec, out, in []*Tensor) error) {
	src := New(Float32, shape...)
	for i, d := 0, Data[float32](src); i < len(d); i++ {
		d[i] = float32(i%97) * 0.01
	}
	x := NewExec(nil)
	out := []*Tensor{{}, {}, {}}
	b.SetBytes(int64(src.Len() * 4))
	for i := 0; i < b.N; i++ {
		if err := run(x, out, []*Tensor{src}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReduceSumLastAxis(b *testing.B) {
	rdtBench(b, []int{256, 4096}, func(x *Exec, out, in []*Tensor) error {
		return Reduce(x, &ReduceParams{Op: ReduceSumOp, Axes: []int64{1}, AxesConst: true}, out, in)
	})
}

func BenchmarkReduceMeanFirstAxis(b *testing.B) {
	rdtBench(b, []int{256, 4096}, func(x *Exec, out, in []*Tensor) error {
		return Reduce(x, &ReduceParams{Op: ReduceMeanOp, Axes: []int64{0}, AxesConst: true}, out, in)
	})
}

func BenchmarkReduceMaxSpatial(b *testing.B) {
	rdtBench(b, []int{8, 64, 56, 56}, func(x *Exec, out, in []*Tensor) error {
		return Reduce(x, &ReduceParams{Op: ReduceMaxOp, Axes: []int64{0, 2, 3}, AxesConst: true}, out, in)
	})
}

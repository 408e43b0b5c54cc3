package runtime

import "testing"

func TestTrilu(t *testing.T) {
	x := mvF32([]int{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	cases := []struct {
		upper bool
		k     int64
		want  []float32
	}{
		{true, 0, []float32{1, 2, 3, 0, 5, 6, 0, 0, 9}},
		{true, 1, []float32{0, 2, 3, 0, 0, 6, 0, 0, 0}},
		{true, -1, []float32{1, 2, 3, 4, 5, 6, 0, 8, 9}},
		{false, 0, []float32{1, 0, 0, 4, 5, 0, 7, 8, 9}},
		{false, -1, []float32{0, 0, 0, 4, 0, 0, 7, 8, 0}},
		{false, 5, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{true, -5, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{true, 5, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		o := mvOut(1)
		if err := Trilu(mvX, &TriluParams{Upper: c.upper}, o, []*Tensor{x, mvI64(nil, c.k)}); err != nil {
			t.Fatal(err)
		}
		mvExpect(t, "trilu", o[0], []int{3, 3}, c.want...)
	}
}

func TestOneHot(t *testing.T) {
	o := mvOut(1)
	vals := mvF32([]int{2}, 0, 5)
	if err := OneHot(mvX, &OneHotParams{Axis: -1}, o, []*Tensor{mvI64([]int{3}, 0, -1, 7), mvI64(nil, 3), vals}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "last axis", o[0], []int{3, 3}, 5, 0, 0, 0, 0, 5, 0, 0, 0)
	if err := OneHot(mvX, &OneHotParams{Axis: 0}, o, []*Tensor{mvF32([]int{2}, 1.7, 0), mvF32(nil, 2), vals}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis 0, float indices", o[0], []int{2, 2}, 0, 5, 5, 0)
}

func TestNonZeroCompress(t *testing.T) {
	x := mvF32([]int{2, 2}, 1, 0, float32(negZero()), 3)
	o := mvOut(1)
	if err := NonZero(mvX, nil, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "nonzero", o[0], []int{2, 2}, 0, 1, 0, 1)
	b := New(Bool, 3)
	Data[bool](b)[1] = true
	if err := NonZero(mvX, nil, o, []*Tensor{b}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "nonzero bool", o[0], []int{1, 1}, 1)

	y := mvIota(3, 2)
	cond := New(Bool, 2)
	Data[bool](cond)[1] = true
	if err := Compress(mvX, &CompressParams{Axis: 0, HasAxis: true}, o, []*Tensor{y, cond}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "compress axis 0", o[0], []int{1, 2}, 2, 3)
	if err := Compress(mvX, &CompressParams{Axis: -1, HasAxis: true}, o, []*Tensor{y, cond}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "compress axis -1", o[0], []int{3, 1}, 1, 3, 5)
	if err := Compress(mvX, &CompressParams{}, o, []*Tensor{y, cond}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "compress flat", o[0], []int{1}, 1)
	long := New(Bool, 4)
	Data[bool](long)[3] = true
	if err := Compress(mvX, &CompressParams{Axis: 1, HasAxis: true}, o, []*Tensor{y, long}); err == nil {
		t.Error("condition past the axis accepted")
	}
}

func negZero() float64 { z := 0.0; return -z }

func TestReverseSequence(t *testing.T) {
	x := mvIota(4, 2) // time-major: [time, batch]
	o := mvOut(1)
	if err := ReverseSequence(mvX, &ReverseSequenceParams{BatchAxis: 1, TimeAxis: 0}, o, []*Tensor{x, mvI64([]int{2}, 4, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "time major", o[0], []int{4, 2}, 6, 3, 4, 1, 2, 5, 0, 7)
	y := mvIota(2, 3)
	if err := ReverseSequence(mvX, &ReverseSequenceParams{BatchAxis: 0, TimeAxis: 1}, o, []*Tensor{y, mvI64([]int{2}, 1, 3)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "batch major", o[0], []int{2, 3}, 0, 1, 2, 5, 4, 3)
	if err := ReverseSequence(mvX, &ReverseSequenceParams{BatchAxis: 0, TimeAxis: 1}, o, []*Tensor{y, mvI64([]int{2}, 1, 4)}); err == nil {
		t.Error("sequence length past the time axis accepted")
	}
}

func TestUnique(t *testing.T) {
	x := mvF32([]int{6}, 2, 1, 1, 3, 4, 3)
	o := mvOut(4)
	if err := Unique(mvX, &UniqueParams{Sorted: true}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "Y", o[0], []int{4}, 1, 2, 3, 4)
	mvExpect(t, "indices", o[1], []int{4}, 1, 0, 3, 4)
	mvExpect(t, "inverse", o[2], []int{6}, 1, 0, 0, 2, 3, 2)
	mvExpect(t, "counts", o[3], []int{4}, 2, 1, 2, 1)
	if err := Unique(mvX, &UniqueParams{}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "unsorted Y", o[0], []int{4}, 2, 1, 3, 4)
	mvExpect(t, "unsorted indices", o[1], []int{4}, 0, 1, 3, 4)
	mvExpect(t, "unsorted inverse", o[2], []int{6}, 0, 1, 1, 2, 3, 2)
	mvExpect(t, "unsorted counts", o[3], []int{4}, 1, 2, 2, 1)

	y := mvF32([]int{3, 2}, 1, 0, 0, 1, 1, 0)
	if err := Unique(mvX, &UniqueParams{Sorted: true, Axis: -2, HasAxis: true}, o, []*Tensor{y}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis Y", o[0], []int{2, 2}, 0, 1, 1, 0)
	mvExpect(t, "axis inverse", o[2], []int{3}, 1, 0, 1)
	if err := Unique(mvX, &UniqueParams{Sorted: true, Axis: 1, HasAxis: true}, o, []*Tensor{y}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis 1 Y", o[0], []int{3, 2}, 0, 1, 1, 0, 0, 1)
	s := mvStrs([]int{3}, "b", "a", "b")
	if err := Unique(mvX, &UniqueParams{Sorted: true}, o[:1], []*Tensor{s}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "strings", o[0], []int{2}, "a", "b")
}

func TestCol2Im(t *testing.T) {
	// A 1x3 image, blocks of 1x2, stride 1: two positions; columns [N=1, C*2=2, L=2].
	cols := mvF32([]int{1, 2, 2}, 1, 2, 10, 20)
	o := mvOut(1)
	if err := Col2Im(mvX, &Col2ImParams{}, o, []*Tensor{cols, mvI64([]int{2}, 1, 3), mvI64([]int{2}, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	// Position 0 covers pixels 0,1 (values 1, 10); position 1 covers 1,2 (values 2, 20).
	mvExpect(t, "col2im", o[0], []int{1, 1, 1, 3}, 1, 12, 20)
	// With a pad of 1 on the left, three positions start at -1, 0, 1.
	cols = mvF32([]int{1, 2, 3}, 1, 2, 3, 10, 20, 30)
	if err := Col2Im(mvX, &Col2ImParams{Pads: []int{0, 1, 0, 0}}, o, []*Tensor{cols, mvI64([]int{2}, 1, 3), mvI64([]int{2}, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "col2im pads", o[0], []int{1, 1, 1, 3}, 12, 23, 30)
	if err := Col2Im(mvX, &Col2ImParams{}, o, []*Tensor{cols, mvI64([]int{2}, 1, 3), mvI64([]int{2}, 1, 2)}); err == nil {
		t.Error("wrong column count accepted")
	}
}

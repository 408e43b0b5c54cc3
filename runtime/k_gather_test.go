package runtime

import "testing"

func TestGather(t *testing.T) {
	x := mvIota(3, 2)
	o := mvOut(1)
	if err := Gather(mvX, &GatherParams{Axis: 0}, o, []*Tensor{x, mvI64([]int{2, 2}, 0, -1, 2, 1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis 0", o[0], []int{2, 2, 2}, 0, 1, 4, 5, 4, 5, 2, 3)
	if err := Gather(mvX, &GatherParams{Axis: -1}, o, []*Tensor{x, mvI64(nil, 1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "scalar index", o[0], []int{3}, 1, 3, 5)
	if err := Gather(mvX, &GatherParams{}, o, []*Tensor{x, mvI64([]int{1}, 3)}); err == nil {
		t.Error("index 3 of 3 accepted")
	}
	if err := Gather(mvX, &GatherParams{}, o, []*Tensor{x, mvI64([]int{0})}); err != nil {
		t.Fatal(err)
	}
	mvExpect[float32](t, "no indices", o[0], []int{0, 2})
	s := mvStrs([]int{3}, "a", "b", "c")
	if err := Gather(mvX, &GatherParams{}, o, []*Tensor{s, mvI64([]int{2}, 2, -3)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "strings", o[0], []int{2}, "c", "a")
}

func TestGatherElements(t *testing.T) {
	x := mvF32([]int{2, 2}, 1, 2, 3, 4)
	o := mvOut(1)
	if err := GatherElements(mvX, &GatherParams{Axis: 1}, o, []*Tensor{x, mvI64([]int{2, 2}, 0, 0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis 1", o[0], []int{2, 2}, 1, 1, 4, 3)
	y := mvIota(3, 3)
	if err := GatherElements(mvX, &GatherParams{Axis: 0}, o, []*Tensor{y, mvI64([]int{2, 3}, 1, 2, 0, 2, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axis 0", o[0], []int{2, 3}, 3, 7, 2, 6, 1, 8)
	if err := GatherElements(mvX, &GatherParams{}, o, []*Tensor{y, mvI64([]int{1, 1}, 3)}); err == nil {
		t.Error("out-of-range index accepted")
	}
}

func TestGatherND(t *testing.T) {
	x := mvIota(2, 2)
	o := mvOut(1)
	if err := GatherND(mvX, &GatherNDParams{}, o, []*Tensor{x, mvI64([]int{2, 2}, 0, 0, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "elements", o[0], []int{2}, 0, 3)
	if err := GatherND(mvX, &GatherNDParams{}, o, []*Tensor{x, mvI64([]int{2, 1}, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "rows", o[0], []int{2, 2}, 2, 3, 0, 1)
	y := mvIota(2, 2, 2)
	if err := GatherND(mvX, &GatherNDParams{BatchDims: 1}, o, []*Tensor{y, mvI64([]int{2, 1}, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "batch dims", o[0], []int{2, 2}, 2, 3, 4, 5)
	if err := GatherND(mvX, &GatherNDParams{}, o, []*Tensor{x, mvI64([]int{1, 2}, 0, 2)}); err == nil {
		t.Error("out-of-range tuple accepted")
	}
	if err := GatherND(mvX, &GatherNDParams{}, o, []*Tensor{x, mvI64([]int{1, 3}, 0, 0, 0)}); err == nil {
		t.Error("tuple longer than rank accepted")
	}
}

func TestScatter(t *testing.T) {
	data := func() *Tensor { return mvF32([]int{1, 5}, 1, 2, 3, 4, 5) }
	idx := mvI64([]int{1, 2}, 1, -2)
	upd := mvF32([]int{1, 2}, 10, 20)
	for _, c := range []struct {
		red  string
		want []float32
	}{
		{"none", []float32{1, 10, 3, 20, 5}},
		{"add", []float32{1, 12, 3, 24, 5}},
		{"mul", []float32{1, 20, 3, 80, 5}},
		{"max", []float32{1, 10, 3, 20, 5}},
		{"min", []float32{1, 2, 3, 4, 5}},
	} {
		o := mvOut(1)
		if err := ScatterElements(mvX, &ScatterParams{Axis: 1, Reduction: c.red}, o, []*Tensor{data(), idx, upd}); err != nil {
			t.Fatal(err)
		}
		mvExpect(t, "scatter "+c.red, o[0], []int{1, 5}, c.want...)
	}
	// Duplicates accumulate in order.
	o := mvOut(1)
	if err := ScatterElements(mvX, &ScatterParams{Axis: 1, Reduction: "add"}, o, []*Tensor{data(), mvI64([]int{1, 2}, 1, 1), mvF32([]int{1, 2}, 1.5, 2.5)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "duplicates", o[0], []int{1, 5}, 1, 6, 3, 4, 5)
	d0 := data()
	if err := ScatterElements(mvX, &ScatterParams{Axis: 1}, o, []*Tensor{d0, idx, upd}); err != nil || Data[float32](d0)[1] != 2 {
		t.Error("ScatterElements wrote into its input")
	}
	if err := ScatterElements(mvX, &ScatterParams{Axis: 1}, o, []*Tensor{data(), mvI64([]int{1, 1}, 5), mvF32([]int{1, 1}, 0)}); err == nil {
		t.Error("out-of-range index accepted")
	}
	if err := ScatterElements(mvX, &ScatterParams{Reduction: "sum"}, o, []*Tensor{data(), idx, upd}); err == nil {
		t.Error("unknown reduction accepted")
	}

	nd := mvIota(2, 2, 2)
	if err := ScatterND(mvX, &ScatterParams{Reduction: "mul"}, o, []*Tensor{nd, mvI64([]int{1, 1}, 1), mvF32([]int{1, 2, 2}, 2, 2, 2, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "scatternd mul", o[0], []int{2, 2, 2}, 0, 1, 2, 3, 8, 10, 12, 14)
	if err := ScatterND(mvX, &ScatterParams{}, o, []*Tensor{nd, mvI64([]int{2, 3}, 0, 0, 1, -1, -1, -1), mvF32([]int{2}, 9, 8)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "scatternd elements", o[0], []int{2, 2, 2}, 0, 9, 2, 3, 4, 5, 6, 8)
	if err := ScatterND(mvX, &ScatterParams{}, o, []*Tensor{nd, mvI64([]int{1, 1}, 0), mvF32([]int{2}, 9, 8)}); err == nil {
		t.Error("wrong updates shape accepted")
	}
	s := mvStrs([]int{3}, "a", "b", "c")
	if err := ScatterND(mvX, &ScatterParams{}, o, []*Tensor{s, mvI64([]int{1, 1}, 2), mvStrs([]int{1}, "z")}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "scatternd strings", o[0], []int{3}, "a", "b", "z")
	h := New(Float16, 2)
	Data[F16](h)[0], Data[F16](h)[1] = ToF16(1), ToF16(2)
	hu := New(Float16, 1)
	Data[F16](hu)[0] = ToF16(0.5)
	if err := ScatterND(mvX, &ScatterParams{Reduction: "add"}, o, []*Tensor{h, mvI64([]int{1, 1}, 1), hu}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "scatternd f16", o[0], []int{2}, 1, 2.5)
}

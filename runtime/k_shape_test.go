package runtime

import (
	"slices"
	"testing"
)

func TestReshape(t *testing.T) {
	x := mvIota(2, 3, 4)
	cases := []struct {
		shape     []int64
		allowZero bool
		want      []int
		fail      bool
	}{
		{[]int64{4, -1}, false, []int{4, 6}, false},
		{[]int64{0, -1}, false, []int{2, 12}, false},
		{[]int64{0, 0, 2, 2}, false, []int{2, 3, 2, 2}, false},
		{[]int64{-1}, false, []int{24}, false},
		{[]int64{-1, -1}, false, nil, true},
		{[]int64{5, -1}, false, nil, true},
		{[]int64{0, 24}, true, nil, true},
		{[]int64{2, 3, 5}, false, nil, true},
	}
	for _, c := range cases {
		o := mvOut(1)
		err := Reshape(mvX, &ReshapeParams{AllowZero: c.allowZero}, o, []*Tensor{x, mvI64([]int{len(c.shape)}, c.shape...)})
		if c.fail {
			if err == nil {
				t.Errorf("%v: accepted", c.shape)
			}
			continue
		}
		if err != nil || !slices.Equal(o[0].Shape, c.want) || o[0].Buf != x.Buf {
			t.Errorf("%v: %v %v (aliased %v)", c.shape, err, o[0].Shape, o[0].Buf == x.Buf)
		}
	}
	// allowzero keeps a real zero dim.
	e := New(Float32, 0, 3)
	o := mvOut(1)
	if err := Reshape(mvX, &ReshapeParams{AllowZero: true}, o, []*Tensor{e, mvI64([]int{2}, 3, 0)}); err != nil || !slices.Equal(o[0].Shape, []int{3, 0}) {
		t.Errorf("allowzero: %v %v", err, o[0].Shape)
	}
	if err := Reshape(mvX, &ReshapeParams{}, o, []*Tensor{e, mvI64([]int{2}, -1, 0)}); err != nil || !slices.Equal(o[0].Shape, []int{0, 3}) {
		t.Errorf("empty -1: %v %v", err, o[0].Shape)
	}
}

func TestFlattenSqueeze(t *testing.T) {
	x := mvIota(2, 1, 3, 1)
	o := mvOut(1)
	for _, c := range []struct {
		axis int
		want []int
	}{{0, []int{1, 6}}, {2, []int{2, 3}}, {-1, []int{6, 1}}, {4, []int{6, 1}}} {
		if err := Flatten(mvX, &FlattenParams{Axis: c.axis}, o, []*Tensor{x}); err != nil || !slices.Equal(o[0].Shape, c.want) {
			t.Errorf("Flatten axis %d: %v %v", c.axis, err, o[0].Shape)
		}
	}
	if err := Flatten(mvX, &FlattenParams{Axis: 5}, o, []*Tensor{x}); err == nil {
		t.Error("Flatten axis 5 accepted")
	}
	if err := Squeeze(mvX, nil, o, []*Tensor{x}); err != nil || !slices.Equal(o[0].Shape, []int{2, 3}) {
		t.Errorf("Squeeze all: %v %v", err, o[0].Shape)
	}
	if err := Squeeze(mvX, nil, o, []*Tensor{x, mvI64([]int{1}, -1)}); err != nil || !slices.Equal(o[0].Shape, []int{2, 1, 3}) {
		t.Errorf("Squeeze -1: %v %v", err, o[0].Shape)
	}
	if err := Squeeze(mvX, nil, o, []*Tensor{x, mvI64([]int{1}, 0)}); err == nil {
		t.Error("squeezing a dim of 2 accepted")
	}
	if err := Unsqueeze(mvX, nil, o, []*Tensor{mvIota(3, 4), mvI64([]int{3}, -1, 0, 2)}); err != nil || !slices.Equal(o[0].Shape, []int{1, 3, 1, 4, 1}) {
		t.Errorf("Unsqueeze: %v %v", err, o[0].Shape)
	}
	if err := Unsqueeze(mvX, nil, o, []*Tensor{mvIota(3), mvI64([]int{2}, 0, 0)}); err == nil {
		t.Error("repeated unsqueeze axis accepted")
	}
	s := mvStrs([]int{1, 2}, "a", "b")
	if err := Squeeze(mvX, nil, o, []*Tensor{s}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "squeeze strings", o[0], []int{2}, "a", "b")
}

func TestShapeSize(t *testing.T) {
	x := New(Float32, 2, 3, 4)
	cases := []struct {
		p    ShapeParams
		want []int64
	}{
		{ShapeParams{}, []int64{2, 3, 4}},
		{ShapeParams{Start: 1}, []int64{3, 4}},
		{ShapeParams{Start: -1}, []int64{4}},
		{ShapeParams{End: -1, HasEnd: true}, []int64{2, 3}},
		{ShapeParams{Start: 1, End: 2, HasEnd: true}, []int64{3}},
		{ShapeParams{Start: -10, End: 10, HasEnd: true}, []int64{2, 3, 4}},
		{ShapeParams{Start: 2, End: 1, HasEnd: true}, nil},
	}
	for _, c := range cases {
		o := mvOut(1)
		if err := Shape(mvX, &c.p, o, []*Tensor{x}); err != nil {
			t.Fatal(err)
		}
		mvExpect(t, "shape", o[0], []int{len(c.want)}, c.want...)
	}
	o := mvOut(1)
	if err := Size(mvX, nil, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "size", o[0], []int{}, 24)
}

func TestConstantOfShapeRangeEye(t *testing.T) {
	o := mvOut(1)
	if err := ConstantOfShape(mvX, &ConstantOfShapeParams{DType: Int64, Int: 1 << 60}, o, []*Tensor{mvI64([]int{2}, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "cos int", o[0], []int{1, 2}, int64(1<<60), int64(1<<60))
	if err := ConstantOfShape(mvX, &ConstantOfShapeParams{DType: Float32, Float: 0.5}, o, []*Tensor{mvI64([]int{1}, 0)}); err != nil {
		t.Fatal(err)
	}
	mvExpect[float32](t, "cos empty", o[0], []int{0})
	if err := ConstantOfShape(mvX, &ConstantOfShapeParams{DType: Bool, Int: 1}, o, []*Tensor{mvI64([]int{1}, 3)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "cos bool", o[0], []int{3}, true, true, true)

	if err := Range(mvX, nil, o, []*Tensor{mvF32(nil, 1), mvF32(nil, 2), mvF32(nil, 0.25)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "range float", o[0], []int{4}, 1, 1.25, 1.5, 1.75)
	i32 := func(v int32) *Tensor { t := New(Int32); Data[int32](t)[0] = v; return t }
	if err := Range(mvX, nil, o, []*Tensor{i32(10), i32(4), i32(-3)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "range int", o[0], []int{2}, 10, 7)
	if err := Range(mvX, nil, o, []*Tensor{i32(1), i32(4), i32(-1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect[int32](t, "range empty", o[0], []int{0})
	if err := Range(mvX, nil, o, []*Tensor{i32(1), i32(4), i32(0)}); err == nil {
		t.Error("delta 0 accepted")
	}

	for _, c := range []struct {
		k    int
		want []float32
	}{{0, []float32{1, 0, 0, 0, 1, 0}}, {1, []float32{0, 1, 0, 0, 0, 1}}, {-1, []float32{0, 0, 0, 1, 0, 0}}, {5, []float32{0, 0, 0, 0, 0, 0}}} {
		if err := EyeLike(mvX, &EyeLikeParams{K: c.k}, o, []*Tensor{New(Float32, 2, 3)}); err != nil {
			t.Fatal(err)
		}
		mvExpect(t, "eye", o[0], []int{2, 3}, c.want...)
	}
	if err := EyeLike(mvX, &EyeLikeParams{DType: Int64}, o, []*Tensor{New(Float32, 2, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "eye int64", o[0], []int{2, 2}, 1, 0, 0, 1)
}

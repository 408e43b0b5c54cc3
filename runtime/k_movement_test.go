package runtime

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Test helpers for the data-movement kernels (prefixed mv like the kernels' helpers).

func mvF32(shape []int, v ...float32) *Tensor {
	t := New(Float32, shape...)
	copy(Data[float32](t), v)
	return t
}

func mvI64(shape []int, v ...int64) *Tensor {
	t := New(Int64, shape...)
	copy(Data[int64](t), v)
	return t
}

func mvStrs(shape []int, v ...string) *Tensor {
	t := New(String, shape...)
	copy(t.Strs, v)
	return t
}

// mvIota is a float32 tensor holding 0, 1, 2, ...
func mvIota(shape ...int) *Tensor {
	t := New(Float32, shape...)
	for i := range Data[float32](t) {
		Data[float32](t)[i] = float32(i)
	}
	return t
}

func mvOut(n int) []*Tensor {
	o := make([]*Tensor, n)
	for i := range o {
		o[i] = &Tensor{Buf: &Buffer{}}
	}
	return o
}

// mvVals renders a tensor's elements as strings, whatever its type, for comparisons.
func mvVals(t *Tensor) []string {
	n := t.Len()
	s := make([]string, n)
	for i := range n {
		switch t.DType {
		case Float32:
			s[i] = fmt.Sprint(Data[float32](t)[i])
		case Float64:
			s[i] = fmt.Sprint(Data[float64](t)[i])
		case Int64:
			s[i] = fmt.Sprint(Data[int64](t)[i])
		case Int32:
			s[i] = fmt.Sprint(Data[int32](t)[i])
		case Uint8:
			s[i] = fmt.Sprint(Data[uint8](t)[i])
		case Bool:
			s[i] = fmt.Sprint(Data[bool](t)[i])
		case Float16:
			s[i] = fmt.Sprint(Data[F16](t)[i].Float32())
		case String:
			s[i] = t.Strs[i]
		default:
			s[i] = "?"
		}
	}
	return s
}

// mvExpect checks shape and values; want elements are formatted with fmt.Sprint.
func mvExpect[T any](t *testing.T, name string, got *Tensor, shape []int, want ...T) {
	t.Helper()
	if !slices.Equal(got.Shape, shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, shape)
		return
	}
	ws := make([]string, len(want))
	for i, w := range want {
		ws[i] = fmt.Sprint(w)
	}
	if g := mvVals(got); !slices.Equal(g, ws) {
		t.Errorf("%s: got %v, want %v", name, g, ws)
	}
}

// mvClose checks float32 values within a tolerance.
func mvClose(t *testing.T, name string, got *Tensor, shape []int, want ...float64) {
	t.Helper()
	if !slices.Equal(got.Shape, shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, shape)
		return
	}
	g := Data[float32](got)
	for i, w := range want {
		if math.Abs(float64(g[i])-w) > 1e-4*(1+math.Abs(w)) {
			t.Errorf("%s: element %d is %v, want %v (all: %v)", name, i, g[i], w, g)
			return
		}
	}
}

var mvX = NewExec(nil)

func TestTranspose(t *testing.T) {
	x := mvIota(2, 3)
	o := mvOut(1)
	if err := Transpose(mvX, &TransposeParams{}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "default perm", o[0], []int{3, 2}, 0, 3, 1, 4, 2, 5)

	x = mvIota(2, 3, 4)
	if err := Transpose(mvX, &TransposeParams{Perm: []int{1, 0, 2}}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "inner kept", o[0], []int{3, 2, 4}, 0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23)

	s := mvStrs([]int{2, 2}, "a", "b", "c", "d")
	if err := Transpose(mvX, &TransposeParams{Perm: []int{1, 0}}, o, []*Tensor{s}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "strings", o[0], []int{2, 2}, "a", "c", "b", "d")

	if err := Transpose(mvX, &TransposeParams{Perm: []int{0, 0}}, o, []*Tensor{s}); err == nil {
		t.Error("bad perm accepted")
	}
	e := New(Float32, 0, 3)
	if err := Transpose(mvX, &TransposeParams{}, o, []*Tensor{e}); err != nil || !slices.Equal(o[0].Shape, []int{3, 0}) {
		t.Errorf("empty: %v %v", err, o[0].Shape)
	}
}

// TestTransposeAll checks every permutation of a rank-4 tensor, for each element size, against
// a direct index computation, with dims large enough to exercise the tiled path and threads,
// and (the second shape) more than one tile band and 8x8 blocks with edges at both ends.
func TestTransposeAll(t *testing.T) {
	for _, shape := range [][]int{{3, 5, 40, 37}, {2, 70, 3, 67}} {
		testTransposeAll(t, shape)
	}
}

func testTransposeAll(t *testing.T, shape []int) {
	x := NewExec(NewPool(4))
	defer x.Pool.Close()
	perms := [][]int{}
	var gen func(p []int, used []bool)
	gen = func(p []int, used []bool) {
		if len(p) == 4 {
			perms = append(perms, append([]int{}, p...))
			return
		}
		for i := range 4 {
			if !used[i] {
				used[i] = true
				gen(append(p, i), used)
				used[i] = false
			}
		}
	}
	gen(nil, make([]bool, 4))
	for _, dt := range []DType{Uint8, Float16, Float32, Int64} {
		src := New(dt, shape...)
		b := src.Bytes()
		for i := range b {
			b[i] = byte(i*7 + i/3)
		}
		st := Strides(shape)
		es := dt.Size()
		for _, perm := range perms {
			o := mvOut(1)
			if err := Transpose(x, &TransposeParams{Perm: perm}, o, []*Tensor{src}); err != nil {
				t.Fatal(err)
			}
			oshape := o[0].Shape
			pos := make([]int, 4)
			ob := o[0].Bytes()
			for i := 0; i < o[0].Len(); i++ {
				s := 0
				for d := range 4 {
					s += pos[d] * st[perm[d]]
				}
				if string(ob[i*es:(i+1)*es]) != string(b[s*es:(s+1)*es]) {
					t.Fatalf("%s perm %v: element %d differs", dt, perm, i)
				}
				mvIncr(pos, oshape)
			}
		}
	}
}

func TestSlice(t *testing.T) {
	x := mvIota(3, 4)
	const big = math.MaxInt64
	cases := []struct {
		name                      string
		starts, ends, axes, steps []int64
		shape                     []int
		want                      []float32
	}{
		{"basic", []int64{0, 1}, []int64{2, 3}, nil, nil, []int{2, 2}, []float32{1, 2, 5, 6}},
		{"neg axes", []int64{1}, []int64{big}, []int64{-1}, nil, []int{3, 3}, []float32{1, 2, 3, 5, 6, 7, 9, 10, 11}},
		{"neg step", []int64{-1}, []int64{math.MinInt64}, []int64{1}, []int64{-2}, []int{3, 2}, []float32{3, 1, 7, 5, 11, 9}},
		{"out of range", []int64{-100, 10}, []int64{100, 20}, nil, nil, []int{3, 0}, nil},
		{"neg step all", []int64{big}, []int64{-big}, []int64{0}, []int64{-1}, []int{3, 4}, []float32{8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3}},
		{"step 3", []int64{0}, []int64{4}, []int64{1}, []int64{3}, []int{3, 2}, []float32{0, 3, 4, 7, 8, 11}},
		{"empty neg", []int64{0}, []int64{2}, []int64{1}, []int64{-1}, []int{3, 0}, nil},
	}
	for _, c := range cases {
		in := []*Tensor{x, mvI64([]int{len(c.starts)}, c.starts...), mvI64([]int{len(c.ends)}, c.ends...), nil, nil}
		if c.axes != nil {
			in[3] = mvI64([]int{len(c.axes)}, c.axes...)
		}
		if c.steps != nil {
			in[4] = mvI64([]int{len(c.steps)}, c.steps...)
		}
		o := mvOut(1)
		if err := Slice(mvX, nil, o, in); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		mvExpect(t, c.name, o[0], c.shape, c.want...)
	}
	o := mvOut(1)
	err := Slice(mvX, nil, o, []*Tensor{x, mvI64([]int{1}, 0), mvI64([]int{1}, 1), mvI64([]int{1}, 0), mvI64([]int{1}, 0)})
	if err == nil {
		t.Error("step 0 accepted")
	}
	s := mvStrs([]int{4}, "a", "b", "c", "d")
	if err := Slice(mvX, nil, o, []*Tensor{s, mvI64([]int{1}, -1), mvI64([]int{1}, 0), nil, mvI64([]int{1}, -1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "strings", o[0], []int{3}, "d", "c", "b")
}

func TestExpandTile(t *testing.T) {
	x := mvF32([]int{3, 1}, 1, 2, 3)
	o := mvOut(1)
	if err := Expand(mvX, nil, o, []*Tensor{x, mvI64([]int{3}, 2, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "expand", o[0], []int{2, 3, 2}, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3)
	if err := Expand(mvX, nil, o, []*Tensor{x, mvI64([]int{2}, 2, 2)}); err == nil {
		t.Error("bad expand accepted")
	}
	y := mvF32([]int{2, 2}, 1, 2, 3, 4)
	if err := Tile(mvX, nil, o, []*Tensor{y, mvI64([]int{2}, 2, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "tile", o[0], []int{4, 4}, 1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4)
	if err := Tile(mvX, nil, o, []*Tensor{mvStrs([]int{2}, "a", "b"), mvI64([]int{1}, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "tile strings", o[0], []int{4}, "a", "b", "a", "b")
	if err := Tile(mvX, nil, o, []*Tensor{y, mvI64([]int{2}, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect[float32](t, "tile zero", o[0], []int{0, 2})
}

func TestConcatSplit(t *testing.T) {
	a := mvF32([]int{2, 1}, 1, 2)
	b := mvF32([]int{2, 2}, 3, 4, 5, 6)
	e := New(Float32, 2, 0)
	o := mvOut(1)
	if err := Concat(mvX, &ConcatParams{Axis: -1}, o, []*Tensor{a, e, b}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "concat", o[0], []int{2, 3}, 1, 3, 4, 2, 5, 6)
	if err := Concat(mvX, &ConcatParams{Axis: 0}, o, []*Tensor{a, b}); err == nil {
		t.Error("mismatched concat accepted")
	}
	if err := Concat(mvX, &ConcatParams{Axis: 0}, o, []*Tensor{mvStrs([]int{1}, "x"), mvStrs([]int{2}, "y", "z")}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "concat strings", o[0], []int{3}, "x", "y", "z")

	x := mvIota(2, 5)
	o = mvOut(2)
	if err := Split(mvX, &SplitParams{Axis: 1}, o, []*Tensor{x, mvI64([]int{2}, 2, 3)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "split 0", o[0], []int{2, 2}, 0, 1, 5, 6)
	mvExpect(t, "split 1", o[1], []int{2, 3}, 2, 3, 4, 7, 8, 9)
	o = mvOut(3)
	if err := Split(mvX, &SplitParams{Axis: -1, NumOutputs: 3}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "uneven 2", o[2], []int{2, 1}, 4, 9)
	if err := Split(mvX, &SplitParams{Axis: 1}, o, []*Tensor{x}); err == nil {
		t.Error("uneven split without num_outputs accepted")
	}
	o = mvOut(2)
	if err := Split(mvX, &SplitParams{Axis: 0}, o, []*Tensor{x, mvI64([]int{2}, 0, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect[float32](t, "zero split", o[0], []int{0, 5})
	if _, err := SplitSizes(5, 4, true); err == nil {
		t.Error("SplitSizes(5, 4) should fail: parts of 2 leave nothing for the last")
	}
}

func TestDepthSpace(t *testing.T) {
	x := mvIota(1, 8, 1, 1)
	o := mvOut(1)
	if err := DepthToSpace(mvX, &DepthSpaceParams{Blocksize: 2, Mode: "DCR"}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	// DCR: output channel c, block (b1, b2) reads input channel (b1*2+b2)*2+c.
	mvExpect(t, "DCR", o[0], []int{1, 2, 2, 2}, 0, 2, 4, 6, 1, 3, 5, 7)
	if err := DepthToSpace(mvX, &DepthSpaceParams{Blocksize: 2, Mode: "CRD"}, o, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "CRD", o[0], []int{1, 2, 2, 2}, 0, 1, 2, 3, 4, 5, 6, 7)
	y := mvIota(1, 1, 2, 4)
	if err := SpaceToDepth(mvX, &DepthSpaceParams{Blocksize: 2}, o, []*Tensor{y}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "s2d", o[0], []int{1, 4, 1, 2}, 0, 2, 1, 3, 4, 6, 5, 7)
	// Round trip.
	z := mvIota(2, 12, 3, 2)
	o2 := mvOut(1)
	if err := DepthToSpace(mvX, &DepthSpaceParams{Blocksize: 2}, o, []*Tensor{z}); err != nil {
		t.Fatal(err)
	}
	if err := SpaceToDepth(mvX, &DepthSpaceParams{Blocksize: 2}, o2, []*Tensor{o[0]}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mvVals(o2[0]), mvVals(z)) {
		t.Error("SpaceToDepth does not undo DepthToSpace (DCR)")
	}
}

func TestPad(t *testing.T) {
	x := mvF32([]int{3}, 1, 2, 3)
	pads := func(v ...int64) *Tensor { return mvI64([]int{len(v)}, v...) }
	cases := []struct {
		mode string
		pads []int64
		want []float32
	}{
		{"constant", []int64{2, 1}, []float32{9, 9, 1, 2, 3, 9}},
		{"reflect", []int64{2, 3}, []float32{3, 2, 1, 2, 3, 2, 1, 2}},
		{"edge", []int64{2, 1}, []float32{1, 1, 1, 2, 3, 3}},
		{"wrap", []int64{4, 2}, []float32{3, 1, 2, 3, 1, 2, 3, 1, 2}},
		{"constant", []int64{-1, 1}, []float32{2, 3, 9}},
		{"wrap", []int64{-1, 2}, []float32{2, 3, 2, 3}},
		{"edge", []int64{1, -1}, []float32{1, 1, 2}},
	}
	for _, c := range cases {
		o := mvOut(1)
		if err := Pad(mvX, &PadParams{Mode: c.mode}, o, []*Tensor{x, pads(c.pads...), mvF32(nil, 9)}); err != nil {
			t.Errorf("%s %v: %v", c.mode, c.pads, err)
			continue
		}
		mvExpect(t, fmt.Sprint(c.mode, c.pads), o[0], []int{len(c.want)}, c.want...)
	}
	// 2-D with axes, reflect on a larger tensor, and strings.
	y := mvIota(2, 3)
	o := mvOut(1)
	if err := Pad(mvX, &PadParams{Mode: "reflect"}, o, []*Tensor{y, pads(1, 1), nil, mvI64([]int{1}, -1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axes", o[0], []int{2, 5}, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4)
	if err := Pad(mvX, &PadParams{}, o, []*Tensor{y, pads(1, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "2-D zeros", o[0], []int{3, 4}, 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0)
	s := mvStrs([]int{2}, "a", "b")
	if err := Pad(mvX, &PadParams{Mode: "constant"}, o, []*Tensor{s, pads(1, 0), mvStrs(nil, "z")}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "strings", o[0], []int{3}, "z", "a", "b")
	// An empty inner axis padded with constants: every element of a row is the constant.
	if err := Pad(mvX, &PadParams{}, o, []*Tensor{New(Float32, 2, 0), pads(0, 1, 0, 1), mvF32(nil, 7)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "empty inner", o[0], []int{2, 2}, 7, 7, 7, 7)
	// Edge padding repeats whole rows (the row-copy shortcut) and columns.
	if err := Pad(mvX, &PadParams{Mode: "edge"}, o, []*Tensor{y, pads(2, 1, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "edge 2-D", o[0], []int{5, 4}, 0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 3, 3, 4, 5)
	if err := Pad(mvX, &PadParams{Mode: "edge"}, o, []*Tensor{New(Float32, 0), pads(1, 1)}); err == nil {
		t.Error("edge padding of an empty axis accepted")
	}
	if err := Pad(mvX, &PadParams{}, o, []*Tensor{x, pads(-2, -2)}); err == nil {
		t.Error("negative size accepted")
	}
}

func TestCenterCropPad(t *testing.T) {
	x := mvIota(4, 3)
	o := mvOut(1)
	if err := CenterCropPad(mvX, &CenterCropPadParams{}, o, []*Tensor{x, mvI64([]int{2}, 1, 4)}); err != nil {
		t.Fatal(err)
	}
	// Rows: crop 4 -> 1 starts at row 1; columns: pad 3 -> 4 puts 0 before, 1 after.
	mvExpect(t, "crop and pad", o[0], []int{1, 4}, 3, 4, 5, 0)
	if err := CenterCropPad(mvX, &CenterCropPadParams{Axes: []int{-2}}, o, []*Tensor{x, mvI64([]int{1}, 2)}); err != nil {
		t.Fatal(err)
	}
	mvExpect(t, "axes", o[0], []int{2, 3}, 3, 4, 5, 6, 7, 8)
}

func BenchmarkTranspose2D(b *testing.B) {
	x := mvIota(1024, 1024)
	o := mvOut(1)
	p := &TransposeParams{Perm: []int{1, 0}}
	b.SetBytes(4 << 20)
	for b.Loop() {
		if err := Transpose(mvX, p, o, []*Tensor{x}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTransposeNCHWToNHWC(b *testing.B) {
	x := mvIota(1, 64, 56, 56)
	o := mvOut(1)
	p := &TransposeParams{Perm: []int{0, 2, 3, 1}}
	b.SetBytes(int64(x.Len() * 4))
	for b.Loop() {
		if err := Transpose(mvX, p, o, []*Tensor{x}); err != nil {
			b.Fatal(err)
		}
	}
}

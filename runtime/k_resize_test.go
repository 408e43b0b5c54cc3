package runtime

import "testing"

func mvResize(t *testing.T, p ResizeParams, x *Tensor, roi, scales []float32, sizes []int64) *Tensor {
	t.Helper()
	in := []*Tensor{x, nil, nil, nil}
	if roi != nil {
		in[1] = mvF32([]int{len(roi)}, roi...)
	}
	if scales != nil {
		in[2] = mvF32([]int{len(scales)}, scales...)
	}
	if sizes != nil {
		in[3] = mvI64([]int{len(sizes)}, sizes...)
	}
	if p.CubicCoeffA == 0 {
		p.CubicCoeffA = -0.75
	}
	o := mvOut(1)
	if err := Resize(mvX, &p, o, in); err != nil {
		t.Fatal(err)
	}
	return o[0]
}

func TestResizeNearest(t *testing.T) {
	x := mvF32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	got := mvResize(t, ResizeParams{Mode: "nearest"}, x, nil, []float32{1, 1, 2, 3}, nil)
	mvExpect(t, "upsample", got, []int{1, 1, 4, 6},
		1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4)
	y := mvF32([]int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
	// Scale 0.6: half_pixel maps output 0 to input 0.33 (index 0) and output 1 to 2.0.
	got = mvResize(t, ResizeParams{Mode: "nearest"}, y, nil, []float32{1, 1, 0.6, 0.6}, nil)
	mvExpect(t, "downsample", got, []int{1, 1, 1, 2}, 1, 3)
	// asymmetric + ceil on sizes 1x3: x_ori = 0, 1.33, 2.67 -> 0, 2, 3.
	got = mvResize(t, ResizeParams{Mode: "nearest", CoordMode: "asymmetric", NearestMode: "ceil", Axes: []int{-1}}, y, nil, nil, []int64{3})
	mvExpect(t, "axes + sizes", got, []int{1, 1, 2, 3}, 1, 3, 4, 5, 7, 8)
	// Strings go through the same gather.
	s := mvStrs([]int{2}, "a", "b")
	got = mvResize(t, ResizeParams{Mode: "nearest"}, s, nil, []float32{2}, nil)
	mvExpect(t, "strings", got, []int{4}, "a", "a", "b", "b")
	// keep_aspect_ratio_policy not_larger: sizes 4x4 on 2x4 gives scale min(2, 1) = 1.
	got = mvResize(t, ResizeParams{Mode: "nearest", KeepAspectRatioPolicy: "not_larger", Axes: []int{2, 3}}, y, nil, nil, []int64{4, 4})
	mvExpect(t, "not_larger", got, []int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
}

func TestResizeLinear(t *testing.T) {
	x := mvF32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	got := mvResize(t, ResizeParams{Mode: "linear"}, x, nil, []float32{1, 1, 2, 2}, nil)
	mvClose(t, "upsample", got, []int{1, 1, 4, 4},
		1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4)
	y := mvF32([]int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
	// align_corners uses the unrounded output width 2.4: x=1 maps to 3/1.4.
	got = mvResize(t, ResizeParams{Mode: "linear", CoordMode: "align_corners"}, y, nil, []float32{1, 1, 0.6, 0.6}, nil)
	mvClose(t, "align_corners", got, []int{1, 1, 1, 2}, 1, 1+3/1.4)
	// Antialiased downsampling of a constant stays constant.
	c := New(Float32, 1, 1, 8, 8)
	for i := range Data[float32](c) {
		Data[float32](c)[i] = 3
	}
	got = mvResize(t, ResizeParams{Mode: "linear", Antialias: true}, c, nil, []float32{1, 1, 0.3, 0.3}, nil)
	mvClose(t, "antialias", got, []int{1, 1, 2, 2}, 3, 3, 3, 3)
	// tf_crop_and_resize: roi [0.5, 1] along the last axis of [1 2 3 4 5] into 3 samples maps
	// to 2, 3, 4; roi beyond the input extrapolates.
	r := mvF32([]int{1, 5}, 1, 2, 3, 4, 5)
	got = mvResize(t, ResizeParams{Mode: "linear", CoordMode: "tf_crop_and_resize", Axes: []int{1}}, r, []float32{0.25, 0.75}, nil, []int64{3})
	mvClose(t, "crop", got, []int{1, 3}, 2, 3, 4)
	got = mvResize(t, ResizeParams{Mode: "linear", CoordMode: "tf_crop_and_resize", ExtrapolationValue: 10, Axes: []int{1}}, r, []float32{0.5, 1.5}, nil, []int64{3})
	mvClose(t, "extrapolate", got, []int{1, 3}, 3, 5, 10)
	// Integers round to nearest.
	u := New(Uint8, 1, 2)
	Data[uint8](u)[0], Data[uint8](u)[1] = 0, 255
	got = mvResize(t, ResizeParams{Mode: "linear", CoordMode: "align_corners"}, u, nil, nil, []int64{1, 3})
	mvExpect(t, "uint8", got, []int{1, 3}, 0, 128, 255)
}

func TestResizeCubic(t *testing.T) {
	// Cubic convolution reproduces a linear ramp away from the borders.
	x := New(Float32, 1, 16)
	for i := range Data[float32](x) {
		Data[float32](x)[i] = float32(2*i + 1)
	}
	got := mvResize(t, ResizeParams{Mode: "cubic", CoordMode: "asymmetric"}, x, nil, []float32{1, 2}, nil)
	g := Data[float32](got)
	for o := 4; o < 26; o++ {
		want := float32(2*(float64(o)/2) + 1)
		if d := g[o] - want; d > 1e-4 || d < -1e-4 {
			t.Errorf("cubic ramp at %d: %v, want %v", o, g[o], want)
		}
	}
	// exclude_outside renormalizes at the border: a constant stays constant there too.
	c := mvF32([]int{1, 3}, 2, 2, 2)
	got = mvResize(t, ResizeParams{Mode: "cubic", ExcludeOutside: true, CubicCoeffA: -0.5}, c, nil, []float32{1, 2.5}, nil)
	mvClose(t, "exclude_outside", got, []int{1, 7}, 2, 2, 2, 2, 2, 2, 2)
}

func TestGridSample(t *testing.T) {
	x := mvF32([]int{1, 1, 2, 3}, 1, 2, 3, 4, 5, 6)
	// Grid points (x, y) in [-1, 1]; with align_corners the corners are pixel centers.
	grid := mvF32([]int{1, 1, 4, 2},
		-1, -1, // pixel (0, 0)
		1, 1, // pixel (1, 2)
		0, 0, // center: between 2 and 5
		0, -1) // (0, 1)
	o := mvOut(1)
	if err := GridSample(mvX, &GridSampleParams{Mode: "linear", AlignCorners: true}, o, []*Tensor{x, grid}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "bilinear", o[0], []int{1, 1, 1, 4}, 1, 6, 3.5, 2)
	// Outside the image: zeros padding reads 0, border reads the edge.
	far := mvF32([]int{1, 1, 1, 2}, 3, 0)
	if err := GridSample(mvX, &GridSampleParams{Mode: "nearest", AlignCorners: true}, o, []*Tensor{x, far}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "zeros", o[0], []int{1, 1, 1, 1}, 0)
	if err := GridSample(mvX, &GridSampleParams{Mode: "nearest", PaddingMode: "border", AlignCorners: true}, o, []*Tensor{x, far}); err != nil {
		t.Fatal(err)
	}
	// y = 0 is halfway between rows: round half to even gives row 0; x clamps to column 2.
	mvClose(t, "border", o[0], []int{1, 1, 1, 1}, 3)
	// Reflection: x = 3 (pixel coordinate 4 with align_corners over width 3) reflects to 0.
	if err := GridSample(mvX, &GridSampleParams{Mode: "linear", PaddingMode: "reflection", AlignCorners: true}, o, []*Tensor{x, mvF32([]int{1, 1, 1, 2}, 3, -1)}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "reflection", o[0], []int{1, 1, 1, 1}, 1)
	if err := GridSample(mvX, &GridSampleParams{Mode: "cubic", AlignCorners: true}, o, []*Tensor{x, mvF32([]int{1, 1, 1, 2}, -1, -1)}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "cubic at a pixel", o[0], []int{1, 1, 1, 1}, 1)
}

func TestAffineGrid(t *testing.T) {
	theta := mvF32([]int{1, 2, 3}, 1, 0, 0, 0, 1, 0)
	o := mvOut(1)
	if err := AffineGrid(mvX, &AffineGridParams{AlignCorners: true}, o, []*Tensor{theta, mvI64([]int{4}, 1, 1, 2, 3)}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "identity", o[0], []int{1, 2, 3, 2}, -1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1)
	shift := mvF32([]int{1, 2, 3}, 2, 0, 0.5, 0, 1, 0)
	if err := AffineGrid(mvX, &AffineGridParams{}, o, []*Tensor{shift, mvI64([]int{4}, 1, 1, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	// Without align_corners the two columns sit at -0.5 and 0.5; x' = 2x + 0.5.
	mvClose(t, "scale and shift", o[0], []int{1, 1, 2, 2}, -0.5, 0, 1.5, 0)
	th3 := mvF32([]int{1, 3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)
	if err := AffineGrid(mvX, &AffineGridParams{AlignCorners: true}, o, []*Tensor{th3, mvI64([]int{5}, 1, 1, 2, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	mvClose(t, "3-D", o[0], []int{1, 2, 1, 2, 3}, -1, -1, -1, 1, -1, -1, -1, -1, 1, 1, -1, 1)
}

func benchResize(b *testing.B, mode string) {
	x := mvIota(1, 32, 128, 128)
	p := &ResizeParams{Mode: mode, CubicCoeffA: -0.75}
	in := []*Tensor{x, nil, mvF32([]int{4}, 1, 1, 2, 2), nil}
	o := mvOut(1)
	b.SetBytes(int64(4 * 4 * x.Len()))
	for b.Loop() {
		if err := Resize(mvX, p, o, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResizeNearest2x(b *testing.B) { benchResize(b, "nearest") }
func BenchmarkResizeLinear2x(b *testing.B)  { benchResize(b, "linear") }

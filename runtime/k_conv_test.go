package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// cvtTensor makes a float32 tensor with the given values (random when vals is nil).
func cvtTensor(r *rand.Rand, vals []float32, shape ...int) *Tensor {
	t := New(Float32, shape...)
	d := Data[float32](t)
	if vals != nil {
		copy(d, vals)
	} else {
		for i := range d {
			d[i] = r.Float32()*2 - 1
		}
	}
	return t
}

// cvtIndex converts a multi-index to a row-major offset.
func cvtIndex(idx, shape []int) int {
	o := 0
	for i, v := range idx {
		o = o*shape[i] + v
	}
	return o
}

// cvtNext advances a multi-index over shape; false when done.
func cvtNext(idx, shape []int) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < shape[i] {
			return true
		}
		idx[i] = 0
	}
	return false
}

// cvtNaiveConv is the reference convolution with explicit begin pads and output size.
func cvtNaiveConv(x, w, b []float32, xs, ws []int, group int, strides, dil, pb, outSp []int) []float32 {
	nsp := len(xs) - 2
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	ys := append([]int{n, m}, outSp...)
	y := make([]float32, NumElems(ys))
	idx := make([]int, len(ys))
	for {
		ni, mi := idx[0], idx[1]
		g := mi / mg
		s := 0.0
		if b != nil {
			s = float64(b[mi])
		}
		kidx := make([]int, nsp)
		for ci := 0; ci < cg; ci++ {
			for i := range kidx {
				kidx[i] = 0
			}
			for {
				in := []int{ni, g*cg + ci}
				ok := true
				for d := 0; d < nsp; d++ {
					p := idx[2+d]*strides[d] + kidx[d]*dil[d] - pb[d]
					if p < 0 || p >= xs[2+d] {
						ok = false
					}
					in = append(in, p)
				}
				if ok {
					widx := append([]int{mi, ci}, kidx...)
					s += float64(x[cvtIndex(in, xs)]) * float64(w[cvtIndex(widx, ws)])
				}
				if !cvtNext(kidx, ws[2:]) {
					break
				}
			}
		}
		y[cvtIndex(idx, ys)] = float32(s)
		if !cvtNext(idx, ys) {
			break
		}
	}
	return y
}

func TestConvHandChecked(t *testing.T) {
	xv := make([]float32, 25)
	for i := range xv {
		xv[i] = float32(i)
	}
	ones := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	X := cvtTensor(nil, xv, 1, 1, 5, 5)
	W := cvtTensor(nil, ones, 1, 1, 3, 3)
	y := New(Float32)
	if err := Conv(NewExec(nil), &ConvParams{Pads: []int{1, 1, 1, 1}}, []*Tensor{y}, []*Tensor{X, W}); err != nil {
		t.Fatal(err)
	}
	want := []float32{12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84}
	gmClose(t, "padded conv", Data[float32](y), want, 0)
	if err := Conv(NewExec(nil), &ConvParams{Strides: []int{2, 2}}, []*Tensor{y}, []*Tensor{X, W}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "strided conv", Data[float32](y), []float32{54, 72, 144, 162}, 0)
}

// cvtSamePads is the auto_pad rule written out independently: output ceil(in/s), total padding
// split evenly with the odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
func cvtSamePads(mode string, in, k, s, d int) (pb, out int) {
	out = (in + s - 1) / s
	total := (out-1)*s + (k-1)*d + 1 - in
	if total < 0 {
		total = 0
	}
	if mode == "SAME_UPPER" {
		return total / 2, out
	}
	return (total + 1) / 2, out
}

func TestConvRandom(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	pool := NewPool(2)
	defer pool.Close()
	for it := 0; it < 300; it++ {
		nsp := 1 + r.Intn(3)
		group := 1 + r.Intn(3)
		if it%5 == 0 {
			group = 1
		}
		cg, mg := 1+r.Intn(3), 1+r.Intn(3)
		depthwise := it%7 == 0
		if depthwise {
			cg, group = 1, 1+r.Intn(4)
		}
		n := 1 + r.Intn(2)
		xs := []int{n, cg * group}
		ws := []int{mg * group, cg}
		var strides, dil, pads []int
		for d := 0; d < nsp; d++ {
			xs = append(xs, 1+r.Intn(9))
			if depthwise {
				ws = append(ws, 1+r.Intn(5)) // 3 and 5 wide rows have their own loops
			} else {
				ws = append(ws, 1+r.Intn(3))
			}
			strides = append(strides, 1+r.Intn(3))
			dil = append(dil, 1+r.Intn(2))
		}
		for d := 0; d < 2*nsp; d++ {
			pads = append(pads, r.Intn(3))
		}
		autoPad := []string{"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.Intn(5)]
		pb := make([]int, nsp)
		outSp := make([]int, nsp)
		ok := true
		for d := 0; d < nsp; d++ {
			eff := (ws[2+d]-1)*dil[d] + 1
			switch autoPad {
			case "NOTSET":
				pb[d] = pads[d]
				outSp[d] = (xs[2+d]+pads[d]+pads[nsp+d]-eff)/strides[d] + 1
				ok = ok && xs[2+d]+pads[d]+pads[nsp+d] >= eff
			case "VALID":
				outSp[d] = (xs[2+d]-eff)/strides[d] + 1
				ok = ok && xs[2+d] >= eff
			default:
				pb[d], outSp[d] = cvtSamePads(autoPad, xs[2+d], ws[2+d], strides[d], dil[d])
			}
		}
		if !ok {
			continue
		}
		p := &ConvParams{Strides: strides, Dilations: dil, Group: group, AutoPad: autoPad}
		if autoPad == "NOTSET" {
			p.Pads = pads
		}
		X, W := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...)
		in := []*Tensor{X, W}
		var bias []float32
		if r.Intn(2) == 0 {
			B := cvtTensor(r, nil, ws[0])
			in = append(in, B)
			bias = Data[float32](B)
		}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), bias, xs, ws, group, strides, dil, pb, outSp)
		y := New(Float32)
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		name := fmt.Sprintf("case %d: x %v w %v group %d strides %v dil %v pads %v %s", it, xs, ws, group, strides, dil, pads, autoPad)
		if err := Conv(x, p, []*Tensor{y}, in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(y.Shape) != fmt.Sprint(append([]int{xs[0], ws[0]}, outSp...)) {
			t.Fatalf("%s: output shape %v, want %v", name, y.Shape, outSp)
		}
		gmClose(t, name, Data[float32](y), want, 1e-5)

		// The same in float64 (generic path) and float16 (staged through float32).
		X64, W64 := cvtCast(X, Float64), cvtCast(W, Float64)
		in64 := []*Tensor{X64, W64}
		if len(in) > 2 {
			in64 = append(in64, cvtCast(in[2], Float64))
		}
		y64 := New(Float64)
		if err := Conv(x, p, []*Tensor{y64}, in64); err != nil {
			t.Fatalf("%s float64: %v", name, err)
		}
		gmClose(t, name+" float64", Data[float32](cvtCast(y64, Float32)), want, 1e-5)
	}
}

// cvtCast converts a float tensor to another float type.
func cvtCast(t *Tensor, dt DType) *Tensor {
	var v []float64
	switch t.DType {
	case Float32:
		for _, f := range Data[float32](t) {
			v = append(v, float64(f))
		}
	case Float64:
		v = append(v, Data[float64](t)...)
	case Float16:
		for _, f := range Data[F16](t) {
			v = append(v, float64(f.Float32()))
		}
	}
	o := New(dt, t.Shape...)
	switch dt {
	case Float32:
		for i, f := range v {
			Data[float32](o)[i] = float32(f)
		}
	case Float64:
		copy(Data[float64](o), v)
	case Float16:
		for i, f := range v {
			Data[F16](o)[i] = ToF16(float32(f))
		}
	}
	return o
}

// cvtNaiveConvTranspose scatters every input element through every tap.
func cvtNaiveConvTranspose(x, w, b []float32, xs, ws []int, group int, strides, dil, pb, outSp []int) []float32 {
	nsp := len(xs) - 2
	n, c := xs[0], xs[1]
	cg, mg := c/group, ws[1]
	m := mg * group
	ys := append([]int{n, m}, outSp...)
	y := make([]float64, NumElems(ys))
	if b != nil {
		for i := range y {
			y[i] = float64(b[(i/NumElems(outSp))%m])
		}
	}
	idx := make([]int, len(xs))
	for {
		ni, ci := idx[0], idx[1]
		g := ci / cg
		kidx := make([]int, nsp)
		for {
			for mi := 0; mi < mg; mi++ {
				o := []int{ni, g*mg + mi}
				ok := true
				for d := 0; d < nsp; d++ {
					p := idx[2+d]*strides[d] + kidx[d]*dil[d] - pb[d]
					if p < 0 || p >= outSp[d] {
						ok = false
					}
					o = append(o, p)
				}
				if ok {
					widx := append([]int{ci, mi}, kidx...)
					y[cvtIndex(o, ys)] += float64(x[cvtIndex(idx, xs)]) * float64(w[cvtIndex(widx, ws)])
				}
			}
			if !cvtNext(kidx, ws[2:]) {
				break
			}
		}
		if !cvtNext(idx, xs) {
			break
		}
	}
	out := make([]float32, len(y))
	for i, v := range y {
		out[i] = float32(v)
	}
	return out
}

func TestConvTransposeRandom(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for it := 0; it < 200; it++ {
		nsp := 1 + r.Intn(3)
		group := 1 + r.Intn(3)
		cg, mg := 1+r.Intn(3), 1+r.Intn(3)
		xs := []int{1 + r.Intn(2), cg * group}
		ws := []int{cg * group, mg}
		var strides, dil, pads, opad []int
		for d := 0; d < nsp; d++ {
			xs = append(xs, 1+r.Intn(5))
			ws = append(ws, 1+r.Intn(3))
			strides = append(strides, 1+r.Intn(3))
			dil = append(dil, 1+r.Intn(2))
			opad = append(opad, r.Intn(strides[d]))
		}
		for d := 0; d < 2*nsp; d++ {
			pads = append(pads, r.Intn(2))
		}
		mode := r.Intn(4) // 0 pads, 1 output_shape, 2 SAME_UPPER, 3 SAME_LOWER
		p := &ConvTransposeParams{Strides: strides, Dilations: dil, OutputPadding: opad, Group: group}
		pb := make([]int, nsp)
		outSp := make([]int, nsp)
		for d := 0; d < nsp; d++ {
			full := strides[d]*(xs[2+d]-1) + opad[d] + (ws[2+d]-1)*dil[d] + 1
			switch mode {
			case 0:
				pb[d], outSp[d] = pads[d], full-pads[d]-pads[nsp+d]
			case 1:
				outSp[d] = full - r.Intn(2)
				total := full - outSp[d]
				pb[d] = total - total/2
			default:
				outSp[d] = xs[2+d] * strides[d]
				total := full - outSp[d]
				// Python-style floor halves, as the ONNX reference computes them.
				half := total / 2
				if total < 0 && total%2 != 0 {
					half--
				}
				if mode == 2 {
					pb[d] = half
				} else {
					pb[d] = total - half
				}
			}
		}
		if NumElems(outSp) == 0 || outSp[0] < 0 || (nsp > 1 && outSp[1] < 0) || (nsp > 2 && outSp[2] < 0) {
			continue
		}
		switch mode {
		case 0:
			p.Pads = pads
		case 1:
			p.OutputShape = outSp
		case 2:
			p.AutoPad = "SAME_UPPER"
		case 3:
			p.AutoPad = "SAME_LOWER"
		}
		X, W := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...)
		in := []*Tensor{X, W}
		var bias []float32
		if r.Intn(2) == 0 {
			B := cvtTensor(r, nil, mg*group)
			in = append(in, B)
			bias = Data[float32](B)
		}
		name := fmt.Sprintf("case %d: x %v w %v group %d strides %v dil %v pads %v opad %v mode %d", it, xs, ws, group, strides, dil, pads, opad, mode)
		want := cvtNaiveConvTranspose(Data[float32](X), Data[float32](W), bias, xs, ws, group, strides, dil, pb, outSp)
		y := New(Float32)
		if err := ConvTranspose(NewExec(nil), p, []*Tensor{y}, in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(y.Shape[2:]) != fmt.Sprint(outSp) {
			t.Fatalf("%s: output shape %v, want %v", name, y.Shape, outSp)
		}
		gmClose(t, name, Data[float32](y), want, 1e-5)
		in64 := []*Tensor{cvtCast(X, Float64), cvtCast(W, Float64)}
		if len(in) > 2 {
			in64 = append(in64, cvtCast(in[2], Float64))
		}
		y64 := New(Float64)
		if err := ConvTranspose(NewExec(nil), p, []*Tensor{y64}, in64); err != nil {
			t.Fatalf("%s float64: %v", name, err)
		}
		gmClose(t, name+" float64", Data[float32](cvtCast(y64, Float32)), want, 1e-5)
	}
}

func TestConvFloat16(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	X, W := cvtTensor(r, nil, 1, 4, 6, 6), cvtTensor(r, nil, 8, 2, 3, 3)
	p := &ConvParams{Group: 2, Pads: []int{1, 1, 1, 1}}
	y := New(Float32)
	if err := Conv(NewExec(nil), p, []*Tensor{y}, []*Tensor{cvtCast(cvtCast(X, Float16), Float32), cvtCast(cvtCast(W, Float16), Float32)}); err != nil {
		t.Fatal(err)
	}
	y16 := New(Float16)
	if err := Conv(NewExec(nil), p, []*Tensor{y16}, []*Tensor{cvtCast(X, Float16), cvtCast(W, Float16)}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "float16 conv", Data[float32](cvtCast(y16, Float32)), Data[float32](y), 2e-3)
}

func BenchmarkConv3x3(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	X, W, B := cvtTensor(r, nil, 1, 3, 224, 224), cvtTensor(r, nil, 64, 3, 3, 3), cvtTensor(r, nil, 64)
	p := &ConvParams{Pads: []int{1, 1, 1, 1}}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			x := NewExec(pool)
			y := New(Float32)
			for i := 0; i < b.N; i++ {
				if err := Conv(x, p, []*Tensor{y}, []*Tensor{X, W, B}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*64*27*224*224*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkConvDepthwise3x3(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	X, W := cvtTensor(r, nil, 1, 64, 112, 112), cvtTensor(r, nil, 64, 1, 3, 3)
	p := &ConvParams{Pads: []int{1, 1, 1, 1}, Group: 64}
	x := NewExec(nil)
	y := New(Float32)
	for i := 0; i < b.N; i++ {
		if err := Conv(x, p, []*Tensor{y}, []*Tensor{X, W}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*64*9*112*112*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestConvDepthwiseKernels covers the depthwise loops for 3- and 5-wide kernels (the ones with
// multi-row routines) at strides 1 and 2 with every padding up to the window size, narrow and
// wide rows, with and without a fused activation.
func TestConvDepthwiseKernels(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for _, k := range []int{3, 5} {
		for s := 1; s <= 2; s++ {
			for pad := 0; pad < k; pad++ {
				for _, mult := range []int{1, 2} {
					for _, wide := range []bool{false, true} {
						xs, ws := []int{2, 3, 7 + r.Intn(6), 9 + r.Intn(5)}, []int{3 * mult, 1, k, k}
						if wide {
							xs[2], xs[3] = 5+r.Intn(12), 17+r.Intn(70)
						}
						X, W, B := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...), cvtTensor(r, nil, 3*mult)
						pads := []int{pad, pad, k - 1 - pad, pad}
						var outSp []int
						for d := 0; d < 2; d++ {
							outSp = append(outSp, (xs[2+d]+pads[d]+pads[2+d]-k)/s+1)
						}
						want := cvtNaiveConv(Data[float32](X), Data[float32](W), Data[float32](B), xs, ws, 3, []int{s, s}, []int{1, 1}, pads[:2], outSp)
						y := New(Float32)
						p := &ConvParams{Group: 3, Strides: []int{s, s}, Pads: pads}
						if wide {
							p.Activation = ActHardSwish
							for i, v := range want {
								want[i] = float32(actNaive("HardSwish", nil, float64(v)))
							}
						}
						if err := Conv(NewExec(nil), p, []*Tensor{y}, []*Tensor{X, W, B}); err != nil {
							t.Fatal(err)
						}
						gmClose(t, fmt.Sprintf("depthwise %dx%d stride %d pads %v mult %d x %v", k, k, s, pads, mult, xs), Data[float32](y), want, 1e-5)
					}
				}
			}
		}
	}
}

// TestDeformConv checks that zero offsets give Conv, and that a mask of one half halves the
// result apart from the bias.
func TestDeformConv(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	X, W, B := cvtTensor(r, nil, 2, 4, 7, 6), cvtTensor(r, nil, 6, 2, 3, 2), cvtTensor(r, nil, 6)
	cp := &ConvParams{Group: 2, Pads: []int{1, 0, 1, 1}, Strides: []int{2, 1}, Dilations: []int{1, 2}}
	want := New(Float32)
	if err := Conv(NewExec(nil), cp, []*Tensor{want}, []*Tensor{X, W}); err != nil {
		t.Fatal(err)
	}
	oh, ow := want.Shape[2], want.Shape[3]
	O := New(Float32, 2, 2*3*2*2, oh, ow) // two offset groups, zero offsets
	M := New(Float32, 2, 2*3*2, oh, ow)
	for i := range Data[float32](M) {
		Data[float32](M)[i] = 0.5
	}
	dp := &DeformConvParams{Group: 2, OffsetGroup: 2, Pads: cp.Pads, Strides: cp.Strides, Dilations: cp.Dilations}
	y := New(Float32)
	if err := DeformConv(NewExec(nil), dp, []*Tensor{y}, []*Tensor{X, W, O}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "deformconv zero offsets", Data[float32](y), Data[float32](want), 1e-5)
	if err := DeformConv(NewExec(nil), dp, []*Tensor{y}, []*Tensor{X, W, O, B, M}); err != nil {
		t.Fatal(err)
	}
	half := make([]float32, want.Len())
	for i, v := range Data[float32](want) {
		half[i] = v/2 + Data[float32](B)[(i/(oh*ow))%6]
	}
	gmClose(t, "deformconv mask", Data[float32](y), half, 1e-5)
	for _, dt := range []DType{Float64, Float16} {
		y := New(dt)
		in := []*Tensor{cvtCast(X, dt), cvtCast(W, dt), cvtCast(O, dt), cvtCast(B, dt), cvtCast(M, dt)}
		if err := DeformConv(NewExec(nil), dp, []*Tensor{y}, in); err != nil {
			t.Fatal(err)
		}
		tol := 1e-5
		if dt == Float16 {
			tol = 1e-2
		}
		gmClose(t, "deformconv "+dt.String(), Data[float32](cvtCast(y, Float32)), half, tol)
	}
}

func TestCausalConvWithState(t *testing.T) {
	X := cvtTensor(nil, []float32{1, 2, 3}, 1, 1, 3)
	W := cvtTensor(nil, []float32{1, 1}, 1, 1, 2)
	P := cvtTensor(nil, []float32{10}, 1, 1, 1)
	y, s := New(Float32), New(Float32)
	if err := CausalConvWithState(NewExec(nil), &CausalConvParams{}, []*Tensor{y, s}, []*Tensor{X, W, nil, P}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "causal conv", Data[float32](y), []float32{11, 3, 5}, 0)
	gmClose(t, "causal conv state", Data[float32](s), []float32{3}, 0)
	// A window longer than the input keeps part of the past in the state.
	W4 := cvtTensor(nil, []float32{1, 0, 0, 0}, 1, 1, 4)
	P3 := cvtTensor(nil, []float32{7, 8, 9}, 1, 1, 3)
	X1 := cvtTensor(nil, []float32{5}, 1, 1, 1)
	if err := CausalConvWithState(NewExec(nil), &CausalConvParams{Activation: "silu"}, []*Tensor{y, s}, []*Tensor{X1, W4, nil, P3}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "causal conv silu", Data[float32](y), []float32{float32(7 / (1 + math.Exp(-7)))}, 1e-6)
	gmClose(t, "causal conv short state", Data[float32](s), []float32{8, 9, 5}, 0)
}

// TestConvStaticEntries runs ConvDepthwise, ConvPointwise and ConvGemm on random geometries
// (resolved as the compiler resolves them), with and without bias, summand Z and an activation,
// against the reference convolution; depthwise rows of every width exercise the vector loops'
// blocks and masked tails.
func TestConvStaticEntries(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	pool := NewPool(2)
	defer pool.Close()
	acts := []string{"", "Relu", "HardSwish", "HardSigmoid", "Clip", "LeakyRelu", "Sigmoid"}
	for it := 0; it < 400; it++ {
		nsp := 2
		if it%10 == 0 {
			nsp = 1 + r.Intn(3)
		}
		kind := it % 3
		c, group, mg := 1+r.Intn(4), 1, 1+r.Intn(3)
		if kind == 0 {
			group = 1 + r.Intn(6)
			c, mg = group, 1+r.Intn(2)
			if group == 1 {
				group, c = 2, 2
			}
		}
		xs := []int{1 + r.Intn(2), c}
		ws := []int{mg * group, c / group}
		var strides, dil, pads, outSp []int
		for d := 0; d < nsp; d++ {
			size := 1 + r.Intn(9)
			if d == nsp-1 && kind == 0 {
				size = 1 + r.Intn(150)
			}
			k := 1 + r.Intn(5)
			if kind == 1 {
				k = 1
			}
			xs = append(xs, size)
			ws = append(ws, k)
			s, dl := 1+r.Intn(3), 1+r.Intn(2)
			if kind == 1 {
				s = 1
			}
			strides, dil = append(strides, s), append(dil, dl)
		}
		for d := 0; d < 2*nsp; d++ {
			p := r.Intn(3)
			if kind == 1 {
				p = 0
			}
			pads = append(pads, p)
		}
		ok := true
		for d := 0; d < nsp; d++ {
			span := xs[2+d] + pads[d] + pads[nsp+d] - (ws[2+d]-1)*dil[d] - 1
			ok = ok && span >= 0
			outSp = append(outSp, span/strides[d]+1)
		}
		if !ok {
			continue
		}
		X, W, B := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...), cvtTensor(r, nil, ws[0])
		in := []*Tensor{X, W}
		var bias []float32
		if r.Intn(3) > 0 {
			in, bias = append(in, B), Data[float32](B)
		}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), bias, xs, ws, group, strides, dil, pads[:nsp], outSp)
		var zs []float32
		if r.Intn(4) == 0 {
			if len(in) == 2 {
				in = append(in, nil)
			}
			Z := cvtTensor(r, nil, append([]int{xs[0], ws[0]}, outSp...)...)
			in, zs = append(in, Z), Data[float32](Z)
		}
		name := acts[r.Intn(len(acts))]
		params := map[string][]float32{"LeakyRelu": {0.1}, "Clip": {-0.5, 0.7}, "HardSigmoid": {0.3, 0.4}}[name]
		act, alpha, beta, err := ActivationOf(name, params)
		if err != nil {
			t.Fatal(err)
		}
		p := &ConvGeomParams{C: c, M: ws[0], Group: group, In: xs[2:], Kernel: ws[2:], Strides: strides, Dilations: dil,
			Out: outSp, Pads: pads, Activation: act, ActAlpha: alpha, ActBeta: beta}
		var w cvWin
		w, err = cvMakeWin(xs[2:], ws[2:], strides, dil, pads, "NOTSET", false)
		if err != nil {
			t.Fatal(err)
		}
		entry := map[int]func(*Exec, *ConvGeomParams, []*Tensor, []*Tensor) error{
			cvAlgDepthwise: ConvDepthwise, cvAlgPointwise: ConvPointwise, cvAlgGemm: ConvGemm, cvAlgDot: ConvDot, cvAlgDirect: ConvDirect}[cvAlgOf(&w, c, group)]
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		y := New(Float32)
		desc := fmt.Sprintf("case %d: x %v w %v group %d strides %v dil %v pads %v act %q z %v", it, xs, ws, group, strides, dil, pads, name, zs != nil)
		if err := entry(x, p, []*Tensor{y}, in); err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		for i := range want {
			v := float64(want[i])
			if zs != nil {
				v += float64(zs[i])
			}
			want[i] = float32(actNaive(name, params, v))
		}
		gmClose(t, desc, Data[float32](y), want, 1e-5)
	}
	// A wrong algorithm for the geometry is refused.
	X, W := cvtTensor(r, nil, 1, 2, 4, 4), cvtTensor(r, nil, 2, 1, 3, 3)
	p := &ConvGeomParams{C: 2, M: 2, Group: 2, In: []int{4, 4}, Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Out: []int{2, 2}, Pads: []int{0, 0, 0, 0}}
	if err := ConvPointwise(NewExec(nil), p, []*Tensor{New(Float32)}, []*Tensor{X, W}); err == nil {
		t.Error("ConvPointwise took a 3x3 depthwise conv")
	}
	// Every entry but the depthwise one computes any float32 convolution.
	for _, f := range []func(*Exec, *ConvGeomParams, []*Tensor, []*Tensor) error{ConvGemm, ConvDot} {
		y := New(Float32)
		if err := f(NewExec(nil), p, []*Tensor{y}, []*Tensor{X, W}); err != nil {
			t.Fatal(err)
		}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), nil, X.Shape, W.Shape, 2, []int{1, 1}, []int{1, 1}, []int{0, 0}, []int{2, 2})
		gmClose(t, "depthwise conv on another entry", Data[float32](y), want, 1e-5)
	}
}

// TestDepthwiseRow checks the depthwise row loop (assembly where the CPU has it) against the Go
// loop, for every row length up to a few blocks, every activation form, and infinities and NaN;
// and the pooling loops (max row, sum) likewise.
func TestDepthwiseRow(t *testing.T) {
	r := rand.New(rand.NewSource(22))
	inf := float32(math.Inf(1))
	forms := []dwAct{{a: 1, lo: -inf, hi: inf}, {a: 1, lo: 0, hi: inf}, {a: 1, lo: -0.5, hi: 0.7},
		{a: 0.3, b: 0.4, lo: 0, hi: 1}, {a: 1.0 / 6, b: 0.5, lo: 0, hi: 1, hswish: 1}}
	for n := 1; n <= 150; n++ {
		taps := 1 + r.Intn(30)
		offs := make([]int, taps)
		for i := range offs {
			offs[i] = r.Intn(40)
		}
		src := make([]float32, 40+n+dwVec)
		for i := range src {
			src[i] = r.Float32()*4 - 2
		}
		if n%17 == 0 {
			src[r.Intn(len(src))] = float32(math.NaN())
			src[r.Intn(len(src))] = inf
		}
		w := make([]float32, taps)
		for i := range w {
			w[i] = r.Float32()*2 - 1
		}
		for _, f := range forms {
			f.bias = r.Float32() - 0.5
			got, want := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 42, 42
			dwRow(got[:n], src, offs, w, &f)
			dwRowGo(want[:n], src, offs, w, &f)
			if f.hswish != 0 { // and the pooling loops, once per n
				gm, wm := make([]float32, n), make([]float32, n)
				dwMaxRow(gm, src, offs)
				dwMaxRowGo(wm, src, offs)
				if fmt.Sprint(gm) != fmt.Sprint(wm) {
					t.Fatalf("n %d taps %d: max row %v, want %v", n, taps, gm, wm)
				}
				var s64 float64
				for _, v := range src[:n] {
					s64 += float64(v)
				}
				if s := dwSum(src[:n]); n%17 != 0 && math.Abs(float64(s)-s64) > 1e-4*(1+math.Abs(s64)) {
					t.Fatalf("n %d: sum %v, want %v", n, s, s64)
				}
			}
			for i := range got {
				g, e := got[i], want[i]
				if g != g && e != e || g == e {
					continue
				}
				if math.Abs(float64(g-e)) > 1e-5*(1+math.Abs(float64(e))) {
					t.Fatalf("n %d taps %d form %+v: element %d = %v, want %v", n, taps, f, i, g, e)
				}
			}
		}
	}
}

// TestConvDot runs ConvDot on long rows of weights (the vector loops and their tails) and every
// count of output positions it takes, against the reference convolution.
func TestConvDot(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	for it := 0; it < 200; it++ {
		group := 1 + r.Intn(2)
		cg, mg, k := 1+r.Intn(40), 1+r.Intn(5), 1+r.Intn(7)
		ov := 1 + r.Intn(ConvDotMaxOut)
		s := 1 + r.Intn(k+2)
		xs := []int{1 + r.Intn(2), cg * group, (ov-1)*s + k}
		ws := []int{mg * group, cg, k}
		X, W, B := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...), cvtTensor(r, nil, ws[0])
		p := &ConvGeomParams{C: xs[1], M: ws[0], Group: group, In: xs[2:], Kernel: ws[2:], Strides: []int{s}, Dilations: []int{1}, Out: []int{ov}, Pads: []int{0, 0}}
		y := New(Float32)
		if err := ConvDot(NewExec(nil), p, []*Tensor{y}, []*Tensor{X, W, B}); err != nil {
			t.Fatal(err)
		}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), Data[float32](B), xs, ws, group, []int{s}, []int{1}, []int{0}, []int{ov})
		gmClose(t, fmt.Sprintf("case %d: x %v w %v group %d stride %d", it, xs, ws, group, s), Data[float32](y), want, 1e-5)
	}
}

// TestConvDirect runs ConvDirect (3x3, unit strides) on random channel counts, sizes and pads,
// with bias, summand Z and activations, against the reference convolution.
func TestConvDirect(t *testing.T) {
	r := rand.New(rand.NewSource(24))
	pool := NewPool(2)
	defer pool.Close()
	acts := []string{"", "Relu", "HardSwish", "Sigmoid"}
	for it := 0; it < 150; it++ {
		c, m := 1+r.Intn(20), 1+r.Intn(7)
		xs := []int{1 + r.Intn(2), c, 1 + r.Intn(13), 1 + r.Intn(70)}
		ws := []int{m, c, 3, 3}
		pads := []int{r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)}
		outSp := []int{xs[2] + pads[0] + pads[2] - 2, xs[3] + pads[1] + pads[3] - 2}
		if outSp[0] < 1 || outSp[1] < 1 {
			continue
		}
		X, W, B := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...), cvtTensor(r, nil, m)
		in := []*Tensor{X, W, B}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), Data[float32](B), xs, ws, 1, []int{1, 1}, []int{1, 1}, pads[:2], outSp)
		var zs []float32
		if it%5 == 0 {
			Z := cvtTensor(r, nil, xs[0], m, outSp[0], outSp[1])
			in, zs = append(in, Z), Data[float32](Z)
		}
		name := acts[it%len(acts)]
		act, alpha, beta, _ := ActivationOf(name, nil)
		p := &ConvGeomParams{C: c, M: m, Group: 1, In: xs[2:], Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1},
			Out: outSp, Pads: pads, Activation: act, ActAlpha: alpha, ActBeta: beta}
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		y := New(Float32)
		if err := ConvDirect(x, p, []*Tensor{y}, in); err != nil {
			t.Fatal(err)
		}
		cvtActZ(want, zs, name, nil)
		gmClose(t, fmt.Sprintf("case %d: x %v w %v pads %v act %q z %v", it, xs, ws, pads, name, zs != nil), Data[float32](y), want, 1e-5)
	}
}

// cvtActZ turns the reference convolution want into act(want + zs) (zs optional), the
// activation named name with parameters prm.
func cvtActZ(want, zs []float32, name string, prm []float32) {
	for i := range want {
		v := float64(want[i])
		if zs != nil {
			v += float64(zs[i])
		}
		want[i] = float32(actNaive(name, prm, v))
	}
}

// TestConvBiasPass covers the GEMM convolutions' bias pass after the GEMM, taken by outputs of
// cvBiasPassMin floats and up, with each activation form and a summand Z.
func TestConvBiasPass(t *testing.T) {
	r := rand.New(rand.NewSource(25))
	for i, name := range []string{"", "Relu", "Clip", "HardSwish", "Sigmoid"} {
		k := 1 + 2*(i%2) // pointwise and im2col
		xs, ws := []int{1, 3, 128, 256}, []int{8, 3, k, k}
		pads := []int{k / 2, k / 2, k / 2, k / 2}
		X, W, B, Z := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...), cvtTensor(r, nil, 8), cvtTensor(r, nil, 1, 8, 128, 256)
		params := map[string][]float32{"Clip": {-0.5, 0.7}}[name]
		act, alpha, beta, _ := ActivationOf(name, params)
		p := &ConvGeomParams{C: 3, M: 8, Group: 1, In: xs[2:], Kernel: ws[2:], Strides: []int{1, 1}, Dilations: []int{1, 1},
			Out: xs[2:], Pads: pads, Activation: act, ActAlpha: alpha, ActBeta: beta}
		in := []*Tensor{X, W, B}
		if i%2 == 0 {
			in = append(in, Z)
		}
		y := New(Float32)
		f := ConvPointwise
		if k == 3 {
			f = ConvGemm
		}
		if err := f(NewExec(nil), p, []*Tensor{y}, in); err != nil {
			t.Fatal(err)
		}
		if y.Len() < cvBiasPassMin {
			t.Fatalf("output of %d floats does not reach the bias pass", y.Len())
		}
		want := cvtNaiveConv(Data[float32](X), Data[float32](W), Data[float32](B), xs, ws, 1, []int{1, 1}, []int{1, 1}, pads[:2], xs[2:])
		for j := range want {
			v := float64(want[j])
			if len(in) > 3 {
				v += float64(Data[float32](Z)[j])
			}
			want[j] = float32(actNaive(name, params, v))
		}
		gmClose(t, fmt.Sprintf("%dx%d conv, act %q, z %v", k, k, name, len(in) > 3), Data[float32](y), want, 1e-5)
	}
}

// TestDwEvens checks the stride-2 column split against the plain loop for every length around
// the vector widths, sources holding exactly the floats read (2n-1), two per output, and more,
// from aligned and unaligned starts.
func TestDwEvens(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for n := 0; n <= 70; n++ {
		for _, extra := range []int{-1, 0, 7} {
			if n == 0 && extra < 0 {
				continue
			}
			for _, start := range []int{0, 1, 3} {
				buf := make([]float32, start+2*n+extra)
				for i := range buf {
					buf[i] = r.Float32()
				}
				src := buf[start:]
				dst := make([]float32, n+1)
				dst[n] = -7 // past the end: untouched
				dwEvens(dst[:n], src)
				for i := 0; i < n; i++ {
					if dst[i] != src[2*i] {
						t.Fatalf("n %d extra %d start %d: dst[%d] = %v, want %v", n, extra, start, i, dst[i], src[2*i])
					}
				}
				if dst[n] != -7 {
					t.Fatalf("n %d: wrote past the end", n)
				}
			}
		}
	}
}

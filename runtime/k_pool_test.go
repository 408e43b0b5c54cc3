package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func TestPoolHandChecked(t *testing.T) {
	v := make([]float32, 16)
	for i := range v {
		v[i] = float32(i + 1)
	}
	X := cvtTensor(nil, v, 1, 1, 4, 4)
	for _, c := range []struct {
		p    PoolParams
		want []float32
	}{
		{PoolParams{Mode: PoolMax, KernelShape: []int{2, 2}, Strides: []int{2, 2}}, []float32{6, 8, 14, 16}},
		{PoolParams{Mode: PoolAvg, KernelShape: []int{2, 2}, Strides: []int{2, 2}}, []float32{3.5, 5.5, 11.5, 13.5}},
		// A 3x3 window at stride 2 with ceil_mode covers a partial last window.
		{PoolParams{Mode: PoolMax, KernelShape: []int{3, 3}, Strides: []int{2, 2}, CeilMode: true}, []float32{11, 12, 15, 16}},
		{PoolParams{Mode: PoolAvg, Global: true}, []float32{8.5}},
		{PoolParams{Mode: PoolLp, Global: true, P: 1}, []float32{136}},
	} {
		y := New(Float32)
		if err := Pooling(NewExec(nil), &c.p, []*Tensor{y}, []*Tensor{X}); err != nil {
			t.Fatal(err)
		}
		gmClose(t, fmt.Sprintf("%+v", c.p), Data[float32](y), c.want, 1e-6)
	}
}

// pltNaive pools by visiting every tap of every window.
func pltNaive(p *PoolParams, x []float64, xs []int, pb, pe, outSp []int) ([]float64, []int64) {
	nsp := len(xs) - 2
	ys := append([]int{xs[0], xs[1]}, outSp...)
	y := make([]float64, NumElems(ys))
	ind := make([]int64, len(y))
	idx := make([]int, len(ys))
	for {
		kidx := make([]int, nsp)
		sum, cnt, padCnt := 0.0, 0, 0
		best, bestAt := math.Inf(-1), int64(-1)
		for {
			in := []int{idx[0], idx[1]}
			inside, inPadded := true, true
			for d := 0; d < nsp; d++ {
				s, dl := 1, 1
				if len(p.Strides) > 0 {
					s = p.Strides[d]
				}
				if len(p.Dilations) > 0 {
					dl = p.Dilations[d]
				}
				q := idx[2+d]*s - pb[d] + kidx[d]*dl
				if q < 0 || q >= xs[2+d] {
					inside = false
				}
				if q < -pb[d] || q >= xs[2+d]+pe[d] {
					inPadded = false
				}
				in = append(in, q)
			}
			if inPadded {
				padCnt++
			}
			if inside {
				at := cvtIndex(in, xs)
				v := x[at]
				cnt++
				switch p.Mode {
				case PoolAvg:
					sum += v
				case PoolLp:
					sum += math.Pow(math.Abs(v), float64(p.P))
				case PoolMax:
					if v > best {
						best, bestAt = v, int64(at)
					}
				}
			}
			if !cvtNext(kidx, p.KernelShape) {
				break
			}
		}
		o := cvtIndex(idx, ys)
		switch p.Mode {
		case PoolAvg:
			if p.CountIncludePad {
				cnt = padCnt
			}
			y[o] = sum / float64(cnt)
		case PoolLp:
			y[o] = math.Pow(sum, 1/float64(p.P))
		case PoolMax:
			y[o], ind[o] = best, bestAt
		}
		if !cvtNext(idx, ys) {
			break
		}
	}
	return y, ind
}

func TestPoolRandom(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for it := 0; it < 400; it++ {
		nsp := 1 + r.Intn(3)
		xs := []int{1 + r.Intn(2), 1 + r.Intn(3)}
		p := &PoolParams{Mode: []PoolMode{PoolMax, PoolAvg, PoolLp}[r.Intn(3)], CeilMode: r.Intn(3) == 0, CountIncludePad: r.Intn(2) == 0}
		if p.Mode == PoolLp {
			p.P = 1 + r.Intn(3)
		}
		for d := 0; d < nsp; d++ {
			size := 1 + r.Intn(8)
			if d == nsp-1 && it%4 == 0 {
				size = 1 + r.Intn(100) // rows of several vectors for the row loops
			}
			xs = append(xs, size)
			p.KernelShape = append(p.KernelShape, 1+r.Intn(3))
			p.Strides = append(p.Strides, 1+r.Intn(3))
			p.Dilations = append(p.Dilations, 1+r.Intn(2))
		}
		for d := 0; d < 2*nsp; d++ {
			p.Pads = append(p.Pads, r.Intn(3))
		}
		pb, pe, outSp := make([]int, nsp), make([]int, nsp), make([]int, nsp)
		mode := []string{"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.Intn(5)]
		ok := true
		for d := 0; d < nsp; d++ {
			in, k, s, dl := xs[2+d], p.KernelShape[d], p.Strides[d], p.Dilations[d]
			eff := (k-1)*dl + 1
			switch mode {
			case "NOTSET", "VALID":
				if mode == "NOTSET" {
					pb[d], pe[d] = p.Pads[d], p.Pads[nsp+d]
				}
				// Windows must overlap the input or its begin padding, so pads stay below the
				// window size as ONNX requires.
				ok = ok && pb[d] < eff && pe[d] < eff && in+pb[d]+pe[d] >= eff
				span := in + pb[d] + pe[d] - eff
				outSp[d] = span/s + 1
				if p.CeilMode && span%s != 0 {
					outSp[d]++
					if (outSp[d]-1)*s >= in+pb[d] {
						outSp[d]--
					}
				}
			default:
				var total int
				pb[d], outSp[d] = cvtSamePads(mode, in, k, s, dl)
				total = max(0, (outSp[d]-1)*s+eff-in)
				pe[d] = total - pb[d]
				ok = ok && pb[d] < eff && pe[d] < eff
			}
		}
		if !ok {
			continue
		}
		p.AutoPad = mode
		if mode != "NOTSET" {
			p.Pads = nil
		}
		X := cvtTensor(r, nil, xs...)
		want, wantIdx := pltNaive(p, mmtF64(X), xs, pb, pe, outSp)
		if slicesHasEmptyWindow(want) {
			continue // a dilated window that misses the input entirely has no defined result
		}
		name := fmt.Sprintf("case %d: x %v %+v", it, xs, *p)
		y, ind := New(Float32), New(Int64)
		outs := []*Tensor{y}
		indices := p.Mode == PoolMax && r.Intn(2) == 0 // without indices: the vector loops
		if indices {
			outs = append(outs, ind)
		}
		if err := Pooling(NewExec(nil), p, outs, []*Tensor{X}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(y.Shape[2:]) != fmt.Sprint(outSp) {
			t.Fatalf("%s: shape %v, want %v", name, y.Shape, outSp)
		}
		gmClose(t, name, Data[float32](y), mmtF32(want), 1e-5)
		if indices {
			for i, v := range Data[int64](ind) {
				if v != wantIdx[i] {
					t.Fatalf("%s: index %d = %d, want %d", name, i, v, wantIdx[i])
				}
			}
		}
	}
}

func TestMaxPoolIndicesColumnMajor(t *testing.T) {
	// 1x1x2x3 input; a 2x2 window at stride 1 gives two windows, whose maxima are at (1,1)
	// and (0,2): row-major 4 and 2, column-major 1*1+1*2 = 3 and 0+2*2 = 4.
	X := cvtTensor(nil, []float32{1, 2, 9, 3, 8, 4}, 1, 1, 2, 3)
	y, ind := New(Float32), New(Int64)
	p := &PoolParams{Mode: PoolMax, KernelShape: []int{2, 2}, StorageOrder: 1}
	if err := Pooling(NewExec(nil), p, []*Tensor{y, ind}, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	if got := Data[int64](ind); got[0] != 3 || got[1] != 4 {
		t.Fatalf("column-major indices %v, want [3 4]", got)
	}
}

func TestMaxUnpool(t *testing.T) {
	X := cvtTensor(nil, []float32{5, 6, 7, 8}, 1, 1, 2, 2)
	I := New(Int64, 1, 1, 2, 2)
	copy(Data[int64](I), []int64{5, 7, 13, 15})
	y := New(Float32)
	if err := MaxUnpool(NewExec(nil), &MaxUnpoolParams{KernelShape: []int{2, 2}, Strides: []int{2, 2}}, []*Tensor{y}, []*Tensor{X, I}); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 16)
	want[5], want[7], want[13], want[15] = 5, 6, 7, 8
	gmClose(t, "maxunpool", Data[float32](y), want, 0)
}

func slicesHasEmptyWindow(v []float64) bool {
	for _, f := range v {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return true
		}
	}
	return false
}

func TestMaxRoiPool(t *testing.T) {
	v := make([]float32, 16)
	for i := range v {
		v[i] = float32(i)
	}
	X := cvtTensor(nil, v, 1, 1, 4, 4)
	R := cvtTensor(nil, []float32{0, 0, 0, 3, 3, 0, 1, 1, 2, 2}, 2, 5)
	y := New(Float32)
	if err := MaxRoiPool(NewExec(nil), &MaxRoiPoolParams{PooledShape: []int{2, 2}, SpatialScale: 1}, []*Tensor{y}, []*Tensor{X, R}); err != nil {
		t.Fatal(err)
	}
	// The second ROI covers rows and columns 1..2: one pixel per bin.
	gmClose(t, "maxroipool", Data[float32](y), []float32{5, 7, 13, 15, 5, 6, 9, 10}, 0)
}

func TestGlobalPoolRanks(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	for _, shape := range [][]int{{2, 3}, {2, 3, 4}, {1, 2, 3, 2, 2, 2}} {
		X := cvtTensor(r, nil, shape...)
		vol := NumElems(shape[2:])
		for _, mode := range []PoolMode{PoolAvg, PoolMax, PoolLp} {
			y := New(Float32)
			if err := Pooling(NewExec(nil), &PoolParams{Mode: mode, Global: true, P: 2}, []*Tensor{y}, []*Tensor{X}); err != nil {
				t.Fatal(err)
			}
			if len(y.Shape) != len(shape) || y.Len() != shape[0]*shape[1] {
				t.Fatalf("global %s of %v: shape %v", mode, shape, y.Shape)
			}
			for pi := 0; pi < shape[0]*shape[1]; pi++ {
				s, m := 0.0, math.Inf(-1)
				for _, v := range Data[float32](X)[pi*vol : (pi+1)*vol] {
					switch mode {
					case PoolLp:
						s += float64(v) * float64(v)
					default:
						s += float64(v)
					}
					m = math.Max(m, float64(v))
				}
				want := map[PoolMode]float64{PoolAvg: s / float64(vol), PoolMax: m, PoolLp: math.Sqrt(s)}[mode]
				if got := float64(Data[float32](y)[pi]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("global %s of %v: plane %d = %v, want %v", mode, shape, pi, got, want)
				}
			}
		}
	}
}

// TestMaxPoolNaN checks the vector max pooling's special values: NaNs never win, a window of
// NaNs gives NaN, and -Inf stays -Inf.
func TestMaxPoolNaN(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	X := cvtTensor(nil, []float32{nan, nan, 1, nan, -inf, nan, nan, nan, nan, 2, -inf, -inf}, 1, 1, 2, 6)
	y := New(Float32)
	if err := Pooling(NewExec(nil), &PoolParams{Mode: PoolMax, KernelShape: []int{2, 2}, Strides: []int{2, 2}}, []*Tensor{y}, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	if got := Data[float32](y); len(got) != 3 || got[0] == got[0] || got[1] != 2 || got[2] != -inf {
		t.Errorf("max pool with NaNs = %v, want [NaN 2 -Inf]", got)
	}
	X = cvtTensor(nil, []float32{-inf, -inf, nan, nan}, 1, 1, 4)
	if err := Pooling(NewExec(nil), &PoolParams{Mode: PoolMax, KernelShape: []int{2}, Strides: []int{2}}, []*Tensor{y}, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	if got := Data[float32](y); got[0] != -inf || got[1] == got[1] {
		t.Errorf("max pool of -Inf and NaN windows = %v, want [-Inf NaN]", got)
	}
	// Rows of whole vectors, where the -Inf scan runs in assembly: a NaN window at output 20,
	// a -Inf one at 25.
	xs := make([]float32, 2*64)
	for _, r := range []int{0, 64} {
		xs[r+40], xs[r+41], xs[r+50], xs[r+51] = nan, nan, -inf, -inf
	}
	X = cvtTensor(nil, xs, 1, 1, 2, 64)
	if err := Pooling(NewExec(nil), &PoolParams{Mode: PoolMax, KernelShape: []int{2, 2}, Strides: []int{2, 2}}, []*Tensor{y}, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	for i, v := range Data[float32](y) {
		if i == 20 && v == v || i == 25 && v != -inf || i != 20 && i != 25 && v != 0 {
			t.Fatalf("max pool over 64 columns: output %d = %v (want NaN at 20, -Inf at 25, else 0)", i, v)
		}
	}
}

// TestMaxPool3x3s2 runs the 3x3 stride-2 pooling padded by one (plMax3s2Row where the CPU has
// it) over widths on both sides of its 32-column blocks, heights, end pads and ceil_mode, on
// values with NaNs and infinities, against the reference window loop (plMaxAt), bit for bit.
func TestMaxPool3x3s2(t *testing.T) {
	r := rand.New(rand.NewSource(33))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for it := 0; it < 300; it++ {
		h, w := 1+r.Intn(9), 1+r.Intn(80)
		pe := []int{r.Intn(2), r.Intn(2)}
		ceil := it%3 == 0
		xs := make([]float32, 2*h*w)
		for i := range xs {
			switch v := r.Intn(40); {
			case v == 0:
				xs[i] = nan
			case v == 1:
				xs[i] = -inf
			case v == 2:
				xs[i] = inf
			default:
				xs[i] = r.Float32()*2 - 1
			}
		}
		if it%10 == 0 {
			for i := range xs[:h*w] {
				xs[i] = nan // a plane of NaNs: NaN windows everywhere
			}
		}
		p := &PoolParams{Mode: PoolMax, KernelShape: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, pe[0], pe[1]}, CeilMode: ceil}
		X := cvtTensor(nil, xs, 1, 2, h, w)
		win, err := plWin(p, X.Shape)
		if err != nil || win.out[1] < 1 || win.out[2] < 1 {
			continue
		}
		y := New(Float32)
		if err := Pooling(NewExec(nil), p, []*Tensor{y}, []*Tensor{X}); err != nil {
			t.Fatal(err)
		}
		got := Data[float32](y)
		oh, ow := win.out[1], win.out[2]
		for q := 0; q < 2; q++ {
			for i := 0; i < oh*ow; i++ {
				want, _ := plMaxAt(&win, xs[q*h*w:(q+1)*h*w], 0, i/ow, i%ow)
				if g := got[q*oh*ow+i]; math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
					t.Fatalf("case %d (%dx%d, end pads %v, ceil %v): plane %d output %d = %v, want %v", it, h, w, pe, ceil, q, i, g, want)
				}
			}
		}
	}
}

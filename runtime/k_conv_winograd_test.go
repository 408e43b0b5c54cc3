package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"unsafe"
)

// TestConvWinograd runs ConvWinograd on random channel counts (so that tiles of fewer than
// cvBlkNB output blocks occur), even output sizes (bands ending inside a tile row, runs of one
// tile), pads (one or two on a side, within random borders), with and without bias, Z and Relu,
// on one and two threads, in one band or many, against the reference convolution: with the
// transforms where the CPU has them and with the GEMM they fall back to.
func TestConvWinograd(t *testing.T) {
	r := rand.New(rand.NewSource(41))
	pool := NewPool(2)
	defer pool.Close()
	for _, fast := range []bool{true, false} {
		if fast && !cvBlkHas() {
			t.Log("no AVX-512: only the fallback runs")
			continue
		}
		wgOff = !fast
		for it := 0; it < 80; it++ {
			c, m := cvBlk*(1+r.Intn(4)), cvBlk*(1+r.Intn(6))
			pads := []int{1, 1, 1, 1}
			if it%4 == 3 {
				for i := range pads {
					pads[i] = r.Intn(3)
				}
			}
			oh, ow := 1+r.Intn(12), 1+r.Intn(17)
			xs := []int{1 + r.Intn(2), c, oh + 2 - pads[0] - pads[2], ow + 2 - pads[1] - pads[3]}
			if xs[2] < 1 || xs[3] < 1 {
				continue
			}
			ws := []int{m, c, 3, 3}
			X, W := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...)
			var B *Tensor
			var bs []float32
			if it%3 != 0 {
				B = cvtTensor(r, nil, m)
				bs = Data[float32](B)
			}
			want := cvtNaiveConv(Data[float32](X), Data[float32](W), bs, xs, ws, 1, []int{1, 1}, []int{1, 1}, pads[:2], []int{oh, ow})
			var zs []float32
			name := ""
			if it%2 == 0 {
				name = "Relu"
			}
			act, _, _, _ := ActivationOf(name, nil)
			p := &ConvGeomParams{C: c, M: m, Group: 1, In: xs[2:], Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1},
				Out: []int{oh, ow}, Pads: pads, Activation: act, PackedW: true}
			bottom, right := WinogradBorder(p)
			p.XLayout = BlkLayout{true, pads[0] + r.Intn(2), pads[1] + r.Intn(2), bottom + r.Intn(2), right + r.Intn(2)}
			p.YLayout = BlkLayout{true, r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)}
			in := []*Tensor{cvtToBlocked(t, X, p.XLayout), W, B}
			if it%4 == 1 {
				Z := cvtTensor(r, nil, xs[0], m, oh, ow)
				zs = Data[float32](Z)
				p.ZLayout = p.YLayout
				in = append(in, cvtToBlocked(t, Z, p.ZLayout))
			}
			packed, err := PackConvWinograd(W, m, c)
			if err != nil {
				t.Fatal(err)
			}
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			if it%5 == 2 {
				defer func(b int) { wgBandBytes = b }(wgBandBytes)
				wgBandBytes = 1 << (12 + r.Intn(5))
			}
			// Both ways of splitting the work, whatever the sizes would choose.
			wgMode = 1 + it%3%2
			if it%3 == 2 {
				wgMode = 0
			}
			// The output's storage starts as NaNs: every value the kernel leaves is wrong.
			y := New(Float32, xs[0], m, oh, ow)
			hb, wb := p.YLayout.dims(oh, ow)
			y.Buf.Grow((xs[0]*m*hb*wb + 37) * 4)
			for i, all := 0, unsafe.Slice((*float32)(unsafe.Pointer(&y.Buf.words[0])), len(y.Buf.words)*2); i < len(all); i++ {
				all[i] = float32(math.NaN())
			}
			err = ConvWinograd(x, p, []*Tensor{y}, append(in, packed))
			wgBandBytes, wgMode = 384<<10, 0
			if err != nil {
				t.Fatal(err)
			}
			got := cvtFromBlocked(t, y, p.YLayout)
			cvtActZ(want, zs, name, nil)
			gmClose(t, fmt.Sprintf("fast %v case %d: x %v w %v pads %v act %q bias %v z %v layouts %+v %+v", fast, it, xs, ws, pads, name, bs != nil, zs != nil, p.XLayout, p.YLayout), got, want, 2e-5)
		}
	}
	wgOff = false
}

// TestConvWinogradBorder: an odd output needs a row and a column of the input's border past
// the pads; ConvWinograd refuses a layout without them rather than read past the input.
func TestConvWinogradBorder(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	X, W := cvtTensor(r, nil, 1, 16, 7, 7), cvtTensor(r, nil, 16, 16, 3, 3)
	p := &ConvGeomParams{C: 16, M: 16, Group: 1, In: []int{7, 7}, Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1},
		Out: []int{7, 7}, Pads: []int{1, 1, 1, 1}, PackedW: true, XLayout: BlkLayout{true, 1, 1, 1, 1}, YLayout: BlkLayout{true, 1, 1, 1, 1}}
	packed, err := PackConvWinograd(W, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	err = ConvWinograd(NewExec(nil), p, []*Tensor{New(Float32)}, []*Tensor{cvtToBlocked(t, X, p.XLayout), W, nil, packed})
	if err == nil || !strings.Contains(err.Error(), "border") {
		t.Fatalf("border 1 for a 7x7 output: error %v, want one about the border", err)
	}
}

// TestPackConvWinograd checks the weights' transform on one channel pair: G g Gᵀ of a kernel
// that is 1 at one tap is the outer product of G's columns there.
func TestPackConvWinograd(t *testing.T) {
	g := [4][3]float32{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	for tap := 0; tap < 9; tap++ {
		w := New(Float32, 16, 16, 3, 3)
		Data[float32](w)[5*16*9+7*9+tap] = 1 // output channel 5, input channel 7
		p, err := PackConvWinograd(w, 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		u := Data[float32](p)
		for e := 0; e < 16; e++ {
			want := g[e/4][tap/3] * g[e%4][tap%3]
			if got := u[e*256+7*16+5]; got != want {
				t.Fatalf("tap %d element %d: %v, want %v", tap, e, got, want)
			}
		}
	}
	if _, err := PackConvWinograd(New(Float32, 16, 8, 3, 3), 16, 8); err == nil {
		t.Fatal("8 input channels were packed")
	}
}

// TestWinogradFits: the geometries ConvWinograd takes, and one change from such a geometry
// for each condition that rules it out.
func TestWinogradFits(t *testing.T) {
	base := func() *ConvGeomParams {
		return &ConvGeomParams{C: 64, M: 32, Group: 1, In: []int{8, 6}, Kernel: []int{3, 3}, Strides: []int{1, 1},
			Dilations: []int{1, 1}, Out: []int{8, 6}, Pads: []int{1, 1, 1, 1}, Activation: ActRelu}
	}
	for _, c := range []struct {
		name   string
		change func(p *ConvGeomParams)
		want   bool
	}{
		{"3x3 same", func(p *ConvGeomParams) {}, true},
		{"no activation", func(p *ConvGeomParams) { p.Activation = ActNone }, true},
		{"other activation", func(p *ConvGeomParams) { p.Activation = ActHardSwish }, false},
		{"odd output rows", func(p *ConvGeomParams) { p.Out[0] = 7 }, true},
		{"odd output columns", func(p *ConvGeomParams) { p.Out[1] = 5 }, true},
		{"stride 2", func(p *ConvGeomParams) { p.Strides[1] = 2 }, false},
		{"dilation 2", func(p *ConvGeomParams) { p.Dilations[0] = 2 }, false},
		{"5x5", func(p *ConvGeomParams) { p.Kernel = []int{5, 5} }, false},
		{"groups", func(p *ConvGeomParams) { p.Group = 2 }, false},
		{"input channels", func(p *ConvGeomParams) { p.C = 24 }, false},
		{"output channels", func(p *ConvGeomParams) { p.M = 8 }, false},
		{"1-D", func(p *ConvGeomParams) {
			p.In, p.Kernel, p.Strides, p.Dilations, p.Out, p.Pads = []int{8}, []int{3}, []int{1}, []int{1}, []int{8}, []int{1, 1}
		}, false},
	} {
		p := base()
		c.change(p)
		if got := WinogradFits(p); got != c.want {
			t.Errorf("%s: WinogradFits = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestWinogradPays: the layers of a backbone that go to ConvWinograd (the decision measured in
// BenchmarkConvWinograd and in resnet18).
func TestWinogradPays(t *testing.T) {
	for _, c := range []struct {
		c, hw int
		want  bool
	}{{64, 56, true}, {128, 28, true}, {256, 14, true}, {512, 7, false}, {64, 4, true}, {256, 4, false}, {512, 11, true}} {
		p := &ConvGeomParams{C: c.c, M: c.c, Out: []int{c.hw, c.hw}}
		if got := WinogradPays(p); got != c.want {
			t.Errorf("%d channels, %dx%d: WinogradPays = %v, want %v", c.c, c.hw, c.hw, got, c.want)
		}
	}
}

// BenchmarkConvWinograd compares ConvWinograd with ConvBlocked on a backbone's 3x3 convs, both
// on blocked operands.
func BenchmarkConvWinograd(b *testing.B) {
	for _, s := range []struct{ c, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		r := rand.New(rand.NewSource(1))
		X, W, B := cvtTensor(r, nil, 1, s.c, s.hw, s.hw), cvtTensor(r, nil, s.c, s.c, 3, 3), cvtTensor(r, nil, s.c)
		l := BlkLayout{true, 1, 1, 2, 2}
		p := &ConvGeomParams{C: s.c, M: s.c, Group: 1, In: []int{s.hw, s.hw}, Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1},
			Out: []int{s.hw, s.hw}, Pads: []int{1, 1, 1, 1}, Activation: ActRelu, PackedW: true, XLayout: l, YLayout: l}
		xb := cvtToBlocked(b, X, l)
		pw, _ := PackConvWinograd(W, s.c, s.c)
		pb, _ := PackConvBlocked(W, s.c, s.c, 9)
		for _, alg := range []string{"winograd", "blocked"} {
			b.Run(fmt.Sprintf("%s/c%d_%dx%d", alg, s.c, s.hw, s.hw), func(b *testing.B) {
				x := NewExec(nil)
				y := New(Float32)
				f, pk := ConvWinograd, pw
				if alg == "blocked" {
					f, pk = ConvBlocked, pb
				}
				for i := 0; i < b.N; i++ {
					if err := f(x, p, []*Tensor{y}, []*Tensor{xb, W, B, pk}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(2*9*s.c*s.c*s.hw*s.hw)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

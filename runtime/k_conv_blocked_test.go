package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"unsafe"
)

// TestConvBlocked runs ConvBlocked on random kernels, strides, dilations, pads, channel counts
// (multiples of 16, so that tiles of fewer than cvBlkNB blocks occur, and input channels below 16) and sizes (so that the
// last chunk of pixels is short), with and without bias, summand Z and activations, on one and
// two threads, in one pass over the taps or several, with the items in either order, against the reference convolution: with the micro-kernels where the CPU has them
// and with the GEMM they fall back to.
func TestConvBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(26))
	rl := rand.New(rand.NewSource(27)) // the layouts' borders, apart so the cases stay the same
	pool := NewPool(2)
	defer pool.Close()
	acts := []string{"", "Relu", "HardSwish", "Sigmoid", "Clip"}
	for _, fast := range []bool{true, false} {
		if fast && !cvBlkHas() {
			continue
		}
		if !fast {
			cvBlkOff = true
			defer func() { cvBlkOff = false }()
		}
		for it := 0; it < 120; it++ {
			c, m := cvBlk*(1+r.Intn(3)), cvBlk*(1+r.Intn(6))
			if it%3 == 2 {
				c = 1 + r.Intn(cvBlk-1) // taps of one channel
				if it%9 == 2 {
					c = 3 // an image's channels, packed by cvBlkPackFew's own loop
				}
			}
			kh, kw := 1+r.Intn(4), 1+r.Intn(4)
			st := []int{1 + r.Intn(2), 1 + r.Intn(3)}
			dil := []int{1 + r.Intn(2), 1}
			pads := []int{r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)}
			xs := []int{1 + r.Intn(2), c, 1 + r.Intn(12), 1 + r.Intn(30)}
			if it%7 == 0 {
				xs[2], kh, st[0], dil[0], pads[0], pads[2] = 1, 1, 1, 1, 0, 0 // one row: a 1-D conv
			}
			ws := []int{m, c, kh, kw}
			var outSp []int
			for i := 0; i < 2; i++ {
				o, _, _, err := WindowDim(xs[2+i], ws[2+i], st[i], dil[i], pads[i], pads[2+i], "NOTSET", false)
				if err != nil || o < 1 {
					break
				}
				outSp = append(outSp, o)
			}
			if len(outSp) < 2 {
				continue
			}
			X, W := cvtTensor(r, nil, xs...), cvtTensor(r, nil, ws...)
			var B *Tensor
			var bs []float32
			if it%3 != 0 {
				B = cvtTensor(r, nil, m)
				bs = Data[float32](B)
			}
			want := cvtNaiveConv(Data[float32](X), Data[float32](W), bs, xs, ws, 1, st, dil, pads[:2], outSp)
			in := []*Tensor{X, W, B}
			var zs []float32
			if it%4 == 1 {
				Z := cvtTensor(r, nil, xs[0], m, outSp[0], outSp[1])
				in, zs = append(in, Z), Data[float32](Z)
			}
			packed, err := PackConvBlocked(W, m, c, kh*kw)
			if err != nil {
				t.Fatal(err)
			}
			name := acts[it%len(acts)]
			var prm []float32
			if name == "Clip" {
				prm = []float32{-0.5, 0.5}
			}
			act, alpha, beta, err := ActivationOf(name, prm)
			if err != nil {
				t.Fatal(err)
			}
			p := &ConvGeomParams{C: c, M: m, Group: 1, In: xs[2:], Kernel: ws[2:], Strides: st, Dilations: dil,
				Out: outSp, Pads: pads, Activation: act, ActAlpha: alpha, ActBeta: beta, PackedW: true}
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			// Some cases split the taps into passes (one per tap at most), as wide convs do.
			budget := cvBlkTileBudget
			if it%5 == 3 {
				cvBlkTileBudget = 1 << (10 + r.Intn(4))
			}
			// Both orders of the items (tiles or chunks of pixels fastest), whatever the sizes
			// would choose.
			cvBlkOrder = 1 + it/2%2
			y := New(Float32)
			// Some cases hold the output (and Z) in the blocked layout, and the input too
			// when its channels are a multiple of 16, with borders at least the pads.
			blk := it%5 >= 3
			ys := []int{xs[0], m, outSp[0], outSp[1]}
			in0 := append([]*Tensor(nil), in...)
			if blk {
				if c%cvBlk == 0 && it%2 == 0 {
					p.XLayout = BlkLayout{true, pads[0] + rl.Intn(2), pads[1] + rl.Intn(2), pads[2] + rl.Intn(2), pads[3] + rl.Intn(2)}
					in[0] = cvtToBlocked(t, in[0], p.XLayout)
				}
				p.YLayout = BlkLayout{true, rl.Intn(3), rl.Intn(3), rl.Intn(3), rl.Intn(3)}
				if zs != nil {
					p.ZLayout = p.YLayout
					in[3] = cvtToBlocked(t, in[3], p.ZLayout)
				}
				// The output's storage starts as NaNs: every value the kernel leaves is wrong.
				y = New(Float32, ys...)
				hb, wb := p.YLayout.dims(ys[2], ys[3])
				y.Buf.Grow((ys[0]*m*hb*wb + 37) * 4)
				for i, all := 0, unsafe.Slice((*float32)(unsafe.Pointer(&y.Buf.words[0])), len(y.Buf.words)*2); i < len(all); i++ {
					all[i] = float32(math.NaN())
				}
			}
			budget2, order := cvBlkTileBudget, cvBlkOrder
			err = ConvBlocked(x, p, []*Tensor{y}, append(in, packed))
			cvBlkTileBudget, cvBlkOrder = budget, 0
			if err != nil {
				t.Fatal(err)
			}
			got := Data[float32](y)
			if blk {
				got = cvtFromBlocked(t, y, p.YLayout)
				// The layouts change where values are, not how they are summed: the same
				// convolution in NCHW gives the same bits.
				q := *p
				q.XLayout, q.YLayout, q.ZLayout = BlkLayout{}, BlkLayout{}, BlkLayout{}
				cvBlkTileBudget, cvBlkOrder = budget2, order
				y2 := New(Float32)
				if err := ConvBlocked(x, &q, []*Tensor{y2}, append(in0, packed)); err != nil {
					t.Fatal(err)
				}
				cvBlkTileBudget, cvBlkOrder = budget, 0
				for i, v := range Data[float32](y2) {
					if math.Float32bits(v) != math.Float32bits(got[i]) {
						t.Fatalf("fast %v case %d, layouts %+v %+v: element %d = %v, %v in NCHW", fast, it, p.XLayout, p.YLayout, i, got[i], v)
					}
				}
			}
			cvtActZ(want, zs, name, prm)
			gmClose(t, fmt.Sprintf("fast %v case %d: x %v w %v strides %v dil %v pads %v act %q bias %v z %v layouts %+v %+v", fast, it, xs, ws, st, dil, pads, name, bs != nil, zs != nil, p.XLayout, p.YLayout), got, want, 1e-5)
		}
	}
}

// cvtToBlocked returns a tensor of t's shape whose storage holds t in layout l, the border zero
// and the storage past it NaN.
func cvtToBlocked(t testing.TB, src *Tensor, l BlkLayout) *Tensor {
	d := New(Float32)
	d.Resize(Float32, src.Shape...)
	n, c, h, w := src.Shape[0], src.Shape[1], src.Shape[2], src.Shape[3]
	hb, wb := l.dims(h, w)
	d.Buf.Grow((n*c*hb*wb + 37) * 4)
	all := unsafe.Slice((*float32)(unsafe.Pointer(&d.Buf.words[0])), len(d.Buf.words)*2)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	b, err := blkStorage(d, l, n, c, h, w, false)
	if err != nil {
		t.Fatal(err)
	}
	blkFromNCHW(b, Data[float32](src), l, n, c, h, w)
	l.clearBorder(b, h, w)
	return d
}

// cvtFromBlocked returns t's values (stored in layout l) in NCHW order, after checking that
// the border is zero.
func cvtFromBlocked(t testing.TB, src *Tensor, l BlkLayout) []float32 {
	n, c, h, w := src.Shape[0], src.Shape[1], src.Shape[2], src.Shape[3]
	b, err := blkStorage(src, l, n, c, h, w, false)
	if err != nil {
		t.Fatal(err)
	}
	cleared := append([]float32(nil), b...)
	l.clearBorder(cleared, h, w)
	for i := range b {
		if math.Float32bits(b[i]) != math.Float32bits(cleared[i]) {
			t.Fatalf("layout %+v of %v: border value %d is %v, not 0", l, src.Shape, i, b[i])
		}
	}
	d := make([]float32, n*c*h*w)
	blkToNCHW(d, b, l, n, c, h, w)
	return d
}

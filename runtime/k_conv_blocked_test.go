package runtime

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestConvBlocked runs ConvBlocked on random kernels, strides, dilations, pads, channel counts
// (multiples of 16, so that tiles of fewer than cvBlkNB blocks occur, and input channels below 16) and sizes (so that the
// last chunk of pixels is short), with and without bias, summand Z and activations, on one and
// two threads, in one pass over the taps or several, with the items in either order, against the reference convolution: with the micro-kernels where the CPU has them
// and with the GEMM they fall back to.
func TestConvBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(26))
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
			err = ConvBlocked(x, p, []*Tensor{y}, append(in, packed))
			cvBlkTileBudget, cvBlkOrder = budget, 0
			if err != nil {
				t.Fatal(err)
			}
			cvtActZ(want, zs, name, prm)
			gmClose(t, fmt.Sprintf("fast %v case %d: x %v w %v strides %v dil %v pads %v act %q bias %v z %v", fast, it, xs, ws, st, dil, pads, name, bs != nil, zs != nil), Data[float32](y), want, 1e-5)
		}
	}
}

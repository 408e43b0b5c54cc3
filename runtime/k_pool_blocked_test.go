package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestMaxPoolBlocked compares MaxPoolBlocked with Pooling (max, the reference) bit for bit on
// random windows, strides, dilations, pads and borders of the blocked layouts, with NaNs,
// infinities and windows of NaNs in the input, on the AVX-512 routine (where the CPU has it) and
// the dwMaxRow path (AVX-512, AVX2 or Go, whichever the build and CPU run), one and two threads.
func TestMaxPoolBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(41))
	pool := NewPool(2)
	defer pool.Close()
	defer func() { plBlkOff = false }()
	for _, fast := range []bool{true, false} {
		plBlkOff = !fast
		for it := 0; it < 150; it++ {
			c := cvBlk * (1 + r.Intn(3))
			k := []int{1 + r.Intn(4), 1 + r.Intn(4)}
			st := []int{1 + r.Intn(3), 1 + r.Intn(3)}
			dil := []int{1 + r.Intn(2), 1 + r.Intn(2)}
			pads := []int{r.Intn(k[0]), r.Intn(k[1]), r.Intn(k[0]), r.Intn(k[1])}
			xs := []int{1 + r.Intn(2), c, 1 + r.Intn(14), 1 + r.Intn(20)}
			var outSp []int
			for i := 0; i < 2; i++ {
				o, _, _, err := WindowDim(xs[2+i], k[i], st[i], dil[i], pads[i], pads[2+i], "NOTSET", false)
				if err != nil || o < 1 {
					break
				}
				outSp = append(outSp, o)
			}
			if len(outSp) < 2 {
				continue
			}
			X := cvtTensor(r, nil, xs...)
			xd := Data[float32](X)
			for i := range xd {
				switch r.Intn(40) {
				case 0:
					xd[i] = float32(math.NaN())
				case 1:
					xd[i] = float32(math.Inf(-1))
				case 2:
					xd[i] = float32(math.Inf(1))
				}
			}
			if it%5 == 0 {
				// A plane of NaNs: every window in it is all NaN.
				p := r.Intn(xs[0] * c)
				for i := p * xs[2] * xs[3]; i < (p+1)*xs[2]*xs[3]; i++ {
					xd[i] = float32(math.NaN())
				}
			}
			ref := New(Float32)
			if err := Pooling(NewExec(nil), &PoolParams{Mode: PoolMax, KernelShape: k, Strides: st, Pads: pads, Dilations: dil, AutoPad: "NOTSET"}, []*Tensor{ref}, []*Tensor{X}); err != nil {
				t.Fatal(err)
			}
			p := &MaxPoolBlockedParams{C: c, In: xs[2:], Out: outSp, Kernel: k, Strides: st, Dilations: dil, Pads: pads,
				XLayout: BlkLayout{true, r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)},
				YLayout: BlkLayout{true, r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)}}
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			Y := New(Float32)
			if err := MaxPoolBlocked(x, p, []*Tensor{Y}, []*Tensor{cvtToBlocked(t, X, p.XLayout)}); err != nil {
				t.Fatal(err)
			}
			got, want := cvtFromBlocked(t, Y, p.YLayout), Data[float32](ref)
			what := fmt.Sprintf("fast %v case %d: x %v k %v strides %v dil %v pads %v", fast, it, xs, k, st, dil, pads)
			if len(got) != len(want) {
				t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGlobalAvgPoolBlocked compares GlobalAvgPoolBlocked on random sizes, channel counts and
// borders, on one and two threads, with global average Pooling of the same values in NCHW.
func TestGlobalAvgPoolBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	pool := NewPool(2)
	defer pool.Close()
	for it := 0; it < 60; it++ {
		xs := []int{1 + r.Intn(3), cvBlk * (1 + r.Intn(4)), 1 + r.Intn(15), 1 + r.Intn(15)}
		X := cvtTensor(r, nil, xs...)
		if it%10 == 3 {
			Data[float32](X)[r.Intn(X.Len())] = float32(math.NaN())
		}
		want := New(Float32)
		if err := Pooling(NewExec(nil), &PoolParams{Mode: PoolAvg, Global: true}, []*Tensor{want}, []*Tensor{X}); err != nil {
			t.Fatal(err)
		}
		p := &GlobalAvgPoolBlockedParams{C: xs[1], In: xs[2:], XLayout: BlkLayout{true, r.Intn(3), r.Intn(3), r.Intn(3), r.Intn(3)}}
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		got := New(Float32)
		if err := GlobalAvgPoolBlocked(x, p, []*Tensor{got}, []*Tensor{cvtToBlocked(t, X, p.XLayout)}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
			t.Fatalf("case %d: shape %v, want %v", it, got.Shape, want.Shape)
		}
		gmClose(t, fmt.Sprintf("case %d: x %v layout %+v", it, xs, p.XLayout), Data[float32](got), Data[float32](want), 1e-6)
	}
}

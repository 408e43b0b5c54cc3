package runtime

import (
	"fmt"
	"math/rand"
	"testing"
)

// qcReference is DynQuantConv computed the plain way: X quantized by the DynamicQuantizeLinear
// kernel (each pixel's channels on their own when perRow, for a pointwise convolution), an
// int64 sum per output over the window by the weights plus their offsets (padding contributes
// nothing), the epilogue in float64, then Z and the activation.
func qcReference(t *testing.T, p *ConvParams, X, W *Tensor, off []int32, scale, bias, z []float32, act activation, perRow bool) []float32 {
	x := NewExec(nil)
	quantize := func(X *Tensor) ([]uint8, float64, int64) {
		outs := []*Tensor{New(Uint8), New(Float32), New(Uint8)}
		if err := DynamicQuantizeLinear(x, nil, outs, []*Tensor{X}); err != nil {
			t.Fatal(err)
		}
		return Data[uint8](outs[0]), float64(Data[float32](outs[1])[0]), int64(Data[uint8](outs[2])[0])
	}
	q, sa, zp := quantize(X)
	w, n, c, m, _, err := cvConvGeom(p, X.Shape, W.Shape)
	if err != nil {
		t.Fatal(err)
	}
	// Per pixel: pixel i of image img quantized with scales[img][i], zero points zps[img][i].
	iv0 := w.inVol()
	pixScale, pixZP := make([]float64, n*iv0), make([]int64, n*iv0)
	if perRow {
		xs := Data[float32](X)
		for img := 0; img < n; img++ {
			for i := 0; i < iv0; i++ {
				px := make([]float32, c)
				for ch := range px {
					px[ch] = xs[(img*c+ch)*iv0+i]
				}
				pq, ps, pz := quantize(FromFloat32([]int{c}, px))
				for ch := range px {
					q[(img*c+ch)*iv0+i] = pq[ch]
				}
				pixScale[img*iv0+i], pixZP[img*iv0+i] = ps, pz
			}
		}
	}
	ws := Data[int8](W)
	ov, iv, kv := w.outVol(), w.inVol(), w.kVol()
	y := make([]float32, n*m*ov)
	for img := 0; img < n; img++ {
		for j := 0; j < m; j++ {
			row := y[(img*m+j)*ov : (img*m+j+1)*ov]
			for i := range row {
				oz, oy, ox := i/(w.out[1]*w.out[2]), i/w.out[2]%w.out[1], i%w.out[2]
				sa, zp := sa, zp
				if perRow { // pointwise: output pixel i reads input pixel i
					sa, zp = pixScale[img*iv0+i], pixZP[img*iv0+i]
				}
				var s int64
				for ch := 0; ch < c; ch++ {
					for t := 0; t < kv; t++ {
						kz, ky, kx := t/(w.k[1]*w.k[2]), t/w.k[2]%w.k[1], t%w.k[2]
						iz, iy, ix := oz*w.s[0]+kz*w.d[0]-w.pb[0], oy*w.s[1]+ky*w.d[1]-w.pb[1], ox*w.s[2]+kx*w.d[2]-w.pb[2]
						if iz < 0 || iz >= w.in[0] || iy < 0 || iy >= w.in[1] || ix < 0 || ix >= w.in[2] {
							continue
						}
						xv := int64(q[(img*c+ch)*iv+(iz*w.in[1]+iy)*w.in[2]+ix]) - zp
						s += xv * (int64(ws[(j*c+ch)*kv+t]) + qgOffAt(off, j))
					}
				}
				v := float32(float64(s)*sa*float64(scale[j%len(scale)]) + float64(bias[j]))
				if z != nil {
					v += z[(img*m+j)*ov+i]
				}
				row[i] = v
			}
			actRun(&act, row)
		}
	}
	return y
}

func TestDynQuantConv(t *testing.T) { qgEachPath(t, testDynQuantConv) }

func testDynQuantConv(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	pool := NewPool(3)
	defer pool.Close()
	for it, tc := range []struct {
		x, w                []int
		strides, pads, dils []int
	}{
		{x: []int{1, 8, 5, 7}, w: []int{16, 8, 1, 1}},                                                    // pointwise
		{x: []int{2, 19, 9, 11}, w: []int{40, 19, 1, 1}},                                                 // pointwise, odd sizes, two images
		{x: []int{1, 3, 12, 13}, w: []int{33, 3, 3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},   // stem conv
		{x: []int{1, 16, 10, 10}, w: []int{24, 16, 3, 3}, pads: []int{1, 1, 1, 1}},                       // 3x3 same
		{x: []int{1, 12, 9, 30}, w: []int{70, 12, 3, 3}, pads: []int{2, 2, 2, 2}, dils: []int{2, 2}},     // dilated, more than one tile
		{x: []int{1, 24, 6, 40}, w: []int{8, 24, 1, 1}, strides: []int{2, 1}},                            // strided pointwise
		{x: []int{1, 5, 17}, w: []int{9, 5, 3}, pads: []int{1, 0}},                                       // 1-D, uneven pads
		{x: []int{1, 64, 40, 48}, w: []int{96, 64, 1, 1}},                                                // several chunks
		{x: []int{1, 32, 30, 31}, w: []int{20, 32, 5, 5}, strides: []int{1, 2}, pads: []int{2, 2, 2, 2}}, // 5x5, deep K
	} {
		X := FromFloat32(tc.x, gmRand(r, NumElems(tc.x)))
		if it%3 == 1 {
			for i, v := range Data[float32](X) { // positive inputs: zero point 0
				Data[float32](X)[i] = v*v + 0.1
			}
		}
		W := New(Int8, tc.w...)
		lim := 127
		if it%2 == 1 {
			lim = 64
		}
		copy(Data[int8](W), qgRandW(r, W.Len(), lim))
		m := tc.w[0]
		k := W.Len() / m
		scale := []float32{0.02}
		if it%2 == 0 {
			scale = gmRand(r, m)
		}
		bias := gmRand(r, m)
		p := &DynQuantConvParams{ConvParams: ConvParams{Strides: tc.strides, Pads: tc.pads, Dilations: tc.dils}, K: k, M: m}
		if it%4 != 3 { // uint8 weights with zero points, stored shifted
			copy(Data[int8](W), qgRandW(r, W.Len(), 127))
			p.WOffset = qgRandOff(r, 1+(m-1)*(it%2))
		}
		if it%4 == 2 {
			p.Activation = ActRelu
		}
		act, _ := newActivation(p.Activation, 0, 0)
		packed, err := PackQGemmOperand(W, k, m, true)
		if err != nil {
			t.Fatal(err)
		}
		in := []*Tensor{X, W, FromFloat32([]int{len(scale)}, scale), FromFloat32([]int{m}, bias)}
		var z []float32
		if it%3 == 2 {
			w, _, _, _, _, _ := cvConvGeom(&p.ConvParams, tc.x, tc.w)
			ys := w.outShape(tc.x[0], m)
			z = gmRand(r, NumElems(ys[:len(tc.x)]))
			in = append(in, FromFloat32(ys[:len(tc.x)], z))
		}
		for _, perRow := range []bool{false, true} {
			pr := *p
			pr.PerRow = perRow
			pointwise := true
			for i, d := range tc.w[2:] {
				pointwise = pointwise && d == 1 && (tc.strides == nil || tc.strides[i] == 1) && tc.pads == nil
			}
			if perRow && !pointwise {
				if err := DynQuantConv(NewExec(nil), &pr, []*Tensor{New(Float32)}, append(in, packed)); err == nil {
					t.Errorf("case %d: per-pixel quantization of a %v kernel ran", it, tc.w)
				}
				continue
			}
			want := qcReference(t, &p.ConvParams, X, W, p.WOffset, scale, bias, z, act, perRow)
			for _, x := range []*Exec{NewExec(nil), NewExec(pool)} {
				Y := New(Float32)
				if err := DynQuantConv(x, &pr, []*Tensor{Y}, append(in, packed)); err != nil {
					t.Fatal(err)
				}
				gmClose(t, fmt.Sprintf("case %d: X %v W %v offsets %d per pixel %v", it, tc.x, tc.w, len(p.WOffset), perRow), Data[float32](Y), want, 1e-5)
			}
		}
	}
}

// TestQcPanels checks the im2col packing against the layout qgQuantizeRows writes.
func TestQcPanels(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, tc := range []struct{ r, k, ld int }{{8, 4, 8}, {5, 3, 9}, {16, 13, 21}, {3, 1, 3}, {24, 37, 24}} {
		src := make([]byte, tc.k*tc.ld)
		r.Read(src)
		kp := qgRound(tc.k, 4)
		got := make([]byte, qgRound(tc.r, qgMR)*kp)
		for i := range got {
			got[i] = 0xee // stale bytes the packing must overwrite
		}
		qcPanels(got, src, tc.ld, tc.r, tc.k, kp)
		for i := 0; i < qgRound(tc.r, qgMR); i++ {
			for p := 0; p < kp; p++ {
				var want byte
				if i < tc.r && p < tc.k {
					want = src[p*tc.ld+i]
				}
				if g := got[(i/qgMR)*kp*qgMR+(p/4)*4*qgMR+(i%qgMR)*4+p%4]; g != want {
					t.Fatalf("%+v: row %d depth %d = %d, want %d", tc, i, p, g, want)
				}
			}
		}
	}
}

// TestQcTranspose checks the transposed copy of an r x m product into NCHW rows over block
// edges (r and m not multiples of 8).
func TestQcTranspose(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, tc := range []struct{ r, m, ld int }{{8, 8, 8}, {16, 24, 20}, {13, 11, 17}, {5, 3, 5}, {40, 17, 41}} {
		src := make([]float32, tc.r*tc.m)
		for i := range src {
			src[i] = r.Float32()
		}
		dst := make([]float32, tc.m*tc.ld)
		qcTranspose(dst, tc.ld, src, tc.m, tc.r)
		for ch := 0; ch < tc.m; ch++ {
			for q := 0; q < tc.ld; q++ {
				want := float32(0)
				if q < tc.r {
					want = src[q*tc.m+ch]
				}
				if dst[ch*tc.ld+q] != want {
					t.Fatalf("%+v: channel %d pixel %d = %v, want %v", tc, ch, q, dst[ch*tc.ld+q], want)
				}
			}
		}
	}
}

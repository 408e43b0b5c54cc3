package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func gmRand(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// gmNaive is the reference: C (+)= alpha*op(A)*op(B) in float64. It also returns, per element
// of C, the sum of the magnitudes of the terms, which bounds the float32 rounding error.
func gmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) []float64 {
	mag := make([]float64, len(c))
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if transA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if transB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
				mag[i*ldc+j] += math.Abs(float64(av)*float64(bv)) * math.Abs(float64(alpha))
			}
			s *= float64(alpha)
			if acc {
				s += float64(c[i*ldc+j])
				mag[i*ldc+j] += math.Abs(float64(c[i*ldc+j]))
			}
			c[i*ldc+j] = float32(s)
		}
	}
	return mag
}

func gmClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, g, w)
		}
	}
}

var gmPathNames = map[int]string{gemmPathGo: "go", gemmPathAVX2: "avx2", gemmPathAVX512: "avx512"}

// gmEachPath runs f with sgemmPath forced to each kernel family the CPU supports.
func gmEachPath(t *testing.T, f func(t *testing.T)) {
	defer func() { sgemmPath = sgemmBestPath }()
	for path := gemmPathGo; path <= sgemmBestPath; path++ {
		sgemmPath = path
		t.Run(gmPathNames[path], f)
	}
}

func TestSgemm(t *testing.T) {
	gmEachPath(t, testSgemm)
}

func testSgemm(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pool := NewPool(3)
	defer pool.Close()
	for it := 0; it < 200; it++ {
		m, n, k := 1+r.Intn(70), 1+r.Intn(70), r.Intn(40)
		if it%10 == 0 {
			m, n, k = 1+r.Intn(300), 1+r.Intn(700), 1+r.Intn(600)
		}
		if it%17 == 0 {
			k = 1
		}
		transA, transB, acc := r.Intn(2) == 0, r.Intn(2) == 0, r.Intn(2) == 0
		alpha := float32(1)
		if r.Intn(3) == 0 {
			alpha = r.Float32()*4 - 2
		}
		lda, ldb := k+r.Intn(3), n+r.Intn(3)
		if transA {
			lda = m + r.Intn(3)
		}
		if transB {
			ldb = k + r.Intn(3)
		}
		ldc := n + r.Intn(3)
		a := gmRand(r, max(m, k)*lda+1)
		b := gmRand(r, max(n, k)*ldb+1)
		c := gmRand(r, m*ldc)
		want := append([]float32(nil), c...)
		mag := gmNaive(transA, transB, m, n, k, alpha, a, lda, b, ldb, want, ldc, acc)
		var x *Exec
		if it%2 == 1 {
			x = NewExec(pool)
		} else {
			x = NewExec(nil)
		}
		sgemm(x, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, acc)
		// Padding between rows of C must be untouched; compare whole rows, pads included. The
		// error allowed is relative to the magnitude of the terms summed (float32 rounding
		// depends on the order of the sums, which FMA builds change).
		for i := range c {
			if d := math.Abs(float64(c[i]) - float64(want[i])); d > 1e-6+2e-6*mag[i] {
				t.Fatalf("sgemm %dx%dx%d transA %v transB %v: element %d = %v, want %v", m, n, k, transA, transB, i, c[i], want[i])
			}
		}
	}
}

// sgemmBlock must compute every element of blocks of any size from packed panels (at any
// panel stride), and write nothing outside them.
func TestSgemmBlock(t *testing.T) {
	gmEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(3))
		sizes := []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 24, 31, 32, 33, 40, 50}
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 9, 64} {
			for _, mc := range sizes {
				for _, nc := range sizes {
					for _, store := range []bool{true, false} {
						rp, cp := (mc+gemmPM-1)/gemmPM, (nc+gemmPN-1)/gemmPN
						// Panels a few elements more than kc steps apart, as prepacked ones are.
						aps, bps := kc*gemmPM+gemmPM*r.Intn(2), kc*gemmPN+gemmPN*r.Intn(2)
						pa, pb := gmRand(r, rp*aps), gmRand(r, cp*bps)
						ldc := nc + 3
						c0 := gmRand(r, mc*ldc+ldc)
						got := append([]float32(nil), c0...)
						sgemmBlock(kc, mc, nc, pa, aps, pb, bps, got, ldc, store, make([]float32, gemmTmp), nil, 0, 0, 0)
						for i := 0; i < mc+1; i++ {
							for j := 0; j < ldc; j++ {
								e := i*ldc + j
								if i >= mc || j >= nc {
									if got[e] != c0[e] {
										t.Fatalf("kc %d mc %d nc %d: wrote (%d, %d) outside the block", kc, mc, nc, i, j)
									}
									continue
								}
								want := 0.0
								if !store {
									want = float64(c0[e])
								}
								for p := 0; p < kc; p++ {
									want += float64(pa[i/gemmPM*aps+p*gemmPM+i%gemmPM]) * float64(pb[j/gemmPN*bps+p*gemmPN+j%gemmPN])
								}
								if math.Abs(float64(got[e])-want) > 1e-5*float64(kc+1) {
									t.Fatalf("kc %d mc %d nc %d store %v: (%d, %d) = %g, want %g", kc, mc, nc, store, i, j, got[e], want)
								}
							}
						}
					}
				}
			}
		}
	})
}

// gmRef computes job j's result the slow way: C[b] = (acc ? C[b] : 0) + alpha*A[b]*B[b] in
// float64, with A and B read through their views (B[b] given by bAt when im2col is set).
func gmRef(j *sgemmJob, bAt func(b, p, q int) float32) []float32 {
	c := append([]float32(nil), j.c.data...)
	for b := 0; b < j.batches; b++ {
		ao, bo, co := j.a.off(b), j.b.off(b), j.c.off(b)
		for i := 0; i < j.m; i++ {
			for q := 0; q < j.n; q++ {
				s := 0.0
				for p := 0; p < j.k; p++ {
					var bv float32
					if bAt != nil {
						bv = bAt(b, p, q)
					} else {
						bv = j.b.data[bo+p*j.b.rs+q*j.b.cs]
					}
					s += float64(j.a.data[ao+i*j.a.rs+p*j.a.cs]) * float64(bv)
				}
				s *= float64(j.alpha)
				if j.acc {
					s += float64(c[co+i*j.c.rs+q])
				}
				c[co+i*j.c.rs+q] = float32(s)
			}
		}
	}
	return c
}

func gmCheck(t *testing.T, what string, got, want []float32, k int) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > 1e-5*float64(k+1)*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// Batched jobs with strided views: groups sharing A (withMod), B transposed, C rows padded.
func TestSgemmBatched(t *testing.T) {
	gmEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(5))
		pool := NewPool(2)
		defer pool.Close()
		for it := 0; it < 40; it++ {
			m, n, k := 1+r.Intn(40), 1+r.Intn(80), 1+r.Intn(300)
			groups, batches := 1+r.Intn(3), 1+r.Intn(5)
			batches *= groups
			ldc := n + r.Intn(3)
			j := sgemmJob{m: m, n: n, k: k, batches: batches, alpha: 1, acc: r.Intn(2) == 0}
			if r.Intn(3) == 0 {
				j.alpha = r.Float32()*2 - 1
			}
			j.a = gemmView(gmRand(r, groups*m*k), k, 1, 0).withMod(groups, m*k)
			if r.Intn(2) == 0 {
				j.b = gemmView(gmRand(r, batches*k*n), 1, k, k*n) // transposed
			} else {
				j.b = gemmView(gmRand(r, batches*k*n), n, 1, k*n)
			}
			j.c = gemmView(gmRand(r, batches*m*ldc), ldc, 1, m*ldc)
			want := gmRef(&j, nil)
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			j.run(x)
			gmCheck(t, fmt.Sprintf("batched %dx%dx%d groups %d batches %d", m, n, k, groups, batches), j.c.data, want, k)
		}
	})
}

// A prepacked A or B (or both) gives what the unpacked job gives.
func TestSgemmPrepacked(t *testing.T) {
	gmEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(9))
		pool := NewPool(2)
		defer pool.Close()
		for it := 0; it < 60; it++ {
			m, n, k := 1+r.Intn(50), 1+r.Intn(90), 1+r.Intn(600)
			if it%7 == 0 {
				k = 1
			}
			groups := 1 + r.Intn(3)
			batches := groups * (1 + r.Intn(2))
			transB := r.Intn(2) == 0
			wa, wb := gmRand(r, groups*m*k), gmRand(r, groups*k*n)
			j := sgemmJob{m: m, n: n, k: k, batches: batches, alpha: 1, acc: r.Intn(2) == 0}
			j.a = gemmView(wa, k, 1, 0).withMod(groups, m*k)
			j.b = gemmView(wb, n, 1, 0).withMod(groups, k*n)
			if transB {
				j.b.rs, j.b.cs = 1, k
			}
			j.c = gemmView(gmRand(r, batches*m*n), n, 1, m*n)
			which := it % 3 // 0: A, 1: B, 2: both
			if which < 2 && r.Intn(2) == 0 {
				j.alpha = r.Float32()*2 - 1
			}
			c0 := append([]float32(nil), j.c.data...)
			unpacked := j
			unpacked.c.data = append([]float32(nil), c0...)
			unpacked.run(NewExec(nil))
			if which != 1 {
				j.packA = gemmPacked{data: PackGemmA(wa, groups, m, k), mod: groups}
				j.a = gemmMat{}
			}
			if which != 0 {
				j.packB = gemmPacked{data: PackGemmB(wb, groups, k, n, transB), mod: groups}
				j.b = gemmMat{}
			}
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			j.run(x)
			gmCheck(t, fmt.Sprintf("prepacked(%d) %dx%dx%d groups %d", which, m, n, k, groups), j.c.data, unpacked.c.data, 0)
		}
	})
}

// The fused epilogue equals the product followed by separate passes.
func TestSgemmEpilogue(t *testing.T) {
	acts := []activation{{}, {kind: actRelu}, {kind: actTanh}, {kind: actSigmoid}, {kind: actLeakyRelu, a: 0.1},
		{kind: actClip, a: -0.5, b: 0.5}, {kind: actHardSigmoid, a: 0.2, b: 0.5}, {kind: actHardSwish, a: 1.0 / 6, b: 0.5}, {kind: actGelu}}
	gmEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(11))
		pool := NewPool(2)
		defer pool.Close()
		for it := 0; it < 80; it++ {
			m, n, k := 1+r.Intn(40), 1+r.Intn(90), 1+r.Intn(400)
			if it%9 == 0 {
				k = 0
			}
			groups := 1 + r.Intn(2)
			batches := groups * (1 + r.Intn(2))
			ldc := n + r.Intn(2)
			j := sgemmJob{m: m, n: n, k: k, batches: batches, alpha: 1, acc: r.Intn(3) == 0}
			j.a = gemmView(gmRand(r, groups*m*k), k, 1, 0).withMod(groups, m*k)
			j.b = gemmView(gmRand(r, batches*k*n), n, 1, k*n)
			j.c = gemmView(gmRand(r, batches*m*ldc), ldc, 1, m*ldc)
			var ep gemmEpilogue
			if r.Intn(2) == 0 {
				ep.rowBias, ep.rowMod, ep.rowStride = gmRand(r, groups*m), groups, m
			}
			if r.Intn(2) == 0 {
				ep.colBias = gmRand(r, n)
			}
			if r.Intn(2) == 0 {
				ep.res = gemmView(gmRand(r, batches*m*n), n, 1, m*n)
			}
			ep.act = acts[r.Intn(len(acts))]
			// Unfused: the product, then each term in a pass of its own.
			want := gmRef(&j, nil)
			for b := 0; b < batches; b++ {
				for i := 0; i < m; i++ {
					row := want[j.c.off(b)+i*ldc : j.c.off(b)+i*ldc+n]
					for q := range row {
						if ep.rowBias != nil {
							row[q] += ep.rowBias[b%groups*m+i]
						}
						if ep.colBias != nil {
							row[q] += ep.colBias[q]
						}
						if ep.res.data != nil {
							row[q] += ep.res.data[ep.res.off(b)+i*n+q]
						}
					}
					actRun(&ep.act, row)
				}
			}
			j.ep = ep
			x := NewExec(nil)
			if it%2 == 1 {
				x = NewExec(pool)
			}
			j.run(x)
			gmCheck(t, fmt.Sprintf("epilogue %dx%dx%d act %d", m, n, k, ep.act.kind), j.c.data, want, k)
		}
	})
}

// Conv's im2col path (B packed from the image per tile, then widened) on every kernel family,
// against a direct convolution.
func TestSgemmIm2col(t *testing.T) {
	gmEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(13))
		for it := 0; it < 25; it++ {
			n, g := 1+r.Intn(2), 1+r.Intn(2)
			cg, mg := 1+r.Intn(4), 1+r.Intn(20)
			if cg == 1 {
				cg = 2 // cg 1 is the depthwise path
			}
			kh, kw := 1+r.Intn(3), 1+r.Intn(4)
			H, W := kh+r.Intn(12), kw+r.Intn(40)
			s, pd := 1+r.Intn(2), r.Intn(2)
			p := &ConvParams{KernelShape: []int{kh, kw}, Strides: []int{s, s}, Pads: []int{pd, pd, pd, pd}, Group: g}
			X := New(Float32, n, g*cg, H, W)
			copy(Data[float32](X), gmRand(r, X.Len()))
			Wt := New(Float32, g*mg, cg, kh, kw)
			copy(Data[float32](Wt), gmRand(r, Wt.Len()))
			Y := &Tensor{Buf: &Buffer{}}
			if err := Conv(NewExec(nil), p, []*Tensor{Y}, []*Tensor{X, Wt}); err != nil {
				t.Fatal(err)
			}
			OH, OW := (H+2*pd-kh)/s+1, (W+2*pd-kw)/s+1
			xs, ws := Data[float32](X), Data[float32](Wt)
			want := make([]float32, n*g*mg*OH*OW)
			for b := 0; b < n; b++ {
				for o := 0; o < g*mg; o++ {
					gi := o / mg
					for oy := 0; oy < OH; oy++ {
						for ox := 0; ox < OW; ox++ {
							sum := 0.0
							for c := 0; c < cg; c++ {
								for ky := 0; ky < kh; ky++ {
									for kx := 0; kx < kw; kx++ {
										iy, ix := oy*s-pd+ky, ox*s-pd+kx
										if iy < 0 || iy >= H || ix < 0 || ix >= W {
											continue
										}
										sum += float64(xs[((b*g*cg+gi*cg+c)*H+iy)*W+ix]) * float64(ws[((o*cg+c)*kh+ky)*kw+kx])
									}
								}
							}
							want[((b*g*mg+o)*OH+oy)*OW+ox] = float32(sum)
						}
					}
				}
			}
			gmCheck(t, fmt.Sprintf("conv %v", p), Data[float32](Y), want, cg*kh*kw)
		}
	})
}

func BenchmarkSgemm512(b *testing.B) {
	gmBenchSgemm(b, 512)
}

func BenchmarkSgemm1024(b *testing.B) {
	gmBenchSgemm(b, 1024)
}

func gmBenchSgemm(b *testing.B, n int) {
	r := rand.New(rand.NewSource(1))
	a, bb, c := gmRand(r, n*n), gmRand(r, n*n), make([]float32, n*n)
	packed := PackGemmB(bb, 1, n, n, false)
	for _, threads := range []int{1, 2} {
		for _, pre := range []bool{false, true} {
			name := fmt.Sprintf("threads=%d", threads)
			if pre {
				name += "/prepackedB"
			}
			b.Run(name, func(b *testing.B) {
				pool := NewPool(threads)
				defer pool.Close()
				x := NewExec(pool)
				for i := 0; i < b.N; i++ {
					j := sgemmJob{m: n, n: n, k: n, batches: 1, alpha: 1, c: gemmView(c, n, 1, 0)}
					j.a = gemmView(a, n, 1, 0)
					if pre {
						j.packB = gemmPacked{data: packed}
					} else {
						j.b = gemmView(bb, n, 1, 0)
					}
					j.run(x)
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmEpilogue compares a Conv-shaped product (64 channels, 56x56 positions, 3x3x64
// taps) with bias and Relu fused into the store against the bias filled in first and Relu run
// as a pass of its own, at one thread.
func BenchmarkSgemmEpilogue(b *testing.B) {
	const m, n, k = 64, 56 * 56, 3 * 3 * 64
	r := rand.New(rand.NewSource(1))
	a, bb, c, bias := gmRand(r, m*k), gmRand(r, k*n), make([]float32, m*n), gmRand(r, m)
	relu := activation{kind: actRelu}
	for _, fused := range []bool{false, true} {
		b.Run(map[bool]string{false: "separate", true: "fused"}[fused], func(b *testing.B) {
			x := NewExec(nil)
			for i := 0; i < b.N; i++ {
				j := sgemmJob{m: m, n: n, k: k, batches: 1, alpha: 1, c: gemmView(c, n, 1, 0)}
				j.a, j.b = gemmView(a, k, 1, 0), gemmView(bb, n, 1, 0)
				if fused {
					j.ep = gemmEpilogue{rowBias: bias, act: relu}
					j.run(x)
					continue
				}
				for i := 0; i < m; i++ {
					fillF32(c[i*n:(i+1)*n], bias[i])
				}
				j.acc = true
				j.run(x)
				relu.apply(x, c, nil)
			}
			b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmSmallM runs the products of a d384 transformer encoder at 64 tokens: few rows
// against constant (prepacked) weights, where packing A and the split over threads matter more
// than for square products.
func BenchmarkSgemmSmallM(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, s := range [][3]int{{64, 384, 1152}, {64, 384, 1536}, {64, 1536, 384}} {
		m, k, n := s[0], s[1], s[2]
		a, c := gmRand(r, m*k), make([]float32, m*n)
		packed := PackGemmB(gmRand(r, k*n), 1, k, n, false)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", m, k, n, threads), func(b *testing.B) {
				pool := NewPool(threads)
				defer pool.Close()
				x := NewExec(pool)
				for i := 0; i < b.N; i++ {
					sgemmPackedB(x, false, m, n, k, 1, a, k, packed, c, n, false, gemmEpilogue{})
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmColdB runs a transformer's 64x384x1536 product against 12 sets of prepacked
// weights in turn (28 MB, as a 4-layer d384 encoder's), so that B comes from memory as it
// does in a model rather than from the caches.
func BenchmarkSgemmColdB(b *testing.B) {
	const m, k, n, sets = 64, 384, 1536, 12
	r := rand.New(rand.NewSource(1))
	a, c := gmRand(r, m*k), make([]float32, m*n)
	var packed [sets][]float32
	for i := range packed {
		packed[i] = PackGemmB(gmRand(r, k*n), 1, k, n, false)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			x := NewExec(pool)
			for i := 0; i < b.N; i++ {
				sgemmPackedB(x, false, m, n, k, 1, a, k, packed[i%sets], c, n, false, gemmEpilogue{})
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestGmPackPanel checks the A panel packing (in registers eight depth steps at a time where
// the CPU has AVX, the rest in Go) against its definition over depths around multiples of 8.
func TestGmPackPanel(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, kc := range []int{1, 7, 8, 9, 15, 16, 17, 31, 64, 255, 256} {
		for _, rs := range []int{kc, kc + 5} {
			for _, alpha := range []float32{1, 0.5} {
				src := gmRand(r, gemmPM*rs)
				d := make([]float32, gemmPM*kc+3)
				for i := range d {
					d[i] = -7
				}
				gmPackPanel(d, src, rs, kc, alpha)
				for p := 0; p < kc; p++ {
					for row := 0; row < gemmPM; row++ {
						if got, want := d[p*gemmPM+row], alpha*src[row*rs+p]; got != want {
							t.Fatalf("kc %d rs %d alpha %g: d[%d*12+%d] = %g, want %g", kc, rs, alpha, p, row, got, want)
						}
					}
				}
				for i := gemmPM * kc; i < len(d); i++ {
					if d[i] != -7 {
						t.Fatalf("kc %d rs %d: wrote past the panel at %d", kc, rs, i)
					}
				}
			}
		}
	}
}

// TestGmBalanceCols checks the tile widths chosen for the column splits of a transformer's
// products at two threads, and that no choice is slower than the halving's by its own measure.
func TestGmBalanceCols(t *testing.T) {
	for _, c := range []struct{ n, nc, threads, rowTiles, want int }{
		{1152, 128, 2, 1, 96}, // 9 tiles of 128 -> 12 of 96
		{1536, 128, 2, 1, 128},
		{384, 64, 2, 1, 64},
		{48, 48, 2, 1, 48},    // not whole double panels: left alone
		{1152, 128, 4, 1, 96}, // 3 tiles a thread of 3 double panels, not 3 of 4
	} {
		if got := gmBalanceCols(c.n, c.nc, c.threads, c.rowTiles); got != c.want {
			t.Errorf("gmBalanceCols(%d, %d, %d, %d) = %d, want %d", c.n, c.nc, c.threads, c.rowTiles, got, c.want)
		}
	}
	for n := 32; n <= 4096; n += 32 {
		for _, nc := range []int{64, 128, 256, 512} {
			for threads := 2; threads <= 8; threads++ {
				for rowTiles := 1; rowTiles <= 3; rowTiles++ {
					span := func(w int) int {
						tiles := rowTiles * ((n + w - 1) / w)
						return (tiles + threads - 1) / threads * ((min(w, n) + 31) / 32)
					}
					w := gmBalanceCols(n, nc, threads, rowTiles)
					if w%32 != 0 || w < nc/2 || w > nc || span(w) > span(nc) {
						t.Fatalf("gmBalanceCols(%d, %d, %d, %d) = %d (span %d, halving's %d)", n, nc, threads, rowTiles, w, span(w), span(nc))
					}
				}
			}
		}
	}
}

//go:build amd64 && !purego

package runtime

import (
	"math"
	"math/rand"
	"testing"
)

// The assembly kernel must agree with the Go kernel on every depth (the unrolled loop, the
// pairs after it and a last odd step), for both store and accumulate, with C rows apart by any
// stride, and must write nothing outside its 2x4 block.
func TestSgemmKernelAVX2(t *testing.T) {
	if !sgemmHasAVX2FMA {
		t.Skip("the CPU lacks AVX2 and FMA")
	}
	r := rand.New(rand.NewSource(7))
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 255, 256} {
		for _, ldc := range []int{4, 5, 9, 33} {
			for _, store := range []bool{true, false} {
				ap, bp := gmRand(r, gemmMR*kc), gmRand(r, gemmNR*kc)
				// The block sits inside a larger C with sentinels around it.
				c0 := gmRand(r, ldc*4+8)
				want := append([]float32(nil), c0...)
				got := append([]float32(nil), c0...)
				off := ldc + 2
				sgemmKernel2x4Go(kc, ap, bp, want[off:], ldc, store)
				sgemmKernel2x4(kc, ap, bp, got[off:], ldc, store)
				for i := range want {
					inBlock := (i-off >= 0 && i-off < 4) || (i-off-ldc >= 0 && i-off-ldc < 4)
					if !inBlock {
						if got[i] != c0[i] {
							t.Fatalf("kc %d ldc %d store %v: wrote element %d outside the block", kc, ldc, store, i)
						}
						continue
					}
					// Both sum kc products of magnitude < 1 in different orders.
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*float64(kc+1) {
						t.Fatalf("kc %d ldc %d store %v: element %d = %g, want %g", kc, ldc, store, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkSgemmKernel measures the micro-kernel alone on L1-resident panels, per build.
func BenchmarkSgemmKernel(b *testing.B) {
	const kc = 256
	r := rand.New(rand.NewSource(1))
	ap, bp, c := gmRand(r, gemmMR*kc), gmRand(r, gemmNR*kc), make([]float32, 2*gemmNR)
	for _, k := range []struct {
		name string
		fn   func(kc int, ap, bp, c []float32, ldc int, store bool)
	}{{"go", sgemmKernel2x4Go}, {"asm", sgemmKernel2x4}} {
		if k.name == "asm" && !sgemmHasAVX2FMA {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				k.fn(kc, ap, bp, c, gemmNR, false)
			}
			b.ReportMetric(2*gemmMR*gemmNR*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	if sgemmHasAVX2FMA {
		b.Run("asm6x16", func(b *testing.B) {
			ap, bp, c := gmRand(r, 3*gemmMR*kc), gmRand(r, 4*gemmNR*kc), make([]float32, 6*16)
			for i := 0; i < b.N; i++ {
				sgemmKernel6x16AVX2(kc, &ap[0], &bp[0], &c[0], 16, false)
			}
			b.ReportMetric(2*6*16*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmKernels runs sgemm 512^3 and the first conv of a 224x224 image (3 -> 64
// channels, 3x3) at one thread with the Go and the assembly kernel.
func BenchmarkSgemmKernels(b *testing.B) {
	saved := sgemmHasAVX2FMA
	defer func() { sgemmHasAVX2FMA = saved }()
	for _, useAsm := range []bool{false, true} {
		if useAsm && !saved {
			continue
		}
		name := map[bool]string{false: "go", true: "asm"}[useAsm]
		sgemmHasAVX2FMA = useAsm
		b.Run("sgemm512/"+name, func(b *testing.B) {
			const n = 512
			r := rand.New(rand.NewSource(1))
			a, bb, c := gmRand(r, n*n), gmRand(r, n*n), make([]float32, n*n)
			x := NewExec(nil)
			for i := 0; i < b.N; i++ {
				sgemm(x, false, false, n, n, n, 1, a, n, bb, n, c, n, false)
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("conv224x3to64/"+name, func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			X := New(Float32, 1, 3, 224, 224)
			copy(Data[float32](X), gmRand(r, X.Len()))
			W := New(Float32, 64, 3, 3, 3)
			copy(Data[float32](W), gmRand(r, W.Len()))
			Y := &Tensor{Buf: &Buffer{}}
			p := &ConvParams{Pads: []int{1, 1, 1, 1}}
			x := NewExec(nil)
			for i := 0; i < b.N; i++ {
				if err := Conv(x, p, []*Tensor{Y}, []*Tensor{X, W}); err != nil {
					b.Fatal(err)
				}
			}
			flops := 2.0 * 64 * 224 * 224 * 27
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// sgemmBlock (the 6x16 kernel over groups of panels, the 2x4 kernel on the rest) must compute
// every element of blocks of any size from the packed panels, and nothing outside them.
func TestSgemmBlockAVX2(t *testing.T) {
	if !sgemmHasAVX2FMA {
		t.Skip("the CPU lacks AVX2 and FMA")
	}
	r := rand.New(rand.NewSource(3))
	sizes := []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 31, 33, 40}
	for _, kc := range []int{1, 2, 7, 64} {
		for _, mc := range sizes {
			for _, nc := range sizes {
				for _, store := range []bool{true, false} {
					rp, cp := (mc+gemmMR-1)/gemmMR, (nc+gemmNR-1)/gemmNR
					pa, pb := gmRand(r, rp*gemmMR*kc), gmRand(r, cp*gemmNR*kc)
					ldc := nc + 3
					c0 := gmRand(r, mc*ldc+ldc)
					got := append([]float32(nil), c0...)
					sgemmBlock(kc, mc, nc, pa, pb, got, ldc, store, make([]float32, gemmMR*gemmNR))
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
								want += float64(pa[(i/gemmMR*kc+p)*gemmMR+i%gemmMR]) * float64(pb[(j/gemmNR*kc+p)*gemmNR+j%gemmNR])
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
}

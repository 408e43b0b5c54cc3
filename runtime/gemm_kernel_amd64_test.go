//go:build amd64 && !purego

package runtime

import (
	"math/rand"
	"testing"
)

// BenchmarkSgemmKernel measures the micro-kernels alone on L1-resident panels.
func BenchmarkSgemmKernel(b *testing.B) {
	const kc = 256
	r := rand.New(rand.NewSource(1))
	ap, bp, c := gmRand(r, gemmPM*kc), gmRand(r, 2*gemmPN*kc), make([]float32, gemmPM*2*gemmPN)
	b.Run("go2x4", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sgemmKernel2x4Go(kc, ap, bp, c, gemmPN, false)
		}
		b.ReportMetric(2*2*4*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	if sgemmBestPath >= gemmPathAVX2 {
		b.Run("avx2_6x16", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sgemmKernel6x16AVX2(kc, &ap[0], &bp[0], &c[0], gemmPN, false)
			}
			b.ReportMetric(2*6*16*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	if sgemmBestPath >= gemmPathAVX512 {
		b.Run("avx512_12x32", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sgemmKernelZ12(kc, &ap[0], &bp[0], gemmPN*kc, &c[0], 2*gemmPN, 32, &bp[0], false)
			}
			b.ReportMetric(2*12*32*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmKernels runs sgemm 512^3 and the first conv of a 224x224 image (3 -> 64
// channels, 3x3) at one thread with each kernel family the CPU supports.
func BenchmarkSgemmKernels(b *testing.B) {
	defer func() { sgemmPath = sgemmBestPath }()
	for path := gemmPathGo; path <= sgemmBestPath; path++ {
		name := gmPathNames[path]
		sgemmPath = path
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

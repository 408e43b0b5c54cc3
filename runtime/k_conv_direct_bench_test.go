package runtime

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkConv3x3Direct compares ConvDirect with ConvGemm on dense 3x3 convolutions.
func BenchmarkConv3x3Direct(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, s := range [][4]int{{96, 24, 160, 160}, {96, 24, 40, 40}, {16, 16, 48, 96}, {8, 8, 24, 96}, {64, 64, 20, 20}} {
		c, m, h, w := s[0], s[1], s[2], s[3]
		X, W, B := cvtTensor(r, nil, 1, c, h, w), cvtTensor(r, nil, m, c, 3, 3), cvtTensor(r, nil, m)
		p := &ConvGeomParams{C: c, M: m, Group: 1, In: []int{h, w}, Kernel: []int{3, 3}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Out: []int{h, w}, Pads: []int{1, 1, 1, 1}}
		for _, e := range []struct {
			name string
			f    func(*Exec, *ConvGeomParams, []*Tensor, []*Tensor) error
		}{{"gemm", ConvGemm}, {"direct", ConvDirect}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%dx%d", e.name, c, m, h, w), func(b *testing.B) {
				x, y := NewExec(nil), New(Float32)
				for i := 0; i < b.N; i++ {
					if err := e.f(x, p, []*Tensor{y}, []*Tensor{X, W, B}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(2*float64(c*m*9*h*w)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConvBlocked measures ConvBlocked on the 3x3 convolutions of a ResNet's stages.
func BenchmarkConvBlocked(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, s := range [][5]int{{16, 64, 56, 56, 1}, {32, 64, 56, 56, 1}, {64, 64, 56, 56, 1}, {128, 128, 28, 28, 1}, {256, 256, 14, 14, 1}, {512, 512, 7, 7, 1}, {256, 512, 14, 14, 2}} {
		c, m, h, w, st := s[0], s[1], s[2], s[3], s[4]
		oh, ow := (h-1)/st+1, (w-1)/st+1
		X, W, B := cvtTensor(r, nil, 1, c, h, w), cvtTensor(r, nil, m, c, 3, 3), cvtTensor(r, nil, m)
		P, _ := PackConvBlocked(W, m, c, 9)
		p := &ConvGeomParams{C: c, M: m, Group: 1, In: []int{h, w}, Kernel: []int{3, 3}, Strides: []int{st, st}, Dilations: []int{1, 1}, Out: []int{oh, ow}, Pads: []int{1, 1, 1, 1}, PackedW: true}
		b.Run(fmt.Sprintf("%dx%dx%dx%ds%d", c, m, h, w, st), func(b *testing.B) {
			x, y := NewExec(nil), New(Float32)
			for i := 0; i < b.N; i++ {
				if err := ConvBlocked(x, p, []*Tensor{y}, []*Tensor{X, W, B, P}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(c*m*9*oh*ow)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkConvBlockedCold measures ConvBlocked with its weights out of the caches, as in a
// network where each convolution's weights are read once per run: it cycles through 8 sets.
func BenchmarkConvBlockedCold(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, s := range [][5]int{{64, 64, 56, 56, 1}, {256, 256, 14, 14, 1}, {512, 512, 7, 7, 1}, {256, 512, 14, 14, 2}} {
		c, m, h, w, st := s[0], s[1], s[2], s[3], s[4]
		oh, ow := (h-1)/st+1, (w-1)/st+1
		X, B := cvtTensor(r, nil, 1, c, h, w), cvtTensor(r, nil, m)
		var Ws, Ps [8]*Tensor
		for i := range Ws {
			Ws[i] = cvtTensor(r, nil, m, c, 3, 3)
			Ps[i], _ = PackConvBlocked(Ws[i], m, c, 9)
		}
		p := &ConvGeomParams{C: c, M: m, Group: 1, In: []int{h, w}, Kernel: []int{3, 3}, Strides: []int{st, st}, Dilations: []int{1, 1}, Out: []int{oh, ow}, Pads: []int{1, 1, 1, 1}, PackedW: true}
		b.Run(fmt.Sprintf("%dx%dx%dx%ds%d", c, m, h, w, st), func(b *testing.B) {
			x, y := NewExec(nil), New(Float32)
			for i := 0; i < b.N; i++ {
				if err := ConvBlocked(x, p, []*Tensor{y}, []*Tensor{X, Ws[i%8], B, Ps[i%8]}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(c*m*9*oh*ow)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkConvBlockedStem measures ConvBlocked on a ResNet's stem: 3 channels of a 224x224
// image, 7x7 taps at stride 2 into 64 channels, where the input has fewer channels than a block.
func BenchmarkConvBlockedStem(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	const c, m, h, w = 3, 64, 224, 224
	X, W, B := cvtTensor(r, nil, 1, c, h, w), cvtTensor(r, nil, m, c, 7, 7), cvtTensor(r, nil, m)
	P, _ := PackConvBlocked(W, m, c, 49)
	p := &ConvGeomParams{C: c, M: m, Group: 1, In: []int{h, w}, Kernel: []int{7, 7}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Out: []int{112, 112}, Pads: []int{3, 3, 3, 3}, PackedW: true}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			x, y := NewExec(pool), New(Float32)
			for i := 0; i < b.N; i++ {
				if err := ConvBlocked(x, p, []*Tensor{y}, []*Tensor{X, W, B, P}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(c*m*49*112*112)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

package runtime

import (
	"math/rand"
	"testing"
)

// BenchmarkMaxPoolStem is resnet's MaxPool after the stem: 64 planes of 112x112, 3x3 stride 2
// pad 1.
func BenchmarkMaxPoolStem(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	X := New(Float32, 1, 64, 112, 112)
	copy(Data[float32](X), gmRand(r, X.Len()))
	p := &PoolParams{Mode: PoolMax, KernelShape: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}
	y := New(Float32)
	x := NewExec(nil)
	b.SetBytes(int64(X.Len() * 4))
	for i := 0; i < b.N; i++ {
		if err := Pooling(x, p, []*Tensor{y}, []*Tensor{X}); err != nil {
			b.Fatal(err)
		}
	}
}

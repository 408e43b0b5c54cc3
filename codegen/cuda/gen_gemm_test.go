package cuda

import (
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// gemmCases are products of odd sizes, tails of every tile dimension, broadcast batches,
// transposes, a bias per column, Gemm's broadcast C and the fused activations.
func gemmCases() map[string]*lowered.Kernel {
	packed := func(m, k, n int, bias bool) *lowered.Kernel {
		in := []lowered.Operand{opnd(m, k), opnd(k, n)}
		if bias {
			in = append(in, opnd(n))
		}
		kr := kern(lowered.MatMulPackedB, &runtime.MatMulPackedParams{K: k, N: n, Bias: bias}, opnd(m, n), in...)
		kr.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackGemmB, Groups: 1, K: k, N: n}}
		return kr
	}
	gemm := func(p runtime.GemmParams, a, b, c []int, m, n int) *lowered.Kernel {
		in := []lowered.Operand{opnd(a...), opnd(b...)}
		if c != nil {
			in = append(in, opnd(c...))
		}
		return kern(lowered.Gemm, &p, opnd(m, n), in...)
	}
	mm := func(a, b, y []int) *lowered.Kernel {
		return kern(lowered.MatMul, &struct{}{}, opnd(y...), opnd(a...), opnd(b...))
	}
	return map[string]*lowered.Kernel{
		"matmul 1x1x1":         mm([]int{1, 1}, []int{1, 1}, []int{1, 1}),
		"matmul 65x17x70":      mm([]int{65, 17}, []int{17, 70}, []int{65, 70}),
		"matmul batch":         mm([]int{2, 3, 5, 33}, []int{3, 33, 9}, []int{2, 3, 5, 9}),
		"matmul bcast a":       mm([]int{1, 31, 16}, []int{4, 16, 7}, []int{4, 31, 7}),
		"matmul vec":           mm([]int{19}, []int{19, 5}, []int{5}),
		"packed 64x384x384":    packed(64, 384, 384, true),
		"packed 3x100x130":     packed(3, 100, 130, false),
		"gemm plain":           gemm(runtime.GemmParams{Alpha: 1, Beta: 1}, []int{7, 20}, []int{20, 9}, nil, 7, 9),
		"gemm transA transB C": gemm(runtime.GemmParams{Alpha: 0.5, Beta: 2, TransA: true, TransB: true}, []int{20, 66}, []int{67, 20}, []int{66, 67}, 66, 67),
		"gemm bias row":        gemm(runtime.GemmParams{Alpha: 1, Beta: 1, TransB: true}, []int{5, 40}, []int{30, 40}, []int{30}, 5, 30),
		"gemm col C relu":      gemm(runtime.GemmParams{Alpha: 1, Beta: 1, Activation: runtime.ActRelu}, []int{70, 3}, []int{3, 4}, []int{70, 1}, 70, 4),
		"gemm hardswish":       gemm(runtime.GemmParams{Alpha: 1, Beta: 1, Activation: runtime.ActHardSwish}, []int{2, 9}, []int{9, 3}, []int{1}, 2, 3),
		"gemm sigmoid":         gemm(runtime.GemmParams{Alpha: 1, Activation: runtime.ActSigmoid}, []int{2, 9}, []int{9, 3}, nil, 2, 3),
		"gemm tanh":            gemm(runtime.GemmParams{Alpha: 1, Activation: runtime.ActTanh}, []int{2, 9}, []int{9, 3}, nil, 2, 3),
		"gemm leaky":           gemm(runtime.GemmParams{Alpha: 1, Activation: runtime.ActLeakyRelu, ActAlpha: 0.1}, []int{2, 9}, []int{9, 3}, nil, 2, 3),
		"gemm clip":            gemm(runtime.GemmParams{Alpha: 1, Activation: runtime.ActClip, ActAlpha: -1, ActBeta: 1}, []int{2, 9}, []int{9, 3}, nil, 2, 3),
		// Attention's products of views of one projection [seq 5, 1, 3*3*4], the second's
		// result stored permuted; and views of different ranks.
		"strided qk": kern(lowered.MatMulStrided, &runtime.MatMulStridedParams{AShape: []int{3, 5, 4}, AStrides: []int{4, 36, 1},
			BOff: 12, BShape: []int{3, 4, 5}, BStrides: []int{4, 1, 36}, YPerm: []int{0, 1, 2}, Alpha: 0.5}, opnd(3, 5, 5), opnd(5, 1, 36), opnd(5, 1, 36)),
		"strided av": kern(lowered.MatMulStrided, &runtime.MatMulStridedParams{AShape: []int{3, 5, 5}, AStrides: []int{25, 5, 1},
			BOff: 24, BShape: []int{3, 5, 4}, BStrides: []int{4, 36, 1}, YPerm: []int{1, 0, 2}, Alpha: 1}, opnd(5, 3, 4), opnd(3, 5, 5), opnd(5, 1, 36)),
		"strided ranks": kern(lowered.MatMulStrided, &runtime.MatMulStridedParams{AShape: []int{2, 3, 4}, AStrides: []int{12, 1, 3},
			BShape: []int{4, 5}, BStrides: []int{1, 4}, YPerm: []int{0, 1, 2}, Alpha: 1}, opnd(2, 3, 5), opnd(2, 4, 3), opnd(5, 4)),
		"gemm hardsigmoid": gemm(runtime.GemmParams{Alpha: 1, Activation: runtime.ActHardSigmoid, ActAlpha: 0.2, ActBeta: 0.5}, []int{2, 9}, []int{9, 3}, nil, 2, 3),
	}
}

func TestGemmPtxas(t *testing.T) {
	for name, k := range gemmCases() {
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
}

// TestGemmIndexMath runs the products' index math (tile loads, accumulator slots of both the
// FMA and the tensor-core layout, epilogue offsets) in Go against the reference kernels.
func TestGemmIndexMath(t *testing.T) {
	specs := map[lowered.Entry]func(*lowered.Kernel, Target) *mmSpec{lowered.MatMul: specMatMul, lowered.MatMulPackedB: specMatMulPackedB,
		lowered.Gemm: specGemm, lowered.MatMulStrided: specMatMulStrided}
	rng := rand.New(rand.NewSource(1))
	for _, k := range gemmCases() {
		if p, ok := k.Params.(*runtime.GemmParams); ok && p.Activation != runtime.ActNone {
			continue // activations are PTX arithmetic, checked on a GPU
		}
		for _, tf32 := range []bool{false, true} {
			s := specs[k.Entry](k, Target{SM: 80, TF32: tf32})
			in := randInputs(k, rng)
			want := refRun(t, k, in)
			got := simulateGemm(t, s, in, want.Len())
			closeTo(t, got, runtime.Data[float32](want), 1e-4, 1e-4)
		}
	}
}

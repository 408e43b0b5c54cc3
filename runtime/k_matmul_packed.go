package runtime

import "fmt"

// Products by constant weights prepacked at compile time (PackGemmB): the packed panels come
// after the node's inputs and the GEMM reads them in place instead of packing B on every run.

// sgemmPackedB computes C (m x n, row stride ldc) (+)= alpha * op(A) * B, B prepacked, then
// the epilogue ep (a bias per column, an activation) as C is stored.
func sgemmPackedB(x *Exec, transA bool, m, n, k int, alpha float32, a []float32, lda int, pb []float32, c []float32, ldc int, acc bool, ep gemmEpilogue) {
	j := sgemmJob{m: m, n: n, k: k, batches: 1, alpha: alpha, c: gemmView(c, ldc, 1, 0), acc: acc, ep: ep}
	j.a = gemmView(a, lda, 1, 0)
	if transA {
		j.a.rs, j.a.cs = 1, lda
	}
	j.packB = gemmPacked{data: pb}
	j.run(x)
}

// MatMulPackedParams configures MatMulPackedB: B is a constant K x N matrix. With Bias, input
// 2 is a bias of N values added to every row (onnxc.MatMulBias, a Linear layer's MatMul + Add).
// Act is an activation applied after the bias (ActAlpha and ActBeta its parameters, as
// ConvParams'), on each micro-tile as the GEMM stores it.
type MatMulPackedParams struct {
	K, N              int
	Bias              bool
	Activation        Act
	ActAlpha, ActBeta float32
}

// MatMulPackedB is float32 MatMul of A [..., M, K] (or [K]) by a constant K x N matrix, given
// as input 1 and, prepacked, as the last input, plus the bias when p.Bias. All of A's rows go
// through one GEMM, which adds the bias as it stores them.
func MatMulPackedB(x *Exec, p *MatMulPackedParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	A, packed := in[0], in[len(in)-1]
	var ep gemmEpilogue
	if p.Bias {
		if in[2].DType != Float32 || in[2].Len() != p.N {
			return fmt.Errorf("bias is %s with %d values, want float32 with %d", in[2].DType, in[2].Len(), p.N)
		}
		ep.colBias = Data[float32](in[2])
	}
	act, err := newActivation(p.Activation, p.ActAlpha, p.ActBeta)
	if err != nil {
		return err
	}
	ep.act = act
	r := len(A.Shape)
	if A.DType != Float32 || r == 0 || A.Shape[r-1] != p.K {
		return fmt.Errorf("matmul of %s %v by a %dx%d matrix", A.DType, A.Shape, p.K, p.N)
	}
	if packed.DType != Float32 || packed.Len() != PackedGemmBLen(1, p.K, p.N) {
		return fmt.Errorf("prepacked weights have %d values, want %d", packed.Len(), PackedGemmBLen(1, p.K, p.N))
	}
	rows := 1
	for _, d := range A.Shape[:r-1] {
		rows *= d
	}
	shape := x.Ints(max(r, 1))
	copy(shape, A.Shape)
	if r == 1 {
		shape = shape[:1]
		shape[0] = p.N
	} else {
		shape[r-1] = p.N
	}
	Y := out[0]
	Y.Resize(Float32, shape...)
	if Y.Len() == 0 {
		return nil
	}
	sgemmPackedB(x, false, rows, p.N, p.K, 1, Data[float32](A), p.K, Data[float32](packed), Data[float32](Y), p.N, false, ep)
	return nil
}

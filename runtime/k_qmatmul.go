package runtime

import "fmt"

// DynQuantMatMulParams configures DynQuantMatMul. B is a constant K x N int8 matrix,
// symmetric (zero point 0), prepacked by PackQGemmB; the fused activation is applied last.
type DynQuantMatMulParams struct {
	K, N              int
	Activation        Act
	ActAlpha, ActBeta float32
	// X, when On, quantizes A with a scale and zero point fixed at compile time (a QDQ
	// model's QuantizeLinear) instead of per run.
	X QuantStatic
	// WOffset, when not empty (1 or N values), is added to the stored int8 weights to give
	// the true ones: uint8 weights with a zero point z are stored as w-128 with the offset
	// 128-z, exact in int32 (see qgEpilogue).
	WOffset []int32
	// PerRow quantizes each row of A (a token) with its own scale and zero point instead of
	// all of A with one: DynamicQuantizeLinear of each row.
	PerRow bool
}

// DynQuantMatMul is a dynamically quantized product, as onnxruntime's DynamicQuantizeMatMul:
// A (float32 [..., K]) is quantized per run to uint8 as DynamicQuantizeLinear does, multiplied
// by B (input 1, int8 [K, N], read only through its packed form) in int32, and the
// result dequantized with A's scale times B's scale (input 2: one value or one per column),
// plus the bias (input 3, [N], optional), then the activation; the packed form is the last
// input. All of A's rows are quantized
// with one scale, as DynamicQuantizeLinear of the whole tensor would, unless PerRow.
func DynQuantMatMul(x *Exec, p *DynQuantMatMulParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	// The packed form follows the node's inputs, of which the bias is optional.
	A, S, packed := in[0], in[2], in[len(in)-1]
	var bias *Tensor
	if len(in) > 4 {
		bias = in[3]
	}
	r := len(A.Shape)
	if A.DType != Float32 || r == 0 || p.K <= 0 || A.Shape[r-1] != p.K {
		return fmt.Errorf("quantized matmul of %s %v by a %dx%d matrix", A.DType, A.Shape, p.K, p.N)
	}
	if S.DType != Float32 || (S.Len() != 1 && S.Len() != p.N) {
		return fmt.Errorf("weight scale %s %v, want float32 of 1 or %d values", S.DType, S.Shape, p.N)
	}
	var bs []float32
	if bias != nil {
		if bias.DType != Float32 || bias.Len() != p.N {
			return fmt.Errorf("bias %s %v, want float32 [%d]", bias.DType, bias.Shape, p.N)
		}
		bs = Data[float32](bias)
	}
	off, err := qgOffsets(p.WOffset, p.N)
	if err != nil {
		return err
	}
	if packed.DType != Int8 {
		return fmt.Errorf("prepacked weights are %s, want int8", packed.DType)
	}
	b, err := qgView(Data[int8](packed), p.K, p.N)
	if err != nil {
		return err
	}
	act, err := newActivation(p.Activation, p.ActAlpha, p.ActBeta)
	if err != nil {
		return err
	}
	shape := x.Ints(r)
	copy(shape, A.Shape)
	shape[r-1] = p.N
	Y := out[0]
	Y.Resize(Float32, shape...)
	rows := A.Len() / p.K
	if Y.Len() == 0 {
		return nil
	}
	qgemmAs(x, rows, Data[float32](A), b, Data[float32](S), bs, off, act, Data[float32](Y), p.N, p.X, p.PerRow)
	return nil
}

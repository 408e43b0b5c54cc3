package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Matrix products: MatMul, Gemm, MatMulInteger and QLinearMatMul.

// MatMulBiasActivation resolves onnxc.MatMulBias's activation: Gelu, or one of FusedConv's
// (the quantize pass carries it into the int8 kernel).
func MatMulBiasActivation(n *ir.Node) (runtime.Act, float32, float32, error) {
	if n.GetString("activation", "") == runtime.ActGelu.String() {
		return runtime.ActGelu, 0, 0, nil
	}
	var params []float32
	for _, v := range n.GetFloats("activation_params", nil) {
		params = append(params, float32(v))
	}
	return fusedActivation(n, params)
}

func init() {
	Register(&Def{
		Op: "MatMul", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc: "numpy matmul: batched, broadcasting, with 1-D operands",
		Infer: func(n *ir.Node) error {
			a, b := InType(n, 0), InType(n, 1)
			if a.DType != runtime.Undefined && b.DType != runtime.Undefined && a.DType != b.DType {
				return Errorf(n, "operand types %s and %s differ", a.DType, b.DType)
			}
			if dt := a.DType; dt == runtime.Bool || dt == runtime.String {
				return Errorf(n, "%s operands are not supported", dt)
			}
			return mmInfer(n, a, b, a.DType)
		},
		Lower: func(n *ir.Node) (Call, error) {
			if pk, ok := prepackB(n, 1, false); ok && InType(n, 0).DType == runtime.Float32 && InType(n, 0).Rank() >= 1 {
				c := K(lowered.MatMulPackedB, &runtime.MatMulPackedParams{K: pk.K, N: pk.N})
				c.Prepack = []lowered.Prepack{pk}
				return c, nil
			}
			return K(lowered.MatMul, &struct{}{}), nil
		},
	})
	// onnxc.MatMulBias(A, B, bias) is MatMul(A, B) + bias for a constant float32 matrix B and
	// a bias of one value per column (passes/fuse.go makes it from a Linear layer's MatMul and
	// Add), then the activation its attributes name, as FusedConv's (activation,
	// activation_params), or Gelu: the GEMM adds the bias and applies the activation as it
	// stores C.
	Register(&Def{
		Op: "MatMulBias", Domain: FusedDomain, MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "MatMul by a constant matrix plus a bias per column, then an activation (made by fusion)",
		Infer: func(n *ir.Node) error {
			if _, _, _, err := MatMulBiasActivation(n); err != nil {
				return err
			}
			return mmInfer(n, InType(n, 0), InType(n, 1), runtime.Float32)
		},
		Lower: func(n *ir.Node) (Call, error) {
			pk, ok := prepackB(n, 1, false)
			if !ok || InType(n, 0).DType != runtime.Float32 || InType(n, 0).Rank() < 1 {
				return Call{}, Errorf(n, "want float32 A and a constant float32 matrix B")
			}
			act, a, b, err := MatMulBiasActivation(n)
			if err != nil {
				return Call{}, err
			}
			c := K(lowered.MatMulPackedB, &runtime.MatMulPackedParams{K: pk.K, N: pk.N, Bias: true, Activation: act, ActAlpha: a, ActBeta: b})
			c.Prepack = []lowered.Prepack{pk}
			return c, nil
		},
	})
	Register(&Def{
		Op: "MatMulInteger", MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc: "matmul of 8-bit integers less their zero points, in int32",
		Infer: func(n *ir.Node) error {
			if err := mmCheck8(n, 0, 1); err != nil {
				return err
			}
			return mmInfer(n, InType(n, 0), InType(n, 1), runtime.Int32)
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.MatMulInteger, &struct{}{}), nil },
	})
	Register(&Def{
		Op: "QLinearMatMul", MinIn: 8, MaxIn: 8, MinOut: 1, MaxOut: 1,
		Doc: "quantized matmul: 8-bit operands with scales and zero points, requantized output",
		Infer: func(n *ir.Node) error {
			if err := mmCheck8(n, 0, 3); err != nil {
				return err
			}
			dt := InType(n, 0).DType
			if z := InType(n, 7); z.DType != runtime.Undefined {
				dt = z.DType
			}
			return mmInfer(n, InType(n, 0), InType(n, 3), dt)
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.QLinearMatMul, &struct{}{}), nil },
	})
	Register(&Def{
		Op: "Gemm", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "alpha * op(A) * op(B) + beta * C for matrices, C broadcast",
		Infer: inferGemm,
		Lower: func(n *ir.Node) (Call, error) {
			p := &runtime.GemmParams{
				Alpha:  n.GetFloat("alpha", 1),
				Beta:   n.GetFloat("beta", 1),
				TransA: n.GetInt("transA", 0) != 0,
				TransB: n.GetInt("transB", 0) != 0,
			}
			return gemmCall(n, p), nil
		},
	})
}

// mmCheck8 checks that inputs ai and bi are 8-bit integers (or not known yet).
func mmCheck8(n *ir.Node, ai, bi int) error {
	for _, i := range []int{ai, bi} {
		switch dt := InType(n, i).DType; dt {
		case runtime.Undefined, runtime.Int8, runtime.Uint8:
		default:
			return Errorf(n, "input %d has type %s, want int8 or uint8", i, dt)
		}
	}
	return nil
}

// mmInfer types a numpy-matmul result of operands a and b with element type dt.
func mmInfer(n *ir.Node, a, b ir.Type, dt ir.DType) error {
	if !a.RankKnown || !b.RankKnown {
		SetOut(n, 0, ir.Type{DType: dt})
		return nil
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 0 || len(bs) == 0 {
		return Errorf(n, "matmul of a scalar")
	}
	if len(as) == 1 {
		as = []ir.Dim{ir.Static(1), as[0]}
	}
	if len(bs) == 1 {
		bs = []ir.Dim{bs[0], ir.Static(1)}
	}
	ka, kb := as[len(as)-1], bs[len(bs)-2]
	if ka.IsStatic() && kb.IsStatic() && ka.N != kb.N {
		return Errorf(n, "inner dims of %v and %v differ", a, b)
	}
	batch, err := BroadcastDims(n, as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return err
	}
	dims := batch
	if len(a.Shape) > 1 {
		dims = append(dims, as[len(as)-2])
	}
	if len(b.Shape) > 1 {
		dims = append(dims, bs[len(bs)-1])
	}
	SetOut(n, 0, ir.TensorType(dt, dims...))
	return nil
}

func inferGemm(n *ir.Node) error {
	a, b := InType(n, 0), InType(n, 1)
	dt := a.DType
	if a.DType != runtime.Undefined && b.DType != runtime.Undefined && a.DType != b.DType {
		return Errorf(n, "operand types %s and %s differ", a.DType, b.DType)
	}
	if c := InType(n, 2); n.Input(2) != nil && c.DType != runtime.Undefined && dt != runtime.Undefined && c.DType != dt {
		return Errorf(n, "C's type %s differs from %s", c.DType, dt)
	}
	switch dt {
	case runtime.Undefined, runtime.Float32, runtime.Float16, runtime.BFloat16, runtime.Float64,
		runtime.Int32, runtime.Int64, runtime.Uint32, runtime.Uint64:
	default:
		return Errorf(n, "%s operands are not supported", dt)
	}
	m, k, kb, nn := ir.Unknown(), ir.Unknown(), ir.Unknown(), ir.Unknown()
	if a.RankKnown {
		if len(a.Shape) != 2 {
			return Errorf(n, "A is %v, want a matrix", a)
		}
		m, k = a.Shape[0], a.Shape[1]
		if n.GetInt("transA", 0) != 0 {
			m, k = k, m
		}
	}
	if b.RankKnown {
		if len(b.Shape) != 2 {
			return Errorf(n, "B is %v, want a matrix", b)
		}
		kb, nn = b.Shape[0], b.Shape[1]
		if n.GetInt("transB", 0) != 0 {
			kb, nn = nn, kb
		}
	}
	if k.IsStatic() && kb.IsStatic() && k.N != kb.N {
		return Errorf(n, "inner dims of %v and %v differ", a, b)
	}
	if c := InType(n, 2); n.Input(2) != nil && c.RankKnown {
		if len(c.Shape) > 2 {
			return Errorf(n, "C is %v, which does not broadcast to a matrix", c)
		}
		out := []ir.Dim{m, nn}
		for i, d := range c.Shape {
			o := out[2-len(c.Shape)+i]
			if d.IsStatic() && d.N != 1 && o.IsStatic() && d.N != o.N {
				return Errorf(n, "C is %v, which does not broadcast to [%v,%v]", c, m, nn)
			}
		}
	}
	SetOut(n, 0, ir.TensorType(dt, m, nn))
	return nil
}

// prepackB says how to prepack input bi, when it is a constant float32 matrix, as the B operand
// of a product (trans: stored N x K); ok is false otherwise.
func prepackB(n *ir.Node, bi int, trans bool) (lowered.Prepack, bool) {
	b := n.Input(bi)
	if b == nil || b.Const == nil || b.Const.DType != runtime.Float32 || len(b.Const.Shape) != 2 {
		return lowered.Prepack{}, false
	}
	k, nn := b.Const.Shape[0], b.Const.Shape[1]
	if trans {
		k, nn = nn, k
	}
	if k == 0 || nn == 0 {
		return lowered.Prepack{}, false
	}
	return lowered.Prepack{Input: bi, Layout: lowered.PackGemmB, Groups: 1, K: k, N: nn, Trans: trans}, true
}

// gemmCall lowers Gemm and FusedGemm, with B prepacked when it is a constant float32 matrix
// and A is float32.
func gemmCall(n *ir.Node, p *runtime.GemmParams) Call {
	pk, ok := prepackB(n, 1, p.TransB)
	if !ok || InType(n, 0).DType != runtime.Float32 {
		return K(lowered.Gemm, p)
	}
	p.PackedB = true
	c := K(lowered.Gemm, p)
	c.Prepack = []lowered.Prepack{pk}
	return c
}

package ops

import (
	"fmt"
	"strconv"

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
	// onnxc.MatMulView(A, B) is the product of strided views of A and B, its result stored
	// permuted (runtime.MatMulStridedParams; attributes a_offset, a_shape, a_strides, the same
	// for b, y_perm and alpha): passes/fuse_views.go folds the slices, reshapes, transposes and
	// scalings around attention's products into it.
	Register(&Def{
		Op: "MatMulView", Domain: FusedDomain, MinIn: 2, MaxIn: 2 + 2*runtime.MaxViewRank, MinOut: 1, MaxOut: 1,
		Doc: "alpha * A @ B over strided views of the inputs, the result permuted (made by fusion)",
		Infer: func(n *ir.Node) error {
			p, err := MatMulViewParams(n)
			if err != nil {
				return Errorf(n, "%v", err)
			}
			if p.ASteps != nil || p.BSteps != nil {
				// Views resolved when the kernel runs: the output's dims as inference found
				// them before the fusion (y_dims), else only its rank.
				dims := make([]ir.Dim, len(p.YPerm))
				for i := range dims {
					dims[i] = ir.Unknown()
				}
				if n.Has("y_dims") {
					dims = DecodeViewDims(n.GetStrings("y_dims", nil))
				}
				if len(dims) != len(p.YPerm) {
					return Errorf(n, "y_dims %v for an output of rank %d", n.GetStrings("y_dims", nil), len(p.YPerm))
				}
				SetOut(n, 0, ir.TensorType(runtime.Float32, dims...))
				return nil
			}
			ys, err := runtime.MatMulStridedShape(p)
			if err != nil {
				return Errorf(n, "%v", err)
			}
			SetOut(n, 0, ir.StaticType(runtime.Float32, ys...))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			p, err := MatMulViewParams(n)
			if err != nil {
				return Call{}, Errorf(n, "%v", err)
			}
			return K(lowered.MatMulStrided, p), nil
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

// MatMulViewParams reads onnxc.MatMulView's attributes into the kernel's parameters: per
// operand a_offset, a_shape and a_strides (a view resolved at compile time) or a_steps (steps
// resolved at run time, EncodeViewSteps), the same for b, then y_perm and alpha.
func MatMulViewParams(n *ir.Node) (*runtime.MatMulStridedParams, error) {
	ints := func(name string) []int { return Ints(n.GetInts(name, nil)) }
	p := &runtime.MatMulStridedParams{
		AOff: int(n.GetInt("a_offset", 0)), AShape: ints("a_shape"), AStrides: ints("a_strides"),
		BOff: int(n.GetInt("b_offset", 0)), BShape: ints("b_shape"), BStrides: ints("b_strides"),
		YPerm: ints("y_perm"), Alpha: float32(n.GetFloat("alpha", 1)),
	}
	var err error
	if n.Has("a_steps") {
		if p.ASteps, err = DecodeViewSteps(n.GetInts("a_steps", nil)); err != nil {
			return nil, err
		}
	}
	if n.Has("b_steps") {
		if p.BSteps, err = DecodeViewSteps(n.GetInts("b_steps", nil)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// EncodeViewSteps writes view steps as one int list: a transpose as 1, rank, perm; a slice as
// 2, n, then n starts, ends, axes and steps; a reshape as 3, its shape input, allowzero.
func EncodeViewSteps(steps []runtime.ViewStep) []int64 {
	out := []int64{}
	for _, s := range steps {
		switch s.Kind {
		case runtime.ViewTranspose:
			out = append(out, 1, int64(len(s.Perm)))
			for _, d := range s.Perm {
				out = append(out, int64(d))
			}
		case runtime.ViewSlice:
			out = append(out, 2, int64(len(s.Starts)))
			out = append(out, s.Starts...)
			out = append(out, s.Ends...)
			out = append(out, s.Axes...)
			out = append(out, s.Steps...)
		case runtime.ViewReshape:
			z := int64(0)
			if s.AllowZero {
				z = 1
			}
			out = append(out, 3, int64(s.ShapeIn), z)
		}
	}
	return out
}

// DecodeViewSteps reads EncodeViewSteps's list (never nil: no steps is an empty list).
func DecodeViewSteps(v []int64) ([]runtime.ViewStep, error) {
	steps := []runtime.ViewStep{}
	bad := fmt.Errorf("view steps %v are malformed", v)
	for i := 0; i < len(v); {
		if i+1 >= len(v) {
			return nil, bad
		}
		switch v[i] {
		case 1:
			if v[i+1] < 0 || v[i+1] > runtime.MaxViewRank {
				return nil, bad
			}
			r := int(v[i+1])
			if i+2+r > len(v) {
				return nil, bad
			}
			perm := make([]int, r)
			for j := range perm {
				perm[j] = int(v[i+2+j])
			}
			steps = append(steps, runtime.ViewStep{Kind: runtime.ViewTranspose, Perm: perm})
			i += 2 + r
		case 2:
			if v[i+1] < 0 || v[i+1] > int64(len(v)) {
				return nil, bad
			}
			k := int(v[i+1])
			if i+2+4*k > len(v) {
				return nil, bad
			}
			f := func(j int) []int64 { return append([]int64(nil), v[i+2+j*k:i+2+(j+1)*k]...) }
			steps = append(steps, runtime.ViewStep{Kind: runtime.ViewSlice, Starts: f(0), Ends: f(1), Axes: f(2), Steps: f(3)})
			i += 2 + 4*k
		case 3:
			if i+2 >= len(v) || v[i+2] != 0 && v[i+2] != 1 {
				return nil, bad
			}
			steps = append(steps, runtime.ViewStep{Kind: runtime.ViewReshape, ShapeIn: int(v[i+1]), AllowZero: v[i+2] != 0})
			i += 3
		default:
			return nil, bad
		}
	}
	return steps, nil
}

// EncodeViewDims writes dims as strings: a static dim's size, a symbolic dim's name, or "?".
func EncodeViewDims(dims []ir.Dim) []string {
	out := make([]string, len(dims))
	for i, d := range dims {
		switch {
		case d.IsStatic():
			out[i] = strconv.FormatInt(d.N, 10)
		case d.Sym != "":
			out[i] = d.Sym
		default:
			out[i] = "?"
		}
	}
	return out
}

// DecodeViewDims reads EncodeViewDims's strings.
func DecodeViewDims(s []string) []ir.Dim {
	dims := make([]ir.Dim, len(s))
	for i, x := range s {
		if n, err := strconv.ParseInt(x, 10, 64); err == nil && n >= 0 {
			dims[i] = ir.Static(n)
		} else if x == "?" {
			dims[i] = ir.Unknown()
		} else {
			dims[i] = ir.Symbol(x)
		}
	}
	return dims
}

package ops

import (
	"strconv"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Data propagation: the Elems functions of the ops that compute shapes. A model exported with
// symbolic dims computes its Reshape targets as Shape -> Gather/Slice -> Concat at run time;
// following the dims through these ops lets inference give the Reshape a shape such as
// [batch, 200] instead of [?, ?], which fusion and memory planning need.

// maxElems bounds the tensors that propagation follows: shape vectors are short.
const maxElems = 16

// InElems returns input i's elements as dims: a constant's values, or what inference
// propagated. ok is false when neither is known.
func InElems(n *ir.Node, i int) ([]ir.Dim, bool) {
	v := n.Input(i)
	if v == nil {
		return nil, false
	}
	if v.Const != nil {
		if !v.Const.DType.IsInt() || v.Const.Len() > maxElems {
			return nil, false
		}
		vals := TensorInts(v.Const)
		dims := make([]ir.Dim, len(vals))
		for k, x := range vals {
			// A negative number (Reshape's -1) is kept as N < 0 without a symbol: not a dim,
			// but Reshape reads it from N as it reads a constant.
			dims[k] = ir.Dim{N: x}
		}
		return dims, true
	}
	return v.Elems, v.Elems != nil
}

// elemsShape: Shape's elements are its input's dims in [start, end).
func elemsShape(n *ir.Node) []ir.Dim {
	in := InType(n, 0)
	if !in.RankKnown || in.Kind != ir.TensorKind {
		return nil
	}
	s, e := mvShapeRange(n, len(in.Shape))
	for _, d := range in.Shape[s:e] {
		if !d.IsStatic() && d.Sym == "" {
			return nil
		}
	}
	return append([]ir.Dim(nil), in.Shape[s:e]...)
}

// elemsSame: Identity, Squeeze, Unsqueeze and integer Casts keep the elements.
func elemsSame(n *ir.Node) []ir.Dim {
	if out := n.Outputs[0]; out == nil || !out.Type.DType.IsInt() || out.Type.Rank() > 1 {
		return nil
	}
	d, _ := InElems(n, 0)
	return d
}

// elemsConcat: a 1-D Concat joins its inputs' elements.
func elemsConcat(n *ir.Node) []ir.Dim {
	if out := n.Outputs[0]; out == nil || !out.Type.DType.IsInt() || out.Type.Rank() != 1 {
		return nil
	}
	var all []ir.Dim
	for i := range n.Inputs {
		d, ok := InElems(n, i)
		if !ok || len(all)+len(d) > maxElems {
			return nil
		}
		all = append(all, d...)
	}
	return all
}

// elemsGather: gathering constant indices along axis 0 of a 1-D tensor.
func elemsGather(n *ir.Node) []ir.Dim {
	data, ok := InElems(n, 0)
	idx, ok2 := ConstInts(n, 1)
	if !ok || !ok2 || n.GetInt("axis", 0) != 0 || InType(n, 0).Rank() != 1 {
		return nil
	}
	out := make([]ir.Dim, len(idx))
	for k, i := range idx {
		if i < 0 {
			i += int64(len(data))
		}
		if i < 0 || i >= int64(len(data)) {
			return nil
		}
		out[k] = data[i]
	}
	return out
}

// elemsSlice: a 1-D Slice with constant starts, ends and steps.
func elemsSlice(n *ir.Node) []ir.Dim {
	data, ok := InElems(n, 0)
	if !ok || InType(n, 0).Rank() != 1 {
		return nil
	}
	starts, ok1 := ConstInts(n, 1)
	ends, ok2 := ConstInts(n, 2)
	if !ok1 || !ok2 || len(starts) != 1 || len(ends) != 1 {
		return nil
	}
	if axes, ok := ConstInts(n, 3); n.Input(3) != nil && (!ok || len(axes) != 1 || (axes[0] != 0 && axes[0] != -1)) {
		return nil
	}
	step := int64(1)
	if n.Input(4) != nil {
		steps, ok := ConstInts(n, 4)
		if !ok || len(steps) != 1 || steps[0] == 0 {
			return nil
		}
		step = steps[0]
	}
	first, count := runtime.SliceRange(starts[0], ends[0], step, int64(len(data)))
	out := make([]ir.Dim, 0, count)
	for k := int64(0); k < count; k++ {
		out = append(out, data[first+k*step])
	}
	return out
}

// elemsBinary: integer Add, Sub, Mul and Div of shape elements (head counts, halves of a
// channel dim), with one side broadcast when it has one element. Static operands give static
// results (Div truncates like the integer kernel); a symbol with a static operand gives the
// expression's name, or the symbol itself where the operation is the identity.
func elemsBinary(n *ir.Node, code int) []ir.Dim {
	if out := n.Outputs[0]; out == nil || !out.Type.DType.IsInt() || out.Type.Rank() > 1 {
		return nil
	}
	switch code {
	case runtime.BinaryAdd, runtime.BinarySub, runtime.BinaryMul, runtime.BinaryDiv:
	default:
		return nil
	}
	a, ok1 := InElems(n, 0)
	b, ok2 := InElems(n, 1)
	if !ok1 || !ok2 || (len(a) != len(b) && len(a) != 1 && len(b) != 1) {
		return nil
	}
	out := make([]ir.Dim, max(len(a), len(b)))
	for i := range out {
		x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
		d, ok := elemsOp(code, x, y)
		if !ok {
			return nil
		}
		out[i] = d
	}
	return out
}

func elemsOp(code int, x, y ir.Dim) (ir.Dim, bool) {
	xs, ys := x.Sym == "", y.Sym == ""
	switch {
	case xs && ys:
		switch code {
		case runtime.BinaryAdd:
			return ir.Dim{N: x.N + y.N}, true
		case runtime.BinarySub:
			return ir.Dim{N: x.N - y.N}, true
		case runtime.BinaryMul:
			return ir.Dim{N: x.N * y.N}, true
		case runtime.BinaryDiv:
			if y.N == 0 {
				return ir.Dim{}, false
			}
			return ir.Dim{N: x.N / y.N}, true
		}
	case !xs && ys:
		switch {
		case code == runtime.BinaryAdd:
			return ir.Symbol(symPlus(x.Sym, y.N)), true
		case code == runtime.BinarySub:
			return ir.Symbol(symPlus(x.Sym, -y.N)), true
		case code == runtime.BinaryMul && y.N == 1, code == runtime.BinaryDiv && y.N == 1:
			return x, true
		case code == runtime.BinaryMul && y.N > 1:
			return ir.Symbol("(" + x.Sym + "*" + strconv.FormatInt(y.N, 10) + ")"), true
		}
	case !xs && !ys && code == runtime.BinaryMul:
		a, b := x.Sym, y.Sym
		if b < a {
			a, b = b, a // a canonical order, so that seq*batch and batch*seq are one name
		}
		return ir.Symbol("(" + a + "*" + b + ")"), true
	case xs && !ys:
		switch {
		case code == runtime.BinaryAdd:
			return ir.Symbol(symPlus(y.Sym, x.N)), true
		case code == runtime.BinaryMul && x.N == 1:
			return y, true
		case code == runtime.BinaryMul && x.N > 1:
			return ir.Symbol("(" + y.Sym + "*" + strconv.FormatInt(x.N, 10) + ")"), true
		}
	}
	return ir.Dim{}, false
}

package ops

import (
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

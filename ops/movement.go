package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Data-movement ops: Transpose, Concat, Split, Slice, Expand, Tile, Pad, CenterCropPad,
// DepthToSpace, SpaceToDepth. Kernels in runtime/k_movement*.go.

func init() {
	noParams := func(e lowered.Entry) func(*ir.Node) (Call, error) {
		return func(*ir.Node) (Call, error) { return K(e, &struct{}{}), nil }
	}
	Register(
		&Def{Op: "Transpose", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "permute axes (default: reverse them)", Infer: inferTranspose,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Transpose, &runtime.TransposeParams{Perm: Ints(n.GetInts("perm", nil))}), nil
			}},
		&Def{Op: "Concat", Elems: elemsConcat, MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
			Doc: "join tensors along an axis", Infer: inferConcat,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Concat, &runtime.ConcatParams{Axis: int(n.GetInt("axis", 0))}), nil
			}},
		&Def{Op: "Split", MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: -1,
			Doc: "cut a tensor into parts along an axis", Infer: inferSplit,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Split, &runtime.SplitParams{Axis: int(n.GetInt("axis", 0)), NumOutputs: int(n.GetInt("num_outputs", 0))}), nil
			}},
		&Def{Op: "Slice", Elems: elemsSlice, MinIn: 3, MaxIn: 5, MinOut: 1, MaxOut: 1,
			Doc: "strided sub-tensor", Infer: inferSlice, Lower: noParams(lowered.Slice)},
		&Def{Op: "Expand", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "broadcast to a shape", Infer: inferExpand, Lower: noParams(lowered.Expand)},
		&Def{Op: "Tile", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "repeat along each axis", Infer: inferTile, Lower: noParams(lowered.Tile)},
		&Def{Op: "Pad", MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
			Doc: "pad or crop each axis (constant, reflect, edge, wrap)", Infer: inferPad,
			Lower: func(n *ir.Node) (Call, error) {
				m := n.GetString("mode", "constant")
				switch m {
				case "constant", "reflect", "edge", "wrap":
				default:
					return Call{}, Errorf(n, "unknown mode %q", m)
				}
				return K(lowered.Pad, &runtime.PadParams{Mode: m}), nil
			}},
		&Def{Op: "CenterCropPad", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "crop or zero-pad axes around the center", Infer: inferCenterCropPad,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.CenterCropPad, &runtime.CenterCropPadParams{Axes: Ints(n.GetInts("axes", nil))}), nil
			}},
		&Def{Op: "DepthToSpace", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "channel blocks to spatial blocks (DCR or CRD)", Infer: inferDepthSpace(true),
			Lower: func(n *ir.Node) (Call, error) {
				m := n.GetString("mode", "DCR")
				if m != "DCR" && m != "CRD" {
					return Call{}, Errorf(n, "unknown mode %q", m)
				}
				return K(lowered.DepthToSpace, &runtime.DepthSpaceParams{Blocksize: int(n.GetInt("blocksize", 0)), Mode: m}), nil
			}},
		&Def{Op: "SpaceToDepth", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "spatial blocks to channel blocks", Infer: inferDepthSpace(false),
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.SpaceToDepth, &runtime.DepthSpaceParams{Blocksize: int(n.GetInt("blocksize", 0))}), nil
			}},
	)
}

func inferTranspose(n *ir.Node) error {
	in := InType(n, 0)
	perm := n.GetInts("perm", nil)
	if !in.RankKnown {
		if perm != nil {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(len(perm))...))
		} else {
			SetOut(n, 0, ir.Type{DType: in.DType})
		}
		return nil
	}
	p, err := TransposePerm(n, len(in.Shape))
	if err != nil {
		return err
	}
	dims := make([]ir.Dim, len(p))
	for i, k := range p {
		dims[i] = in.Shape[k]
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

// TransposePerm is a Transpose node's permutation of a rank-r input, its axes normalized:
// output dim i is input dim perm[i]; without a perm attribute, the dims reversed.
func TransposePerm(n *ir.Node, r int) ([]int, error) {
	perm := n.GetInts("perm", nil)
	if perm == nil {
		perm = make([]int64, r)
		for i := range perm {
			perm[i] = int64(r - 1 - i)
		}
	}
	if len(perm) != r {
		return nil, Errorf(n, "perm %v for rank %d", perm, r)
	}
	seen := make([]bool, r)
	p := make([]int, r)
	for i, a := range perm {
		k, err := NormAxis(n, a, r)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, Errorf(n, "perm %v is not a permutation", perm)
		}
		seen[k] = true
		p[i] = k
	}
	return p, nil
}

// mvMergeDim picks the better known of two dims that must be equal, failing when both are
// static and differ.
func mvMergeDim(n *ir.Node, a, b ir.Dim) (ir.Dim, error) {
	switch {
	case a.IsStatic() && b.IsStatic() && a.N != b.N:
		return a, Errorf(n, "dims %d and %d must match", a.N, b.N)
	case a.IsStatic():
		return a, nil
	case b.IsStatic():
		return b, nil
	case a.Sym != "":
		return a, nil
	}
	return b, nil
}

func inferConcat(n *ir.Node) error {
	first := InType(n, 0)
	var dims []ir.Dim
	rank := -1
	for i := range n.Inputs {
		if t := InType(n, i); t.RankKnown {
			rank = len(t.Shape)
		}
	}
	if rank < 0 {
		SetOut(n, 0, ir.Type{DType: first.DType})
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", 0), rank)
	if err != nil {
		return err
	}
	dims = mvUnknownDims(rank)
	sum := ir.Static(0)
	for i := range n.Inputs {
		t := InType(n, i)
		if t.DType != first.DType {
			return Errorf(n, "input %d is %s, input 0 is %s", i, t.DType, first.DType)
		}
		if !t.RankKnown {
			sum = ir.Unknown()
			continue
		}
		if len(t.Shape) != rank {
			return Errorf(n, "inputs have ranks %d and %d", len(t.Shape), rank)
		}
		for d := range rank {
			if d == axis {
				continue
			}
			if dims[d], err = mvMergeDim(n, dims[d], t.Shape[d]); err != nil {
				return err
			}
		}
		if sum.IsStatic() && t.Shape[axis].IsStatic() {
			sum.N += t.Shape[axis].N
		} else if len(n.Inputs) == 1 {
			sum = t.Shape[axis]
		} else {
			sum = ir.Unknown()
		}
	}
	dims[axis] = sum
	SetOut(n, 0, ir.TensorType(first.DType, dims...))
	return nil
}

func inferSplit(n *ir.Node) error {
	in := InType(n, 0)
	nout := len(n.Outputs)
	if !in.RankKnown {
		for i := range nout {
			SetOut(n, i, ir.Type{DType: in.DType})
		}
		return nil
	}
	r := len(in.Shape)
	axis, err := NormAxis(n, n.GetInt("axis", 0), r)
	if err != nil {
		return err
	}
	if k := n.GetInt("num_outputs", 0); k != 0 && int(k) != nout {
		return Errorf(n, "num_outputs is %d but the node has %d outputs", k, nout)
	}
	sizes := make([]ir.Dim, nout)
	for i := range sizes {
		sizes[i] = ir.Unknown()
	}
	dim := in.Shape[axis]
	if n.Input(1) != nil {
		if sp, ok := ConstInts(n, 1); ok {
			if len(sp) != nout {
				return Errorf(n, "%d split sizes for %d outputs", len(sp), nout)
			}
			sum := int64(0)
			for i, v := range sp {
				if v < 0 {
					return Errorf(n, "negative split size %d", v)
				}
				sizes[i] = ir.Static(v)
				sum += v
			}
			if dim.IsStatic() && sum != dim.N {
				return Errorf(n, "split sizes %v do not add up to dim %d", sp, dim.N)
			}
		}
	} else if dim.IsStatic() {
		ss, err := runtime.SplitSizes(int(dim.N), nout, n.GetInt("num_outputs", 0) > 0)
		if err != nil {
			return Errorf(n, "%v", err)
		}
		for i, v := range ss {
			sizes[i] = ir.Static(int64(v))
		}
	} else if nout == 1 {
		sizes[0] = dim
	}
	for i := range nout {
		dims := append([]ir.Dim{}, in.Shape...)
		dims[axis] = sizes[i]
		SetOut(n, i, ir.TensorType(in.DType, dims...))
	}
	return nil
}

func inferSlice(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	r := len(in.Shape)
	starts, ok1 := ConstInts(n, 1)
	ends, ok2 := ConstInts(n, 2)
	axes, ok3 := ConstInts(n, 3)
	steps, ok4 := ConstInts(n, 4)
	if n.Input(3) == nil {
		ok3 = true
		axes = nil
	}
	if n.Input(4) == nil {
		ok4 = true
		steps = nil
	}
	if !ok3 {
		// Any axis may be sliced.
		SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(r)...))
		return nil
	}
	dims := append([]ir.Dim{}, in.Shape...)
	if !ok1 || !ok2 || !ok4 {
		if axes == nil {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(r)...))
			return nil
		}
		for _, a := range axes {
			k, err := NormAxis(n, a, r)
			if err != nil {
				return err
			}
			dims[k] = ir.Unknown()
		}
		SetOut(n, 0, ir.TensorType(in.DType, dims...))
		return nil
	}
	if len(starts) != len(ends) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return Errorf(n, "starts, ends, axes and steps differ in length")
	}
	seen := make([]bool, r)
	for i := range starts {
		k := i
		if axes != nil {
			var err error
			if k, err = NormAxis(n, axes[i], r); err != nil {
				return err
			}
		} else if i >= r {
			return Errorf(n, "%d starts for rank %d", len(starts), r)
		}
		if seen[k] {
			return Errorf(n, "axis %d repeated", k)
		}
		seen[k] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return Errorf(n, "step 0")
		}
		d := in.Shape[k]
		if d.IsStatic() {
			_, cnt := runtime.SliceRange(starts[i], ends[i], step, d.N)
			dims[k] = ir.Static(cnt)
		} else if starts[i] == 0 && step == 1 && ends[i] >= 1<<31 {
			// The whole axis: [0:INT_MAX] keeps even an unknown dim.
		} else {
			dims[k] = ir.Unknown()
		}
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferExpand(n *ir.Node) error {
	in := InType(n, 0)
	want, ok := ConstInts(n, 1)
	if !ok {
		k := mvConstLen(n, 1)
		if k >= 0 && in.RankKnown {
			r := max(k, len(in.Shape))
			dims := mvUnknownDims(r)
			// A dim of the input other than 1 survives the two-way broadcast.
			for i, d := range in.Shape {
				if d.IsStatic() && d.N != 1 || d.Sym != "" {
					dims[r-len(in.Shape)+i] = d
				}
			}
			SetOut(n, 0, ir.TensorType(in.DType, dims...))
		} else {
			SetOut(n, 0, ir.Type{DType: in.DType})
		}
		return nil
	}
	for _, d := range want {
		if d < 0 {
			return Errorf(n, "negative dim in shape %v", want)
		}
	}
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	wd := mvDims(Ints(want))
	dims, err := BroadcastDims(n, in.Shape, wd)
	if err != nil {
		return err
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferTile(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	reps, ok := ConstInts(n, 1)
	if !ok {
		SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(len(in.Shape))...))
		return nil
	}
	if len(reps) != len(in.Shape) {
		return Errorf(n, "%d repeats for rank %d", len(reps), len(in.Shape))
	}
	dims := make([]ir.Dim, len(reps))
	for i, k := range reps {
		d := in.Shape[i]
		switch {
		case k < 0:
			return Errorf(n, "negative repeat %d", k)
		case k == 1:
			dims[i] = d
		case k == 0:
			dims[i] = ir.Static(0)
		case d.IsStatic():
			dims[i] = ir.Static(d.N * k)
		default:
			dims[i] = ir.Unknown()
		}
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferPad(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	r := len(in.Shape)
	pads, ok := ConstInts(n, 1)
	axes := make([]int, 0, r)
	if n.Input(3) != nil {
		av, ok2 := ConstInts(n, 3)
		if !ok2 {
			ok = false
		}
		for _, a := range av {
			k, err := NormAxis(n, a, r)
			if err != nil {
				return err
			}
			axes = append(axes, k)
		}
	} else {
		for i := range r {
			axes = append(axes, i)
		}
	}
	if !ok {
		SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(r)...))
		return nil
	}
	if len(pads) != 2*len(axes) {
		return Errorf(n, "%d pads for %d axes", len(pads), len(axes))
	}
	dims := append([]ir.Dim{}, in.Shape...)
	for i, a := range axes {
		b, e := pads[i], pads[len(axes)+i]
		switch d := in.Shape[a]; {
		case b == 0 && e == 0:
		case d.IsStatic():
			if d.N+b+e < 0 {
				return Errorf(n, "pads %d, %d make a dim of %d negative", b, e, d.N)
			}
			dims[a] = ir.Static(d.N + b + e)
		default:
			dims[a] = ir.Unknown()
		}
	}
	if v := n.Input(2); v != nil && v.Type.DType != in.DType && v.Type.DType != runtime.Undefined {
		return Errorf(n, "constant_value is %s, data is %s", v.Type.DType, in.DType)
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferCenterCropPad(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	r := len(in.Shape)
	var axes []int
	if av := n.GetInts("axes", nil); av != nil {
		for _, a := range av {
			k, err := NormAxis(n, a, r)
			if err != nil {
				return err
			}
			axes = append(axes, k)
		}
	} else {
		for i := range r {
			axes = append(axes, i)
		}
	}
	dims := append([]ir.Dim{}, in.Shape...)
	sizes, ok := ConstInts(n, 1)
	if ok && len(sizes) != len(axes) {
		return Errorf(n, "%d sizes for %d axes", len(sizes), len(axes))
	}
	for i, a := range axes {
		if ok {
			dims[a] = ir.Static(sizes[i])
		} else {
			dims[a] = ir.Unknown()
		}
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

// inferDepthSpace infers DepthToSpace (toSpace) or SpaceToDepth.
func inferDepthSpace(toSpace bool) func(n *ir.Node) error {
	return func(n *ir.Node) error {
		in := InType(n, 0)
		b := n.GetInt("blocksize", 0)
		if b <= 0 {
			return Errorf(n, "blocksize %d must be positive", b)
		}
		if !in.RankKnown {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(4)...))
			return nil
		}
		if len(in.Shape) != 4 {
			return Errorf(n, "input rank %d, want 4", len(in.Shape))
		}
		s := in.Shape
		mul := func(d ir.Dim) ir.Dim {
			if d.IsStatic() {
				return ir.Static(d.N * b)
			}
			return ir.Unknown()
		}
		div := func(d ir.Dim, k int64) (ir.Dim, error) {
			if !d.IsStatic() {
				return ir.Unknown(), nil
			}
			if d.N%k != 0 {
				return d, Errorf(n, "dim %d is not divisible by %d", d.N, k)
			}
			return ir.Static(d.N / k), nil
		}
		var dims [4]ir.Dim
		var err error
		dims[0] = s[0]
		if toSpace {
			if dims[1], err = div(s[1], b*b); err != nil {
				return err
			}
			dims[2], dims[3] = mul(s[2]), mul(s[3])
		} else {
			dims[1] = ir.Unknown()
			if s[1].IsStatic() {
				dims[1] = ir.Static(s[1].N * b * b)
			}
			if dims[2], err = div(s[2], b); err != nil {
				return err
			}
			if dims[3], err = div(s[3], b); err != nil {
				return err
			}
		}
		SetOut(n, 0, ir.TensorType(in.DType, dims[:]...))
		return nil
	}
}

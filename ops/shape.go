package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Shape ops: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, ConstantOfShape, Range,
// EyeLike. Their kernels are in runtime/k_shape.go.

func init() {
	Register(
		&Def{Op: "Reshape", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1, MayAlias: true,
			Doc: "new shape, same data (0 copies a dim unless allowzero, -1 is inferred)", Infer: inferReshape,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Reshape, &runtime.ReshapeParams{AllowZero: n.GetInt("allowzero", 0) != 0}), nil
			}},
		&Def{Op: "Flatten", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, MayAlias: true,
			Doc: "reshape to 2-D around an axis", Infer: inferFlatten,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Flatten, &runtime.FlattenParams{Axis: int(n.GetInt("axis", 1))}), nil
			}},
		&Def{Op: "Squeeze", Elems: elemsSame, MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1, MayAlias: true,
			Doc: "remove dims of size 1", Infer: inferSqueeze,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.Squeeze, &struct{}{}), nil }},
		&Def{Op: "Unsqueeze", Elems: elemsSame, MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1, MayAlias: true,
			Doc: "insert dims of size 1", Infer: inferUnsqueeze,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.Unsqueeze, &struct{}{}), nil }},
		&Def{Op: "Shape", Elems: elemsShape, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "the input's shape (dims start to end) as int64", Infer: inferShape,
			FoldFromTypes: foldShape,
			Lower: func(n *ir.Node) (Call, error) {
				_, hasEnd := n.Attr("end")
				return K(lowered.Shape, &runtime.ShapeParams{Start: int(n.GetInt("start", 0)), End: int(n.GetInt("end", 0)), HasEnd: hasEnd}), nil
			}},
		&Def{Op: "Size", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "the input's element count as int64", Infer: func(n *ir.Node) error {
				SetOut(n, 0, ir.StaticType(runtime.Int64))
				return nil
			},
			FoldFromTypes: func(n *ir.Node) []*runtime.Tensor {
				shape, ok := InType(n, 0).StaticShape()
				if !ok {
					return nil
				}
				t := runtime.New(runtime.Int64)
				runtime.Data[int64](t)[0] = int64(runtime.NumElems(shape))
				return []*runtime.Tensor{t}
			},
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.Size, &struct{}{}), nil }},
		&Def{Op: "ConstantOfShape", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "a tensor of a given shape filled with one value", Infer: inferConstantOfShape,
			Lower: lowerConstantOfShape},
		&Def{Op: "Range", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "start, start+delta, ... below limit", Infer: inferRange,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.Range, &struct{}{}), nil }},
		&Def{Op: "EyeLike", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "identity-like matrix of the input's shape", Infer: inferEyeLike,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.EyeLike, &runtime.EyeLikeParams{DType: runtime.DType(n.GetInt("dtype", 0)), K: int(n.GetInt("k", 0))}), nil
			}},
	)
}

// mvDims converts static sizes to dims.
func mvDims(shape []int) []ir.Dim {
	d := make([]ir.Dim, len(shape))
	for i, v := range shape {
		d[i] = ir.Static(int64(v))
	}
	return d
}

// mvUnknownDims is a shape of rank r with every dim unknown.
func mvUnknownDims(r int) []ir.Dim {
	d := make([]ir.Dim, r)
	for i := range d {
		d[i] = ir.Unknown()
	}
	return d
}

// mvProd is the product of dims: static when all are, else unknown (a single non-static dim
// times static ones equal to 1 stays that dim).
func mvProd(dims []ir.Dim) ir.Dim {
	p := int64(1)
	var other *ir.Dim
	for i, d := range dims {
		switch {
		case d.IsStatic():
			p *= d.N
		case other == nil:
			other = &dims[i]
		default:
			return ir.Unknown()
		}
	}
	if other != nil {
		if p == 1 {
			return *other
		}
		return ir.Unknown()
	}
	return ir.Static(p)
}

// mvConstLen is the static length of a 1-D input (for shape-like inputs that are not
// constant), or -1.
func mvConstLen(n *ir.Node, i int) int {
	t := InType(n, i)
	if t.Rank() == 1 && t.Shape[0].IsStatic() {
		return int(t.Shape[0].N)
	}
	return -1
}

func inferReshape(n *ir.Node) error {
	in := InType(n, 0)
	want, ok := ConstInts(n, 1)
	var syms []ir.Dim // the target's elements where some are symbolic
	if !ok {
		if e, known := InElems(n, 1); known {
			want, syms, ok = make([]int64, len(e)), e, true
			for i, d := range e {
				want[i] = d.N
				if d.Sym != "" {
					want[i] = 1 // a placeholder; dims[i] takes the symbol below
				}
			}
		}
	}
	if !ok {
		if k := mvConstLen(n, 1); k >= 0 {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(k)...))
		} else {
			SetOut(n, 0, ir.Type{DType: in.DType})
		}
		return nil
	}
	allowZero := n.GetInt("allowzero", 0) != 0
	if shape, ok := in.StaticShape(); ok && syms == nil {
		dims, err := runtime.ReshapeDims(shape, want, allowZero)
		if err != nil {
			return Errorf(n, "%v", err)
		}
		SetOut(n, 0, ir.StaticType(in.DType, dims...))
		return nil
	}
	dims := make([]ir.Dim, len(want))
	neg := -1
	for i, d := range want {
		switch {
		case d == -1:
			if neg >= 0 {
				return Errorf(n, "shape %v has more than one -1", want)
			}
			neg = i
			dims[i] = ir.Unknown()
		case d == 0 && !allowZero:
			if in.RankKnown && i < len(in.Shape) {
				dims[i] = in.Shape[i]
			} else {
				if in.RankKnown {
					return Errorf(n, "shape %v copies dim %d of a rank-%d input", want, i, len(in.Shape))
				}
				dims[i] = ir.Unknown()
			}
		case d < 0:
			return Errorf(n, "shape %v has a negative dim", want)
		case syms != nil && syms[i].Sym != "":
			dims[i] = syms[i]
		default:
			dims[i] = ir.Static(d)
		}
	}
	// The -1 is often computable even with symbolic dims, when the same symbols appear on both
	// sides (for example [B, S, H*D] to [B, S, H, -1] via copied dims).
	if neg >= 0 && in.RankKnown {
		dims[neg] = mvSolveDim(in.Shape, dims, neg)
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

// mvSolveDim finds dim neg of out such that out and in have the same element count, when the
// non-static dims of both sides cancel out exactly.
func mvSolveDim(in, out []ir.Dim, neg int) ir.Dim {
	num, den := int64(1), int64(1)
	var syms []ir.Dim
	for _, d := range in {
		if d.IsStatic() {
			num *= d.N
		} else {
			syms = append(syms, d)
		}
	}
	for i, d := range out {
		if i == neg {
			continue
		}
		if d.IsStatic() {
			den *= d.N
			continue
		}
		// Cancel one equal symbolic dim from the input side.
		found := false
		for k, s := range syms {
			if d.Sym != "" && s.Sym == d.Sym {
				syms = append(syms[:k], syms[k+1:]...)
				found = true
				break
			}
		}
		if !found {
			return ir.Unknown()
		}
	}
	if den == 0 || num%den != 0 {
		return ir.Unknown()
	}
	switch {
	case len(syms) == 0:
		return ir.Static(num / den)
	case len(syms) == 1 && num == den:
		return syms[0]
	}
	return ir.Unknown()
}

func inferFlatten(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.TensorType(in.DType, ir.Unknown(), ir.Unknown()))
		return nil
	}
	r := len(in.Shape)
	axis := n.GetInt("axis", 1)
	if axis < -int64(r) || axis > int64(r) {
		return Errorf(n, "axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	SetOut(n, 0, ir.TensorType(in.DType, mvProd(in.Shape[:axis]), mvProd(in.Shape[axis:])))
	return nil
}

func inferSqueeze(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	r := len(in.Shape)
	drop := make([]bool, r)
	if n.Input(1) != nil {
		axes, ok := ConstInts(n, 1)
		if !ok {
			if k := mvConstLen(n, 1); k >= 0 && k <= r {
				SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(r-k)...))
			} else {
				SetOut(n, 0, ir.Type{DType: in.DType})
			}
			return nil
		}
		for _, a := range axes {
			k, err := NormAxis(n, a, r)
			if err != nil {
				return err
			}
			if d := in.Shape[k]; d.IsStatic() && d.N != 1 {
				return Errorf(n, "cannot squeeze dim %d of size %d", k, d.N)
			}
			drop[k] = true
		}
	} else {
		for i, d := range in.Shape {
			if !d.IsStatic() {
				// Whether this dim goes depends on its run-time size.
				SetOut(n, 0, ir.Type{DType: in.DType})
				return nil
			}
			drop[i] = d.N == 1
		}
	}
	var dims []ir.Dim
	for i, d := range in.Shape {
		if !drop[i] {
			dims = append(dims, d)
		}
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferUnsqueeze(n *ir.Node) error {
	in := InType(n, 0)
	axes, ok := ConstInts(n, 1)
	if !in.RankKnown || !ok {
		if k := mvConstLen(n, 1); in.RankKnown && k >= 0 {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(len(in.Shape)+k)...))
		} else {
			SetOut(n, 0, ir.Type{DType: in.DType})
		}
		return nil
	}
	r := len(in.Shape) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		k, err := NormAxis(n, a, r)
		if err != nil {
			return err
		}
		if ins[k] {
			return Errorf(n, "axis %d repeated", a)
		}
		ins[k] = true
	}
	dims := make([]ir.Dim, r)
	j := 0
	for i := range dims {
		if ins[i] {
			dims[i] = ir.Static(1)
			continue
		}
		dims[i] = in.Shape[j]
		j++
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func mvShapeRange(n *ir.Node, rank int) (int, int) {
	_, hasEnd := n.Attr("end")
	return runtime.ShapeRange(int(n.GetInt("start", 0)), int(n.GetInt("end", 0)), hasEnd, rank)
}

func inferShape(n *ir.Node) error {
	in := InType(n, 0)
	if !in.RankKnown {
		SetOut(n, 0, ir.TensorType(runtime.Int64, ir.Unknown()))
		return nil
	}
	s, e := mvShapeRange(n, len(in.Shape))
	SetOut(n, 0, ir.StaticType(runtime.Int64, e-s))
	return nil
}

// foldShape computes Shape's output when the selected dims are static, even if others are not.
func foldShape(n *ir.Node) []*runtime.Tensor {
	in := InType(n, 0)
	if !in.RankKnown || in.Kind != ir.TensorKind {
		return nil
	}
	s, e := mvShapeRange(n, len(in.Shape))
	t := runtime.New(runtime.Int64, e-s)
	d := runtime.Data[int64](t)
	for i := s; i < e; i++ {
		if !in.Shape[i].IsStatic() {
			return nil
		}
		d[i-s] = in.Shape[i].N
	}
	return []*runtime.Tensor{t}
}

// mvConstValue is ConstantOfShape's value attribute: type and value (default float32 0).
func mvConstValue(n *ir.Node) (runtime.DType, float64, int64, error) {
	v := n.GetTensor("value")
	if v == nil {
		return runtime.Float32, 0, 0, nil
	}
	if v.Len() != 1 {
		return 0, 0, 0, Errorf(n, "value must have one element, has %d", v.Len())
	}
	switch v.DType {
	case runtime.Float32:
		return v.DType, float64(runtime.Data[float32](v)[0]), 0, nil
	case runtime.Float64:
		return v.DType, runtime.Data[float64](v)[0], 0, nil
	case runtime.Float16:
		return v.DType, float64(runtime.Data[runtime.F16](v)[0].Float32()), 0, nil
	case runtime.BFloat16:
		return v.DType, float64(runtime.Data[runtime.BF16](v)[0].Float32()), 0, nil
	case runtime.String, runtime.Complex64, runtime.Complex128:
		return 0, 0, 0, Errorf(n, "value of type %s is not supported", v.DType)
	}
	i := TensorInts(v)[0]
	return v.DType, float64(i), i, nil
}

func inferConstantOfShape(n *ir.Node) error {
	dt, _, _, err := mvConstValue(n)
	if err != nil {
		return err
	}
	if dims, ok := ConstInts(n, 0); ok {
		for _, d := range dims {
			if d < 0 {
				return Errorf(n, "negative dim in shape %v", dims)
			}
		}
		SetOut(n, 0, ir.StaticType(dt, Ints(dims)...))
		return nil
	}
	if k := mvConstLen(n, 0); k >= 0 {
		SetOut(n, 0, ir.TensorType(dt, mvUnknownDims(k)...))
	} else {
		SetOut(n, 0, ir.Type{DType: dt})
	}
	return nil
}

func lowerConstantOfShape(n *ir.Node) (Call, error) {
	dt, f, i, err := mvConstValue(n)
	if err != nil {
		return Call{}, err
	}
	return K(lowered.ConstantOfShape, &runtime.ConstantOfShapeParams{DType: dt, Float: f, Int: i}), nil
}

func inferRange(n *ir.Node) error {
	dt := InType(n, 0).DType
	for i := 1; i < 3; i++ {
		if t := InType(n, i); t.DType != dt {
			return Errorf(n, "input %d is %s, input 0 is %s", i, t.DType, dt)
		}
	}
	if ConstInput(n, 0) != nil && ConstInput(n, 1) != nil && ConstInput(n, 2) != nil {
		cnt, err := runtime.RangeLen(ConstInput(n, 0), ConstInput(n, 1), ConstInput(n, 2))
		if err != nil {
			return Errorf(n, "%v", err)
		}
		SetOut(n, 0, ir.StaticType(dt, cnt))
		return nil
	}
	SetOut(n, 0, ir.TensorType(dt, ir.Unknown()))
	return nil
}

func inferEyeLike(n *ir.Node) error {
	in := InType(n, 0)
	dt := runtime.DType(n.GetInt("dtype", 0))
	if dt == runtime.Undefined {
		dt = in.DType
	}
	if in.RankKnown && len(in.Shape) != 2 {
		return Errorf(n, "input rank %d, want 2", len(in.Shape))
	}
	if !in.RankKnown {
		SetOut(n, 0, ir.TensorType(dt, ir.Unknown(), ir.Unknown()))
		return nil
	}
	SetOut(n, 0, ir.TensorType(dt, in.Shape...))
	return nil
}

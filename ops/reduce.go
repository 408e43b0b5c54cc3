package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Reductions: the Reduce* family (one table row each, one kernel), ArgMax/ArgMin,
// CumSum/CumProd and TopK.

var reduceTable = []struct {
	op   string
	code int
	bool bool // defined on bool inputs (max is any, min is all)
	doc  string
}{
	{"ReduceSum", runtime.ReduceSumOp, false, "sum over axes"},
	{"ReduceMean", runtime.ReduceMeanOp, false, "mean over axes"},
	{"ReduceMax", runtime.ReduceMaxOp, true, "maximum over axes"},
	{"ReduceMin", runtime.ReduceMinOp, true, "minimum over axes"},
	{"ReduceProd", runtime.ReduceProdOp, false, "product over axes"},
	{"ReduceL1", runtime.ReduceL1Op, false, "sum of absolute values over axes"},
	{"ReduceL2", runtime.ReduceL2Op, false, "square root of the sum of squares over axes"},
	{"ReduceLogSum", runtime.ReduceLogSumOp, false, "log of the sum over axes"},
	{"ReduceLogSumExp", runtime.ReduceLogSumExpOp, false, "log of the sum of exponentials over axes"},
	{"ReduceSumSquare", runtime.ReduceSumSquareOp, false, "sum of squares over axes"},
}

func init() {
	for _, row := range reduceTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc:   row.doc,
			Infer: func(n *ir.Node) error { return inferReduce(n, row.bool) },
			Lower: func(n *ir.Node) (Call, error) {
				axes, known := reduceAxes(n)
				return K(lowered.Reduce, &runtime.ReduceParams{
					Op: row.code, Axes: axes, AxesConst: known,
					KeepDims:          n.GetInt("keepdims", 1) != 0,
					NoopWithEmptyAxes: n.GetInt("noop_with_empty_axes", 0) != 0,
				}), nil
			},
		})
	}
	for _, isMin := range []bool{false, true} {
		isMin := isMin
		op, doc := "ArgMax", "index of the maximum along an axis"
		if isMin {
			op, doc = "ArgMin", "index of the minimum along an axis"
		}
		Register(&Def{
			Op: op, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc:   doc,
			Infer: inferArgReduce,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.ArgReduce, &runtime.ArgReduceParams{
					Axis:            int(n.GetInt("axis", 0)),
					KeepDims:        n.GetInt("keepdims", 1) != 0,
					SelectLastIndex: n.GetInt("select_last_index", 0) != 0,
					Min:             isMin,
				}), nil
			},
		})
	}
	for _, prod := range []bool{false, true} {
		prod := prod
		op, doc := "CumSum", "cumulative sum along an axis"
		if prod {
			op, doc = "CumProd", "cumulative product along an axis"
		}
		Register(&Def{
			Op: op, MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc:   doc,
			Infer: inferCumulative,
			Lower: func(n *ir.Node) (Call, error) {
				p := &runtime.CumParams{
					Prod:      prod,
					Exclusive: n.GetInt("exclusive", 0) != 0,
					Reverse:   n.GetInt("reverse", 0) != 0,
				}
				if v, ok := ConstInts(n, 1); ok && len(v) == 1 {
					p.Axis, p.AxisConst = v[0], true
				}
				return K(lowered.Cumulative, p), nil
			},
		})
	}
	Register(&Def{
		Op: "TopK", MinIn: 2, MaxIn: 2, MinOut: 2, MaxOut: 2,
		Doc:   "the K largest or smallest elements along an axis, and their indices",
		Infer: inferTopK,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.TopK, &runtime.TopKParams{
				Axis:    int(n.GetInt("axis", -1)),
				Largest: n.GetInt("largest", 1) != 0,
				Sorted:  n.GetInt("sorted", 1) != 0,
			}), nil
		},
	})
}

// rdNumeric checks that dt is a numeric type (bool too when allowBool); unknown passes.
func rdNumeric(n *ir.Node, dt ir.DType, allowBool bool) error {
	switch {
	case dt == runtime.Undefined:
	case dt == runtime.Bool && allowBool:
	case dt == runtime.Bool, dt == runtime.String, !dt.Valid():
		return Errorf(n, "%s input is not supported", dt)
	}
	return nil
}

// rdFloatType checks that dt is a float type; unknown passes.
func rdFloatType(n *ir.Node, dt ir.DType) error {
	if dt != runtime.Undefined && !dt.IsFloat() {
		return Errorf(n, "%s input is not supported (want a float type)", dt)
	}
	return nil
}

// reduceAxes returns the reduced axes when known at compile time: input 1 constant or absent
// (an old-style axes attribute is accepted too when there is no input).
func reduceAxes(n *ir.Node) (axes []int64, known bool) {
	if n.Input(1) == nil {
		return n.GetInts("axes", nil), true
	}
	return ConstInts(n, 1)
}

// rdMask marks the reduced axes of a rank-r input, checking range and repeats.
func rdMask(n *ir.Node, rank int, axes []int64, noop bool) ([]bool, error) {
	red := make([]bool, rank)
	if len(axes) == 0 {
		for i := range red {
			red[i] = !noop
		}
		return red, nil
	}
	for _, a := range axes {
		ax, err := NormAxis(n, a, rank)
		if err != nil {
			return nil, err
		}
		if red[ax] {
			return nil, Errorf(n, "axis %d repeated in %v", a, axes)
		}
		red[ax] = true
	}
	return red, nil
}

// rdReducedDims is the shape left after reducing the marked axes.
func rdReducedDims(shape []ir.Dim, red []bool, keep bool) []ir.Dim {
	out := []ir.Dim{}
	for i, d := range shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, ir.Static(1))
		}
	}
	return out
}

func inferReduce(n *ir.Node, allowBool bool) error {
	t := InType(n, 0)
	if err := rdNumeric(n, t.DType, allowBool); err != nil {
		return err
	}
	keep := n.GetInt("keepdims", 1) != 0
	noop := n.GetInt("noop_with_empty_axes", 0) != 0
	axes, known := reduceAxes(n)
	if !t.RankKnown {
		SetOut(n, 0, ir.Type{DType: t.DType})
		return nil
	}
	if known {
		red, err := rdMask(n, len(t.Shape), axes, noop)
		if err != nil {
			return err
		}
		SetOut(n, 0, ir.TensorType(t.DType, rdReducedDims(t.Shape, red, keep)...))
		return nil
	}
	// The axes are only known at run time. With keepdims the rank stays and a dim of size 1
	// stays 1 either way; without, the number of axes (the axes input's length) gives the rank.
	if keep {
		dims := make([]ir.Dim, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = ir.Unknown()
			if d.N == 1 {
				dims[i] = d
			}
		}
		SetOut(n, 0, ir.TensorType(t.DType, dims...))
		return nil
	}
	at := InType(n, 1)
	if at.Rank() == 1 && at.Shape[0].IsStatic() {
		k := int(at.Shape[0].N)
		switch {
		case k == 0 && noop:
			SetOut(n, 0, t)
			return nil
		case k == 0:
			SetOut(n, 0, ir.TensorType(t.DType))
			return nil
		case k <= len(t.Shape):
			dims := make([]ir.Dim, len(t.Shape)-k)
			for i := range dims {
				dims[i] = ir.Unknown()
			}
			SetOut(n, 0, ir.TensorType(t.DType, dims...))
			return nil
		}
		return Errorf(n, "%d axes for an input of rank %d", k, len(t.Shape))
	}
	SetOut(n, 0, ir.Type{DType: t.DType})
	return nil
}

func inferArgReduce(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdNumeric(n, t.DType, false); err != nil {
		return err
	}
	if !t.RankKnown {
		SetOut(n, 0, ir.Type{DType: runtime.Int64})
		return nil
	}
	red := make([]bool, len(t.Shape))
	if len(t.Shape) > 0 {
		ax, err := NormAxis(n, n.GetInt("axis", 0), len(t.Shape))
		if err != nil {
			return err
		}
		if t.Shape[ax].N == 0 {
			return Errorf(n, "arg-reduction over empty axis %d", ax)
		}
		red[ax] = true
	}
	SetOut(n, 0, ir.TensorType(runtime.Int64, rdReducedDims(t.Shape, red, n.GetInt("keepdims", 1) != 0)...))
	return nil
}

func inferCumulative(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdNumeric(n, t.DType, false); err != nil {
		return err
	}
	if v, ok := ConstInts(n, 1); ok {
		if len(v) != 1 {
			return Errorf(n, "axis input has %d elements, want 1", len(v))
		}
		if t.RankKnown {
			if _, err := NormAxis(n, v[0], max(len(t.Shape), 1)); err != nil {
				return err
			}
		}
	}
	SetOut(n, 0, t)
	return nil
}

func inferTopK(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdNumeric(n, t.DType, false); err != nil {
		return err
	}
	if !t.RankKnown {
		SetOut(n, 0, ir.Type{DType: t.DType})
		SetOut(n, 1, ir.Type{DType: runtime.Int64})
		return nil
	}
	if len(t.Shape) == 0 {
		return Errorf(n, "TopK of a scalar")
	}
	ax, err := NormAxis(n, n.GetInt("axis", -1), len(t.Shape))
	if err != nil {
		return err
	}
	dims := append([]ir.Dim(nil), t.Shape...)
	dims[ax] = ir.Unknown()
	if k, ok := ConstInts(n, 1); ok {
		if len(k) != 1 {
			return Errorf(n, "K has %d elements, want 1", len(k))
		}
		if k[0] < 0 || (t.Shape[ax].IsStatic() && k[0] > t.Shape[ax].N) {
			return Errorf(n, "K = %d out of range for axis %d of size %s", k[0], ax, t.Shape[ax])
		}
		dims[ax] = ir.Static(k[0])
	}
	SetOut(n, 0, ir.TensorType(t.DType, dims...))
	SetOut(n, 1, ir.TensorType(runtime.Int64, append([]ir.Dim(nil), dims...)...))
	return nil
}

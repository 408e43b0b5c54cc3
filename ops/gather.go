package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Indexing ops: Gather, GatherElements, GatherND, ScatterElements, Scatter (its deprecated
// alias), ScatterND. Kernels in runtime/k_gather.go.

func init() {
	scatterLower := func(n *ir.Node) (Call, error) {
		red := n.GetString("reduction", "none")
		switch red {
		case "none", "add", "mul", "max", "min":
		default:
			return Call{}, Errorf(n, "unknown reduction %q", red)
		}
		return K(lowered.ScatterElements, &runtime.ScatterParams{Axis: int(n.GetInt("axis", 0)), Reduction: red}), nil
	}
	Register(
		&Def{Op: "Gather", Elems: elemsGather, MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "slices along an axis picked by indices", Infer: inferGather,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Gather, &runtime.GatherParams{Axis: int(n.GetInt("axis", 0))}), nil
			}},
		&Def{Op: "GatherElements", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "elements along an axis picked by same-rank indices", Infer: func(n *ir.Node) error {
				SetOut(n, 0, mvWithDType(InType(n, 1), InType(n, 0).DType))
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.GatherElements, &runtime.GatherParams{Axis: int(n.GetInt("axis", 0))}), nil
			}},
		&Def{Op: "GatherND", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "slices addressed by index tuples", Infer: inferGatherND,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.GatherND, &runtime.GatherNDParams{BatchDims: int(n.GetInt("batch_dims", 0))}), nil
			}},
		&Def{Op: "ScatterElements", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "write elements along an axis at same-rank indices", Infer: SameAsInput, Lower: scatterLower},
		&Def{Op: "Scatter", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "deprecated ScatterElements", Infer: SameAsInput, Lower: scatterLower},
		&Def{Op: "ScatterND", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "write slices at index tuples", Infer: SameAsInput,
			Lower: func(n *ir.Node) (Call, error) {
				red := n.GetString("reduction", "none")
				switch red {
				case "none", "add", "mul", "max", "min":
				default:
					return Call{}, Errorf(n, "unknown reduction %q", red)
				}
				return K(lowered.ScatterND, &runtime.ScatterParams{Reduction: red}), nil
			}},
	)
}

// mvWithDType is t with another element type.
func mvWithDType(t ir.Type, dt ir.DType) ir.Type {
	t.DType = dt
	t.Kind = ir.TensorKind
	return t
}

func inferGather(n *ir.Node) error {
	data, idx := InType(n, 0), InType(n, 1)
	if !data.RankKnown || !idx.RankKnown {
		SetOut(n, 0, ir.Type{DType: data.DType})
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", 0), len(data.Shape))
	if err != nil {
		return err
	}
	if t := ConstInput(n, 1); t != nil && data.Shape[axis].IsStatic() {
		dim := data.Shape[axis].N
		for _, v := range TensorInts(t) {
			if v < -dim || v >= dim {
				return Errorf(n, "index %d out of range for a dim of %d", v, dim)
			}
		}
	}
	dims := append(append(append([]ir.Dim{}, data.Shape[:axis]...), idx.Shape...), data.Shape[axis+1:]...)
	SetOut(n, 0, ir.TensorType(data.DType, dims...))
	return nil
}

func inferGatherND(n *ir.Node) error {
	data, idx := InType(n, 0), InType(n, 1)
	b := int(n.GetInt("batch_dims", 0))
	if !data.RankKnown || !idx.RankKnown || len(idx.Shape) == 0 || !idx.Shape[len(idx.Shape)-1].IsStatic() {
		SetOut(n, 0, ir.Type{DType: data.DType})
		return nil
	}
	q := len(idx.Shape)
	k := int(idx.Shape[q-1].N)
	if b < 0 || b >= q || b+k > len(data.Shape) {
		return Errorf(n, "index tuples of %d with batch_dims %d for data rank %d", k, b, len(data.Shape))
	}
	dims := append(append([]ir.Dim{}, idx.Shape[:q-1]...), data.Shape[b+k:]...)
	SetOut(n, 0, ir.TensorType(data.DType, dims...))
	return nil
}

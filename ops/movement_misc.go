package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Selection and rearrangement ops: Trilu, OneHot, NonZero, Compress, ReverseSequence, Unique,
// Col2Im. Kernels in runtime/k_movement_misc.go.

func init() {
	Register(
		&Def{Op: "Trilu", MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "upper or lower triangle of the last two dims", Infer: SameAsInput,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Trilu, &runtime.TriluParams{Upper: n.GetInt("upper", 1) != 0}), nil
			}},
		&Def{Op: "OneHot", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "one-hot vectors of indices", Infer: inferOneHot,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.OneHot, &runtime.OneHotParams{Axis: int(n.GetInt("axis", -1))}), nil
			}},
		&Def{Op: "NonZero", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "coordinates of non-zero elements", Infer: func(n *ir.Node) error {
				in := InType(n, 0)
				if !in.RankKnown {
					SetOut(n, 0, ir.TensorType(runtime.Int64, ir.Unknown(), ir.Unknown()))
				} else {
					SetOut(n, 0, ir.TensorType(runtime.Int64, ir.Static(int64(len(in.Shape))), ir.Unknown()))
				}
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.NonZero, &struct{}{}), nil }},
		&Def{Op: "Compress", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "slices where a condition holds", Infer: inferCompress,
			Lower: func(n *ir.Node) (Call, error) {
				_, has := n.Attr("axis")
				return K(lowered.Compress, &runtime.CompressParams{Axis: int(n.GetInt("axis", 0)), HasAxis: has}), nil
			}},
		&Def{Op: "ReverseSequence", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "reverse variable-length sequences", Infer: SameAsInput,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.ReverseSequence, &runtime.ReverseSequenceParams{
					BatchAxis: int(n.GetInt("batch_axis", 1)), TimeAxis: int(n.GetInt("time_axis", 0))}), nil
			}},
		&Def{Op: "Unique", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 4,
			Doc: "distinct elements or slices, with indices and counts", Infer: inferUnique,
			Lower: func(n *ir.Node) (Call, error) {
				_, has := n.Attr("axis")
				return K(lowered.Unique, &runtime.UniqueParams{Sorted: n.GetInt("sorted", 1) != 0, Axis: int(n.GetInt("axis", 0)), HasAxis: has}), nil
			}},
		&Def{Op: "Col2Im", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "sum sliding-window columns into an image", Infer: inferCol2Im,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Col2Im, &runtime.Col2ImParams{
					Dilations: Ints(n.GetInts("dilations", nil)), Pads: Ints(n.GetInts("pads", nil)), Strides: Ints(n.GetInts("strides", nil))}), nil
			}},
	)
}

func inferOneHot(n *ir.Node) error {
	in := InType(n, 0)
	dt := InType(n, 2).DType
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: dt})
		return nil
	}
	r := len(in.Shape) + 1
	axis, err := NormAxis(n, n.GetInt("axis", -1), r)
	if err != nil {
		return err
	}
	depth := ir.Unknown()
	if t := ConstInput(n, 1); t != nil && t.Len() == 1 {
		if t.DType.IsFloat() {
			var f float64
			switch t.DType {
			case runtime.Float32:
				f = float64(runtime.Data[float32](t)[0])
			case runtime.Float64:
				f = runtime.Data[float64](t)[0]
			case runtime.Float16:
				f = float64(runtime.Data[runtime.F16](t)[0].Float32())
			case runtime.BFloat16:
				f = float64(runtime.Data[runtime.BF16](t)[0].Float32())
			}
			depth = ir.Static(int64(f))
		} else {
			depth = ir.Static(TensorInts(t)[0])
		}
		if depth.N < 1 {
			return Errorf(n, "depth %d < 1", depth.N)
		}
	}
	dims := append(append(append([]ir.Dim{}, in.Shape[:axis]...), depth), in.Shape[axis:]...)
	SetOut(n, 0, ir.TensorType(dt, dims...))
	return nil
}

func inferCompress(n *ir.Node) error {
	in := InType(n, 0)
	if _, has := n.Attr("axis"); !has {
		SetOut(n, 0, ir.TensorType(in.DType, ir.Unknown()))
		return nil
	}
	if !in.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", 0), len(in.Shape))
	if err != nil {
		return err
	}
	dims := append([]ir.Dim{}, in.Shape...)
	dims[axis] = ir.Unknown()
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferUnique(n *ir.Node) error {
	in := InType(n, 0)
	_, has := n.Attr("axis")
	unk := ir.TensorType(runtime.Int64, ir.Unknown())
	inverse := unk
	switch {
	case !has:
		SetOut(n, 0, ir.TensorType(in.DType, ir.Unknown()))
		if in.RankKnown {
			inverse = ir.TensorType(runtime.Int64, mvProd(in.Shape))
		}
	case !in.RankKnown:
		SetOut(n, 0, ir.Type{DType: in.DType})
	default:
		axis, err := NormAxis(n, n.GetInt("axis", 0), len(in.Shape))
		if err != nil {
			return err
		}
		dims := append([]ir.Dim{}, in.Shape...)
		dims[axis] = ir.Unknown()
		SetOut(n, 0, ir.TensorType(in.DType, dims...))
		inverse = ir.TensorType(runtime.Int64, in.Shape[axis])
	}
	SetOut(n, 1, unk)
	SetOut(n, 2, inverse)
	SetOut(n, 3, unk)
	return nil
}

func inferCol2Im(n *ir.Node) error {
	in := InType(n, 0)
	img, ok := ConstInts(n, 1)
	if !ok {
		if k := mvConstLen(n, 1); k >= 0 {
			SetOut(n, 0, ir.TensorType(in.DType, mvUnknownDims(k+2)...))
		} else {
			SetOut(n, 0, ir.Type{DType: in.DType})
		}
		return nil
	}
	dims := append([]ir.Dim{ir.Unknown(), ir.Unknown()}, mvDims(Ints(img))...)
	if in.RankKnown {
		if len(in.Shape) != 3 {
			return Errorf(n, "input rank %d, want 3", len(in.Shape))
		}
		dims[0] = in.Shape[0]
		if blk, ok := ConstInts(n, 2); ok && in.Shape[1].IsStatic() {
			k := int64(1)
			for _, b := range blk {
				k *= b
			}
			if k <= 0 || in.Shape[1].N%k != 0 {
				return Errorf(n, "%d channels are not a multiple of the block size %d", in.Shape[1].N, k)
			}
			dims[1] = ir.Static(in.Shape[1].N / k)
		}
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

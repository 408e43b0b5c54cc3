package ops

import (
	"math"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Resampling ops: Resize, GridSample, AffineGrid. Kernels in runtime/k_resize.go.

func init() {
	Register(
		&Def{Op: "Resize", MinIn: 1, MaxIn: 4, MinOut: 1, MaxOut: 1,
			Doc: "resample (nearest, linear, cubic)", Infer: inferResize, Lower: lowerResize},
		&Def{Op: "GridSample", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "sample at normalized grid coordinates", Infer: inferGridSample,
			Lower: func(n *ir.Node) (Call, error) {
				p := &runtime.GridSampleParams{
					Mode:         n.GetString("mode", "linear"),
					PaddingMode:  n.GetString("padding_mode", "zeros"),
					AlignCorners: n.GetInt("align_corners", 0) != 0,
				}
				switch p.Mode {
				case "bilinear":
					p.Mode = "linear" // GridSample-16's name
				case "bicubic":
					p.Mode = "cubic"
				case "linear", "nearest", "cubic":
				default:
					return Call{}, Errorf(n, "unknown mode %q", p.Mode)
				}
				switch p.PaddingMode {
				case "zeros", "border", "reflection":
				default:
					return Call{}, Errorf(n, "unknown padding_mode %q", p.PaddingMode)
				}
				return K(lowered.GridSample, p), nil
			}},
		&Def{Op: "AffineGrid", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "sampling grid of affine transforms", Infer: inferAffineGrid,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.AffineGrid, &runtime.AffineGridParams{AlignCorners: n.GetInt("align_corners", 0) != 0}), nil
			}},
	)
}

func lowerResize(n *ir.Node) (Call, error) {
	p := &runtime.ResizeParams{
		Mode:                  n.GetString("mode", "nearest"),
		CoordMode:             n.GetString("coordinate_transformation_mode", "half_pixel"),
		NearestMode:           n.GetString("nearest_mode", "round_prefer_floor"),
		CubicCoeffA:           n.GetFloat("cubic_coeff_a", -0.75),
		ExcludeOutside:        n.GetInt("exclude_outside", 0) != 0,
		ExtrapolationValue:    n.GetFloat("extrapolation_value", 0),
		Antialias:             n.GetInt("antialias", 0) != 0,
		Axes:                  Ints(n.GetInts("axes", nil)),
		KeepAspectRatioPolicy: n.GetString("keep_aspect_ratio_policy", "stretch"),
	}
	switch p.Mode {
	case "nearest", "linear", "cubic":
	default:
		return Call{}, Errorf(n, "unknown mode %q", p.Mode)
	}
	switch p.CoordMode {
	case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize":
	default:
		return Call{}, Errorf(n, "unknown coordinate_transformation_mode %q", p.CoordMode)
	}
	switch p.NearestMode {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return Call{}, Errorf(n, "unknown nearest_mode %q", p.NearestMode)
	}
	switch p.KeepAspectRatioPolicy {
	case "stretch", "not_larger", "not_smaller":
	default:
		return Call{}, Errorf(n, "unknown keep_aspect_ratio_policy %q", p.KeepAspectRatioPolicy)
	}
	return K(lowered.Resize, p), nil
}

// mvNonEmptyConst returns a constant input with elements, and whether the input is known to be
// absent or empty.
func mvNonEmptyConst(n *ir.Node, i int) (t *runtime.Tensor, empty bool) {
	v := n.Input(i)
	if v == nil {
		return nil, true
	}
	if v.Const != nil {
		if v.Const.Len() == 0 {
			return nil, true
		}
		return v.Const, false
	}
	if v.Type.RankKnown && mvProd(v.Type.Shape).N == 0 && v.Type.IsStatic() {
		return nil, true
	}
	return nil, false
}

func inferResize(n *ir.Node) error {
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
	unknown := func() error {
		for _, a := range axes {
			dims[a] = ir.Unknown()
		}
		SetOut(n, 0, ir.TensorType(in.DType, dims...))
		return nil
	}
	scales, noScales := mvNonEmptyConst(n, 2)
	sizes, noSizes := mvNonEmptyConst(n, 3)
	switch {
	case scales != nil:
		if scales.Len() != len(axes) || !scales.DType.IsFloat() {
			return Errorf(n, "%d scales for %d axes", scales.Len(), len(axes))
		}
		sc := mvFloats(scales)
		for i, a := range axes {
			if sc[i] <= 0 {
				return Errorf(n, "scale %g is not positive", sc[i])
			}
			if d := in.Shape[a]; d.IsStatic() {
				dims[a] = ir.Static(int64(sc[i] * float64(d.N)))
			} else if sc[i] != 1 {
				dims[a] = ir.Unknown()
			}
		}
	case sizes != nil && noScales:
		sv := TensorInts(sizes)
		if len(sv) != len(axes) {
			return Errorf(n, "%d sizes for %d axes", len(sv), len(axes))
		}
		pol := n.GetString("keep_aspect_ratio_policy", "stretch")
		if pol == "stretch" {
			for i, a := range axes {
				dims[a] = ir.Static(sv[i])
			}
			break
		}
		// The kept aspect ratio needs the input dims.
		s := 0.0
		for i, a := range axes {
			d := in.Shape[a]
			if !d.IsStatic() {
				return unknown()
			}
			f := float64(sv[i]) / float64(d.N)
			if i == 0 || pol == "not_larger" && f < s || pol == "not_smaller" && f > s {
				s = f
			}
		}
		for _, a := range axes {
			dims[a] = ir.Static(int64(s*float64(in.Shape[a].N) + 0.5))
		}
	case noScales && noSizes:
		return Errorf(n, "neither scales nor sizes given")
	default:
		return unknown()
	}
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

// mvFloats reads a floating-point constant as float64.
func mvFloats(t *runtime.Tensor) []float64 {
	v := make([]float64, t.Len())
	switch t.DType {
	case runtime.Float32:
		for i, e := range runtime.Data[float32](t) {
			v[i] = float64(e)
		}
	case runtime.Float64:
		copy(v, runtime.Data[float64](t))
	case runtime.Float16:
		for i, e := range runtime.Data[runtime.F16](t) {
			v[i] = float64(e.Float32())
		}
	case runtime.BFloat16:
		for i, e := range runtime.Data[runtime.BF16](t) {
			v[i] = float64(e.Float32())
		}
	default:
		for i := range v {
			v[i] = math.NaN()
		}
	}
	return v
}

func inferGridSample(n *ir.Node) error {
	in, grid := InType(n, 0), InType(n, 1)
	if !in.RankKnown || !grid.RankKnown {
		SetOut(n, 0, ir.Type{DType: in.DType})
		return nil
	}
	r := len(in.Shape) - 2
	if r < 1 || len(grid.Shape) != r+2 {
		return Errorf(n, "input rank %d and grid rank %d do not fit", len(in.Shape), len(grid.Shape))
	}
	if d := grid.Shape[r+1]; d.IsStatic() && d.N != int64(r) {
		return Errorf(n, "grid's last dim is %d, want %d", d.N, r)
	}
	batch, err := mvMergeDim(n, in.Shape[0], grid.Shape[0])
	if err != nil {
		return err
	}
	dims := append([]ir.Dim{batch, in.Shape[1]}, grid.Shape[1:r+1]...)
	SetOut(n, 0, ir.TensorType(in.DType, dims...))
	return nil
}

func inferAffineGrid(n *ir.Node) error {
	th := InType(n, 0)
	if sz, ok := ConstInts(n, 1); ok {
		nd := len(sz) - 2
		if nd != 2 && nd != 3 {
			return Errorf(n, "size has %d values, want 4 or 5", len(sz))
		}
		dims := append(mvDims(Ints(sz[:1])), mvDims(Ints(sz[2:]))...)
		dims = append(dims, ir.Static(int64(nd)))
		SetOut(n, 0, ir.TensorType(th.DType, dims...))
		return nil
	}
	if k := mvConstLen(n, 1); k == 4 || k == 5 {
		dims := mvUnknownDims(k - 1)
		dims[k-2] = ir.Static(int64(k - 2))
		if th.RankKnown && len(th.Shape) == 3 {
			dims[0] = th.Shape[0]
		}
		SetOut(n, 0, ir.TensorType(th.DType, dims...))
		return nil
	}
	SetOut(n, 0, ir.Type{DType: th.DType})
	return nil
}

package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Pooling: MaxPool, AveragePool, LpPool and their global forms (one kernel with a mode), and
// MaxUnpool.

var poolTable = []struct {
	op     string
	mode   runtime.PoolMode
	global bool
	doc    string
}{
	{"MaxPool", runtime.PoolMax, false, "maximum over sliding windows, with optional argmax indices"},
	{"AveragePool", runtime.PoolAvg, false, "mean over sliding windows"},
	{"LpPool", runtime.PoolLp, false, "Lp norm over sliding windows"},
	{"GlobalMaxPool", runtime.PoolMax, true, "maximum over all spatial dims"},
	{"GlobalAveragePool", runtime.PoolAvg, true, "mean over all spatial dims"},
	{"GlobalLpPool", runtime.PoolLp, true, "Lp norm over all spatial dims"},
}

func init() {
	for _, row := range poolTable {
		row := row
		maxOut := 1
		if row.op == "MaxPool" {
			maxOut = 2
		}
		Register(&Def{
			Op: row.op, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: maxOut,
			Doc:   row.doc,
			Infer: func(n *ir.Node) error { return inferPool(n, row.mode, row.global) },
			Lower: func(n *ir.Node) (Call, error) { return lowerPool(n, row.mode, row.global) },
		})
	}
	Register(&Def{
		Op: "MaxUnpool", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "scatter of pooled values back to the positions of their maxima",
		Infer: inferMaxUnpool,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.MaxUnpool, &runtime.MaxUnpoolParams{
				KernelShape: Ints(n.GetInts("kernel_shape", nil)),
				Strides:     Ints(n.GetInts("strides", nil)),
				Pads:        Ints(n.GetInts("pads", nil)),
			}), nil
		},
	})
}

func plCheckType(n *ir.Node, dt ir.DType, mode runtime.PoolMode) error {
	if cvIsFloat(dt) || (mode == runtime.PoolMax && (dt == runtime.Int8 || dt == runtime.Uint8)) {
		return nil
	}
	return Errorf(n, "input type %s is not supported", dt)
}

func inferPool(n *ir.Node, mode runtime.PoolMode, global bool) error {
	xt := InType(n, 0)
	if err := plCheckType(n, xt.DType, mode); err != nil {
		return err
	}
	if !xt.RankKnown {
		SetOut(n, 0, ir.Type{DType: xt.DType})
		SetOut(n, 1, ir.Type{DType: runtime.Int64})
		return nil
	}
	rank := len(xt.Shape)
	if rank < 2 || (!global && rank < 3) {
		return Errorf(n, "rank %d input, want N x C x spatial dims", rank)
	}
	nsp := rank - 2
	dims := append([]ir.Dim(nil), xt.Shape...)
	if global {
		for i := 2; i < rank; i++ {
			dims[i] = ir.Static(1)
		}
	} else {
		win, err := cvReadWindow(n, nsp)
		if err != nil {
			return err
		}
		if len(win.kernel) == 0 {
			return Errorf(n, "kernel_shape is required")
		}
		ceil := n.GetInt("ceil_mode", 0) != 0
		for i := 0; i < nsp; i++ {
			if dims[2+i], err = win.spatialOut(n, i, nsp, xt.Shape[2+i], win.kernel[i], ceil); err != nil {
				return err
			}
		}
		if so := n.GetInt("storage_order", 0); so != 0 && so != 1 {
			return Errorf(n, "storage_order %d, want 0 or 1", so)
		}
	}
	SetOut(n, 0, ir.TensorType(xt.DType, dims...))
	SetOut(n, 1, ir.TensorType(runtime.Int64, dims...))
	return nil
}

func lowerPool(n *ir.Node, mode runtime.PoolMode, global bool) (Call, error) {
	p := &runtime.PoolParams{Mode: mode, Global: global, P: int(n.GetInt("p", 2))}
	if global {
		return K(lowered.Pooling, p), nil
	}
	p.CeilMode = n.GetInt("ceil_mode", 0) != 0
	p.CountIncludePad = n.GetInt("count_include_pad", 0) != 0
	p.StorageOrder = int(n.GetInt("storage_order", 0))
	xt := InType(n, 0)
	p.KernelShape = Ints(n.GetInts("kernel_shape", nil))
	if !xt.RankKnown {
		p.Strides = Ints(n.GetInts("strides", nil))
		p.Dilations = Ints(n.GetInts("dilations", nil))
		p.Pads = Ints(n.GetInts("pads", nil))
		p.AutoPad = n.GetString("auto_pad", "NOTSET")
		return K(lowered.Pooling, p), nil
	}
	nsp := len(xt.Shape) - 2
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return Call{}, err
	}
	p.Strides, p.Dilations, p.Pads, p.AutoPad = win.resolve(xt.Shape[2:], p.KernelShape, p.CeilMode)
	return K(lowered.Pooling, p), nil
}

func inferMaxUnpool(n *ir.Node) error {
	xt, it := InType(n, 0), InType(n, 1)
	if !cvIsFloat(xt.DType) {
		return Errorf(n, "input type %s is not a float type", xt.DType)
	}
	if it.DType != runtime.Undefined && it.DType != runtime.Int64 {
		return Errorf(n, "indices type %s, want int64", it.DType)
	}
	if n.Input(2) != nil {
		if shape, ok := ConstInts(n, 2); ok {
			dims := make([]ir.Dim, len(shape))
			for i, v := range shape {
				dims[i] = ir.Static(v)
			}
			SetOut(n, 0, ir.TensorType(xt.DType, dims...))
			return nil
		}
		st := InType(n, 2)
		if st.RankKnown && len(st.Shape) == 1 && st.Shape[0].IsStatic() {
			dims := make([]ir.Dim, st.Shape[0].N)
			for i := range dims {
				dims[i] = ir.Unknown()
			}
			SetOut(n, 0, ir.TensorType(xt.DType, dims...))
			return nil
		}
		SetOut(n, 0, ir.Type{DType: xt.DType})
		return nil
	}
	if !xt.RankKnown {
		SetOut(n, 0, ir.Type{DType: xt.DType})
		return nil
	}
	nsp := len(xt.Shape) - 2
	if nsp < 1 {
		return Errorf(n, "rank %d input, want N x C x spatial dims", len(xt.Shape))
	}
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return err
	}
	if len(win.kernel) == 0 {
		return Errorf(n, "kernel_shape is required")
	}
	dims := append([]ir.Dim(nil), xt.Shape...)
	for i := 0; i < nsp; i++ {
		d := xt.Shape[2+i]
		if !d.IsStatic() {
			dims[2+i] = ir.Unknown()
			continue
		}
		dims[2+i] = ir.Static(int64((int(d.N)-1)*cvAt(win.strides, i, 1) + win.kernel[i] - cvAt(win.pads, i, 0) - cvAt(win.pads, nsp+i, 0)))
	}
	SetOut(n, 0, ir.TensorType(xt.DType, dims...))
	return nil
}

func init() {
	Register(&Def{
		Op: "RoiAlign", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "bilinear region-of-interest pooling to a fixed output size",
		Infer: inferRoiAlign,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.RoiAlign, &runtime.RoiAlignParams{
				Mode:          n.GetString("mode", "avg"),
				OutputHeight:  int(n.GetInt("output_height", 1)),
				OutputWidth:   int(n.GetInt("output_width", 1)),
				SamplingRatio: int(n.GetInt("sampling_ratio", 0)),
				SpatialScale:  n.GetFloat("spatial_scale", 1),
				HalfPixel:     n.GetString("coordinate_transformation_mode", "half_pixel") == "half_pixel",
			}), nil
		},
	})
	Register(&Def{
		Op: "MaxRoiPool", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc:   "max pooling of regions of interest into a fixed grid of bins",
		Infer: inferMaxRoiPool,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.MaxRoiPool, &runtime.MaxRoiPoolParams{
				PooledShape:  Ints(n.GetInts("pooled_shape", nil)),
				SpatialScale: n.GetFloat("spatial_scale", 1),
			}), nil
		},
	})
}

// roiDims returns the ROI count and the channel count for the output [rois, C, h, w].
func roiDims(n *ir.Node, x ir.Type, roisFrom int) (rois, c ir.Dim, err error) {
	rois, c = ir.Unknown(), ir.Unknown()
	if x.RankKnown {
		if len(x.Shape) != 4 {
			return rois, c, Errorf(n, "input %v, want N x C x H x W", x)
		}
		c = x.Shape[1]
	}
	if t := InType(n, roisFrom); t.RankKnown && len(t.Shape) >= 1 {
		rois = t.Shape[0]
	}
	return rois, c, nil
}

func inferRoiAlign(n *ir.Node) error {
	x := InType(n, 0)
	if !cvIsFloat(x.DType) {
		return Errorf(n, "input type %s is not a float type", x.DType)
	}
	if m := n.GetString("mode", "avg"); m != "avg" && m != "max" {
		return Errorf(n, "mode %q, want avg or max", m)
	}
	rois, c, err := roiDims(n, x, 2)
	if err != nil {
		return err
	}
	SetOut(n, 0, ir.TensorType(x.DType, rois, c, ir.Static(n.GetInt("output_height", 1)), ir.Static(n.GetInt("output_width", 1))))
	return nil
}

func inferMaxRoiPool(n *ir.Node) error {
	x := InType(n, 0)
	if !cvIsFloat(x.DType) {
		return Errorf(n, "input type %s is not a float type", x.DType)
	}
	ps := n.GetInts("pooled_shape", nil)
	if len(ps) != 2 || ps[0] < 1 || ps[1] < 1 {
		return Errorf(n, "pooled_shape %v, want two positive dims", ps)
	}
	rois, c, err := roiDims(n, x, 1)
	if err != nil {
		return err
	}
	SetOut(n, 0, ir.TensorType(x.DType, rois, c, ir.Static(ps[0]), ir.Static(ps[1])))
	return nil
}

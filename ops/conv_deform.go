package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

func init() {
	Register(&Def{
		Op: "DeformConv", MinIn: 3, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Doc:   "2-D convolution whose taps sample the input at learned offsets, with an optional mask",
		Infer: inferDeformConv,
		Lower: func(n *ir.Node) (Call, error) {
			p := &runtime.DeformConvParams{
				KernelShape: Ints(n.GetInts("kernel_shape", nil)),
				Strides:     Ints(n.GetInts("strides", nil)),
				Pads:        Ints(n.GetInts("pads", nil)),
				Dilations:   Ints(n.GetInts("dilations", nil)),
				Group:       int(n.GetInt("group", 1)),
				OffsetGroup: int(n.GetInt("offset_group", 1)),
			}
			return K(lowered.DeformConv, p), nil
		},
	})
}

func inferDeformConv(n *ir.Node) error {
	xt, wt, ot := InType(n, 0), InType(n, 1), InType(n, 2)
	if !cvIsFloat(xt.DType) {
		return Errorf(n, "input type %s is not a float type", xt.DType)
	}
	for _, t := range []ir.Type{wt, ot} {
		if t.RankKnown && len(t.Shape) != 4 {
			return Errorf(n, "operand %v: only 2-D DeformConv is supported", t)
		}
	}
	if xt.RankKnown && len(xt.Shape) != 4 {
		return Errorf(n, "input %v: only 2-D DeformConv is supported", xt)
	}
	if _, err := cvReadWindow(n, 2); err != nil {
		return err
	}
	dims := []ir.Dim{ir.Unknown(), ir.Unknown(), ir.Unknown(), ir.Unknown()}
	if xt.RankKnown {
		dims[0] = xt.Shape[0]
	}
	if wt.RankKnown {
		dims[1] = wt.Shape[0]
	}
	// The output's spatial size is the offsets'.
	if ot.RankKnown {
		dims[2], dims[3] = ot.Shape[2], ot.Shape[3]
	}
	SetOut(n, 0, ir.TensorType(xt.DType, dims...))
	return nil
}

package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Dropout in inference mode: the identity, with an all-true mask. Training mode with a
// nonzero ratio drops elements at random; a compiled model cannot reproduce the reference's
// random stream, so that is refused at compile time when the inputs are constant and at run
// time otherwise.

func init() {
	Register(&Def{
		Op: "Dropout", MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 2,
		Doc:   "identity in inference mode (with an all-true mask)",
		Infer: inferDropout,
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.Dropout, &struct{}{}), nil },
	})
}

func inferDropout(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	ratio := 0.5
	ratioKnown := n.Input(1) == nil
	if r := ConstInput(n, 1); r != nil {
		if r.Len() != 1 || !r.DType.IsFloat() {
			return Errorf(n, "ratio must be one float, got %s%v", r.DType, r.Shape)
		}
		ratio, ratioKnown = dpScalar(r), true
		if ratio < 0 || ratio >= 1 {
			return Errorf(n, "ratio %g outside [0, 1)", ratio)
		}
	}
	if tm := ConstInput(n, 2); tm != nil && tm.DType == runtime.Bool && tm.Len() == 1 && runtime.Data[uint8](tm)[0] != 0 {
		// An unknown ratio is checked by the kernel: it may turn out to be 0.
		if ratioKnown && ratio != 0 {
			return Errorf(n, "training_mode is true with ratio %g: dropout is random, which onnxc does not reproduce (only inference, or ratio 0, is supported)", ratio)
		}
	}
	SetOut(n, 0, t)
	if t.RankKnown {
		SetOut(n, 1, ir.TensorType(runtime.Bool, append([]ir.Dim(nil), t.Shape...)...))
	} else {
		SetOut(n, 1, ir.Type{DType: runtime.Bool})
	}
	return nil
}

func dpScalar(t *runtime.Tensor) float64 {
	switch t.DType {
	case runtime.Float32:
		return float64(runtime.Data[float32](t)[0])
	case runtime.Float64:
		return runtime.Data[float64](t)[0]
	case runtime.Float16:
		return float64(runtime.Data[runtime.F16](t)[0].Float32())
	case runtime.BFloat16:
		return float64(runtime.Data[runtime.BF16](t)[0].Float32())
	}
	return 0
}

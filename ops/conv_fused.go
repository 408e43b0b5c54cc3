package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// onnxruntime's fused contrib ops: com.microsoft FusedConv (Conv, plus an optional input Z
// added to the result, then an activation) and FusedGemm (Gemm then an activation). They appear
// in models saved after onnxruntime's graph optimizations, and fusion passes can target them.

const msDomain = "com.microsoft"

func init() {
	Register(&Def{
		Op: "FusedConv", Domain: msDomain, MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc: "Conv, plus an optional summand Z, then an activation",
		Infer: func(n *ir.Node) error {
			if err := checkFusedActivation(n); err != nil {
				return err
			}
			if err := inferConv(n, 0, 1, runtime.Undefined); err != nil {
				return err
			}
			if z := InType(n, 3); n.Input(3) != nil && z.DType != runtime.Undefined && z.DType != InType(n, 0).DType {
				return Errorf(n, "Z's type %s differs from the input's %s", z.DType, InType(n, 0).DType)
			}
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			var params []float32
			for _, v := range n.GetFloats("activation_params", nil) {
				params = append(params, float32(v))
			}
			act, a, b, err := fusedActivation(n, params)
			if err != nil {
				return Call{}, err
			}
			return lowerConv(n, act, a, b)
		},
	})
	Register(&Def{
		Op: "FusedGemm", Domain: msDomain, MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "Gemm then an activation",
		Infer: func(n *ir.Node) error {
			if err := checkFusedActivation(n); err != nil {
				return err
			}
			if dt := InType(n, 0).DType; !cvIsFloat(dt) {
				return Errorf(n, "input type %s is not a float type", dt)
			}
			return inferGemm(n)
		},
		Lower: func(n *ir.Node) (Call, error) {
			act, a, b, err := fusedActivation(n, nil)
			if err != nil {
				return Call{}, err
			}
			// FusedGemm names its activation's parameters activation_alpha and _beta.
			p := &runtime.GemmParams{
				Alpha:      n.GetFloat("alpha", 1),
				Beta:       n.GetFloat("beta", 1),
				TransA:     n.GetInt("transA", 0) != 0,
				TransB:     n.GetInt("transB", 0) != 0,
				Activation: act,
				ActAlpha:   float32(n.GetFloat("activation_alpha", float64(a))),
				ActBeta:    float32(n.GetFloat("activation_beta", float64(b))),
			}
			return gemmCall(n, p), nil
		},
	})
}

// checkFusedActivation rejects activations the kernels do not implement.
func checkFusedActivation(n *ir.Node) error {
	_, _, _, err := fusedActivation(n, nil)
	return err
}

// fusedActivation resolves a fused op's activation attribute and its parameters (ONNX's
// defaults for those not given) into the kernel's enum and parameters.
func fusedActivation(n *ir.Node, params []float32) (runtime.Act, float32, float32, error) {
	act, a, b, err := runtime.ActivationOf(n.GetString("activation", ""), params)
	if err != nil {
		return act, 0, 0, Errorf(n, "unsupported fused activation: %v", err)
	}
	return act, a, b, nil
}

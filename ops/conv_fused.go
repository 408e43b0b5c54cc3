package ops

import (
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
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
			p, err := lowerConvParams(n, 0, 1)
			if err != nil {
				return Call{}, err
			}
			p.Activation = n.GetString("activation", "")
			for _, v := range n.GetFloats("activation_params", nil) {
				p.ActivationParams = append(p.ActivationParams, float32(v))
			}
			return K(lowered.Conv, p), nil
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
			p := &runtime.GemmParams{
				Alpha:      n.GetFloat("alpha", 1),
				Beta:       n.GetFloat("beta", 1),
				TransA:     n.GetInt("transA", 0) != 0,
				TransB:     n.GetInt("transB", 0) != 0,
				Activation: n.GetString("activation", ""),
			}
			// FusedGemm names its activation's parameters activation_alpha and _beta.
			if n.Has("activation_alpha") || n.Has("activation_beta") {
				a, b := fusedDefaults(p.Activation)
				p.ActivationParams = []float32{float32(n.GetFloat("activation_alpha", a)), float32(n.GetFloat("activation_beta", b))}
			}
			return K(lowered.Gemm, p), nil
		},
	})
}

// checkFusedActivation rejects activations the kernels do not implement.
func checkFusedActivation(n *ir.Node) error {
	a := n.GetString("activation", "")
	if a == "" {
		return nil
	}
	for _, name := range runtime.ActivationNames {
		if strings.EqualFold(a, name) {
			return nil
		}
	}
	return Errorf(n, "unsupported fused activation %q", a)
}

// fusedDefaults are the default parameters of an activation (LeakyRelu's alpha, HardSigmoid's
// alpha and beta, Clip's bounds).
func fusedDefaults(act string) (a, b float64) {
	switch strings.ToLower(act) {
	case "leakyrelu":
		return 0.01, 0
	case "hardsigmoid":
		return 0.2, 0.5
	case "clip":
		return -3.4028234663852886e38, 3.4028234663852886e38
	}
	return 0, 0
}

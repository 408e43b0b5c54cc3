package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Adagrad, Momentum and Adam (ai.onnx.preview.training, version 1): one optimizer step over
// a variadic list of tensors. Inputs R, T, then X_1..X_n, G_1..G_n and the states; outputs the
// new X_1..X_n, then the new states.

const trainingDomain = "ai.onnx.preview.training"

// trOptimizer describes one optimizer: its kind, state count and attribute defaults.
type trOptimizer struct {
	op     string
	kind   int
	states int
	doc    string
}

func (o trOptimizer) params(n *ir.Node) (*runtime.OptimizerParams, error) {
	k := len(n.Inputs) - 2
	if k <= 0 || k%(2+o.states) != 0 || len(n.Outputs) != k/(2+o.states)*(1+o.states) {
		return nil, Errorf(n, "%d inputs and %d outputs do not make R, T and %d groups of tensors", len(n.Inputs), len(n.Outputs), 2+o.states)
	}
	p := &runtime.OptimizerParams{Kind: o.kind, N: k / (2 + o.states)}
	switch o.kind {
	case runtime.OptAdagrad:
		p.DecayFactor = n.GetFloat("decay_factor", 0)
		p.Epsilon = n.GetFloat("epsilon", 1e-6)
		p.NormCoefficient = n.GetFloat("norm_coefficient", 0)
	case runtime.OptMomentum:
		for _, a := range []string{"alpha", "beta", "mode", "norm_coefficient"} {
			if !n.Has(a) {
				return nil, Errorf(n, "missing attribute %s", a)
			}
		}
		p.Alpha, p.Beta = n.GetFloat("alpha", 0), n.GetFloat("beta", 0)
		p.NormCoefficient = n.GetFloat("norm_coefficient", 0)
		switch mode := n.GetString("mode", ""); mode {
		case "standard":
		case "nesterov":
			p.Nesterov = true
		default:
			return nil, Errorf(n, "unknown mode %q", mode)
		}
	case runtime.OptAdam:
		p.Alpha, p.Beta = n.GetFloat("alpha", 0.9), n.GetFloat("beta", 0.999)
		p.Epsilon = n.GetFloat("epsilon", 1e-6)
		p.NormCoefficient = n.GetFloat("norm_coefficient", 0)
		p.NormCoefficientPost = n.GetFloat("norm_coefficient_post", 0)
	}
	return p, nil
}

func init() {
	for _, o := range []trOptimizer{
		{"Adagrad", runtime.OptAdagrad, 1, "one Adagrad step over several tensors (training)"},
		{"Momentum", runtime.OptMomentum, 1, "one SGD-with-momentum step, standard or Nesterov (training)"},
		{"Adam", runtime.OptAdam, 2, "one Adam step over several tensors (training)"},
	} {
		Register(&Def{
			Op: o.op, Domain: trainingDomain, MinIn: 2 + 2 + o.states, MaxIn: -1, MinOut: 1 + o.states, MaxOut: -1,
			Doc: o.doc,
			Infer: func(n *ir.Node) error {
				p, err := o.params(n)
				if err != nil {
					return err
				}
				// Each output has the type of the tensor it updates: X_i for the new X_i, the
				// state inputs for the new states.
				for i := range n.Outputs {
					g, k := i/p.N, i%p.N
					src := 2 + k
					if g > 0 {
						src = 2 + (1+g)*p.N + k
					}
					SetOut(n, i, InType(n, src))
				}
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) {
				p, err := o.params(n)
				if err != nil {
					return Call{}, err
				}
				return K(lowered.Optimizer, p), nil
			},
		})
	}
}

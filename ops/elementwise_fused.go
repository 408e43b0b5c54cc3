package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// FusedDomain is the domain of the ops that only onnxc's passes create.
const FusedDomain = "onnxc"

// onnxc.Elementwise is a fused chain of float32 elementwise ops (passes/fuse_elementwise.go):
// attribute "steps" holds (op, a, b) per step (runtime.EwStep), "alphas" and "betas" the steps'
// parameters, "shape_from" the input whose shape the output has, and "channel" (one flag per
// input) with "channel_axis" the inputs broadcast along one dim of the output.
func init() {
	Register(&Def{Op: "Elementwise", Domain: FusedDomain, MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
		Doc: "fused chain of float32 elementwise ops (made by fusion)",
		Infer: func(n *ir.Node) error {
			k := int(n.GetInt("shape_from", 0))
			if k < 0 || k >= len(n.Inputs) {
				return Errorf(n, "shape_from %d out of range", k)
			}
			t := InType(n, k)
			t.DType = runtime.Float32
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			p, err := ElementwiseProgram(n)
			return K(lowered.Elementwise, p), err
		}})
}

// ElementwiseProgram reads an onnxc.Elementwise node's program.
func ElementwiseProgram(n *ir.Node) (*runtime.ElementwiseParams, error) {
	steps := n.GetInts("steps", nil)
	alphas, betas := n.GetFloats("alphas", nil), n.GetFloats("betas", nil)
	if len(steps)%3 != 0 || len(alphas) != len(steps)/3 || len(betas) != len(steps)/3 {
		return nil, Errorf(n, "malformed program: %d step ints, %d alphas, %d betas", len(steps), len(alphas), len(betas))
	}
	p := &runtime.ElementwiseParams{ShapeFrom: int(n.GetInt("shape_from", 0)), Axis: int(n.GetInt("channel_axis", 0))}
	if ch := n.GetInts("channel", nil); ch != nil {
		if len(ch) != len(n.Inputs) {
			return nil, Errorf(n, "channel marks %d inputs of %d", len(ch), len(n.Inputs))
		}
		for _, c := range ch {
			p.Channel = append(p.Channel, c != 0)
		}
	}
	for k := 0; k < len(steps); k += 3 {
		op := runtime.EwOp(steps[k])
		if op >= runtime.EwOpCount {
			return nil, Errorf(n, "unknown step op %d", steps[k])
		}
		p.Steps = append(p.Steps, runtime.EwStep{Op: op, A: int(steps[k+1]), B: int(steps[k+2]), Alpha: alphas[k/3], Beta: betas[k/3]})
	}
	return p, nil
}

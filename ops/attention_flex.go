package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// FlexAttention (ai.onnx.preview, version 1): attention with optional score_mod and prob_mod
// regions, each taking and returning the whole [B, Hq, L, S] tensor.

func init() {
	Register(&Def{
		Op: "FlexAttention", Domain: "ai.onnx.preview", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "scaled dot-product attention with optional score and probability subgraphs (preview)",
		RegionInputs: func(n *ir.Node) {
			q, k := InType(n, 0), InType(n, 1)
			work := runtime.Float32
			if q.DType == runtime.Float64 {
				work = runtime.Float64
			}
			t := ir.Type{DType: work}
			if q.RankKnown && k.RankKnown && len(q.Shape) == 4 && len(k.Shape) == 4 {
				t.RankKnown = true
				t.Shape = []ir.Dim{q.Shape[0], q.Shape[1], q.Shape[2], k.Shape[2]}
			}
			for _, name := range []string{"score_mod", "prob_mod"} {
				if g := n.Region(name); g != nil && len(g.Inputs) == 1 {
					setIfUntyped(g.Inputs[0], t)
				}
			}
		},
		Infer: func(n *ir.Node) error {
			q, k, v := InType(n, 0), InType(n, 1), InType(n, 2)
			for i, t := range []ir.Type{q, k, v} {
				if t.RankKnown && len(t.Shape) != 4 {
					return Errorf(n, "input %d has rank %d, want 4", i, len(t.Shape))
				}
				if t.DType != runtime.Undefined && !t.DType.IsFloat() {
					return Errorf(n, "input %d is %s, want a float type", i, t.DType)
				}
			}
			for _, name := range []string{"score_mod", "prob_mod"} {
				if g := n.Region(name); g != nil && (len(g.Inputs) != 1 || len(g.Outputs) != 1) {
					return Errorf(n, "%s has %d inputs and %d outputs, want 1 and 1", name, len(g.Inputs), len(g.Outputs))
				}
			}
			out := ir.Type{DType: q.DType}
			if q.RankKnown && v.RankKnown {
				out.RankKnown = true
				out.Shape = []ir.Dim{q.Shape[0], q.Shape[1], q.Shape[2], v.Shape[3]}
			}
			SetOut(n, 0, out)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			score, prob := n.Region("score_mod"), n.Region("prob_mod")
			c := K(lowered.FlexAttention, &runtime.FlexAttentionParams{
				Scale:       n.GetFloat("scale", 0),
				HasScoreMod: score != nil,
				HasProbMod:  prob != nil,
			})
			c.Bodies = []*ir.Graph{score, prob}
			if score == nil && prob == nil {
				c.Bodies = nil
			}
			return c, nil
		},
	})
}

package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// inlineIfs replaces every If whose condition folding made a constant by the branch it takes,
// in g and the regions nested in it: the branch's nodes and constants move into the If's graph
// at the If's place, and the If's outputs become the branch's. Exporters emit such Ifs for
// checks on shapes (is this tensor 2-D? is the batch 1?) that are static once the input shapes
// are fixed; inlined, the taken branch's values get their static types, fold further and run
// as plain kernels instead of through a region call, and the other branch is gone. It reports
// whether it inlined any.
func inlineIfs(g *ir.Graph) bool {
	changed := false
	nodes := make([]*ir.Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		br := takenBranch(n)
		if br == nil {
			nodes = append(nodes, n)
			continue
		}
		changed = true
		for _, c := range br.Consts {
			c.Graph = g
		}
		g.Consts = append(g.Consts, br.Consts...)
		for _, m := range br.Nodes {
			m.Graph = g
			for _, o := range m.Outputs {
				if o != nil {
					o.Graph = g
				}
			}
			for _, r := range m.Regions {
				r.Graph.Parent = g
			}
		}
		nodes = append(nodes, br.Nodes...)
		for i, o := range n.Outputs {
			if o != nil {
				g.ReplaceUses(o, br.Outputs[i])
			}
		}
	}
	g.Nodes = nodes
	for _, n := range g.Nodes {
		for _, r := range n.Regions {
			changed = inlineIfs(r.Graph) || changed
		}
	}
	return changed
}

// takenBranch is the branch an If node with a constant condition runs, or nil.
func takenBranch(n *ir.Node) *ir.Graph {
	if n.Op != "If" || n.Domain != "" || len(n.Inputs) != 1 || n.Inputs[0] == nil {
		return nil
	}
	c := n.Inputs[0].Const
	if c == nil || c.DType != runtime.Bool || c.Len() != 1 {
		return nil
	}
	br := n.Region("else_branch")
	if runtime.Data[bool](c)[0] {
		br = n.Region("then_branch")
	}
	if br == nil || len(br.Inputs) != 0 || len(br.Outputs) != len(n.Outputs) {
		return nil
	}
	return br
}

package passes

import "github.com/onnxc/onnxc/ir"

// DCE removes nodes none of whose outputs are used and constants nobody uses. Uses inside
// regions count, so it first marks everything reachable from the graph outputs.
func DCE(m *ir.Model) error {
	live := make([]bool, m.NumValues())
	// Mark: walk each graph backwards from its outputs; region nodes mark their captures.
	var mark func(g *ir.Graph)
	mark = func(g *ir.Graph) {
		for _, o := range g.Outputs {
			live[o.ID] = true
		}
		for i := len(g.Nodes) - 1; i >= 0; i-- {
			n := g.Nodes[i]
			if !nodeLive(n, live) {
				continue
			}
			for _, in := range n.Inputs {
				if in != nil {
					live[in.ID] = true
				}
			}
			for _, reg := range n.Regions {
				r := reg.Graph
				mark(r)
				markCaptures(r, live)
			}
		}
	}
	mark(m.Graph)
	m.Graph.Walk(func(g *ir.Graph) {
		nodes := g.Nodes[:0]
		for _, n := range g.Nodes {
			if nodeLive(n, live) {
				nodes = append(nodes, n)
			}
		}
		g.Nodes = nodes
		consts := g.Consts[:0]
		for _, c := range g.Consts {
			if live[c.ID] {
				consts = append(consts, c)
			}
		}
		g.Consts = consts
	})
	return nil
}

func nodeLive(n *ir.Node, live []bool) bool {
	for _, o := range n.Outputs {
		if o != nil && live[o.ID] {
			return true
		}
	}
	return false
}

// markCaptures marks every value a region's nodes use (including values of enclosing graphs).
func markCaptures(r *ir.Graph, live []bool) {
	r.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				if in != nil {
					live[in.ID] = true
				}
			}
		}
	})
}

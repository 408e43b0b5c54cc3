package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
)

// LowerModel lowers every node of a model that has been through the pass pipeline into the
// backend-neutral form the emitters consume.
func LowerModel(m *ir.Model) (*lowered.Program, error) {
	p := &lowered.Program{Model: m, Of: map[*ir.Node]*lowered.Kernel{}}
	var err error
	m.Graph.Walk(func(g *ir.Graph) {
		if err != nil {
			return
		}
		lg := &lowered.Graph{IR: g}
		for _, n := range g.Nodes {
			var k *lowered.Kernel
			if k, err = LowerNode(n); err != nil {
				return
			}
			lg.Kernels = append(lg.Kernels, k)
			p.Of[n] = k
		}
		p.Graphs = append(p.Graphs, lg)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// LowerNode lowers one node.
func LowerNode(n *ir.Node) (*lowered.Kernel, error) {
	d, err := Of(n)
	if err != nil {
		return nil, err
	}
	c, err := d.Lower(n)
	if aerr := n.AttrErr(); aerr != nil {
		err = aerr
	}
	if err != nil {
		return nil, err
	}
	k := &lowered.Kernel{Node: n, Entry: c.Entry, Params: c.Params, Bodies: c.Bodies, Aliases: d.MayAlias, Prepack: c.Prepack}
	for _, v := range n.Inputs {
		k.In = append(k.In, lowered.OperandOf(v))
	}
	for _, v := range n.Outputs {
		k.Out = append(k.Out, lowered.OperandOf(v))
	}
	return k, nil
}

package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
)

// shapeValues, the last step of Fold, replaces shape arithmetic on symbolic dims by one onnxc.ShapeValue per value:
// every integer vector whose elements data propagation knows as expressions of the main
// graph's input dims (a Reshape target computed through Shape, Gather, Unsqueeze and Concat)
// is computed once per run straight from the input shapes. The chains that computed them are
// left without uses for dce, and equal targets merge in cse.
func shapeValues(m *ir.Model) {
	syms := map[string]ops.DimRef{}
	for _, in := range m.Graph.Inputs {
		for axis, d := range in.Type.Shape {
			if _, seen := syms[d.Sym]; d.Sym != "" && !seen {
				syms[d.Sym] = ops.DimRef{V: in, Axis: axis}
			}
		}
	}
	if len(syms) == 0 {
		return
	}
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			if shapeArithmetic(n) {
				ops.ShapeValueNode(n, syms)
			}
		}
	})
}

// shapeArithmetic reports whether n computes a small integer value that propagation knows
// and that has a symbolic element (static ones fold).
func shapeArithmetic(n *ir.Node) bool {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil || len(n.Regions) > 0 || n.Domain == ops.FusedDomain {
		return false
	}
	o := n.Outputs[0]
	if o.Elems == nil || o.Type.Kind != ir.TensorKind || !o.Type.DType.IsInt() || o.Type.Rank() > 1 {
		return false
	}
	for _, e := range o.Elems {
		if e.Sym != "" {
			return true
		}
	}
	return false
}

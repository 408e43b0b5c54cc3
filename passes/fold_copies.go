package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// dropCopies removes, in g and its regions, the nodes that only copy their input: Identity,
// and a Cast to the type its input already has (exporters leave both around shape checks and
// inlined branches). Their uses read the input instead; values are immutable, so sharing one
// is safe. A copy that a graph returns stays, so that every graph output remains a value of
// its own. It reports whether it removed any.
func dropCopies(g *ir.Graph) bool {
	changed := false
	g.Walk(func(h *ir.Graph) {
		var uses *ir.Uses // built at the first copy: most graphs have none
		kept := h.Nodes[:0]
		for _, n := range h.Nodes {
			if !isCopy(n) {
				kept = append(kept, n)
				continue
			}
			if uses == nil {
				uses = ir.NewUses(h)
			}
			out := n.Outputs[0]
			returned := false
			for _, u := range uses.Of(out) {
				returned = returned || u.Node == nil
			}
			if returned {
				kept = append(kept, n)
				continue
			}
			uses.RemoveNode(n)
			uses.Replace(out, n.Inputs[0])
			changed = true
		}
		h.Nodes = kept
	})
	return changed
}

// isCopy reports whether n's one output is its one input, unchanged.
func isCopy(n *ir.Node) bool {
	if n.Domain != "" || len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return false
	}
	switch n.Op {
	case "Identity":
		return true
	case "Cast":
		in := n.Inputs[0].Type
		return in.Kind == ir.TensorKind && in.DType != runtime.Undefined && int64(in.DType) == n.GetInt("to", 0)
	}
	return false
}

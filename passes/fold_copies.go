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

// transposesAsReshapes makes, in g and its regions, each Transpose that moves only dims of size
// 1 a Reshape: the elements keep their order, so the transpose is a copy the kernels need not
// make. Exporters write them around attention ([1,S,D] <-> [S,1,D] for a batch of one, as
// torch's nn.MultiheadAttention does twice per layer). The input's shape must be static. It
// reports whether it rewrote any.
func transposesAsReshapes(g *ir.Graph) bool {
	changed := false
	g.Walk(func(h *ir.Graph) {
		for _, n := range h.Nodes {
			if out, ok := reshapeOfTranspose(n); ok {
				n.SetOp("Reshape", "")
				n.Attrs = nil
				n.Inputs = []*ir.Value{n.Inputs[0], h.AddConst(n.Outputs[0].Name+"_shape", out)}
				changed = true
			}
		}
	})
	return changed
}

// reshapeOfTranspose returns the output shape of Transpose n as an int64 tensor when n only
// moves dims of size 1, or false.
func reshapeOfTranspose(n *ir.Node) (*runtime.Tensor, bool) {
	if n.Op != "Transpose" || n.Domain != "" || len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return nil, false
	}
	shape, ok := n.Inputs[0].Type.StaticShape()
	if !ok || n.Inputs[0].Type.Kind != ir.TensorKind {
		return nil, false
	}
	perm := n.GetInts("perm", nil)
	if perm == nil {
		for i := len(shape) - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != len(shape) {
		return nil, false
	}
	out := runtime.New(runtime.Int64, len(perm))
	dims := runtime.Data[int64](out)
	last := -1
	for i, p := range perm {
		if p < 0 || int(p) >= len(shape) {
			return nil, false
		}
		dims[i] = int64(shape[p])
		if shape[p] == 1 {
			continue
		}
		if int(p) < last {
			return nil, false
		}
		last = int(p)
	}
	return out, true
}

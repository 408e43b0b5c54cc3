package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// maxFoldBytes bounds what folding may materialize: a folded tensor becomes weights embedded in
// the binary, so a ConstantOfShape of a huge shape stays a run-time op.
const maxFoldBytes = 64 << 20

// Fold evaluates at compile time every node whose inputs are all constants (and ops like Shape
// whose outputs follow from static types), with the ops' reference kernels, replacing their
// outputs with constants. Each replacement can make more inputs constant and more types known,
// so it alternates with inference until nothing changes. An If whose condition becomes a
// constant is replaced by the branch it takes (inlineIfs), and nodes that only copy their
// input go (dropCopies), and Transposes that move only dims of size 1 become Reshapes
// (transposesAsReshapes). Then what is known only as
// expressions of the symbolic input dims becomes ShapeValue kernels (shapeValues).
func Fold(m *ir.Model) error {
	x := runtime.NewExec(nil)
	for {
		changed := inlineIfs(m.Graph)
		changed = dropCopies(m.Graph) || changed
		changed = transposesAsReshapes(m.Graph) || changed
		var err error
		m.Graph.Walk(func(g *ir.Graph) {
			if err != nil {
				return
			}
			var c bool
			c, err = foldGraph(x, g)
			changed = changed || c
		})
		if err != nil {
			return err
		}
		if !changed {
			shapeValues(m)
			return nil
		}
		if err := Infer(m); err != nil {
			return err
		}
	}
}

func foldGraph(x *runtime.Exec, g *ir.Graph) (bool, error) {
	changed := false
	var uses *ir.Uses // built at the first fold: most graphs fold nothing after the first round
	kept := g.Nodes[:0]
	for _, n := range g.Nodes {
		outs, err := foldNode(x, n)
		if err != nil {
			return false, err
		}
		if outs == nil {
			kept = append(kept, n)
			continue
		}
		if uses == nil {
			uses = ir.NewUses(g)
		}
		uses.RemoveNode(n)
		for i, o := range n.Outputs {
			if o == nil {
				continue
			}
			c := g.AddConst(o.Name, outs[i])
			uses.Replace(o, c)
		}
		changed = true
	}
	g.Nodes = kept
	return changed, nil
}

// foldNode returns the node's outputs when they can be computed now, else nil.
func foldNode(x *runtime.Exec, n *ir.Node) ([]*runtime.Tensor, error) {
	if len(n.Regions) > 0 || len(n.Outputs) == 0 {
		return nil, nil
	}
	d, err := ops.Of(n)
	if err != nil {
		return nil, err
	}
	if d.FoldFromTypes != nil {
		if outs := d.FoldFromTypes(n); outs != nil {
			return outs, nil
		}
	}
	if t := staticElems(n); t != nil {
		return []*runtime.Tensor{t}, nil
	}
	in := make([]*runtime.Tensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		if v.Const == nil {
			return nil, nil
		}
		in[i] = v.Const
	}
	for _, o := range n.Outputs {
		// Only fold when the result's size is known to be reasonable.
		if o == nil {
			continue
		}
		shape, ok := o.Type.StaticShape()
		if !ok || runtime.NumElems(shape)*max(o.Type.DType.Size(), 1) > maxFoldBytes {
			return nil, nil
		}
	}
	call, err := d.Lower(n)
	if err != nil {
		return nil, err
	}
	out := make([]*runtime.Tensor, len(n.Outputs))
	for i := range out {
		out[i] = &runtime.Tensor{Buf: &runtime.Buffer{}}
	}
	if err := call.Run(x, out, in); err != nil {
		return nil, ops.Errorf(n, "constant folding: %v", err)
	}
	return out, nil
}

// staticElems makes the constant of a one-output node whose elements inference propagated as
// static numbers (a Gather of a static dim out of a Shape of a partly symbolic tensor), or nil.
func staticElems(n *ir.Node) *runtime.Tensor {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil || n.Outputs[0].Elems == nil {
		return nil
	}
	o := n.Outputs[0]
	shape, ok := o.Type.StaticShape()
	if !ok || runtime.NumElems(shape) != len(o.Elems) {
		return nil
	}
	for _, e := range o.Elems {
		if e.Sym != "" {
			return nil
		}
	}
	t := runtime.New(o.Type.DType, shape...)
	switch o.Type.DType {
	case runtime.Int64:
		for i, e := range o.Elems {
			runtime.Data[int64](t)[i] = e.N
		}
	case runtime.Int32:
		for i, e := range o.Elems {
			runtime.Data[int32](t)[i] = int32(e.N)
		}
	default:
		return nil
	}
	return t
}

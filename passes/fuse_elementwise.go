package passes

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// FuseElementwise merges connected groups of float32 elementwise nodes of one shape into one
// onnxc.Elementwise node, whose program (runtime.EwStep) the backends compile into a single
// loop: one pass over memory and one kernel call instead of one per op. Inputs of a group have
// the output's shape or one element; one-element constants become literals of the program.
// A node joins its consumer's group only when every use of its output is inside the group.
func FuseElementwise(m *ir.Model) error {
	var err error
	captured := capturedValues(m.Graph)
	m.Graph.Walk(func(g *ir.Graph) {
		if err == nil {
			err = fuseElementwiseGraph(g, captured)
		}
	})
	return err
}

// capturedValues are the values some graph uses (as a node input or an output) that another
// graph defines: the values regions capture from the graphs around them. One walk for the whole
// model; a walk of each node's regions per graph would be quadratic in the nesting depth.
func capturedValues(root *ir.Graph) map[*ir.Value]bool {
	captured := map[*ir.Value]bool{}
	root.Walk(func(h *ir.Graph) {
		for _, n := range h.Nodes {
			for _, in := range n.Inputs {
				if in != nil && in.Graph != h {
					captured[in] = true
				}
			}
		}
		for _, o := range h.Outputs {
			if o != nil && o.Graph != h {
				captured[o] = true
			}
		}
	})
	return captured
}

// ewOps maps the fusable ops to their program op.
var ewOps = map[string]runtime.EwOp{
	"Add": runtime.EwAdd, "Sub": runtime.EwSub, "Mul": runtime.EwMul, "Div": runtime.EwDiv,
	"Neg": runtime.EwNeg, "Abs": runtime.EwAbs, "Exp": runtime.EwExp, "Log": runtime.EwLog,
	"Sqrt": runtime.EwSqrt, "Reciprocal": runtime.EwReciprocal, "Relu": runtime.EwRelu,
	"Sigmoid": runtime.EwSigmoid, "Tanh": runtime.EwTanh, "Erf": runtime.EwErf,
	"HardSigmoid": runtime.EwHardSigmoid, "HardSwish": runtime.EwHardSwish,
	"LeakyRelu": runtime.EwLeakyRelu, "Softplus": runtime.EwSoftplus,
}

// EwOpName is the ONNX op a fused elementwise step computes ("" for the program's own steps,
// such as constants), for inspect's labels.
func EwOpName(op runtime.EwOp) string {
	for name, o := range ewOps {
		if o == op {
			return name
		}
	}
	return ""
}

// ewOpByID is ewOps by interned op identity (all in the default domain).
var ewOpByID = func() map[ir.OpID]runtime.EwOp {
	m := make(map[ir.OpID]runtime.EwOp, len(ewOps))
	for name, op := range ewOps {
		m[ir.InternOp("", name)] = op
	}
	return m
}()

func ewFusable(n *ir.Node) bool {
	op, ok := ewOpByID[n.OpID]
	if !ok || len(n.Outputs) != 1 || n.Outputs[0] == nil || len(n.Inputs) != runtime.EwArity[op] {
		return false
	}
	if n.Outputs[0].Type.DType != runtime.Float32 || n.Outputs[0].Type.Kind != ir.TensorKind {
		return false
	}
	for _, in := range n.Inputs {
		if in == nil || in.Type.DType != runtime.Float32 || in.Type.Kind != ir.TensorKind {
			return false
		}
	}
	return true
}

// ewScalar reports whether t is statically one element of rank at most r.
func ewScalar(t ir.Type, r int) bool {
	s, ok := t.StaticShape()
	if !ok || len(s) > r {
		return false
	}
	for _, d := range s {
		if d != 1 {
			return false
		}
	}
	return true
}

func fuseElementwiseGraph(g *ir.Graph, captured map[*ir.Value]bool) error {
	uses := map[*ir.Value]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			uses[in]++
		}
	}
	returned := map[*ir.Value]bool{}
	for _, o := range g.Outputs {
		returned[o] = true
	}
	external := func(v *ir.Value) bool { return captured[v] || returned[v] } // kept as they are
	taken := map[*ir.Node]bool{}
	replace := map[*ir.Node]*ir.Node{} // group root -> fused node
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		root := g.Nodes[i]
		if taken[root] || !ewFusable(root) {
			continue
		}
		out := root.Outputs[0].Type
		group := map[*ir.Node]bool{root: true}
		usesIn := func(v *ir.Value) int {
			k := 0
			for n := range group {
				for _, in := range n.Inputs {
					if in == v {
						k++
					}
				}
			}
			return k
		}
		for grew := true; grew; {
			grew = false
			for n := range group {
				for _, v := range n.Inputs {
					p := v.Def
					if p == nil || group[p] || taken[p] || p.Graph != g || !ewFusable(p) || external(v) ||
						!ir.SameShape(v.Type, out) || usesIn(v) != uses[v] {
						continue
					}
					group[p] = true
					grew = true
				}
			}
		}
		if len(group) < 2 {
			continue
		}
		fused := buildElementwise(g, root, group)
		if fused == nil {
			continue
		}
		for n := range group {
			taken[n] = true
		}
		replace[root] = fused
	}
	if len(replace) == 0 {
		return nil
	}
	fused := map[*ir.Node]bool{}
	for _, f := range replace {
		fused[f] = true
	}
	var nodes []*ir.Node
	for _, n := range g.Nodes {
		switch {
		case replace[n] != nil:
			nodes = append(nodes, replace[n])
		case taken[n]:
		case fused[n]:
			// made by NewNode at the end of the list; placed at its root's position above
		default:
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
	return nil
}

// buildElementwise makes the fused node for a group, or returns nil when an input of the group
// is neither of the output's shape, nor one element, nor per channel along the one axis that
// all per-channel inputs share.
func buildElementwise(g *ir.Graph, root *ir.Node, group map[*ir.Node]bool) *ir.Node {
	out := root.Outputs[0].Type
	var members []*ir.Node
	for _, n := range g.Nodes {
		if group[n] {
			members = append(members, n)
		}
	}
	var inputs []*ir.Value
	inIndex := map[*ir.Value]int{}
	shapeFrom := -1
	axis := -1 // the dim along which per-channel inputs broadcast
	channel := map[*ir.Value]bool{}
	var consts []*ir.Value
	constIndex := map[*ir.Value]int{}
	for _, n := range members {
		for _, v := range n.Inputs {
			if v.Def != nil && group[v.Def] {
				continue
			}
			if _, ok := inIndex[v]; ok {
				continue
			}
			if _, ok := constIndex[v]; ok {
				continue
			}
			switch {
			case v.Const != nil && v.Const.Len() == 1 && ewScalar(v.Type, len(out.Shape)):
				constIndex[v] = len(consts)
				consts = append(consts, v)
			case ir.SameShape(v.Type, out):
				if shapeFrom < 0 {
					shapeFrom = len(inputs)
				}
				inIndex[v] = len(inputs)
				inputs = append(inputs, v)
			case ewScalar(v.Type, len(out.Shape)):
				inIndex[v] = len(inputs)
				inputs = append(inputs, v)
			default:
				a, ok := ewChannelAxis(v.Type, out)
				if !ok || (axis >= 0 && a != axis) {
					return nil
				}
				axis = a
				channel[v] = true
				inIndex[v] = len(inputs)
				inputs = append(inputs, v)
			}
		}
	}
	if shapeFrom < 0 {
		return nil
	}
	var steps []int64
	var alphas, betas []float64
	ref := map[*ir.Value]int{}
	for v, k := range inIndex {
		ref[v] = k
	}
	addStep := func(op runtime.EwOp, a, b int, alpha, beta float64) int {
		steps = append(steps, int64(op), int64(a), int64(b))
		alphas, betas = append(alphas, alpha), append(betas, beta)
		return len(inputs) + len(alphas) - 1
	}
	for _, c := range consts {
		ref[c] = addStep(runtime.EwConst, 0, 0, float64(runtime.Data[float32](c.Const)[0]), 0)
	}
	for _, n := range members {
		op := ewOpByID[n.OpID]
		a, b := ref[n.Input(0)], 0
		if runtime.EwArity[op] > 1 {
			b = ref[n.Input(1)]
		}
		var alpha, beta float64
		switch op {
		case runtime.EwHardSigmoid:
			alpha, beta = n.GetFloat("alpha", 0.2), n.GetFloat("beta", 0.5)
		case runtime.EwLeakyRelu:
			alpha = n.GetFloat("alpha", 0.01)
		}
		ref[n.Outputs[0]] = addStep(op, a, b, alpha, beta)
	}
	attrs := []ir.Attr{ir.Ints("steps", steps...), ir.Floats("alphas", alphas...), ir.Floats("betas", betas...),
		ir.Int("shape_from", int64(shapeFrom))}
	if axis >= 0 {
		flags := make([]int64, len(inputs))
		for i, v := range inputs {
			if channel[v] {
				flags[i] = 1
			}
		}
		attrs = append(attrs, ir.Ints("channel", flags...), ir.Int("channel_axis", int64(axis)))
	}
	fused := g.NewNode("Elementwise", ops.FusedDomain, root.Name, inputs, 1, attrs...)
	// The fused node takes over the root's output value, keeping its name and uses.
	o := root.Outputs[0]
	o.Def = fused
	fused.Outputs[0] = o
	return fused
}

// ewChannelAxis reports whether t broadcasts to out as one value per index of a single dim of
// out (numpy alignment from the right): t is static, that dim is static and equal in both, and
// every other dim of t is 1. It returns that dim's index in out.
func ewChannelAxis(t, out ir.Type) (int, bool) {
	s, ok := t.StaticShape()
	if !ok || !out.RankKnown || len(s) > len(out.Shape) {
		return 0, false
	}
	axis := -1
	off := len(out.Shape) - len(s)
	for i, d := range s {
		if d == 1 {
			continue
		}
		o := out.Shape[off+i]
		if axis >= 0 || !o.IsStatic() || int(o.N) != d {
			return 0, false
		}
		axis = off + i
	}
	return axis, axis >= 0
}

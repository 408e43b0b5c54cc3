package passes

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
)

// UnsupportedError lists every node whose op onnxc does not implement.
type UnsupportedError struct {
	Source string
	Nodes  []UnsupportedNode
}

// UnsupportedNode is one node of an op with no definition.
type UnsupportedNode struct {
	Op, Domain, Name string
	Opset            int
}

func (e *UnsupportedError) Error() string {
	// One line per op (in order of first appearance), naming its nodes.
	type group struct {
		op, domain string
		opset      int
		names      []string
	}
	var groups []*group
	byOp := map[string]*group{}
	for _, n := range e.Nodes {
		k := n.Domain + "|" + n.Op
		g := byOp[k]
		if g == nil {
			dom := n.Domain
			if dom == "" {
				dom = "ai.onnx"
			}
			g = &group{op: n.Op, domain: dom, opset: n.Opset}
			byOp[k] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, fmt.Sprintf("%q", n.Name))
	}
	// The first line names the ops, for a reader who sees only that (a log, a CI summary).
	ops := make([]string, len(groups))
	for i, g := range groups {
		ops[i] = g.op
		if g.domain != "ai.onnx" {
			ops[i] = g.domain + "." + g.op
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d unsupported op(s) in %d node(s): %s", e.Source, len(groups), len(e.Nodes), strings.Join(ops, ", "))
	for _, g := range groups {
		names := g.names
		more := ""
		if len(names) > 6 {
			more = fmt.Sprintf(" and %d more", len(names)-6)
			names = names[:6]
		}
		fmt.Fprintf(&b, "\n  %s (domain %s, opset %d): %d node(s): %s%s", g.op, g.domain, g.opset, len(g.names), strings.Join(names, ", "), more)
	}
	return b.String()
}

// CheckSupported reports, all at once, every node whose op has no definition.
func CheckSupported(m *ir.Model) error {
	var nodes []UnsupportedNode
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			if _, err := ops.Of(n); err != nil {
				nodes = append(nodes, UnsupportedNode{Op: n.Op, Domain: n.Domain, Name: n.Name, Opset: m.Opsets[n.Domain]})
			}
		}
	})
	if len(nodes) == 0 {
		return nil
	}
	return &UnsupportedError{Source: m.Source, Nodes: nodes}
}

// Infer sets every node output's type from its inputs, in graph order (graphs are topologically
// sorted); a node with regions has its regions' inputs typed and its regions inferred first. It
// first checks that every op is supported, so an unsupported model fails with the full list
// rather than the first offender. It reports every node it could not type, not just the first.
func Infer(m *ir.Model) error {
	if err := CheckSupported(m); err != nil {
		return err
	}
	var errs []error
	inferGraph(m.Graph, &errs)
	return errors.Join(errs...)
}

func inferGraph(g *ir.Graph, errs *[]error) { inferNodes(g, errs, false) }

// inferNodes types g's nodes. Inside an If branch (lenient), a node whose static shapes make no
// sense is typed again from its inputs' element types alone: the branch may be one that these
// shapes never take (silero VAD's 8 kHz path when the model runs at 16 kHz), and the kernels
// check shapes when, and only if, the branch runs.
func inferNodes(g *ir.Graph, errs *[]error, lenient bool) {
	for _, n := range g.Nodes {
		d, err := ops.Of(n)
		if err == nil {
			err = d.CheckArity(n)
		}
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		if d.RegionInputs != nil {
			d.RegionInputs(n)
			for _, reg := range n.Regions {
				r := reg.Graph
				inferNodes(r, errs, lenient || n.Op == "If")
			}
		}
		err = d.Infer(n)
		if err != nil && lenient {
			err = inferLoosely(d, n)
		}
		if aerr := n.AttrErr(); aerr != nil {
			err = aerr
		}
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		propagateElems(d, n)
	}
}

// inferLoosely runs d.Infer with every input's shape forgotten (element types kept).
func inferLoosely(d *ops.Def, n *ir.Node) error {
	saved := make([]ir.Type, len(n.Inputs))
	for i, in := range n.Inputs {
		if in == nil || in.Const != nil {
			continue
		}
		saved[i] = in.Type
		in.Type = ir.Type{Kind: in.Type.Kind, DType: in.Type.DType, Elem: in.Type.Elem}
	}
	err := d.Infer(n)
	for i, in := range n.Inputs {
		if in != nil && in.Const == nil {
			in.Type = saved[i]
		}
	}
	return err
}

// propagateElems sets the elements of n's first output from its inputs' (data propagation,
// see ir.Value.Elems); an output whose elements are all static is left to constant folding.
func propagateElems(d *ops.Def, n *ir.Node) {
	if len(n.Outputs) == 0 || n.Outputs[0] == nil {
		return
	}
	out := n.Outputs[0]
	out.Elems = nil
	if d.Elems == nil {
		return
	}
	if e := d.Elems(n); e != nil && len(e) == numElems(out.Type) {
		out.Elems = e
	}
}

// numElems is a static tensor type's element count, or -1.
func numElems(t ir.Type) int {
	s, ok := t.StaticShape()
	if !ok {
		return -1
	}
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

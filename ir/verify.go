package ir

import (
	"errors"
	"fmt"
)

// Verify checks the model's structural invariants and reports every problem it finds at once:
// each value is defined before it is used, in its graph or an enclosing one; each node's outputs
// are defined by it; ids are unique and below the model's counters; tensor types have a valid
// element type once typed (typed says whether shape inference has run).
func Verify(m *Model, typed bool) error {
	v := &verifier{m: m, typed: typed, seen: make(map[int]bool), seenNode: make(map[int]bool)}
	v.graph(m.Graph, nil)
	return errors.Join(v.errs...)
}

type verifier struct {
	m        *Model
	typed    bool
	seen     map[int]bool
	seenNode map[int]bool
	errs     []error
}

func (v *verifier) errorf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

// graph checks g; outer holds the values visible from enclosing graphs.
func (v *verifier) graph(g *Graph, outer map[*Value]bool) {
	if g.Model != v.m {
		v.errorf("graph %s: belongs to another model", g.Name)
	}
	visible := make(map[*Value]bool, len(outer))
	for k := range outer {
		visible[k] = true
	}
	define := func(val *Value, what string) {
		if val == nil {
			v.errorf("graph %s: nil %s", g.Name, what)
			return
		}
		if val.ID >= v.m.nextValue {
			v.errorf("graph %s: %s %v has id beyond the model's counter", g.Name, what, val)
		}
		if v.seen[val.ID] {
			v.errorf("graph %s: value %v (%s) defined twice", g.Name, val, val.Name)
		}
		v.seen[val.ID] = true
		visible[val] = true
		v.checkType(g, val)
	}
	for _, in := range g.Inputs {
		define(in, "input")
	}
	for _, c := range g.Consts {
		define(c, "constant")
		if c != nil && c.Const == nil {
			v.errorf("graph %s: constant %v has no data", g.Name, c)
		}
	}
	for _, n := range g.Nodes {
		if v.seenNode[n.ID] {
			v.errorf("graph %s: node id %d used twice", g.Name, n.ID)
		}
		v.seenNode[n.ID] = true
		if n.Graph != g {
			v.errorf("%s: listed in graph %s but belongs to another", n.Describe(), g.Name)
		}
		if n.OpID != InternOp(n.Domain, n.Op) {
			v.errorf("%s: OpID %v does not match its op (set ops with SetOp)", n.Describe(), n.OpID)
		}
		for _, a := range n.Attrs {
			if a.Kind == AttrGraph {
				v.errorf("%s: graph attribute %q outside Regions", n.Describe(), a.Name)
			}
		}
		for i, in := range n.Inputs {
			if in != nil && !visible[in] {
				v.errorf("%s: input %d (%v %s) is not defined before use in graph %s or an enclosing graph", n.Describe(), i, in, in.Name, g.Name)
			}
		}
		for _, reg := range n.Regions {
			r := reg.Graph
			if r.Parent != g {
				v.errorf("%s: region %s does not name graph %s as its parent", n.Describe(), r.Name, g.Name)
			}
			v.graph(r, visible)
		}
		for _, out := range n.Outputs {
			if out == nil {
				continue
			}
			if out.Def != n {
				v.errorf("%s: output %v is not defined by it", n.Describe(), out)
			}
			define(out, "output")
		}
	}
	for i, o := range g.Outputs {
		if o == nil || !visible[o] {
			v.errorf("graph %s: output %d is not defined", g.Name, i)
		}
	}
}

func (v *verifier) checkType(g *Graph, val *Value) {
	if !v.typed || val.Type.Kind != TensorKind {
		return
	}
	if !val.Type.DType.Valid() {
		v.errorf("graph %s: value %v (%s) has no element type", g.Name, val, val.Name)
	}
	if val.Const != nil {
		shape, ok := val.Type.StaticShape()
		if !ok || !equalInts(shape, val.Const.Shape) || val.Type.DType != val.Const.DType {
			v.errorf("graph %s: constant %v (%s) has type %s but data %s", g.Name, val, val.Name, val.Type, val.Const)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package gogen

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
)

// plan is the storage layout of a model's run: which tensor slot each value lives in, which
// weight each constant is, and which planned buffer backs each slot. Every graph (the main one
// and each region) gets its own slots and buffers in one numbering.
type plan struct {
	slot    map[*ir.Value]int // graph inputs and node outputs
	weight  map[*ir.Value]int // constants and graph-input defaults
	bufOf   []int             // per slot: planned buffer, or -1 (graph inputs, aliases)
	numBufs int
	prog    *lowered.Program
	// captured holds each region's captures, once computed.
	captured map[*ir.Graph][]*ir.Value
}

func newPlan(weights map[*ir.Value]int, prog *lowered.Program) *plan {
	return &plan{slot: map[*ir.Value]int{}, weight: weights, prog: prog, captured: map[*ir.Graph][]*ir.Value{}}
}

func (p *plan) addSlot(v *ir.Value) {
	p.slot[v] = len(p.bufOf)
	p.bufOf = append(p.bufOf, -1)
}

// captures lists the values a region (and its nested regions) uses that it does not define.
// Each graph's list is built from its nested regions' lists and kept, so that a deep nest of
// regions costs time linear in its size, not quadratic.
func (p *plan) captures(r *ir.Graph) []*ir.Value {
	if c, ok := p.captured[r]; ok {
		return c
	}
	defined := map[*ir.Value]bool{}
	for _, v := range r.Inputs {
		defined[v] = true
	}
	for _, v := range r.Consts {
		defined[v] = true
	}
	for _, n := range r.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	out := []*ir.Value{}
	seen := map[*ir.Value]bool{}
	use := func(v *ir.Value) {
		if v != nil && !defined[v] && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, n := range r.Nodes {
		for _, in := range n.Inputs {
			use(in)
		}
		for _, reg := range n.Regions {
			for _, v := range p.captures(reg.Graph) {
				use(v)
			}
		}
	}
	for _, o := range r.Outputs {
		use(o)
	}
	p.captured[r] = out
	return out
}

// planGraph numbers g's values and assigns buffers so that values whose lifetimes do not
// overlap share storage. A node's outputs never share a buffer with its inputs, except for
// output 0 of ops that alias input 0 (Reshape and kin), which join their input's storage group:
// that storage then lives as long as the longest-lived member. A value a region uses counts as
// used by the node that holds the region.
func (p *plan) planGraph(g *ir.Graph) {
	for _, in := range g.Inputs {
		p.addSlot(in)
	}
	end := len(g.Nodes) // "used until the end": graph outputs
	uses := make([][]*ir.Value, len(g.Nodes))
	lastUse := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		uses[i] = append(uses[i], n.Inputs...)
		for _, reg := range n.Regions {
			r := reg.Graph
			uses[i] = append(uses[i], p.captures(r)...)
		}
		for _, in := range uses[i] {
			if in != nil {
				lastUse[in] = i
			}
		}
	}
	for _, o := range g.Outputs {
		lastUse[o] = end
	}
	// Storage groups: an alias joins its input's group.
	group := map[*ir.Value]*ir.Value{}
	groupEnd := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		aliases := p.prog.Of[n].Aliases
		for k, o := range n.Outputs {
			if o == nil {
				continue
			}
			p.addSlot(o)
			root := o
			if k == 0 && aliases && n.Input(0) != nil {
				if r, ok := group[n.Input(0)]; ok {
					root = r
				} else {
					root = n.Input(0) // a graph input, an outer value or a weight: no buffer here
				}
			}
			group[o] = root
			e, ok := lastUse[o]
			if !ok {
				e = i // never used: dies right after its node
			}
			groupEnd[root] = max(groupEnd[root], e)
		}
	}
	// Linear scan over nodes: allocate buffers for new group roots, free groups that end.
	var free []int
	bufOfRoot := map[*ir.Value]int{}
	release := func(root *ir.Value) {
		if b, ok := bufOfRoot[root]; ok {
			free = append(free, b)
			delete(bufOfRoot, root)
		}
	}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == nil || group[o] != o {
				continue
			}
			var b int
			if len(free) > 0 {
				b, free = free[len(free)-1], free[:len(free)-1]
			} else {
				b = p.numBufs
				p.numBufs++
			}
			bufOfRoot[o] = b
			p.bufOf[p.slot[o]] = b
		}
		for _, o := range n.Outputs {
			if o != nil && group[o] == o && groupEnd[o] == i {
				release(o)
			}
		}
		for _, in := range uses[i] {
			if in == nil {
				continue
			}
			if root, ok := group[in]; ok && groupEnd[root] == i {
				release(root)
			}
		}
	}
	// Regions get their own slots and buffers.
	for _, n := range g.Nodes {
		for _, reg := range n.Regions {
			r := reg.Graph
			p.planGraph(r)
		}
	}
}

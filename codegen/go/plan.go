package gogen

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
)

// plan is the storage layout of one graph's run: which tensor slot each value lives in, which
// weight each constant is, and which planned buffer backs each slot.
type plan struct {
	slot    map[*ir.Value]int // graph inputs and node outputs
	weight  map[*ir.Value]int // constants
	bufOf   []int             // per slot: planned buffer, or -1 (graph inputs, aliases)
	numBufs int
}

// planStorage numbers the values and assigns buffers so that values whose lifetimes do not
// overlap share storage. A node's outputs never share a buffer with its inputs, except for
// output 0 of ops that alias input 0 (Reshape and kin), which join their input's storage group:
// that storage then lives as long as the longest-lived member.
func planStorage(g *ir.Graph, weights map[*ir.Value]int) *plan {
	p := &plan{slot: map[*ir.Value]int{}, weight: weights}
	addSlot := func(v *ir.Value) {
		p.slot[v] = len(p.bufOf)
		p.bufOf = append(p.bufOf, -1)
	}
	for _, in := range g.Inputs {
		addSlot(in)
	}
	end := len(g.Nodes) // "used until the end": graph outputs
	lastUse := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
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
		d := ops.Lookup(n.Domain, n.Op)
		for k, o := range n.Outputs {
			if o == nil {
				continue
			}
			addSlot(o)
			root := o
			if k == 0 && d != nil && d.MayAlias && n.Input(0) != nil {
				if r, ok := group[n.Input(0)]; ok {
					root = r
				} else {
					root = n.Input(0) // a graph input or a weight: no planned buffer
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
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == nil || group[o] != o {
				continue
			}
			b := -1
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
			if o == nil || group[o] != o {
				continue
			}
			if groupEnd[o] == i {
				free = append(free, bufOfRoot[o])
			}
		}
		for _, in := range n.Inputs {
			if in == nil {
				continue
			}
			root, ok := group[in]
			if !ok || root.Def == nil || groupEnd[root] != i {
				continue
			}
			if b, ok := bufOfRoot[root]; ok {
				free = append(free, b)
				delete(bufOfRoot, root) // free once even if used twice by this node
			}
		}
	}
	return p
}

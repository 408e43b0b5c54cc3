package ir

// Use lists. Uses records, for a graph and every region nested in it, where each value is used:
// as a node input (Node, Index) or as a graph output (Graph, Index). Passes that replace values
// build it once and keep it current through its methods, so that replacing a value touches only
// that value's uses instead of walking the whole model (Graph.ReplaceUses) each time.
type Uses struct {
	of map[*Value][]Use
}

// Use is one use of a value: input Index of Node, or, when Node is nil, output Index of Graph.
type Use struct {
	Node  *Node
	Graph *Graph
	Index int
}

// NewUses indexes the uses in g and its regions.
func NewUses(g *Graph) *Uses {
	u := &Uses{of: map[*Value][]Use{}}
	g.Walk(func(h *Graph) {
		for _, n := range h.Nodes {
			u.AddNode(n)
		}
		for i, o := range h.Outputs {
			if o != nil {
				u.of[o] = append(u.of[o], Use{Graph: h, Index: i})
			}
		}
	})
	return u
}

// Of returns v's uses; the slice is the index's own, valid until the next change.
func (u *Uses) Of(v *Value) []Use { return u.of[v] }

// Count is the number of uses of v.
func (u *Uses) Count(v *Value) int { return len(u.of[v]) }

// AddNode records n's inputs as uses (a node added to a graph).
func (u *Uses) AddNode(n *Node) {
	for i, in := range n.Inputs {
		if in != nil {
			u.of[in] = append(u.of[in], Use{Node: n, Graph: n.Graph, Index: i})
		}
	}
}

// RemoveNode forgets n's uses (a node removed from its graph).
func (u *Uses) RemoveNode(n *Node) {
	for i, in := range n.Inputs {
		if in != nil {
			u.drop(in, Use{Node: n, Graph: n.Graph, Index: i})
		}
	}
}

func (u *Uses) drop(v *Value, use Use) {
	us := u.of[v]
	for k, x := range us {
		if x == use {
			us[k] = us[len(us)-1]
			us = us[:len(us)-1]
			break
		}
	}
	if len(us) == 0 {
		delete(u.of, v)
		return
	}
	u.of[v] = us
}

// SetInput makes input i of n be v.
func (u *Uses) SetInput(n *Node, i int, v *Value) {
	if old := n.Inputs[i]; old != nil {
		u.drop(old, Use{Node: n, Graph: n.Graph, Index: i})
	}
	n.Inputs[i] = v
	if v != nil {
		u.of[v] = append(u.of[v], Use{Node: n, Graph: n.Graph, Index: i})
	}
}

// Replace makes every use of old use new instead, touching only old's uses.
func (u *Uses) Replace(old, new *Value) {
	if old == new {
		return
	}
	for _, use := range u.of[old] {
		if use.Node != nil {
			use.Node.Inputs[use.Index] = new
		} else {
			use.Graph.Outputs[use.Index] = new
		}
		if new != nil {
			u.of[new] = append(u.of[new], use)
		}
	}
	delete(u.of, old)
}

// NewNodeBefore is NewNode, except that the node goes right before anchor in anchor's graph
// instead of at the end. It is linear in the graph's length; a pass that inserts many nodes
// rebuilds the node list once instead.
func (g *Graph) NewNodeBefore(anchor *Node, op, domain, name string, inputs []*Value, nout int, attrs ...Attr) *Node {
	n := g.NewNode(op, domain, name, inputs, nout, attrs...)
	g.Nodes = g.Nodes[:len(g.Nodes)-1]
	for i, m := range g.Nodes {
		if m == anchor {
			g.Nodes = append(g.Nodes, nil)
			copy(g.Nodes[i+1:], g.Nodes[i:])
			g.Nodes[i] = n
			return n
		}
	}
	g.Nodes = append(g.Nodes, n) // no anchor: at the end, as NewNode
	return n
}

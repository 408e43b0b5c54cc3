// Package ir is onnxc's intermediate representation: a model is a graph of nodes in SSA form,
// each value defined once (by a node, as a graph input, or as a constant) and typed with an
// element type and a shape whose dims are static, symbolic or unknown. Control-flow ops hold
// nested graphs (regions) that may use values of the graphs around them.
//
// Both frontends lower into this package; nothing here knows about protobuf, ONNX files or
// Paddle programs. Op names are the ONNX operator names, the widest public vocabulary; the
// ops package says what each one means.
package ir

import (
	"fmt"
	"sort"

	"github.com/onnxc/onnxc/runtime"
)

// DType is an element type; it is the runtime's, so constants need no conversion.
type DType = runtime.DType

// Dim is one dimension of a shape: a static size (N >= 0), a named symbolic size (Sym != ""),
// or unknown (N < 0 and no Sym): known only when the program runs.
type Dim struct {
	N   int64
	Sym string
}

// Static returns a static dim.
func Static(n int64) Dim { return Dim{N: n} }

// Symbol returns a symbolic dim.
func Symbol(name string) Dim { return Dim{N: -1, Sym: name} }

// Unknown returns an unknown dim.
func Unknown() Dim { return Dim{N: -1} }

// IsStatic reports whether the dim's size is known at compile time.
func (d Dim) IsStatic() bool { return d.N >= 0 }

func (d Dim) String() string {
	switch {
	case d.N >= 0:
		return fmt.Sprint(d.N)
	case d.Sym != "":
		return d.Sym
	}
	return "?"
}

// Kind says whether a value is a tensor, a sequence of tensors or an optional.
type Kind uint8

const (
	TensorKind Kind = iota
	SequenceKind
	OptionalKind
)

// Type is a value's type. For a tensor, DType and Shape; Shape is nil with RankKnown false when
// even the rank is unknown. For sequences and optionals, Elem is the element type.
type Type struct {
	Kind      Kind
	DType     DType
	Shape     []Dim
	RankKnown bool
	Elem      *Type
}

// TensorType returns a tensor type of known rank.
func TensorType(dt DType, shape ...Dim) Type {
	return Type{DType: dt, Shape: shape, RankKnown: true}
}

// StaticType returns a tensor type with all dims static.
func StaticType(dt DType, shape ...int) Type {
	dims := make([]Dim, len(shape))
	for i, n := range shape {
		dims[i] = Static(int64(n))
	}
	return TensorType(dt, dims...)
}

// Rank is the number of dims, or -1 when unknown.
func (t Type) Rank() int {
	if !t.RankKnown {
		return -1
	}
	return len(t.Shape)
}

// IsStatic reports whether the rank and every dim are known at compile time.
func (t Type) IsStatic() bool {
	if t.Kind != TensorKind || !t.RankKnown {
		return false
	}
	for _, d := range t.Shape {
		if !d.IsStatic() {
			return false
		}
	}
	return true
}

// StaticShape returns the dims as ints; ok is false unless IsStatic.
func (t Type) StaticShape() (shape []int, ok bool) {
	if !t.IsStatic() {
		return nil, false
	}
	shape = make([]int, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int(d.N)
	}
	return shape, true
}

func (t Type) String() string {
	switch t.Kind {
	case SequenceKind:
		return "seq<" + t.elemString() + ">"
	case OptionalKind:
		return "opt<" + t.elemString() + ">"
	}
	s := t.DType.String()
	if !t.RankKnown {
		return s + "[*]"
	}
	s += "["
	for i, d := range t.Shape {
		if i > 0 {
			s += ","
		}
		s += d.String()
	}
	return s + "]"
}

func (t Type) elemString() string {
	if t.Elem == nil {
		return "?"
	}
	return t.Elem.String()
}

// Value is an SSA value. Exactly one of Def (a node output), Const (a constant), or membership
// in a graph's Inputs defines it. Name is the frontend's name, kept for errors and generated
// identifiers; it need not be unique.
type Value struct {
	ID    int
	Name  string
	Type  Type
	Def   *Node
	Const *runtime.Tensor
	// Default is the value of a graph input that the caller may omit (an ONNX initializer that
	// is also listed as a graph input).
	Default *runtime.Tensor
	Graph   *Graph
	// Elems, for a small integer tensor computed from shapes (Shape, then Gather, Slice,
	// Concat, Cast ...), lists its elements as dims: static numbers or symbols. Shape inference
	// sets it (ONNX calls this data propagation) so that a Reshape or Expand whose target is
	// computed from symbolic dims still gets a known output shape. nil when not known.
	Elems []Dim
}

func (v *Value) String() string { return fmt.Sprintf("%%%d", v.ID) }

// Node is one operation. Inputs may contain nil for omitted optional inputs.
type Node struct {
	ID      int
	Op      string
	Domain  string // "" for the default (ai.onnx) domain
	Name    string
	Inputs  []*Value
	Outputs []*Value
	Attrs   []Attr // sorted by name; never graphs: those are Regions
	// Regions are the nested graphs the op runs (If branches, Loop and Scan bodies), sorted by
	// name. They are a field, not attributes, so that walking a model never scans attributes.
	Regions []Region
	// OpID is (Domain, Op) interned: compare and index by it rather than by strings.
	OpID  OpID
	Graph *Graph
	// attrErr is the first attribute read as the wrong kind (AttrErr).
	attrErr *AttrError
}

// Region is a named nested graph of a node.
type Region struct {
	Name  string
	Graph *Graph
}

// SetOp makes n another op (a fusion rewriting it in place), keeping OpID in step.
func (n *Node) SetOp(op, domain string) {
	n.Op, n.Domain, n.OpID = op, domain, InternOp(domain, op)
}

// Input returns input i, or nil when absent.
func (n *Node) Input(i int) *Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// Describe names a node for error messages: op, name and domain.
func (n *Node) Describe() string {
	op := n.Op
	if n.Domain != "" {
		op = n.Domain + "." + op
	}
	if n.Name != "" {
		return fmt.Sprintf("%s node %q", op, n.Name)
	}
	return fmt.Sprintf("%s node #%d", op, n.ID)
}

// Graph is a list of nodes in a valid execution order, with its inputs, outputs and constants.
// A region graph (an If branch, a Loop body) has Parent set and may use values of its ancestors.
type Graph struct {
	Name    string
	Inputs  []*Value
	Outputs []*Value
	Consts  []*Value
	Nodes   []*Node
	Parent  *Graph
	Model   *Model
}

// Model is a whole program: the main graph and the id counters every graph shares.
type Model struct {
	Graph *Graph
	// Opsets maps an operator domain ("" for ai.onnx) to the opset version the model imports.
	Opsets map[string]int
	// Source names the file the model came from, for errors.
	Source    string
	nextValue int
	nextNode  int
}

// NewModel returns an empty model with a main graph.
func NewModel(source string) *Model {
	m := &Model{Opsets: map[string]int{"": 21}, Source: source}
	m.Graph = &Graph{Name: "main", Model: m}
	return m
}

// NewGraph returns a region graph nested in parent.
func (m *Model) NewGraph(name string, parent *Graph) *Graph {
	return &Graph{Name: name, Parent: parent, Model: m}
}

// NumValues is one more than the largest value id, for slices indexed by id.
func (m *Model) NumValues() int { return m.nextValue }

// NumNodes is one more than the largest node id.
func (m *Model) NumNodes() int { return m.nextNode }

func (g *Graph) newValue(name string, t Type) *Value {
	v := &Value{ID: g.Model.nextValue, Name: name, Type: t, Graph: g}
	g.Model.nextValue++
	return v
}

// AddInput appends a graph input.
func (g *Graph) AddInput(name string, t Type) *Value {
	v := g.newValue(name, t)
	g.Inputs = append(g.Inputs, v)
	return v
}

// AddConst adds a constant; its type is the tensor's.
func (g *Graph) AddConst(name string, t *runtime.Tensor) *Value {
	v := g.newValue(name, ConstType(t))
	v.Const = t
	g.Consts = append(g.Consts, v)
	return v
}

// ConstType is the static type of a constant tensor.
func ConstType(t *runtime.Tensor) Type {
	return StaticType(t.DType, t.Shape...)
}

// NewNode appends a node with nout fresh outputs of unknown type. Shape inference types them.
func (g *Graph) NewNode(op, domain, name string, inputs []*Value, nout int, attrs ...Attr) *Node {
	n := &Node{ID: g.Model.nextNode, Op: op, Domain: domain, Name: name, Inputs: inputs, Graph: g, OpID: InternOp(domain, op)}
	g.Model.nextNode++
	for i := 0; i < nout; i++ {
		v := g.newValue("", Type{})
		v.Def = n
		n.Outputs = append(n.Outputs, v)
	}
	n.SetAttrs(attrs...)
	g.Nodes = append(g.Nodes, n)
	return n
}

// SetAttrs sets attributes, replacing those of the same name, keeping them sorted. A graph
// attribute (GraphAttr, as frontends read them) becomes a region.
func (n *Node) SetAttrs(attrs ...Attr) {
	for _, a := range attrs {
		if a.Kind == AttrGraph {
			n.SetRegion(a.Name, a.Graph)
			continue
		}
		i := sort.Search(len(n.Attrs), func(i int) bool { return n.Attrs[i].Name >= a.Name })
		if i < len(n.Attrs) && n.Attrs[i].Name == a.Name {
			n.Attrs[i] = a
			continue
		}
		n.Attrs = append(n.Attrs, Attr{})
		copy(n.Attrs[i+1:], n.Attrs[i:])
		n.Attrs[i] = a
	}
}

// Attr returns the attribute of that name, if present.
func (n *Node) Attr(name string) (Attr, bool) {
	i := sort.Search(len(n.Attrs), func(i int) bool { return n.Attrs[i].Name >= name })
	if i < len(n.Attrs) && n.Attrs[i].Name == name {
		return n.Attrs[i], true
	}
	return Attr{}, false
}

// RemoveAttr deletes an attribute if present.
func (n *Node) RemoveAttr(name string) {
	for i, a := range n.Attrs {
		if a.Name == name {
			n.Attrs = append(n.Attrs[:i], n.Attrs[i+1:]...)
			return
		}
	}
}

// SetRegion sets the region of that name, replacing one of the same name, keeping them sorted.
func (n *Node) SetRegion(name string, g *Graph) {
	i := sort.Search(len(n.Regions), func(i int) bool { return n.Regions[i].Name >= name })
	if i < len(n.Regions) && n.Regions[i].Name == name {
		n.Regions[i].Graph = g
		return
	}
	n.Regions = append(n.Regions, Region{})
	copy(n.Regions[i+1:], n.Regions[i:])
	n.Regions[i] = Region{Name: name, Graph: g}
}

// Region returns the region of that name, or nil.
func (n *Node) Region(name string) *Graph {
	for _, r := range n.Regions {
		if r.Name == name {
			return r.Graph
		}
	}
	return nil
}

// Walk calls f for every graph, outermost first.
func (g *Graph) Walk(f func(*Graph)) {
	f(g)
	for _, n := range g.Nodes {
		for _, r := range n.Regions {
			r.Graph.Walk(f)
		}
	}
}

// ReplaceUses makes every use of old in g and its regions (and g's outputs) use new instead.
func (g *Graph) ReplaceUses(old, new *Value) {
	g.Walk(func(h *Graph) {
		for _, n := range h.Nodes {
			for i, in := range n.Inputs {
				if in == old {
					n.Inputs[i] = new
				}
			}
		}
		for i, o := range h.Outputs {
			if o == old {
				h.Outputs[i] = new
			}
		}
	})
}

// SameShape reports whether two tensor types provably have one shape: the same rank, and each
// dim equal as a static size or as the same symbol (a symbol stands for one size everywhere).
func SameShape(a, b Type) bool {
	if a.Kind != TensorKind || b.Kind != TensorKind || !a.RankKnown || !b.RankKnown || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i, d := range a.Shape {
		e := b.Shape[i]
		switch {
		case d.IsStatic() && e.IsStatic() && d.N == e.N:
		case !d.IsStatic() && !e.IsStatic() && d.Sym != "" && d.Sym == e.Sym:
		default:
			return false
		}
	}
	return true
}

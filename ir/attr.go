package ir

import (
	"fmt"

	"github.com/onnxc/onnxc/runtime"
)

// AttrKind is the type of an attribute.
type AttrKind uint8

const (
	AttrInt AttrKind = iota + 1
	AttrFloat
	AttrString
	AttrTensor
	AttrGraph
	AttrInts
	AttrFloats
	AttrStrings
	AttrType
)

// Attr is a typed, named attribute. Only the field of its Kind is meaningful.
type Attr struct {
	Name    string
	Kind    AttrKind
	Int     int64
	Float   float64
	Str     string
	Tensor  *runtime.Tensor
	Graph   *Graph
	Ints    []int64
	Floats  []float64
	Strings []string
	Type    Type
}

// Int returns an int attribute.
func Int(name string, v int64) Attr { return Attr{Name: name, Kind: AttrInt, Int: v} }

// Float returns a float attribute.
func Float(name string, v float64) Attr { return Attr{Name: name, Kind: AttrFloat, Float: v} }

// String returns a string attribute.
func String(name, v string) Attr { return Attr{Name: name, Kind: AttrString, Str: v} }

// Ints returns an ints attribute.
func Ints(name string, v ...int64) Attr { return Attr{Name: name, Kind: AttrInts, Ints: v} }

// Floats returns a floats attribute.
func Floats(name string, v ...float64) Attr { return Attr{Name: name, Kind: AttrFloats, Floats: v} }

// Strings returns a strings attribute.
func Strings(name string, v ...string) Attr { return Attr{Name: name, Kind: AttrStrings, Strings: v} }

// TensorAttr returns a tensor attribute.
func TensorAttr(name string, t *runtime.Tensor) Attr {
	return Attr{Name: name, Kind: AttrTensor, Tensor: t}
}

// GraphAttr returns a graph attribute, the form a frontend reads a region in; SetAttrs and
// NewNode store it as a region (Node.Regions), never among the attributes.
func GraphAttr(name string, g *Graph) Attr { return Attr{Name: name, Kind: AttrGraph, Graph: g} }

// AttrError is returned by the typed getters when an attribute has the wrong kind.
type AttrError struct {
	Node *Node
	Name string
	Want AttrKind
}

func (e *AttrError) Error() string {
	got := "absent"
	if a, ok := e.Node.Attr(e.Name); ok {
		got = a.Kind.String()
	}
	return fmt.Sprintf("%s: attribute %q is %s, want %s", e.Node.Describe(), e.Name, got, e.Want)
}

func (k AttrKind) String() string {
	return [...]string{"?", "int", "float", "string", "tensor", "graph", "ints", "floats", "strings", "type"}[k]
}

// The typed getters return the attribute's value, or def when it is absent. An attribute of
// another kind also gives def, and the node records the mismatch (AttrErr): inference and
// lowering report it, so that a model's "perm" given as a string is an error that names the
// node, not a silent default.

// mismatch records the first attribute read as a kind it does not have.
func (n *Node) mismatch(name string, want AttrKind) {
	if n.attrErr == nil {
		n.attrErr = &AttrError{Node: n, Name: name, Want: want}
	}
}

// AttrErr is the first attribute that an op's definition read as a kind it does not have.
func (n *Node) AttrErr() error {
	if n.attrErr == nil {
		return nil
	}
	return n.attrErr
}

// GetInt returns an int attribute or def when absent.
func (n *Node) GetInt(name string, def int64) int64 {
	if a, ok := n.Attr(name); ok {
		if a.Kind == AttrInt {
			return a.Int
		}
		n.mismatch(name, AttrInt)
	}
	return def
}

// GetFloat returns a float attribute or def when absent.
func (n *Node) GetFloat(name string, def float64) float64 {
	if a, ok := n.Attr(name); ok {
		switch a.Kind {
		case AttrFloat:
			return a.Float
		case AttrInt:
			return float64(a.Int)
		}
		n.mismatch(name, AttrFloat)
	}
	return def
}

// GetString returns a string attribute or def when absent.
func (n *Node) GetString(name, def string) string {
	if a, ok := n.Attr(name); ok {
		if a.Kind == AttrString {
			return a.Str
		}
		n.mismatch(name, AttrString)
	}
	return def
}

// GetInts returns an ints attribute or def when absent.
func (n *Node) GetInts(name string, def []int64) []int64 {
	if a, ok := n.Attr(name); ok {
		switch a.Kind {
		case AttrInts:
			return a.Ints
		case AttrInt:
			return []int64{a.Int}
		}
		n.mismatch(name, AttrInts)
	}
	return def
}

// GetFloats returns a floats attribute or def when absent.
func (n *Node) GetFloats(name string, def []float64) []float64 {
	if a, ok := n.Attr(name); ok {
		if a.Kind == AttrFloats {
			return a.Floats
		}
		n.mismatch(name, AttrFloats)
	}
	return def
}

// GetStrings returns a strings attribute or def when absent.
func (n *Node) GetStrings(name string, def []string) []string {
	if a, ok := n.Attr(name); ok {
		if a.Kind == AttrStrings {
			return a.Strings
		}
		n.mismatch(name, AttrStrings)
	}
	return def
}

// GetTensor returns a tensor attribute or nil.
func (n *Node) GetTensor(name string) *runtime.Tensor {
	if a, ok := n.Attr(name); ok {
		if a.Kind == AttrTensor {
			return a.Tensor
		}
		n.mismatch(name, AttrTensor)
	}
	return nil
}

// Has reports whether the attribute is present.
func (n *Node) Has(name string) bool { _, ok := n.Attr(name); return ok }

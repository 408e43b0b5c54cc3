package passes

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// CSE merges values that are provably equal, so that each is stored and computed once:
//   - constants of one type and the same bytes. Exporters repeat weights, and folding copies
//     them: torch shares weights between layers through Identity nodes, each of which folds
//     into a constant of its own, and each copy would be packed and embedded again;
//   - nodes of one op on the same inputs with the same attributes (the Shape, Gather and
//     Unsqueeze chains that every layer of an exported transformer repeats).
//
// Later uses take the first value; dce removes the rest. Nodes with regions and random ops
// are left alone.
func CSE(m *ir.Model) error {
	seed := maphash.MakeSeed()
	uses := ir.NewUses(m.Graph) // once for all graphs: per graph would be quadratic in the nesting
	m.Graph.Walk(func(g *ir.Graph) {
		cseConsts(g, uses, seed)
		cseNodes(g, uses)
	})
	return nil
}

func cseConsts(g *ir.Graph, uses *ir.Uses, seed maphash.Seed) {
	seen := map[uint64][]*ir.Value{}
	for _, c := range g.Consts {
		h := constHash(c.Const, seed)
		if same := slices.IndexFunc(seen[h], func(d *ir.Value) bool { return equalTensors(d.Const, c.Const) }); same >= 0 {
			uses.Replace(c, seen[h][same])
			continue
		}
		seen[h] = append(seen[h], c)
	}
}

func constHash(t *runtime.Tensor, seed maphash.Seed) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	fmt.Fprint(&h, t.DType, t.Shape)
	h.Write(t.Bytes())
	for _, s := range t.Strs {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func equalTensors(a, b *runtime.Tensor) bool {
	return a.DType == b.DType && slices.Equal(a.Shape, b.Shape) && bytes.Equal(a.Bytes(), b.Bytes()) && slices.Equal(a.Strs, b.Strs)
}

func cseNodes(g *ir.Graph, uses *ir.Uses) {
	seen := map[string]*ir.Node{}
	kept := g.Nodes[:0]
	for _, n := range g.Nodes {
		key, ok := nodeKey(n)
		if !ok {
			kept = append(kept, n)
			continue
		}
		first, dup := seen[key]
		if !dup {
			seen[key] = n
			kept = append(kept, n)
			continue
		}
		uses.RemoveNode(n)
		for i, o := range n.Outputs {
			if o != nil {
				uses.Replace(o, first.Outputs[i])
			}
		}
	}
	clear(g.Nodes[len(kept):])
	g.Nodes = kept
}

// nodeKey is what makes two nodes compute one result: op, inputs, output count and exact
// attributes. ok is false for nodes CSE must not merge.
func nodeKey(n *ir.Node) (key string, ok bool) {
	if len(n.Regions) > 0 || len(n.Outputs) == 0 {
		return "", false
	}
	if d, err := ops.Of(n); err != nil || d.Random {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d(", n.OpID, len(n.Outputs))
	for _, in := range n.Inputs {
		id := -1
		if in != nil {
			id = in.ID
		}
		fmt.Fprintf(&b, "%d,", id)
	}
	b.WriteString(")")
	for _, o := range n.Outputs {
		if o == nil {
			b.WriteString("_")
		} else {
			b.WriteString("o")
		}
	}
	for _, a := range n.Attrs {
		k, exact := exactAttr(a)
		if !exact {
			return "", false
		}
		fmt.Fprintf(&b, ";%s=%s", a.Name, k)
	}
	return b.String(), true
}

// exactAttr spells an attribute so that equal spellings mean equal values (floats by their
// bits, unlike the printed form); tensor attributes are not compared.
func exactAttr(a ir.Attr) (string, bool) {
	switch a.Kind {
	case ir.AttrInt:
		return fmt.Sprint("i", a.Int), true
	case ir.AttrFloat:
		return fmt.Sprint("f", math.Float64bits(a.Float)), true
	case ir.AttrString:
		return fmt.Sprintf("s%q", a.Str), true
	case ir.AttrInts:
		return fmt.Sprint("I", a.Ints), true
	case ir.AttrFloats:
		bits := make([]uint64, len(a.Floats))
		for i, f := range a.Floats {
			bits[i] = math.Float64bits(f)
		}
		return fmt.Sprint("F", bits), true
	case ir.AttrStrings:
		return fmt.Sprintf("S%q", a.Strings), true
	case ir.AttrType:
		return "t" + a.Type.String(), true
	}
	return "", false
}

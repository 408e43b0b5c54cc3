package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Sequence and optional ops. Their values are ir.SequenceKind and ir.OptionalKind types whose
// Elem is the element type; the kernels are in runtime/k_sequence.go. Constant folding leaves
// them alone except where the result is a plain static tensor (OptionalHasElement on a
// constant, SequenceLength never: no sequence is ever a constant).

func init() {
	Register(
		&Def{Op: "SequenceEmpty", MinIn: 0, MaxIn: 0, MinOut: 1, MaxOut: 1,
			Doc: "an empty sequence of the dtype attribute's element type", Infer: inferSequenceEmpty,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.SequenceEmpty, &runtime.SequenceEmptyParams{DType: seqEmptyDType(n)}), nil
			}},
		&Def{Op: "SequenceConstruct", MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
			Doc: "a sequence of the inputs", Infer: inferSequenceConstruct,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.SequenceConstruct, &struct{}{}), nil }},
		&Def{Op: "SequenceInsert", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc: "the sequence with a tensor inserted at a position (default: the end)", Infer: inferSequenceInsert,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.SequenceInsert, &struct{}{}), nil }},
		&Def{Op: "SequenceAt", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "the sequence's element at a position", Infer: inferSequenceAt,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.SequenceAt, &struct{}{}), nil }},
		&Def{Op: "SequenceErase", MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "the sequence without the element at a position (default: the last)", Infer: inferSequenceErase,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.SequenceErase, &struct{}{}), nil }},
		&Def{Op: "SequenceLength", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "the number of elements of a sequence as int64", Infer: func(n *ir.Node) error {
				if err := wantKind(n, 0, ir.SequenceKind); err != nil {
					return err
				}
				SetOut(n, 0, ir.StaticType(runtime.Int64))
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.SequenceLength, &struct{}{}), nil }},
		&Def{Op: "SplitToSequence", MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc: "a tensor split along an axis into a sequence", Infer: inferSplitToSequence,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.SplitToSequence, &runtime.SplitToSequenceParams{
					Axis: int(n.GetInt("axis", 0)), KeepDims: n.GetInt("keepdims", 1) != 0}), nil
			}},
		&Def{Op: "ConcatFromSequence", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "a sequence's elements concatenated along an axis (or stacked along a new one)", Infer: inferConcatFromSequence,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.ConcatFromSequence, &runtime.ConcatFromSequenceParams{
					Axis: int(n.GetInt("axis", 0)), NewAxis: n.GetInt("new_axis", 0) != 0}), nil
			}},
		&Def{Op: "SequenceMap", MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: -1,
			Doc:          "runs body on each element of the sequences, collecting its outputs into sequences",
			RegionInputs: sequenceMapRegionInputs,
			Infer:        inferSequenceMap,
			Lower: func(n *ir.Node) (Call, error) {
				c := K(lowered.SequenceMap, &runtime.SequenceMapParams{})
				c.Bodies = []*ir.Graph{n.Region("body")}
				return c, nil
			}},
		&Def{Op: "Optional", MinIn: 0, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "an optional holding the input, or an empty one of the type attribute", Infer: inferOptional,
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.Optional, &struct{}{}), nil }},
		&Def{Op: "OptionalHasElement", MinIn: 0, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "whether an optional (or an input that may be absent) holds a value", Infer: func(n *ir.Node) error {
				SetOut(n, 0, ir.StaticType(runtime.Bool))
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.OptionalHasElement, &struct{}{}), nil }},
		&Def{Op: "OptionalGetElement", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "the value an optional holds (a tensor or sequence input as is)", Infer: func(n *ir.Node) error {
				t := InType(n, 0)
				if t.Kind == ir.OptionalKind {
					t = elemOf(t)
				}
				SetOut(n, 0, t)
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) { return K(lowered.OptionalGetElement, &struct{}{}), nil }},
	)
}

// seqType is the type of a sequence of elem.
func seqType(elem ir.Type) ir.Type {
	return ir.Type{Kind: ir.SequenceKind, Elem: &elem}
}

// elemOf is the element type of a sequence or optional type (the zero Type when unknown).
func elemOf(t ir.Type) ir.Type {
	if t.Elem == nil {
		return ir.Type{}
	}
	return *t.Elem
}

// wantKind checks the kind of input i when it is known. An input typed only by the zero Type
// (nothing known yet) passes.
func wantKind(n *ir.Node, i int, k ir.Kind) error {
	t := InType(n, i)
	if t.Kind == k || (t.Kind == ir.TensorKind && t.DType == 0 && !t.RankKnown) {
		return nil
	}
	names := map[ir.Kind]string{ir.TensorKind: "a tensor", ir.SequenceKind: "a sequence", ir.OptionalKind: "an optional"}
	return Errorf(n, "input %d is %s, want %s", i, t, names[k])
}

// mergeElem is the most precise element type that both a and b satisfy; a zero Type (nothing
// known) gives way to the other.
func mergeElem(a, b ir.Type) ir.Type {
	switch {
	case a.Kind == ir.TensorKind && a.DType == 0 && !a.RankKnown:
		return b
	case b.Kind == ir.TensorKind && b.DType == 0 && !b.RankKnown:
		return a
	case a.Kind != b.Kind:
		return ir.Type{}
	case a.Kind != ir.TensorKind:
		return ir.Type{Kind: a.Kind, Elem: a.Elem}
	case a.DType != b.DType:
		return ir.Type{}
	}
	return mergeTypes(a, b)
}

func seqEmptyDType(n *ir.Node) runtime.DType {
	return runtime.DType(n.GetInt("dtype", int64(runtime.Float32)))
}

func inferSequenceEmpty(n *ir.Node) error {
	SetOut(n, 0, seqType(ir.Type{DType: seqEmptyDType(n)}))
	return nil
}

func inferSequenceConstruct(n *ir.Node) error {
	elem := InType(n, 0)
	for i := range n.Inputs {
		t := InType(n, i)
		if err := wantKind(n, i, ir.TensorKind); err != nil {
			return err
		}
		if t.DType != elem.DType && t.DType != 0 && elem.DType != 0 {
			return Errorf(n, "input %d is %s, input 0 is %s", i, t.DType, elem.DType)
		}
		elem = mergeElem(elem, t)
	}
	SetOut(n, 0, seqType(elem))
	return nil
}

func inferSequenceInsert(n *ir.Node) error {
	if err := wantKind(n, 0, ir.SequenceKind); err != nil {
		return err
	}
	if err := wantKind(n, 1, ir.TensorKind); err != nil {
		return err
	}
	s, t := InType(n, 0), InType(n, 1)
	e := elemOf(s)
	if e.DType != 0 && t.DType != 0 && e.DType != t.DType {
		return Errorf(n, "inserting %s into a sequence of %s", t.DType, e.DType)
	}
	// An element already there, of unknown shape, makes the merged shape unknown too; so does
	// SequenceEmpty's element type (rank unknown), which is conservative.
	if s.Kind == ir.SequenceKind && s.Elem != nil {
		if !e.RankKnown {
			t = ir.Type{DType: t.DType}
		}
		t = mergeElem(e, t)
	}
	SetOut(n, 0, seqType(t))
	return nil
}

func inferSequenceAt(n *ir.Node) error {
	if err := wantKind(n, 0, ir.SequenceKind); err != nil {
		return err
	}
	SetOut(n, 0, elemOf(InType(n, 0)))
	return nil
}

func inferSequenceErase(n *ir.Node) error {
	if err := wantKind(n, 0, ir.SequenceKind); err != nil {
		return err
	}
	SetOut(n, 0, seqType(elemOf(InType(n, 0))))
	return nil
}

func inferSplitToSequence(n *ir.Node) error {
	t := InType(n, 0)
	if err := wantKind(n, 0, ir.TensorKind); err != nil {
		return err
	}
	if !t.RankKnown {
		SetOut(n, 0, seqType(ir.Type{DType: t.DType}))
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", 0), len(t.Shape))
	if err != nil {
		return err
	}
	dims := append([]ir.Dim{}, t.Shape...)
	split := n.Input(1)
	switch {
	case split == nil && n.GetInt("keepdims", 1) == 0:
		dims = append(dims[:axis], dims[axis+1:]...)
	case split == nil:
		dims[axis] = ir.Static(1)
	default:
		dims[axis] = ir.Unknown()
		// Equal parts that divide the dim keep it static.
		if s, ok := ConstInts(n, 1); ok && len(s) > 0 && t.Shape[axis].IsStatic() {
			c, same := s[0], true
			for _, v := range s {
				same = same && v == c
			}
			if same && c > 0 && t.Shape[axis].N%c == 0 {
				dims[axis] = ir.Static(c)
			}
		}
	}
	SetOut(n, 0, seqType(ir.TensorType(t.DType, dims...)))
	return nil
}

func inferConcatFromSequence(n *ir.Node) error {
	if err := wantKind(n, 0, ir.SequenceKind); err != nil {
		return err
	}
	e := elemOf(InType(n, 0))
	if !e.RankKnown {
		SetOut(n, 0, ir.Type{DType: e.DType})
		return nil
	}
	r := len(e.Shape)
	newAxis := n.GetInt("new_axis", 0) != 0
	if newAxis {
		r++
	}
	axis, err := NormAxis(n, n.GetInt("axis", 0), r)
	if err != nil {
		return err
	}
	dims := append([]ir.Dim{}, e.Shape...)
	if newAxis {
		dims = append(dims[:axis], append([]ir.Dim{ir.Unknown()}, dims[axis:]...)...)
	} else {
		dims[axis] = ir.Unknown()
	}
	SetOut(n, 0, ir.TensorType(e.DType, dims...))
	return nil
}

// sequenceMapRegionInputs types the body's inputs: the element type of each sequence input,
// the type of each tensor input.
func sequenceMapRegionInputs(n *ir.Node) {
	body := n.Region("body")
	if body == nil {
		return
	}
	for i, in := range body.Inputs {
		v := n.Input(i)
		if v == nil {
			continue
		}
		t := v.Type
		if t.Kind == ir.SequenceKind {
			t = elemOf(t)
		}
		setIfUntyped(in, t)
	}
}

func inferSequenceMap(n *ir.Node) error {
	body := n.Region("body")
	if body == nil {
		return Errorf(n, "needs a body")
	}
	if len(body.Inputs) != len(n.Inputs) || len(body.Outputs) != len(n.Outputs) {
		return Errorf(n, "body has %d inputs and %d outputs, the node %d and %d", len(body.Inputs), len(body.Outputs), len(n.Inputs), len(n.Outputs))
	}
	if err := wantKind(n, 0, ir.SequenceKind); err != nil {
		return err
	}
	for k, o := range body.Outputs {
		SetOut(n, k, seqType(o.Type))
	}
	return nil
}

func inferOptional(n *ir.Node) error {
	if v := n.Input(0); v != nil {
		elem := v.Type
		SetOut(n, 0, ir.Type{Kind: ir.OptionalKind, Elem: &elem})
		return nil
	}
	a, ok := n.Attr("type")
	if !ok || a.Kind != ir.AttrType {
		return Errorf(n, "needs an input or a type attribute")
	}
	elem := a.Type
	SetOut(n, 0, ir.Type{Kind: ir.OptionalKind, Elem: &elem})
	return nil
}

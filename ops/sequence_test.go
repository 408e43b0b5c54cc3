package ops

import (
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

func TestSequenceInfer(t *testing.T) {
	f, i64 := runtime.Float32, runtime.Int64
	seq := func(e ir.Type) ir.Type { return seqType(e) }
	opt := func(e ir.Type) ir.Type { return ir.Type{Kind: ir.OptionalKind, Elem: &e} }
	mstRun(t, []mstCase{
		{"empty", "SequenceEmpty", 1, nil, []ir.Attr{ir.Int("dtype", int64(i64))}, "seq<int64[*]>"},
		{"empty default", "SequenceEmpty", 1, nil, nil, "seq<float32[*]>"},
		{"construct", "SequenceConstruct", 1, []any{mstT(f, 2, 3), mstT(f, 2, 4)}, nil, "seq<float32[2,?]>"},
		{"construct mixed", "SequenceConstruct", 1, []any{mstT(f, 2), mstT(i64, 2)}, nil, "error: input 1 is int64"},
		{"construct of sequence", "SequenceConstruct", 1, []any{seq(mstT(f, 2))}, nil, "error: want a tensor"},
		{"insert", "SequenceInsert", 1, []any{seq(mstT(f, 2, 3)), mstT(f, 2, 3)}, nil, "seq<float32[2,3]>"},
		{"insert other shape", "SequenceInsert", 1, []any{seq(mstT(f, 2, 3)), mstT(f, 2, 5), mstScalar(0)}, nil, "seq<float32[2,?]>"},
		{"insert into empty", "SequenceInsert", 1, []any{seq(ir.Type{DType: f}), mstT(f, 2)}, nil, "seq<float32[*]>"},
		{"insert other type", "SequenceInsert", 1, []any{seq(mstT(f, 2)), mstT(i64, 2)}, nil, "error: inserting int64"},
		{"insert into tensor", "SequenceInsert", 1, []any{mstT(f, 2), mstT(f, 2)}, nil, "error: want a sequence"},
		{"at", "SequenceAt", 1, []any{seq(mstT(f, 4)), mstScalar(-1)}, nil, "float32[4]"},
		{"erase", "SequenceErase", 1, []any{seq(mstT(f, 4))}, nil, "seq<float32[4]>"},
		{"length", "SequenceLength", 1, []any{seq(mstT(f, 4))}, nil, "int64[]"},
		{"split ones", "SplitToSequence", 1, []any{mstT(f, 3, 4)}, []ir.Attr{ir.Int("axis", 1)}, "seq<float32[3,1]>"},
		{"split squeezed", "SplitToSequence", 1, []any{mstT(f, 3, 4)}, []ir.Attr{ir.Int("axis", -1), ir.Int("keepdims", 0)}, "seq<float32[3]>"},
		{"split even", "SplitToSequence", 1, []any{mstT(f, 3, 4), mstScalar(2)}, nil, "seq<float32[?,4]>"},
		{"split by 2", "SplitToSequence", 1, []any{mstT(f, 4, 4), mstScalar(2)}, nil, "seq<float32[2,4]>"},
		{"split bad axis", "SplitToSequence", 1, []any{mstT(f, 3)}, []ir.Attr{ir.Int("axis", 1)}, "error: axis 1 out of range"},
		{"concat", "ConcatFromSequence", 1, []any{seq(mstT(f, 2, 3))}, []ir.Attr{ir.Int("axis", 1)}, "float32[2,?]"},
		{"stack", "ConcatFromSequence", 1, []any{seq(mstT(f, 2, 3))}, []ir.Attr{ir.Int("axis", -1), ir.Int("new_axis", 1)}, "float32[2,3,?]"},
		{"concat unknown", "ConcatFromSequence", 1, []any{seq(ir.Type{DType: i64})}, nil, "int64[*]"},
		{"optional", "Optional", 1, []any{mstT(f, 2)}, nil, "opt<float32[2]>"},
		{"optional of type", "Optional", 1, nil, []ir.Attr{{Name: "type", Kind: ir.AttrType, Type: seq(mstT(f, 2))}}, "opt<seq<float32[2]>>"},
		{"optional without type", "Optional", 1, nil, nil, "error: needs an input or a type"},
		{"has element", "OptionalHasElement", 1, []any{opt(mstT(f, 2))}, nil, "bool[]"},
		{"has element no input", "OptionalHasElement", 1, nil, nil, "bool[]"},
		{"get element", "OptionalGetElement", 1, []any{opt(seq(mstT(f, 2)))}, nil, "seq<float32[2]>"},
		{"get element of tensor", "OptionalGetElement", 1, []any{mstT(f, 2)}, nil, "float32[2]"},
	})
}

func TestSequenceMapInfer(t *testing.T) {
	m := ir.NewModel("test")
	g := m.Graph
	f := runtime.Float32
	s := g.AddInput("s", seqType(mstT(f, -1, 3)))
	x := g.AddInput("x", mstT(f, 3))
	body := m.NewGraph("body", g)
	bs, bx := body.AddInput("bs", ir.Type{}), body.AddInput("bx", ir.Type{})
	n := g.NewNode("SequenceMap", "", "", []*ir.Value{s, x}, 1, ir.GraphAttr("body", body))
	d := Lookup("", "SequenceMap")
	d.RegionInputs(n)
	if bs.Type.String() != "float32[?,3]" || bx.Type.String() != "float32[3]" {
		t.Fatalf("body inputs typed %s and %s", bs.Type, bx.Type)
	}
	body.Outputs = []*ir.Value{bs}
	if err := d.Infer(n); err != nil {
		t.Fatal(err)
	}
	if got := n.Outputs[0].Type.String(); got != "seq<float32[?,3]>" {
		t.Errorf("output %s", got)
	}
	if _, err := d.Lower(n); err != nil {
		t.Error(err)
	}
}

package onnx

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

func TestGraphBasics(t *testing.T) {
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Relu", ins("x"), ins("r")),
		nd("Add", ins("r", "w"), ins("y")),
	}, []*onnxpb.ValueInfoProto{
		{Name: proto.String("x"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(runtime.Float32)),
			Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
				{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}},
				{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 3}},
				{},
			}},
		}}}},
		vi("w", runtime.Float32, 3, 1), // an initializer listed as an input: an overridable default
	}, ins("y", "x", "c", "w"), tF32("w", []int64{3, 1}, 1, 2, 3), tF32("c", []int64{2}, 4, 5))
	g.ValueInfo = []*onnxpb.ValueInfoProto{vi("r", runtime.Float32, -1, 3, -1)}
	m := decodeOK(t, modelOf(3, 13, g))
	x := m.Graph.Inputs[0]
	want := ir.TensorType(runtime.Float32, ir.Symbol("batch"), ir.Static(3), ir.Unknown())
	if !reflect.DeepEqual(x.Type, want) || x.Name != "x" {
		t.Errorf("x: %s %v, want %v", x.Name, x.Type, want)
	}
	w := m.Graph.Inputs[1]
	if w.Name != "w" || w.Default == nil || !reflect.DeepEqual(runtime.Data[float32](w.Default), []float32{1, 2, 3}) {
		t.Errorf("w should be an input with a default: %+v", w)
	}
	if len(m.Graph.Consts) != 1 || m.Graph.Consts[0].Name != "c" {
		t.Errorf("consts %v", m.Graph.Consts)
	}
	r := byName(m, "r")
	if r.Type.Rank() != 3 || r.Type.Shape[1].N != 3 {
		t.Errorf("value_info should type r: %v", r.Type)
	}
	// Outputs may be a node output, a graph input, a constant, or an input with a default.
	outs := m.Graph.Outputs
	if outs[0] != byName(m, "y") || outs[1] != x || outs[2] != m.Graph.Consts[0] || outs[3] != w {
		t.Errorf("outputs %v", outs)
	}
	if m.Opsets[""] != 13 || m.Source != "test.onnx" {
		t.Errorf("opsets %v source %q", m.Opsets, m.Source)
	}
}

func TestOpsetImports(t *testing.T) {
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Relu", ins("x"), ins("r")),
		{OpType: proto.String("Custom"), Domain: proto.String("com.example"), Input: ins("r"), Output: ins("y")},
		{OpType: proto.String("Relu"), Domain: proto.String("ai.onnx"), Input: ins("y"), Output: ins("z")},
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2)}, ins("z"))
	mp := modelOf(8, 12, g)
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("com.example"), Version: proto.Int64(2)})
	m := decodeOK(t, mp)
	if !reflect.DeepEqual(m.Opsets, map[string]int{"": 12, "com.example": 2}) {
		t.Errorf("opsets %v", m.Opsets)
	}
	if n := m.Graph.Nodes[1]; n.Domain != "com.example" || n.Op != "Custom" {
		t.Errorf("custom node %s %s", n.Domain, n.Op)
	}
	if n := m.Graph.Nodes[2]; n.Domain != "" {
		t.Errorf("ai.onnx should be the default domain, is %q", n.Domain)
	}
	// A domain the model does not import is an error naming the node.
	mp.OpsetImport = mp.OpsetImport[:1]
	_, err := Decode(encode(t, mp), "", "dom.onnx")
	if err == nil || !strings.Contains(err.Error(), "com.example") || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("error %v", err)
	}
}

func TestConstantNodes(t *testing.T) {
	sparse := &onnxpb.SparseTensorProto{
		Values:  tF32("sv", []int64{2}, 5, 7),
		Indices: tI64("si", []int64{2, 2}, 0, 1, 1, 2),
		Dims:    []int64{2, 3},
	}
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Constant", nil, ins("t"), aTensor("value", tI64("", []int64{2}, 7, 8))),
		nd("Constant", nil, ins("f"), aFloat("value_float", 1.5)),
		nd("Constant", nil, ins("fs"), aFloats("value_floats", 1, 2)),
		nd("Constant", nil, ins("i"), aInt("value_int", 0)),
		nd("Constant", nil, ins("is"), aInts("value_ints", 3, 4, 5)),
		nd("Constant", nil, ins("s"), aString("value_string", "hi")),
		nd("Constant", nil, ins("ss"), aStrings("value_strings", "a", "b")),
		nd("Constant", nil, ins("sp"), &onnxpb.AttributeProto{Name: proto.String("sparse_value"), Type: onnxpb.AttributeProto_SPARSE_TENSOR.Enum(), SparseTensor: sparse}),
	}, nil, ins("t", "f", "fs", "i", "is", "s", "ss", "sp"))
	m := decodeOK(t, modelOf(7, 13, g))
	if len(m.Graph.Nodes) != 0 || len(m.Graph.Consts) != 8 {
		t.Fatalf("constants should not be nodes: %v", opsOf(m.Graph))
	}
	c := func(name string) *runtime.Tensor { return byName(m, name).Const }
	check := func(name string, got, want any, shape []int) {
		t.Helper()
		if !reflect.DeepEqual(got, want) || runtime.ShapeString(c(name).Shape) != runtime.ShapeString(shape) {
			t.Errorf("%s = %v %v, want %v %v", name, got, c(name).Shape, want, shape)
		}
	}
	check("t", runtime.Data[int64](c("t")), []int64{7, 8}, []int{2})
	check("f", runtime.Data[float32](c("f")), []float32{1.5}, []int{})
	check("fs", runtime.Data[float32](c("fs")), []float32{1, 2}, []int{2})
	check("i", runtime.Data[int64](c("i")), []int64{0}, []int{})
	check("is", runtime.Data[int64](c("is")), []int64{3, 4, 5}, []int{3})
	check("s", c("s").Strs, []string{"hi"}, []int{})
	check("ss", c("ss").Strs, []string{"a", "b"}, []int{2})
	check("sp", runtime.Data[float32](c("sp")), []float32{0, 5, 0, 0, 0, 7}, []int{2, 3})
}

func TestFunctionInlining(t *testing.T) {
	// scaled(x; alpha) = Mul(x, alpha) + x, with alpha from the call (default 2), and a nested
	// call to a second function.
	inner := &onnxpb.FunctionProto{
		Name: proto.String("twice"), Domain: proto.String("local"),
		Input: ins("a"), Output: ins("b"),
		Node:        []*onnxpb.NodeProto{nd("Add", ins("a", "a"), ins("b"))},
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
	}
	outer := &onnxpb.FunctionProto{
		Name: proto.String("scaled"), Domain: proto.String("local"),
		Input: ins("x", "unused"), Output: ins("y", "x_again"),
		Attribute:      []string{"alpha"},
		AttributeProto: []*onnxpb.AttributeProto{aFloat("alpha", 2)},
		Node: []*onnxpb.NodeProto{
			nd("Constant", nil, ins("k"), aRef("value_float", "alpha", onnxpb.AttributeProto_FLOAT)),
			nd("Mul", ins("x", "k"), ins("t")),
			{OpType: proto.String("twice"), Domain: proto.String("local"), Input: ins("t"), Output: ins("y")},
		},
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}, {Domain: proto.String("local"), Version: proto.Int64(1)}},
	}
	call := func(name, out string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String("scaled"), Domain: proto.String("local"), Input: ins("in"), Output: ins(out, ""), Attribute: attrs}
	}
	g := graphOf("g", []*onnxpb.NodeProto{call("c1", "y1", aFloat("alpha", 3)), call("c2", "y2")},
		[]*onnxpb.ValueInfoProto{vi("in", runtime.Float32, 4)}, ins("y1", "y2"))
	mp := modelOf(8, 13, g)
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("local"), Version: proto.Int64(1)})
	mp.Functions = []*onnxpb.FunctionProto{outer, inner}
	m := decodeOK(t, mp)
	if got := strings.Join(opsOf(m.Graph), " "); got != "Mul Add Mul Add" {
		t.Fatalf("ops %s", got)
	}
	for _, c := range []struct {
		out   string
		alpha float32
	}{{"y1", 3}, {"y2", 2}} {
		y := byName(m, c.out)
		if y == nil || y.Def.Op != "Add" {
			t.Fatalf("%s not bound to the body's output", c.out)
		}
		mul := y.Def.Inputs[0].Def
		if mul.Inputs[0] != m.Graph.Inputs[0] {
			t.Errorf("%s: formal x should be the call's input", c.out)
		}
		if got := constFloats(t, mul.Inputs[1]); got[0] != c.alpha {
			t.Errorf("%s: alpha %v, want %v", c.out, got, c.alpha)
		}
	}
	// Body values get fresh names, prefixed by the call.
	if byName(m, "c1/t") == nil || byName(m, "c2/t") == nil {
		t.Errorf("body values should be named per call")
	}

	// A function calling itself is an error, not a stack overflow.
	rec := &onnxpb.FunctionProto{Name: proto.String("loop"), Domain: proto.String("local"), Input: ins("a"), Output: ins("b"),
		Node: []*onnxpb.NodeProto{{OpType: proto.String("loop"), Domain: proto.String("local"), Input: ins("a"), Output: ins("b")}}}
	mp.Functions = []*onnxpb.FunctionProto{rec}
	mp.Graph = graphOf("g", []*onnxpb.NodeProto{{OpType: proto.String("loop"), Domain: proto.String("local"), Input: ins("in"), Output: ins("y")}},
		[]*onnxpb.ValueInfoProto{vi("in", runtime.Float32, 4)}, ins("y"))
	if _, err := Decode(encode(t, mp), "", "rec.onnx"); err == nil || !strings.Contains(err.Error(), "recursive") {
		t.Errorf("recursion: %v", err)
	}
}

func TestSubgraphs(t *testing.T) {
	// The then branch uses an outer value and outputs an outer value directly; the else branch
	// has its own constant. The Loop body has its own inputs.
	then := graphOf("then", []*onnxpb.NodeProto{nd("Neg", ins("outer"), ins("t"))}, nil, ins("t", "x"))
	els := graphOf("else", []*onnxpb.NodeProto{nd("Identity", ins("k"), ins("e"))}, nil, ins("e", "outer"), tF32("k", []int64{2}, 1, 2))
	body := graphOf("body", []*onnxpb.NodeProto{
		nd("Add", ins("acc", "outer"), ins("acc2")),
	}, []*onnxpb.ValueInfoProto{vi("i", runtime.Int64), vi("c", runtime.Bool), vi("acc", runtime.Float32, 2)}, ins("c", "acc2"))
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Relu", ins("x"), ins("outer")),
		nd("If", ins("cond"), ins("y1", "y2"), aGraph("then_branch", then), aGraph("else_branch", els)),
		nd("Loop", ins("n", "", "x"), ins("z"), aGraph("body", body)),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2), vi("cond", runtime.Bool), vi("n", runtime.Int64)}, ins("y1", "y2", "z"))
	m := decodeOK(t, modelOf(7, 13, g))
	outer := byName(m, "outer")
	ifn := m.Graph.Nodes[1]
	th, el := ifn.Region("then_branch"), ifn.Region("else_branch")
	if th == nil || el == nil || th.Parent != m.Graph {
		t.Fatal("If should have two regions nested in main")
	}
	if th.Nodes[0].Inputs[0] != outer || th.Outputs[1] != m.Graph.Inputs[0] || el.Outputs[1] != outer {
		t.Errorf("regions should use the enclosing graph's values")
	}
	if len(el.Consts) != 1 || el.Outputs[0].Def.Inputs[0] != el.Consts[0] {
		t.Errorf("else branch constant")
	}
	loop := m.Graph.Nodes[2]
	lb := loop.Region("body")
	if len(lb.Inputs) != 3 || lb.Nodes[0].Inputs[0] != lb.Inputs[2] || lb.Nodes[0].Inputs[1] != outer {
		t.Errorf("loop body inputs")
	}
	if lb.Outputs[0] != lb.Inputs[1] {
		t.Errorf("a region output may be its own input")
	}
	if loop.Inputs[1] != nil || len(loop.Inputs) != 3 {
		t.Errorf("absent cond should be nil: %v", loop.Inputs)
	}
}

func TestTopologicalOrder(t *testing.T) {
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Neg", ins("a"), ins("y")),
		nd("Relu", ins("x"), ins("a")),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2)}, ins("y"))
	m := decodeOK(t, modelOf(7, 13, g))
	if got := strings.Join(opsOf(m.Graph), " "); got != "Relu Neg" {
		t.Errorf("order %s", got)
	}
	g.Node[1].Input = ins("y")
	if _, err := Decode(encode(t, modelOf(7, 13, g)), "", "cyc.onnx"); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	// A subgraph's use of an outer value orders the node after its producer; names the
	// subgraph defines itself do not.
	branch := graphOf("b", []*onnxpb.NodeProto{nd("Neg", ins("late"), ins("a"))}, nil, ins("a"))
	g = graphOf("g", []*onnxpb.NodeProto{
		nd("If", ins("c"), ins("y"), aGraph("then_branch", branch), aGraph("else_branch", branch)),
		nd("Relu", ins("x"), ins("late")),
		nd("Relu", ins("x"), ins("a")),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2), vi("c", runtime.Bool)}, ins("y", "a"))
	m = decodeOK(t, modelOf(7, 13, g))
	if got := strings.Join(opsOf(m.Graph), " "); got != "Relu If Relu" {
		t.Errorf("order %s", got)
	}
}

func TestModelErrors(t *testing.T) {
	ok := func() *onnxpb.ModelProto {
		return modelOf(7, 13, graphOf("g", []*onnxpb.NodeProto{nd("Relu", ins("x"), ins("y"))},
			[]*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2)}, ins("y")))
	}
	cases := []struct {
		name string
		edit func(m *onnxpb.ModelProto)
		want string
	}{
		{"IR version 2", func(m *onnxpb.ModelProto) { m.IrVersion = proto.Int64(2) }, "IR version 2"},
		{"no IR version", func(m *onnxpb.ModelProto) { m.IrVersion = nil }, "ir_version"},
		{"no graph", func(m *onnxpb.ModelProto) { m.Graph = nil }, "no graph"},
		{"no opset", func(m *onnxpb.ModelProto) { m.OpsetImport = nil }, "no opset"},
		{"future opset", func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(SupportedOpset + 1) }, "knows opsets up to"},
		{"undefined input", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[0] = "nope" }, `input "nope" is not defined`},
		{"undefined output", func(m *onnxpb.ModelProto) { m.Graph.Output[0].Name = proto.String("nope") }, `output "nope"`},
		{"defined twice", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Output[0] = "x" }, `"x" is defined twice`},
		{"no op type", func(m *onnxpb.ModelProto) { m.Graph.Node[0].OpType = nil }, "no op_type"},
		{"graphs attribute", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("gs"), Type: onnxpb.AttributeProto_GRAPHS.Enum()}}
		}, "GRAPHS"},
		{"ref attribute outside function", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{aRef("alpha", "a", onnxpb.AttributeProto_FLOAT)}
		}, "outside a function"},
		{"map type", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{}}}
		}, "map type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ok()
			c.edit(m)
			_, err := Decode(encode(t, m), "", "bad.onnx")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bad.onnx: ") {
				t.Errorf("error %v, want one starting with the file and containing %q", err, c.want)
			}
		})
	}
}

// TestDTypeFollowed checks that an attribute turned into an input takes the element type the
// data has, followed through ops that keep their input's type.
func TestDTypeFollowed(t *testing.T) {
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Relu", ins("x"), ins("r")),
		nd("Transpose", ins("r"), ins("tr")),
		nd("Clip", ins("tr"), ins("y"), aFloat("min", 0), aFloat("max", 6)),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float64, 2, 3)}, ins("y"))
	m := decodeOK(t, modelOf(3, 9, g))
	clip := byName(m, "y").Def
	for i := 1; i <= 2; i++ {
		if c := clip.Inputs[i].Const; c == nil || c.DType != runtime.Float64 {
			t.Errorf("input %d should be a float64 constant: %v", i, clip.Inputs[i])
		}
	}
	if got := runtime.Data[float64](clip.Inputs[2].Const); got[0] != 6 {
		t.Errorf("max %v", got)
	}
}

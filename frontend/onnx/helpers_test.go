package onnx

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// A small DSL for building ModelProtos in tests.

func nd(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func ins(names ...string) []string { return names }

func aInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func aInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func aFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func aFloats(name string, v ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: v}
}

func aString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func aStrings(name string, v ...string) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRINGS.Enum()}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

func aTensor(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}
}

func aGraph(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g}
}

func aRef(name, ref string, kind onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), RefAttrName: proto.String(ref), Type: kind.Enum()}
}

// vi declares a value of a tensor type; dims < 0 are unknown, and nil dims an unknown rank.
func vi(name string, elem runtime.DType, dims ...int64) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem))}
	if dims != nil {
		tt.Shape = &onnxpb.TensorShapeProto{}
		for _, d := range dims {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			if d >= 0 {
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
			}
			tt.Shape.Dim = append(tt.Shape.Dim, dim)
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

// untyped declares a value with no type.
func untyped(name string) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: proto.String(name)}
}

func tF32(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(runtime.Float32)), Dims: dims, FloatData: v}
}

func tI64(name string, dims []int64, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(runtime.Int64)), Dims: dims, Int64Data: v}
}

// graphOf builds a graph; outputs are declared without types.
func graphOf(name string, nodes []*onnxpb.NodeProto, inputs []*onnxpb.ValueInfoProto, outputs []string, inits ...*onnxpb.TensorProto) *onnxpb.GraphProto {
	g := &onnxpb.GraphProto{Name: proto.String(name), Node: nodes, Input: inputs, Initializer: inits}
	for _, o := range outputs {
		g.Output = append(g.Output, untyped(o))
	}
	return g
}

func modelOf(irVersion, opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(irVersion),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph:       g,
	}
}

func encode(t testing.TB, m *onnxpb.ModelProto) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeOK decodes a model and verifies the IR.
func decodeOK(t *testing.T, m *onnxpb.ModelProto) *ir.Model {
	t.Helper()
	im, err := Decode(encode(t, m), "", "test.onnx")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if err := ir.Verify(im, false); err != nil {
		t.Fatalf("invalid IR: %v", err)
	}
	return im
}

// byName finds a value of the main graph or its regions by its frontend name.
func byName(m *ir.Model, name string) *ir.Value {
	var found *ir.Value
	m.Graph.Walk(func(g *ir.Graph) {
		for _, v := range g.Inputs {
			if v.Name == name && found == nil {
				found = v
			}
		}
		for _, v := range g.Consts {
			if v.Name == name && found == nil {
				found = v
			}
		}
		for _, n := range g.Nodes {
			for _, v := range n.Outputs {
				if v.Name == name && found == nil {
					found = v
				}
			}
		}
	})
	return found
}

// opsOf lists the main graph's ops in order.
func opsOf(g *ir.Graph) []string {
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
	}
	return ops
}

func constInts(t *testing.T, v *ir.Value) []int64 {
	t.Helper()
	if v == nil || v.Const == nil || v.Const.DType != runtime.Int64 {
		t.Fatalf("want an int64 constant, got %v", v)
	}
	return append([]int64{}, runtime.Data[int64](v.Const)...)
}

func constFloats(t *testing.T, v *ir.Value) []float32 {
	t.Helper()
	if v == nil || v.Const == nil || v.Const.DType != runtime.Float32 {
		t.Fatalf("want a float32 constant, got %v", v)
	}
	return append([]float32{}, runtime.Data[float32](v.Const)...)
}

func eqInts(a, b []int64) bool {
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

package onnx

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// FuzzDecode feeds arbitrary bytes to Decode. Any input may be refused, but never by a panic
// (which Decode would report as errMalformed) and never with an IR that fails verification.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, smallModel()))
	f.Add([]byte{})
	for _, opset := range []int64{6, 9, 11, 13} {
		g := graphOf("g", []*onnxpb.NodeProto{
			nd("Softmax", ins("x"), ins("s"), aInt("axis", 1)),
			nd("Slice", ins("s"), ins("l"), aInts("starts", 0), aInts("ends", 1)),
			nd("Split", ins("l"), ins("a", "b")),
			nd("Upsample", ins("a"), ins("y"), aFloats("scales", 1, 2)),
			nd("Pad", ins("b"), ins("z"), aInts("pads", 1, 1), aFloat("value", 1)),
		}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2, 3)}, ins("y", "z"))
		f.Add(encode(f, modelOf(7, opset, g)))
	}
	sp := graphOf("g", nil, nil, ins("s"))
	sp.SparseInitializer = []*onnxpb.SparseTensorProto{{Values: tF32("s", []int64{1}, 1), Indices: tI64("i", []int64{1}, 2), Dims: []int64{2, 2}}}
	fn := modelOf(8, 13, graphOf("g", []*onnxpb.NodeProto{{OpType: proto.String("f"), Domain: proto.String("d"), Input: ins("x"), Output: ins("y")}},
		[]*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2)}, ins("y")))
	fn.OpsetImport = append(fn.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("d"), Version: proto.Int64(1)})
	fn.Functions = []*onnxpb.FunctionProto{{Name: proto.String("f"), Domain: proto.String("d"), Input: ins("a"), Output: ins("b"),
		Node: []*onnxpb.NodeProto{nd("Neg", ins("a"), ins("b"))}}}
	f.Add(encode(f, modelOf(7, 13, sp)))
	f.Add(encode(f, fn))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, "", "fuzz.onnx")
		if errors.Is(err, errMalformed) {
			t.Fatal(err)
		}
		if err == nil {
			if verr := ir.Verify(m, false); verr != nil {
				t.Fatalf("decoded into invalid IR: %v", verr)
			}
		}
	})
}

// Command gemmmodel writes a one-node ONNX MatMul model for timing the sgemm core against
// onnxruntime: Y = A * B with A an m x k input and B either a k x n input or (-const) a k x n
// constant weight, as a real Gemm/MatMul layer has.
//
//	go run ./scripts/gemmmodel -m 1024 -n 1024 -k 1024 [-const] -o /tmp/mm1024.onnx
//	go run ./cmd/onnxc bench /tmp/mm1024.onnx --threads 1 --runs 30
//	node testdata/ort/ort.js bench 1 30 /tmp/mm1024.onnx A=1024x1024 [B=1024x1024]
package main

import (
	"flag"
	"log"
	"math/rand"
	"os"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

func vi(name string, dims ...int64) *onnxpb.ValueInfoProto {
	var ds []*onnxpb.TensorShapeProto_Dimension
	for _, d := range dims {
		ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(1),
			Shape:    &onnxpb.TensorShapeProto{Dim: ds},
		}}},
	}
}

func main() {
	m := flag.Int64("m", 1024, "rows of A and Y")
	n := flag.Int64("n", 1024, "columns of B and Y")
	k := flag.Int64("k", 1024, "columns of A, rows of B")
	constB := flag.Bool("const", false, "B is a constant initializer, not an input")
	out := flag.String("o", "mm.onnx", "output file")
	flag.Parse()
	g := &onnxpb.GraphProto{
		Name:   proto.String("matmul"),
		Node:   []*onnxpb.NodeProto{{OpType: proto.String("MatMul"), Input: []string{"A", "B"}, Output: []string{"Y"}}},
		Input:  []*onnxpb.ValueInfoProto{vi("A", *m, *k)},
		Output: []*onnxpb.ValueInfoProto{vi("Y", *m, *n)},
	}
	if *constB {
		r := rand.New(rand.NewSource(1))
		w := make([]float32, *k**n)
		for i := range w {
			w[i] = r.Float32()*2 - 1
		}
		g.Initializer = []*onnxpb.TensorProto{{Name: proto.String("B"), Dims: []int64{*k, *n}, DataType: proto.Int32(1), FloatData: w}}
	} else {
		g.Input = append(g.Input, vi("B", *k, *n))
	}
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(17)}},
		Graph:       g,
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

package onnx

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

func randF32(name string, rng *rand.Rand, dims ...int64) *onnxpb.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return tF32(name, dims, v...)
}

// quantWriterModel is an opset 9 model with what the writer must handle: Clip and Slice in
// their attribute forms, a weight shared through Identity by two MatMuls, a Gemm with transB,
// alpha, beta and a bias, a Constant weight, a Conv with a bias, and a value named like one
// the writer would make.
func quantWriterModel(rng *rand.Rand) *onnxpb.ModelProto {
	g := graphOf("q", []*onnxpb.NodeProto{
		nd("Clip", ins("x"), ins("c"), aFloat("min", -0.8), aFloat("max", 0.9)),
		nd("Slice", ins("c"), ins("s"), aInts("starts", 0), aInts("ends", 12), aInts("axes", 1)),
		nd("Identity", ins("W"), ins("W2")),
		nd("MatMul", ins("s", "W"), ins("m1")),
		nd("MatMul", ins("s", "W2"), ins("m2")),
		nd("Add", ins("m1", "m2"), ins("a")),
		nd("Gemm", ins("a", "G", "C"), ins("gm"), aInt("transB", 1), aFloat("alpha", 0.5), aFloat("beta", 2)),
		nd("Constant", nil, ins("K"), aTensor("value", randF32("K", rng, 6, 5))),
		nd("MatMul", ins("gm", "K"), ins("s_quantized")),
		nd("Reshape", ins("s_quantized", "shape"), ins("img")),
		nd("Conv", ins("img", "CW", "CB"), ins("y"), aInts("pads", 1, 1, 1, 1)),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 3, 12)}, []string{"y"},
		randF32("W", rng, 12, 8), randF32("G", rng, 6, 8), randF32("C", rng, 6),
		tI64("shape", []int64{4}, 1, 1, 3, 5), randF32("CW", rng, 4, 1, 3, 3), randF32("CB", rng, 4))
	return modelOf(7, 9, g)
}

// interpretProto compiles a ModelProto with the pass pipeline and runs it on x.
func interpretProto(t *testing.T, data []byte, x *runtime.Tensor) []float32 {
	t.Helper()
	m, err := Decode(data, "", "test.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	out, err := ops.Interpret(runtime.NewExec(nil), m.Graph, []*runtime.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.Data[float32](out[0])
}

func TestQuantized(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	data := encode(t, quantWriterModel(rng))
	opt := &passes.QuantizeOptions{OpTypes: []string{"MatMul", "Gemm", "Conv"}, PerChannel: true}
	out, err := Quantized(data, "", "test.onnx", opt)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(out, &mp); err != nil {
		t.Fatal(err)
	}
	if v := mp.OpsetImport[0].GetVersion(); v != 11 {
		t.Errorf("opset %d, want 11", v)
	}
	var got []string
	for _, n := range mp.Graph.Node {
		got = append(got, n.GetOpType())
		if n.GetOpType() == "Clip" && len(n.Input) != 3 || n.GetOpType() == "Slice" && len(n.Input) != 4 || len(n.Attribute) > 0 && (n.GetOpType() == "Clip" || n.GetOpType() == "Slice") {
			t.Errorf("%s not in its opset 11 form: inputs %v, %d attributes", n.GetOpType(), n.Input, len(n.Attribute))
		}
	}
	count := func(op string) int {
		n := 0
		for _, o := range got {
			if o == op {
				n++
			}
		}
		return n
	}
	// s is quantized once for both MatMuls; a and gm once each; img once for the Conv.
	if count("DynamicQuantizeLinear") != 4 || count("MatMulInteger") != 4 || count("ConvInteger") != 1 || count("MatMul") != 0 || count("Gemm") != 0 || count("Conv") != 0 || count("Identity") != 0 || count("Constant") != 0 {
		t.Errorf("written ops %v", got)
	}
	for _, tp := range mp.Graph.Initializer {
		if slices.Contains([]string{"W", "G", "CW"}, tp.GetName()) {
			t.Errorf("float32 weight %s is still in the model", tp.GetName())
		}
	}
	for _, r := range opt.Remarks {
		if !r.Quantized {
			t.Errorf("%s left in float32: %s", r.Node, r.Why)
		}
	}
	if len(opt.Remarks) != 5 {
		t.Errorf("%d remarks, want 5", len(opt.Remarks))
	}

	// The written model computes what the float32 model does, within the quantization error,
	// and onnxc compiles it into the same kernels as --quantize.
	x := runtime.New(runtime.Float32, 3, 12)
	for i := range runtime.Data[float32](x) {
		runtime.Data[float32](x)[i] = rng.Float32()*2 - 1
	}
	want := interpretProto(t, data, x)
	q := interpretProto(t, out, x)
	var d, w float64
	for i := range want {
		d += math.Pow(float64(q[i]-want[i]), 2)
		w += math.Pow(float64(want[i]), 2)
	}
	if e := math.Sqrt(d / w); e > 0.05 || e == 0 {
		t.Errorf("written model vs float32: relative L2 %.4f", e)
	}
	m, err := Decode(out, "", "test.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(m, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	var kernels []string
	for _, n := range m.Graph.Nodes {
		kernels = append(kernels, n.Op)
	}
	// The two MatMuls by the shared weight are one after CSE, as in the float32 model.
	if !slices.Equal(kernels, []string{"Clip", "Slice", "DynQuantMatMul", "Add", "DynQuantMatMul", "DynQuantMatMul", "Reshape", "DynQuantConv"}) {
		t.Errorf("the written model compiles to %v", kernels)
	}
}

func TestQuantizedRefuses(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	mm := func(opset int64, extra ...*onnxpb.NodeProto) []byte {
		nodes := append(extra, nd("MatMul", ins("x", "W"), ins("y")))
		return encode(t, modelOf(7, opset, graphOf("g", nodes, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2, 4)}, []string{"y"}, randF32("W", rng, 4, 3), tF32("scales", []int64{2}, 1, 1))))
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		want   string
		perRow bool
	}{
		{"per row", mm(13), "per-row activation quantization is not written", true},
		{"empty", nil, "empty file", false},
		{"corrupt", []byte{0x0a, 0xff, 0x01}, "not a valid ONNX model", false},
		{"Upsample at opset 9", mm(9, nd("Upsample", ins("x", "scales"), ins("u"))), `Upsample node producing "u" means something else at opset 11`, false},
		{"Pad at opset 9", mm(9, nd("Pad", ins("x"), ins("p"), aInts("pads", 0, 0, 0, 0))), "Pad node", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Quantized(tc.data, "", "bad.onnx", &passes.QuantizeOptions{PerRow: tc.perRow})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.onnx") {
				t.Errorf("error %v, want one naming bad.onnx and %q", err, tc.want)
			}
		})
	}
}

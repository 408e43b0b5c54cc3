package compiler

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/runtime"
)

// Every op of the fused elementwise programs, compiled to a Go loop, built and run, gives what
// the scalar table (runtime.EwEval) says: the fused model has one chain per op, x*c -> op
// (binary ops take x as their second operand; c differs per chain, or CSE would merge the
// products into one shared value), and the expected outputs are computed with EwEval in
// float64 and rounded to float32 after each step. Bit for bit, except for Exp,
// Sigmoid, Tanh and Erf, which the loop computes a block at a time with vecmath.go's vectorized
// functions, within 2 ulp of EwEval (vecmath_test.go checks that bound per function exactly):
// they run as a model of their own with a relative tolerance of 2^-22, which admits 2 ulp
// anywhere in a binade (and up to 4 at its bottom), so a wrong function or a misplaced block
// still fails.
func TestFusedElementwiseMatchesTable(t *testing.T) {
	type row struct {
		op    string
		ew    runtime.EwOp
		attrs []*onnxpb.AttributeProto
		alpha float64
		beta  float64
	}
	fl := func(name string, v float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
	}
	exact := []row{
		{op: "Add", ew: runtime.EwAdd}, {op: "Sub", ew: runtime.EwSub}, {op: "Mul", ew: runtime.EwMul},
		{op: "Div", ew: runtime.EwDiv}, {op: "Neg", ew: runtime.EwNeg}, {op: "Abs", ew: runtime.EwAbs},
		{op: "Log", ew: runtime.EwLog}, {op: "Sqrt", ew: runtime.EwSqrt},
		{op: "Reciprocal", ew: runtime.EwReciprocal}, {op: "Relu", ew: runtime.EwRelu},
		{op: "HardSigmoid", ew: runtime.EwHardSigmoid, attrs: []*onnxpb.AttributeProto{fl("alpha", 0.25), fl("beta", 0.4)}, alpha: float64(float32(0.25)), beta: float64(float32(0.4))},
		{op: "HardSwish", ew: runtime.EwHardSwish},
		{op: "LeakyRelu", ew: runtime.EwLeakyRelu, attrs: []*onnxpb.AttributeProto{fl("alpha", 0.1)}, alpha: float64(float32(0.1))},
		{op: "Softplus", ew: runtime.EwSoftplus},
	}
	vec := []row{{op: "Exp", ew: runtime.EwExp}, {op: "Sigmoid", ew: runtime.EwSigmoid}, {op: "Tanh", ew: runtime.EwTanh}, {op: "Erf", ew: runtime.EwErf}}
	covered := map[runtime.EwOp]bool{runtime.EwConst: true, runtime.EwMul: true}
	// More than a block of the vectorized loops (codegen/go's ewBlock), so that a full block
	// and a partial one run.
	x := []float32{-3.5, -1, -0.25, -0, 0, 0.125, 0.5, 1, 2.75, 6, 20, float32(math.NaN())}
	for i := 0; len(x) < 300; i++ {
		x = append(x, float32(i)*0.037-5)
	}
	dims := []int64{int64(len(x))}
	f32 := int32(onnxpb.TensorProto_FLOAT)
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(f32), Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: dims[0]}}}}},
		}}}
	}
	write := func(path string, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var cases []Case
	for _, set := range []struct {
		name string
		rows []row
	}{{"test_fused_elementwise", exact}, {"test_fused_elementwise_vec", vec}} {
		rows := set.rows
		g := &onnxpb.GraphProto{Name: proto.String("ew"), Input: []*onnxpb.ValueInfoProto{vi("x")}}
		dir := filepath.Join(t.TempDir(), set.name)
		sd := filepath.Join(dir, "test_data_set_0")
		if err := os.MkdirAll(sd, 0o755); err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(sd, "input_0.pb"), runtime.WriteTensorProto("x", runtime.FromFloat32([]int{len(x)}, x)))
		for i, r := range rows {
			covered[r.ew] = true
			t0, y, c := "t_"+r.op, "y_"+r.op, "c_"+r.op
			cv := 0.75 + float32(i)/1024 // exact in float32
			g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String(c), DataType: proto.Int32(f32), FloatData: []float32{cv}})
			in := []string{t0}
			if runtime.EwArity[r.ew] == 2 {
				in = append(in, "x")
			}
			g.Node = append(g.Node,
				&onnxpb.NodeProto{OpType: proto.String("Mul"), Input: []string{"x", c}, Output: []string{t0}},
				&onnxpb.NodeProto{OpType: proto.String(r.op), Input: in, Output: []string{y}, Attribute: r.attrs})
			g.Output = append(g.Output, vi(y))
			want := make([]float32, len(x))
			for k, v := range x {
				s := float32(runtime.EwEval(runtime.EwMul, float64(v), float64(cv), 0, 0))
				want[k] = float32(runtime.EwEval(r.ew, float64(s), float64(v), r.alpha, r.beta))
			}
			write(filepath.Join(sd, fmt.Sprintf("output_%d.pb", i)), runtime.WriteTensorProto(y, runtime.FromFloat32([]int{len(x)}, want)))
		}
		model, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(8),
			OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}}, Graph: g})
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(dir, "model.onnx"), model)
		found, err := FindCases([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		files, err := compileCase(found[0], true)
		if err != nil {
			t.Fatal(err)
		}
		if src := string(files["model.go"]); strings.Count(src, "is the fused elementwise loop") != len(rows) {
			t.Fatalf("want %d fused loops in the generated code, got %d", len(rows), strings.Count(src, "is the fused elementwise loop"))
		}
		cases = append(cases, found[0])
	}
	for op := runtime.EwOp(0); op < runtime.EwOpCount; op++ {
		if !covered[op] {
			t.Errorf("elementwise op %d has no row in this test", op)
		}
	}
	// Zero tolerance (NaN matches NaN in Compare), 2^-22 relative for the vectorized ops.
	res, err := RunCases(cases, TestOptions{WorkDir: filepath.Join(os.TempDir(), "onnxc-ew-test"), Verify: true,
		Tolerance: func(name string) (float64, float64) {
			if strings.HasSuffix(name, "_vec") {
				return 0x1p-22, 0
			}
			return 0, 0
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Pass {
			t.Errorf("%s: %s: %s", r.Case.Name, r.Stage, r.Msg)
		}
	}
}

// A per-channel input (a squeeze-excitation scale [1,C,1]) joins the fused loop, which then
// runs over rows: y = x + x*sigmoid(s), s one value per channel, bit for bit.
func TestFusedElementwisePerChannel(t *testing.T) {
	f32 := int32(onnxpb.TensorProto_FLOAT)
	vi := func(name string, dims ...int64) *onnxpb.ValueInfoProto {
		sh := &onnxpb.TensorShapeProto{}
		for _, d := range dims {
			sh.Dim = append(sh.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(f32), Shape: sh}}}}
	}
	node := func(op string, out string, in ...string) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: []string{out}}
	}
	g := &onnxpb.GraphProto{Name: proto.String("se"), Input: []*onnxpb.ValueInfoProto{vi("x", 2, 3, 4), vi("s", 1, 3, 1)},
		Output: []*onnxpb.ValueInfoProto{vi("y", 2, 3, 4)},
		Node:   []*onnxpb.NodeProto{node("Sigmoid", "g", "s"), node("Mul", "m", "x", "g"), node("Add", "y", "x", "m")}}
	x := make([]float32, 24)
	for i := range x {
		x[i] = float32(i)*0.37 - 4
	}
	s := []float32{-1.5, 0.25, 3}
	// The gate comes from the unfused Sigmoid kernel (vectorized, within 2 ulp); the fused loop
	// must then compute x + x*gate exactly.
	gateT := &runtime.Tensor{Buf: &runtime.Buffer{}}
	if err := runtime.Unary(runtime.NewExec(nil), &runtime.UnaryParams{Op: runtime.UnarySigmoid}, []*runtime.Tensor{gateT}, []*runtime.Tensor{runtime.FromFloat32([]int{3}, s)}); err != nil {
		t.Fatal(err)
	}
	gates := runtime.Data[float32](gateT)
	want := make([]float32, 24)
	for i, v := range x {
		want[i] = v + v*gates[i/4%3]
	}
	dir := filepath.Join(t.TempDir(), "test_fused_per_channel")
	set := filepath.Join(dir, "test_data_set_0")
	if err := os.MkdirAll(set, 0o755); err != nil {
		t.Fatal(err)
	}
	model, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}}, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{
		filepath.Join(dir, "model.onnx"):  model,
		filepath.Join(set, "input_0.pb"):  runtime.WriteTensorProto("x", runtime.FromFloat32([]int{2, 3, 4}, x)),
		filepath.Join(set, "input_1.pb"):  runtime.WriteTensorProto("s", runtime.FromFloat32([]int{1, 3, 1}, s)),
		filepath.Join(set, "output_0.pb"): runtime.WriteTensorProto("y", runtime.FromFloat32([]int{2, 3, 4}, want)),
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := FindCases([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	files, err := compileCase(cases[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if src := string(files["model.go"]); !strings.Contains(src, "is the fused elementwise loop") || !strings.Contains(src, "inner") {
		t.Fatalf("no per-channel fused loop in the generated code:\n%s", src)
	}
	res, err := RunCases(cases, TestOptions{WorkDir: filepath.Join(os.TempDir(), "onnxc-ew-test"), Verify: true,
		Tolerance: func(string) (float64, float64) { return 0, 0 }})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Pass {
		t.Fatalf("%s: %s", res[0].Stage, res[0].Msg)
	}
}

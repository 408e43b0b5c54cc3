package ops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// cvtNode builds a node whose inputs are graph inputs of the given types, constants
// (*runtime.Tensor) or absent (nil).
func cvtNode(op string, nout int, inputs []any, attrs ...ir.Attr) *ir.Node {
	g := ir.NewModel("test").Graph
	var vals []*ir.Value
	for _, in := range inputs {
		switch v := in.(type) {
		case ir.Type:
			vals = append(vals, g.AddInput("in", v))
		case *runtime.Tensor:
			vals = append(vals, g.AddConst("c", v))
		default:
			vals = append(vals, nil)
		}
	}
	return g.NewNode(op, "", "", vals, nout, attrs...)
}

// cvtType is a type of dt with the given dims (-1 unknown, -2 a symbol).
func cvtType(dt runtime.DType, dims ...int64) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		switch {
		case d == -2:
			ds[i] = ir.Symbol("N")
		case d < 0:
			ds[i] = ir.Unknown()
		default:
			ds[i] = ir.Static(d)
		}
	}
	return ir.TensorType(dt, ds...)
}

func cvtF(dims ...int64) ir.Type { return cvtType(runtime.Float32, dims...) }

type cvtCase struct {
	name   string
	op     string
	nout   int
	inputs []any
	attrs  []ir.Attr
	want   string // output types joined by " ", or "error: substring"
}

func cvtRun(t *testing.T, cases []cvtCase) {
	t.Helper()
	for _, c := range cases {
		nout := max(c.nout, 1)
		n := cvtNode(c.op, nout, c.inputs, c.attrs...)
		d := Lookup("", c.op)
		err := d.CheckArity(n)
		if err == nil {
			err = d.Infer(n)
		}
		if err == nil {
			_, err = d.Lower(n)
		}
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%s: error %v, want %s", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []string
		for _, o := range n.Outputs {
			got = append(got, o.Type.String())
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s: %s, want %s", c.name, s, c.want)
		}
	}
}

func TestConvInfer(t *testing.T) {
	x := cvtF(1, 4, 9, 9)
	w := cvtF(8, 2, 3, 3)
	ints := func(name string, v ...int64) ir.Attr { return ir.Ints(name, v...) }
	cvtRun(t, []cvtCase{
		{"conv", "Conv", 1, []any{x, w}, []ir.Attr{ir.Int("group", 2)}, "float32[1,8,7,7]"},
		{"conv pads strides", "Conv", 1, []any{x, w, cvtF(8)}, []ir.Attr{ir.Int("group", 2), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2)}, "float32[1,8,5,5]"},
		{"conv same", "Conv", 1, []any{x, w}, []ir.Attr{ir.Int("group", 2), ir.String("auto_pad", "SAME_UPPER"), ints("strides", 2, 2)}, "float32[1,8,5,5]"},
		{"conv dilations", "Conv", 1, []any{x, w}, []ir.Attr{ir.Int("group", 2), ints("dilations", 2, 4)}, "float32[1,8,5,1]"},
		{"conv dynamic", "Conv", 1, []any{cvtF(-2, 4, -1, 9), w}, []ir.Attr{ir.Int("group", 2)}, "float32[N,8,?,7]"},
		{"conv unknown rank", "Conv", 1, []any{ir.Type{DType: runtime.Float32}, ir.Type{DType: runtime.Float32}}, nil, "float32[*]"},
		{"conv 1d", "Conv", 1, []any{cvtF(2, 3, 10), cvtF(5, 3, 4)}, nil, "float32[2,5,7]"},
		{"conv 3d", "Conv", 1, []any{cvtF(1, 1, 4, 5, 6), cvtF(2, 1, 2, 2, 2)}, nil, "float32[1,2,3,4,5]"},
		{"conv groups mismatch", "Conv", 1, []any{x, w}, nil, "error: groups"},
		{"conv bad group", "Conv", 1, []any{x, cvtF(7, 2, 3, 3)}, []ir.Attr{ir.Int("group", 2)}, "error: groups"},
		{"conv bad kernel_shape", "Conv", 1, []any{x, w}, []ir.Attr{ir.Int("group", 2), ints("kernel_shape", 3, 2)}, "error: kernel_shape"},
		{"conv bad pads", "Conv", 1, []any{x, w}, []ir.Attr{ir.Int("group", 2), ints("pads", 1, 1)}, "error: pads"},
		{"conv too big", "Conv", 1, []any{cvtF(1, 4, 2, 2), w}, []ir.Attr{ir.Int("group", 2)}, "error: does not fit"},
		{"conv int", "Conv", 1, []any{cvtType(runtime.Int32, 1, 4, 9, 9), cvtType(runtime.Int32, 8, 2, 3, 3)}, []ir.Attr{ir.Int("group", 2)}, "error: float"},
		{"conv rank 2", "Conv", 1, []any{cvtF(1, 4), cvtF(8, 4)}, nil, "error: spatial"},
		{"convinteger", "ConvInteger", 1, []any{cvtType(runtime.Uint8, 1, 1, 3, 3), cvtType(runtime.Uint8, 1, 1, 2, 2)}, nil, "int32[1,1,2,2]"},
		{"qlinearconv", "QLinearConv", 1, []any{cvtType(runtime.Uint8, 1, 1, 3, 3), cvtF(), cvtType(runtime.Uint8), cvtType(runtime.Int8, 2, 1, 2, 2), cvtF(), cvtType(runtime.Int8), cvtF(), cvtType(runtime.Int8)}, nil, "int8[1,2,2,2]"},
		{"convtranspose", "ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, nil, "float32[1,2,5,5]"},
		{"convtranspose strides pads", "ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, []ir.Attr{ints("strides", 3, 2), ints("pads", 1, 2, 1, 2)}, "float32[1,2,7,3]"},
		{"convtranspose output_shape", "ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, []ir.Attr{ints("strides", 3, 2), ints("output_shape", 10, 8)}, "float32[1,2,10,8]"},
		{"convtranspose same", "ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, []ir.Attr{ints("strides", 2, 2), ir.String("auto_pad", "SAME_UPPER")}, "float32[1,2,6,6]"},
		{"convtranspose group", "ConvTranspose", 1, []any{cvtF(1, 4, 3, 3), cvtF(4, 3, 2, 2)}, []ir.Attr{ir.Int("group", 2)}, "float32[1,6,4,4]"},
		{"convtranspose output_padding", "ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, []ir.Attr{ints("strides", 3, 2), ints("output_padding", 1, 1)}, "float32[1,2,10,8]"},
		{"deformconv", "DeformConv", 1, []any{cvtF(1, 2, 5, 5), cvtF(4, 2, 3, 3), cvtF(1, 18, 3, 3)}, nil, "float32[1,4,3,3]"},
		{"deformconv 3d", "DeformConv", 1, []any{cvtF(1, 2, 5, 5, 5), cvtF(4, 2, 3, 3, 3), cvtF(1, 81, 3, 3, 3)}, nil, "error: 2-D"},
		{"convtranspose bad channels", "ConvTranspose", 1, []any{cvtF(1, 4, 3, 3), cvtF(3, 3, 2, 2)}, nil, "error: groups"},
	})
}

func TestPoolInfer(t *testing.T) {
	x := cvtF(1, 3, 8, 8)
	ints := func(name string, v ...int64) ir.Attr { return ir.Ints(name, v...) }
	k := ints("kernel_shape", 3, 3)
	cvtRun(t, []cvtCase{
		{"maxpool", "MaxPool", 1, []any{x}, []ir.Attr{k}, "float32[1,3,6,6]"},
		{"maxpool indices", "MaxPool", 2, []any{x}, []ir.Attr{k, ints("strides", 2, 2)}, "float32[1,3,3,3] int64[1,3,3,3]"},
		{"maxpool ceil", "MaxPool", 1, []any{x}, []ir.Attr{k, ints("strides", 2, 2), ir.Int("ceil_mode", 1)}, "float32[1,3,4,4]"},
		{"maxpool same lower", "MaxPool", 1, []any{x}, []ir.Attr{k, ints("strides", 3, 3), ir.String("auto_pad", "SAME_LOWER")}, "float32[1,3,3,3]"},
		{"maxpool uint8", "MaxPool", 1, []any{cvtType(runtime.Uint8, 1, 1, 5, 5)}, []ir.Attr{k}, "uint8[1,1,3,3]"},
		{"avgpool uint8", "AveragePool", 1, []any{cvtType(runtime.Uint8, 1, 1, 5, 5)}, []ir.Attr{k}, "error: not supported"},
		{"avgpool 1d dynamic", "AveragePool", 1, []any{cvtF(-2, 3, -1)}, []ir.Attr{ints("kernel_shape", 2)}, "float32[N,3,?]"},
		{"lppool", "LpPool", 1, []any{x}, []ir.Attr{k, ints("pads", 1, 1, 1, 1), ir.Int("p", 3)}, "float32[1,3,8,8]"},
		{"pool no kernel", "AveragePool", 1, []any{x}, nil, "error: kernel_shape"},
		{"pool kernel rank", "AveragePool", 1, []any{x}, []ir.Attr{ints("kernel_shape", 2)}, "error: kernel_shape"},
		{"avgpool indices", "AveragePool", 2, []any{x}, []ir.Attr{k}, "error: outputs"},
		{"global avg", "GlobalAveragePool", 1, []any{cvtF(-2, 3, 7, 7)}, nil, "float32[N,3,1,1]"},
		{"global max 3d", "GlobalMaxPool", 1, []any{cvtF(2, 3, 4, 5, 6)}, nil, "float32[2,3,1,1,1]"},
		{"global lp", "GlobalLpPool", 1, []any{cvtF(2, 3, 4)}, nil, "float32[2,3,1]"},
		{"maxunpool", "MaxUnpool", 1, []any{cvtF(1, 1, 2, 2), cvtType(runtime.Int64, 1, 1, 2, 2)}, []ir.Attr{ints("kernel_shape", 2, 2), ints("strides", 2, 2)}, "float32[1,1,4,4]"},
		{"roialign", "RoiAlign", 1, []any{x, cvtF(5, 4), cvtType(runtime.Int64, 5)}, []ir.Attr{ir.Int("output_height", 2), ir.Int("output_width", 3)}, "float32[5,3,2,3]"},
		{"maxroipool", "MaxRoiPool", 1, []any{x, cvtF(-1, 5)}, []ir.Attr{ints("pooled_shape", 2, 2)}, "float32[?,3,2,2]"},
	})
}

func TestMatMulInfer(t *testing.T) {
	i8 := func(dims ...int64) ir.Type { return cvtType(runtime.Int8, dims...) }
	cvtRun(t, []cvtCase{
		{"matmul", "MatMul", 1, []any{cvtF(2, 3), cvtF(3, 4)}, nil, "float32[2,4]"},
		{"matmul batch", "MatMul", 1, []any{cvtF(5, 1, 2, 3), cvtF(6, 3, 4)}, nil, "float32[5,6,2,4]"},
		{"matmul 1d", "MatMul", 1, []any{cvtF(3), cvtF(2, 3, 4)}, nil, "float32[2,4]"},
		{"matmul 1d right", "MatMul", 1, []any{cvtF(2, 2, 3), cvtF(3)}, nil, "float32[2,2]"},
		{"matmul 1d both", "MatMul", 1, []any{cvtF(3), cvtF(3)}, nil, "float32[]"},
		{"matmul dynamic", "MatMul", 1, []any{cvtF(-2, -1, 3), cvtF(3, 4)}, nil, "float32[N,?,4]"},
		{"matmul mismatch", "MatMul", 1, []any{cvtF(2, 3), cvtF(4, 4)}, nil, "error: inner"},
		{"matmul types", "MatMul", 1, []any{cvtF(2, 3), cvtType(runtime.Int32, 3, 4)}, nil, "error: differ"},
		{"matmul int64", "MatMul", 1, []any{cvtType(runtime.Int64, 2, 3), cvtType(runtime.Int64, 3, 4)}, nil, "int64[2,4]"},
		{"matmulinteger", "MatMulInteger", 1, []any{i8(2, 3), cvtType(runtime.Uint8, 3, 4)}, nil, "int32[2,4]"},
		{"matmulinteger float", "MatMulInteger", 1, []any{cvtF(2, 3), i8(3, 4)}, nil, "error: int8"},
		{"qlinearmatmul", "QLinearMatMul", 1, []any{i8(2, 3), cvtF(), i8(), i8(3, 4), cvtF(), i8(), cvtF(), cvtType(runtime.Uint8)}, nil, "uint8[2,4]"},
		{"gemm", "Gemm", 1, []any{cvtF(2, 3), cvtF(3, 4)}, nil, "float32[2,4]"},
		{"gemm trans", "Gemm", 1, []any{cvtF(3, 2), cvtF(4, 3), cvtF(4)}, []ir.Attr{ir.Int("transA", 1), ir.Int("transB", 1)}, "float32[2,4]"},
		{"gemm bad c", "Gemm", 1, []any{cvtF(2, 3), cvtF(3, 4), cvtF(3)}, nil, "error: broadcast"},
		{"gemm bad inner", "Gemm", 1, []any{cvtF(2, 3), cvtF(2, 4)}, nil, "error: inner"},
		{"gemm rank", "Gemm", 1, []any{cvtF(2, 3, 3), cvtF(3, 4)}, nil, "error: matrix"},
		{"einsum", "Einsum", 1, []any{cvtF(2, 3, 4), cvtF(2, 4, 5)}, []ir.Attr{ir.String("equation", "bij,bjk->bik")}, "float32[2,3,5]"},
		{"einsum implicit", "Einsum", 1, []any{cvtF(3, 4), cvtF(4, 5)}, []ir.Attr{ir.String("equation", "ij,jk")}, "float32[3,5]"},
		{"einsum ellipsis", "Einsum", 1, []any{cvtF(-2, 1, 3, 4), cvtF(7, 4, 5)}, []ir.Attr{ir.String("equation", "...ij,...jk->...ik")}, "float32[N,7,3,5]"},
		{"einsum trace", "Einsum", 1, []any{cvtF(3, 3)}, []ir.Attr{ir.String("equation", "ii")}, "float32[]"},
		{"einsum bad", "Einsum", 1, []any{cvtF(3, 4), cvtF(5, 5)}, []ir.Attr{ir.String("equation", "ij,jk->ik")}, "error: differ"},
		{"einsum no equation", "Einsum", 1, []any{cvtF(3, 4)}, nil, "error: equation"},
	})
}

func TestQuantInfer(t *testing.T) {
	u8 := func(dims ...int64) ir.Type { return cvtType(runtime.Uint8, dims...) }
	cvtRun(t, []cvtCase{
		{"quantize", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF(), u8()}, nil, "uint8[2,3]"},
		{"quantize default", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF()}, nil, "uint8[2,3]"},
		{"quantize output_dtype", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF()}, []ir.Attr{ir.Int("output_dtype", int64(runtime.Int16))}, "int16[2,3]"},
		{"quantize axis", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF(3), cvtType(runtime.Int8, 3)}, []ir.Attr{ir.Int("axis", -1)}, "int8[2,3]"},
		{"quantize bad axis", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF(4), cvtType(runtime.Int8, 4)}, nil, "error: does not match"},
		{"quantize blocked", "QuantizeLinear", 1, []any{cvtF(2, 6), cvtF(2, 3)}, []ir.Attr{ir.Int("block_size", 2)}, "uint8[2,6]"},
		{"quantize float8", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF()}, []ir.Attr{ir.Int("output_dtype", 17)}, "float8e4m3fn[2,3]"},
		{"quantize int4", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF(), cvtType(runtime.Int4)}, nil, "int4[2,3]"},
		{"quantize float64", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF()}, []ir.Attr{ir.Int("output_dtype", 11)}, "error: not supported"},
		{"quantize mismatch", "QuantizeLinear", 1, []any{cvtF(2, 3), cvtF(), u8()}, []ir.Attr{ir.Int("output_dtype", int64(runtime.Int8))}, "error: differs"},
		{"dequantize", "DequantizeLinear", 1, []any{u8(2, 3), cvtF(), u8()}, nil, "float32[2,3]"},
		{"dequantize f16", "DequantizeLinear", 1, []any{u8(2, 3), cvtType(runtime.Float16)}, nil, "float16[2,3]"},
		{"dequantize output_dtype", "DequantizeLinear", 1, []any{cvtType(runtime.Int32, 4), cvtF()}, []ir.Attr{ir.Int("output_dtype", int64(runtime.Float16))}, "float16[4]"},
		{"dequantize zp type", "DequantizeLinear", 1, []any{u8(2, 3), cvtF(), cvtType(runtime.Int8)}, nil, "error: differs"},
		{"dynamic", "DynamicQuantizeLinear", 3, []any{cvtF(-2, 3)}, nil, "uint8[N,3] float32[] uint8[]"},
	})
}

// TestLowerResolvesAutoPad checks that static shapes turn auto_pad into explicit pads.
func TestLowerResolvesAutoPad(t *testing.T) {
	n := cvtNode("Conv", 1, []any{cvtF(1, 1, 5, 5), cvtF(1, 1, 2, 2)}, ir.String("auto_pad", "SAME_LOWER"))
	d := Lookup("", "Conv")
	if err := d.Infer(n); err != nil {
		t.Fatal(err)
	}
	c, err := d.Lower(n)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Params.(*runtime.ConvGeomParams)
	if got := fmt.Sprintf("%s %v %v %v %v", c.Entry.String(), p.Pads, p.Kernel, p.Strides, p.Out); got != "ConvGemm [1 1 0 0] [2 2] [1 1] [5 5]" {
		t.Errorf("lowered Conv params: %s", got)
	}
	n = cvtNode("AveragePool", 1, []any{cvtF(-2, 1, -1, 5)}, ir.String("auto_pad", "SAME_UPPER"), ir.Ints("kernel_shape", 2, 2))
	d = Lookup("", "AveragePool")
	if err := d.Infer(n); err != nil {
		t.Fatal(err)
	}
	c, err = d.Lower(n)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Params.(*runtime.PoolParams); p.AutoPad != "SAME_UPPER" {
		t.Errorf("dynamic spatial dims must keep auto_pad for run time, got %+v", p)
	}
	n = cvtNode("ConvTranspose", 1, []any{cvtF(1, 1, 3, 3), cvtF(1, 2, 3, 3)}, ir.Ints("strides", 3, 2), ir.Ints("output_shape", 10, 8))
	d = Lookup("", "ConvTranspose")
	if err := d.Infer(n); err != nil {
		t.Fatal(err)
	}
	c, err = d.Lower(n)
	if err != nil {
		t.Fatal(err)
	}
	ct := c.Params.(*runtime.ConvTransposeParams)
	if got := fmt.Sprintf("%v %v", ct.Pads, ct.OutputShape == nil); got != "[0 0 -1 -1] true" {
		t.Errorf("lowered ConvTranspose pads: %s", got)
	}
}

// TestConvInterpret runs a lowered Conv through the reference interpreter.
func TestConvInterpret(t *testing.T) {
	m := ir.NewModel("test")
	g := m.Graph
	x := g.AddInput("x", cvtF(1, 1, 3, 3))
	w := runtime.New(runtime.Float32, 1, 1, 2, 2)
	copy(runtime.Data[float32](w), []float32{1, 1, 1, 1})
	n := g.NewNode("Conv", "", "", []*ir.Value{x, g.AddConst("w", w)}, 1)
	g.Outputs = n.Outputs
	if err := Lookup("", "Conv").Infer(n); err != nil {
		t.Fatal(err)
	}
	in := runtime.New(runtime.Float32, 1, 1, 3, 3)
	copy(runtime.Data[float32](in), []float32{1, 2, 3, 4, 5, 6, 7, 8, 9})
	res, err := Interpret(runtime.NewExec(nil), g, []*runtime.Tensor{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(runtime.Data[float32](res[0])); got != "[12 16 24 28]" {
		t.Errorf("Conv = %s", got)
	}
}

func TestFusedConvLower(t *testing.T) {
	g := ir.NewModel("test").Graph
	x, w := g.AddInput("x", cvtF(1, 2, 5, 5)), g.AddInput("w", cvtF(3, 2, 3, 3))
	n := g.NewNode("FusedConv", "com.microsoft", "", []*ir.Value{x, w}, 1,
		ir.String("activation", "Clip"), ir.Floats("activation_params", 0, 6), ir.Ints("pads", 1, 1, 1, 1))
	d := Lookup("com.microsoft", "FusedConv")
	if err := d.Infer(n); err != nil {
		t.Fatal(err)
	}
	if got := n.Outputs[0].Type.String(); got != "float32[1,3,5,5]" {
		t.Errorf("FusedConv type %s", got)
	}
	c, err := d.Lower(n)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Params.(*runtime.ConvGeomParams); p.Activation != runtime.ActClip || p.ActAlpha != 0 || p.ActBeta != 6 {
		t.Errorf("FusedConv params %+v", p)
	}
	n.SetAttrs(ir.String("activation", "Softplus"))
	if err := d.Infer(n); err == nil || !strings.Contains(err.Error(), "activation") {
		t.Errorf("unsupported activation: %v", err)
	}
}

// TestConvLowerPicksAlgorithm checks the kernel entry Lower picks from static shapes, and the
// general Conv where they are not static or not float32.
func TestConvLowerPicksAlgorithm(t *testing.T) {
	for _, c := range []struct {
		x, w  ir.Type
		attrs []ir.Attr
		want  string
	}{
		{cvtF(1, 8, 6, 6), cvtF(8, 1, 3, 3), []ir.Attr{ir.Int("group", 8), ir.Ints("pads", 1, 1, 1, 1)}, "ConvDepthwise"},
		{cvtF(1, 8, 6, 6), cvtF(16, 1, 5, 5), []ir.Attr{ir.Int("group", 8), ir.Ints("strides", 2, 1)}, "ConvDepthwise"},
		{cvtF(-1, 8, 6, 6), cvtF(4, 8, 1, 1), nil, "ConvPointwise"},
		{cvtF(1, 8, 6, 6), cvtF(4, 8, 1, 1), []ir.Attr{ir.Ints("strides", 2, 2)}, "ConvGemm"},
		{cvtF(1, 8, 6, 6), cvtF(4, 4, 3, 3), []ir.Attr{ir.Int("group", 2)}, "ConvGemm"},
		{cvtF(1, 8, 6, 6), cvtF(4, 8, 3, 3), []ir.Attr{ir.Ints("pads", 1, 1, 1, 1)}, "ConvDirect"},
		{cvtF(1, 8, 12, 12), cvtF(4, 8, 3, 3), []ir.Attr{ir.Ints("strides", 2, 2)}, "ConvGemm"},
		{cvtF(1, 1, 4096), cvtF(258, 1, 256), []ir.Attr{ir.Ints("strides", 128)}, "ConvGemm"}, // an STFT
		{cvtF(1, 1, 512), cvtF(258, 1, 256), []ir.Attr{ir.Ints("strides", 128)}, "ConvDot"},   // over 3 windows
		{cvtF(1, 480, 1, 1), cvtF(120, 480, 1, 1), nil, "ConvDot"},                            // squeeze-and-excitation
		{cvtF(1, 8, -1, 6), cvtF(8, 1, 3, 3), []ir.Attr{ir.Int("group", 8)}, "Conv"},
		{cvtType(runtime.Float16, 1, 8, 6, 6), cvtType(runtime.Float16, 8, 1, 3, 3), []ir.Attr{ir.Int("group", 8)}, "Conv"},
	} {
		n := cvtNode("Conv", 1, []any{c.x, c.w}, c.attrs...)
		d := Lookup("", "Conv")
		if err := d.Infer(n); err != nil {
			t.Fatal(err)
		}
		call, err := d.Lower(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := call.Entry.String(); got != c.want {
			t.Errorf("Conv of %v and %v %v: lowered to %s, want %s", c.x, c.w, c.attrs, got, c.want)
		}
	}
	n := cvtNode("FusedConv", 1, []any{cvtF(1, 2, 5, 5), cvtF(3, 2, 3, 3)}, ir.String("activation", "Softplus"))
	if _, err := Lookup("com.microsoft", "FusedConv").Lower(n); err == nil || !strings.Contains(err.Error(), "Softplus") {
		t.Errorf("FusedConv with an unknown activation: %v", err)
	}
}

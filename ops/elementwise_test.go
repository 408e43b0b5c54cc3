package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// ewoNode builds a one-node graph; inputs are types (graph inputs), tensors (constants) or nil.
func ewoNode(op string, inputs []any, attrs ...ir.Attr) *ir.Node {
	m := ir.NewModel("test")
	g := m.Graph
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
	n := g.NewNode(op, "", "", vals, 1, attrs...)
	g.Outputs = n.Outputs
	return n
}

// ewoType is a tensor type; negative dims are unknown.
func ewoType(dt runtime.DType, dims ...int64) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		if d < 0 {
			ds[i] = ir.Unknown()
		} else {
			ds[i] = ir.Static(d)
		}
	}
	return ir.TensorType(dt, ds...)
}

func ewoInfer(n *ir.Node) (string, error) {
	d := Lookup("", n.Op)
	if d == nil {
		return "", fmt.Errorf("%s not registered", n.Op)
	}
	if err := d.CheckArity(n); err != nil {
		return "", err
	}
	if err := d.Infer(n); err != nil {
		return "", err
	}
	if _, err := d.Lower(n); err != nil {
		return "", err
	}
	return n.Outputs[0].Type.String(), nil
}

func TestElementwiseInfer(t *testing.T) {
	f32, i64 := runtime.Float32, runtime.Int64
	x := ewoType(f32, 2, 3)
	cases := []struct {
		op     string
		inputs []any
		attrs  []ir.Attr
		want   string // a type, or "error: substring"
	}{
		{"Relu", []any{x}, nil, "float32[2,3]"},
		{"Relu", []any{ewoType(runtime.Int8, 4)}, nil, "int8[4]"},
		{"Relu", []any{ewoType(runtime.Uint8, 4)}, nil, "error: does not support"},
		{"Exp", []any{ewoType(i64, 4)}, nil, "error: does not support"},
		{"Abs", []any{ewoType(runtime.Uint16, 4)}, nil, "uint16[4]"},
		{"IsNaN", []any{ewoType(runtime.Float16, -1, 2)}, nil, "bool[?,2]"},
		{"IsInf", []any{ir.Type{DType: runtime.BFloat16}}, nil, "bool[*]"},
		{"Not", []any{ewoType(runtime.Bool, 2)}, nil, "bool[2]"},
		{"Not", []any{x}, nil, "error: does not support"},
		{"Gelu", []any{x}, []ir.Attr{ir.String("approximate", "tanh")}, "float32[2,3]"},
		{"Gelu", []any{x}, []ir.Attr{ir.String("approximate", "erf")}, "error: approximate"},
		{"Sigmoid", []any{ewoType(runtime.DType(17), 2)}, nil, "error: float8e4m3fn, which Sigmoid does not support"},
		{"Sigmoid", []any{ewoType(runtime.DType(14), 2)}, nil, "error: unsupported element type complex64"},
		{"Add", []any{x, ewoType(f32, 3)}, nil, "float32[2,3]"},
		{"Add", []any{ewoType(f32, -1, 1), ewoType(f32, 5)}, nil, "float32[?,5]"},
		{"Add", []any{ewoType(f32, -1, 3), ewoType(f32, -1)}, nil, "float32[?,3]"},
		{"Add", []any{x, ewoType(f32, 2)}, nil, "error: do not broadcast"},
		{"Add", []any{x, ewoType(i64, 3)}, nil, "error: differ"},
		{"Add", []any{ewoType(runtime.Bool, 3), ewoType(runtime.Bool, 3)}, nil, "error: does not support"},
		{"Sub", []any{x, ir.Type{DType: f32}}, nil, "float32[*]"},
		{"Less", []any{x, ewoType(f32, 1, 1)}, nil, "bool[2,3]"},
		{"Equal", []any{ewoType(runtime.String, 2), ewoType(runtime.String, 1)}, nil, "bool[2]"},
		{"Less", []any{ewoType(runtime.String, 2), ewoType(runtime.String, 1)}, nil, "error: does not support"},
		{"And", []any{ewoType(runtime.Bool, 2, 1), ewoType(runtime.Bool, 4)}, nil, "bool[2,4]"},
		{"Pow", []any{x, ewoType(i64)}, nil, "float32[2,3]"},
		{"Pow", []any{ewoType(runtime.Int32, 2), ewoType(f32, 2)}, nil, "int32[2]"},
		{"Pow", []any{x, ewoType(runtime.Bool)}, nil, "error: does not support"},
		{"Mod", []any{x, x}, []ir.Attr{ir.Int("fmod", 1)}, "float32[2,3]"},
		{"Mod", []any{x, x}, []ir.Attr{ir.Int("fmod", 2)}, "error: fmod"},
		{"BitShift", []any{ewoType(runtime.Uint8, 2), ewoType(runtime.Uint8, 2)}, []ir.Attr{ir.String("direction", "LEFT")}, "uint8[2]"},
		{"BitShift", []any{ewoType(runtime.Uint8, 2), ewoType(runtime.Uint8, 2)}, nil, "error: direction"},
		{"BitwiseAnd", []any{ewoType(runtime.Int16, 2), ewoType(runtime.Int16, 2)}, nil, "int16[2]"},
		{"PRelu", []any{ewoType(f32, 1, 3, 4, 4), ewoType(f32, 3, 1, 1)}, nil, "float32[1,3,4,4]"},
		{"PRelu", []any{ewoType(f32, -1, 3), ewoType(f32, 3)}, nil, "float32[?,3]"},
		{"PRelu", []any{ewoType(f32, 3), ewoType(f32, 2, 3)}, nil, "error: rank"},
		{"PRelu", []any{ewoType(f32, 1, 3), ewoType(f32, 2, 1)}, nil, "error: does not broadcast"},
		{"Sum", []any{x}, nil, "float32[2,3]"},
		{"Sum", []any{x, ewoType(f32, 3), ewoType(f32, 2, 1)}, nil, "float32[2,3]"},
		{"Max", []any{ewoType(runtime.Uint8, 4), ewoType(runtime.Uint8, 1)}, nil, "uint8[4]"},
		{"Mean", []any{ewoType(i64, 4)}, nil, "error: does not support"},
		{"Min", []any{x, ewoType(i64, 3)}, nil, "error: differ"},
		{"Where", []any{ewoType(runtime.Bool, 2, 1), ewoType(f32, 3), ewoType(f32, 1)}, nil, "float32[2,3]"},
		{"Where", []any{ewoType(runtime.Bool, 2), ewoType(runtime.String, 2), ewoType(runtime.String, 2)}, nil, "string[2]"},
		{"Where", []any{x, x, x}, nil, "error: does not support"},
		{"Where", []any{ewoType(runtime.Bool, 2), x, ewoType(i64, 3)}, nil, "error: differ"},
		{"Clip", []any{x}, nil, "float32[2,3]"},
		{"Clip", []any{ewoType(runtime.Int8, 2), nil, ewoType(runtime.Int8)}, nil, "int8[2]"},
		{"Clip", []any{x, ewoType(f32, 2)}, nil, "error: not a scalar"},
		{"Clip", []any{x, ewoType(i64)}, nil, "error: has type"},
		{"Cast", []any{x}, []ir.Attr{ir.Int("to", int64(runtime.Float16))}, "float16[2,3]"},
		{"Cast", []any{ewoType(runtime.String, 2)}, []ir.Attr{ir.Int("to", int64(runtime.Int64))}, "int64[2]"},
		{"Cast", []any{x}, nil, "error: needs"},
		{"Cast", []any{x}, []ir.Attr{ir.Int("to", 22)}, "int4[2,3]"},
		{"Cast", []any{x}, []ir.Attr{ir.Int("to", 27)}, "error: unsupported element type dtype(27)"},
		{"Cast", []any{x}, []ir.Attr{ir.Int("to", 24), ir.String("round_mode", "sideways")}, "error: round_mode"},
		{"Cast", []any{x}, []ir.Attr{ir.Int("to", 14)}, "error: unsupported element type complex64"},
		{"Cast", []any{ewoType(runtime.DType(19), 2)}, []ir.Attr{ir.Int("to", 1)}, "float32[2]"},
		{"CastLike", []any{x, ewoType(runtime.BFloat16, 1)}, nil, "bfloat16[2,3]"},
		{"CastLike", []any{x, ewoType(runtime.DType(21), 1)}, nil, "uint4[2,3]"},
	}
	for _, c := range cases {
		got, err := ewoInfer(ewoNode(c.op, c.inputs, c.attrs...))
		name := fmt.Sprintf("%s%v", c.op, c.inputs)
		if msg, isErr := strings.CutPrefix(c.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: got %q, %v; want an error with %q", name, got, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

// TestElementwiseLower runs a few ops through Lower and the reference interpreter, checking that
// attributes reach the kernels.
func TestElementwiseLower(t *testing.T) {
	f32 := func(shape []int, v ...float32) *runtime.Tensor {
		x := runtime.New(runtime.Float32, shape...)
		copy(runtime.Data[float32](x), v)
		return x
	}
	cases := []struct {
		op     string
		inputs []*runtime.Tensor
		attrs  []ir.Attr
		want   string
	}{
		{"LeakyRelu", []*runtime.Tensor{f32([]int{2}, -2, 3)}, nil, "[-0.02 3]"},
		{"LeakyRelu", []*runtime.Tensor{f32([]int{2}, -2, 3)}, []ir.Attr{ir.Float("alpha", 0.5)}, "[-1 3]"},
		{"HardSigmoid", []*runtime.Tensor{f32([]int{2}, 0, 10)}, nil, "[0.5 1]"},
		{"Selu", []*runtime.Tensor{f32([]int{1}, 1)}, nil, "[1.0507]"},
		{"Shrink", []*runtime.Tensor{f32([]int{3}, -1, 0.25, 2)}, []ir.Attr{ir.Float("bias", 0.5)}, "[-0.5 0 1.5]"},
		{"IsInf", []*runtime.Tensor{f32([]int{1}, float32(math.Inf(-1)))}, []ir.Attr{ir.Int("detect_negative", 0)}, "[false]"},
		{"Mod", []*runtime.Tensor{f32([]int{1}, -5), f32([]int{1}, 3)}, nil, "[1]"},
		{"Mod", []*runtime.Tensor{f32([]int{1}, -5), f32([]int{1}, 3)}, []ir.Attr{ir.Int("fmod", 1)}, "[-2]"},
		{"Gelu", []*runtime.Tensor{f32([]int{1}, 1)}, []ir.Attr{ir.String("approximate", "tanh")}, "[0.841192]"},
		{"Sum", []*runtime.Tensor{f32([]int{1}, 1), f32([]int{2}, 2, 3), f32(nil, 10)}, nil, "[13 14]"},
		{"Cast", []*runtime.Tensor{f32([]int{2}, -1.5, 2.5)}, []ir.Attr{ir.Int("to", int64(runtime.Int32))}, "[-1 2]"},
		{"CastLike", []*runtime.Tensor{f32([]int{2}, 0, 2.5), runtime.New(runtime.Bool, 1)}, nil, "[false true]"},
		{"Clip", []*runtime.Tensor{f32([]int{3}, -1, 0.5, 9), f32(nil, 0), nil}, nil, "[0 0.5 9]"},
	}
	for _, c := range cases {
		inputs := make([]any, len(c.inputs))
		for i, in := range c.inputs {
			if in != nil {
				inputs[i] = ir.ConstType(in)
			}
		}
		n := ewoNode(c.op, inputs, c.attrs...)
		if _, err := ewoInfer(n); err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		var args []*runtime.Tensor
		for _, in := range c.inputs {
			if in != nil {
				args = append(args, in)
			}
		}
		res, err := Interpret(runtime.NewExec(nil), n.Graph, args, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		if got := ewoFormat(res[0]); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.op, c.attrs, got, c.want)
		}
	}
}

func ewoFormat(t *runtime.Tensor) string {
	switch t.DType {
	case runtime.Float32:
		parts := make([]string, t.Len())
		for i, v := range runtime.Data[float32](t) {
			parts[i] = fmt.Sprintf("%.6g", v)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case runtime.Int32:
		return fmt.Sprint(runtime.Data[int32](t))
	case runtime.Bool:
		return fmt.Sprint(runtime.Data[bool](t))
	}
	return t.String()
}

package onnx

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// normCase is one opset normalization: a one-node model (the node's output is "y", its data
// input "x") and what its IR must look like.
type normCase struct {
	name   string
	opset  int64
	node   *onnxpb.NodeProto
	inputs []*onnxpb.ValueInfoProto // default: x float32[2,3,4,5]
	outs   []string                 // default: y
	// want checks the node that produces y (nil when the rewrite failed, then err is checked).
	want func(t *testing.T, n *ir.Node, m *ir.Model)
	err  string // a substring of the expected error
}

func x4() []*onnxpb.ValueInfoProto {
	return []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2, 3, 4, 5)}
}

// in checks input i's constant int64 values.
func inInts(t *testing.T, n *ir.Node, i int, want ...int64) {
	t.Helper()
	if got := constInts(t, n.Input(i)); !eqInts(got, want) {
		t.Errorf("input %d = %v, want %v", i, got, want)
	}
}

func inFloats(t *testing.T, n *ir.Node, i int, want ...float32) {
	t.Helper()
	if got := constFloats(t, n.Input(i)); !reflect.DeepEqual(got, want) {
		t.Errorf("input %d = %v, want %v", i, got, want)
	}
}

func attrIs(t *testing.T, n *ir.Node, name string, want any) {
	t.Helper()
	a, ok := n.Attr(name)
	if want == nil {
		if ok {
			t.Errorf("attribute %s should be gone, is %+v", name, a)
		}
		return
	}
	if !ok {
		t.Errorf("attribute %s missing", name)
		return
	}
	var got any
	switch a.Kind {
	case ir.AttrInt:
		got = a.Int
	case ir.AttrString:
		got = a.Str
	case ir.AttrInts:
		got = a.Ints
	case ir.AttrFloat:
		got = a.Float
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attribute %s = %v, want %v", name, got, want)
	}
}

func arity(t *testing.T, n *ir.Node, op string, nin int) {
	t.Helper()
	if n.Op != op || len(n.Inputs) != nin {
		t.Errorf("got %s with %d inputs, want %s with %d", n.Op, len(n.Inputs), op, nin)
	}
}

func TestNormalize(t *testing.T) {
	cases := []normCase{
		{name: "ReduceSum-11 axes", opset: 11, node: nd("ReduceSum", ins("x"), ins("y"), aInts("axes", 1, 2), aInt("keepdims", 0)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "ReduceSum", 2)
				inInts(t, n, 1, 1, 2)
				attrIs(t, n, "axes", nil)
				attrIs(t, n, "keepdims", int64(0))
			}},
		{name: "ReduceSum-13 unchanged", opset: 13, node: nd("ReduceSum", ins("x", "a"), ins("y")),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2, 3), vi("a", runtime.Int64, 1)},
			want:   func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "ReduceSum", 2) }},
		{name: "ReduceMean-13 axes", opset: 13, node: nd("ReduceMean", ins("x"), ins("y"), aInts("axes", -1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "ReduceMean", 2); inInts(t, n, 1, -1) }},
		{name: "ReduceMax-11 no axes reduces all", opset: 11, node: nd("ReduceMax", ins("x"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "ReduceMax", 1) }},
		{name: "ReduceLogSumExp-17 axes", opset: 17, node: nd("ReduceLogSumExp", ins("x"), ins("y"), aInts("axes", 0)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { inInts(t, n, 1, 0) }},
		{name: "Split-11 split attr", opset: 11, node: nd("Split", ins("x"), ins("y", "z"), aInt("axis", 1), aInts("split", 1, 2)),
			outs: ins("y", "z"),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Split", 2)
				inInts(t, n, 1, 1, 2)
				attrIs(t, n, "num_outputs", nil)
			}},
		{name: "Split-11 equal parts", opset: 11, node: nd("Split", ins("x"), ins("y", "z"), aInt("axis", 3)),
			outs: ins("y", "z"),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Split", 1)
				attrIs(t, n, "num_outputs", int64(2))
			}},
		{name: "Split-18 num_outputs kept", opset: 18, node: nd("Split", ins("x"), ins("y", "z", "w"), aInt("num_outputs", 3)),
			outs: ins("y", "z", "w"),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "num_outputs", int64(3)) }},
		{name: "Slice-9 attrs", opset: 9, node: nd("Slice", ins("x"), ins("y"), aInts("starts", 0, 1), aInts("ends", 2, 3), aInts("axes", 0, 2)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Slice", 4)
				inInts(t, n, 1, 0, 1)
				inInts(t, n, 2, 2, 3)
				inInts(t, n, 3, 0, 2)
			}},
		{name: "Slice-1 no axes", opset: 1, node: nd("Slice", ins("x"), ins("y"), aInts("starts", 1), aInts("ends", 2)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Slice", 3) }},
		{name: "Pad-2 pads and value", opset: 2, node: nd("Pad", ins("x"), ins("y"), aInts("pads", 0, 0, 1, 1, 0, 0, 1, 1), aFloat("value", 1.5), aString("mode", "constant")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Pad", 3)
				inInts(t, n, 1, 0, 0, 1, 1, 0, 0, 1, 1)
				inFloats(t, n, 2, 1.5)
				attrIs(t, n, "mode", "constant")
				attrIs(t, n, "value", nil)
			}},
		{name: "Pad-1 paddings, zero value", opset: 1, node: nd("Pad", ins("x"), ins("y"), aInts("paddings", 1, 1)),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 3)},
			want:   func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Pad", 2); inInts(t, n, 1, 1, 1) }},
		{name: "Pad-10 value of unknown type casts like x", opset: 10, node: nd("Pad", ins("x"), ins("y"), aInts("pads", 1, 1), aFloat("value", 2)),
			inputs: []*onnxpb.ValueInfoProto{untyped("x")},
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				c := n.Input(2)
				if c == nil || c.Def == nil || c.Def.Op != "CastLike" || c.Def.Inputs[1] != n.Inputs[0] {
					t.Fatalf("constant_value should be CastLike(2, x), is %v", c)
				}
				if got := constFloats(t, c.Def.Inputs[0]); got[0] != 2 {
					t.Errorf("value %v", got)
				}
			}},
		{name: "Clip-6 min max", opset: 6, node: nd("Clip", ins("x"), ins("y"), aFloat("min", 0), aFloat("max", 6)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Clip", 3)
				inFloats(t, n, 1, 0)
				inFloats(t, n, 2, 6)
			}},
		{name: "Clip-6 max only, float16", opset: 6, node: nd("Clip", ins("x"), ins("y"), aFloat("max", 6)),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float16, 4)},
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Clip", 3)
				if n.Inputs[1] != nil {
					t.Errorf("min should be absent")
				}
				c := n.Inputs[2].Const
				if c == nil || c.DType != runtime.Float16 || runtime.Data[runtime.F16](c)[0].Float32() != 6 {
					t.Errorf("max should be float16 6, is %v", c)
				}
			}},
		{name: "Squeeze-11 axes", opset: 11, node: nd("Squeeze", ins("x"), ins("y"), aInts("axes", 0)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Squeeze", 2); inInts(t, n, 1, 0) }},
		{name: "Squeeze-11 no axes", opset: 11, node: nd("Squeeze", ins("x"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Squeeze", 1) }},
		{name: "Unsqueeze-9 axes", opset: 9, node: nd("Unsqueeze", ins("x"), ins("y"), aInts("axes", 0, 5)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Unsqueeze", 2); inInts(t, n, 1, 0, 5) }},
		{name: "TopK-9 k", opset: 9, node: nd("TopK", ins("x"), ins("y", "i"), aInt("k", 3)), outs: ins("y", "i"),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "TopK", 2); inInts(t, n, 1, 3) }},
		{name: "Upsample-7 scales attr", opset: 7, node: nd("Upsample", ins("x"), ins("y"), aFloats("scales", 1, 1, 2, 2)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Resize", 3)
				if n.Inputs[1] != nil {
					t.Errorf("roi should be absent")
				}
				inFloats(t, n, 2, 1, 1, 2, 2)
				attrIs(t, n, "mode", "nearest")
				attrIs(t, n, "coordinate_transformation_mode", "asymmetric")
				attrIs(t, n, "nearest_mode", "floor")
				attrIs(t, n, "scales", nil)
			}},
		{name: "Upsample-9 scales input, bilinear", opset: 9, node: nd("Upsample", ins("x", "s"), ins("y"), aString("mode", "bilinear")),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 1, 1, 2, 2), vi("s", runtime.Float32, 4)},
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				arity(t, n, "Resize", 3)
				if n.Inputs[2] != m.Graph.Inputs[1] {
					t.Errorf("scales should be the graph input")
				}
				attrIs(t, n, "mode", "linear")
				attrIs(t, n, "nearest_mode", nil)
			}},
		{name: "Upsample-1 height/width scale", opset: 1, node: nd("Upsample", ins("x"), ins("y"), aFloat("height_scale", 2), aFloat("width_scale", 3)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { inFloats(t, n, 2, 1, 1, 2, 3) }},
		{name: "Resize-10 downsample", opset: 10, node: nd("Resize", ins("x", "s"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Resize", 3)
				inFloats(t, n, 2, 1, 1, 0.5, 0.5)
				attrIs(t, n, "nearest_mode", "ceil")
				attrIs(t, n, "coordinate_transformation_mode", "asymmetric")
			}},
		{name: "Resize-11 empty roi and scales", opset: 11, node: nd("Resize", ins("x", "roi", "e", "sz"), ins("y"), aString("mode", "linear")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Resize", 4)
				if n.Inputs[1] != nil || n.Inputs[2] != nil {
					t.Errorf("empty roi and scales should be absent: %v", n.Inputs)
				}
				inInts(t, n, 3, 2, 3, 8, 10)
			}},
		{name: "Resize-11 tf_half_pixel_for_nn", opset: 11, node: nd("Resize", ins("x", "roi", "s"), ins("y"), aString("coordinate_transformation_mode", "tf_half_pixel_for_nn")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Resize", 3)
				attrIs(t, n, "coordinate_transformation_mode", "half_pixel")
				attrIs(t, n, "nearest_mode", "ceil")
			}},
		{name: "Softmax-11 axis 1 of 4-D", opset: 11, node: nd("Softmax", ins("x"), ins("y"), aInt("axis", 1)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				if got := strings.Join(opsOf(m.Graph), " "); got != "Shape Flatten Softmax Reshape" {
					t.Fatalf("ops %s", got)
				}
				sm := n.Inputs[0].Def
				attrIs(t, sm, "axis", int64(-1))
				attrIs(t, sm.Inputs[0].Def, "axis", int64(1))
				if n.Inputs[1].Def.Op != "Shape" || n.Inputs[1].Def.Inputs[0] != m.Graph.Inputs[0] {
					t.Errorf("reshape should restore x's shape")
				}
			}},
		{name: "LogSoftmax-11 default axis, 2-D", opset: 11, node: nd("LogSoftmax", ins("x"), ins("y")),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 3, 4)},
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				arity(t, n, "LogSoftmax", 1)
				attrIs(t, n, "axis", int64(-1))
				if len(m.Graph.Nodes) != 1 {
					t.Errorf("no coercion needed: %v", opsOf(m.Graph))
				}
			}},
		{name: "Hardmax-12 last axis", opset: 12, node: nd("Hardmax", ins("x"), ins("y"), aInt("axis", 3)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Hardmax", 1)
				attrIs(t, n, "axis", int64(-1))
			}},
		{name: "Softmax-13 unchanged", opset: 13, node: nd("Softmax", ins("x"), ins("y"), aInt("axis", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "axis", int64(1)) }},
		{name: "BatchNormalization-7 spatial=1 is_test", opset: 7, node: nd("BatchNormalization", ins("x", "s", "b", "m", "v"), ins("y"), aInt("spatial", 1), aInt("is_test", 1), aInts("consumed_inputs", 0)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "BatchNormalization", 5)
				attrIs(t, n, "spatial", nil)
				attrIs(t, n, "is_test", nil)
				attrIs(t, n, "consumed_inputs", nil)
			}},
		{name: "BatchNormalization-6 consumed_inputs", opset: 6, node: nd("BatchNormalization", ins("x", "s", "b", "m", "v"), ins("y"), aInts("consumed_inputs", 0, 0, 0, 1, 1), aInt("is_test", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "consumed_inputs", nil)
				attrIs(t, n, "is_test", nil)
			}},
		{name: "BatchNormalization-7 spatial=0", opset: 7, node: nd("BatchNormalization", ins("x", "s", "b", "m", "v"), ins("y"), aInt("spatial", 0), aFloat("epsilon", 0.5)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				if got := strings.Join(opsOf(m.Graph), " "); got != "Sub Add Sqrt Div Mul Add" {
					t.Fatalf("ops %s", got)
				}
				eps := n.Inputs[0].Def.Inputs[0].Def.Inputs[1].Def.Inputs[0].Def.Inputs[1]
				if got := constFloats(t, eps); got[0] != 0.5 {
					t.Errorf("epsilon %v", got)
				}
			}},
		{name: "BatchNormalization-9 training outputs", opset: 9, node: nd("BatchNormalization", ins("x", "s", "b", "m", "v"), ins("y", "rm", "rv", "", "")),
			outs: ins("y", "rm", "rv"),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "training_mode", int64(1))
				if len(n.Outputs) != 3 {
					t.Errorf("%d outputs, want 3", len(n.Outputs))
				}
			}},
		{name: "BatchNormalization-9 saved mean refused", opset: 9, node: nd("BatchNormalization", ins("x", "s", "b", "m", "v"), ins("y", "rm", "rv", "sm", "")),
			err: "saved mean"},
		{name: "Dropout-10 ratio", opset: 10, node: nd("Dropout", ins("x"), ins("y"), aFloat("ratio", 0.25)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Dropout", 2); inFloats(t, n, 1, 0.25) }},
		{name: "Dropout-6 is_test", opset: 6, node: nd("Dropout", ins("x"), ins("y"), aInt("is_test", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Dropout", 1); attrIs(t, n, "is_test", nil) }},
		{name: "Add-6 broadcast at axis 1", opset: 6, node: nd("Add", ins("x", "b"), ins("y"), aInt("broadcast", 1), aInt("axis", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "broadcast", nil)
				attrIs(t, n, "axis", nil)
				c := n.Inputs[1].Const
				if c == nil || !reflect.DeepEqual(c.Shape, []int{3, 1, 1}) {
					t.Errorf("b should be reshaped to 3x1x1: %v", n.Inputs[1])
				}
			}},
		{name: "Mul-6 broadcast, no axis", opset: 6, node: nd("Mul", ins("x", "b"), ins("y"), aInt("broadcast", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "broadcast", nil)
				if n.Inputs[1].Const.Shape[0] != 3 {
					t.Errorf("b should be unchanged")
				}
			}},
		{name: "Sub-6 broadcast at axis of unknown rank", opset: 6, node: nd("Sub", ins("x", "b"), ins("y"), aInt("broadcast", 1), aInt("axis", 1)),
			inputs: []*onnxpb.ValueInfoProto{untyped("x")}, err: "ranks"},
		{name: "PRelu-6 per-channel slope", opset: 6, node: nd("PRelu", ins("x", "b"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				if c := n.Inputs[1].Const; c == nil || !reflect.DeepEqual(c.Shape, []int{3, 1, 1}) {
					t.Errorf("slope should be 3x1x1: %v", n.Inputs[1])
				}
			}},
		{name: "Gemm-6 broadcast", opset: 6, node: nd("Gemm", ins("x", "x", "b"), ins("y"), aInt("broadcast", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "broadcast", nil) }},
		{name: "Scatter-9", opset: 9, node: nd("Scatter", ins("x", "i", "x"), ins("y"), aInt("axis", 1)),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2, 2), vi("i", runtime.Int64, 2, 2)},
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "ScatterElements", 3)
				attrIs(t, n, "axis", int64(1))
			}},
		{name: "Reshape-1 shape attr", opset: 1, node: nd("Reshape", ins("x"), ins("y"), aInts("shape", 6, -1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Reshape", 2); inInts(t, n, 1, 6, -1) }},
		{name: "Concat-1 default axis", opset: 1, node: nd("Concat", ins("x", "x"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "axis", int64(1)) }},
		{name: "Cast-1 type name", opset: 1, node: nd("Cast", ins("x"), ins("y"), aString("to", "INT64")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "to", int64(runtime.Int64)) }},
		{name: "RoiAlign-10 default mode", opset: 10, node: nd("RoiAlign", ins("x", "r", "i"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "coordinate_transformation_mode", "output_half_pixel")
			}},
		{name: "RoiAlign-16 unchanged", opset: 16, node: nd("RoiAlign", ins("x", "r", "i"), ins("y")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "coordinate_transformation_mode", nil) }},
		{name: "GridSample-16 bicubic", opset: 16, node: nd("GridSample", ins("x", "g"), ins("y"), aString("mode", "bicubic")),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { attrIs(t, n, "mode", "cubic") }},
		{name: "DFT-17 axis", opset: 17, node: nd("DFT", ins("x"), ins("y"), aInt("axis", 2)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "DFT", 3)
				if c := n.Inputs[2].Const; c == nil || len(c.Shape) != 0 || runtime.Data[int64](c)[0] != 2 {
					t.Errorf("axis should be a scalar 2: %v", n.Inputs[2])
				}
			}},
		{name: "DFT-17 default axis", opset: 17, node: nd("DFT", ins("x", "n"), ins("y")),
			inputs: []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 1, 8, 1), vi("n", runtime.Int64)},
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				if runtime.Data[int64](n.Inputs[2].Const)[0] != 1 {
					t.Errorf("default axis should be 1")
				}
			}},
		{name: "GroupNormalization-18 per group", opset: 18, node: nd("GroupNormalization", ins("x", "gs", "gb"), ins("y"), aInt("num_groups", 3)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				arity(t, n, "GroupNormalization", 3)
				for i := 1; i <= 2; i++ {
					if d := n.Inputs[i].Def; d == nil || d.Op != "Reshape" || d.Inputs[0].Def.Op != "Expand" {
						t.Errorf("input %d should be expanded per channel", i)
					}
				}
			}},
		{name: "ImageScaler", opset: 8, node: nd("ImageScaler", ins("x"), ins("y"), aFloat("scale", 2), aFloats("bias", 1, 2, 3)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				if got := strings.Join(opsOf(m.Graph), " "); got != "Mul Add" {
					t.Fatalf("ops %s", got)
				}
				if c := n.Inputs[1].Const; !reflect.DeepEqual(c.Shape, []int{1, 3, 1, 1}) {
					t.Errorf("bias shape %v", c.Shape)
				}
			}},
		{name: "Affine", opset: 7, node: nd("Affine", ins("x"), ins("y"), aFloat("alpha", 2), aFloat("beta", 3)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				if got := strings.Join(opsOf(m.Graph), " "); got != "Mul Add" {
					t.Fatalf("ops %s", got)
				}
				inFloats(t, n, 1, 3)
				inFloats(t, n.Inputs[0].Def, 1, 2)
			}},
		{name: "Scale", opset: 7, node: nd("Scale", ins("x"), ins("y"), aFloat("scale", 4)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) { arity(t, n, "Mul", 2); inFloats(t, n, 1, 4) }},
		{name: "ScaledTanh", opset: 7, node: nd("ScaledTanh", ins("x"), ins("y"), aFloat("alpha", 2), aFloat("beta", 0.5)),
			want: func(t *testing.T, n *ir.Node, m *ir.Model) {
				if got := strings.Join(opsOf(m.Graph), " "); got != "Mul Tanh Mul" {
					t.Fatalf("ops %s", got)
				}
				inFloats(t, n, 1, 2)
				inFloats(t, n.Inputs[0].Def.Inputs[0].Def, 1, 0.5)
			}},
		{name: "MeanVarianceNormalization-1 across channels", opset: 7, node: nd("MeanVarianceNormalization", ins("x"), ins("y"), aInt("across_channels", 1)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "axes", []int64{0, 1, 2, 3})
				attrIs(t, n, "across_channels", nil)
			}},
		{name: "MeanVarianceNormalization-1 no variance", opset: 7, node: nd("MeanVarianceNormalization", ins("x"), ins("y"), aInt("normalize_variance", 0)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				arity(t, n, "Sub", 2)
				mean := n.Inputs[1].Def
				arity(t, mean, "ReduceMean", 2)
				inInts(t, mean, 1, 0, 2, 3)
			}},
		{name: "LSTM-1 output_sequence", opset: 1, node: nd("LSTM", ins("x", "x", "x"), ins("y"), aInt("output_sequence", 1), aInt("hidden_size", 2)),
			want: func(t *testing.T, n *ir.Node, _ *ir.Model) {
				attrIs(t, n, "output_sequence", nil)
				attrIs(t, n, "hidden_size", int64(2))
			}},
		{name: "Pad-10 without data input", opset: 10, node: nd("Pad", ins(""), ins("y"), aInts("pads", 1, 1)),
			err: "required input 0"},
		{name: "Resize-10 without scales", opset: 10, node: nd("Resize", ins("x", ""), ins("y")),
			err: "has 1 inputs, want 2"},
		{name: "Upsample-9 mixed up and down", opset: 9, node: nd("Upsample", ins("x", "mix"), ins("y")),
			err: "both up- and downsamples"},
	}
	inits := []*onnxpb.TensorProto{
		tF32("mix", []int64{4}, 1, 1, 2, 0.5),
		tF32("s", []int64{4}, 1, 1, 0.5, 0.5),
		tF32("b", []int64{3}, 1, 2, 3),
		tF32("roi", []int64{0}),
		tF32("e", []int64{0}),
		tI64("sz", []int64{4}, 2, 3, 8, 10),
		tF32("gs", []int64{3}, 1, 2, 3),
		tF32("gb", []int64{3}, 0, 0, 0),
		tF32("m", []int64{3}, 0, 0, 0),
		tF32("v", []int64{3}, 1, 1, 1),
		tF32("r", []int64{1, 4}, 0, 0, 1, 1),
		tI64("i", []int64{1}, 0),
		tF32("g", []int64{1, 2, 2, 2}, 0, 0, 0, 0, 0, 0, 0, 0),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inputs := c.inputs
			if inputs == nil {
				inputs = x4()
			}
			outs := c.outs
			if outs == nil {
				outs = ins("y")
			}
			// Only the initializers the case uses and does not declare as inputs.
			var used []*onnxpb.TensorProto
			for _, it := range inits {
				declared := false
				for _, in := range inputs {
					declared = declared || in.GetName() == it.GetName()
				}
				for _, name := range c.node.Input {
					if name == it.GetName() && !declared {
						used = append(used, it)
						break
					}
				}
			}
			g := graphOf("g", []*onnxpb.NodeProto{c.node}, inputs, outs, used...)
			data := encode(t, modelOf(7, c.opset, g))
			m, err := Decode(data, "", "norm.onnx")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "norm.onnx") {
					t.Fatalf("error %v, want one naming the file and containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m, false); err != nil {
				t.Fatalf("invalid IR: %v", err)
			}
			y := byName(m, "y")
			if y == nil || y.Def == nil {
				t.Fatalf("no node produces y")
			}
			c.want(t, y.Def, m)
		})
	}
}

// TestScan8 checks that a batched Scan-8 becomes a Loop over the batch running Scan-9.
func TestScan8(t *testing.T) {
	body := graphOf("body", []*onnxpb.NodeProto{
		nd("Add", ins("s_in", "x_t"), ins("s_out")),
		nd("Identity", ins("s_out"), ins("y_t")),
	}, []*onnxpb.ValueInfoProto{vi("s_in", runtime.Float32, 2), vi("x_t", runtime.Float32, 2)}, ins("s_out", "y_t"))
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Scan", ins("", "init", "xs"), ins("s", "ys"), aInt("num_scan_inputs", 1), aGraph("body", body), aInts("directions", 1)),
	}, []*onnxpb.ValueInfoProto{vi("init", runtime.Float32, 1, 2), vi("xs", runtime.Float32, 1, 3, 2)}, ins("s", "ys"))
	m := decodeOK(t, modelOf(3, 8, g))
	if got := strings.Join(opsOf(m.Graph), " "); got != "Shape Gather Loop" {
		t.Fatalf("ops %s", got)
	}
	loop := m.Graph.Nodes[2]
	lb := loop.Region("body")
	if len(lb.Inputs) != 2 || len(lb.Outputs) != 3 || len(loop.Outputs) != 2 {
		t.Fatalf("loop body %d inputs %d outputs", len(lb.Inputs), len(lb.Outputs))
	}
	scan := lb.Nodes[len(lb.Nodes)-1]
	if scan.Op != "Scan" || len(scan.Inputs) != 2 || scan.Region("body").Parent != lb {
		t.Fatalf("bad inner scan %v", scan.Describe())
	}
	attrIs(t, scan, "scan_input_directions", []int64{1})
	attrIs(t, scan, "directions", nil)
	for _, in := range scan.Inputs {
		if in.Def == nil || in.Def.Op != "Gather" || in.Def.Inputs[1] != lb.Inputs[0] {
			t.Errorf("scan input should be sliced at the batch index")
		}
	}
	if byName(m, "s") != loop.Outputs[0] || byName(m, "ys") != loop.Outputs[1] {
		t.Errorf("loop outputs should carry the Scan's names")
	}
}

// TestRewritesListed checks the exported list of rewrites.
func TestRewritesListed(t *testing.T) {
	rs := Rewrites()
	seen := map[string]bool{}
	for _, r := range rs {
		seen[fmt.Sprintf("%s@%d", r.Op, r.Before)] = true
		if r.Doc == "" {
			t.Errorf("%s has no description", r.Op)
		}
	}
	for _, want := range []string{"ReduceSum@13", "ReduceMean@18", "Softmax@13", "Clip@11", "Pad@11", "Slice@10", "Split@13", "Squeeze@13", "TopK@10", "Resize@11"} {
		if !seen[want] {
			t.Errorf("missing rewrite %s", want)
		}
	}
}

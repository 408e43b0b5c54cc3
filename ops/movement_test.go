package ops

import (
	"reflect"
	"slices"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// mvGraph builds one-node graphs for inference tests.
type mvGraph struct {
	m *ir.Model
	g *ir.Graph
}

func mvNewGraph() *mvGraph {
	m := ir.NewModel("test")
	return &mvGraph{m: m, g: m.Graph}
}

func (b *mvGraph) in(dt ir.DType, dims ...ir.Dim) *ir.Value {
	return b.g.AddInput("x", ir.TensorType(dt, dims...))
}

func (b *mvGraph) ints(v ...int64) *ir.Value {
	t := runtime.New(runtime.Int64, len(v))
	copy(runtime.Data[int64](t), v)
	return b.g.AddConst("c", t)
}

// node adds a node, runs its inference and returns it.
func (b *mvGraph) node(t *testing.T, op string, nout int, ins []*ir.Value, attrs ...ir.Attr) *ir.Node {
	t.Helper()
	n := b.g.NewNode(op, "", "", ins, nout, attrs...)
	d := Lookup("", op)
	if d == nil {
		t.Fatalf("%s not registered", op)
	}
	if err := d.CheckArity(n); err != nil {
		t.Fatal(err)
	}
	if err := d.Infer(n); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return n
}

func (b *mvGraph) fails(t *testing.T, op string, nout int, ins []*ir.Value, attrs ...ir.Attr) {
	t.Helper()
	n := b.g.NewNode(op, "", "", ins, nout, attrs...)
	if err := Lookup("", op).Infer(n); err == nil {
		t.Errorf("%s: inference accepted a bad node", op)
	}
}

func mvS(n int64) ir.Dim { return ir.Static(n) }

func mvWantType(t *testing.T, what string, got ir.Type, want string) {
	t.Helper()
	if got.String() != want {
		t.Errorf("%s: type %s, want %s", what, got, want)
	}
}

func TestInferShapeOps(t *testing.T) {
	b := mvNewGraph()
	f := runtime.Float32
	sym := b.in(f, ir.Symbol("B"), ir.Symbol("S"), mvS(12))
	st := b.in(f, mvS(2), mvS(3), mvS(4))

	cases := []struct {
		name string
		n    *ir.Node
		want string
	}{
		{"reshape static", b.node(t, "Reshape", 1, []*ir.Value{st, b.ints(4, -1)}), "float32[4,6]"},
		{"reshape symbolic", b.node(t, "Reshape", 1, []*ir.Value{sym, b.ints(0, 0, 3, -1)}), "float32[B,S,3,4]"},
		{"reshape merge", b.node(t, "Reshape", 1, []*ir.Value{sym, b.ints(-1, 12)}), "float32[?,12]"},
		{"reshape dynamic", b.node(t, "Reshape", 1, []*ir.Value{st, b.in(runtime.Int64, mvS(3))}), "float32[?,?,?]"},
		{"flatten", b.node(t, "Flatten", 1, []*ir.Value{sym}, ir.Int("axis", 2)), "float32[?,12]"},
		{"flatten 0", b.node(t, "Flatten", 1, []*ir.Value{st}, ir.Int("axis", 0)), "float32[1,24]"},
		{"squeeze", b.node(t, "Squeeze", 1, []*ir.Value{b.in(f, mvS(1), mvS(3), mvS(1))}), "float32[3]"},
		{"squeeze axes", b.node(t, "Squeeze", 1, []*ir.Value{b.in(f, mvS(1), ir.Unknown(), mvS(1)), b.ints(-1)}), "float32[1,?]"},
		{"squeeze unknown", b.node(t, "Squeeze", 1, []*ir.Value{b.in(f, mvS(1), ir.Unknown())}), "float32[*]"},
		{"unsqueeze", b.node(t, "Unsqueeze", 1, []*ir.Value{sym, b.ints(-1, 0)}), "float32[1,B,S,12,1]"},
		{"shape", b.node(t, "Shape", 1, []*ir.Value{sym}, ir.Int("start", 1)), "int64[2]"},
		{"size", b.node(t, "Size", 1, []*ir.Value{sym}), "int64[]"},
		{"constantofshape", b.node(t, "ConstantOfShape", 1, []*ir.Value{b.ints(2, 3)}), "float32[2,3]"},
		{"range", b.node(t, "Range", 1, []*ir.Value{b.ints(10), b.ints(3), b.ints(-3)}), "int64[3]"},
		{"eyelike", b.node(t, "EyeLike", 1, []*ir.Value{mvSt2(b)}, ir.Int("dtype", int64(runtime.Int32))), "int32[2,3]"},
		{"transpose", b.node(t, "Transpose", 1, []*ir.Value{sym}), "float32[12,S,B]"},
		{"transpose perm", b.node(t, "Transpose", 1, []*ir.Value{sym}, ir.Ints("perm", 0, 2, 1)), "float32[B,12,S]"},
		{"concat", b.node(t, "Concat", 1, []*ir.Value{st, b.in(f, mvS(2), ir.Unknown(), mvS(4))}, ir.Int("axis", 1)), "float32[2,?,4]"},
		{"concat static", b.node(t, "Concat", 1, []*ir.Value{st, st}, ir.Int("axis", -1)), "float32[2,3,8]"},
		{"slice", b.node(t, "Slice", 1, []*ir.Value{st, b.ints(1, -1), b.ints(1<<40, 0), b.ints(1, 2), b.ints(1, -1)}), "float32[2,2,3]"},
		{"slice unknown", b.node(t, "Slice", 1, []*ir.Value{sym, b.ints(0), b.ints(1 << 62), b.ints(1)}), "float32[B,S,12]"},
		{"slice dynamic", b.node(t, "Slice", 1, []*ir.Value{sym, b.in(runtime.Int64, mvS(1)), b.ints(5), b.ints(2)}), "float32[B,S,?]"},
		{"expand", b.node(t, "Expand", 1, []*ir.Value{b.in(f, mvS(3), mvS(1)), b.ints(2, 1, 6)}), "float32[2,3,6]"},
		{"tile", b.node(t, "Tile", 1, []*ir.Value{sym, b.ints(1, 2, 3)}), "float32[B,?,36]"},
		{"pad", b.node(t, "Pad", 1, []*ir.Value{st, b.ints(1, -1, 2, 0), nil, b.ints(0, 2)}), "float32[5,3,3]"},
		{"centercroppad", b.node(t, "CenterCropPad", 1, []*ir.Value{st, b.ints(7, 1)}, ir.Ints("axes", 0, -1)), "float32[7,3,1]"},
		{"depthtospace", b.node(t, "DepthToSpace", 1, []*ir.Value{b.in(f, mvS(1), mvS(8), mvS(2), mvS(3))}, ir.Int("blocksize", 2)), "float32[1,2,4,6]"},
		{"spacetodepth", b.node(t, "SpaceToDepth", 1, []*ir.Value{b.in(f, mvS(1), mvS(2), mvS(4), mvS(6))}, ir.Int("blocksize", 2)), "float32[1,8,2,3]"},
		{"onehot", b.node(t, "OneHot", 1, []*ir.Value{b.in(runtime.Int64, mvS(4)), b.ints(5), b.in(f, mvS(2))}, ir.Int("axis", 0)), "float32[5,4]"},
		{"nonzero", b.node(t, "NonZero", 1, []*ir.Value{st}), "int64[3,?]"},
		{"compress", b.node(t, "Compress", 1, []*ir.Value{st, b.in(runtime.Bool, mvS(3))}, ir.Int("axis", 1)), "float32[2,?,4]"},
		{"gather", b.node(t, "Gather", 1, []*ir.Value{sym, b.in(runtime.Int64, mvS(2), mvS(5))}, ir.Int("axis", 1)), "float32[B,2,5,12]"},
		{"gathernd", b.node(t, "GatherND", 1, []*ir.Value{st, b.in(runtime.Int64, mvS(2), mvS(5), mvS(1))}, ir.Int("batch_dims", 1)), "float32[2,5,4]"},
		{"gatherelements", b.node(t, "GatherElements", 1, []*ir.Value{st, b.in(runtime.Int64, mvS(2), mvS(1), mvS(4))}), "float32[2,1,4]"},
		{"resize scales", b.node(t, "Resize", 1, []*ir.Value{b.in(f, mvS(1), mvS(3), mvS(5), mvS(5)), nil, mvF32Const(b, 1, 1, 2.5, 0.5)}), "float32[1,3,12,2]"},
		{"resize sizes", b.node(t, "Resize", 1, []*ir.Value{sym, nil, nil, b.ints(6)}, ir.Ints("axes", -1)), "float32[B,S,6]"},
		{"resize aspect", b.node(t, "Resize", 1, []*ir.Value{b.in(f, mvS(1), mvS(1), mvS(2), mvS(4)), nil, nil, b.ints(4, 4)}, ir.Ints("axes", 2, 3), ir.String("keep_aspect_ratio_policy", "not_smaller")), "float32[1,1,4,8]"},
		{"gridsample", b.node(t, "GridSample", 1, []*ir.Value{b.in(f, mvS(1), mvS(3), mvS(5), mvS(5)), b.in(f, mvS(1), mvS(7), mvS(6), mvS(2))}), "float32[1,3,7,6]"},
		{"affinegrid", b.node(t, "AffineGrid", 1, []*ir.Value{b.in(f, mvS(2), mvS(2), mvS(3)), b.ints(2, 3, 4, 5)}), "float32[2,4,5,2]"},
		{"col2im", b.node(t, "Col2Im", 1, []*ir.Value{b.in(f, mvS(1), mvS(10), mvS(9)), b.ints(5, 5), b.ints(1, 5)}), "float32[1,2,5,5]"},
	}
	for _, c := range cases {
		mvWantType(t, c.name, c.n.Outputs[0].Type, c.want)
	}
	sp := b.node(t, "Split", 3, []*ir.Value{b.in(f, mvS(7), mvS(2))}, ir.Int("num_outputs", 3))
	for i, w := range []string{"float32[3,2]", "float32[3,2]", "float32[1,2]"} {
		mvWantType(t, "split", sp.Outputs[i].Type, w)
	}
	u := b.node(t, "Unique", 4, []*ir.Value{st})
	mvWantType(t, "unique inverse", u.Outputs[2].Type, "int64[24]")

	b.fails(t, "Reshape", 1, []*ir.Value{st, b.ints(5, -1)})
	b.fails(t, "Transpose", 1, []*ir.Value{st}, ir.Ints("perm", 0, 0, 1))
	b.fails(t, "Concat", 1, []*ir.Value{st, b.in(f, mvS(3), mvS(3), mvS(4))}, ir.Int("axis", 1))
	b.fails(t, "Squeeze", 1, []*ir.Value{st, b.ints(0)})
	b.fails(t, "Split", 2, []*ir.Value{st, b.ints(1, 2)})
	b.fails(t, "Gather", 1, []*ir.Value{st, b.ints(2)})
	b.fails(t, "DepthToSpace", 1, []*ir.Value{b.in(f, mvS(1), mvS(6), mvS(2), mvS(3))}, ir.Int("blocksize", 2))
}

func mvSt2(b *mvGraph) *ir.Value { return b.in(runtime.Float32, mvS(2), mvS(3)) }

func mvF32Const(b *mvGraph, v ...float32) *ir.Value {
	t := runtime.New(runtime.Float32, len(v))
	copy(runtime.Data[float32](t), v)
	return b.g.AddConst("f", t)
}

func TestFoldShape(t *testing.T) {
	b := mvNewGraph()
	x := b.in(runtime.Float32, ir.Unknown(), mvS(3), mvS(4))
	n := b.node(t, "Shape", 1, []*ir.Value{x}, ir.Int("start", -2))
	got := Lookup("", "Shape").FoldFromTypes(n)
	if got == nil || !slices.Equal(runtime.Data[int64](got[0]), []int64{3, 4}) {
		t.Errorf("Shape of the static tail did not fold: %v", got)
	}
	n = b.node(t, "Shape", 1, []*ir.Value{x})
	if Lookup("", "Shape").FoldFromTypes(n) != nil {
		t.Error("Shape with an unknown dim folded")
	}
	n = b.node(t, "Size", 1, []*ir.Value{b.in(runtime.Float32, mvS(3), mvS(4))})
	if got := Lookup("", "Size").FoldFromTypes(n); got == nil || runtime.Data[int64](got[0])[0] != 12 {
		t.Errorf("Size did not fold: %v", got)
	}
}

// TestLowerParams lowers one node of every op in this package's files and checks that the
// kernel parameters hold only the field types code generation can print.
func TestLowerParams(t *testing.T) {
	b := mvNewGraph()
	f := runtime.Float32
	x := b.in(f, mvS(1), mvS(2), mvS(4), mvS(4))
	i := b.ints(0)
	nodes := []*ir.Node{
		b.node(t, "Reshape", 1, []*ir.Value{x, b.ints(-1)}),
		b.node(t, "Flatten", 1, []*ir.Value{x}),
		b.node(t, "Squeeze", 1, []*ir.Value{x}),
		b.node(t, "Unsqueeze", 1, []*ir.Value{x, i}),
		b.node(t, "Shape", 1, []*ir.Value{x}),
		b.node(t, "Size", 1, []*ir.Value{x}),
		b.node(t, "ConstantOfShape", 1, []*ir.Value{i}),
		b.node(t, "Range", 1, []*ir.Value{i, i, b.ints(1)}),
		b.node(t, "EyeLike", 1, []*ir.Value{b.in(f, mvS(2), mvS(2))}),
		b.node(t, "Transpose", 1, []*ir.Value{x}),
		b.node(t, "Concat", 1, []*ir.Value{x, x}),
		b.node(t, "Split", 2, []*ir.Value{x}, ir.Int("axis", 1)),
		b.node(t, "Slice", 1, []*ir.Value{x, i, i}),
		b.node(t, "Expand", 1, []*ir.Value{x, b.ints(1)}),
		b.node(t, "Tile", 1, []*ir.Value{x, b.ints(1, 1, 1, 1)}),
		b.node(t, "Pad", 1, []*ir.Value{x, b.ints(0, 0, 0, 0, 0, 0, 0, 0)}),
		b.node(t, "CenterCropPad", 1, []*ir.Value{x, b.ints(1, 2, 4, 4)}),
		b.node(t, "DepthToSpace", 1, []*ir.Value{x}, ir.Int("blocksize", 1)),
		b.node(t, "SpaceToDepth", 1, []*ir.Value{x}, ir.Int("blocksize", 2)),
		b.node(t, "Trilu", 1, []*ir.Value{x}),
		b.node(t, "OneHot", 1, []*ir.Value{i, b.ints(3), b.ints(0, 1)}),
		b.node(t, "NonZero", 1, []*ir.Value{x}),
		b.node(t, "Compress", 1, []*ir.Value{x, b.in(runtime.Bool, mvS(1))}),
		b.node(t, "ReverseSequence", 1, []*ir.Value{x, b.ints(1, 1)}),
		b.node(t, "Unique", 4, []*ir.Value{x}),
		b.node(t, "Col2Im", 1, []*ir.Value{b.in(f, mvS(1), mvS(2), mvS(4)), b.ints(2, 2), b.ints(1, 1)}),
		b.node(t, "Gather", 1, []*ir.Value{x, i}),
		b.node(t, "GatherElements", 1, []*ir.Value{x, x}),
		b.node(t, "GatherND", 1, []*ir.Value{x, b.in(runtime.Int64, mvS(1), mvS(1))}),
		b.node(t, "ScatterElements", 1, []*ir.Value{x, x, x}),
		b.node(t, "Scatter", 1, []*ir.Value{x, x, x}),
		b.node(t, "ScatterND", 1, []*ir.Value{x, x, x}),
		b.node(t, "Resize", 1, []*ir.Value{x, nil, mvF32Const(b, 1, 1, 2, 2)}),
		b.node(t, "GridSample", 1, []*ir.Value{x, b.in(f, mvS(1), mvS(3), mvS(3), mvS(2))}),
		b.node(t, "AffineGrid", 1, []*ir.Value{b.in(f, mvS(1), mvS(2), mvS(3)), b.ints(1, 1, 2, 2)}),
	}
	allowed := map[reflect.Kind]bool{reflect.Int: true, reflect.Int64: true, reflect.Float32: true,
		reflect.Float64: true, reflect.Bool: true, reflect.String: true, reflect.Uint8: true}
	for _, n := range nodes {
		c, err := Lookup("", n.Op).Lower(n)
		if err != nil {
			t.Errorf("%s: %v", n.Op, err)
			continue
		}
		pt := reflect.TypeOf(c.Params).Elem()
		for k := 0; k < pt.NumField(); k++ {
			ft := pt.Field(k).Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if !allowed[ft.Kind()] || !pt.Field(k).IsExported() {
				t.Errorf("%s: parameter field %s has type %s", n.Op, pt.Field(k).Name, pt.Field(k).Type)
			}
		}
		if c.Entry == lowered.NoEntry {
			t.Errorf("%s: no kernel name", n.Op)
		}
	}
}

// TestInterpretChain runs a small graph of these ops on the reference interpreter.
func TestInterpretChain(t *testing.T) {
	b := mvNewGraph()
	x := b.in(runtime.Float32, mvS(2), mvS(3))
	u := b.node(t, "Unsqueeze", 1, []*ir.Value{x, b.ints(0)})
	tr := b.node(t, "Transpose", 1, []*ir.Value{u.Outputs[0]}, ir.Ints("perm", 0, 2, 1))
	sl := b.node(t, "Slice", 1, []*ir.Value{tr.Outputs[0], b.ints(-1), b.ints(-1 << 62), b.ints(1), b.ints(-1)})
	fl := b.node(t, "Flatten", 1, []*ir.Value{sl.Outputs[0]}, ir.Int("axis", 0))
	b.g.Outputs = []*ir.Value{fl.Outputs[0]}
	mvWantType(t, "chain", fl.Outputs[0].Type, "float32[1,6]")
	in := runtime.New(runtime.Float32, 2, 3)
	copy(runtime.Data[float32](in), []float32{1, 2, 3, 4, 5, 6})
	res, err := Interpret(runtime.NewExec(nil), b.g, []*runtime.Tensor{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Transposed rows are [1 4] [2 5] [3 6]; reversed: [3 6] [2 5] [1 4].
	if got := runtime.Data[float32](res[0]); !slices.Equal(got, []float32{3, 6, 2, 5, 1, 4}) {
		t.Errorf("got %v", got)
	}
}

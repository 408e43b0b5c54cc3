package compiler

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
)

// Hostile and broken models (testdata/hostile, written by scripts/make-hostile-models.py) get
// one error that names the file and the problem, and nothing else: no panic, no output.
func TestHostileModels(t *testing.T) {
	dir := filepath.Join("..", "testdata", "hostile")
	cases := []struct {
		file, want string
	}{
		{"empty.onnx", "empty file, not an ONNX model"},
		{"random.onnx", "not a valid ONNX model"},
		{"truncated.onnx", "not a valid ONNX model"},
		{"cycle.onnx", `cycle through Relu node producing "a"`},
		{"undefined_input.onnx", `Add node producing "y": input "nosuch" is not defined`},
		{"unknown_op.onnx", "1 unsupported op(s) in 1 node(s): FrobnicateX\n  FrobnicateX (domain ai.onnx, opset 17)"},
		{"unknown_domain.onnx", "uses domain com.evil, which the model does not import"},
		{"future_opset.onnx", "imports ai.onnx opset 99; onnxc knows opsets up to"},
		{"attribute_type.onnx", `Transpose node #0: attribute "perm" is string, want ints`},
		{"huge_initializer.onnx", `tensor "w" of type float32[1000000 1000000] has no data`},
		{"huge_initializer_raw.onnx", `tensor "w" has 8 bytes of raw_data, want 4000000000000`},
		{"constant_of_shape_huge.onnx", "ConstantOfShape node #0: output float32[1000000,1000000] (4000000000000 bytes) would take more than the limit of 17179869184 bytes per tensor (--max-tensor-bytes raises it)"},
		{"range_huge.onnx", "Range node #0: output int64[10000000000000] (80000000000000 bytes) would take more than the limit"},
		{"external_relative_outside.onnx", "which leaves the model's folder"},
		{"external_absolute.onnx", "absolute path"},
		{"external_past_end.onnx", `external data "short.bin" [4, 4+8), beyond its end (8 bytes)`},
		{"external_symlink.onnx", "leaves the model's folder through a symbolic link"},
	}
	link := t.TempDir() // a symlink in the model's folder that points out of it
	data, err := os.ReadFile(filepath.Join(dir, "external_symlink.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(link, "external_symlink.onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(link, "link.bin")); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			if c.file == "external_symlink.onnx" {
				path = filepath.Join(link, c.file)
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Compile(path, Options{Verify: true})
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("compiled")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want one naming %s and containing %q", msg, path, c.want)
			}
			// Compile-time memory stays near the file's size: nothing allocates what the
			// model merely claims.
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
				t.Errorf("compiling allocated %d MB", grown>>20)
			}
		})
	}
	// The bound is an option: lowered below the size of a real model's tensors, it refuses them.
	_, err = Compile(filepath.Join("..", "testdata", "quickstart", "cls.onnx"), Options{Shapes: map[string][]int{"x": {1, 3, 48, 192}}, MaxTensorBytes: 100 << 10})
	if want := `output float32[1,24,12,96] (110592 bytes) would take more than the limit of 102400 bytes`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("with MaxTensorBytes 100 KiB: %v, want an error containing %q", err, want)
	}
	// Deep nesting is not an error: it compiles (in near-linear time; see the frontend).
	if _, err := Compile(filepath.Join(dir, "nested_if_1000.onnx"), Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
}

// chainModel is an ONNX model of n nodes in one chain, alternating Softmax and Relu over
// float32[4] (two ops that neither fold nor fuse into each other, so every node stays a kernel).
func chainModel(n int) []byte {
	vi := func(name string) *onnxpb.ValueInfoProto {
		dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 4}}}
		tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
	}
	g := &onnxpb.GraphProto{Name: proto.String("chain"), Input: []*onnxpb.ValueInfoProto{vi("x")}, Output: []*onnxpb.ValueInfoProto{vi("y")}}
	prev := "x"
	for i := range n {
		op, out := "Softmax", fmt.Sprintf("t%d", i)
		if i%2 == 1 {
			op = "Relu"
		}
		if i == n-1 {
			out = "y"
		}
		g.Node = append(g.Node, &onnxpb.NodeProto{OpType: proto.String(op), Input: []string{prev}, Output: []string{out}})
		prev = out
	}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g, OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}}}
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// A 100k-node chain compiles, and its generated package is made of functions and files of
// bounded size. On the 2-core test machine compiling it takes about 20 s and 1.5 GB, and
// go build of the generated package (not done here) about 110 s and 4.4 GB; 10k nodes: 2 s
// and 5 s. Before the split, go build of its one 26 MB function did not finish in 15 minutes.
func TestHostileChain100k(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	path := filepath.Join(t.TempDir(), "chain100k.onnx")
	if err := os.WriteFile(path, chainModel(100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Compile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(m, "chain", "chain100k.onnx")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for name, src := range files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if len(src) > 12<<20 {
			t.Errorf("%s: %d MB", name, len(src)>>20)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if k := len(fn.Body.List); k > 2000 {
				t.Errorf("%s: func %s has %d statements", name, fn.Name.Name, k)
			}
			calls += strings.Count(string(src[fn.Body.Pos()-1:fn.Body.End()-1]), "s.x.Tick(")
		}
	}
	if calls != 100_000+1 { // every kernel and the start of the run
		t.Errorf("%d kernel ticks, want %d", calls, 100_000+1)
	}
}

package compiler

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
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
		{"unknown_op.onnx", "FrobnicateX (domain ai.onnx, opset 17)"},
		{"unknown_domain.onnx", "uses domain com.evil, which the model does not import"},
		{"future_opset.onnx", "imports ai.onnx opset 99; onnxc knows opsets up to"},
		{"attribute_type.onnx", `Transpose node #0: attribute "perm" is string, want ints`},
		{"huge_initializer.onnx", `tensor "w" of type float32[1000000 1000000] has no data`},
		{"huge_initializer_raw.onnx", `tensor "w" has 8 bytes of raw_data, want 4000000000000`},
		{"constant_of_shape_huge.onnx", "ConstantOfShape node #0: output float32[1000000,1000000] would take more than the limit"},
		{"range_huge.onnx", "Range node #0: output int64[10000000000000] would take more than the limit"},
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
	// Deep nesting is not an error: it compiles (in near-linear time; see the frontend).
	if _, err := Compile(filepath.Join(dir, "nested_if_1000.onnx"), Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
}

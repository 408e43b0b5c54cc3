package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/onnxc/onnxc/ir"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenModels are small models whose IR after the pipeline and generated Go are kept under
// testdata/golden, so that a reviewer sees in `git diff testdata/` what a change did to them.
var goldenModels = map[string]string{
	"add_bcast":  "../testdata/onnx-backend/node/test_add_bcast/model.onnx",
	"conv_pads":  "../testdata/onnx-backend/node/test_conv_with_strides_padding/model.onnx",
	"reshape":    "../testdata/onnx-backend/node/test_reshape_negative_dim/model.onnx",
	"reduce_old": "../testdata/onnx-backend/pytorch-operator/test_operator_reduced_mean_keepdim/model.onnx",
	"chunk":      "../testdata/onnx-backend/pytorch-operator/test_operator_chunk/model.onnx",
	"cls":        "../testdata/quickstart/cls.onnx",
}

// goldenShapes pins inputs as --shape would, to show code specialized to static shapes.
var goldenShapes = map[string]map[string][]int{"cls": {"x": {1, 3, 48, 192}}}

func TestGolden(t *testing.T) {
	for name, path := range goldenModels {
		t.Run(name, func(t *testing.T) {
			opt := Options{Verify: true, Shapes: goldenShapes[name]}
			m, err := Compile(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			files, err := Generate(m, name, filepath.Base(path))
			if err != nil {
				t.Fatal(err)
			}
			again, err := Compile(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			files2, err := Generate(again, name, filepath.Base(path))
			if err != nil {
				t.Fatal(err)
			}
			for f := range files {
				if !bytes.Equal(files[f], files2[f]) {
					t.Errorf("%s: two compilations differ: generation is not deterministic", f)
				}
			}
			var irText bytes.Buffer
			if err := ir.Print(&irText, m); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("..", "testdata", "golden", name+".ir"), irText.Bytes())
			checkGolden(t, filepath.Join("..", "testdata", "golden", name+".go.golden"), files["model.go"])
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file; review and rerun with -update:\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return "line " + itoa(i+1) + ":\n- " + string(la[i]) + "\n+ " + string(lb[i])
		}
	}
	return "lengths differ"
}

func itoa(i int) string { return strconv.Itoa(i) }

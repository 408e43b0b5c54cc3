package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
)

// firstDir returns the first of the candidate folders (relative to this package) that exists.
func firstDir(candidates ...string) string {
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
	}
	return ""
}

// backendDir is the ONNX backend test suite: vendored under testdata, or the shared copy beside
// the repository.
func backendDir() string {
	return firstDir("../../testdata/onnx-backend", "../../../shared/onnx-backend")
}

func modelsDir() string {
	return firstDir("../../testdata/models", "../../../shared/models")
}

// TestLoadBackendSuite imports every model of the backend test suite and checks the IR's
// invariants.
func TestLoadBackendSuite(t *testing.T) {
	dir := backendDir()
	if dir == "" {
		t.Skip("ONNX backend test suite not found (testdata/onnx-backend or ../shared/onnx-backend)")
	}
	n := 0
	for _, sub := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*", "model.onnx"))
		for _, f := range files {
			n++
			checkLoad(t, f)
		}
	}
	if n == 0 {
		t.Skipf("no models under %s", dir)
	}
	t.Logf("loaded %d models", n)
}

// TestLoadRealModels imports the real models (PaddleOCR, silero VAD with If subgraphs, a model
// whose initializers are also graph inputs).
func TestLoadRealModels(t *testing.T) {
	dir := modelsDir()
	if dir == "" {
		t.Skip("models folder not found")
	}
	a, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	b, _ := filepath.Glob(filepath.Join(dir, "more", "*.onnx"))
	files := append(a, b...)
	if len(files) == 0 {
		t.Skipf("no models under %s", dir)
	}
	for _, f := range files {
		m := checkLoad(t, f)
		if m == nil {
			continue
		}
		if strings.Contains(f, "version-RFB-320.onnx") {
			defaults := 0
			for _, in := range m.Graph.Inputs {
				if in.Default != nil {
					defaults++
				}
			}
			if defaults == 0 {
				t.Errorf("%s: initializers listed as inputs did not become inputs with defaults", f)
			}
		}
	}
}

func checkLoad(t *testing.T, path string) *ir.Model {
	t.Helper()
	m, err := Load(path)
	if err != nil {
		t.Errorf("%v", err)
		return nil
	}
	if err := ir.Verify(m, false); err != nil {
		t.Errorf("%s: invalid IR: %v", path, err)
		return nil
	}
	return m
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTargetCUDA: build --target cuda writes the package (PTX files, both halves of the host
// code), inspect --target cuda lists every kernel's placement with the counts, and the
// mistakes get clear errors.
func TestTargetCUDA(t *testing.T) {
	model := filepath.Join(quickstart, "cls.onnx")
	dir := filepath.Join(t.TempDir(), "clscuda")
	stdout, stderr, code := onnxc(t, ".", "build", "--target", "cuda", model, "--shape", "x=1x3x48x192", "-o", dir)
	if code != 0 || !strings.Contains(stdout, "GPU kernels") {
		t.Fatalf("build --target cuda: %s%s", stdout, stderr)
	}
	for _, name := range []string{"model.go", "device_cuda.go", "device_nocuda.go", "weights.bin"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if ptx, _ := filepath.Glob(filepath.Join(dir, "*.ptx")); len(ptx) == 0 {
		t.Error("no .ptx files written")
	}
	stdout, stderr, code = onnxc(t, ".", "inspect", "--target", "cuda", model, "--shape", "x=1x3x48x192")
	if code != 0 || !strings.Contains(stdout, "gpu_kernels=") || !strings.Contains(stdout, "GPU  ") {
		t.Fatalf("inspect --target cuda: %s%s", stdout, stderr)
	}
	// Dims fixed only at run time: the backend needs them pinned, and says so.
	if _, stderr, code := onnxc(t, ".", "build", "--target", "cuda", model, "-o", filepath.Join(t.TempDir(), "y")); code == 0 || !strings.Contains(stderr, "--shape") {
		t.Errorf("symbolic dims: exit %d, stderr %q", code, stderr)
	}
	for _, c := range [][]string{
		{"build", "--target", "tpu", model},
		{"build", "--tf32", model},
		{"build", "--target", "cuda", "--bin", model, "-o", filepath.Join(t.TempDir(), "x")},
	} {
		if _, stderr, code := onnxc(t, ".", c...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", c, code, stderr)
		}
	}
}

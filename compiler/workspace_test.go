package compiler

import (
	"os"
	"path/filepath"
	"testing"
)

// A runtime file left in a workspace by another onnxc version is removed, not compiled in.
func TestWorkspaceDropsStaleRuntimeFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "onnxc-runtime", "runtime", "gone.go")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("package runtime\n\nfunc Gone() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorkspace(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale runtime file still there (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "onnxc-runtime", "runtime", "tensor.go")); err != nil {
		t.Errorf("runtime not written: %v", err)
	}
}

package compiler

import (
	"os"
	"path/filepath"
	"strings"
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

// A package write that fails part way (here: a file, written after model.go, whose folder does not exist, as a full
// disk fails a write) changes nothing: the old files stay and no temporary file is left.
func TestWritePackageAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "model.go")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WritePackage(dir, map[string][]byte{"model.go": []byte("new"), "zz/weights.bin": []byte("w")})
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("model.go is %q after a failed write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if err := WritePackage(dir, map[string][]byte{"model.go": []byte("new"), "weights.bin": []byte("w")}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(old); string(b) != "new" {
		t.Errorf("model.go is %q", b)
	}
}

// Rewriting a package drops the part files of an earlier, larger model, which would not
// compile with the new model.go.
func TestWritePackageRemovesStaleParts(t *testing.T) {
	dir := t.TempDir()
	if err := WritePackage(dir, map[string][]byte{"model.go": []byte("a"), "model_part0.go": []byte("a"), "model_part1.go": []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if err := WritePackage(dir, map[string][]byte{"model.go": []byte("b"), "model_part0.go": []byte("b")}); err != nil {
		t.Fatal(err)
	}
	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "model.go model_part0.go" {
		t.Errorf("files after the rewrite: %v", names)
	}
}

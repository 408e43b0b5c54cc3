package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/onnxc/onnxc"
	gogen "github.com/onnxc/onnxc/codegen/go"
	"github.com/onnxc/onnxc/compiler/mains"
)

// Workspace is a scratch Go module in which onnxc builds generated packages and the programs
// that drive them. The onnxc runtime is written beside it as a local module, so building needs
// neither this repository nor the network.
type Workspace struct {
	Dir string
}

// ModulePath is the scratch module's path.
const ModulePath = "onnxcwork"

// NewWorkspace prepares dir (created if needed).
func NewWorkspace(dir string) (*Workspace, error) {
	w := &Workspace{Dir: dir}
	rtDir := filepath.Join(dir, "onnxc-runtime", "runtime")
	if err := os.MkdirAll(rtDir, 0o755); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	err := fs.WalkDir(onnxc.RuntimeSource, "runtime", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := onnxc.RuntimeSource.ReadFile(path)
		if err != nil {
			return err
		}
		want[filepath.Base(path)] = true
		return writeIfChanged(filepath.Join(dir, "onnxc-runtime", path), data)
	})
	if err != nil {
		return nil, err
	}
	// A workspace made by another onnxc version may hold runtime files this one does not
	// have; left there they would be compiled in.
	old, err := os.ReadDir(rtDir)
	if err != nil {
		return nil, err
	}
	for _, e := range old {
		if !want[e.Name()] {
			if err := os.RemoveAll(filepath.Join(rtDir, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	files := map[string]string{
		filepath.Join("onnxc-runtime", "go.mod"): "module github.com/onnxc/onnxc\n\ngo " + onnxc.GoVersion + "\n",
		"go.mod":                                 "module " + ModulePath + "\n\ngo " + onnxc.GoVersion + "\n\nrequire github.com/onnxc/onnxc v0.0.0\n\nreplace github.com/onnxc/onnxc => ./onnxc-runtime\n",
	}
	for name, data := range files {
		if err := writeIfChanged(filepath.Join(dir, name), []byte(data)); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// writeIfChanged keeps file times stable so the Go build cache stays warm.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o644)
}

// AddPackage writes a generated package at rel (a slash path inside the module) and returns
// its import path.
func (w *Workspace) AddPackage(rel string, files gogen.Files) (string, error) {
	dir := filepath.Join(w.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, data := range files {
		if err := writeIfChanged(filepath.Join(dir, name), data); err != nil {
			return "", err
		}
	}
	if err := removeStaleParts(dir, files); err != nil {
		return "", err
	}
	return ModulePath + "/" + rel, nil
}

// RemovePackage deletes a package written by AddPackage.
func (w *Workspace) RemovePackage(rel string) error {
	return os.RemoveAll(filepath.Join(w.Dir, filepath.FromSlash(rel)))
}

// Build compiles the main package at rel into out as a static binary (CGO_ENABLED=0).
func (w *Workspace) Build(rel, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./"+rel)
	cmd.Dir = w.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return &BuildError{Output: stderr.String(), Err: err}
	}
	return nil
}

// BuildError carries the go command's output.
type BuildError struct {
	Output string
	Err    error
}

func (e *BuildError) Error() string {
	out := e.Output
	if len(out) > 4000 {
		out = out[:4000] + "\n..."
	}
	return fmt.Sprintf("go build: %v\n%s", e.Err, out)
}

// BuildBinary builds the driver program (compiler/mains/binmain.go) around a generated package
// into out, via a temporary name so that a failed build leaves nothing behind.
func (w *Workspace) BuildBinary(files gogen.Files, out string) error {
	h := sha256.New()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s %d\n", n, len(files[n]))
		h.Write(files[n])
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	rel := "models/m" + key
	if _, err := w.AddPackage(rel, files); err != nil {
		return err
	}
	src := strings.Replace(mains.Bin, "//go:build ignore\n", "", 1)
	src = strings.Replace(src, ModulePath+"/MODELPKG", ModulePath+"/"+rel, 1)
	mainRel := "cmd/m" + key
	if _, err := w.AddPackage(mainRel, gogen.Files{"main.go": []byte(src)}); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	tmp := abs + ".tmp"
	if err := w.Build(mainRel, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, abs)
}

package onnxpb

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates onnx.pb.go when protoc and protoc-gen-go are installed and
// fails if the committed file differs (apart from the tool versions in its header), so that an
// edit to onnx.proto cannot go uncommitted.
func TestGeneratedUpToDate(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not installed")
	}
	if _, err := exec.LookPath("protoc-gen-go"); err != nil {
		t.Skip("protoc-gen-go not installed")
	}
	out := t.TempDir()
	cmd := exec.Command("protoc", "--proto_path=../../..", "--go_out="+out, "--go_opt=paths=source_relative", "frontend/onnx/onnxpb/onnx.proto")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(filepath.Join(out, "frontend", "onnx", "onnxpb", "onnx.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("onnx.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stripVersions(fresh), stripVersions(committed)) {
		t.Error("onnx.pb.go is stale: run go generate ./frontend/onnx/onnxpb")
	}
}

// stripVersions drops the header lines naming the protoc and protoc-gen-go versions.
func stripVersions(b []byte) []byte {
	var keep [][]byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("// \tprotoc")) {
			continue
		}
		keep = append(keep, line)
	}
	return bytes.Join(keep, []byte("\n"))
}

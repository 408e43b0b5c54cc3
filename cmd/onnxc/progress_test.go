package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBuildOutput: build --bin says what it wrote and nothing on a piped stderr; -v times each
// phase and pass; run prints a summary with the values of a small output.
func TestBuildOutput(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(quickstart, "cls.onnx")
	bin := filepath.Join(dir, "cls")
	stdout, stderr, code := onnxc(t, ".", "build", "--bin", model, "-o", bin)
	if code != 0 {
		t.Fatalf("build --bin: %s", stderr)
	}
	if stderr != "" {
		t.Errorf("piped stderr should stay quiet, got %q", stderr)
	}
	if !regexp.MustCompile(`^wrote .*cls \(\d+\.\d MB\)\n$`).MatchString(stdout) {
		t.Errorf("build --bin printed %q, want what it wrote and its size", stdout)
	}
	_, stderr, code = onnxc(t, ".", "build", model, "-o", filepath.Join(dir, "pkg"), "-v")
	if code != 0 {
		t.Fatalf("build -v: %s", stderr)
	}
	for _, phase := range []string{"load", "pass infer", "pass fuse", "pass dce", "passes", "lower", "generate", "write", "total"} {
		if !regexp.MustCompile(`(?m)^onnxc: +` + phase + ` +\d+\.\d ms$`).MatchString(stderr) {
			t.Errorf("-v output lacks a timed %q line:\n%s", phase, stderr)
		}
	}
	stdout, stderr, code = onnxc(t, ".", "run", model, "--input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"))
	if code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if !regexp.MustCompile(`^softmax_0.tmp_0: float32 1x2 min=0\.\d+ max=0\.\d+ mean=0\.5 \[0\.\d+ 0\.\d+\]\n$`).MatchString(stdout) {
		t.Errorf("run printed %q, want a summary with the two values", stdout)
	}
}

// TestProgressBar: on a terminal the bar names the phase, counts phases and is erased at the end.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := startProgress(&buf, true, false, []string{"load", "passes", "go build"})
	p.Phase("load")
	p.Phase("passes")
	time.Sleep(250 * time.Millisecond) // one redraw by the clock
	p.Done()
	p.Done()
	out := buf.String()
	for _, want := range []string{"] 1/3 load", "] 2/3 passes", "\r\033[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q: %q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("bar not erased at the end: %q", out)
	}
	if strings.Count(out, "2/3 passes") < 2 {
		t.Errorf("the clock did not redraw the bar: %q", out)
	}
}

// TestProgressOnTerminal runs build --bin on a pseudo-terminal (util-linux's script), where
// the bar shows on stderr and is erased before the result is printed.
func TestProgressOnTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to make a terminal")
	}
	bin := filepath.Join(t.TempDir(), "cls")
	cmd := exec.Command("script", "-qec", onnxcBin+" build --bin "+filepath.Join(quickstart, "cls.onnx")+" -o "+bin, "/dev/null")
	cmd.Env = append(os.Environ(), "ONNXC_CACHE="+filepath.Join(os.TempDir(), "onnxc-cli-cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	s := string(out)
	for _, want := range []string{"onnxc [", "] 1/5 load", "] 5/5 go build", "\r\033[Kwrote " + bin} {
		if !strings.Contains(s, want) {
			t.Errorf("terminal output lacks %q: %q", want, s)
		}
	}
}

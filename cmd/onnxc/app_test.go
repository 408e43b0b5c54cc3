package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	rt "github.com/onnxc/onnxc/runtime"
)

// TestAppModule is what the README tells an app to do: a module outside the repository that
// gets onnxc with `go get -tool` (a replace points at this checkout, where an app would name a
// tagged version), compiles the shipped model with //go:generate go tool onnxc, builds and runs.
// Then it cross-compiles the same app without a C toolchain (CGO_ENABLED=0) for linux/arm64,
// darwin/arm64, windows/amd64 and js/wasm, and runs the arm64 binary under qemu-user and the
// wasm one under node, whose outputs must match the amd64 run's.
func TestAppModule(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the runtime four times")
	}
	app := t.TempDir()
	model := abs(t, filepath.Join(quickstart, "cls.onnx"))
	input := abs(t, filepath.Join(quickstart, "test_data_set_0", "input_0.pb"))
	// The app's go.sum starts as the checkout's: the test has no network to verify modules.
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n",
		"go.sum":  string(sum),
		"main.go": appMain("go tool onnxc build " + model + " -o cls -pkg cls"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "CGO_ENABLED=0")
	goCmd := func(extraEnv []string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = app, append(env, extraEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s go %s: %v\n%s", strings.Join(extraEnv, " "), strings.Join(args, " "), err, out)
		}
	}
	goCmd(nil, "mod", "edit", "-replace", "github.com/onnxc/onnxc="+repoRoot(t))
	goCmd(nil, "get", "-tool", "github.com/onnxc/onnxc/cmd/onnxc")
	goCmd(nil, "generate", "./...")
	goCmd(nil, "build", "-o", "app", ".")
	native := appOutput(t, exec.Command(filepath.Join(app, "app"), input))
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	if err := rt.Compare(want, native, 1e-3, 1e-4); err != nil {
		t.Fatalf("native run against the expected output: %v", err)
	}
	t.Logf("linux/amd64: %v", rt.Data[float32](native))

	goroot := strings.TrimSpace(goEnv(t, "GOROOT"))
	for _, c := range []struct {
		goos, goarch string
		runner       []string // command that runs the binary on this machine; nil: build only
	}{
		{"linux", "arm64", []string{"qemu-aarch64"}},
		{"darwin", "arm64", nil},
		{"windows", "amd64", nil},
		{"js", "wasm", []string{"node", filepath.Join(goroot, "lib", "wasm", "wasm_exec_node.js")}},
	} {
		target := c.goos + "/" + c.goarch
		bin := filepath.Join(app, "app-"+c.goos+"-"+c.goarch)
		goCmd([]string{"GOOS=" + c.goos, "GOARCH=" + c.goarch}, "build", "-o", bin, ".")
		if c.runner == nil {
			t.Logf("%s: built", target)
			continue
		}
		if _, err := exec.LookPath(c.runner[0]); err != nil {
			if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
				t.Errorf("%s: %s is not installed (the test set-up installs it)", target, c.runner[0])
			} else {
				t.Logf("%s: built; %s is not installed to run it", target, c.runner[0])
			}
			continue
		}
		args := append(append(c.runner[1:len(c.runner):len(c.runner)], bin), input)
		got := appOutput(t, exec.Command(c.runner[0], args...))
		if err := rt.Compare(native, got, 1e-4, 1e-6); err != nil {
			t.Errorf("%s against linux/amd64: %v", target, err)
		}
		t.Logf("%s: %v", target, rt.Data[float32](got))
	}
}

// appOutput runs the app and reads the output tensor it writes to stdout.
func appOutput(t *testing.T, cmd *exec.Cmd) *rt.Tensor {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	got, _, err := rt.ReadTensorProto(out)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return got
}

// appMain is the main package of the test apps: it runs the classifier, compiled by the
// generate directive, on the tensor file named by its argument and writes the output to stdout.
func appMain(generate string) string {
	return `package main

//go:generate ` + generate + `

import (
	"context"
	"fmt"
	"os"

	"example.com/app/cls"
	"github.com/onnxc/onnxc/runtime"
)

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	x, _, err := runtime.ReadTensorProto(data)
	if err != nil {
		panic(err)
	}
	m, err := cls.New(cls.WithThreads(1))
	if err != nil {
		panic(err)
	}
	out, err := m.Run(context.Background(), cls.Inputs{X: x})
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(runtime.WriteTensorProto("out", out.Softmax0Tmp0))
	fmt.Fprintln(os.Stderr, "ok")
}
`
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestBinCrossCompile: build --bin honours GOOS and GOARCH, so a static binary for another
// machine needs no more than the environment; the arm64 one runs under qemu-user.
func TestBinCrossCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the runtime")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cls-arm64")
	cmd := exec.Command(onnxcBin, "build", "--bin", filepath.Join(quickstart, "cls.onnx"), "-o", bin)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "ONNXC_CACHE="+filepath.Join(os.TempDir(), "onnxc-cli-cache"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=arm64 build --bin: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("qemu-aarch64"); err != nil {
		if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
			t.Fatal("qemu-aarch64 is not installed (the test set-up installs it)")
		}
		t.Skip("no qemu-aarch64 to run the arm64 binary")
	}
	out := filepath.Join(dir, "out")
	run := exec.Command("qemu-aarch64", bin, "-input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"), "-output-dir", out)
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	if err := rt.Compare(want, readPB(t, filepath.Join(out, "softmax_0.tmp_0.pb")), 1e-3, 1e-4); err != nil {
		t.Fatal(err)
	}
}

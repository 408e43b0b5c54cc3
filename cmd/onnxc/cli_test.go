package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	rt "github.com/onnxc/onnxc/runtime"
)

// The tests here drive the real onnxc binary the way users do.

var onnxcBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onnxc-cli")
	if err != nil {
		panic(err)
	}
	onnxcBin = filepath.Join(dir, "onnxc")
	build := exec.Command("go", "build", "-o", onnxcBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building onnxc: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

const quickstart = "../../testdata/quickstart"

// onnxc runs the binary and returns stdout, stderr and the exit code.
func onnxc(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(onnxcBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ONNXC_CACHE="+filepath.Join(os.TempDir(), "onnxc-cli-cache"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func readPB(t *testing.T, path string) *rt.Tensor {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tt, _, err := rt.ReadTensorProto(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tt
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestGoGenerate makes a fresh app module that compiles a shipped model with //go:generate,
// builds it and checks its output against onnxruntime's.
func TestGoGenerate(t *testing.T) {
	app := t.TempDir()
	model := abs(t, filepath.Join(quickstart, "cls.onnx"))
	input := abs(t, filepath.Join(quickstart, "test_data_set_0", "input_0.pb"))
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n\nrequire github.com/onnxc/onnxc v0.0.0\n\nreplace github.com/onnxc/onnxc => " + repoRoot(t) + "\n",
		"main.go": appMain("onnxc build " + model + " -o cls -pkg cls"),
	}
	// The app's own test checks what users rely on: warm runs on static shapes allocate nothing,
	// and concurrent runs on one Model give the same answers.
	files["main_test.go"] = `package main

import (
	"context"
	"os"
	"sync"
	"testing"

	"example.com/app/cls"
	"github.com/onnxc/onnxc/runtime"
)

func input(t *testing.T) *runtime.Tensor {
	data, err := os.ReadFile("` + input + `")
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := runtime.ReadTensorProto(data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestNoAllocsWhenWarm(t *testing.T) {
	m, err := cls.New(cls.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	in := cls.Inputs{X: input(t)}
	var out cls.Outputs
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := m.RunInto(ctx, in, &out); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := m.RunInto(ctx, in, &out); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per warm run: %v", allocs)
	if allocs > 0 {
		t.Errorf("a warm run allocates %v times", allocs)
	}
}

func TestConcurrentRuns(t *testing.T) {
	m, err := cls.New(cls.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	x := input(t)
	want, err := m.Run(context.Background(), cls.Inputs{X: x})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				got, err := m.Run(context.Background(), cls.Inputs{X: x})
				if err != nil {
					t.Error(err)
					return
				}
				if err := runtime.Compare(want.Softmax0Tmp0, got.Softmax0Tmp0, 0, 0); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
`
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "PATH="+filepath.Dir(onnxcBin)+string(os.PathListSeparator)+os.Getenv("PATH"), "GOFLAGS=-mod=mod", "GOWORK=off")
	for _, args := range [][]string{{"generate", "./..."}, {"build", "-o", "app", "."}, {"vet", "./..."}, {"test", "-v", "-count=1", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = app, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "test" {
			t.Logf("app tests:\n%s", out)
		}
	}
	cmd := exec.Command(filepath.Join(app, "app"), input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	got, _, err := rt.ReadTensorProto(out)
	if err != nil {
		t.Fatal(err)
	}
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	if err := rt.Compare(want, got, 1e-3, 1e-4); err != nil {
		t.Fatal(err)
	}

	// The generated package imports only the runtime and the standard library; the runtime's
	// own dependencies are the CPU feature detection of golang.org/x/sys/cpu and nothing else.
	imports := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, "./cls")
	imports.Dir, imports.Env = app, env
	direct, err := imports.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range strings.Fields(string(direct)) {
		if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") && d != "github.com/onnxc/onnxc/runtime" {
			t.Errorf("generated package imports %s", d)
		}
	}
	list := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./cls")
	list.Dir, list.Env = app, env
	deps, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	var nonStd []string
	for _, d := range strings.Fields(string(deps)) {
		if d != "example.com/app/cls" {
			nonStd = append(nonStd, d)
		}
	}
	sort.Strings(nonStd)
	if strings.Join(nonStd, " ") != "github.com/onnxc/onnxc/runtime golang.org/x/sys/cpu" {
		t.Errorf("generated package depends on %v, want only github.com/onnxc/onnxc/runtime and golang.org/x/sys/cpu", nonStd)
	}
}

// TestBin builds a static binary of the shipped model and runs it.
func TestBin(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cls")
	if _, stderr, code := onnxc(t, ".", "build", "--bin", filepath.Join(quickstart, "cls.onnx"), "-o", bin); code != 0 {
		t.Fatalf("build --bin: %s", stderr)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("binary has an ELF interpreter: not statically linked")
			}
		}
		f.Close()
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "-input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"), "-output-dir", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	got := readPB(t, filepath.Join(out, "softmax_0.tmp_0.pb"))
	if err := rt.Compare(want, got, 1e-3, 1e-4); err != nil {
		t.Fatal(err)
	}
	// Wrong input shape and type: clear errors, no panic.
	bad := filepath.Join(dir, "bad.pb")
	if err := os.WriteFile(bad, rt.WriteTensorProto("x", rt.New(rt.Float32, 1, 3, 48)), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(bin, "-input", "x="+bad).CombinedOutput()
	if err == nil || !strings.Contains(string(msg), `input "x" has shape [1 3 48]`) || strings.Contains(string(msg), "panic") {
		t.Errorf("wrong shape: err %v, output %s", err, msg)
	}
	if err := os.WriteFile(bad, rt.WriteTensorProto("x", rt.New(rt.Int64, 1, 3, 48, 192)), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err = exec.Command(bin, "-input", "x="+bad).CombinedOutput()
	if err == nil || !strings.Contains(string(msg), `input "x" has element type int64, want float32`) {
		t.Errorf("wrong type: err %v, output %s", err, msg)
	}
}

// TestRun compiles through the cache and runs.
func TestRun(t *testing.T) {
	out := t.TempDir()
	_, stderr, code := onnxc(t, ".", "run", filepath.Join(quickstart, "cls.onnx"), "--input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"), "--output-dir", out)
	if code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	if err := rt.Compare(want, readPB(t, filepath.Join(out, "softmax_0.tmp_0.pb")), 1e-3, 1e-4); err != nil {
		t.Fatal(err)
	}
}

// TestQuantize writes the shipped model's int8 form as ONNX, reports its accuracy against
// float32 (--report) and runs it: its class probabilities stay within 0.05 of the float32
// model's.
func TestQuantize(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "cls_int8.onnx")
	stdout, stderr, code := onnxc(t, ".", "quantize", filepath.Join(quickstart, "cls.onnx"), q, "--quantize-ops", "Conv,MatMul",
		"--report", "--input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"))
	if code != 0 || !strings.Contains(stdout, "Conv: per tensor") || !strings.Contains(stdout, "wrote "+q) ||
		!strings.Contains(stdout, "softmax_0.tmp_0 [1 2]: max |diff| ") || !strings.Contains(stdout, "argmax agrees on 1 of 1 rows") {
		t.Fatalf("quantize: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("onnxc quantize --report:\n%s", stdout)
	_, stderr, code = onnxc(t, ".", "run", q, "--input", "x="+filepath.Join(quickstart, "test_data_set_0", "input_0.pb"), "--output-dir", dir)
	if code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	want := readPB(t, filepath.Join(quickstart, "test_data_set_0", "output_0.pb"))
	if err := rt.Compare(want, readPB(t, filepath.Join(dir, "softmax_0.tmp_0.pb")), 0, 0.05); err != nil {
		t.Fatal(err)
	}
}

// TestBadModels: corrupt and truncated files and unsupported ops get clear errors naming the
// file, and nothing is written.
func TestBadModels(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(quickstart, "cls.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"truncated.onnx": good[:len(good)/2],
		"garbage.onnx":   bytes.Repeat([]byte{0xff, 0x13, 0x07}, 1000),
		"empty.onnx":     nil,
	}
	for name, data := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "pkg-"+name)
		_, stderr, code := onnxc(t, dir, "build", path, "-o", out)
		if code != 1 || !strings.Contains(stderr, name) || strings.Contains(stderr, "panic") || strings.Contains(stderr, "internal error") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder written for a bad model", name)
		}
	}
	_, stderr, code := onnxc(t, dir, "build", filepath.Join(dir, "missing.onnx"))
	if code != 1 || !strings.Contains(stderr, "missing.onnx") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}

// TestUnsupportedOps: a model with ops onnxc lacks fails to compile with one error that names
// every unsupported op and node, not just the first.
func TestUnsupportedOps(t *testing.T) {
	dir := t.TempDir()
	f32 := int32(onnxpb.TensorProto_FLOAT)
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(f32), Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 4}}}}},
		}}}
	}
	node := func(op, domain, name, in, out string) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Domain: proto.String(domain), Name: proto.String(name), Input: []string{in}, Output: []string{out}}
	}
	model := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}, {Domain: proto.String("com.example"), Version: proto.Int64(1)}},
		Graph: &onnxpb.GraphProto{
			Name:   proto.String("g"),
			Input:  []*onnxpb.ValueInfoProto{vi("x")},
			Output: []*onnxpb.ValueInfoProto{vi("z")},
			Node: []*onnxpb.NodeProto{
				node("Relu", "", "ok", "x", "a"),
				node("Frobnicate", "", "frob1", "a", "b"),
				node("Frobnicate", "", "frob2", "b", "c"),
				node("Zap", "com.example", "zap", "c", "z"),
			},
		},
	}
	data, err := proto.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "unsupported.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := onnxc(t, dir, "build", path)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"unsupported.onnx", "Frobnicate (domain ai.onnx, opset 17)", `"frob1", "frob2"`, "Zap (domain com.example, opset 1)", `"zap"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
}

// TestTestCommand runs `onnxc test` on a passing case, a case whose expected output is wrong
// and a case whose model is a Paddle model.
func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	copyTree := func(src, dst string) {
		t.Helper()
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	backend := filepath.Join("..", "..", "testdata", "onnx-backend", "node")
	copyTree(filepath.Join(backend, "test_relu"), filepath.Join(dir, "test_relu"))
	copyTree(filepath.Join(backend, "test_relu"), filepath.Join(dir, "test_relu_wrong"))
	// The expected output of the copy is the input: wrong wherever the input is negative.
	in, err := os.ReadFile(filepath.Join(dir, "test_relu_wrong", "test_data_set_0", "input_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := rt.ReadTensorProto(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test_relu_wrong", "test_data_set_0", "output_0.pb"), rt.WriteTensorProto("y", x), 0o644); err != nil {
		t.Fatal(err)
	}
	paddle := filepath.Join(dir, "cls_paddle")
	copyTree(filepath.Join("..", "..", "testdata", "paddle", "ppocr-cls-v2.0"), paddle)
	copyTree(filepath.Join(quickstart, "test_data_set_0"), filepath.Join(paddle, "test_data_set_0"))

	stdout, stderr, code := onnxc(t, ".", "test", dir)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (stderr %s)", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, want := range []string{"PASS test_relu", "FAIL test_relu_wrong (run)", "PASS cls_paddle"} {
		if !strings.Contains(stdout, "\n"+want) && !strings.HasPrefix(stdout, want) {
			t.Errorf("output lacks a line %q:\n%s", want, stdout)
		}
	}
	if last := lines[len(lines)-1]; last != "2 passed, 1 failed" {
		t.Errorf("last line %q, want \"2 passed, 1 failed\"", last)
	}
}

// What a user types by mistake or to learn the tool gets an answer they can act on.
func TestCLIHelpAndMistakes(t *testing.T) {
	model := filepath.Join(quickstart, "cls.onnx")
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string // substrings
	}{
		{[]string{"build", "-h"}, 0, "-pkg string", ""},
		{[]string{"run", "--help"}, 0, "-input", ""},
		{[]string{"bench", "-h"}, 0, "-threads", ""},
		{[]string{"inspect", "-h"}, 0, "-dump-after", ""},
		{[]string{"test", "-h"}, 0, "Usage of onnxc test", ""},
		{[]string{"quantize", "-h"}, 0, "-per-channel", ""},
		{[]string{"quantize", model}, 1, "", "want IN.onnx and OUT.onnx (or IN alone with --report), got 1 arguments"},
		{[]string{"quantize", model, filepath.Join(t.TempDir(), "q.onnx"), "--weight-type", "int4"}, 1, "", `--weight-type "int4": want int8 or uint8`},
		{[]string{"version"}, 0, "onnxc ", ""},
		{[]string{"biuld", model}, 2, "", `unknown command "biuld"; did you mean "build"?`},
		{[]string{"frobnicate"}, 2, "", "Usage:"},
		{[]string{"build", "--nosuch", model}, 1, "", "flag provided but not defined: -nosuch"},
		{[]string{"build", model, "-pkg", "my-pkg", "-o", t.TempDir()}, 1, "", `package name "my-pkg" is not a Go identifier`},
		{[]string{"inspect", model, "--dump-after", "nosuch"}, 1, "", `--dump-after "nosuch": no such pass`},
	}
	for _, c := range cases {
		stdout, stderr, code := onnxc(t, ".", c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("onnxc %v: exit %d, stdout %q, stderr %q; want exit %d, %q, %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
		if len(stderr) > 2000 {
			t.Errorf("onnxc %v: %d bytes of error", c.args, len(stderr))
		}
	}
}

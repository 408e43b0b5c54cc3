package compiler

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda"
)

// The CUDA backend's tests. Without a GPU they check what can be checked: every generated
// .ptx assembles with ptxas for sm_80 and sm_90, and the generated package builds with the
// cuda tag (cgo against cuda.h and the libcuda stub) and without it. scripts/setup-ptxas.sh
// puts those tools in /opt/onnxc-cuda; ONNXC_PTXAS and ONNXC_CUDA_DIR point elsewhere, and
// with ONNXC_REQUIRE_CUDA_TOOLS set (.ci/run) a missing tool fails instead of skipping.

// cudaDir is where setup-ptxas.sh put ptxas, cuda.h and the libcuda stub.
func cudaDir() string {
	if d := os.Getenv("ONNXC_CUDA_DIR"); d != "" {
		return d
	}
	return "/opt/onnxc-cuda"
}

func needTool(t *testing.T, what, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s not found at %s: run scripts/setup-ptxas.sh", what, path)
		if os.Getenv("ONNXC_REQUIRE_CUDA_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

func ptxasPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ONNXC_PTXAS"); p != "" {
		return needTool(t, "ptxas", p)
	}
	return needTool(t, "ptxas", filepath.Join(cudaDir(), "bin", "ptxas"))
}

// cudaModels are the real models the backend is checked on, with the harness's shapes.
var cudaModels = []struct{ name, file, shape string }{
	{"cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "x=1x3x48x192"},
	{"rec", "ch_PP-OCRv4_rec_infer.onnx", "x=1x3x48x320"},
	{"det", "ch_PP-OCRv4_det_infer.onnx", "x=1x3x320x320"},
	{"resnet18", "resnet18.onnx", "input=1x3x224x224"},
	{"encoder", "encoder.onnx", "x=1x64x384"},
}

func compileCUDA(t *testing.T, path, shape string) (map[string][]byte, *cuda.Report) {
	t.Helper()
	shapes := map[string][]int{}
	if shape != "" {
		name, dims, err := ParseShape(shape)
		if err != nil {
			t.Fatal(err)
		}
		shapes[name] = dims
	}
	m, err := Compile(path, Options{Shapes: shapes})
	if err != nil {
		t.Fatal(err)
	}
	files, r, err := GenerateCUDA(m, "model", path, cuda.Target{SM: 80})
	if err != nil {
		t.Fatal(err)
	}
	return files, r
}

// cpuPackage is the CPU package (package name pkg) of a model with one input's shape pinned,
// the reference the CUDA package is compared with.
func cpuPackage(t *testing.T, path, shape, pkg string) map[string][]byte {
	t.Helper()
	name, dims, err := ParseShape(shape)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(path, Options{Shapes: map[string][]int{name: dims}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(m, pkg, path)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// assemble runs ptxas on every .ptx of files for each architecture, a few at a time.
func assemble(t *testing.T, ptxas, label string, files map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for name, data := range files {
		if strings.HasSuffix(name, ".ptx") {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan bool, 4)
	for _, name := range names {
		for _, arch := range []string{"sm_80", "sm_90"} {
			wg.Add(1)
			sem <- true
			go func() {
				defer func() { <-sem; wg.Done() }()
				out, err := exec.Command(ptxas, "-arch="+arch, "-o", os.DevNull, filepath.Join(dir, name)).CombinedOutput()
				if err != nil {
					mu.Lock()
					t.Errorf("%s: ptxas -arch=%s %s: %v\n%s", label, arch, name, err, out)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
}

// TestCUDAModelsAssemble generates the CUDA package of each real model and assembles every
// kernel for sm_80 and sm_90.
func TestCUDAModelsAssemble(t *testing.T) {
	ptxas := ptxasPath(t)
	for _, c := range cudaModels {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "models", c.file)
			needModel(t, path)
			files, r := compileCUDA(t, path, c.shape)
			assemble(t, ptxas, c.name, files)
			t.Logf("%s: %d GPU kernels, %d CPU fallbacks, %d aliases", c.name, r.GPU, r.CPU, r.Aliases)
		})
	}
}

func needModel(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
			t.Fatal(err)
		}
		t.Skipf("%s missing: run scripts/fetch-models.sh", path)
	}
}

// cudaNodeOps are the ONNX node cases (by name prefix) whose ops the GPU generators implement.
var cudaNodeOps = []string{
	"test_add", "test_sub", "test_mul", "test_div", "test_max", "test_min", "test_prelu", "test_pow",
	"test_abs", "test_neg", "test_exp", "test_log", "test_sqrt", "test_reciprocal", "test_relu",
	"test_sigmoid", "test_hardsigmoid", "test_hardswish", "test_tanh", "test_erf", "test_softplus",
	"test_leakyrelu", "test_cast", "test_sum", "test_mean", "test_transpose", "test_concat", "test_slice", "test_split", "test_expand",
	"test_tile", "test_gather_", "test_depthtospace", "test_spacetodepth", "test_constant_pad",
	"test_reshape", "test_squeeze", "test_unsqueeze", "test_flatten", "test_identity",
}

// TestCUDANodeCasesAssemble generates and assembles the node cases of the ops the generators
// implement, and checks that each of them does put some kernel on the GPU.
func TestCUDANodeCasesAssemble(t *testing.T) {
	ptxas := ptxasPath(t)
	cases, err := FindCases([]string{filepath.Join("..", "testdata", "onnx-backend", "node")})
	if err != nil {
		t.Fatal(err)
	}
	gpu, total := 0, 0
	for _, c := range cases {
		if !hasAnyPrefix(c.Name, cudaNodeOps) {
			continue
		}
		m, err := Compile(c.Model, Options{Shapes: c.Shapes})
		if err != nil {
			continue // the CPU conformance run reports these
		}
		files, r, err := GenerateCUDA(m, "model", c.Model, cuda.Target{SM: 80})
		if err != nil {
			// Shapes fixed only at run time (shape inputs that are not constants) or control
			// flow: not for this backend.
			continue
		}
		total++
		if r.GPU > 0 {
			gpu++
		}
		for _, p := range r.Kernels {
			if p.GPU == nil && !p.Alias && testing.Verbose() {
				t.Logf("%s: %s on the CPU: %s", c.Name, p.Kernel.Entry, p.Why)
			}
		}
		assemble(t, ptxas, c.Name, files)
	}
	t.Logf("%d node cases generated, %d with GPU kernels", total, gpu)
	if gpu == 0 {
		t.Errorf("none of %d node cases put a kernel on the GPU", total)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cudaModule writes a scratch module holding the generated package (at m/) and main, with
// this repository as github.com/onnxc/onnxc.
func cudaModule(t *testing.T, files map[string][]byte, main string) string {
	return cudaModuleWith(t, map[string]map[string][]byte{"m": files}, main)
}

// cudaModuleWith writes several packages, by folder.
func cudaModuleWith(t *testing.T, pkgs map[string]map[string][]byte, main string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module cudatest\n\ngo 1.26.0\n\nrequire github.com/onnxc/onnxc v0.0.0\n\nreplace github.com/onnxc/onnxc => "+root+"\n"))
	write("go.sum", sum)
	for dir, files := range pkgs {
		for name, data := range files {
			write(filepath.Join(dir, name), data)
		}
	}
	write(filepath.Join("cmd", "main.go"), []byte(main))
	return dir
}

func goCmd(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod", "GOWORK=off"}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

const noCUDAMain = `package main

import (
	"fmt"

	m "cudatest/m"
)

func main() {
	_, err := m.New(m.WithDevice(0), m.WithThreads(1))
	fmt.Println(err)
}
`

// TestCUDAPackageBuilds builds the cls model's CUDA package twice: with the cuda tag (cgo,
// linked against the libcuda stub; it cannot run without a GPU) and without it, where New
// must say that the tag is missing.
func TestCUDAPackageBuilds(t *testing.T) {
	path := filepath.Join("..", "testdata", "models", cudaModels[0].file)
	needModel(t, path)
	files, _ := compileCUDA(t, path, cudaModels[0].shape)
	dir := cudaModule(t, files, noCUDAMain)
	out, err := goCmd(t, dir, []string{"CGO_ENABLED=0"}, "run", "./cmd")
	if err != nil || !strings.Contains(out, "built without the cuda tag") {
		t.Fatalf("without the cuda tag: %v\n%s", err, out)
	}
	buildCUDA(t, dir, filepath.Join(dir, "bin"))
}

// buildCUDA builds dir's ./cmd with the cuda tag into bin.
func buildCUDA(t *testing.T, dir, bin string, flags ...string) {
	t.Helper()
	inc := needTool(t, "cuda.h", filepath.Join(cudaDir(), "include", "cuda.h"))
	lib := needTool(t, "the libcuda stub", filepath.Join(cudaDir(), "lib", "libcuda.so"))
	env := []string{"CGO_ENABLED=1", "CGO_CFLAGS=-I" + filepath.Dir(inc), "CGO_LDFLAGS=-L" + filepath.Dir(lib)}
	if out, err := goCmd(t, dir, env, append(append([]string{"build", "-tags", "cuda"}, flags...), "-o", bin, "./cmd")...); err != nil {
		t.Fatalf("go build -tags cuda: %v\n%s", err, out)
	}
}

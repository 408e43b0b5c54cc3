package compiler

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda"
)

// A GPU bundle carries the GPU checks to a machine that has a GPU but no Go toolchain: one
// program holding the CUDA packages of the real models and of the node-case sample, and the
// models' reference data in the backend suite's layout (ref/MODEL/test_data_set_0/{input,
// output}_K.pb): the CPU packages' outputs on random inputs, computed here. The node cases'
// references are the suite's own, read from testdata/onnx-backend/node in the checkout there.
// TestCUDABundle writes it when ONNXC_GPU_BUNDLE names a folder; ONNXC_GPU_BUNDLE_MODELS
// (comma-separated, default cls,rec,det,encoder) and ONNXC_GPU_BUNDLE_NODES=0 split it where
// the size that travels to the lent machine is limited.

// bundleModels leaves out resnet18: its weights alone are over the size that travels to the
// lent GPU machine; where Go and a GPU are on one machine TestCUDAMatchesCPU runs it.
func bundleModels() []string {
	if s := os.Getenv("ONNXC_GPU_BUNDLE_MODELS"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{"cls", "rec", "det", "encoder"}
}

const bundleRefMain = `package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/onnxc/onnxc/runtime"
%s)

type runner interface {
	RunTensors(context.Context, []*runtime.Tensor) ([]*runtime.Tensor, error)
}

var models = []struct {
	name   string
	open   func() (runner, error)
	shapes [][]int
	dtypes []runtime.DType
}{
%s}

// main writes each model's random inputs and CPU outputs under os.Args[1] and prints the CPU
// latency (median of 9 runs).
func main() {
	ctx := context.Background()
	for _, m := range models {
		r, err := m.open()
		if err != nil {
			fmt.Println("FAIL", m.name, err)
			os.Exit(1)
		}
		rng := rand.New(rand.NewSource(1))
		var ins []*runtime.Tensor
		for i, shape := range m.shapes {
			t := runtime.New(m.dtypes[i], shape...)
			for k := range runtime.Data[float32](t) {
				runtime.Data[float32](t)[k] = rng.Float32()*2 - 1
			}
			ins = append(ins, t)
		}
		outs, err := r.RunTensors(ctx, ins)
		if err != nil {
			fmt.Println("FAIL", m.name, err)
			os.Exit(1)
		}
		dir := filepath.Join(os.Args[1], m.name, "test_data_set_0")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Println("FAIL", err)
			os.Exit(1)
		}
		write := func(kind string, ts []*runtime.Tensor) {
			for i, t := range ts {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%%s_%%d.pb", kind, i)), runtime.WriteTensorProto("", t), 0o644); err != nil {
					fmt.Println("FAIL", err)
					os.Exit(1)
				}
			}
		}
		write("input", ins)
		write("output", outs)
		var ms []float64
		for i := 0; i < 9; i++ {
			start := time.Now()
			if _, err := r.RunTensors(ctx, ins); err != nil {
				fmt.Println("FAIL", m.name, err)
				os.Exit(1)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
		sort.Float64s(ms)
		fmt.Printf("%%s cpu_ms=%%.3f\n", m.name, ms[len(ms)/2])
	}
}
`

const bundleGPUMain = `package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onnxc/onnxc/runtime"
%s)

type runner interface {
	RunTensors(context.Context, []*runtime.Tensor) ([]*runtime.Tensor, error)
}

var cases = []struct {
	name       string
	model      bool // a real model, timed, with references under os.Args[1]; else a node case
	rtol, atol float64
	open       func() (runner, error)
}{
%s}

func read(path string) (*runtime.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, _, err := runtime.ReadTensorProto(b)
	return t, err
}

// check runs one case on every data set under dir and compares with its outputs.
func check(ctx context.Context, r runner, dir string, rtol, atol float64) ([]*runtime.Tensor, error) {
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return nil, fmt.Errorf("no data sets in %%s", dir)
	}
	var first []*runtime.Tensor
	for _, set := range sets {
		var ins, want []*runtime.Tensor
		for _, kind := range []string{"input", "output"} {
			for i := 0; ; i++ {
				t, err := read(filepath.Join(set, fmt.Sprintf("%%s_%%d.pb", kind, i)))
				if os.IsNotExist(err) {
					break
				}
				if err != nil {
					return nil, err
				}
				if kind == "input" {
					ins = append(ins, t)
				} else {
					want = append(want, t)
				}
			}
		}
		got, err := r.RunTensors(ctx, ins)
		if err != nil {
			return nil, err
		}
		if len(got) != len(want) {
			return nil, fmt.Errorf("%%d outputs, want %%d", len(got), len(want))
		}
		for i := range want {
			if err := runtime.Compare(want[i], got[i], rtol, atol); err != nil {
				return nil, fmt.Errorf("%%s output %%d: %%v", filepath.Base(set), i, err)
			}
		}
		if first == nil {
			first = ins
		}
	}
	return first, nil
}

// main checks every case against the references (models' under os.Args[1], node cases' under
// os.Args[2]) and prints, per model, the
// GPU latency (median of 50 runs after 5 warm-up runs); it exits 1 when a case fails.
func main() {
	ctx := context.Background()
	failed, nodes := 0, 0
	for _, c := range cases {
		r, err := c.open()
		if err != nil {
			fmt.Println("FAIL", c.name, "open:", err)
			if strings.Contains(err.Error(), "no CUDA device") {
				os.Exit(1)
			}
			failed++
			continue
		}
		root := os.Args[1]
		if !c.model {
			root = os.Args[2]
		}
		ins, err := check(ctx, r, filepath.Join(root, c.name), c.rtol, c.atol)
		if err != nil {
			fmt.Println("FAIL", c.name, err)
			failed++
			continue
		}
		if !c.model {
			nodes++
			continue
		}
		for i := 0; i < 5; i++ {
			r.RunTensors(ctx, ins)
		}
		var ms []float64
		for i := 0; i < 50; i++ {
			start := time.Now()
			if _, err := r.RunTensors(ctx, ins); err != nil {
				fmt.Println("FAIL", c.name, err)
				os.Exit(1)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
		sort.Float64s(ms)
		fmt.Printf("ok %%s gpu_ms=%%.3f (min %%.3f)\n", c.name, ms[len(ms)/2], ms[0])
	}
	fmt.Printf("%%d node cases ok on the GPU, %%d cases failed\n", nodes, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
`

// TestCUDABundle writes the GPU bundle into $ONNXC_GPU_BUNDLE: gpu.gz (the gzipped GPU
// program, built with -tags cuda) and ref/ (the references); it prints the CPU latencies of the
// models as measured here.
func TestCUDABundle(t *testing.T) {
	out := os.Getenv("ONNXC_GPU_BUNDLE")
	if out == "" {
		t.Skip("ONNXC_GPU_BUNDLE is unset: the bundle is built for scripts/gpu-check.sh only")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(out, "ref")
	if err := os.MkdirAll(ref, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]map[string][]byte{}
	var refImports, refModels, gpuImports, gpuCases strings.Builder
	for i, c := range cudaModels {
		if !slices.Contains(bundleModels(), c.name) {
			continue
		}
		path := filepath.Join("..", "testdata", "models", c.file)
		needModel(t, path)
		files, r := compileCUDA(t, path, c.shape)
		t.Logf("%s: %d GPU kernels, %d on the CPU", c.name, r.GPU, r.CPU)
		cpuFiles := cpuPackage(t, path, c.shape, "model")
		pkgs[fmt.Sprintf("cpu/m%d", i)] = cpuFiles
		pkgs[fmt.Sprintf("gpu/m%d", i)] = files
		fmt.Fprintf(&refImports, "\tm%d \"cudatest/cpu/m%d\"\n", i, i)
		fmt.Fprintf(&refModels, "\t{%q, func() (runner, error) { return m%d.New() }, m%d.InputShapes, m%d.InputDTypes},\n", c.name, i, i, i)
		fmt.Fprintf(&gpuImports, "\tm%d \"cudatest/gpu/m%d\"\n", i, i)
		fmt.Fprintf(&gpuCases, "\t{%q, true, 1e-3, 1e-4, func() (runner, error) { return m%d.New() }},\n", c.name, i)
	}
	cases, err := FindCases([]string{filepath.Join("..", "testdata", "onnx-backend", "node")})
	if err != nil {
		t.Fatal(err)
	}
	nodes := 0
	for i, c := range cases {
		if os.Getenv("ONNXC_GPU_BUNDLE_NODES") == "0" || !hasAnyPrefix(c.Name, cudaNodeOps) {
			continue
		}
		m, err := Compile(c.Model, Options{Shapes: c.Shapes})
		if err != nil {
			continue
		}
		files, r, err := GenerateCUDA(m, "model", c.Model, cuda.Target{SM: 80})
		if err != nil || r.GPU == 0 {
			continue
		}
		nodes++
		pkgs[fmt.Sprintf("gpu/n%d", i)] = files
		fmt.Fprintf(&gpuImports, "\tn%d \"cudatest/gpu/n%d\"\n", i, i)
		rtol, atol := CaseTolerance(c.Name)
		rtol, atol = max(rtol, 1e-3), max(atol, 1e-4)
		fmt.Fprintf(&gpuCases, "\t{%q, false, %g, %g, func() (runner, error) { return n%d.New() }},\n", c.Name, rtol, atol, i)
	}
	t.Logf("%d node cases with GPU kernels", nodes)

	dir := cudaModuleWith(t, pkgs, fmt.Sprintf(bundleGPUMain, gpuImports.String(), gpuCases.String()))
	refDir := filepath.Join(dir, "refcmd")
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(refDir, "main.go"), []byte(fmt.Sprintf(bundleRefMain, refImports.String(), refModels.String())), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := goCmd(t, dir, nil, "run", "./refcmd", ref); err != nil {
		t.Fatalf("the CPU references: %v\n%s", err, o)
	} else {
		t.Logf("CPU path here:\n%s", o)
		if err := os.WriteFile(filepath.Join(out, "cpu.txt"), []byte(o), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "gpuprog")
	buildCUDA(t, dir, bin, "-ldflags=-s -w") // no symbol tables: the bundle travels
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "gpu.gz"), z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("gpu program: %d bytes, %d gzipped", len(b), z.Len())
}

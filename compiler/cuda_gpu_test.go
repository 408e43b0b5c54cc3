package compiler

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const noGPU = "no GPU on this machine (no /dev/nvidia0): the GPU runs are checked only where one is lent; the PTX is still assembled and the host code built"

func haveGPU() bool {
	_, err := os.Stat("/dev/nvidia0")
	return err == nil
}

// compareMain runs the CPU package (cpu/) and the CUDA package (m/) on the same random inputs
// and fails when an output differs by more than atol + rtol*|cpu|; it prints the latencies.
const compareMain = `package main

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"time"

	cpu "cudatest/cpu"
	gpu "cudatest/m"
	"github.com/onnxc/onnxc/runtime"
)

const rtol, atol = 1e-3, 1e-4

func main() {
	ctx := context.Background()
	g, err := gpu.New()
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
	defer g.Close()
	c, err := cpu.New()
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
	defer c.Close()
	r := rand.New(rand.NewSource(1))
	var ins []*runtime.Tensor
	for i, shape := range cpu.InputShapes {
		t := runtime.New(cpu.InputDTypes[i], shape...)
		if t.DType != runtime.Float32 {
			fmt.Println("FAIL input", i, "is", t.DType, "; only float32 inputs are generated")
			os.Exit(1)
		}
		for k := range runtime.Data[float32](t) {
			runtime.Data[float32](t)[k] = r.Float32()*2 - 1
		}
		ins = append(ins, t)
	}
	want, err := c.RunTensors(ctx, ins)
	if err != nil {
		fmt.Println("FAIL cpu:", err)
		os.Exit(1)
	}
	got, err := g.RunTensors(ctx, ins)
	if err != nil {
		fmt.Println("FAIL gpu:", err)
		os.Exit(1)
	}
	bad := false
	for o := range want {
		if want[o].DType != runtime.Float32 {
			continue
		}
		w, gg := runtime.Data[float32](want[o]), runtime.Data[float32](got[o])
		if len(w) != len(gg) {
			fmt.Println("FAIL output", o, "has", len(gg), "elements, want", len(w))
			os.Exit(1)
		}
		worst, at := 0.0, 0
		for k := range w {
			d := math.Abs(float64(gg[k]) - float64(w[k]))
			if e := d - (atol + rtol*math.Abs(float64(w[k]))); e > worst || math.IsNaN(d) {
				worst, at = e, k
				if math.IsNaN(d) {
					worst = math.Inf(1)
				}
			}
		}
		if worst > 0 {
			fmt.Printf("FAIL output %d element %d: gpu %g, cpu %g\n", o, at, gg[at], w[at])
			bad = true
		}
	}
	if bad {
		os.Exit(1)
	}
	timeRuns := func(run func() error) float64 {
		for i := 0; i < 3; i++ {
			run()
		}
		start := time.Now()
		const n = 20
		for i := 0; i < n; i++ {
			if err := run(); err != nil {
				fmt.Println("FAIL", err)
				os.Exit(1)
			}
		}
		return float64(time.Since(start).Microseconds()) / 1000 / n
	}
	gms := timeRuns(func() error { _, err := g.RunTensors(ctx, ins); return err })
	cms := timeRuns(func() error { _, err := c.RunTensors(ctx, ins); return err })
	fmt.Printf("ok gpu_ms=%.3f cpu_ms=%.3f\n", gms, cms)
}
`

// TestCUDAMatchesCPU runs every real model on the GPU and on the CPU path and compares the
// outputs (rtol 1e-3, atol 1e-4; float32 products are exact FMAs, TF32 is off). Without a GPU
// it builds the first model's comparison program, so that the driver keeps compiling, and
// skips.
func TestCUDAMatchesCPU(t *testing.T) {
	for i, c := range cudaModels {
		t.Run(c.name, func(t *testing.T) {
			if !haveGPU() && i > 0 {
				t.Skip(noGPU)
			}
			path := filepath.Join("..", "testdata", "models", c.file)
			needModel(t, path)
			files, r := compileCUDA(t, path, c.shape)
			cpuFiles := cpuPackage(t, path, c.shape, "cpu")
			dir := cudaModuleWith(t, map[string]map[string][]byte{"m": files, "cpu": cpuFiles}, compareMain)
			bin := filepath.Join(dir, "compare")
			buildCUDA(t, dir, bin)
			if !haveGPU() {
				t.Skip(noGPU)
			}
			out, err := exec.Command(bin).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "ok") {
				t.Fatalf("%s (%d GPU kernels, %d on the CPU): %v\n%s", c.name, r.GPU, r.CPU, err, out)
			}
			t.Logf("%s (%d GPU kernels, %d on the CPU): %s", c.name, r.GPU, r.CPU, strings.TrimSpace(string(out)))
		})
	}
}

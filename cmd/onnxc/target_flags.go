package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/codegen/cuda"
	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/ir"
)

// targetFlags choose the backend of build and inspect: the Go package for the CPU, or the
// CUDA package (PTX kernels, host code on gorgonia.org/cu behind the cuda build tag).
type targetFlags struct {
	target *string
	tf32   *bool
	sm     *int
}

func addTargetFlags(fs *flag.FlagSet) *targetFlags {
	return &targetFlags{
		target: fs.String("target", "cpu", "backend: cpu (a Go package), or cuda (PTX kernels and Go host code, built with -tags cuda)"),
		tf32:   fs.Bool("tf32", false, "with --target cuda: allow TF32 tensor-core products for float32 operands, as onnxruntime's use_tf32"),
		sm:     fs.Int("sm", 80, "with --target cuda: the lowest compute capability the PTX targets (80, 90)"),
	}
}

// cuda reports whether the target is CUDA, and its options.
func (t *targetFlags) cuda() (bool, cuda.Target, error) {
	switch *t.target {
	case "cpu", "":
		if *t.tf32 {
			return false, cuda.Target{}, fmt.Errorf("--tf32 needs --target cuda")
		}
		return false, cuda.Target{}, nil
	case "cuda":
		if *t.sm < 80 {
			return false, cuda.Target{}, fmt.Errorf("--sm %d: the CUDA backend targets sm_80 and newer", *t.sm)
		}
		return true, cuda.Target{SM: *t.sm, TF32: *t.tf32}, nil
	}
	return false, cuda.Target{}, fmt.Errorf("--target %q: want cpu or cuda", *t.target)
}

// buildCUDA compiles a model into the CUDA package in dir.
func buildCUDA(path string, shapeSpecs []string, q *quantFlags, pkg, dir string, t cuda.Target, stdout io.Writer) error {
	m, err := compileModel(path, shapeSpecs, q)
	if err != nil {
		return err
	}
	files, r, err := compiler.GenerateCUDA(m, pkg, path, t)
	if err != nil {
		return err
	}
	if err := compiler.WritePackage(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote CUDA package %s to %s: %d GPU kernels, %d on the CPU, %d aliases (build with -tags cuda)\n", pkg, dir, r.GPU, r.CPU, r.Aliases)
	return nil
}

func compileModel(path string, shapeSpecs []string, q *quantFlags) (*ir.Model, error) {
	shapes, err := parseShapes(shapeSpecs)
	if err != nil {
		return nil, err
	}
	qo, err := q.options()
	if err != nil {
		return nil, err
	}
	return compiler.Compile(path, compiler.Options{Shapes: shapes, Quantize: qo})
}

// printPlacement lists where each kernel runs with --target cuda, then the counts and the
// CPU fallbacks by entry and reason.
func printPlacement(w io.Writer, r *cuda.Report) {
	fallback := map[string]int{}
	for _, p := range r.Kernels {
		where := "GPU  "
		switch {
		case p.Alias:
			where = "alias"
		case p.GPU == nil:
			where = "CPU  "
			fallback[p.Kernel.Entry.String()+": "+p.Why]++
		}
		line := fmt.Sprintf("%s %-20s %s", where, p.Kernel.Entry, strings.ReplaceAll(p.Kernel.Node.Describe(), "\n", " "))
		if p.GPU != nil {
			line += fmt.Sprintf(" (%d launches)", len(p.GPU.Launches))
		}
		if p.Why != "" {
			line += " -- " + p.Why
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "gpu_kernels=%d cpu_fallbacks=%d aliases=%d\n", r.GPU, r.CPU, r.Aliases)
	keys := make([]string, 0, len(fallback))
	for k := range fallback {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  cpu %4d %s\n", fallback[k], k)
	}
}

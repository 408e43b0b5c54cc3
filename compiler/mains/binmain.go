//go:build ignore

// This is the main program of `onnxc build --bin`, `onnxc run` and `onnxc bench`. The compiler
// copies it into a scratch module with the import path below replaced by the generated
// package's. It is kept as a real Go file so that gofmt and vet read it.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	model "onnxcwork/MODELPKG"

	rt "github.com/onnxc/onnxc/runtime"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	var inputs, shapes list
	flag.Var(&inputs, "input", "NAME=FILE: an input tensor as ONNX TensorProto (.pb) or NumPy (.npy); repeatable")
	flag.Var(&shapes, "shape", "NAME=1x3x224x224: dims of a random input for -bench; repeatable")
	outDir := flag.String("output-dir", "", "write each output to DIR/NAME.pb (or .npy with -npy)")
	npy := flag.Bool("npy", false, "write outputs as .npy instead of .pb")
	threads := flag.Int("threads", 0, "threads per run (0: all cores)")
	runs := flag.Int("runs", 1, "run this many times and print timings")
	bench := flag.Bool("bench", false, "run on random inputs (see -shape) and print timings")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to FILE (go tool pprof)")
	profKernels := flag.Bool("profile-kernels", false, "print each kernel's time per run (after a warm-up run)")
	flag.Int64Var(&rt.MaxTensorBytes, "max-tensor-bytes", rt.MaxTensorBytes, "bound on one tensor's bytes")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-input NAME=FILE ...] [NAME=FILE ...] [-output-dir DIR] [-runs N] [-threads T]\n", filepath.Base(os.Args[0]))
		fmt.Fprintf(os.Stderr, "inputs: %s\noutputs: %s\n", strings.Join(model.InputNames, ", "), strings.Join(model.OutputNames, ", "))
		flag.PrintDefaults()
	}
	flag.Parse()
	inputs = append(inputs, flag.Args()...)
	var prof *rt.KernelProfile
	if *profKernels {
		prof = rt.ProfileKernels(model.Kernels)
	}
	m, err := model.New(model.WithThreads(*threads))
	if err != nil {
		return err
	}
	defer m.Close()

	ins := make([]*rt.Tensor, len(model.InputNames))
	for _, spec := range inputs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok {
			return fmt.Errorf("input %q: want NAME=FILE", spec)
		}
		k := indexOf(model.InputNames, name)
		if k < 0 {
			return fmt.Errorf("input %q: the model's inputs are %s", name, strings.Join(model.InputNames, ", "))
		}
		if ins[k], err = rt.ReadTensorFile(file); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	if *bench {
		rng := rand.New(rand.NewSource(1))
		for k, name := range model.InputNames {
			if ins[k] != nil || model.InputHasDefault[k] {
				continue
			}
			shape := model.InputShapes[k]
			fill := ""
			for _, s := range shapes {
				if n, dims, ok := strings.Cut(s, "="); ok && n == name {
					// NAME=DIMS or NAME=DIMS:VALUE (a constant fill, e.g. sr=:16000).
					dims, fill, _ = strings.Cut(dims, ":")
					if shape, err = parseDims(dims); err != nil {
						return err
					}
				}
			}
			if ins[k], err = randomTensor(rng, model.InputDTypes[k], shape); err != nil {
				return fmt.Errorf("input %q: %w (give its dims with -shape %s=...)", name, err, name)
			}
			if fill != "" {
				if err := fillTensor(ins[k], fill); err != nil {
					return fmt.Errorf("input %q: %w", name, err)
				}
			}
		}
	}
	ctx := context.Background()
	var outs []*rt.Tensor
	var times []float64
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if prof != nil {
		if _, err := m.RunTensors(ctx, ins); err != nil {
			return err
		}
		prof.Reset()
	}
	for i := 0; i < max(*runs, 1); i++ {
		start := time.Now()
		outs, err = m.RunTensors(ctx, ins)
		if err != nil {
			return err
		}
		times = append(times, float64(time.Since(start).Nanoseconds())/1e6)
		if prof != nil {
			prof.EndRun()
		}
	}
	if *runs > 1 || *bench {
		sort.Float64s(times)
		p90 := times[min(len(times)-1, (len(times)*9)/10)]
		fmt.Printf("runs=%d median_ms=%.4f p90_ms=%.4f min_ms=%.4f threads=%d\n", len(times), times[len(times)/2], p90, times[0], *threads)
	}
	if prof != nil {
		prof.Write(os.Stdout)
	}
	for k, t := range outs {
		name := model.OutputNames[k]
		if *outDir == "" {
			if !*bench {
				// A summary, and the values of small outputs (scores, a class id).
				fmt.Printf("%s: %s\n", name, rt.Summary(t, 32))
			}
			continue
		}
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		var data []byte
		ext := ".pb"
		if *npy {
			ext = ".npy"
			if data, err = rt.WriteNpy(t); err != nil {
				return fmt.Errorf("output %q: %w", name, err)
			}
		} else {
			data = rt.WriteTensorProto(name, t)
		}
		if err := writeAtomic(filepath.Join(*outDir, fileName(name)+ext), data); err != nil {
			return err
		}
	}
	return nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func parseDims(s string) ([]int, error) {
	dims := []int{} // empty means a scalar, not "unknown"
	if s == "" || s == "scalar" {
		return dims, nil
	}
	for _, d := range strings.Split(s, "x") {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad dims %q", s)
		}
		dims = append(dims, n)
	}
	return dims, nil
}

func randomTensor(rng *rand.Rand, dt rt.DType, shape []int) (*rt.Tensor, error) {
	if shape == nil {
		return nil, fmt.Errorf("its rank is unknown")
	}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("its dims %v are not all known", shape)
		}
	}
	t := rt.New(dt, shape...)
	switch dt {
	case rt.Float32:
		for i := range rt.Data[float32](t) {
			rt.Data[float32](t)[i] = rng.Float32()
		}
	case rt.Float64:
		for i := range rt.Data[float64](t) {
			rt.Data[float64](t)[i] = rng.Float64()
		}
	case rt.Int64, rt.Int32:
		// Integer inputs are usually indices or sizes: leave them zero.
	}
	return t, nil
}

// fillTensor sets every element to value.
func fillTensor(t *rt.Tensor, value string) error {
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return fmt.Errorf("bad fill value %q", value)
	}
	switch t.DType {
	case rt.Float32:
		for i := range rt.Data[float32](t) {
			rt.Data[float32](t)[i] = float32(v)
		}
	case rt.Float64:
		for i := range rt.Data[float64](t) {
			rt.Data[float64](t)[i] = v
		}
	case rt.Int64:
		for i := range rt.Data[int64](t) {
			rt.Data[int64](t)[i] = int64(v)
		}
	case rt.Int32:
		for i := range rt.Data[int32](t) {
			rt.Data[int32](t)[i] = int32(v)
		}
	default:
		return fmt.Errorf("cannot fill %s", t.DType)
	}
	return nil
}

// fileName keeps output names usable as file names.
func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, name)
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Package compiler is the driver: it loads a model with the right frontend, fixes symbolic dims
// the user pinned, runs the pass pipeline and generates the Go package. The command and the
// tests use it; it holds no compiler logic of its own.
package compiler

import (
	"errors"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	gogen "github.com/onnxc/onnxc/codegen/go"
	"github.com/onnxc/onnxc/frontend/onnx"
	"github.com/onnxc/onnxc/frontend/paddle"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
)

// Options control a compilation.
type Options struct {
	// Shapes pins input dims: input name -> dims (each a size, or <0 to keep the model's dim).
	Shapes map[string][]int
	// Verify runs the IR verifier after every pass.
	Verify bool
	// Package is the generated package's name.
	Package string
	// Quantize, when set, enables dynamic int8 quantization (passes.QuantizeOptions).
	Quantize *passes.QuantizeOptions
	// MaxTensorBytes bounds one tensor whose shape is known at compile time (0: the run-time
	// bound, runtime.MaxTensorBytes, 16 GiB unless raised).
	MaxTensorBytes int64
	// Fused, when set, receives the ops each fused node absorbed (for inspect --dot).
	Fused map[*ir.Node][]string
	// Progress, when set, hears of each phase and pass (the command's progress display).
	Progress Progress
}

// Progress is told what a compilation is doing: Phase at the start of each phase ("load",
// "passes", "lower", "generate"), Pass after each pass with its time.
type Progress interface {
	Phase(name string)
	Pass(name string, d time.Duration)
}

// Load reads an ONNX model, or a Paddle model in any of its layouts.
func Load(path string) (*ir.Model, error) {
	if detectPaddle(path) {
		return paddle.Load(path)
	}
	return onnx.Load(path)
}

// LoadForInspect is Load, except that a Paddle program whose parameters are absent still loads,
// with its parameters as graph inputs, so that its ops can be inspected.
func LoadForInspect(path string) (*ir.Model, error) {
	m, err := Load(path)
	if errors.Is(err, paddle.ErrNoParams) {
		return paddle.LoadWith(path, paddle.Options{ProgramOnly: true})
	}
	return m, err
}

// ParseShape parses NAME=1x3x224x224 (a dim may be ? or -1 to keep the model's).
func ParseShape(s string) (string, []int, error) {
	name, dims, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return "", nil, fmt.Errorf("shape %q: want NAME=DIMxDIM...", s)
	}
	dims, _, _ = strings.Cut(dims, ":") // a :VALUE fill is for bench's random inputs
	var out []int
	if dims != "" && dims != "scalar" {
		for _, d := range strings.Split(dims, "x") {
			if d == "?" {
				out = append(out, -1)
				continue
			}
			n, err := strconv.Atoi(d)
			if err != nil || n < -1 {
				return "", nil, fmt.Errorf("shape %q: bad dim %q", s, d)
			}
			out = append(out, n)
		}
	}
	return name, out, nil
}

// PinShapes fixes input dims. Pinning a symbolic dim pins it for every input that shares the
// symbol, so a batch size given for one input applies to all.
func PinShapes(m *ir.Model, shapes map[string][]int) error {
	syms := map[string]int64{}
	for name, dims := range shapes {
		var in *ir.Value
		for _, v := range m.Graph.Inputs {
			if v.Name == name {
				in = v
			}
		}
		if in == nil {
			return fmt.Errorf("%s: --shape names %q, which is not an input (inputs: %s)", m.Source, name, inputNames(m))
		}
		if in.Type.RankKnown && len(in.Type.Shape) != len(dims) {
			return fmt.Errorf("%s: --shape %s has %d dims, the input has %d (%s)", m.Source, name, len(dims), len(in.Type.Shape), in.Type)
		}
		shape := make([]ir.Dim, len(dims))
		for i, d := range dims {
			var old ir.Dim
			if in.Type.RankKnown {
				old = in.Type.Shape[i]
			} else {
				old = ir.Unknown()
			}
			switch {
			case d < 0:
				shape[i] = old
			case old.IsStatic() && old.N != int64(d):
				return fmt.Errorf("%s: --shape %s: dim %d is fixed to %d by the model, not %d", m.Source, name, i, old.N, d)
			default:
				shape[i] = ir.Static(int64(d))
				if old.Sym != "" {
					syms[old.Sym] = int64(d)
				}
			}
		}
		in.Type.Shape = shape
		in.Type.RankKnown = true
	}
	for _, v := range m.Graph.Inputs {
		for i, d := range v.Type.Shape {
			if n, ok := syms[d.Sym]; ok && d.Sym != "" {
				v.Type.Shape[i] = ir.Static(n)
			}
		}
	}
	return nil
}

func inputNames(m *ir.Model) string {
	var names []string
	for _, v := range m.Graph.Inputs {
		names = append(names, v.Name)
	}
	return strings.Join(names, ", ")
}

// Compile loads and optimizes a model.
func Compile(path string, opt Options) (*ir.Model, error) {
	phase(opt.Progress, "load")
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := PinShapes(m, opt.Shapes); err != nil {
		return nil, err
	}
	popt := passes.Options{Verify: opt.Verify, Quantize: opt.Quantize, Fused: opt.Fused, MaxTensorBytes: opt.MaxTensorBytes}
	if opt.Progress != nil {
		phase(opt.Progress, "passes")
		popt.AfterPass = opt.Progress.Pass
	}
	if err := passes.Run(m, popt); err != nil {
		if strings.HasPrefix(err.Error(), path+":") {
			return nil, err // already names the file
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func phase(p Progress, name string) {
	if p != nil {
		p.Phase(name)
	}
}

// Generate produces the Go package's files for an optimized model.
func Generate(m *ir.Model, pkg, source string) (gogen.Files, error) {
	return GenerateWith(m, pkg, source, nil)
}

// LowerCPU lowers m as the Go emitter takes it: ops.LowerModel, then the CPU backend's choice
// of layouts (and of the algorithms they allow) by ops.BlockConvChains. inspect shows this
// program.
func LowerCPU(m *ir.Model) (*lowered.Program, error) {
	p, err := ops.LowerModel(m)
	if err != nil {
		return nil, err
	}
	ops.BlockConvChains(p)
	return p, nil
}

// GenerateWith is Generate that tells progress of its phases (lower, generate).
func GenerateWith(m *ir.Model, pkg, source string, progress Progress) (gogen.Files, error) {
	if pkg == "" {
		pkg = PackageName(source)
	}
	if !token.IsIdentifier(pkg) || pkg == "_" {
		return nil, fmt.Errorf("package name %q is not a Go identifier (letters, digits and _, not a keyword)", pkg)
	}
	phase(progress, "lower")
	p, err := LowerCPU(m)
	if err != nil {
		return nil, err
	}
	phase(progress, "generate")
	return gogen.Generate(p, gogen.Options{Package: pkg, Source: filepath.Base(source)})
}

// PackageName derives a Go package name from a model path: ch_PP-OCRv4_det_infer.onnx ->
// chppocrv4detinfer.
func PackageName(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9' && b.Len() > 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}

// WritePackage writes files into dir as one step: every file first goes to a temporary name
// in dir, and only when all are written (a full disk fails here) are they renamed into place,
// so a failed build never leaves a new model.go beside an old weights.bin.
func WritePackage(dir string, files gogen.Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	tmps := make([]string, 0, len(names))
	defer func() {
		for _, tmp := range tmps {
			os.Remove(tmp) // gone already once renamed
		}
	}()
	for _, name := range names {
		tmp, err := writeTemp(filepath.Join(dir, name), files[name], 0o644)
		if err != nil {
			return err
		}
		tmps = append(tmps, tmp)
	}
	for i, name := range names {
		if err := os.Rename(tmps[i], filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return removeStaleParts(dir, files)
}

// removeStaleParts deletes the model_partN.go files in dir that files lacks: parts of an
// earlier, larger model would otherwise be compiled with the new one.
func removeStaleParts(dir string, files gogen.Files) error {
	old, err := filepath.Glob(filepath.Join(dir, "model_part*.go"))
	if err != nil {
		return err
	}
	for _, path := range old {
		if _, ok := files[filepath.Base(path)]; !ok {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeTemp writes data to a new temporary file beside path and returns its name.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into place.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func detectPaddle(path string) bool { return paddle.Detect(path) }

// QuantizeONNX writes the dynamic quantization that opt describes (see passes.QuantizeOptions)
// of ONNX model in as a standard ONNX model at out (DynamicQuantizeLinear, MatMulInteger or
// ConvInteger, Cast, Mul), which onnxruntime runs and onnxc compiles into the same int8 kernels
// as --quantize dynamic. opt.Remarks receives the decisions. out is written whole or not at all.
func QuantizeONNX(in, out string, opt *passes.QuantizeOptions) error {
	if detectPaddle(in) {
		return fmt.Errorf("%s: onnxc quantize reads ONNX models; compile Paddle models with --quantize dynamic instead", in)
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	q, err := onnx.Quantized(data, filepath.Dir(in), in, opt)
	if err != nil {
		return err
	}
	return WriteFileAtomic(out, q, 0o644)
}

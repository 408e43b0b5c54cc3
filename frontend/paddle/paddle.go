// Package paddle lowers PaddlePaddle inference models into onnxc's IR: ProgramDesc programs
// (.pdmodel, or an old __model__ with per-variable parameter files or __params__) and Paddle 3
// PIR programs (inference.json), with their parameters. Paddle ops become the same IR ops the
// ONNX frontend produces; ops it cannot map are reported all at once.
package paddle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// layout is where a model's program and parameters live.
type layout struct {
	program string // .pdmodel, __model__ or inference.json
	params  string // combined params file, or "" when separate
	dir     string // folder of per-variable files (separate layout)
	pir     bool
}

// find resolves a path (a file or a folder) to a Paddle model layout.
func find(path string) (layout, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return layout{}, false
	}
	if st.IsDir() {
		for _, name := range []string{"inference.json", "inference.pdmodel", "model.pdmodel", "__model__"} {
			if l, ok := find(filepath.Join(path, name)); ok {
				return l, true
			}
		}
		if ms, _ := filepath.Glob(filepath.Join(path, "*.pdmodel")); len(ms) == 1 {
			return find(ms[0])
		}
		return layout{}, false
	}
	dir := filepath.Dir(path)
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".pdmodel"):
		return layout{program: path, params: strings.TrimSuffix(path, ".pdmodel") + ".pdiparams", dir: dir}, true
	case strings.HasSuffix(base, ".json"):
		// ONNX models are never JSON: any .json is read as a PIR program, so that a broken one
		// gets the PIR loader's error instead of the ONNX loader's.
		return layout{program: path, params: strings.TrimSuffix(path, ".json") + ".pdiparams", dir: dir, pir: true}, true
	case base == "__model__":
		l := layout{program: path, dir: dir}
		if _, err := os.Stat(filepath.Join(dir, "__params__")); err == nil {
			l.params = filepath.Join(dir, "__params__")
		}
		return l, true
	}
	return layout{}, false
}

// Detect reports whether path is a Paddle model in one of the layouts Load reads.
func Detect(path string) bool {
	_, ok := find(path)
	return ok
}

// UnsupportedOpsError lists every Paddle op the frontend cannot map, with the variables each
// would have produced.
type UnsupportedOpsError struct {
	File string
	Ops  []UnmappedOp
}

// UnmappedOp is one op the frontend cannot lower.
type UnmappedOp struct {
	Type    string
	Outputs []string
	Why     string
}

func (e *UnsupportedOpsError) Error() string {
	var b strings.Builder
	types := map[string]int{}
	for _, o := range e.Ops {
		types[o.Type]++
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "%s: %d Paddle op type(s) cannot be mapped: %s", e.File, len(names), strings.Join(names, ", "))
	for _, o := range e.Ops {
		fmt.Fprintf(&b, "\n  %s -> %s", o.Type, strings.Join(o.Outputs, ", "))
		if o.Why != "" {
			fmt.Fprintf(&b, ": %s", o.Why)
		}
	}
	return b.String()
}

// programError is a fault in the program itself (an undefined input, an attribute of the wrong
// type), not an op the frontend lacks: loading stops at the first, with a one-line error that
// names the op.
type programError struct{ err error }

func (e *programError) Error() string { return e.err.Error() }

// attrTypeError is an attribute whose value is not of the type the op's lowering reads. The
// attribute helpers meet it deep inside lowering functions and panic with it; lowerOp turns it
// back into a programError.
type attrTypeError struct {
	name string
	got  any
	want string
}

func (e attrTypeError) Error() string {
	kind := map[string]string{"int64": "an int", "float64": "a float", "string": "a string", "bool": "a bool", "[]int64": "ints", "[]float64": "floats"}[fmt.Sprintf("%T", e.got)]
	return fmt.Sprintf("attribute %q is %s, want %s", e.name, kind, e.want)
}

// lowerOp runs one lowering function.
func lowerOp(fn lowerFunc, l *lowerer, o op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(attrTypeError)
			if !ok {
				panic(r)
			}
			err = &programError{e}
		}
	}()
	return fn(l, o)
}

// Options control loading.
type Options struct {
	// ProgramOnly loads a program without its parameters (for inspection): parameters become
	// graph inputs of their declared types.
	ProgramOnly bool
}

// Load reads a Paddle inference model.
func Load(path string) (*ir.Model, error) { return LoadWith(path, Options{}) }

// LoadWith reads a Paddle model with options.
func LoadWith(path string, opt Options) (m *ir.Model, err error) {
	l, ok := find(path)
	if !ok {
		return nil, fmt.Errorf("%s: not a Paddle model (want a .pdmodel with its .pdiparams, a folder with __model__, or an inference.json)", path)
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: malformed Paddle program: %v", l.program, r)
		}
	}()
	data, err := os.ReadFile(l.program)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file, not a Paddle program", l.program)
	}
	var params paramSource
	if !opt.ProgramOnly {
		if params, err = openParams(l); err != nil {
			return nil, err
		}
	}
	if l.pir {
		return lowerPIR(l.program, data, params)
	}
	return lowerProgram(l.program, data, params)
}

// ErrNoParams says that a program's parameters file is absent (LoadWith with ProgramOnly still
// reads the program).
var ErrNoParams = errors.New("its parameters file is missing")

// paramSource yields the parameter tensors of the given variables (names sorted, as Paddle
// writes a combined file). A nil paramSource means program-only.
type paramSource interface {
	load(names []string) (map[string]*runtime.Tensor, error)
}

// combinedParams is a .pdiparams or __params__ file: the records of the persistable variables
// in sorted-name order, nothing more.
type combinedParams struct {
	file string
	r    paramReader
}

func (c *combinedParams) load(names []string) (map[string]*runtime.Tensor, error) {
	out := make(map[string]*runtime.Tensor, len(names))
	for _, n := range names {
		t, err := c.r.next()
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %q: %w", c.file, n, err)
		}
		out[n] = t
	}
	if !c.r.done() {
		return nil, fmt.Errorf("%s: %d bytes left after the %d parameters the program declares", c.file, len(c.r.b)-c.r.off, len(names))
	}
	return out, nil
}

// separateParams is a folder with one file per persistable variable, named after it.
type separateParams struct{ dir string }

func (s *separateParams) load(names []string) (map[string]*runtime.Tensor, error) {
	out := make(map[string]*runtime.Tensor, len(names))
	for _, n := range names {
		if strings.ContainsAny(n, `/\`) || n == ".." || n == "." {
			return nil, fmt.Errorf("%s: parameter name %q is not a file name", s.dir, n)
		}
		path := filepath.Join(s.dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", n, err)
		}
		r := paramReader{b: data}
		t, err := r.next()
		if err == nil && !r.done() {
			err = fmt.Errorf("%d trailing bytes", len(data)-r.off)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[n] = t
	}
	return out, nil
}

func openParams(l layout) (paramSource, error) {
	if l.params != "" {
		data, err := os.ReadFile(l.params)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: %w (want %s beside it; onnxc inspect reads a program alone)", l.program, ErrNoParams, filepath.Base(l.params))
			}
			return nil, err
		}
		return &combinedParams{file: l.params, r: paramReader{b: data}}, nil
	}
	return &separateParams{dir: l.dir}, nil
}

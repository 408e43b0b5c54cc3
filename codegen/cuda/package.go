package cuda

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"

	gogen "github.com/onnxc/onnxc/codegen/go"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
	"github.com/onnxc/onnxc/runtime/gpu"
)

// Placement says where one lowered kernel runs.
type Placement struct {
	Kernel *lowered.Kernel
	// Alias: no kernel, the output is the input's device memory under another shape.
	Alias bool
	// GPU is the generated code; nil for a kernel that runs on the CPU path, for the reason Why.
	GPU *Kernel
	Why string
}

// Report is where every kernel of the main graph runs.
type Report struct {
	Kernels           []Placement
	GPU, CPU, Aliases int
}

// Place decides, for every kernel, whether it runs on the GPU (and generates its code), is an
// alias, or runs on the CPU path. A program the backend cannot run at all is an error: regions
// (control flow) and shapes not fixed at compile time.
func Place(p *lowered.Program, t Target) (*Report, error) {
	if len(p.Graphs) > 1 {
		return nil, fmt.Errorf("--target cuda: models with control flow (If, Loop, Scan) are not supported yet")
	}
	r := &Report{}
	for _, k := range p.Graphs[0].Kernels {
		for _, o := range k.Out {
			if o.Value != nil && !o.Static() {
				return nil, fmt.Errorf("--target cuda needs static shapes: %s's output %s is %s; pin the inputs with --shape NAME=DIMS", k.Node.Describe(), o.Value.Name, o.Value.Type)
			}
			if o.Value != nil && o.Value.Type.Kind != ir.TensorKind {
				return nil, fmt.Errorf("--target cuda: %s makes a %s, only tensors are supported", k.Node.Describe(), o.Value.Type)
			}
		}
		pl := Placement{Kernel: k}
		switch g, why, err := Explain(k, t); {
		case IsAlias(k):
			pl.Alias = true
			r.Aliases++
		case err != nil:
			return nil, err
		case g != nil:
			pl.GPU = g
			r.GPU++
		default:
			pl.Why = why
			r.CPU++
		}
		r.Kernels = append(r.Kernels, pl)
	}
	return r, nil
}

// Options control generation.
type Options struct {
	Package, Source string
	Target          Target
}

// Files are the generated package's files: model.go, the cuda and !cuda halves, weights.bin
// and one .ptx file per GPU kernel.
type Files map[string][]byte

// WeightsFile is the name of the embedded weights file.
const WeightsFile = "weights.bin"

// GeneratePackage writes the Go package that runs p on a CUDA device.
func GeneratePackage(p *lowered.Program, opt Options) (Files, *Report, error) {
	if opt.Package == "" {
		opt.Package = "model"
	}
	r, err := Place(p, opt.Target)
	if err != nil {
		return nil, nil, err
	}
	b := &builder{opt: opt, files: Files{}, value: map[*ir.Value]int{}, weight: map[*ir.Value]int{}}
	if err := b.build(p.Graphs[0].IR, r); err != nil {
		return nil, nil, err
	}
	return b.files, r, nil
}

type builder struct {
	opt           Options
	files         Files
	prog          gpu.Program
	specs         []runtime.WeightSpec
	blob          []byte
	value         map[*ir.Value]int // tensor index
	weight        map[*ir.Value]int // host weight index
	deviceWeights map[int]bool
	cpu           strings.Builder // CPU steps' parameter variables and functions
	cpuSteps      []int
}

// addWeight appends a host weight and returns its index.
func (b *builder) addWeight(t *runtime.Tensor) int {
	for len(b.blob)%runtime.WeightAlign != 0 {
		b.blob = append(b.blob, 0)
	}
	data := t.Bytes()
	b.specs = append(b.specs, runtime.WeightSpec{DType: t.DType, Shape: t.Shape, Off: len(b.blob), Len: len(data)})
	b.blob = append(b.blob, data...)
	return len(b.specs) - 1
}

func (b *builder) addTensor(t gpu.Tensor) int {
	b.prog.Tensors = append(b.prog.Tensors, t)
	return len(b.prog.Tensors) - 1
}

func (b *builder) ref(v *ir.Value) int {
	if v == nil {
		return -1
	}
	return b.value[v]
}

func tensorOf(v *ir.Value) gpu.Tensor {
	d := make([]int, len(v.Type.Shape))
	for i, x := range v.Type.Shape {
		d[i] = int(x.N)
	}
	return gpu.Tensor{DType: v.Type.DType, Shape: d, Buf: -1, Weight: -1}
}

func (b *builder) build(g *ir.Graph, r *Report) error {
	for _, c := range g.Consts {
		if c.Const.DType == runtime.String {
			return fmt.Errorf("--target cuda: string constant %s", c.Name)
		}
		t := tensorOf(c)
		t.Weight = b.addWeight(c.Const)
		b.weight[c] = t.Weight
		b.value[c] = b.addTensor(t)
	}
	for _, in := range g.Inputs {
		if in.Default != nil || in.Type.Kind != ir.TensorKind || !lowered.OperandOf(in).Static() {
			return fmt.Errorf("--target cuda: input %s is %s; inputs must be tensors of static shape (pin them with --shape) without defaults", in.Name, in.Type)
		}
		t := tensorOf(in)
		t.Buf = len(b.prog.Buffers)
		b.prog.Buffers = append(b.prog.Buffers, bytesOf(t))
		b.value[in] = b.addTensor(t)
		b.prog.Inputs = append(b.prog.Inputs, b.value[in])
	}
	b.plan(g, r)
	b.deviceWeights = map[int]bool{}
	for i, pl := range r.Kernels {
		if pl.Alias {
			continue
		}
		if err := b.step(i, pl); err != nil {
			return err
		}
	}
	for _, o := range g.Outputs {
		b.prog.Outputs = append(b.prog.Outputs, b.ref(o))
		b.needOnDevice(b.ref(o))
	}
	for k := range b.deviceWeights {
		b.prog.DeviceWeights = append(b.prog.DeviceWeights, k)
	}
	sort.Ints(b.prog.DeviceWeights)
	b.files[WeightsFile] = b.blob
	return b.source(g)
}

func bytesOf(t gpu.Tensor) int64 {
	n := int64(t.DType.Size())
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// plan gives every node output a tensor, in device buffers reused across values whose
// lifetimes do not overlap (a linear scan over the nodes, as the CPU path plans its buffers).
// An alias names its root's memory, which then lives as long as the alias.
func (b *builder) plan(g *ir.Graph, r *Report) {
	root := map[*ir.Value]*ir.Value{}
	rootOf := func(v *ir.Value) *ir.Value {
		if x, ok := root[v]; ok {
			return x
		}
		return v
	}
	for _, pl := range r.Kernels {
		if pl.Alias {
			n := pl.Kernel.Node
			root[n.Outputs[0]] = rootOf(n.Inputs[0])
		}
	}
	end := len(g.Nodes)
	last := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != nil {
				last[rootOf(in)] = i
			}
		}
		for _, o := range n.Outputs {
			if o != nil {
				if _, ok := last[rootOf(o)]; !ok {
					last[rootOf(o)] = i
				}
			}
		}
	}
	for _, o := range g.Outputs {
		last[rootOf(o)] = end
	}
	var free []int
	bufOf := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == nil {
				continue
			}
			t := tensorOf(o)
			if rt := rootOf(o); rt != o {
				base := b.prog.Tensors[b.value[rt]]
				t.Buf, t.Weight = base.Buf, base.Weight
			} else {
				need := bytesOf(t)
				if len(free) > 0 {
					t.Buf, free = free[len(free)-1], free[:len(free)-1]
					b.prog.Buffers[t.Buf] = max(b.prog.Buffers[t.Buf], need)
				} else {
					t.Buf = len(b.prog.Buffers)
					b.prog.Buffers = append(b.prog.Buffers, need)
				}
				bufOf[o] = t.Buf
			}
			b.value[o] = b.addTensor(t)
		}
		// Free after the node's outputs are placed: a kernel never writes over its inputs.
		for v, e := range last {
			if buf, ok := bufOf[v]; ok && e == i {
				free = append(free, buf)
				delete(bufOf, v)
			}
		}
	}
}

// needOnDevice marks a weight tensor as read on the device.
func (b *builder) needOnDevice(t int) {
	if t >= 0 && b.prog.Tensors[t].Buf < 0 {
		b.deviceWeights[b.prog.Tensors[t].Weight] = true
	}
}

func (b *builder) step(i int, pl Placement) error {
	k := pl.Kernel
	n := k.Node
	s := gpu.Step{Node: n.Describe(), Module: -1}
	for _, in := range n.Inputs {
		s.In = append(s.In, b.ref(in))
	}
	for _, o := range n.Outputs {
		s.Out = append(s.Out, b.ref(o))
	}
	if g := pl.GPU; g != nil {
		s.Module = len(b.prog.Modules)
		name := fmt.Sprintf("k%03d.ptx", i)
		b.prog.Modules = append(b.prog.Modules, name)
		b.files[name] = []byte(g.PTX)
		s.Launches = g.Launches
		for _, t := range s.In {
			b.needOnDevice(t)
		}
		for _, t := range g.Packed {
			w := b.addWeight(t)
			s.Packed = append(s.Packed, w)
			b.deviceWeights[w] = true
		}
		for j, sz := range g.Scratch {
			if j == len(b.prog.Scratch) {
				b.prog.Scratch = append(b.prog.Scratch, 0)
			}
			b.prog.Scratch[j] = max(b.prog.Scratch[j], sz)
		}
		b.prog.Steps = append(b.prog.Steps, s)
		return nil
	}
	for _, p := range k.Prepack {
		v := n.Input(p.Input)
		if v == nil || v.Const == nil {
			return fmt.Errorf("%s: input %d to prepack is not a constant", n.Describe(), p.Input)
		}
		packed, err := p.Pack(v.Const)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Describe(), err)
		}
		t := gpu.Tensor{DType: packed.DType, Shape: packed.Shape, Buf: -1, Weight: b.addWeight(packed)}
		s.In = append(s.In, b.addTensor(t))
	}
	lit, err := gogen.ParamLiteral(k.Params)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Describe(), err)
	}
	id := len(b.prog.Steps)
	arg := "nil"
	if lit != "nil" {
		arg = fmt.Sprintf("p%d", id)
		fmt.Fprintf(&b.cpu, "\nvar p%d = %s\n", id, lit)
	}
	fmt.Fprintf(&b.cpu, "\n// cpu%d runs %s on the CPU path: %s.\nfunc cpu%d(x *runtime.Exec, out, in []*runtime.Tensor) error {\n\treturn runtime.%s(x, %s, out, in)\n}\n",
		id, strings.ReplaceAll(n.Describe(), "\n", " "), pl.Why, id, k.Entry, arg)
	b.cpuSteps = append(b.cpuSteps, id)
	b.prog.Steps = append(b.prog.Steps, s)
	return nil
}

// source writes model.go (the API, the program and the CPU steps) and the two halves of the
// device code: with the cuda tag on runtime/gpu, without it a New that says so.
func (b *builder) source(g *ir.Graph) error {
	var w bytes.Buffer
	pf := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	pf("// Code generated by onnxc from %s. DO NOT EDIT.\n\n", b.opt.Source)
	pf("// Package %s runs the model %s on a CUDA GPU, compiled ahead of time by onnxc: its kernels are the\n// .ptx files beside this one; the kernels without a GPU version run on the CPU. Build with\n// -tags cuda (cgo, cuda.h and libcuda); without the tag New returns an error.\n", b.opt.Package, b.opt.Source)
	pf("package %s\n\nimport (\n\t\"context\"\n\t\"embed\"\n\t\"fmt\"\n\n\t\"github.com/onnxc/onnxc/runtime\"\n\t\"github.com/onnxc/onnxc/runtime/gpu\"\n)\n\n", b.opt.Package)
	pf("//go:embed %s\nvar weightsData string\n\n", WeightsFile)
	if len(b.prog.Modules) > 0 {
		pf("//go:embed *.ptx\n")
	}
	pf("var ptxFiles embed.FS\n\nvar weightSpecs = []runtime.WeightSpec{\n")
	for _, s := range b.specs {
		pf("\t{DType: %d, Shape: %#v, Off: %d, Len: %d},\n", s.DType, s.Shape, s.Off, s.Len)
	}
	pf("}\n\n")
	inF, outF := fieldNames(g.Inputs, "Input"), fieldNames(g.Outputs, "Output")
	pf("// Inputs holds the model's inputs, in host memory.\ntype Inputs struct {\n")
	for i, v := range g.Inputs {
		pf("\t// %s is input %q: %s.\n\t%s *runtime.Tensor\n", inF[i], v.Name, v.Type, inF[i])
	}
	pf("}\n\n// Outputs holds the model's outputs. RunInto reuses non-nil tensors' storage.\ntype Outputs struct {\n")
	for i, v := range g.Outputs {
		pf("\t// %s is output %q: %s.\n\t%s *runtime.Tensor\n", outF[i], v.Name, v.Type, outF[i])
	}
	pf("}\n\n// InputNames and OutputNames are the graph's names, in the order RunTensors uses.\nvar (\n\tInputNames = %#v\n\tOutputNames = %#v\n)\n\n", names(g.Inputs), names(g.Outputs))
	pf("// program is the run on the device, planned at compile time.\nvar program = gpu.Program{\n\tModules: %#v,\n\tBuffers: %#v,\n\tScratch: %#v,\n\tInputs: %#v,\n\tOutputs: %#v,\n\tDeviceWeights: %#v,\n\tTensors: []gpu.Tensor{\n",
		b.prog.Modules, b.prog.Buffers, b.prog.Scratch, b.prog.Inputs, b.prog.Outputs, b.prog.DeviceWeights)
	for _, t := range b.prog.Tensors {
		pf("\t\t{DType: %d, Shape: %#v, Buf: %d, Weight: %d},\n", t.DType, t.Shape, t.Buf, t.Weight)
	}
	pf("\t},\n}\n\n")
	// The steps go in init: the CPU steps' functions refer to package variables.
	pf("func init() {\n\tprogram.Steps = []gpu.Step{\n")
	cpu := map[int]bool{}
	for _, id := range b.cpuSteps {
		cpu[id] = true
	}
	for i, s := range b.prog.Steps {
		fn := "nil"
		if cpu[i] {
			fn = fmt.Sprintf("cpu%d", i)
		}
		pf("\t\t{Node: %q, Module: %d, Launches: %#v, Packed: %#v, CPU: %s, In: %#v, Out: %#v},\n", s.Node, s.Module, s.Launches, s.Packed, fn, s.In, s.Out)
	}
	pf("\t}\n}\n")
	w.WriteString(b.cpu.String())
	pf(`
// Option configures New.
type Option func(*config)

type config struct{ device, threads int }

// WithDevice runs the model on the CUDA device of this ordinal (default 0).
func WithDevice(ordinal int) Option { return func(c *config) { c.device = ordinal } }

// WithThreads sets the threads of the kernels that run on the CPU; 0 means GOMAXPROCS.
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// Run runs the model once. Outputs are fresh tensors owned by the caller.
func (m *Model) Run(ctx context.Context, in Inputs) (Outputs, error) {
	var out Outputs
	err := m.RunInto(ctx, in, &out)
	return out, err
}

// RunInto runs the model once, writing into out's tensors (allocated when nil).
func (m *Model) RunInto(ctx context.Context, in Inputs, out *Outputs) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ins := []*runtime.Tensor{%s}
	for i, t := range ins {
		want := program.Tensors[program.Inputs[i]]
		if t == nil || t.DType != want.DType || fmt.Sprint(t.Shape) != fmt.Sprint(want.Shape) {
			return fmt.Errorf("input %%q: want %%s %%v", InputNames[i], want.DType, want.Shape)
		}
	}
	outs := []**runtime.Tensor{%s}
	ts := make([]*runtime.Tensor, len(outs))
	for i, o := range outs {
		if *o == nil {
			*o = new(runtime.Tensor)
		}
		ts[i] = *o
	}
	return m.run(ctx, ins, ts)
}

// RunTensors runs the model with inputs and outputs in graph order (see InputNames and OutputNames).
func (m *Model) RunTensors(ctx context.Context, ins []*runtime.Tensor) ([]*runtime.Tensor, error) {
	if len(ins) != len(InputNames) {
		return nil, fmt.Errorf("%%d inputs given, the model has %%d", len(ins), len(InputNames))
	}
	outs := make([]*runtime.Tensor, len(OutputNames))
	for i := range outs {
		outs[i] = new(runtime.Tensor)
	}
	return outs, m.run(ctx, ins, outs)
}
`, joinFields("in.", inF), joinFields("&out.", outF))
	src, err := format.Source(w.Bytes())
	if err != nil {
		return fmt.Errorf("generated Go does not format: %w", err)
	}
	b.files["model.go"] = src
	b.files["device_cuda.go"] = []byte(fmt.Sprintf(`//go:build cuda

// Code generated by onnxc from %s. DO NOT EDIT.

package %s

import (
	"context"

	"github.com/onnxc/onnxc/runtime"
	"github.com/onnxc/onnxc/runtime/gpu"
)

// Model is the compiled model loaded on a device. It is safe for concurrent use; runs are
// serialized on the device's stream.
type Model struct{ d *gpu.Model }

// New loads the weights, uploads them and the kernels to the device and plans its memory.
func New(opts ...Option) (*Model, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	w, err := runtime.LoadWeights(weightsData, weightSpecs)
	if err != nil {
		return nil, err
	}
	d, err := gpu.Open(&program, ptxFiles, w, c.device, c.threads)
	if err != nil {
		return nil, err
	}
	return &Model{d: d}, nil
}

func (m *Model) run(ctx context.Context, ins, outs []*runtime.Tensor) error {
	return m.d.Run(ctx, ins, outs)
}

// Close frees the device memory.
func (m *Model) Close() { m.d.Close() }
`, b.opt.Source, b.opt.Package))
	b.files["device_nocuda.go"] = []byte(fmt.Sprintf(`//go:build !cuda

// Code generated by onnxc from %s. DO NOT EDIT.

package %s

import (
	"context"
	"errors"

	"github.com/onnxc/onnxc/runtime"
)

var errNoCUDA = errors.New("%s: built without the cuda tag: build with -tags cuda (needs cgo, cuda.h and libcuda)")

// Model is the compiled model; without the cuda tag it cannot be made.
type Model struct{}

// New returns an error: this build has no CUDA support.
func New(opts ...Option) (*Model, error) { return nil, errNoCUDA }

func (m *Model) run(context.Context, []*runtime.Tensor, []*runtime.Tensor) error { return errNoCUDA }

// Close does nothing.
func (m *Model) Close() {}
`, b.opt.Source, b.opt.Package, b.opt.Package))
	return nil
}

func names(vals []*ir.Value) []string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = v.Name
	}
	return s
}

func joinFields(prefix string, fields []string) string {
	var s []string
	for _, f := range fields {
		s = append(s, prefix+f)
	}
	return strings.Join(s, ", ")
}

// fieldNames turns value names into unique exported Go identifiers, as the CPU package does.
func fieldNames(vals []*ir.Value, fallback string) []string { return gogen.FieldNames(vals, fallback) }

// Package gogen generates a Go package for a compiled model: a Model type whose Run calls the
// runtime kernels each node lowered to, in order, with parameters fixed at compile time,
// intermediate tensors in planned and reused buffers, and weights in an embedded binary file.
package gogen

import (
	"bytes"
	"fmt"
	"go/format"
	"reflect"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Options control generation.
type Options struct {
	// Package is the generated package's name.
	Package string
	// Source is the model file's base name, for the generated comments.
	Source string
}

// Files are the generated package's files: model.go and weights.bin.
type Files map[string][]byte

// WeightsFile is the name of the embedded weights file.
const WeightsFile = "weights.bin"

var valueKind = map[ir.Kind]string{ir.TensorKind: "TensorValue", ir.SequenceKind: "SequenceValue", ir.OptionalKind: "OptionalValue"}

// Generate writes the Go package for a lowered model (ops.LowerModel of a model that has been
// through the pass pipeline).
func Generate(p *lowered.Program, opt Options) (Files, error) {
	m := p.Model
	if opt.Package == "" {
		opt.Package = "model"
	}
	gen := &generator{m: m, g: m.Graph, opt: opt, prog: p, parts: parts{pkg: opt.Package, source: opt.Source}}
	for _, k := range p.Kernels() {
		gen.nodes = append(gen.nodes, k.Node)
	}
	return gen.run()
}

type generator struct {
	m       *ir.Model
	g       *ir.Graph
	opt     Options
	prog    *lowered.Program
	nodes   []*ir.Node // every node of every graph, main graph first (Walk order)
	index   map[*ir.Node]int
	regions map[*ir.Graph]int
	weights []*ir.Value
	plan    *plan
	syms    []string
	// packed are each node's prepacked operands (weights of their own), passed after its inputs.
	packed map[*ir.Node][]*ir.Value
	// shapeOnly are the constants that only kernels reading their prepacked forms use: the
	// weights file keeps their shapes, not their data.
	shapeOnly map[*ir.Value]bool
	// parts are the files beyond model.go of a large model (split.go).
	parts parts
}

// prepack packs the constants that kernels read prepacked (lowered.Kernel.Prepack) into
// weights of their own, once per constant and layout.
func (gen *generator) prepack(addWeight func(*ir.Value, *runtime.Tensor)) error {
	gen.packed = map[*ir.Node][]*ir.Value{}
	type key struct {
		v *ir.Value
		p lowered.Prepack
	}
	done := map[key]*ir.Value{}
	for _, n := range gen.nodes {
		for _, p := range gen.kernel(n).Prepack {
			v := n.Input(p.Input)
			if v == nil || v.Const == nil {
				return fmt.Errorf("%s: input %d to prepack is not a constant", n.Describe(), p.Input)
			}
			k := key{v, p}
			k.p.Input = 0 // the same constant packed the same way, whichever input it is
			pv, ok := done[k]
			if !ok {
				t, err := p.Pack(v.Const)
				if err != nil {
					return fmt.Errorf("%s: %w", n.Describe(), err)
				}
				pv = &ir.Value{ID: -1, Name: v.Name + " (prepacked)", Type: ir.ConstType(t), Const: t, Graph: v.Graph}
				addWeight(pv, t)
				done[k] = pv
			}
			gen.packed[n] = append(gen.packed[n], pv)
		}
	}
	gen.shapeOnly = gen.onlyReadPrepacked()
	return nil
}

// onlyReadPrepacked finds the constants whose every use is an input that its kernel reads
// prepacked, and that no graph returns.
func (gen *generator) onlyReadPrepacked() map[*ir.Value]bool {
	uses, packedUses := map[*ir.Value]int{}, map[*ir.Value]int{}
	for _, n := range gen.nodes {
		for _, in := range n.Inputs {
			if in != nil && in.Const != nil {
				uses[in]++
			}
		}
		for _, p := range gen.kernel(n).Prepack {
			packedUses[n.Input(p.Input)]++
		}
	}
	gen.g.Walk(func(h *ir.Graph) {
		for _, o := range h.Outputs {
			uses[o]++ // never matched by a packed use: returned values keep their data
		}
	})
	only := map[*ir.Value]bool{}
	for v, k := range packedUses {
		if k == uses[v] {
			only[v] = true
		}
	}
	return only
}

// numIns is the number of tensors a node's kernel takes: its inputs and prepacked operands.
func (gen *generator) numIns(n *ir.Node) int { return len(n.Inputs) + len(gen.packed[n]) }

// kernel is n's lowered form.
func (gen *generator) kernel(n *ir.Node) *lowered.Kernel { return gen.prog.Of[n] }

func (gen *generator) run() (Files, error) {
	g := gen.g
	weightIndex := map[*ir.Value]int{}
	addWeight := func(v *ir.Value, t *runtime.Tensor) {
		if _, ok := weightIndex[v]; !ok {
			weightIndex[v] = len(gen.weights)
			gen.weights = append(gen.weights, v)
		}
	}
	g.Walk(func(h *ir.Graph) {
		for _, c := range h.Consts {
			addWeight(c, c.Const)
		}
	})
	for _, in := range g.Inputs {
		if in.Default != nil {
			addWeight(in, in.Default)
		}
	}
	if err := gen.prepack(addWeight); err != nil {
		return nil, err
	}
	gen.plan = newPlan(weightIndex, gen.prog)
	gen.plan.planGraph(g)
	gen.index = map[*ir.Node]int{}
	for i, n := range gen.nodes {
		gen.index[n] = i
	}
	gen.regions = map[*ir.Graph]int{}
	for _, n := range gen.nodes {
		for _, reg := range n.Regions {
			r := reg.Graph
			gen.regions[r] = len(gen.regions)
		}
	}
	symIndex := map[string]int{}
	for _, in := range g.Inputs {
		for _, d := range in.Type.Shape {
			if d.Sym != "" {
				if _, ok := symIndex[d.Sym]; !ok {
					symIndex[d.Sym] = len(gen.syms)
					gen.syms = append(gen.syms, d.Sym)
				}
			}
		}
	}

	weightsBin, specs, err := gen.weightsFile()
	if err != nil {
		return nil, err
	}
	f := jen.NewFile(gen.opt.Package)
	f.HeaderComment(fmt.Sprintf("Code generated by onnxc from %s. DO NOT EDIT.", gen.opt.Source))
	f.PackageComment(fmt.Sprintf("Package %s runs the model %s, compiled ahead of time by onnxc.", gen.opt.Package, gen.opt.Source))
	f.ImportAlias(rtPath, "rt")
	f.Anon("embed")

	inFields := fieldNames(g.Inputs, "Input")
	outFields := fieldNames(g.Outputs, "Output")
	gen.ioTypes(f, inFields, outFields)
	gen.modelType(f, specs)
	params, err := gen.paramVars(f)
	if err != nil {
		return nil, err
	}
	gen.stateType(f)
	gen.runFuncs(f, inFields, outFields, symIndex, params)
	if err := gen.ewFuncs(f); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("%s: generating Go: %w", gen.m.Source, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: generated Go does not format: %w", gen.m.Source, err)
	}
	files := Files{"model.go": src, WeightsFile: weightsBin}
	if err := gen.parts.render(files); err != nil {
		return nil, fmt.Errorf("%s: generating Go: %w", gen.m.Source, err)
	}
	return files, nil
}

// weightsFile lays the constants out in one aligned binary blob.
func (gen *generator) weightsFile() ([]byte, []runtime.WeightSpec, error) {
	var blob []byte
	specs := make([]runtime.WeightSpec, len(gen.weights))
	for i, v := range gen.weights {
		t := v.Const
		if t == nil {
			t = v.Default
		}
		for len(blob)%runtime.WeightAlign != 0 {
			blob = append(blob, 0)
		}
		var data []byte
		if t.DType == runtime.String {
			data = runtime.EncodeStrings(t.Strs)
		} else {
			data = t.Bytes()
		}
		if gen.shapeOnly[v] {
			specs[i] = runtime.WeightSpec{DType: t.DType, Shape: t.Shape, ShapeOnly: true}
			continue
		}
		specs[i] = runtime.WeightSpec{DType: t.DType, Shape: t.Shape, Off: len(blob), Len: len(data)}
		blob = append(blob, data...)
	}
	return blob, specs, nil
}

// fieldNames turns value names into unique exported Go identifiers.
func fieldNames(vals []*ir.Value, fallback string) []string {
	used := map[string]bool{}
	names := make([]string, len(vals))
	for i, v := range vals {
		name := exportedIdent(v.Name)
		if name == "" {
			name = fmt.Sprintf("%s%d", fallback, i)
		}
		base := name
		for k := 2; used[name]; k++ {
			name = fmt.Sprintf("%s%d", base, k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// exportedIdent makes "save_infer_model/scale_0.tmp_1" into SaveInferModelScale0Tmp1.
func exportedIdent(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) || r > unicode.MaxASCII {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if out != "" && unicode.IsDigit(rune(out[0])) {
		out = "X" + out
	}
	return out
}

func describe(v *ir.Value) string {
	t := v.Type
	if t.Kind != ir.TensorKind {
		return t.String()
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = d.String()
	}
	if !t.RankKnown {
		return t.DType.String() + " of any shape"
	}
	return fmt.Sprintf("%s [%s]", t.DType, strings.Join(dims, " "))
}

func (gen *generator) ioTypes(f *jen.File, inFields, outFields []string) {
	f.Comment("Inputs holds the model's inputs.")
	f.Type().Id("Inputs").StructFunc(func(s *jen.Group) {
		for i, v := range gen.g.Inputs {
			doc := fmt.Sprintf("%s is input %q: %s.", inFields[i], v.Name, describe(v))
			if v.Default != nil {
				doc += " It may be left nil to use the model's default."
			}
			s.Comment(doc)
			s.Id(inFields[i]).Op("*").Qual(rtPath, "Tensor")
		}
	})
	f.Comment("Outputs holds the model's outputs. RunInto reuses non-nil tensors' storage.")
	f.Type().Id("Outputs").StructFunc(func(s *jen.Group) {
		for i, v := range gen.g.Outputs {
			s.Comment(fmt.Sprintf("%s is output %q: %s.", outFields[i], v.Name, describe(v)))
			s.Id(outFields[i]).Op("*").Qual(rtPath, "Tensor")
		}
	})
	names := func(vals []*ir.Value) []jen.Code {
		var c []jen.Code
		for _, v := range vals {
			c = append(c, jen.Lit(v.Name))
		}
		return c
	}
	var dts, shapes []jen.Code
	for _, v := range gen.g.Inputs {
		dts = append(dts, dtypeCode(v.Type.DType))
		if !v.Type.RankKnown {
			shapes = append(shapes, jen.Nil())
			continue
		}
		d := make([]int, len(v.Type.Shape))
		for k, dim := range v.Type.Shape {
			d[k] = int(dim.N)
			if !dim.IsStatic() {
				d[k] = -1
			}
		}
		shapes = append(shapes, intSlice(d))
	}
	f.Comment("InputNames and OutputNames are the graph's names, in the order RunTensors uses; InputDTypes and InputShapes describe the inputs (-1: a dim fixed only at run time; nil: any rank).")
	f.Var().Defs(
		jen.Id("InputNames").Op("=").Index().String().Values(names(gen.g.Inputs)...),
		jen.Id("OutputNames").Op("=").Index().String().Values(names(gen.g.Outputs)...),
		jen.Id("InputDTypes").Op("=").Index().Qual(rtPath, "DType").Values(dts...),
		jen.Id("InputShapes").Op("=").Index().Index().Int().Values(shapes...),
	)
	kinds := func(vals []*ir.Value) []jen.Code {
		var c []jen.Code
		for _, v := range vals {
			c = append(c, jen.Qual(rtPath, valueKind[v.Type.Kind]))
		}
		return c
	}
	var defaults []jen.Code
	for _, v := range gen.g.Inputs {
		defaults = append(defaults, jen.Lit(v.Default != nil))
	}
	f.Comment("InputHasDefault says which inputs may be left nil to use the model's default.")
	f.Var().Id("InputHasDefault").Op("=").Index().Bool().Values(defaults...)
	f.Comment("InputKinds and OutputKinds say which values are tensors, sequences or optionals.")
	f.Var().Defs(
		jen.Id("InputKinds").Op("=").Index().Qual(rtPath, "ValueKind").Values(kinds(gen.g.Inputs)...),
		jen.Id("OutputKinds").Op("=").Index().Qual(rtPath, "ValueKind").Values(kinds(gen.g.Outputs)...),
	)
}

func (gen *generator) modelType(f *jen.File, specs []runtime.WeightSpec) {
	f.Comment("//go:embed " + WeightsFile)
	f.Var().Id("weightsData").String()
	var rows []jen.Code
	for _, s := range specs {
		d := jen.Dict{jen.Id("DType"): dtypeCode(s.DType), jen.Id("Shape"): intSlice(s.Shape)}
		if s.ShapeOnly {
			d[jen.Id("ShapeOnly")] = jen.True()
		} else {
			d[jen.Id("Off")], d[jen.Id("Len")] = jen.Lit(s.Off), jen.Lit(s.Len)
		}
		rows = append(rows, jen.Values(d))
	}
	f.Var().Id("weightSpecs").Op("=").Index().Qual(rtPath, "WeightSpec").Values(rows...)

	f.Comment("Model is the compiled model. It is safe for concurrent use by several goroutines.")
	f.Type().Id("Model").Struct(
		jen.Id("pool").Op("*").Qual(rtPath, "Pool"),
		jen.Id("w").Index().Op("*").Qual(rtPath, "Tensor"),
		// Idle working memory of earlier runs. A free list rather than a sync.Pool: a
		// sync.Pool drops its contents at garbage collections, and a warm run must not
		// allocate.
		jen.Id("mu").Qual("sync", "Mutex"),
		jen.Id("idle").Index().Op("*").Id("state"),
	)
	f.Comment("Option configures New.")
	f.Type().Id("Option").Func().Params(jen.Op("*").Id("config"))
	f.Type().Id("config").Struct(jen.Id("threads").Int())
	f.Comment("WithThreads sets the number of threads a Run may use (like onnxruntime's intra_op_num_threads); 0 means GOMAXPROCS.")
	f.Func().Id("WithThreads").Params(jen.Id("n").Int()).Id("Option").Block(
		jen.Return(jen.Func().Params(jen.Id("c").Op("*").Id("config")).Block(jen.Id("c").Dot("threads").Op("=").Id("n"))),
	)
	f.Comment("New loads the weights and prepares the model.")
	f.Func().Id("New").Params(jen.Id("opts").Op("...").Id("Option")).Params(jen.Op("*").Id("Model"), jen.Error()).Block(
		jen.Var().Id("c").Id("config"),
		jen.For(jen.List(jen.Id("_"), jen.Id("o")).Op(":=").Range().Id("opts")).Block(jen.Id("o").Call(jen.Op("&").Id("c"))),
		jen.List(jen.Id("w"), jen.Err()).Op(":=").Qual(rtPath, "LoadWeights").Call(jen.Id("weightsData"), jen.Id("weightSpecs")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Id("m").Op(":=").Op("&").Id("Model").Values(jen.Dict{
			jen.Id("pool"): jen.Qual(rtPath, "NewPool").Call(jen.Id("c").Dot("threads")),
			jen.Id("w"):    jen.Id("w"),
		}),
		jen.Return(jen.Id("m"), jen.Nil()),
	)
	f.Comment("Close stops the model's worker threads.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("Close").Params().Block(jen.Id("m").Dot("pool").Dot("Close").Call())
}

func intSlice(v []int) jen.Code {
	if v == nil {
		return jen.Nil()
	}
	c := make([]jen.Code, len(v))
	for i, x := range v {
		c[i] = jen.Lit(x)
	}
	return jen.Index().Int().Values(c...)
}

// paramVars emits one package-level parameter variable per node and returns how each call
// passes its parameters. Parameters with region bodies live in the state instead (newState
// binds the bodies to the generated region functions), starting from the package variable.
func (gen *generator) paramVars(f *jen.File) ([]jen.Code, error) {
	args := make([]jen.Code, len(gen.nodes))
	var defs []jen.Code
	for i, n := range gen.nodes {
		c := gen.kernel(n)
		v := reflect.ValueOf(c.Params)
		if !v.IsValid() || v.IsNil() || v.Elem().Type().NumField() == 0 || c.Entry == lowered.Elementwise {
			args[i] = jen.Nil()
			continue
		}
		lit, err := literal(v.Elem())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Describe(), err)
		}
		name := fmt.Sprintf("p%d", i)
		defs = append(defs, jen.Id(name).Op("=").Add(lit))
		args[i] = jen.Op("&").Id(name)
		if len(c.Bodies) > 0 {
			args[i] = jen.Op("&").Id("s").Dot(name)
		}
	}
	if len(defs) > 0 {
		f.Comment("Kernel parameters, one per node, fixed at compile time.")
		gen.varDefs(f, defs)
	}
	return args, nil
}

// argRefs lays out every node's inputs then outputs in one array of tensor references:
// r >= 0 is tensor slot r, -1 an absent input, r <= -2 weight -r-2.
func (gen *generator) argRefs() (refs []int, starts []int) {
	for _, n := range gen.nodes {
		starts = append(starts, len(refs))
		for _, in := range n.Inputs {
			refs = append(refs, gen.ref(in))
		}
		for _, pv := range gen.packed[n] {
			refs = append(refs, gen.ref(pv))
		}
		for _, o := range n.Outputs {
			refs = append(refs, gen.ref(o))
		}
	}
	return refs, starts
}

func (gen *generator) ref(v *ir.Value) int {
	if v == nil {
		return -1
	}
	if w, ok := gen.plan.weight[v]; ok && v.Const != nil {
		return -2 - w
	}
	return gen.plan.slot[v]
}

// tensorExpr is Go code for a value's tensor inside Run or a region function.
func (gen *generator) tensorExpr(v *ir.Value) jen.Code {
	if r := gen.ref(v); r <= -2 {
		return jen.Id("m").Dot("w").Index(jen.Lit(-r - 2))
	}
	return jen.Op("&").Id("s").Dot("t").Index(jen.Lit(gen.plan.slot[v]))
}

func (gen *generator) stateType(f *jen.File) {
	refs, _ := gen.argRefs()
	nt := len(gen.plan.bufOf)
	f.Comment("getState takes idle working memory, or makes some when every state is in use.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("getState").Params().Op("*").Id("state").Block(
		jen.Id("m").Dot("mu").Dot("Lock").Call(),
		jen.Defer().Id("m").Dot("mu").Dot("Unlock").Call(),
		jen.If(jen.Id("n").Op(":=").Len(jen.Id("m").Dot("idle")), jen.Id("n").Op(">").Lit(0)).Block(
			jen.Id("s").Op(":=").Id("m").Dot("idle").Index(jen.Id("n").Op("-").Lit(1)),
			jen.Id("m").Dot("idle").Op("=").Id("m").Dot("idle").Index(jen.Empty(), jen.Id("n").Op("-").Lit(1)),
			jen.Return(jen.Id("s")),
		),
		jen.Return(jen.Id("m").Dot("newState").Call()),
	)
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("putState").Params(jen.Id("s").Op("*").Id("state")).Block(
		jen.Id("m").Dot("mu").Dot("Lock").Call(),
		jen.Id("m").Dot("idle").Op("=").Append(jen.Id("m").Dot("idle"), jen.Id("s")),
		jen.Id("m").Dot("mu").Dot("Unlock").Call(),
	)
	f.Comment("state is one Run's working memory; states are reused, so runs on static shapes allocate nothing once warm.")
	f.Type().Id("state").StructFunc(func(st *jen.Group) {
		st.Id("x").Op("*").Qual(rtPath, "Exec")
		st.Id("t").Index(jen.Lit(nt)).Qual(rtPath, "Tensor")
		st.Id("buf").Index(jen.Lit(gen.plan.numBufs)).Qual(rtPath, "Buffer")
		st.Id("args").Index(jen.Lit(len(refs))).Op("*").Qual(rtPath, "Tensor")
		for i, n := range gen.nodes {
			if c := gen.kernel(n); len(c.Bodies) > 0 {
				st.Id(fmt.Sprintf("p%d", i)).Qual(rtPath, reflect.TypeOf(c.Params).Elem().Name())
			}
		}
	})
	f.Comment("bufOf maps tensor slots to planned buffers (-1: none); argRefs lists each node's inputs then outputs (slot, -1 absent, -2-k weight k).")
	f.Var().Defs(
		jen.Id("bufOf").Op("=").Index(jen.Lit(nt)).Int32().Values(int32s(gen.plan.bufOf)...),
		jen.Id("argRefs").Op("=").Index(jen.Lit(len(refs))).Int32().Values(int32s(refs)...),
	)
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("newState").Params().Op("*").Id("state").BlockFunc(func(b *jen.Group) {
		b.Id("s").Op(":=").Op("&").Id("state").Values(jen.Dict{jen.Id("x"): jen.Qual(rtPath, "NewExec").Call(jen.Id("m").Dot("pool"))})
		b.For(jen.List(jen.Id("i"), jen.Id("b")).Op(":=").Range().Id("bufOf")).Block(
			jen.If(jen.Id("b").Op(">=").Lit(0)).Block(jen.Id("s").Dot("t").Index(jen.Id("i")).Dot("Buf").Op("=").Op("&").Id("s").Dot("buf").Index(jen.Id("b"))),
		)
		b.For(jen.List(jen.Id("i"), jen.Id("r")).Op(":=").Range().Id("argRefs")).Block(
			jen.Switch().Block(
				jen.Case(jen.Id("r").Op(">=").Lit(0)).Block(jen.Id("s").Dot("args").Index(jen.Id("i")).Op("=").Op("&").Id("s").Dot("t").Index(jen.Id("r"))),
				jen.Case(jen.Id("r").Op("<=").Lit(-2)).Block(jen.Id("s").Dot("args").Index(jen.Id("i")).Op("=").Id("m").Dot("w").Index(jen.Op("-").Id("r").Op("-").Lit(2))),
			),
		)
		for i, n := range gen.nodes {
			c := gen.kernel(n)
			if len(c.Bodies) == 0 {
				continue
			}
			name := fmt.Sprintf("p%d", i)
			b.Id("s").Dot(name).Op("=").Id(name)
			for k, field := range lowered.BodyFields(c.Params) {
				if c.Bodies[k] == nil {
					continue // an optional region the node lacks
				}
				fn := fmt.Sprintf("region%d", gen.regions[c.Bodies[k]])
				b.Id("s").Dot(name).Dot(field).Op("=").Func().Params(jen.Id("out"), jen.Id("in").Index().Op("*").Qual(rtPath, "Tensor")).Error().Block(
					jen.Return(jen.Id("m").Dot(fn).Call(jen.Id("s"), jen.Id("out"), jen.Id("in"))),
				)
			}
		}
		b.Return(jen.Id("s"))
	})
}

func int32s(v []int) []jen.Code {
	c := make([]jen.Code, len(v))
	for i, x := range v {
		c[i] = jen.Lit(x)
	}
	return c
}

// emitRange emits the kernel calls of g's nodes from to to-1.
func (gen *generator) emitRange(b *jen.Group, g *ir.Graph, from, to int, params []jen.Code, starts []int) {
	for k := from; k < to; k++ {
		n := g.Nodes[k]
		i := gen.index[n]
		lo := starts[i]
		mid := lo + gen.numIns(n)
		hi := mid + len(n.Outputs)
		if k > 0 && k%32 == 0 && g == gen.g {
			b.If(jen.Err().Op(":=").Id("ctx").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		}
		b.Comment(fmt.Sprintf("%s -> %s", n.Describe(), outTypes(n)))
		call := jen.Qual(rtPath, gen.kernel(n).Entry.String()).Call(
			jen.Id("s").Dot("x"), params[i],
			jen.Id("s").Dot("args").Index(jen.Lit(mid), jen.Lit(hi)),
			jen.Id("s").Dot("args").Index(jen.Lit(lo), jen.Lit(mid)),
		)
		if gen.kernel(n).Entry == lowered.Elementwise {
			call = jen.Id(fmt.Sprintf("ew%dRun", i)).Call(
				jen.Id("s").Dot("x"),
				jen.Id("s").Dot("args").Index(jen.Lit(mid), jen.Lit(hi)),
				jen.Id("s").Dot("args").Index(jen.Lit(lo), jen.Lit(mid)),
			)
		}
		b.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("nodeError").Call(jen.Id("s").Dot("x"), jen.Lit(i), jen.Err())),
		)
		b.Id("s").Dot("x").Dot("Tick").Call(jen.Lit(i))
	}
}

func (gen *generator) runFuncs(f *jen.File, inFields, outFields []string, symIndex map[string]int, params []jen.Code) {
	g := gen.g
	_, starts := gen.argRefs()
	// Static descriptions of the inputs for CheckInput.
	var inDefs []jen.Code
	for i, v := range g.Inputs {
		var dims, syms jen.Code = jen.Nil(), jen.Nil()
		if v.Type.RankKnown {
			d := make([]int, len(v.Type.Shape))
			s := make([]int, len(v.Type.Shape))
			hasSym := false
			for k, dim := range v.Type.Shape {
				d[k] = int(dim.N)
				if !dim.IsStatic() {
					d[k] = -1
				}
				s[k] = -1
				if dim.Sym != "" {
					s[k] = symIndex[dim.Sym]
					hasSym = true
				}
			}
			dims = intSlice(d)
			if hasSym {
				syms = intSlice(s)
			}
		}
		inDefs = append(inDefs, jen.Id(fmt.Sprintf("inDims%d", i)).Index().Int().Op("=").Add(dims), jen.Id(fmt.Sprintf("inSyms%d", i)).Index().Int().Op("=").Add(syms))
	}
	if len(inDefs) > 0 {
		f.Var().Defs(inDefs...)
	}
	var descs, kernels []jen.Code
	for _, n := range gen.nodes {
		descs = append(descs, jen.Lit(n.Describe()))
		kernels = append(kernels, jen.Lit(fmt.Sprintf("%-20s %s -> %s", gen.kernel(n).Entry, n.Describe(), outTypes(n))))
	}
	f.Comment("nodeNames describes each node for errors.")
	f.Var().Id("nodeNames").Op("=").Index().String().Values(descs...)
	// One function rather than an Errorf per call: the Go compiler's time grows with the code
	// at each of a large model's calls.
	// A kernel that fails after the Run was cancelled may have read what a cancelled kernel
	// left half computed: the cancellation is the error to report.
	f.Comment("nodeError names node i in a kernel's error, or returns the Run's cancellation.")
	f.Func().Id("nodeError").Params(jen.Id("x").Op("*").Qual(rtPath, "Exec"), jen.Id("i").Int(), jen.Err().Error()).Error().Block(
		jen.If(jen.Id("c").Op(":=").Id("x").Dot("Err").Call(), jen.Id("c").Op("!=").Nil()).Block(jen.Return(jen.Id("c"))),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%s: %w"), jen.Id("nodeNames").Index(jen.Id("i")), jen.Err())),
	)
	f.Comment("Kernels names each node's kernel entry, node and output types, for runtime.ProfileKernels.")
	f.Var().Id("Kernels").Op("=").Index().String().Values(kernels...)

	f.Comment("Run runs the model once. Outputs are fresh tensors owned by the caller.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("Run").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("in").Id("Inputs")).Params(jen.Id("Outputs"), jen.Error()).Block(
		jen.Var().Id("out").Id("Outputs"),
		jen.Err().Op(":=").Id("m").Dot("RunInto").Call(jen.Id("ctx"), jen.Id("in"), jen.Op("&").Id("out")),
		jen.Return(jen.Id("out"), jen.Err()),
	)
	f.Comment("RunInto runs the model once, writing into out's tensors (allocated when nil), so a caller that reuses out allocates nothing per run on static shapes.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("RunInto").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("in").Id("Inputs"), jen.Id("out").Op("*").Id("Outputs")).Params(jen.Err().Error()).BlockFunc(func(b *jen.Group) {
		b.If(jen.Err().Op(":=").Id("ctx").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		// A tensor over the size limit (or a kernel bug) panics; the caller gets an error.
		b.Defer().Func().Params().Block(jen.If(jen.Id("r").Op(":=").Recover(), jen.Id("r").Op("!=").Nil()).Block(
			jen.Err().Op("=").Qual(rtPath, "PanicError").Call(jen.Id("r")),
		)).Call()
		if len(gen.syms) > 0 {
			b.Id("bound").Op(":=").Index(jen.Lit(len(gen.syms))).Int().Values()
			b.For(jen.Id("i").Op(":=").Range().Id("bound")).Block(jen.Id("bound").Index(jen.Id("i")).Op("=").Lit(-1))
		}
		for i, v := range g.Inputs {
			field := jen.Id("in").Dot(inFields[i])
			if v.Default != nil {
				b.If(field.Clone().Op("==").Nil()).Block(field.Clone().Op("=").Id("m").Dot("w").Index(jen.Lit(gen.plan.weight[v])))
			}
			var bound jen.Code = jen.Nil()
			if len(gen.syms) > 0 {
				bound = jen.Id("bound").Index(jen.Empty(), jen.Empty())
			}
			if v.Type.Kind != ir.TensorKind {
				b.If(jen.Err().Op(":=").Qual(rtPath, "CheckKind").Call(jen.Lit(v.Name), field.Clone(), jen.Qual(rtPath, valueKind[v.Type.Kind])), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
				continue
			}
			b.If(jen.Err().Op(":=").Qual(rtPath, "CheckInput").Call(jen.Lit(v.Name), field.Clone(), dtypeCode(v.Type.DType),
				jen.Id(fmt.Sprintf("inDims%d", i)), jen.Id(fmt.Sprintf("inSyms%d", i)), bound), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		}
		b.Id("s").Op(":=").Id("m").Dot("getState").Call()
		b.Defer().Id("m").Dot("putState").Call(jen.Id("s"))
		// Loop and Scan check the context between iterations; a pooled state keeps none.
		b.Id("s").Dot("x").Dot("SetContext").Call(jen.Id("ctx"))
		b.Defer().Id("s").Dot("x").Dot("SetContext").Call(jen.Nil())
		for i, v := range g.Inputs {
			b.Id("s").Dot("t").Index(jen.Lit(gen.plan.slot[v])).Op("=").Op("*").Id("in").Dot(inFields[i])
		}
		b.Id("s").Dot("x").Dot("Tick").Call(jen.Lit(-1))
		gen.emitNodes(b, g, params, starts)
		// GEMM and convolution kernels stop between tiles once ctx is cancelled, leaving
		// their outputs unfinished: never hand those out as results.
		b.If(jen.Err().Op(":=").Id("ctx").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		for i, v := range g.Outputs {
			field := jen.Id("out").Dot(outFields[i])
			b.If(field.Clone().Op("==").Nil()).Block(field.Clone().Op("=").New(jen.Qual(rtPath, "Tensor")))
			b.Id("out").Dot(outFields[i]).Dot("CopyFrom").Call(gen.tensorExpr(v))
		}
		// Drop references to the caller's inputs so pooled states do not keep them alive.
		for _, v := range g.Inputs {
			b.Id("s").Dot("t").Index(jen.Lit(gen.plan.slot[v])).Op("=").Qual(rtPath, "Tensor").Values()
		}
		b.Return(jen.Nil())
	})

	// One function per region, in the order regions were numbered.
	byIndex := make([]*ir.Graph, len(gen.regions))
	for r, k := range gen.regions {
		byIndex[k] = r
	}
	for k, r := range byIndex {
		f.Comment(fmt.Sprintf("region%d runs region %q.", k, r.Name))
		f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(fmt.Sprintf("region%d", k)).Params(
			jen.Id("s").Op("*").Id("state"), jen.List(jen.Id("out"), jen.Id("in")).Index().Op("*").Qual(rtPath, "Tensor"),
		).Error().BlockFunc(func(b *jen.Group) {
			if len(r.Inputs) > 0 {
				b.If(jen.Len(jen.Id("in")).Op("!=").Lit(len(r.Inputs))).Block(
					jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("region %q: %%d inputs, want %d", r.Name, len(r.Inputs))), jen.Len(jen.Id("in")))))
			}
			for i, v := range r.Inputs {
				b.Id("s").Dot("t").Index(jen.Lit(gen.plan.slot[v])).Op("=").Op("*").Id("in").Index(jen.Lit(i))
			}
			gen.emitNodes(b, r, params, starts)
			for i, v := range r.Outputs {
				b.Id("out").Index(jen.Lit(i)).Dot("CopyFrom").Call(gen.tensorExpr(v))
			}
			b.Return(jen.Nil())
		})
	}

	f.Comment("RunTensors runs the model with inputs and outputs in graph order (see InputNames and OutputNames).")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("RunTensors").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("ins").Index().Op("*").Qual(rtPath, "Tensor")).Params(jen.Index().Op("*").Qual(rtPath, "Tensor"), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.If(jen.Len(jen.Id("ins")).Op(">").Lit(len(g.Inputs))).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%%d inputs given, the model has %d", len(g.Inputs))), jen.Len(jen.Id("ins")))))
		b.Var().Id("in").Id("Inputs")
		for i := range g.Inputs {
			b.If(jen.Len(jen.Id("ins")).Op(">").Lit(i)).Block(jen.Id("in").Dot(inFields[i]).Op("=").Id("ins").Index(jen.Lit(i)))
		}
		b.List(jen.Id("out"), jen.Err()).Op(":=").Id("m").Dot("Run").Call(jen.Id("ctx"), jen.Id("in"))
		outs := make([]jen.Code, len(g.Outputs))
		for i := range g.Outputs {
			outs[i] = jen.Id("out").Dot(outFields[i])
		}
		b.Return(jen.Index().Op("*").Qual(rtPath, "Tensor").Values(outs...), jen.Err())
	})
}

func outTypes(n *ir.Node) string {
	var parts []string
	for _, o := range n.Outputs {
		if o == nil {
			parts = append(parts, "_")
			continue
		}
		parts = append(parts, o.Type.String())
	}
	return strings.Join(parts, ", ")
}

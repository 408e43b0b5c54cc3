// Package onnx is onnxc's ONNX frontend: it decodes a model file (.onnx, with external data
// beside it) and lowers it into the IR.
//
// The IR's ops have the semantics of the newest ONNX version of each op, so the importer
// rewrites older forms as it goes (attributes that became inputs, Softmax's 2-D coercion,
// Upsample into Resize, and so on; see Rewrites). Model-local functions are inlined, Constant
// nodes become constants, and subgraph attributes become nested regions. Nothing after this
// package needs to know the model's opset.
package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// SupportedOpset is the newest ai.onnx opset the importer knows; a model that imports a newer
// one is refused, since its ops may mean something this importer has not seen.
const SupportedOpset = 28

// minIRVersion is the oldest IR version accepted: version 3 introduced opset imports, without
// which the meaning of a node cannot be known.
const minIRVersion = 3

// maxInlineDepth bounds nested function calls, so that a recursive function is an error rather
// than a stack overflow.
const maxInlineDepth = 64

// Load reads and imports an ONNX model file; external data is looked up beside it.
func Load(path string) (*ir.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // a *fs.PathError, which names the file
	}
	return Decode(data, filepath.Dir(path), path)
}

// Decode imports a serialized ModelProto. dir is the folder that external data locations are
// relative to ("" refuses external data); source names the model in errors and in the IR.
func Decode(data []byte, dir, source string) (m *ir.Model, err error) {
	imp := &importer{source: source, dir: dir, funcs: map[string]*onnxpb.FunctionProto{}, dtypes: map[*ir.Value]runtime.DType{}}
	defer func() {
		if imp.root != nil {
			imp.root.Close()
		}
		// A malformed model must never crash the compiler. Every check the importer knows is
		// made explicitly; this is the last line of defence for one it does not.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: %w: %v", source, errMalformed, r)
		}
	}()
	m, err = imp.decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return m, nil
}

// errMalformed marks an error recovered from a panic: a check the importer lacks.
var errMalformed = errors.New("malformed model")

type importer struct {
	source string
	dir    string
	root   *os.Root
	m      *ir.Model
	funcs  map[string]*onnxpb.FunctionProto
	calls  int // numbers inlined calls of unnamed nodes, for fresh value names
	free   freeNameCache
	dtypes map[*ir.Value]runtime.DType
}

// ctx is what importing a node depends on besides its graph: the opsets in effect (a function
// may import its own), and inside an inlined function, the call's attributes and the prefix that
// makes the body's value names fresh.
type ctx struct {
	imp    *importer
	opsets map[string]int
	call   *callInfo
	prefix string
	depth  int
}

// scope maps ONNX value names to IR values for one graph; lookups fall back to the enclosing
// graphs, since a region may use their values. A name bound to nil is an absent optional input
// (a function's formal parameter the call left out).
type scope struct {
	g      *ir.Graph
	parent *scope
	vals   map[string]*ir.Value
	hints  map[string]*onnxpb.TypeProto
}

func newScope(g *ir.Graph, parent *scope) *scope {
	return &scope{g: g, parent: parent, vals: map[string]*ir.Value{}, hints: map[string]*onnxpb.TypeProto{}}
}

func (s *scope) lookup(name string) (*ir.Value, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) define(name string, v *ir.Value) error {
	if _, dup := s.vals[name]; dup {
		return fmt.Errorf("value %q is defined twice", name)
	}
	s.vals[name] = v
	return nil
}

// normDomain maps the default domain's two spellings to "".
func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

func funcKey(domain, name, overload string) string {
	return normDomain(domain) + "\x00" + name + "\x00" + overload
}

func (imp *importer) decode(data []byte) (*ir.Model, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file, not an ONNX model")
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("not a valid ONNX model (truncated or corrupt?): %v", err)
	}
	if mp.IrVersion == nil {
		return nil, errors.New("has no ir_version: not an ONNX model")
	}
	if v := mp.GetIrVersion(); v < minIRVersion {
		return nil, fmt.Errorf("has IR version %d; onnxc supports IR version %d and later (re-export the model with a newer exporter)", v, minIRVersion)
	}
	if mp.Graph == nil {
		return nil, errors.New("has no graph")
	}
	opsets := map[string]int{}
	for _, o := range mp.OpsetImport {
		d := normDomain(o.GetDomain())
		v := o.GetVersion()
		if v <= 0 || v > 1<<20 {
			return nil, fmt.Errorf("imports opset %d of domain %q, which is not a valid version", v, o.GetDomain())
		}
		if old, dup := opsets[d]; dup && old != int(v) {
			return nil, fmt.Errorf("imports domain %q twice, as opsets %d and %d", o.GetDomain(), old, v)
		}
		opsets[d] = int(v)
	}
	if len(opsets) == 0 {
		return nil, errors.New("imports no opset")
	}
	if v, ok := opsets[""]; ok && v > SupportedOpset {
		return nil, fmt.Errorf("imports ai.onnx opset %d; onnxc knows opsets up to %d", v, SupportedOpset)
	}
	for _, f := range mp.Functions {
		k := funcKey(f.GetDomain(), f.GetName(), f.GetOverload())
		if f.GetName() == "" {
			return nil, errors.New("has a function without a name")
		}
		if _, dup := imp.funcs[k]; dup {
			return nil, fmt.Errorf("defines function %s.%s twice", f.GetDomain(), f.GetName())
		}
		imp.funcs[k] = f
	}
	imp.m = ir.NewModel(imp.source)
	imp.m.Opsets = opsets
	c := &ctx{imp: imp, opsets: opsets}
	if err := c.graph(mp.Graph, imp.m.Graph, newScope(imp.m.Graph, nil)); err != nil {
		return nil, err
	}
	return imp.m, nil
}

// graph imports gp into g: inputs, initializers, nodes and outputs.
func (c *ctx) graph(gp *onnxpb.GraphProto, g *ir.Graph, sc *scope) error {
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range gp.Initializer {
		name := t.GetName()
		if name == "" {
			return errors.New("graph has an initializer without a name")
		}
		if _, dup := inits[name]; dup {
			return fmt.Errorf("initializer %q is defined twice", name)
		}
		inits[name] = t
	}
	for _, vi := range gp.ValueInfo {
		sc.hints[vi.GetName()] = vi.GetType()
	}
	for _, vi := range gp.Output {
		sc.hints[vi.GetName()] = vi.GetType()
	}
	asInput := map[string]bool{}
	for _, vi := range gp.Input {
		name := vi.GetName()
		if name == "" {
			return fmt.Errorf("graph %q has an input without a name", g.Name)
		}
		t, err := irType(vi.GetType())
		if err != nil {
			return fmt.Errorf("input %q %w", name, err)
		}
		var def *ir.Value
		if tp, ok := inits[name]; ok {
			// An initializer listed among the inputs is a default the caller may override.
			data, err := c.imp.tensor(tp)
			if err != nil {
				return err
			}
			ct := ir.ConstType(data)
			switch {
			case !known(t):
				t = ct
			case !fits(t, data):
				return fmt.Errorf("input %q is declared %s but its initializer is %s", name, t, data)
			}
			def = g.AddInput(c.prefix+name, t)
			def.Default = data
			asInput[name] = true
		} else {
			def = g.AddInput(c.prefix+name, t)
		}
		if err := sc.define(name, def); err != nil {
			return err
		}
	}
	for _, tp := range gp.Initializer {
		if asInput[tp.GetName()] {
			continue
		}
		data, err := c.imp.tensor(tp)
		if err != nil {
			return err
		}
		if err := sc.define(tp.GetName(), g.AddConst(c.prefix+tp.GetName(), data)); err != nil {
			return err
		}
	}
	for _, sp := range gp.SparseInitializer {
		name := sp.GetValues().GetName()
		if name == "" {
			return errors.New("graph has a sparse initializer without a name")
		}
		data, err := c.imp.sparse(sp)
		if err != nil {
			return err
		}
		if err := sc.define(name, g.AddConst(c.prefix+name, data)); err != nil {
			return err
		}
	}
	if err := c.nodes(gp.Node, g, sc); err != nil {
		return err
	}
	for _, vi := range gp.Output {
		name := vi.GetName()
		v, ok := sc.lookup(name)
		if !ok || v == nil {
			return fmt.Errorf("graph output %q is not defined in graph %q", name, g.Name)
		}
		g.Outputs = append(g.Outputs, v)
	}
	return nil
}

// fits reports whether a tensor is a value of type t (a default for an input declared t).
func fits(t ir.Type, data *runtime.Tensor) bool {
	if t.Kind != ir.TensorKind || (t.DType != 0 && t.DType != data.DType) {
		return false
	}
	if !t.RankKnown {
		return true
	}
	if len(t.Shape) != len(data.Shape) {
		return false
	}
	for i, d := range t.Shape {
		if d.IsStatic() && d.N != int64(data.Shape[i]) {
			return false
		}
	}
	return true
}

// nodes imports a node list in topological order.
func (c *ctx) nodes(nps []*onnxpb.NodeProto, g *ir.Graph, sc *scope) error {
	if c.imp.free == nil {
		c.imp.free = freeNameCache{}
	}
	ordered, err := topoOrder(nps, c.imp.free)
	if err != nil {
		return err
	}
	for _, np := range ordered {
		if err := c.node(np, g, sc); err != nil {
			return fmt.Errorf("%s: %w", describe(np), err)
		}
	}
	return nil
}

// describe names a node for errors by its name, or by its first output when it has none.
func describe(np *onnxpb.NodeProto) string {
	op := np.GetOpType()
	if d := np.GetDomain(); d != "" && d != "ai.onnx" {
		op = d + "." + op
	}
	if np.GetName() != "" {
		return fmt.Sprintf("node %q (%s)", np.GetName(), op)
	}
	for _, o := range np.Output {
		if o != "" {
			return fmt.Sprintf("%s node producing %q", op, o)
		}
	}
	return op + " node"
}

// node imports one node: a call to a local function is inlined, a Constant becomes a constant,
// and any other node becomes an IR node in its newest form.
func (c *ctx) node(np *onnxpb.NodeProto, g *ir.Graph, sc *scope) error {
	op, domain := np.GetOpType(), normDomain(np.GetDomain())
	if op == "" {
		return errors.New("has no op_type")
	}
	if fn := c.imp.funcs[funcKey(domain, op, np.GetOverload())]; fn != nil {
		return c.inline(np, fn, g, sc)
	}
	opset, ok := c.opsets[domain]
	if !ok {
		name := domain
		if name == "" {
			name = "ai.onnx"
		}
		return fmt.Errorf("uses domain %s, which the model does not import", name)
	}
	attrs, err := c.attrs(np, g, sc)
	if err != nil {
		return err
	}
	if domain == "" && op == "Constant" {
		return c.constant(np, attrs, g, sc)
	}
	inputs, err := c.inputs(np, sc)
	if err != nil {
		return err
	}
	b := &builder{c: c, g: g, op: op, domain: domain, name: np.GetName(), outNames: np.Output,
		in: inputs, attrs: attrs, nout: len(np.Output), opset: opset}
	var outs []*ir.Value
	if domain == "" {
		if outs, err = normalize(b); err != nil {
			return err
		}
	}
	if outs == nil {
		outs = b.self()
	}
	return c.bindOutputs(np.Output, outs, sc)
}

// inputs resolves a node's input names; "" is an absent optional input (nil), and trailing
// absent inputs are dropped.
func (c *ctx) inputs(np *onnxpb.NodeProto, sc *scope) ([]*ir.Value, error) {
	in := make([]*ir.Value, len(np.Input))
	for i, name := range np.Input {
		if name == "" {
			continue
		}
		v, ok := sc.lookup(name)
		if !ok {
			return nil, fmt.Errorf("input %q is not defined", name)
		}
		in[i] = v
	}
	for len(in) > 0 && in[len(in)-1] == nil {
		in = in[:len(in)-1]
	}
	return in, nil
}

// bindOutputs names a node's outputs and types them from value_info where the model says.
func (c *ctx) bindOutputs(names []string, outs []*ir.Value, sc *scope) error {
	for i, name := range names {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return fmt.Errorf("output %d (%q) has no counterpart in onnxc's form of the op", i, name)
		}
		v := outs[i]
		v.Name = c.prefix + name
		if tp, ok := sc.hints[name]; ok && !known(v.Type) {
			if t, err := irType(tp); err == nil {
				v.Type = t
			}
		}
		if err := sc.define(name, v); err != nil {
			return err
		}
	}
	return nil
}

// region imports a graph attribute as a region of g.
func (c *ctx) region(gp *onnxpb.GraphProto, attrName string, g *ir.Graph, sc *scope) (*ir.Graph, error) {
	name := gp.GetName()
	if name == "" {
		name = attrName
	}
	r := c.imp.m.NewGraph(name, g)
	if err := c.graph(gp, r, newScope(r, sc)); err != nil {
		return nil, fmt.Errorf("in subgraph %q: %w", name, err)
	}
	return r, nil
}

// topoOrder returns the nodes in an order where each is after the producers of the values it
// uses (including values its subgraphs use). Files are supposed to be sorted already, and then
// the list is returned as is; otherwise the sort is stable.
func topoOrder(nps []*onnxpb.NodeProto, free freeNameCache) ([]*onnxpb.NodeProto, error) {
	producer := map[string]int{}
	for i, np := range nps {
		for _, o := range np.Output {
			if _, ok := producer[o]; !ok && o != "" {
				producer[o] = i
			}
		}
	}
	deps := make([][]int, len(nps))
	sorted := true
	for i, np := range nps {
		for _, u := range usedNames(np, nil, free) {
			if j, ok := producer[u]; ok && j != i {
				deps[i] = append(deps[i], j)
				if j > i {
					sorted = false
				}
			}
		}
	}
	if sorted {
		return nps, nil
	}
	users := make([][]int, len(nps))
	pending := make([]int, len(nps))
	for i, ds := range deps {
		for _, j := range ds {
			users[j] = append(users[j], i)
			pending[i]++
		}
	}
	var ready []int
	for i := range nps {
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]*onnxpb.NodeProto, 0, len(nps))
	for len(ready) > 0 {
		// Take the earliest ready node, to keep the file's order where it is valid.
		sort.Ints(ready)
		i := ready[0]
		ready = ready[1:]
		out = append(out, nps[i])
		for _, u := range users[i] {
			if pending[u]--; pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) != len(nps) {
		for i, p := range pending {
			if p > 0 {
				return nil, fmt.Errorf("the graph has a cycle through %s", describe(nps[i]))
			}
		}
	}
	return out, nil
}

// usedNames appends the value names np uses: its inputs and the names its subgraphs take from
// outside them.
func usedNames(np *onnxpb.NodeProto, names []string, free freeNameCache) []string {
	for _, in := range np.Input {
		if in != "" {
			names = append(names, in)
		}
	}
	for _, g := range subgraphs(np) {
		names = append(names, free.of(g)...)
	}
	return names
}

// subgraphs are np's graph-valued attributes (If's branches, Loop's and Scan's bodies).
func subgraphs(np *onnxpb.NodeProto) []*onnxpb.GraphProto {
	var gs []*onnxpb.GraphProto
	for _, a := range np.Attribute {
		if a.G != nil {
			gs = append(gs, a.G)
		}
		gs = append(gs, a.Graphs...)
	}
	return gs
}

// freeNameCache holds each subgraph's free names, computed once: every level of nested
// regions sorts its nodes by what their subgraphs use, and recomputing the inner levels'
// names at each level made importing deeply nested Ifs cubic in the depth.
type freeNameCache map[*onnxpb.GraphProto][]string

// of returns the names g uses but does not define, each once.
func (free freeNameCache) of(g *onnxpb.GraphProto) []string {
	if names, ok := free[g]; ok {
		return names
	}
	defined := map[string]bool{}
	for _, vi := range g.Input {
		defined[vi.GetName()] = true
	}
	for _, t := range g.Initializer {
		defined[t.GetName()] = true
	}
	for _, sp := range g.SparseInitializer {
		defined[sp.GetValues().GetName()] = true
	}
	for _, n := range g.Node {
		for _, o := range n.Output {
			defined[o] = true
		}
	}
	var used []string
	for _, n := range g.Node {
		used = usedNames(n, used, free)
	}
	for _, o := range g.Output {
		used = append(used, o.GetName())
	}
	names := []string{}
	for _, u := range used {
		if !defined[u] {
			defined[u] = true // once
			names = append(names, u)
		}
	}
	free[g] = names
	return names
}

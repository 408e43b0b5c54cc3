// Package ops is the operator table: one Def per IR op holding everything onnxc knows about it:
// its arity, type and shape inference, and its lowering to a runtime kernel with static
// parameters. The lowering is used both by code generation (which emits a direct call to the
// kernel with the parameters as a literal) and by constant folding and the reference interpreter
// (which call the same kernel), so there is one source of numeric truth.
//
// IR ops have the semantics of the newest ONNX version of the op; frontends rewrite older forms
// (attributes that became inputs, and so on) into that form.
package ops

import (
	"fmt"
	"sort"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Def describes one IR op.
type Def struct {
	Op     string
	Domain string // "" for ai.onnx
	// MinIn/MaxIn and MinOut/MaxOut bound the number of inputs and outputs (-1: any number).
	MinIn, MaxIn   int
	MinOut, MaxOut int
	// Infer sets the types of n's outputs from its inputs' types, attributes and any constant
	// inputs. Unknown input dims give unknown output dims, never an error.
	Infer func(n *ir.Node) error
	// Lower picks the runtime kernel for n and its static parameters. It may rely on what Infer
	// established (input and output types).
	Lower func(n *ir.Node) (Call, error)
	// RegionInputs, for ops with regions, types the regions' inputs from the node's inputs
	// before inference descends into the regions (Infer then reads the regions' output types).
	RegionInputs func(n *ir.Node)
	// Elems, when set, computes the output's elements as dims from the inputs' (see
	// ir.Value.Elems and InElems), for the integer ops that compute shapes; nil when unknown.
	Elems func(n *ir.Node) []ir.Dim
	// FoldFromTypes, when set, computes the outputs from static input types alone (Shape, Size).
	FoldFromTypes func(n *ir.Node) []*runtime.Tensor
	// MayAlias says the kernel may make output 0 share input 0's storage (Reshape and its kin),
	// so the memory planner keeps that storage alive as long as the output.
	MayAlias bool
	// Random says two nodes with the same inputs and attributes may compute different results
	// (random number generators), so common-subexpression elimination leaves them apart.
	Random bool
	// Doc is a one-line description for `onnxc ops`.
	Doc string
}

// KernelFunc is the signature every runtime kernel has: static parameters, outputs, inputs.
// Outputs are resized by the kernel; absent optional inputs are nil.
type KernelFunc[P any] func(x *runtime.Exec, p *P, out, in []*runtime.Tensor) error

// Call is a lowered node: which kernel entry computes it, with which parameters. It names no
// backend's code; the reference kernel of the entry (refKernels) runs it for constant folding
// and the interpreter.
type Call struct {
	Entry lowered.Entry
	// Params points to the entry's parameter struct (plain data; see lowered.Kernel.Params).
	Params any
	// Bodies are the regions that the Params' runtime.Body fields run, in field order; nil for an
	// optional region the node lacks.
	Bodies []*ir.Graph
	// Prepack lists constant inputs the kernel reads prepacked (lowered.Kernel.Prepack); their
	// packed forms follow the node's inputs.
	Prepack []lowered.Prepack
	run     func(x *runtime.Exec, out, in []*runtime.Tensor) error
}

// K binds a kernel entry to its parameters. The entry's reference kernel must take *P; a
// mismatch is a programming error that every test of the op finds.
func K[P any](e lowered.Entry, p *P) Call {
	var fn KernelFunc[P]
	if int(e) < len(refKernels) {
		if f, ok := refKernels[e].(func(*runtime.Exec, *P, []*runtime.Tensor, []*runtime.Tensor) error); ok {
			fn = f
		}
	}
	if fn == nil {
		panic(fmt.Sprintf("ops: kernel entry %s does not take %T", e, p))
	}
	return Call{Entry: e, Params: p, run: func(x *runtime.Exec, out, in []*runtime.Tensor) error { return fn(x, p, out, in) }}
}

// Run executes the call on its reference kernel, packing the prepacked operands first (the
// generated code has them packed at compile time).
func (c Call) Run(x *runtime.Exec, out, in []*runtime.Tensor) error {
	if len(c.Prepack) > 0 {
		in = append([]*runtime.Tensor(nil), in...)
		for _, p := range c.Prepack {
			t, err := PackConst(in[p.Input], p)
			if err != nil {
				return err
			}
			in = append(in, t)
		}
	}
	return c.run(x, out, in)
}

// PackConst packs a constant operand as p says, in the CPU backend's layout.
func PackConst(t *runtime.Tensor, p lowered.Prepack) (*runtime.Tensor, error) {
	return p.Pack(t)
}

// registry is indexed by interned op identity; nodes carry theirs, so finding a node's
// definition is one slice index.
var registry []*Def

// Register adds op definitions; it panics on a duplicate, which is a programming error.
func Register(defs ...*Def) {
	for _, d := range defs {
		id := ir.InternOp(d.Domain, d.Op)
		if byID(id) != nil {
			panic("ops: duplicate definition of " + d.Op)
		}
		if d.Infer == nil || d.Lower == nil {
			panic("ops: " + d.Op + " needs Infer and Lower")
		}
		for int(id) >= len(registry) {
			registry = append(registry, nil)
		}
		registry[id] = d
	}
}

func byID(id ir.OpID) *Def {
	if int(id) < len(registry) {
		return registry[id]
	}
	return nil
}

// Lookup finds the definition of an op.
func Lookup(domain, op string) *Def { return byID(ir.InternOp(domain, op)) }

// All returns every definition sorted by domain and name.
func All() []*Def {
	var defs []*Def
	for _, d := range registry {
		if d != nil {
			defs = append(defs, d)
		}
	}
	sort.Slice(defs, func(i, j int) bool {
		if defs[i].Domain != defs[j].Domain {
			return defs[i].Domain < defs[j].Domain
		}
		return defs[i].Op < defs[j].Op
	})
	return defs
}

// Of returns n's definition or an error naming the node.
func Of(n *ir.Node) (*Def, error) {
	d := byID(n.OpID)
	if d == nil {
		return nil, fmt.Errorf("%s: unsupported op", n.Describe())
	}
	return d, nil
}

// CheckArity reports a wrong number of inputs or outputs.
func (d *Def) CheckArity(n *ir.Node) error {
	in, out := len(n.Inputs), len(n.Outputs)
	if in < d.MinIn || (d.MaxIn >= 0 && in > d.MaxIn) {
		return fmt.Errorf("%s: %d inputs, want %s", n.Describe(), in, bounds(d.MinIn, d.MaxIn))
	}
	if out < d.MinOut || (d.MaxOut >= 0 && out > d.MaxOut) {
		return fmt.Errorf("%s: %d outputs, want %s", n.Describe(), out, bounds(d.MinOut, d.MaxOut))
	}
	for i := 0; i < d.MinIn && i < in; i++ {
		if n.Inputs[i] == nil {
			return fmt.Errorf("%s: required input %d is missing", n.Describe(), i)
		}
	}
	return nil
}

func bounds(lo, hi int) string {
	switch {
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	case lo == hi:
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

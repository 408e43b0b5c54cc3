// Package lowered is the backend-neutral form between the passes and the emitters: a model
// after the pipeline, with every node lowered to a kernel description that says what the kernel
// computes — which entry, with which resolved parameters, on operands of which element types and
// shapes — and not which function of which backend runs it. ops.LowerModel produces it;
// codegen/go consumes it (and the CUDA backend will consume the same form). DESIGN.md in this
// folder describes it.
package lowered

import (
	"fmt"
	"reflect"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Entry identifies a kernel: one computation with one parameter type (Conv with ConvParams,
// ConvDepthwise with ConvParams, Binary with BinaryParams ...). The list is generated from the
// reference kernel set (entries.go); a backend maps each entry it implements to its own code.
type Entry uint16

func (e Entry) String() string {
	if int(e) < len(entryNames) {
		return entryNames[e]
	}
	return fmt.Sprintf("Entry(%d)", e)
}

// NumEntries is one more than the largest entry, for tables indexed by entry.
const NumEntries = int(numEntries)

// EntryByName finds an entry by its name; ok is false for none.
func EntryByName(name string) (Entry, bool) {
	for i, n := range entryNames {
		if n == name && i != int(NoEntry) {
			return Entry(i), true
		}
	}
	return NoEntry, false
}

// Operand is one input or output of a kernel: element type and shape (static dims, or symbolic
// and unknown dims that are bound when the program runs), and whether it is a weight.
type Operand struct {
	Value *ir.Value // nil for an absent optional input
	DType runtime.DType
	Dims  []ir.Dim // nil with RankKnown false when the rank is unknown
	// RankKnown says Dims is the full shape.
	RankKnown bool
	// Weight says the operand is a constant stored in the weights file.
	Weight bool
}

// Static reports whether the operand's shape is fully known at compile time.
func (o Operand) Static() bool {
	if !o.RankKnown {
		return false
	}
	for _, d := range o.Dims {
		if !d.IsStatic() {
			return false
		}
	}
	return true
}

// Kernel is one lowered node.
type Kernel struct {
	Node  *ir.Node
	Entry Entry
	// Params is the entry's parameter struct, with everything the compiler resolved: attributes
	// with defaults applied, windows and pads, the algorithm, the fused activation as an enum.
	// It is plain data (numbers, enums, slices of them, nested structs); the only exception is
	// fields of type runtime.Body, which stand for Bodies and which a backend binds to the code
	// it generates for those regions.
	Params any
	// Bodies are the regions the Params' Body fields run, in field order; nil for an optional
	// region the node lacks.
	Bodies []*ir.Graph
	In     []Operand
	Out    []Operand
	// Aliases says output 0 may share input 0's storage (Reshape and its kin), so a memory
	// planner keeps that storage alive as long as the output.
	Aliases bool
	// Prepack lists constant operands the kernel reads in a packed layout, prepared at compile
	// time; each packed operand is passed after the node's inputs, in this order.
	Prepack []Prepack
}

// PackLayout is a packed layout of a constant operand.
type PackLayout uint8

const (
	// PackGemmA: Groups row-major M x K matrices as the A operand of a matrix product (a
	// convolution's weights).
	PackGemmA PackLayout = iota + 1
	// PackGemmB: Groups K x N matrices (N x K when Trans) as the B operand (Gemm's and
	// MatMul's constant weights).
	PackGemmB
	// PackConvBlocked: the M x K x N weights (output channels, input channels, kernel volume)
	// of a ConvBlocked, in its tiles of output channel blocks (runtime.PackConvBlocked).
	PackConvBlocked
	// PackQGemmB: a K x N int8 matrix (N x K when Trans), or Groups of them in a row, as the
	// B operand of the u8 x s8 product of dynamic quantization, with its column sums.
	PackQGemmB
	// PackConvWinograd: the M x K x 3 x 3 weights of a ConvWinograd, transformed into its 16
	// M x K matrices and packed as PackConvBlocked's (runtime.PackConvWinograd).
	PackConvWinograd
)

// Prepack says that the constant at node input Input is to be packed in Layout. The packed
// form's bytes are the backend's business (the CPU backend's is runtime.PackGemmA/B's).
type Prepack struct {
	Input   int
	Layout  PackLayout
	Groups  int
	M, K, N int
	Trans   bool
}

// Pack packs the constant t as p says, in the CPU backend's layout.
func (p Prepack) Pack(t *runtime.Tensor) (*runtime.Tensor, error) {
	switch p.Layout {
	case PackConvBlocked:
		return runtime.PackConvBlocked(t, p.M, p.K, p.N)
	case PackConvWinograd:
		return runtime.PackConvWinograd(t, p.M, p.K)
	case PackQGemmB:
		return runtime.PackQGemmGroups(t, max(p.Groups, 1), p.K, p.N, p.Trans)
	}
	return runtime.PackGemmOperand(t, p.Layout == PackGemmA, p.Groups, p.M, p.K, p.N, p.Trans)
}

// Graph is one graph's kernels in execution order.
type Graph struct {
	IR      *ir.Graph
	Kernels []*Kernel
}

// Program is a lowered model: its main graph first, then every region, outermost first.
type Program struct {
	Model  *ir.Model
	Graphs []*Graph
	// Of finds a node's kernel.
	Of map[*ir.Node]*Kernel
}

// OperandOf describes a value as an operand.
func OperandOf(v *ir.Value) Operand {
	if v == nil {
		return Operand{}
	}
	return Operand{Value: v, DType: v.Type.DType, Dims: v.Type.Shape, RankKnown: v.Type.RankKnown, Weight: v.Const != nil}
}

// Kernels lists every kernel of the program, main graph first.
func (p *Program) Kernels() []*Kernel {
	var ks []*Kernel
	for _, g := range p.Graphs {
		ks = append(ks, g.Kernels...)
	}
	return ks
}

// Histogram counts kernels per entry, for inspect --stats and tests.
func (p *Program) Histogram() map[Entry]int {
	h := map[Entry]int{}
	for _, k := range p.Kernels() {
		h[k.Entry]++
	}
	return h
}

var bodyType = reflect.TypeOf(runtime.Body(nil))

// BodyFields returns the names of a parameter struct's fields of type runtime.Body, in order;
// they correspond to Kernel.Bodies (a nil entry, an optional region the node lacks, leaves its
// field nil). params is a pointer to the struct, as Kernel.Params is.
func BodyFields(params any) []string {
	if params == nil {
		return nil
	}
	t := reflect.TypeOf(params).Elem()
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == bodyType {
			names = append(names, t.Field(i).Name)
		}
	}
	return names
}

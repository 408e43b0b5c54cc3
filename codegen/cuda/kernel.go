// Package cuda is the GPU backend: it turns a lowered.Program into a Go package whose kernels
// are PTX text that onnxc generated and whose host code (behind the `cuda` build tag) drives
// them through gorgonia.org/cu. Each lowered entry the backend implements has a generator that
// writes its PTX; kernels without one run on the CPU path, with explicit copies at the borders.
package cuda

import (
	"errors"
	"fmt"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
	"github.com/onnxc/onnxc/runtime/gpu"
)

// Target is what the PTX is generated for and what the user allowed.
type Target struct {
	// SM is the lowest compute capability the PTX must run on (80 for sm_80, 90 for sm_90).
	SM int
	// TF32 allows tensor-core products with TF32 inputs for float32 operands, as
	// onnxruntime's use_tf32 does; without it float32 products are exact FMAs.
	TF32 bool
}

// Kernel is the GPU code of one lowered kernel: a PTX module and the launches that run it.
type Kernel struct {
	// PTX is a complete module (.version, .target, .address_size and its .entry functions).
	PTX string
	// Launches run in order on the model's stream.
	Launches []Launch
	// Scratch is the size in bytes of each device scratch buffer the launches use.
	Scratch []int64
	// Packed are constant operands in a layout the generator chose (weights transposed or
	// tiled for its loads), packed at compile time and uploaded once; ArgPrepacked Index i
	// is Packed[i].
	Packed []*runtime.Tensor
}

// Launch, Arg and ArgKind are the run-time package's, so that generated code prints them as
// they are: one kernel launch, its geometry fixed at compile time, and its arguments.
type (
	Launch  = gpu.Launch
	Arg     = gpu.Arg
	ArgKind = gpu.ArgKind
)

const (
	// ArgIn is the device pointer of the lowered kernel's input Index.
	ArgIn = gpu.ArgIn
	// ArgOut is the device pointer of its output Index.
	ArgOut = gpu.ArgOut
	// ArgScratch is the device pointer of scratch buffer Index.
	ArgScratch = gpu.ArgScratch
	// ArgPrepacked is the device pointer of the generator's packed weight Kernel.Packed[Index].
	ArgPrepacked = gpu.ArgPrepacked
	// ArgInt is a 32-bit integer (Int); ArgInt64 a 64-bit one.
	ArgInt   = gpu.ArgInt
	ArgInt64 = gpu.ArgInt64
	// ArgFloat is a float32 (Float).
	ArgFloat = gpu.ArgFloat
)

// Generator writes the GPU code of a lowered kernel. ok is false when this backend does not
// implement the kernel as lowered (a shape it does not handle, say): the kernel then runs on
// the CPU path. An error is a bug in the generator.
type Generator func(k *lowered.Kernel, t Target) (g *Kernel, ok bool, err error)

var generators [lowered.NumEntries]Generator

// register makes gen the generator of entry e; called from the generators' init functions.
func register(e lowered.Entry, gen Generator) {
	if generators[e] != nil {
		panic(fmt.Sprintf("cuda: two generators for %s", e))
	}
	generators[e] = gen
}

// Generate writes the GPU code of k, or reports that it runs on the CPU path (ok false).
func Generate(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	g, why, err := Explain(k, t)
	return g, why == "", err
}

// Explain is Generate that says why a kernel runs on the CPU path (why is empty when it does
// not).
func Explain(k *lowered.Kernel, t Target) (g *Kernel, why string, err error) {
	gen := generators[k.Entry]
	if gen == nil {
		return nil, "no GPU generator for " + k.Entry.String(), nil
	}
	for _, o := range append(k.In[:len(k.In):len(k.In)], k.Out...) {
		if o.Value != nil && !o.Static() {
			return nil, "operand shapes not static", nil
		}
	}
	g, ok, err := gen(k, t)
	var u Unsupported
	switch {
	case errors.As(err, &u):
		return nil, u.Reason, nil
	case err != nil:
		return nil, "", fmt.Errorf("cuda: %s (%s): %w", k.Node.Name, k.Entry, err)
	case !ok:
		return nil, "the generator does not handle this shape or type", nil
	}
	return g, "", nil
}

// Unsupported is the error a generator returns, instead of ok false, to say why a kernel runs
// on the CPU path; Generate turns it into ok false and Reason reports it.
type Unsupported struct{ Reason string }

func (u Unsupported) Error() string { return u.Reason }

// Package cuda is the GPU backend: it turns a lowered.Program into a Go package whose kernels
// are PTX text that onnxc generated and whose host code (behind the `cuda` build tag) drives
// them through gorgonia.org/cu. Each lowered entry the backend implements has a generator that
// writes its PTX; kernels without one run on the CPU path, with explicit copies at the borders.
package cuda

import (
	"fmt"

	"github.com/onnxc/onnxc/lowered"
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
}

// Launch is one kernel launch, its geometry fixed at compile time.
type Launch struct {
	Entry       string
	Grid, Block [3]int
	SharedBytes int
	Args        []Arg
}

// ArgKind says what a launch argument is.
type ArgKind uint8

const (
	// ArgIn is the device pointer of the lowered kernel's input Index.
	ArgIn ArgKind = iota
	// ArgOut is the device pointer of its output Index.
	ArgOut
	// ArgScratch is the device pointer of scratch buffer Index.
	ArgScratch
	// ArgPrepacked is the device pointer of the weight packed as the kernel's Prepack[Index]
	// says, in the layout this backend's generator asked for (PackedLayout).
	ArgPrepacked
	// ArgInt is a 32-bit integer (Int); ArgInt64 a 64-bit one.
	ArgInt
	ArgInt64
	// ArgFloat is a float32 (Float).
	ArgFloat
)

// Arg is one launch argument.
type Arg struct {
	Kind  ArgKind
	Index int
	Int   int64
	Float float32
}

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
	gen := generators[k.Entry]
	if gen == nil {
		return nil, false, nil
	}
	g, ok, err := gen(k, t)
	if err != nil {
		return nil, false, fmt.Errorf("cuda: %s (%s): %w", k.Node.Name, k.Entry, err)
	}
	return g, ok, nil
}

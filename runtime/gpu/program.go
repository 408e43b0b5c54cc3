// Package gpu runs a model that onnxc compiled for CUDA: the generated package describes its
// run as a Program (PTX modules, device buffers planned at compile time, and steps that are
// either kernel launches or CPU kernels with copies at their borders), and Open (built with the
// cuda tag, on gorgonia.org/cu) loads it onto a device. Without the cuda tag only the Program
// types exist, so that a generated package builds, and reports clearly, without cgo.
package gpu

import (
	"github.com/onnxc/onnxc/runtime"
)

// ArgKind says what a launch argument is.
type ArgKind uint8

const (
	// ArgIn is the device pointer of the step's input Index.
	ArgIn ArgKind = iota
	// ArgOut is the device pointer of its output Index.
	ArgOut
	// ArgScratch is the device pointer of scratch buffer Index.
	ArgScratch
	// ArgPrepacked is the device pointer of the step's packed weight Index (Step.Packed).
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

// Launch is one kernel launch, its geometry fixed at compile time.
type Launch struct {
	Entry       string
	Grid, Block [3]int
	SharedBytes int
	Args        []Arg
}

// Tensor is one value of the run: its shape, fixed at compile time, and where it lives on the
// device: in planned buffer Buf at byte offset 0, or (Buf -1) in the device copy of host
// weight Weight.
type Tensor struct {
	DType  runtime.DType
	Shape  []int
	Buf    int
	Weight int
}

// CPUKernel is a runtime kernel bound to its compile-time parameters.
type CPUKernel func(x *runtime.Exec, out, in []*runtime.Tensor) error

// Step is one lowered kernel. A GPU step (CPU nil) runs Launches from module Module; a CPU step
// copies its inputs to the host, runs CPU and copies its outputs back.
type Step struct {
	Node     string
	Module   int
	Launches []Launch
	// Packed are the host weights the launches read as ArgPrepacked, in order.
	Packed []int
	CPU    CPUKernel
	// In and Out are tensor indices (-1: an absent optional input). A CPU step's In lists its
	// prepacked host weights after the node's inputs.
	In, Out []int
}

// Program is a compiled model's run on the device.
type Program struct {
	// Modules are the PTX files, by name in the package's embedded files.
	Modules []string
	// Buffers are the byte sizes of the planned device buffers.
	Buffers []int64
	// Scratch are the byte sizes of the scratch buffers, shared by every step.
	Scratch []int64
	Tensors []Tensor
	// Inputs and Outputs are the graph's inputs and outputs, as tensor indices.
	Inputs, Outputs []int
	Steps           []Step
	// DeviceWeights lists the host weights the device needs a copy of.
	DeviceWeights []int
}

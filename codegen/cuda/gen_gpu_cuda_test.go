//go:build cuda

package cuda

import (
	"context"
	"math/rand"
	"testing"
	"testing/fstest"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
	"github.com/onnxc/onnxc/runtime/gpu"
)

// TestGeneratorsOnGPU runs every generator test case on a GPU (built with -tags cuda, on a
// machine with one; otherwise it skips and says so) and compares with the reference kernel:
// rtol 1e-3, atol 1e-4 for the exact paths; with TF32 (10-bit mantissas in the products of
// these N(0, 1) operands, reductions of at most 384 terms) rtol 1e-2, atol 2e-2.
func TestGeneratorsOnGPU(t *testing.T) {
	cases := map[string]*lowered.Kernel{}
	for n, k := range gemmCases() {
		cases["gemm "+n] = k
	}
	for n, cc := range convCases() {
		cases["conv "+n] = cc.lower()
	}
	for n, k := range rowCases() {
		cases["rows "+n] = k
	}
	for n, pc := range poolCases() {
		cases["pool "+n] = pc.lower()
	}
	for n, k := range resizeCases() {
		cases["resize "+n] = k
	}
	rng := rand.New(rand.NewSource(9))
	for name, k := range cases {
		for _, tf32 := range []bool{false, true} {
			in := randInputs(k, rng)
			want := refRun(t, k, in)
			g, ok, err := Generate(k, Target{SM: 80, TF32: tf32})
			if err != nil || !ok {
				t.Fatalf("%s: ok %v, err %v", name, ok, err)
			}
			got, err := runOnGPU(k, g, in)
			if err != nil {
				t.Skipf("no GPU to run on: %v", err)
			}
			rtol, atol := 1e-3, 1e-4
			if tf32 && isProduct(k.Entry) {
				rtol, atol = 1e-2, 2e-2
			}
			t.Run(name+map[bool]string{false: " f32", true: " tf32"}[tf32], func(t *testing.T) {
				closeTo(t, runtime.Data[float32](got), runtime.Data[float32](want), rtol, atol)
			})
		}
	}
}

func isProduct(e lowered.Entry) bool {
	switch e {
	case lowered.MatMul, lowered.MatMulPackedB, lowered.MatMulStrided, lowered.Gemm, lowered.ConvBlocked, lowered.ConvDirect, lowered.ConvDot, lowered.ConvGemm, lowered.ConvPointwise:
		return true
	}
	return false
}

// runOnGPU runs g as a one-step program: each present input and each output in a buffer of
// its own.
func runOnGPU(k *lowered.Kernel, g *Kernel, in []*runtime.Tensor) (*runtime.Tensor, error) {
	p := &gpu.Program{Modules: []string{"k.ptx"}, Scratch: g.Scratch}
	step := gpu.Step{Node: k.Node.Name}
	var ins []*runtime.Tensor
	add := func(dt runtime.DType, shape []int, bytes int64) int {
		p.Buffers = append(p.Buffers, max(bytes, 4))
		p.Tensors = append(p.Tensors, gpu.Tensor{DType: dt, Shape: shape, Buf: len(p.Buffers) - 1, Weight: -1})
		return len(p.Tensors) - 1
	}
	for _, x := range in {
		if x == nil {
			step.In = append(step.In, -1)
			continue
		}
		ti := add(x.DType, x.Shape, int64(x.Len())*int64(x.DType.Size()))
		step.In = append(step.In, ti)
		p.Inputs = append(p.Inputs, ti)
		ins = append(ins, x)
	}
	var outs []*runtime.Tensor
	for _, o := range k.Out {
		d, _ := staticF32(o)
		ti := add(runtime.Float32, d[0], int64(numel(d[0]))*4)
		step.Out = append(step.Out, ti)
		p.Outputs = append(p.Outputs, ti)
		outs = append(outs, runtime.New(runtime.Float32))
	}
	for _, l := range g.Launches {
		gl := gpu.Launch{Entry: l.Entry, Grid: l.Grid, Block: l.Block, SharedBytes: l.SharedBytes}
		for _, a := range l.Args {
			gl.Args = append(gl.Args, gpu.Arg{Kind: gpu.ArgKind(a.Kind), Index: a.Index, Int: a.Int, Float: a.Float})
		}
		step.Launches = append(step.Launches, gl)
	}
	p.Steps = []gpu.Step{step}
	m, err := gpu.Open(p, fstest.MapFS{"k.ptx": {Data: []byte(g.PTX)}}, nil, 0, 1)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := m.Run(context.Background(), ins, outs); err != nil {
		return nil, err
	}
	return outs[0], nil
}

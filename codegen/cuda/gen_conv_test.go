package cuda

import (
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

type convCase struct {
	entry                          lowered.Entry
	n, c, m, group                 int
	in, kernel, strides, dil, pads []int
	bias, z                        bool
	act                            runtime.Act
	packed                         lowered.PackLayout
}

func (cc convCase) lower() *lowered.Kernel {
	nsp := len(cc.in)
	p := &runtime.ConvGeomParams{C: cc.c, M: cc.m, Group: cc.group, In: cc.in, Kernel: cc.kernel, Strides: cc.strides, Dilations: cc.dil, Pads: cc.pads, Activation: cc.act, ActAlpha: 0.1}
	if p.Strides == nil {
		p.Strides = ones(nsp)
	}
	if p.Dilations == nil {
		p.Dilations = ones(nsp)
	}
	if p.Pads == nil {
		p.Pads = make([]int, 2*nsp)
	}
	xs, ws, ys := []int{cc.n, cc.c}, []int{cc.m, cc.c / cc.group}, []int{cc.n, cc.m}
	for d := 0; d < nsp; d++ {
		o := (cc.in[d]+p.Pads[d]+p.Pads[nsp+d]-p.Dilations[d]*(cc.kernel[d]-1)-1)/p.Strides[d] + 1
		p.Out = append(p.Out, o)
		xs, ws, ys = append(xs, cc.in[d]), append(ws, cc.kernel[d]), append(ys, o)
	}
	in := []lowered.Operand{opnd(xs...), opnd(ws...), absent, absent}
	if cc.bias {
		in[2] = opnd(cc.m)
	}
	if cc.z {
		in[3] = opnd(ys...)
	}
	k := kern(cc.entry, p, opnd(ys...), in...)
	kk := cc.c / cc.group * numel(cc.kernel)
	switch cc.packed {
	case lowered.PackGemmA:
		p.PackedW = true
		k.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackGemmA, Groups: cc.group, M: cc.m / cc.group, K: kk}}
	case lowered.PackConvBlocked:
		p.PackedW = true
		k.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackConvBlocked, Groups: 1, M: cc.m, K: cc.c, N: numel(cc.kernel)}}
	}
	return k
}

func convCases() map[string]convCase {
	g := lowered.ConvGemm
	return map[string]convCase{
		"gemm 3x3 pad":          {entry: g, n: 1, c: 3, m: 8, group: 1, in: []int{9, 11}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, bias: true, act: runtime.ActRelu},
		"gemm stride 2 batch":   {entry: g, n: 2, c: 5, m: 7, group: 1, in: []int{10, 13}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 0, 1, 1}, bias: true},
		"gemm dilated":          {entry: g, n: 1, c: 4, m: 70, group: 1, in: []int{12, 12}, kernel: []int{3, 2}, dil: []int{2, 3}, pads: []int{2, 1, 0, 3}},
		"gemm groups residual":  {entry: g, n: 2, c: 6, m: 9, group: 3, in: []int{7, 5}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, bias: true, z: true, act: runtime.ActHardSwish},
		"gemm 1-d":              {entry: g, n: 1, c: 3, m: 5, group: 1, in: []int{33}, kernel: []int{5}, strides: []int{3}, pads: []int{2, 2}, bias: true},
		"gemm 3-d":              {entry: g, n: 1, c: 2, m: 3, group: 1, in: []int{4, 5, 6}, kernel: []int{2, 3, 2}, pads: []int{0, 1, 1, 1, 1, 0}},
		"gemm packed":           {entry: g, n: 1, c: 3, m: 16, group: 1, in: []int{20, 20}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true, packed: lowered.PackGemmA},
		"pointwise packed":      {entry: lowered.ConvPointwise, n: 1, c: 24, m: 40, group: 1, in: []int{11, 67}, kernel: []int{1, 1}, bias: true, act: runtime.ActHardSwish, packed: lowered.PackGemmA},
		"pointwise residual":    {entry: lowered.ConvPointwise, n: 2, c: 17, m: 19, group: 1, in: []int{5, 13}, kernel: []int{1, 1}, bias: true, z: true, act: runtime.ActRelu},
		"direct 3x3":            {entry: lowered.ConvDirect, n: 1, c: 8, m: 12, group: 1, in: []int{15, 17}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, bias: true},
		"dot small out":         {entry: lowered.ConvDot, n: 1, c: 32, m: 24, group: 1, in: []int{3, 4}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, bias: true, act: runtime.ActRelu},
		"blocked resnet-like":   {entry: lowered.ConvBlocked, n: 1, c: 16, m: 32, group: 1, in: []int{14, 14}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true, z: false, act: runtime.ActRelu, packed: lowered.PackConvBlocked},
		"depthwise 3x3":         {entry: lowered.ConvDepthwise, n: 1, c: 8, m: 8, group: 8, in: []int{9, 10}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, bias: true, act: runtime.ActHardSwish},
		"depthwise 5x5 stride2": {entry: lowered.ConvDepthwise, n: 2, c: 5, m: 5, group: 5, in: []int{11, 12}, kernel: []int{5, 5}, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true},
		"depthwise multiplier":  {entry: lowered.ConvDepthwise, n: 1, c: 3, m: 6, group: 3, in: []int{8, 7}, kernel: []int{3, 3}, dil: []int{2, 2}, pads: []int{2, 1, 2, 1}, z: true},
	}
}

func TestConvPtxas(t *testing.T) {
	for name, cc := range convCases() {
		k := cc.lower()
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
}

// TestConvIndexMath runs the implicit GEMM's and the depthwise kernel's index math in Go
// against the reference convolution.
func TestConvIndexMath(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for name, cc := range convCases() {
		t.Run(name, func(t *testing.T) {
			cc.act = runtime.ActNone // activations are PTX arithmetic, checked on a GPU
			k := cc.lower()
			in := randInputs(k, rng)
			want := runtime.Data[float32](refRun(t, k, in))
			if cc.entry == lowered.ConvDepthwise {
				closeTo(t, simulateDepthwise(convGeomOf(k), in, len(want)), want, 1e-4, 1e-4)
				return
			}
			for _, tf32 := range []bool{false, true} {
				closeTo(t, simulateGemm(t, specConv(k, Target{SM: 80, TF32: tf32}), in, len(want)), want, 1e-4, 1e-4)
			}
		})
	}
}

func simulateDepthwise(g *cvGeom, in []*runtime.Tensor, total int) []float32 {
	x, w := runtime.Data[float32](in[0]), runtime.Data[float32](in[1])
	y := make([]float32, total)
	for i := range y {
		e := ptx.Env{"bx": int64(i / ewThreads), "tid": int64(i % ewThreads)}
		idx := ewIndex()
		acc := 0.0
		for r := 0; r < g.kvol; r++ {
			xo, wo, ok := g.dwTap(idx, r)
			if ptx.Holds(ok, e) {
				acc += float64(x[xo.Eval(e)]) * float64(w[wo.Eval(e)])
			}
		}
		if g.hasBias {
			acc += float64(runtime.Data[float32](in[2])[g.dwChannel(idx).Eval(e)])
		}
		if g.hasZ {
			acc += float64(runtime.Data[float32](in[3])[idx.Eval(e)])
		}
		y[idx.Eval(e)] = float32(acc)
	}
	return y
}

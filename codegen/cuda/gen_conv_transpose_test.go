package cuda

import (
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

type ctCase struct {
	n, c, m, group                   int
	in, kernel, strides, dil, outPad []int
	pads, outShape                   []int
	autoPad                          string
	bias                             bool
}

func (cc ctCase) lower(t *testing.T) *lowered.Kernel {
	t.Helper()
	nsp := len(cc.in)
	p := &runtime.ConvTransposeParams{KernelShape: cc.kernel, Strides: cc.strides, Dilations: cc.dil, OutputPadding: cc.outPad, Pads: cc.pads, OutputShape: cc.outShape, Group: cc.group, AutoPad: cc.autoPad}
	xs, ws, ys := []int{cc.n, cc.c}, []int{cc.c, cc.m / cc.group}, []int{cc.n, cc.m}
	at := func(v []int, i, def int) int {
		if len(v) == 0 {
			return def
		}
		return v[i]
	}
	for d := 0; d < nsp; d++ {
		pb, pe := 0, 0
		if len(cc.pads) > 0 {
			pb, pe = cc.pads[d], cc.pads[nsp+d]
		}
		o, _, _, err := runtime.ConvTransposeDim(cc.in[d], cc.kernel[d], at(cc.strides, d, 1), at(cc.dil, d, 1), at(cc.outPad, d, 0), pb, pe, len(cc.pads) > 0, at(cc.outShape, d, -1), cc.autoPad)
		if err != nil {
			t.Fatal(err)
		}
		xs, ws, ys = append(xs, cc.in[d]), append(ws, cc.kernel[d]), append(ys, o)
	}
	in := []lowered.Operand{opnd(xs...), opnd(ws...)}
	if cc.bias {
		in = append(in, opnd(cc.m))
	}
	return kern(lowered.ConvTranspose, p, opnd(ys...), in...)
}

func ctCases() map[string]ctCase {
	return map[string]ctCase{
		"2x2 stride 2 bias (det)": {n: 1, c: 8, m: 8, group: 1, in: []int{5, 6}, kernel: []int{2, 2}, strides: []int{2, 2}, bias: true},
		"3x3 stride 2 pads":       {n: 2, c: 3, m: 5, group: 1, in: []int{4, 5}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 0, 1, 1}, outPad: []int{1, 0}},
		"dilated groups":          {n: 1, c: 4, m: 6, group: 2, in: []int{6, 4}, kernel: []int{3, 2}, strides: []int{1, 3}, dil: []int{2, 1}, bias: true},
		"1-d stride 3":            {n: 1, c: 2, m: 3, group: 1, in: []int{7}, kernel: []int{4}, strides: []int{3}, pads: []int{2, 1}},
		"output_shape same_upper": {n: 1, c: 3, m: 2, group: 1, in: []int{3, 3}, kernel: []int{3, 3}, strides: []int{2, 2}, outShape: []int{7, 6}, autoPad: "SAME_UPPER"},
		"3-d":                     {n: 1, c: 2, m: 2, group: 1, in: []int{3, 4, 2}, kernel: []int{2, 3, 2}, strides: []int{2, 1, 2}},
	}
}

func TestConvTransposePtxas(t *testing.T) {
	for name, cc := range ctCases() {
		k := cc.lower(t)
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
}

// TestConvTransposeIndexMath runs the gather kernel's index math in Go against the CPU path's
// scatter (col2im) kernel.
func TestConvTransposeIndexMath(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for name, cc := range ctCases() {
		t.Run(name, func(t *testing.T) {
			k := cc.lower(t)
			in := randInputs(k, rng)
			want := runtime.Data[float32](refRun(t, k, in))
			g := ctGeomOf(k)
			if g == nil {
				t.Fatal("the generator declines the kernel")
			}
			closeTo(t, simulateConvTranspose(g, in, len(want)), want, 1e-4, 1e-4)
		})
	}
}

func simulateConvTranspose(g *ctGeomGPU, in []*runtime.Tensor, total int) []float32 {
	x, w := runtime.Data[float32](in[0]), runtime.Data[float32](in[1])
	y := make([]float32, total)
	for i := range y {
		e := ptx.Env{"bx": int64(i / ewThreads), "tid": int64(i % ewThreads)}
		idx := ewIndex()
		img, m, n := g.coords(idx)
		xb, wb := g.xBase(img, m).Eval(e), g.wBase(m).Eval(e)
		acc := 0.0
		for c := 0; c < g.cg; c++ {
			for r := 0; r < g.kvol; r++ {
				lin, ok := g.tap(n, r)
				if ptx.Holds(ok, e) {
					acc += float64(x[xb+int64(c*g.xStep())+lin.Eval(e)]) * float64(w[wb+int64(c*g.wStep()+r)])
				}
			}
		}
		if g.hasBias {
			acc += float64(runtime.Data[float32](in[2])[m.Eval(e)])
		}
		y[idx.Eval(e)] = float32(acc)
	}
	return y
}

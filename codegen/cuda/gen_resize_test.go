package cuda

import (
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// resizeCase resizes in to out with constant scales (or sizes when scales is nil).
func resizeCase(p runtime.ResizeParams, in, out []int, scales []float32) *lowered.Kernel {
	c := func(t *runtime.Tensor) lowered.Operand {
		v := &ir.Value{Type: ir.StaticType(t.DType, t.Shape...), Const: t}
		return lowered.Operand{Value: v, DType: t.DType, Dims: v.Type.Shape, RankKnown: true, Weight: true}
	}
	ins := []lowered.Operand{opnd(in...), absent}
	if scales != nil {
		st, _ := runtime.FromSlice(runtime.Float32, []int{len(scales)}, scales)
		ins = append(ins, c(st))
	} else {
		sz := make([]int64, len(out))
		for i, o := range out {
			sz[i] = int64(o)
		}
		st, _ := runtime.FromSlice(runtime.Int64, []int{len(sz)}, sz)
		ins = append(ins, absent, c(st))
	}
	return kern(lowered.Resize, &p, opnd(out...), ins...)
}

func resizeCases() map[string]*lowered.Kernel {
	nearest := runtime.ResizeParams{Mode: "nearest", CoordMode: "asymmetric", NearestMode: "floor"}
	return map[string]*lowered.Kernel{
		"nearest x2 asymmetric floor": resizeCase(nearest, []int{1, 3, 5, 7}, []int{1, 3, 10, 14}, []float32{1, 1, 2, 2}),
		"nearest half_pixel sizes":    resizeCase(runtime.ResizeParams{Mode: "nearest"}, []int{2, 2, 7, 5}, []int{2, 2, 3, 11}, nil),
		"nearest round_prefer_ceil":   resizeCase(runtime.ResizeParams{Mode: "nearest", CoordMode: "align_corners", NearestMode: "round_prefer_ceil"}, []int{1, 1, 6, 9}, []int{1, 1, 13, 4}, nil),
		"linear half_pixel x2":        resizeCase(runtime.ResizeParams{Mode: "linear"}, []int{1, 4, 6, 5}, []int{1, 4, 12, 10}, []float32{1, 1, 2, 2}),
		"linear align_corners":        resizeCase(runtime.ResizeParams{Mode: "linear", CoordMode: "align_corners"}, []int{1, 2, 5, 8}, []int{1, 2, 9, 3}, nil),
		"linear pytorch 1-d down":     resizeCase(runtime.ResizeParams{Mode: "linear", CoordMode: "pytorch_half_pixel"}, []int{2, 3, 17}, []int{2, 3, 6}, nil),
	}
}

func TestResizePtxas(t *testing.T) {
	for name, k := range resizeCases() {
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
}

// TestResizeIndexMath evaluates the tables and the corner offsets in Go against the reference.
func TestResizeIndexMath(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for name, k := range resizeCases() {
		t.Run(name, func(t *testing.T) {
			in := randInputs(k, rng)
			want := runtime.Data[float32](refRun(t, k, in))
			tb, ok := resizeTables(k)
			if !ok {
				t.Fatal("no tables")
			}
			x := runtime.Data[float32](in[0])
			got := make([]float32, len(want))
			for o := range got {
				e := ptx.Env{"bx": int64(o / ewThreads), "tid": int64(o % ewThreads)}
				cs := tb.coords(ewIndex())
				acc := 0.0
				for c := 0; c < 1<<len(tb.out); c++ {
					off, w := 0, 1.0
					for ax, ce := range cs {
						i0, wt := int(tb.i0[ax][ce.Eval(e)]), float64(tb.w[ax][ce.Eval(e)])
						if c>>ax&1 == 1 {
							i0, w = min(i0+1, tb.in[ax]-1), w*wt
						} else {
							w *= 1 - wt
						}
						off = off*tb.in[ax] + i0
					}
					acc += w * float64(x[off])
				}
				got[ewIndex().Eval(e)] = float32(acc)
			}
			closeTo(t, got, want, 1e-4, 1e-5)
		})
	}
}

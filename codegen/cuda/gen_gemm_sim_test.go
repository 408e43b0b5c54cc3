package cuda

import (
	"math"
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// refRun runs k's reference kernel (the CPU path's numeric truth) on in.
func refRun(t *testing.T, k *lowered.Kernel, in []*runtime.Tensor) *runtime.Tensor {
	t.Helper()
	c := refCalls[k]
	c.Prepack = k.Prepack
	out := []*runtime.Tensor{runtime.New(runtime.Float32)}
	if err := c.Run(runtime.NewExec(nil), out, in); err != nil {
		t.Fatalf("reference: %v", err)
	}
	return out[0]
}

// randInputs makes random float32 inputs of k's operand shapes (nil for absent ones).
func randInputs(k *lowered.Kernel, rng *rand.Rand) []*runtime.Tensor {
	in := make([]*runtime.Tensor, len(k.In))
	for i, o := range k.In {
		if o.Value == nil {
			continue
		}
		if o.Value.Const != nil {
			in[i] = o.Value.Const
			continue
		}
		d, _ := staticF32(o)
		in[i] = runtime.New(runtime.Float32, d[0]...)
		for j := range runtime.Data[float32](in[i]) {
			runtime.Data[float32](in[i])[j] = float32(rng.NormFloat64())
		}
	}
	return in
}

// simulateGemm runs s's index math in Go, block by block and thread by thread: the tile loads
// into shared memory, the products of each accumulator slot and the epilogue's offsets. It
// fails when a load or a store lands outside its tile or an output is written other than once.
func simulateGemm(t *testing.T, s *mmSpec, in []*runtime.Tensor, ny int) []float32 {
	data := func(i int) []float32 { return runtime.Data[float32](in[i]) }
	y := make([]float32, ny)
	writes := make([]int, ny)
	g := s.grid()
	for bz := 0; bz < g[2]; bz++ {
		for by := 0; by < g[1]; by++ {
			for bx := 0; bx < g[0]; bx++ {
				env := func(tid, k0 int) ptx.Env {
					return ptx.Env{"tid": int64(tid), "bx": int64(bx), "by": int64(by), "bz": int64(bz), "k0": int64(k0)}
				}
				acc := make([][mmSlots]float64, mmThreads)
				for k0 := 0; k0 == 0 || k0 < s.k; k0 += mmBK {
					var tiles [2][mmBK * mmPad]float64
					var stored [2][mmBK * mmPad]int
					for tid := 0; tid < mmThreads; tid++ {
						e := env(tid, k0)
						for i := 0; i < mmLoads; i++ {
							for ti, at := range []func(int) (ptx.Expr, ptx.Cond, ptx.Expr){s.tileA, s.tileB} {
								off, ok, sh := at(i)
								x := 0.0
								if ptx.Holds(ok, e) {
									x = float64(data([]int{s.inA, s.inB}[ti])[off.Eval(e)])
								}
								tiles[ti][sh.Eval(e)] = x
								stored[ti][sh.Eval(e)]++
							}
						}
					}
					for ti := range stored {
						for kk := 0; kk < mmBK; kk++ {
							for c := 0; c < mmBM; c++ {
								if stored[ti][kk*mmPad+c] != 1 {
									t.Fatalf("tile %d element (%d, %d) stored %d times", ti, kk, c, stored[ti][kk*mmPad+c])
								}
							}
						}
					}
					for tid := 0; tid < mmThreads; tid++ {
						for sl := 0; sl < mmSlots; sl++ {
							row, col := mmSlot(s.tf32, sl)
							r, c := row.Eval(env(tid, k0)), col.Eval(env(tid, k0))
							for kk := 0; kk < mmBK; kk++ {
								acc[tid][sl] += tiles[0][kk*mmPad+int(r)] * tiles[1][kk*mmPad+int(c)]
							}
						}
					}
				}
				for tid := 0; tid < mmThreads; tid++ {
					e := env(tid, 0)
					for sl := 0; sl < mmSlots; sl++ {
						b, m, n := mmGlobal(mmSlot(s.tf32, sl))
						if m.Eval(e) >= int64(s.m) || n.Eval(e) >= int64(s.n) {
							continue
						}
						v := float64(s.alpha) * acc[tid][sl]
						if s.bias != nil {
							v += float64(data(s.inBias)[s.bias.off(b, m, n).Eval(e)])
						}
						if s.c != nil {
							v += float64(s.beta) * float64(data(s.inC)[s.c.off(b, m, n).Eval(e)])
						}
						o := s.y(b, m, n).Eval(e)
						if s.z {
							v += float64(data(s.inZ)[o])
						}
						y[o] = float32(v)
						writes[o]++
					}
				}
			}
		}
	}
	for i, w := range writes {
		if w != 1 {
			t.Fatalf("output %d written %d times", i, w)
		}
	}
	return y
}

func closeTo(t *testing.T, got, want []float32, rtol, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > atol+rtol*math.Abs(float64(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("element %d: %g, want %g", i, got[i], want[i])
		}
	}
}

package cuda

import (
	"math"
	"math/rand"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// The row kernels (Reduce, Softmax, LayerNorm, global pooling) and windowed pooling: every
// variant through ptxas, and their index math run in Go against the reference kernels.

func reduceCase(op int, axes []int64, keep bool, in, out []int) *lowered.Kernel {
	return kern(lowered.Reduce, &runtime.ReduceParams{Op: op, Axes: axes, AxesConst: true, KeepDims: keep}, opnd(out...), opnd(in...))
}

func rowCases() map[string]*lowered.Kernel {
	ln := func(axis int, rms, bias bool, in []int, stats bool) *lowered.Kernel {
		r := in[axis:]
		ops := []lowered.Operand{opnd(in...), opnd(r...)}
		if bias {
			ops = append(ops, opnd(r...))
		}
		k := kern(lowered.LayerNorm, &runtime.LayerNormParams{Axis: axis, Epsilon: 1e-5, RMS: rms, StatType: runtime.Float32}, opnd(in...), ops...)
		if stats {
			st := append(append([]int(nil), in[:axis]...), ones(len(in)-axis)...)
			k.Out = append(k.Out, opnd(st...), opnd(st...))
		}
		return k
	}
	sm := func(op, axis int, in ...int) *lowered.Kernel {
		return kern(lowered.Softmax, &runtime.SoftmaxParams{Op: op, Axis: axis}, opnd(in...), opnd(in...))
	}
	gp := func(mode runtime.PoolMode, in ...int) *lowered.Kernel {
		return kern(lowered.Pooling, &runtime.PoolParams{Mode: mode, Global: true}, opnd(in[0], in[1], 1, 1), opnd(in...))
	}
	return map[string]*lowered.Kernel{
		"reduce mean last":     reduceCase(runtime.ReduceMeanOp, []int64{-1}, true, []int{3, 5, 70}, []int{3, 5, 1}),
		"reduce sum middle":    reduceCase(runtime.ReduceSumOp, []int64{1}, false, []int{4, 33, 6}, []int{4, 6}),
		"reduce max two axes":  reduceCase(runtime.ReduceMaxOp, []int64{1, 2}, false, []int{2, 3, 7, 5}, []int{2, 5}),
		"reduce min all":       reduceCase(runtime.ReduceMinOp, nil, false, []int{9, 11}, []int{}),
		"reduce prod":          reduceCase(runtime.ReduceProdOp, []int64{0}, true, []int{3, 4}, []int{1, 4}),
		"reduce l1":            reduceCase(runtime.ReduceL1Op, []int64{1}, true, []int{2, 40}, []int{2, 1}),
		"reduce l2":            reduceCase(runtime.ReduceL2Op, []int64{1}, true, []int{2, 40}, []int{2, 1}),
		"reduce sumsquare":     reduceCase(runtime.ReduceSumSquareOp, []int64{1}, true, []int{2, 40}, []int{2, 1}),
		"reduce logsum":        reduceCase(runtime.ReduceLogSumOp, []int64{1}, true, []int{2, 40}, []int{2, 1}),
		"reduce logsumexp":     reduceCase(runtime.ReduceLogSumExpOp, []int64{1}, true, []int{2, 40}, []int{2, 1}),
		"reduce unit dims":     reduceCase(runtime.ReduceSumOp, []int64{1, 3}, true, []int{2, 6, 1, 7}, []int{2, 1, 1, 1}),
		"softmax last":         sm(runtime.SoftmaxOp, -1, 4, 8, 65),
		"softmax inner":        sm(runtime.SoftmaxOp, 1, 2, 37, 3),
		"logsoftmax":           sm(runtime.LogSoftmaxOp, 2, 2, 3, 97),
		"layernorm":            ln(2, false, true, []int{1, 64, 384}, false),
		"layernorm two dims":   ln(1, false, false, []int{3, 5, 7}, false),
		"layernorm stats":      ln(1, false, true, []int{4, 33}, true),
		"rmsnorm":              ln(1, true, false, []int{3, 50}, false),
		"global average pool":  gp(runtime.PoolAvg, 2, 5, 7, 9),
		"global max pool":      gp(runtime.PoolMax, 1, 3, 4, 4),
		"global average 1 elt": gp(runtime.PoolAvg, 1, 70, 1, 1),
	}
}

type poolCase struct {
	mode                 runtime.PoolMode
	in, kernel, st, pads []int
	ceil, countPad       bool
}

func (pc poolCase) lower() *lowered.Kernel {
	nsp := len(pc.kernel)
	out := []int{pc.in[0], pc.in[1]}
	for d := 0; d < nsp; d++ {
		span := pc.in[2+d] + pc.pads[d] + pc.pads[nsp+d] - pc.kernel[d]
		o := span/pc.st[d] + 1
		if pc.ceil && span%pc.st[d] != 0 {
			o++
			if (o-1)*pc.st[d] >= pc.in[2+d]+pc.pads[d] {
				o--
			}
		}
		out = append(out, o)
	}
	p := &runtime.PoolParams{Mode: pc.mode, KernelShape: pc.kernel, Strides: pc.st, Pads: pc.pads, CeilMode: pc.ceil, CountIncludePad: pc.countPad}
	return kern(lowered.Pooling, p, opnd(out...), opnd(pc.in...))
}

func poolCases() map[string]poolCase {
	return map[string]poolCase{
		"max 3x3 s2 pad":     {mode: runtime.PoolMax, in: []int{1, 4, 11, 12}, kernel: []int{3, 3}, st: []int{2, 2}, pads: []int{1, 1, 1, 1}},
		"max 2x2 ceil":       {mode: runtime.PoolMax, in: []int{2, 3, 7, 9}, kernel: []int{2, 2}, st: []int{2, 2}, pads: []int{0, 0, 0, 0}, ceil: true},
		"avg 3x3 pad":        {mode: runtime.PoolAvg, in: []int{1, 3, 8, 7}, kernel: []int{3, 3}, st: []int{1, 1}, pads: []int{1, 1, 1, 1}},
		"avg count pad ceil": {mode: runtime.PoolAvg, in: []int{1, 2, 9, 10}, kernel: []int{3, 2}, st: []int{2, 3}, pads: []int{1, 0, 1, 1}, ceil: true, countPad: true},
		"avg 1-d":            {mode: runtime.PoolAvg, in: []int{2, 3, 20}, kernel: []int{4}, st: []int{3}, pads: []int{1, 2}},
		"avg rec-like 2x2":   {mode: runtime.PoolAvg, in: []int{1, 5, 6, 40}, kernel: []int{3, 2}, st: []int{3, 2}, pads: []int{0, 0, 0, 0}},
	}
}

func TestRowsPtxas(t *testing.T) {
	for name, k := range rowCases() {
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
	for name, pc := range poolCases() {
		k := pc.lower()
		t.Run(name, func(t *testing.T) { t.Parallel(); genCheck(t, k) })
	}
}

// rowVisits runs a row plan's index math: for each row, the offsets its lanes read, in the
// order of j. It fails when an element is read by no row or by two.
func rowVisits(t *testing.T, p rowPlan) [][]int64 {
	rows := make([][]int64, p.rows)
	seen := map[int64]int{}
	blocks := (p.rows + rowWarps - 1) / rowWarps
	for bx := 0; bx < blocks; bx++ {
		for tid := 0; tid < rowThreads; tid++ {
			e := ptx.Env{"bx": int64(bx), "tid": int64(tid)}
			row := p.row().Eval(e)
			if row >= int64(p.rows) {
				continue
			}
			if len(rows[row]) == 0 {
				rows[row] = make([]int64, p.r)
			}
			for j := p.lane().Eval(e); j < int64(p.r); j += 32 {
				e["j"] = j
				o := p.elem(p.row(), ptx.V("j")).Eval(e)
				rows[row][j] = o
				seen[o]++
			}
		}
	}
	if len(seen) != p.rows*p.r {
		t.Fatalf("%d elements read, want %d", len(seen), p.rows*p.r)
	}
	for o, n := range seen {
		if n != 1 || o < 0 || o >= int64(p.rows*p.r) {
			t.Fatalf("element %d read %d times", o, n)
		}
	}
	return rows
}

// rowResult computes in Go what a row kernel computes, from the offsets rowVisits found.
func rowResult(t *testing.T, k *lowered.Kernel, x []float32, in []*runtime.Tensor) []float32 {
	d, _ := staticF32(k.In[0])
	var plan rowPlan
	switch p := k.Params.(type) {
	case *runtime.ReduceParams:
		plan, _ = reducePlan(p, d[0])
	case *runtime.SoftmaxParams:
		plan, _ = axisPlan(d[0], p.Axis)
	case *runtime.LayerNormParams:
		plan = rowPlan{rows: numel(d[0][:p.Axis]), r: numel(d[0][p.Axis:]), inner: 1}
	case *runtime.PoolParams:
		plan = rowPlan{rows: d[0][0] * d[0][1], r: numel(d[0][2:]), inner: 1}
	}
	rows := rowVisits(t, plan)
	var y []float32
	if _, ok := k.Params.(*runtime.SoftmaxParams); ok {
		y = make([]float32, len(x))
	}
	if _, ok := k.Params.(*runtime.LayerNormParams); ok {
		y = make([]float32, len(x))
	}
	for _, offs := range rows {
		v := make([]float64, len(offs))
		for j, o := range offs {
			v[j] = float64(x[o])
		}
		sum, mx, mn, prod, l1, sq := 0.0, math.Inf(-1), math.Inf(1), 1.0, 0.0, 0.0
		for _, a := range v {
			sum, mx, mn, prod, l1, sq = sum+a, math.Max(mx, a), math.Min(mn, a), prod*a, l1+math.Abs(a), sq+a*a
		}
		n := float64(len(v))
		switch p := k.Params.(type) {
		case *runtime.ReduceParams:
			lse := 0.0
			for _, a := range v {
				lse += math.Exp(a - mx)
			}
			y = append(y, float32([]float64{sum, sum / n, mx, mn, prod, l1, math.Sqrt(sq), math.Log(sum), math.Log(lse) + mx, sq}[p.Op]))
		case *runtime.PoolParams:
			y = append(y, float32(map[runtime.PoolMode]float64{runtime.PoolAvg: sum / n, runtime.PoolMax: mx}[p.Mode]))
		case *runtime.SoftmaxParams:
			es := 0.0
			for _, a := range v {
				es += math.Exp(a - mx)
			}
			for j, o := range offs {
				if p.Op == runtime.LogSoftmaxOp {
					y[o] = float32(v[j] - mx - math.Log(es))
				} else {
					y[o] = float32(math.Exp(v[j]-mx) / es)
				}
			}
		case *runtime.LayerNormParams:
			mean := sum / n
			if p.RMS {
				mean = 0
			}
			vs := 0.0
			for _, a := range v {
				vs += (a - mean) * (a - mean)
			}
			rstd := 1 / math.Sqrt(vs/n+p.Epsilon)
			for j, o := range offs {
				r := (v[j] - mean) * rstd * float64(runtime.Data[float32](in[1])[j])
				if present(k, 2) {
					r += float64(runtime.Data[float32](in[2])[j])
				}
				y[o] = float32(r)
			}
		}
	}
	return y
}

func TestRowsIndexMath(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for name, k := range rowCases() {
		t.Run(name, func(t *testing.T) {
			in := randInputs(k, rng)
			x := runtime.Data[float32](in[0])
			if p, ok := k.Params.(*runtime.ReduceParams); ok && (p.Op == runtime.ReduceLogSumOp || p.Op == runtime.ReduceProdOp) {
				for i := range x {
					x[i] = 0.5 + float32(math.Abs(float64(x[i]))) // a positive sum; a product of moderate size
				}
			}
			want := refRun(t, k, in)
			closeTo(t, rowResult(t, k, x, in), runtime.Data[float32](want), 1e-4, 1e-5)
		})
	}
}

func TestPoolIndexMath(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for name, pc := range poolCases() {
		t.Run(name, func(t *testing.T) {
			k := pc.lower()
			in := randInputs(k, rng)
			want := runtime.Data[float32](refRun(t, k, in))
			d, _ := staticF32(k.In[0], k.Out[0])
			g, ok := poolGeom(k.Params.(*runtime.PoolParams), d[0], d[1])
			if !ok {
				t.Fatal("no geometry")
			}
			x := runtime.Data[float32](in[0])
			got := make([]float32, len(want))
			for i := range got {
				e := ptx.Env{"bx": int64(i / ewThreads), "tid": int64(i % ewThreads)}
				acc, cnt := math.Inf(-1), 0.0
				if pc.mode == runtime.PoolAvg {
					acc = 0
				}
				for r := 0; r < g.kvol; r++ {
					xo, inside, counted := g.poolTap(ewIndex(), r, pc.countPad)
					v := 0.0
					if ptx.Holds(inside, e) {
						v = float64(x[xo.Eval(e)])
					} else if pc.mode == runtime.PoolMax {
						v = math.Inf(-1)
					}
					if pc.mode == runtime.PoolMax {
						acc = math.Max(acc, v)
						continue
					}
					acc += v
					if ptx.Holds(counted, e) {
						cnt++
					}
				}
				if pc.mode == runtime.PoolAvg {
					acc /= cnt
				}
				got[ewIndex().Eval(e)] = float32(acc)
			}
			closeTo(t, got, want, 1e-5, 1e-6)
		})
	}
}

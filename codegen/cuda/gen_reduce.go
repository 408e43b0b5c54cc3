package cuda

import (
	"math"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Reductions along rows: a tensor seen as (outer, r, inner) has outer*inner rows of r
// elements, inner apart. One warp reduces one row: its lanes stride over the row and combine
// their partial results with butterfly shuffles, so every lane ends with the row's result.
// Reduce, Softmax, LayerNorm and global pooling share it.
func init() { register(lowered.Reduce, genReduce) }

// Float32 literals of the reductions' identities.
var (
	zero   = ptx.Float(0)
	negInf = ptx.Float(float32(math.Inf(-1)))
	posInf = ptx.Float(float32(math.Inf(1)))
)

const (
	rowWarps   = 8
	rowThreads = rowWarps * 32
)

// rowPlan is a row reduction's shape.
type rowPlan struct{ rows, r, inner int }

// row is the warp's row, lane the thread's lane.
func (p rowPlan) row() ptx.Expr {
	return ptx.Add(ptx.Mul(ptx.V("bx"), ptx.C(rowWarps)), ptx.Div(ptx.V("tid"), ptx.C(32)))
}
func (p rowPlan) lane() ptx.Expr { return ptx.Rem(ptx.V("tid"), ptx.C(32)) }

// elem is the offset of element j of row.
func (p rowPlan) elem(row, j ptx.Expr) ptx.Expr {
	o, i := ptx.Div(row, ptx.C(p.inner)), ptx.Rem(row, ptx.C(p.inner))
	return ptx.Sum(ptx.Mul(o, ptx.C(p.r*p.inner)), ptx.Mul(j, ptx.C(p.inner)), i)
}

// begin starts the kernel: warps past the last row exit (a whole warp at once, so the
// shuffles always have all 32 lanes).
func (p rowPlan) begin(f *ptx.Func) {
	f.Threads()
	end := f.Label()
	f.Op("@!%s bra %s", ptx.Lt(p.row(), ptx.C(p.rows)).Emit(f), end)
	f.Deferred(end)
}

func (p rowPlan) launch(f *ptx.Func, args []Arg) Launch {
	return Launch{Entry: f.Name(), Grid: [3]int{max((p.rows+rowWarps-1)/rowWarps, 1), 1, 1}, Block: [3]int{rowThreads, 1, 1}, Args: args}
}

// loop emits body for the elements j = lane, lane+32, ... of the warp's row, with "j" bound.
func (p rowPlan) loop(f *ptx.Func, body func(off ptx.Expr)) {
	j := f.Reg(ptx.B32)
	f.Op("mov.s32 %s, %s", j, f.R(p.lane()))
	f.Bind("j", j)
	top, done := f.Label(), f.Label()
	f.Place(top)
	q := f.Reg(ptx.Pred)
	f.Op("setp.ge.s32 %s, %s, %d", q, j, p.r)
	f.Op("@%s bra %s", q, done)
	body(p.elem(p.row(), ptx.V("j")))
	f.Op("add.s32 %s, %s, 32", j, j)
	f.Op("bra %s", top)
	f.Place(done)
}

// warpAll combines v over the warp with op ("add", "max", "min", "mul"), in every lane.
func warpAll(f *ptx.Func, v, op string) string {
	for d := 16; d >= 1; d /= 2 {
		t, r := f.Reg(ptx.F32), f.Reg(ptx.F32)
		f.Op("shfl.sync.bfly.b32 %s, %s, %d, 31, -1", t, v, d)
		f.Op("%s.f32 %s, %s, %s", op, r, v, t)
		v = r
	}
	return v
}

// reduce accumulates f(x) over the warp's row with op from init and returns the row's value.
func (p rowPlan) reduce(f *ptx.Func, px, op, init string, term func(x string) string) string {
	acc := f.Reg(ptx.F32)
	f.Op("mov.f32 %s, %s", acc, init)
	p.loop(f, func(off ptx.Expr) {
		x := term(f.LoadF32(px, off, nil))
		f.Op("%s.f32 %s, %s, %s", op, acc, acc, x)
	})
	return warpAll(f, acc, op)
}

// storeLane0 stores v at base[row] from lane 0.
func (p rowPlan) storeLane0(f *ptx.Func, base, v string) {
	q := ptx.Lt(p.lane(), ptx.C(1)).Emit(f)
	f.Op("@%s st.global.f32 [%s], %s", q, f.Addr(base, p.row(), 4), v)
}

// emitLog is the natural log, through lg2 (relative error about 2^-22).
func emitLog(f *ptx.Func, x string) string {
	t, r := f.Reg(ptx.F32), f.Reg(ptx.F32)
	f.Op("lg2.approx.f32 %s, %s", t, x)
	f.Op("mul.f32 %s, %s, %s", r, t, ptx.Float(0.6931471805599453))
	return r
}

// reducePlan is the row plan of a Reduce over constant axes that are contiguous once dims of
// size 1 are left out; ok is false otherwise.
func reducePlan(p *runtime.ReduceParams, dims []int) (rowPlan, bool) {
	if !p.AxesConst || (len(p.Axes) == 0 && p.NoopWithEmptyAxes) {
		return rowPlan{}, false
	}
	red := make([]bool, len(dims))
	for _, a := range p.Axes {
		if a < 0 {
			a += int64(len(dims))
		}
		if a < 0 || int(a) >= len(dims) {
			return rowPlan{}, false
		}
		red[a] = true
	}
	if len(p.Axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	// Dims before the first reduced one of size > 1 are outer, after the last inner.
	first, last := -1, -1
	for i, d := range dims {
		if red[i] && d != 1 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		first, last = 0, -1
	}
	for i := first; i <= last; i++ {
		if !red[i] && dims[i] != 1 {
			return rowPlan{}, false
		}
	}
	r := numel(dims[first : last+1])
	inner := numel(dims[last+1:])
	return rowPlan{rows: numel(dims) / max(r, 1), r: r, inner: inner}, r > 0
}

// genReduce: one warp per output element.
func genReduce(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.ReduceParams)
	d, ok := staticF32(k.In[0], k.Out[0])
	if !ok {
		return nil, false, nil
	}
	plan, ok := reducePlan(p, d[0])
	if !ok {
		return nil, false, nil
	}
	f := ptx.NewFunc(entryName(k.Entry, "rows"))
	px, py := f.PtrParam(), f.PtrParam()
	plan.begin(f)
	id := func(x string) string { return x }
	abs := func(x string) string {
		r := f.Reg(ptx.F32)
		f.Op("abs.f32 %s, %s", r, x)
		return r
	}
	square := func(x string) string {
		r := f.Reg(ptx.F32)
		f.Op("mul.f32 %s, %s, %s", r, x, x)
		return r
	}
	var v string
	switch p.Op {
	case runtime.ReduceSumOp, runtime.ReduceMeanOp, runtime.ReduceLogSumOp:
		v = plan.reduce(f, px, "add", zero, id)
	case runtime.ReduceMaxOp:
		v = plan.reduce(f, px, "max", negInf, id)
	case runtime.ReduceMinOp:
		v = plan.reduce(f, px, "min", posInf, id)
	case runtime.ReduceProdOp:
		v = plan.reduce(f, px, "mul", ptx.Float(1), id)
	case runtime.ReduceL1Op:
		v = plan.reduce(f, px, "add", zero, abs)
	case runtime.ReduceL2Op, runtime.ReduceSumSquareOp:
		v = plan.reduce(f, px, "add", zero, square)
	case runtime.ReduceLogSumExpOp:
		m := plan.reduce(f, px, "max", negInf, id)
		s := plan.reduce(f, px, "add", zero, func(x string) string {
			dx := f.Reg(ptx.F32)
			f.Op("sub.f32 %s, %s, %s", dx, x, m)
			return emitExp(f, dx)
		})
		l, r := emitLog(f, s), f.Reg(ptx.F32)
		f.Op("add.f32 %s, %s, %s", r, l, m)
		v = r
	default:
		return nil, false, nil
	}
	switch p.Op {
	case runtime.ReduceMeanOp:
		r := f.Reg(ptx.F32)
		f.Op("div.rn.f32 %s, %s, %s", r, v, ptx.Float(float32(plan.r)))
		v = r
	case runtime.ReduceL2Op:
		r := f.Reg(ptx.F32)
		f.Op("sqrt.rn.f32 %s, %s", r, v)
		v = r
	case runtime.ReduceLogSumOp:
		v = emitLog(f, v)
	}
	plan.storeLane0(f, py, v)
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{plan.launch(f, []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgOut, Index: 0}})}}, true, nil
}

package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Softmax and LogSoftmax: one warp per row along the axis, three passes over the row (its
// maximum, the sum of exponentials, the output), so large inputs do not overflow. Hardmax
// stays on the CPU path.
func init() { register(lowered.Softmax, genSoftmax) }

// axisPlan is the row plan of the rows along axis of a tensor of dims.
func axisPlan(dims []int, axis int) (rowPlan, bool) {
	if axis < 0 {
		axis += len(dims)
	}
	if axis < 0 || axis >= len(dims) || dims[axis] == 0 {
		return rowPlan{}, false
	}
	inner := numel(dims[axis+1:])
	return rowPlan{rows: numel(dims) / dims[axis], r: dims[axis], inner: inner}, true
}

func genSoftmax(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.SoftmaxParams)
	d, ok := staticF32(k.In[0], k.Out[0])
	if !ok || p.Op == runtime.HardmaxOp {
		return nil, false, nil
	}
	plan, ok := axisPlan(d[0], p.Axis)
	if !ok {
		return nil, false, nil
	}
	f := ptx.NewFunc(entryName(k.Entry, "rows"))
	px, py := f.PtrParam(), f.PtrParam()
	plan.begin(f)
	m := plan.reduce(f, px, "max", negInf, func(x string) string { return x })
	shifted := func(x string) string {
		r := f.Reg(ptx.F32)
		f.Op("sub.f32 %s, %s, %s", r, x, m)
		return r
	}
	s := plan.reduce(f, px, "add", zero, func(x string) string { return emitExp(f, shifted(x)) })
	var logS string
	if p.Op == runtime.LogSoftmaxOp {
		logS = emitLog(f, s)
	}
	plan.loop(f, func(off ptx.Expr) {
		x, r := shifted(f.LoadF32(px, off, nil)), f.Reg(ptx.F32)
		if p.Op == runtime.LogSoftmaxOp {
			f.Op("sub.f32 %s, %s, %s", r, x, logS)
		} else {
			f.Op("div.rn.f32 %s, %s, %s", r, emitExp(f, x), s)
		}
		f.Op("st.global.f32 [%s], %s", f.Addr(py, off, 4), r)
	})
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{plan.launch(f, []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgOut, Index: 0}})}}, true, nil
}

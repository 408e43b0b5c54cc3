package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// LayerNorm and RMS normalization: one warp per row (the dims from Axis on); the mean, then
// the variance from a second pass over the row (not E[x²]-E[x]², which cancels), then the
// output. Scale and B must cover the whole row; other broadcasts stay on the CPU path.
func init() { register(lowered.LayerNorm, genLayerNorm) }

func genLayerNorm(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.LayerNormParams)
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok {
		return nil, false, nil
	}
	axis := p.Axis
	if axis < 0 {
		axis += len(d[0])
	}
	if axis < 0 || axis >= len(d[0]) {
		return nil, false, nil
	}
	r := numel(d[0][axis:])
	plan := rowPlan{rows: numel(d[0][:axis]), r: r, inner: 1}
	hasB := present(k, 2)
	if r == 0 || numel(d[1]) != r || (hasB && numelDims(k.In[2]) != r) {
		return nil, false, nil
	}
	var stats []int // outputs Mean and InvStdDev, where wanted
	for i := 1; i < len(k.Out); i++ {
		if k.Out[i].Value != nil {
			if p.StatType != runtime.Float32 || p.RMS {
				return nil, false, nil
			}
			stats = append(stats, i)
		}
	}
	f := ptx.NewFunc(entryName(k.Entry, "rows"))
	args := []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgIn, Index: 1}, {Kind: ArgOut, Index: 0}}
	px, ps, py := f.PtrParam(), f.PtrParam(), f.PtrParam()
	var pb string
	if hasB {
		pb = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: 2})
	}
	statPtr := map[int]string{}
	for _, i := range stats {
		statPtr[i] = f.PtrParam()
		args = append(args, Arg{Kind: ArgOut, Index: i})
	}
	plan.begin(f)
	mean := zero
	if !p.RMS {
		s := plan.reduce(f, px, "add", zero, func(x string) string { return x })
		mean = f.Reg(ptx.F32)
		f.Op("div.rn.f32 %s, %s, %s", mean, s, ptx.Float(float32(r)))
	}
	centered := func(x string) string {
		c := f.Reg(ptx.F32)
		f.Op("sub.f32 %s, %s, %s", c, x, mean)
		return c
	}
	ss := plan.reduce(f, px, "add", zero, func(x string) string {
		c, q := centered(x), f.Reg(ptx.F32)
		f.Op("mul.f32 %s, %s, %s", q, c, c)
		return q
	})
	v, sd, rstd := f.Reg(ptx.F32), f.Reg(ptx.F32), f.Reg(ptx.F32)
	f.Op("fma.rn.f32 %s, %s, %s, %s", v, ss, ptx.Float(1/float32(r)), ptx.Float(float32(p.Epsilon)))
	f.Op("sqrt.rn.f32 %s, %s", sd, v)
	f.Op("rcp.rn.f32 %s, %s", rstd, sd)
	for _, i := range stats {
		val := mean
		if i == 2 {
			val = rstd
		}
		plan.storeLane0(f, statPtr[i], val)
	}
	plan.loop(f, func(off ptx.Expr) {
		c, n := centered(f.LoadF32(px, off, nil)), f.Reg(ptx.F32)
		f.Op("mul.f32 %s, %s, %s", n, c, rstd)
		y := f.Reg(ptx.F32)
		f.Op("mul.f32 %s, %s, %s", y, n, f.LoadF32(ps, ptx.V("j"), nil))
		if hasB {
			y = emitAddLoad(f, y, pb, ptx.V("j"), 1)
		}
		f.Op("st.global.f32 [%s], %s", f.Addr(py, off, 4), y)
	})
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{plan.launch(f, args)}}, true, nil
}

// numelDims is the element count of a static float32 operand, -1 otherwise.
func numelDims(o lowered.Operand) int {
	d, ok := staticF32(o)
	if !ok {
		return -1
	}
	return numel(d[0])
}

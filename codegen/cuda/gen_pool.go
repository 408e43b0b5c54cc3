package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Max and average pooling. A global pool is a row reduction (one warp per channel plane); a
// windowed one has one thread per output, its window unrolled, over the convolution's window
// geometry. LpPool, MaxPool's indices output and unresolved auto_pad stay on the CPU path.
func init() { register(lowered.Pooling, genPooling) }

func genPooling(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.PoolParams)
	d, ok := staticF32(k.In[0], k.Out[0])
	if !ok || len(d[0]) < 3 || (p.Mode != runtime.PoolMax && p.Mode != runtime.PoolAvg) || (len(k.Out) > 1 && k.Out[1].Value != nil) {
		return nil, false, nil
	}
	if p.Global {
		return genGlobalPool(k, t, p, d[0])
	}
	g, ok := poolGeom(p, d[0], d[1])
	if !ok || g.kvol > dwMaxTaps {
		return nil, false, nil
	}
	total := numel(d[1])
	f := ptx.NewFunc(entryName(k.Entry, p.Mode.String()))
	px, py := f.PtrParam(), f.PtrParam()
	ewBegin(f, total)
	idx := ewIndex()
	acc, cnt := f.Reg(ptx.F32), f.Reg(ptx.F32)
	init := zero
	if p.Mode == runtime.PoolMax {
		init = negInf
	}
	f.Op("mov.f32 %s, %s", acc, init)
	f.Op("mov.f32 %s, %s", cnt, zero)
	for r := 0; r < g.kvol; r++ {
		xo, in, counted := g.poolTap(idx, r, p.CountIncludePad)
		x := f.Reg(ptx.F32)
		f.Op("mov.f32 %s, %s", x, init)
		a := f.Addr(px, xo, 4)
		if in != nil {
			f.Op("@%s ld.global.f32 %s, [%s]", in.Emit(f), x, a)
		} else {
			f.Op("ld.global.f32 %s, [%s]", x, a)
		}
		if p.Mode == runtime.PoolMax {
			f.Op("max.f32 %s, %s, %s", acc, acc, x)
			continue
		}
		f.Op("add.f32 %s, %s, %s", acc, acc, x)
		if counted != nil {
			f.Op("@%s add.f32 %s, %s, %s", counted.Emit(f), cnt, cnt, ptx.Float(1))
		} else {
			f.Op("add.f32 %s, %s, %s", cnt, cnt, ptx.Float(1))
		}
	}
	v := acc
	if p.Mode == runtime.PoolAvg {
		v = f.Reg(ptx.F32)
		f.Op("div.rn.f32 %s, %s, %s", v, acc, cnt)
	}
	f.Op("st.global.f32 [%s], %s", f.Addr(py, idx, 4), v)
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{ewLaunch(f, total, []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgOut, Index: 0}})}}, true, nil
}

// poolGeom is a pooling window as a depthwise convolution's geometry (a plane per channel),
// with the output dims the compiler inferred (they include ceil_mode).
func poolGeom(p *runtime.PoolParams, in, out []int) (*cvGeom, bool) {
	nsp := len(in) - 2
	if (p.AutoPad != "" && p.AutoPad != "NOTSET") || len(p.KernelShape) != nsp || len(out) != len(in) {
		return nil, false
	}
	orOnes := func(s []int, n int) []int {
		if len(s) == 0 {
			return ones(n)
		}
		return s
	}
	pads := p.Pads
	if len(pads) == 0 {
		pads = make([]int, 2*nsp)
	}
	gp := &runtime.ConvGeomParams{C: in[1], M: in[1], Group: in[1], In: in[2:], Kernel: p.KernelShape, Strides: orOnes(p.Strides, nsp),
		Dilations: orOnes(p.Dilations, nsp), Out: out[2:], Pads: pads}
	if len(gp.Strides) != nsp || len(gp.Dilations) != nsp || len(gp.Pads) != 2*nsp {
		return nil, false
	}
	return &cvGeom{ConvGeomParams: gp, batch: in[0], cg: 1, mg: 1, kvol: numel(gp.Kernel), in: numel(gp.In), out: numel(gp.Out)}, true
}

// poolTap is window position r of output element idx: the input offset, whether it is inside
// the input, and whether an average counts it (inside the padded input with countPad).
func (g *cvGeom) poolTap(idx ptx.Expr, r int, countPad bool) (xo ptx.Expr, in, counted ptx.Cond) {
	plane, n := ptx.Div(idx, ptx.C(g.out)), ptx.Rem(idx, ptx.C(g.out))
	xo, in = g.windowAt(plane, n, ptx.C(r), false)
	counted = in
	if countPad {
		_, counted = g.windowAt(plane, n, ptx.C(r), true)
	}
	return xo, in, counted
}

// genGlobalPool: one warp per channel plane.
func genGlobalPool(k *lowered.Kernel, t Target, p *runtime.PoolParams, dims []int) (*Kernel, bool, error) {
	plan := rowPlan{rows: dims[0] * dims[1], r: numel(dims[2:]), inner: 1}
	if plan.r == 0 {
		return nil, false, nil
	}
	f := ptx.NewFunc(entryName(k.Entry, "global_"+p.Mode.String()))
	px, py := f.PtrParam(), f.PtrParam()
	plan.begin(f)
	id := func(x string) string { return x }
	var v string
	if p.Mode == runtime.PoolMax {
		v = plan.reduce(f, px, "max", negInf, id)
	} else {
		s := plan.reduce(f, px, "add", zero, id)
		v = f.Reg(ptx.F32)
		f.Op("div.rn.f32 %s, %s, %s", v, s, ptx.Float(float32(plan.r)))
	}
	plan.storeLane0(f, py, v)
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{plan.launch(f, []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgOut, Index: 0}})}}, true, nil
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

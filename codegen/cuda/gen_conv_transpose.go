package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// ConvTranspose: one thread per output element gathers what the CPU path scatters. Input
// position i and tap k land on output position o = i*s + k*d - pb, so output o takes, for each
// tap k, input (o + pb - k*d)/s where that is a whole number inside the input. The taps are
// unrolled and their input positions and validity computed once per thread; the loop runs over
// the group's input channels.
func init() { register(lowered.ConvTranspose, genConvTranspose) }

// ctMaxTaps bounds the window a transposed convolution unrolls.
const ctMaxTaps = 64

// ctGeomGPU is a transposed convolution's static geometry.
type ctGeomGPU struct {
	batch, c, m, cg, mg, kvol, inN, outN int
	in, out, kernel, strides, dil, pb    []int
	// base is a multiple of each stride that keeps o + pb - k*d + base non-negative, so that
	// the index math divides only non-negative numbers (as PTX's unsigned div and rem need).
	base    []int
	hasBias bool
}

func ctGeomOf(k *lowered.Kernel) *ctGeomGPU {
	p := k.Params.(*runtime.ConvTransposeParams)
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok {
		return nil
	}
	xs, ws, ys := d[0], d[1], d[2]
	nsp := len(xs) - 2
	if nsp < 1 || len(ws) != len(xs) || len(ys) != len(xs) {
		return nil
	}
	grp := max(p.Group, 1)
	c := xs[1]
	if ws[0] != c || c%grp != 0 || ys[1] != ws[1]*grp || ys[0] != xs[0] {
		return nil
	}
	g := &ctGeomGPU{batch: xs[0], c: c, m: ys[1], cg: c / grp, mg: ws[1], kvol: numel(ws[2:]), inN: numel(xs[2:]), outN: numel(ys[2:]),
		in: xs[2:], out: ys[2:], kernel: ws[2:], hasBias: present(k, 2)}
	if g.hasBias && numelDims(k.In[2]) != g.m {
		return nil
	}
	outShape := p.OutputShape
	if len(outShape) == nsp+2 {
		outShape = outShape[2:]
	}
	at := func(v []int, i, def int) int {
		if len(v) == 0 {
			return def
		}
		return v[i]
	}
	for i := 0; i < nsp; i++ {
		s, dl := at(p.Strides, i, 1), at(p.Dilations, i, 1)
		pb, pe := 0, 0
		if len(p.Pads) == 2*nsp {
			pb, pe = p.Pads[i], p.Pads[nsp+i]
		}
		out, pb, _, err := runtime.ConvTransposeDim(xs[2+i], ws[2+i], s, dl, at(p.OutputPadding, i, 0), pb, pe, len(p.Pads) > 0, at(outShape, i, -1), p.AutoPad)
		if err != nil || out != ys[2+i] {
			return nil
		}
		reach := (ws[2+i]-1)*dl + max(0, -pb)
		g.strides, g.dil, g.pb = append(g.strides, s), append(g.dil, dl), append(g.pb, pb)
		g.base = append(g.base, (reach+s-1)/s*s)
	}
	return g
}

// coords splits output element idx into image, output channel and output position.
func (g *ctGeomGPU) coords(idx ptx.Expr) (img, m, n ptx.Expr) {
	return ptx.Div(idx, ptx.C(g.outN*g.m)), ptx.Rem(ptx.Div(idx, ptx.C(g.outN)), ptx.C(g.m)), ptx.Rem(idx, ptx.C(g.outN))
}

// tap is the input position (linear, within a channel plane) that tap r (a linear index into
// the kernel dims) contributes to output position n, and whether there is one.
func (g *ctGeomGPU) tap(n ptx.Expr, r int) (ptx.Expr, ptx.Cond) {
	lin, stride := ptx.C(0), 1
	var ok []ptx.Cond
	for d := len(g.in) - 1; d >= 0; d-- {
		o := ptx.Rem(n, ptx.C(g.out[d]))
		n = ptx.Div(n, ptx.C(g.out[d]))
		kd := r % g.kernel[d]
		r /= g.kernel[d]
		s := g.strides[d]
		// t = o + pb - k*d, shifted by base to stay non-negative.
		t := ptx.Add(o, ptx.C(g.pb[d]+g.base[d]-kd*g.dil[d]))
		ok = append(ok, ptx.Ge(t, ptx.C(g.base[d])), ptx.Lt(t, ptx.C(g.base[d]+g.in[d]*s)))
		if s > 1 {
			ok = append(ok, ptx.Lt(ptx.Rem(t, ptx.C(s)), ptx.C(1)))
		}
		i := ptx.Sub(ptx.Div(t, ptx.C(s)), ptx.C(g.base[d]/s))
		lin = ptx.Add(lin, ptx.Mul(i, ptx.C(stride)))
		stride *= g.in[d]
	}
	return lin, ptx.And(ok...)
}

// xBase and wBase are the offsets of input channel 0 of output channel m's group in image img,
// and of m's weights for that channel; channel c of the group adds c*xStep and c*wStep.
func (g *ctGeomGPU) xBase(img, m ptx.Expr) ptx.Expr {
	return ptx.Mul(ptx.Add(ptx.Mul(img, ptx.C(g.c)), ptx.Mul(ptx.Div(m, ptx.C(g.mg)), ptx.C(g.cg))), ptx.C(g.inN))
}

func (g *ctGeomGPU) wBase(m ptx.Expr) ptx.Expr {
	return ptx.Mul(ptx.Add(ptx.Mul(ptx.Mul(ptx.Div(m, ptx.C(g.mg)), ptx.C(g.cg)), ptx.C(g.mg)), ptx.Rem(m, ptx.C(g.mg))), ptx.C(g.kvol))
}

func (g *ctGeomGPU) xStep() int { return g.inN }
func (g *ctGeomGPU) wStep() int { return g.mg * g.kvol }

func genConvTranspose(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	g := ctGeomOf(k)
	if g == nil || g.kvol > ctMaxTaps {
		return nil, false, nil
	}
	total := g.batch * g.m * g.outN
	f := ptx.NewFunc(entryName(k.Entry, "gather"))
	args := []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgIn, Index: 1}, {Kind: ArgOut, Index: 0}}
	px, pw, py := f.PtrParam(), f.PtrParam(), f.PtrParam()
	var pb string
	if g.hasBias {
		pb = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: 2})
	}
	ewBegin(f, total)
	idx := ewIndex()
	img, m, n := g.coords(idx)
	// Per thread, before the loop: the two base pointers and each tap's input offset and
	// predicate; the loop over channels only adds and loads.
	xb, wb := f.Addr(px, g.xBase(img, m), 4), f.Addr(pw, g.wBase(m), 4)
	type tapReg struct {
		r       int
		off, ok string
	}
	var taps []tapReg
	for r := 0; r < g.kvol; r++ {
		lin, ok := g.tap(n, r)
		off := f.Reg(ptx.B64)
		f.Op("mul.wide.s32 %s, %s, 4", off, f.R(lin))
		taps = append(taps, tapReg{r: r, off: off, ok: ok.Emit(f)})
	}
	acc, c := f.Reg(ptx.F32), f.Reg(ptx.B32)
	f.Op("mov.f32 %s, %s", acc, ptx.Float(0))
	f.Op("mov.s32 %s, 0", c)
	loop := f.Label()
	f.Place(loop)
	for _, tp := range taps {
		xa, x, w := f.Reg(ptx.B64), f.Reg(ptx.F32), f.Reg(ptx.F32)
		f.Op("add.s64 %s, %s, %s", xa, xb, tp.off)
		f.Op("mov.f32 %s, %s", x, ptx.Float(0))
		f.Op("@%s ld.global.f32 %s, [%s]", tp.ok, x, xa)
		f.Op("ld.global.f32 %s, [%s+%d]", w, wb, 4*tp.r)
		f.Op("fma.rn.f32 %s, %s, %s, %s", acc, x, w, acc)
	}
	more := f.Reg(ptx.Pred)
	f.Op("add.s64 %s, %s, %d", xb, xb, 4*g.xStep())
	f.Op("add.s64 %s, %s, %d", wb, wb, 4*g.wStep())
	f.Op("add.s32 %s, %s, 1", c, c)
	f.Op("setp.lt.s32 %s, %s, %d", more, c, g.cg)
	f.Op("@%s bra %s", more, loop)
	v := acc
	if g.hasBias {
		v = emitAddLoad(f, v, pb, m, 1)
	}
	f.Op("st.global.f32 [%s], %s", f.Addr(py, idx, 4), v)
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{ewLaunch(f, total, args)}}, true, nil
}

package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
)

// dwMaxTaps bounds the window a depthwise kernel unrolls.
const dwMaxTaps = 128

// dwTap is kernel position r of output element idx of a depthwise convolution: the offsets of
// the input and weight it multiplies and whether the input is inside (not padding).
func (g *cvGeom) dwTap(idx ptx.Expr, r int) (xo, wo ptx.Expr, ok ptx.Cond) {
	n := ptx.Rem(idx, ptx.C(g.out))
	m := ptx.Rem(ptx.Div(idx, ptx.C(g.out)), ptx.C(g.M))
	img := ptx.Div(idx, ptx.C(g.out*g.M))
	xo, ok = g.inputAt(ptx.Add(ptx.Mul(img, ptx.C(g.C)), ptx.Div(m, ptx.C(g.mg))), n, ptx.C(r))
	return xo, ptx.Add(ptx.Mul(m, ptx.C(g.kvol)), ptx.C(r)), ok
}

// dwChannel is the output channel of element idx (its bias).
func (g *cvGeom) dwChannel(idx ptx.Expr) ptx.Expr {
	return ptx.Rem(ptx.Div(idx, ptx.C(g.out)), ptx.C(g.M))
}

// genConvDepthwise: one thread per output element sums its window, the window unrolled.
func genConvDepthwise(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	g := convGeomOf(k)
	if g == nil || g.cg != 1 || g.kvol > dwMaxTaps {
		return nil, false, nil
	}
	total := g.batch * g.M * g.out
	f := ptx.NewFunc(entryName(k.Entry, "direct"))
	args := []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgIn, Index: 1}, {Kind: ArgOut, Index: 0}}
	px, pw, py := f.PtrParam(), f.PtrParam(), f.PtrParam()
	var pb, pz string
	if g.hasBias {
		pb = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: 2})
	}
	if g.hasZ {
		pz = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: 3})
	}
	ewBegin(f, total)
	idx := ewIndex()
	acc := f.Reg(ptx.F32)
	f.Op("mov.f32 %s, %s", acc, ptx.Float(0))
	for r := 0; r < g.kvol; r++ {
		xo, wo, ok := g.dwTap(idx, r)
		x, w := f.LoadF32(px, xo, ok), f.LoadF32(pw, wo, nil)
		f.Op("fma.rn.f32 %s, %s, %s, %s", acc, x, w, acc)
	}
	v := acc
	if g.hasBias {
		v = emitAddLoad(f, v, pb, g.dwChannel(idx), 1)
	}
	if g.hasZ {
		v = emitAddLoad(f, v, pz, idx, 1)
	}
	v = emitAct(f, v, g.Activation, g.ActAlpha, g.ActBeta)
	f.Op("st.global.f32 [%s], %s", f.Addr(py, idx, 4), v)
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{ewLaunch(f, total, args)}}, true, nil
}

package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Every convolution entry the CPU path specializes (ConvBlocked, ConvDirect, ConvDot, ConvGemm,
// ConvPointwise) computes the same thing from the same resolved geometry: on the GPU each is an
// implicit GEMM per (image, group), Y[m][n] = sum over k of W[m][k] * im2col(X)[k][n] with
// k = (input channel, kernel position) and n the output position; im2col is never
// materialized, the B tile loader computes each element's input offset and whether it is
// padding. ConvDepthwise (one input channel per group) is a direct kernel, one thread per
// output. The general Conv entry is what lowering leaves for shapes not known when compiling,
// so it stays on the CPU path.
func init() {
	for _, e := range []lowered.Entry{lowered.ConvBlocked, lowered.ConvDirect, lowered.ConvDot, lowered.ConvGemm, lowered.ConvPointwise} {
		register(e, mmGen(specConv))
	}
	register(lowered.ConvDepthwise, genConvDepthwise)
}

// cvGeom is a convolution's geometry with the batch size, from a kernel's operands.
type cvGeom struct {
	*runtime.ConvGeomParams
	batch                 int
	cg, mg, kvol, in, out int
	hasBias, hasZ         bool
}

func convGeomOf(k *lowered.Kernel) *cvGeom {
	p := k.Params.(*runtime.ConvGeomParams)
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok || len(d[0]) != len(p.In)+2 {
		return nil
	}
	g := &cvGeom{ConvGeomParams: p, batch: d[0][0], cg: p.C / p.Group, mg: p.M / p.Group, kvol: numel(p.Kernel), in: numel(p.In), out: numel(p.Out),
		hasBias: present(k, 2), hasZ: present(k, 3)}
	for _, i := range []int{2, 3} {
		if present(k, i) {
			if _, ok := staticF32(k.In[i]); !ok {
				return nil
			}
		}
	}
	return g
}

// inputAt is the offset of the input element that kernel position r (a linear index into the
// kernel dims) of output position n (into the output dims) reads in channel plane ch, and
// whether it is inside the input (not padding).
func (g *cvGeom) inputAt(ch, n, r ptx.Expr) (ptx.Expr, ptx.Cond) { return g.windowAt(ch, n, r, false) }

// windowAt is inputAt, but with padded the condition says whether the position is inside the
// padded input (what an average pool with count_include_pad counts).
func (g *cvGeom) windowAt(ch, n, r ptx.Expr, padded bool) (ptx.Expr, ptx.Cond) {
	nsp := len(g.In)
	lin, stride := ptx.C(0), 1
	var ok []ptx.Cond
	pointwise := g.kvol == 1
	for d := nsp - 1; d >= 0; d-- {
		pointwise = pointwise && g.Strides[d] == 1 && g.Pads[d] == 0 && g.Pads[nsp+d] == 0
	}
	if pointwise {
		// Output and input positions coincide.
		return ptx.Add(ptx.Mul(ch, ptx.C(g.in)), n), nil
	}
	for d := nsp - 1; d >= 0; d-- {
		o := ptx.Rem(n, ptx.C(g.Out[d]))
		kd := ptx.Rem(r, ptx.C(g.Kernel[d]))
		n, r = ptx.Div(n, ptx.C(g.Out[d])), ptx.Div(r, ptx.C(g.Kernel[d]))
		i := ptx.Sum(ptx.Mul(o, ptx.C(g.Strides[d])), ptx.C(-g.Pads[d]), ptx.Mul(kd, ptx.C(g.Dilations[d])))
		lo, hi := 0, g.In[d]
		if padded {
			lo, hi = -g.Pads[d], g.In[d]+g.Pads[nsp+d]
		}
		// The bounds are tested only where some window reaches past them.
		if -g.Pads[d] < lo || (g.Out[d]-1)*g.Strides[d]-g.Pads[d]+(g.Kernel[d]-1)*g.Dilations[d] >= hi {
			ok = append(ok, ptx.And(ptx.Ge(i, ptx.C(lo)), ptx.Lt(i, ptx.C(hi))))
		}
		lin = ptx.Add(lin, ptx.Mul(i, ptx.C(stride)))
		stride *= g.In[d]
	}
	return ptx.Add(ptx.Mul(ch, ptx.C(g.in)), lin), ptx.And(ok...)
}

// specConv describes a convolution as a product per (image, group): batch b = image*Group +
// group.
func specConv(k *lowered.Kernel, t Target) *mmSpec {
	g := convGeomOf(k)
	if g == nil {
		return nil
	}
	G := g.Group
	image := func(b ptx.Expr) ptx.Expr { return ptx.Div(b, ptx.C(G)) }
	group := func(b ptx.Expr) ptx.Expr { return ptx.Rem(b, ptx.C(G)) }
	kk := g.cg * g.kvol
	s := &mmSpec{batch: g.batch * G, m: g.mg, n: g.out, k: kk, alpha: 1, tf32: t.TF32, inA: 1, inB: 0,
		act: g.Activation, actA: g.ActAlpha, actB: g.ActBeta, entryName: entryName(k.Entry, variant(t))}
	channel := func(b, m ptx.Expr) ptx.Expr { return ptx.Add(ptx.Mul(group(b), ptx.C(g.mg)), m) }
	s.a.off = func(b, m, k ptx.Expr) ptx.Expr { return ptx.Add(ptx.Mul(channel(b, m), ptx.C(kk)), k) }
	plane := func(b, k ptx.Expr) ptx.Expr {
		return ptx.Sum(ptx.Mul(image(b), ptx.C(g.C)), ptx.Mul(group(b), ptx.C(g.cg)), ptx.Div(k, ptx.C(g.kvol)))
	}
	s.b.off = func(b, k, n ptx.Expr) ptx.Expr {
		off, _ := g.inputAt(plane(b, k), n, ptx.Rem(k, ptx.C(g.kvol)))
		return off
	}
	s.b.pad = func(b, k, n ptx.Expr) ptx.Cond {
		_, ok := g.inputAt(plane(b, k), n, ptx.Rem(k, ptx.C(g.kvol)))
		return ok
	}
	s.y = func(b, m, n ptx.Expr) ptx.Expr {
		return ptx.Add(ptx.Mul(ptx.Add(ptx.Mul(image(b), ptx.C(g.M)), channel(b, m)), ptx.C(g.out)), n)
	}
	if g.hasBias {
		s.bias, s.inBias = &mmOperand{off: func(b, m, n ptx.Expr) ptx.Expr { return channel(b, m) }}, 2
	}
	s.z, s.inZ = g.hasZ, 3
	return s
}

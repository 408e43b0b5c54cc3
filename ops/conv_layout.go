package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// BlockConvChains chooses which values between blocked convolutions (ConvBlocked kernels) are
// stored in the blocked layout (runtime.BlkLayout) instead of NCHW, as onnxruntime keeps NCHWc
// between its convolutions: a convolution that reads such a value uses it as its padded input
// where it would otherwise reorder its NCHW input on every call, and one that writes it stores
// whole vectors instead of NCHW rows. It is the CPU backend's choice of layout, taken on the
// lowered program before the Go emitter; other backends do not call it.
//
// A value is blocked when a 2-D ConvBlocked produces it, it is no graph's output, and every use
// is by a 2-D ConvBlocked in the same graph, as its input (with input channels a multiple of
// 16) or as its summand Z. A convolution's output and its Z are blocked together or not at all,
// since its store reads Z where it writes the output; so values joined through Z form classes
// that take one layout, whose border is the largest pads of the convolutions reading them.
func BlockConvChains(p *lowered.Program) {
	type use struct {
		k   *lowered.Kernel
		in  int
		own *lowered.Graph
	}
	uses := map[*ir.Value][]use{}
	excluded := map[*ir.Value]bool{} // graph outputs
	var convs []*lowered.Kernel
	own := map[*lowered.Kernel]*lowered.Graph{}
	for _, g := range p.Graphs {
		for _, v := range g.IR.Outputs {
			excluded[v] = true
		}
		for _, k := range g.Kernels {
			for i, o := range k.In {
				if o.Value != nil {
					uses[o.Value] = append(uses[o.Value], use{k, i, g})
				}
			}
			if geom2D(k) != nil {
				// Each blocked convolution gets parameters of its own to set layouts on.
				q := *geom2D(k)
				k.Params = &q
				convs = append(convs, k)
				own[k] = g
			}
		}
	}
	// Classes of values joined through Z, by union-find.
	parent := map[*ir.Value]*ir.Value{}
	var find func(v *ir.Value) *ir.Value
	find = func(v *ir.Value) *ir.Value {
		if pv, ok := parent[v]; ok && pv != v {
			r := find(pv)
			parent[v] = r
			return r
		}
		parent[v] = v
		return v
	}
	candidate := func(k *lowered.Kernel) bool {
		y := k.Out[0].Value
		if excluded[y] || len(uses[y]) == 0 {
			return false
		}
		for _, u := range uses[y] {
			g := geom2D(u.k)
			if g == nil || u.own != own[k] || !(u.in == 0 && g.C%16 == 0 || u.in == 3) {
				return false
			}
		}
		return true
	}
	producer := map[*ir.Value]*lowered.Kernel{}
	for _, k := range convs {
		y := k.Out[0].Value
		producer[y] = k
		if r := find(y); len(k.In) > 3 && k.In[3].Value != nil {
			parent[find(k.In[3].Value)] = r
		}
	}
	// A class is blocked when every member is a candidate: a member that no blocked
	// convolution produces (a Z from a pooling) rules it out.
	bad := map[*ir.Value]bool{}
	for v := range parent {
		if k := producer[v]; k == nil || !candidate(k) {
			bad[find(v)] = true
		}
	}
	ok := func(v *ir.Value) bool { return !bad[find(v)] }
	layout := map[*ir.Value]runtime.BlkLayout{}
	for v := range parent {
		if r := find(v); ok(r) {
			l := layout[r]
			l.On = true
			for _, u := range uses[v] {
				if u.in == 0 {
					g := geom2D(u.k)
					l.Top, l.Left = max(l.Top, g.Pads[0]), max(l.Left, g.Pads[1])
					l.Bottom, l.Right = max(l.Bottom, g.Pads[2]), max(l.Right, g.Pads[3])
				}
			}
			layout[r] = l
		}
	}
	of := func(v *ir.Value) runtime.BlkLayout {
		if v == nil || parent[v] == nil || !ok(v) {
			return runtime.BlkLayout{}
		}
		return layout[find(v)]
	}
	for _, k := range convs {
		g := geom2D(k)
		g.XLayout, g.YLayout = of(k.In[0].Value), of(k.Out[0].Value)
		if len(k.In) > 3 {
			g.ZLayout = of(k.In[3].Value)
		}
	}
}

// geom2D returns a ConvBlocked kernel's parameters when its windows are 2-D, else nil.
func geom2D(k *lowered.Kernel) *runtime.ConvGeomParams {
	g, _ := k.Params.(*runtime.ConvGeomParams)
	if k.Entry != lowered.ConvBlocked || g == nil || len(g.In) != 2 || len(k.Out) != 1 || len(k.In) < 1 {
		return nil
	}
	return g
}

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
// lowered program before the Go emitter; other backends do not call it. A 2-D max pooling
// between such convolutions (a backbone's stem pooling) becomes MaxPoolBlocked, which reads and
// writes the layout too, a global average pooling after them (a backbone's head) reads it
// (GlobalAvgPoolBlocked), and a 3x3 convolution with unit strides whose input and output are
// blocked becomes ConvWinograd.
//
// A value is blocked when a 2-D ConvBlocked produces it, it is no graph's output, and every use
// is by a 2-D ConvBlocked in the same graph, as its input (with input channels a multiple of
// 16) or as its summand Z, or by such a pooling as its input. A convolution's output and its Z are blocked together or not at all,
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
	pools := map[*lowered.Kernel]*runtime.MaxPoolBlockedParams{}
	gaps := map[*lowered.Kernel]*runtime.GlobalAvgPoolBlockedParams{}
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
			} else if pp := blkPool(k); pp != nil {
				pools[k] = pp
				own[k] = g
			} else if gp := blkGlobalAvg(k); gp != nil {
				gaps[k] = gp
			}
		}
	}
	// Classes of values joined through Z (and through a pooling, whose input and output are
	// blocked together), by union-find.
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
			if u.own != own[k] {
				return false
			}
			if g := geom2D(u.k); g != nil && (u.in == 0 && g.C%16 == 0 || u.in == 3) {
				continue
			}
			if (pools[u.k] != nil || gaps[u.k] != nil) && u.in == 0 {
				continue
			}
			return false
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
	for k := range pools {
		y := k.Out[0].Value
		producer[y] = k
		parent[find(k.In[0].Value)] = find(y)
	}
	// A class is blocked when every member is a candidate: a member that no blocked
	// convolution or pooling produces (a Z or pooling input from another kernel) rules it out.
	bad := map[*ir.Value]bool{}
	for v := range parent {
		if k := producer[v]; k == nil || !candidate(k) {
			bad[find(v)] = true
		}
	}
	ok := func(v *ir.Value) bool { return !bad[find(v)] }
	// winograd says a convolution becomes ConvWinograd: its geometry suits it, it pays, and
	// its input and output are both blocked.
	winograd := func(k *lowered.Kernel, g *runtime.ConvGeomParams) bool {
		x, y := k.In[0].Value, k.Out[0].Value
		return runtime.WinogradFits(g) && runtime.WinogradPays(g) && len(k.Prepack) == 1 && k.Prepack[0].Layout == lowered.PackConvBlocked &&
			x != nil && parent[x] != nil && ok(x) && parent[y] != nil && ok(y)
	}
	layout := map[*ir.Value]runtime.BlkLayout{}
	for v := range parent {
		if r := find(v); ok(r) {
			l := layout[r]
			l.On = true
			for _, u := range uses[v] {
				// A pooling clips its windows itself; a convolution reads its pads from the
				// border.
				if g := geom2D(u.k); g != nil && u.in == 0 {
					bottom, right := g.Pads[2], g.Pads[3]
					if winograd(u.k, g) {
						bottom, right = runtime.WinogradBorder(g)
					}
					l.Top, l.Left = max(l.Top, g.Pads[0]), max(l.Left, g.Pads[1])
					l.Bottom, l.Right = max(l.Bottom, bottom), max(l.Right, right)
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
		// A 3x3 convolution with unit strides between blocked values runs the Winograd
		// algorithm on the same layouts: 2.25 times fewer multiplications, its transformed
		// weights packed at compile time.
		if winograd(k, g) {
			k.Entry = lowered.ConvWinograd
			k.Prepack[0].Layout = lowered.PackConvWinograd
		}
		g.XLayout, g.YLayout = of(k.In[0].Value), of(k.Out[0].Value)
		if len(k.In) > 3 {
			g.ZLayout = of(k.In[3].Value)
		}
	}
	for k, pp := range pools {
		if pp.YLayout = of(k.Out[0].Value); pp.YLayout.On {
			pp.XLayout = of(k.In[0].Value)
			k.Entry, k.Params = lowered.MaxPoolBlocked, pp
		}
	}
	for k, gp := range gaps {
		if gp.XLayout = of(k.In[0].Value); gp.XLayout.On {
			k.Entry, k.Params = lowered.GlobalAvgPoolBlocked, gp
		}
	}
}

// blkGlobalAvg returns the parameters a 2-D float32 global average pooling (Pooling, static
// channels a multiple of 16 and static spatial dims) would run with as GlobalAvgPoolBlocked,
// layout unset, or nil for any other kernel.
func blkGlobalAvg(k *lowered.Kernel) *runtime.GlobalAvgPoolBlockedParams {
	p, _ := k.Params.(*runtime.PoolParams)
	if k.Entry != lowered.Pooling || p == nil || p.Mode != runtime.PoolAvg || !p.Global || len(k.In) != 1 || len(k.Out) != 1 {
		return nil
	}
	c, h, w, ok := staticImage(k.In[0])
	if !ok || c <= 0 || c%16 != 0 {
		return nil
	}
	return &runtime.GlobalAvgPoolBlockedParams{C: c, In: []int{h, w}}
}

// staticImage returns the channels and spatial dims of a float32 operand [N C H W] whose dims
// but the batch are static.
func staticImage(o lowered.Operand) (c, h, w int, ok bool) {
	if o.Value == nil || o.DType != runtime.Float32 || !o.RankKnown || len(o.Dims) != 4 {
		return 0, 0, 0, false
	}
	for i := 1; i < 4; i++ {
		if !o.Dims[i].IsStatic() {
			return 0, 0, 0, false
		}
	}
	return int(o.Dims[1].N), int(o.Dims[2].N), int(o.Dims[3].N), true
}

// blkPool returns the parameters a 2-D float32 max pooling (Pooling, one output, windows and
// pads resolved, static channels a multiple of 16 and static spatial dims) would run with as
// MaxPoolBlocked, layouts unset, or nil for any other kernel.
func blkPool(k *lowered.Kernel) *runtime.MaxPoolBlockedParams {
	p, _ := k.Params.(*runtime.PoolParams)
	if k.Entry != lowered.Pooling || p == nil || p.Mode != runtime.PoolMax || p.Global || p.AutoPad != "NOTSET" ||
		len(k.In) != 1 || len(k.Out) != 1 || len(p.KernelShape) != 2 {
		return nil
	}
	c, h, w, okx := staticImage(k.In[0])
	_, oh, ow, oky := staticImage(k.Out[0])
	if !okx || !oky {
		return nil
	}
	q := &runtime.MaxPoolBlockedParams{C: c, In: []int{h, w}, Out: []int{oh, ow}, Kernel: p.KernelShape,
		Strides: orOnes(p.Strides), Dilations: orOnes(p.Dilations), Pads: p.Pads}
	if len(q.Pads) == 0 {
		q.Pads = []int{0, 0, 0, 0}
	}
	if !runtime.PlBlkFits(q.C, q.Kernel[0]*q.Kernel[1]) || len(q.Strides) != 2 || len(q.Dilations) != 2 || len(q.Pads) != 4 {
		return nil
	}
	return q
}

// orOnes is s, or two ones when it is empty (the default strides and dilations).
func orOnes(s []int) []int {
	if len(s) == 0 {
		return []int{1, 1}
	}
	return s
}

// geom2D returns a ConvBlocked kernel's parameters when its windows are 2-D, else nil.
func geom2D(k *lowered.Kernel) *runtime.ConvGeomParams {
	g, _ := k.Params.(*runtime.ConvGeomParams)
	if k.Entry != lowered.ConvBlocked || g == nil || len(g.In) != 2 || len(k.Out) != 1 || len(k.In) < 1 {
		return nil
	}
	return g
}

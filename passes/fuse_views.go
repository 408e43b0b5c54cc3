package passes

import (
	"slices"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// Attention as exporters write it (torch's MultiheadAttention) slices the fused projection
// into queries, keys and values, reshapes them into heads, transposes them for the two batched
// products, scales one operand by a constant, and transposes the result back: a copy per
// slice and per transpose, around products of 64x64 matrices that cost about as much. The rows
// here fold those steps into the products instead, as onnxruntime's MatmulTransposeFusion and
// MatMulScaleFusion do: a MatMul of two computed float32 operands reads each one as a strided
// view of the tensor its chain of slices, reshapes and transposes starts from, the chain's
// scalings become the product's alpha, and a transpose of the result that keeps the last dim
// last becomes the order in which the product stores it (onnxc.MatMulView, run by
// runtime.MatMulStrided). A MatMul by a constant stays: its weights are prepacked.
//
// With static shapes a view is resolved here, and a step that is no view (a reshape merging
// dims a slice or transpose left apart) ends the chain. With symbolic ones the chain becomes
// steps the kernel resolves once per call from the bound dims, copying the operand where a
// step is no view for those dims (the reshape target is then the Reshape's shape input, which
// the product reads).

const matMulViewOp = ops.FusedDomain + ".MatMulView"

// viewOps are the ops a view folds through, from its operand back to the tensor it reads.
var viewOps = opIDsOf([]string{"Transpose", "Reshape", "Slice", "Squeeze", "Unsqueeze", "Flatten", "Mul", "Div"})

// f32Scalar returns the value of a float32 constant of one element.
func f32Scalar(v *ir.Value) (float64, bool) {
	if v == nil || v.Const == nil || v.Const.DType != runtime.Float32 || v.Const.Len() != 1 {
		return 0, false
	}
	return float64(runtime.Data[float32](v.Const)[0]), true
}

// viewStep is one node of an operand's chain: the input the chain goes on from, and the
// node's scale (Mul or Div by a float32 constant of one element that does not broadcast the
// other operand to a higher rank; 1 for the others).
func viewStep(n *ir.Node) (from *ir.Value, scale float64, ok bool) {
	scalar := func(c, x *ir.Value) (float64, bool) {
		v, ok := f32Scalar(c)
		return v, ok && x != nil && len(c.Const.Shape) <= x.Type.Rank()
	}
	switch n.Op {
	case "Mul":
		if c, ok := scalar(n.Input(1), n.Input(0)); ok {
			return n.Input(0), c, true
		}
		if c, ok := scalar(n.Input(0), n.Input(1)); ok {
			return n.Input(1), c, true
		}
		return nil, 0, false
	case "Div":
		if c, ok := scalar(n.Input(1), n.Input(0)); ok && c != 0 {
			return n.Input(0), 1 / c, true
		}
		return nil, 0, false
	}
	return n.Input(0), 1, n.Input(0) != nil
}

// sliceConsts reads a Slice node's constant starts, ends, axes and steps (axes and steps
// filled in with their defaults).
func sliceConsts(n *ir.Node) (starts, ends, axes, steps []int64, ok bool) {
	get := func(i int) ([]int64, bool) {
		if n.Input(i) == nil {
			return nil, true
		}
		return ops.ConstInts(n, i)
	}
	var ok1, ok2, ok3, ok4 bool
	starts, ok1 = get(1)
	ends, ok2 = get(2)
	axes, ok3 = get(3)
	steps, ok4 = get(4)
	if !ok1 || !ok2 || !ok3 || !ok4 || starts == nil || len(ends) != len(starts) {
		return nil, nil, nil, nil, false
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if steps == nil {
		for range starts {
			steps = append(steps, 1)
		}
	}
	return starts, ends, axes, steps, len(axes) == len(starts) && len(steps) == len(starts)
}

// operandFold is what a MatMul operand folds into: the tensor it reads, its view of it
// (static) or the steps to it (symbolic, with the reshape targets they read), the chain's
// scale, and the chain's nodes (the operand's producer first).
type operandFold struct {
	base   *ir.Value
	static bool
	view   runtime.View
	steps  []runtime.ViewStep
	shapes []*ir.Value // steps[i].ShapeIn indexes this until the node's inputs are laid out
	alpha  float64
	chain  []*ir.Node
}

// operandView walks back from v, a computed float32 operand of known rank, through nodes of
// viewOps whose outputs have no other use, and returns the longest chain that folds.
func (f *fuser) operandView(v *ir.Value) operandFold {
	var nodes []*ir.Node
	var froms []*ir.Value
	static := v.Type.IsStatic()
	for cur := v; ; {
		p := f.soleProducer(cur, viewOps...)
		if p == nil || len(p.Outputs) != 1 {
			break
		}
		from, _, ok := viewStep(p)
		if !ok || !isF32(from) || from.Const != nil || from.Type.Rank() < 0 {
			break
		}
		nodes, froms = append(nodes, p), append(froms, from)
		static = static && from.Type.IsStatic()
		cur = from
	}
	if static {
		return staticFold(v, nodes, froms)
	}
	// Symbolic: the steps the kernel knows (no Squeeze, Unsqueeze or Flatten), up to the
	// first it does not.
	for i, n := range nodes {
		ok := true
		switch n.Op {
		case "Squeeze", "Unsqueeze", "Flatten":
			ok = false
		case "Transpose":
			_, err := ops.TransposePerm(n, froms[i].Type.Rank())
			ok = err == nil
		case "Slice":
			var steps []int64
			_, _, _, steps, ok = sliceConsts(n)
			for _, st := range steps {
				ok = ok && st > 0 // the kernel's views step forwards
			}
		case "Reshape":
			s := n.Input(1)
			ok = s != nil && s.Type.DType == runtime.Int64
		}
		if !ok || froms[i].Type.Rank() > runtime.MaxViewRank || n.Outputs[0].Type.Rank() > runtime.MaxViewRank {
			nodes, froms = nodes[:i], froms[:i]
			break
		}
	}
	fo := operandFold{base: v, alpha: 1, chain: nodes, steps: []runtime.ViewStep{}}
	if len(nodes) > 0 {
		fo.base = froms[len(nodes)-1]
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		switch n.Op {
		case "Transpose":
			perm, _ := ops.TransposePerm(n, froms[i].Type.Rank())
			fo.steps = append(fo.steps, runtime.ViewStep{Kind: runtime.ViewTranspose, Perm: perm})
		case "Slice":
			st, en, ax, sp, _ := sliceConsts(n)
			fo.steps = append(fo.steps, runtime.ViewStep{Kind: runtime.ViewSlice, Starts: st, Ends: en, Axes: ax, Steps: sp})
		case "Reshape":
			fo.steps = append(fo.steps, runtime.ViewStep{Kind: runtime.ViewReshape, ShapeIn: len(fo.shapes), AllowZero: n.GetInt("allowzero", 0) != 0})
			fo.shapes = append(fo.shapes, n.Input(1))
		case "Mul", "Div":
			_, c, _ := viewStep(n)
			fo.alpha *= c
		}
	}
	return fo
}

// staticFold resolves a chain of static shapes into a view: forward from the chain's start,
// a step that is no view starts the chain anew after it.
func staticFold(v *ir.Value, nodes []*ir.Node, froms []*ir.Value) operandFold {
	start := len(nodes)
	base := v
	if start > 0 {
		base = froms[start-1]
	}
	bs, _ := base.Type.StaticShape()
	vw, ok := runtime.ContiguousView(bs)
	if !ok {
		return operandFold{base: v, static: true, alpha: 1}
	}
	alpha := 1.0
	for i := start - 1; i >= 0; i-- {
		n := nodes[i]
		out, _ := n.Outputs[0].Type.StaticShape()
		w, ok := vw, true
		switch n.Op {
		case "Transpose":
			perm, err := ops.TransposePerm(n, vw.Rank)
			if ok = err == nil; ok {
				w, ok = vw.Transpose(perm)
			}
		case "Slice":
			st, en, ax, sp, sok := sliceConsts(n)
			if ok = sok; ok {
				w, ok = vw.Slice(st, en, ax, sp)
				ok = ok && slices.Equal(w.Dims(), out)
			}
		case "Mul", "Div":
			_, c, _ := viewStep(n)
			alpha *= c
		default: // Reshape, Squeeze, Unsqueeze, Flatten: the output's shape
			w, ok = vw.Reshape(out)
		}
		if !ok {
			c, cok := runtime.ContiguousView(out)
			if !cok {
				return operandFold{base: v, static: true, alpha: 1}
			}
			base, vw, alpha, start = n.Outputs[0], c, 1, i
			continue
		}
		vw = w
	}
	return operandFold{base: base, static: true, view: vw, alpha: alpha, chain: nodes[:start]}
}

// foldMatMulViews makes a MatMul of two computed float32 operands of rank 2 or more one
// onnxc.MatMulView over the tensors their chains start from, when a chain folds.
func foldMatMulViews(f *fuser, n, _ *ir.Node) bool {
	a, b := n.Input(0), n.Input(1)
	if !viewOperand(a) || !viewOperand(b) || !isF32(n.Outputs[0]) || n.Outputs[0].Type.Rank() < 2 {
		return false
	}
	fa, fb := f.operandView(a), f.operandView(b)
	if len(fa.chain) == 0 && len(fb.chain) == 0 {
		return false
	}
	perm := identityPerm(n.Outputs[0].Type.Rank())
	attrs, ins, ok := viewNode(fa, fb, perm, fa.alpha*fb.alpha)
	if !ok {
		return false
	}
	attrs = withOutputDims(attrs, n.Outputs[0].Type)
	var chain []string
	for _, fo := range []operandFold{fa, fb} {
		for i := len(fo.chain) - 1; i >= 0; i-- {
			chain = append(chain, f.chainOf(fo.chain[i])...)
		}
	}
	chain = append(chain, f.chainOf(n)...)
	f.setInputs(n, ins)
	for _, fo := range []operandFold{fa, fb} {
		for _, p := range fo.chain {
			f.remove(p)
		}
	}
	n.SetOp("MatMulView", ops.FusedDomain)
	n.Attrs = nil
	n.SetAttrs(attrs...)
	f.chain[n] = chain
	return true
}

// foldMatMulTranspose makes a Transpose of a MatMul (or MatMulView) result that keeps the
// last dim last the order in which the product stores its result.
func foldMatMulTranspose(f *fuser, n, p *ir.Node) bool {
	y := p.Outputs[0]
	r := y.Type.Rank()
	if n.Input(0) != y || r < 2 || !isF32(y) {
		return false
	}
	perm := n.GetInts("perm", nil)
	if len(perm) != r || int(perm[r-1]) != r-1 {
		return false
	}
	var old []int64
	var attrs []ir.Attr
	ins := p.Inputs
	if qualOp(p) == matMulViewOp {
		old = p.GetInts("y_perm", nil)
		attrs = p.Attrs
	} else {
		a, b := p.Input(0), p.Input(1)
		if !viewOperand(a) || !viewOperand(b) {
			return false
		}
		old = identityPerm(r)
		var ok bool
		fa, fb := unfolded(a), unfolded(b)
		if attrs, ins, ok = viewNode(fa, fb, old, 1); !ok {
			return false
		}
	}
	if len(old) != r {
		return false
	}
	// Output dim j of the transpose is the product's output dim perm[j], which holds the
	// logical dim old[perm[j]].
	np := make([]int64, r)
	for j, d := range perm {
		if d < 0 || int(d) >= r {
			return false
		}
		np[j] = old[d]
	}
	var out []ir.Attr
	for _, at := range attrs {
		if at.Name != "y_perm" && at.Name != "y_dims" {
			out = append(out, at)
		}
	}
	out = withOutputDims(append(out, ir.Ints("y_perm", np...)), n.Outputs[0].Type)
	f.merge(n, p, "MatMulView", ops.FusedDomain, p.Name, ins, out)
	return true
}

// withOutputDims adds, for a MatMulView whose views are resolved per call, its output's dims
// (y_dims, ops.ViewDims) as inference found them before the fusion: from the node alone only
// the rank would be known, and what reads it would lose its symbolic dims.
func withOutputDims(attrs []ir.Attr, t ir.Type) []ir.Attr {
	for _, at := range attrs {
		if at.Name == "a_steps" || at.Name == "b_steps" {
			return append(attrs, ir.Strings("y_dims", ops.EncodeViewDims(t.Shape)...))
		}
	}
	return attrs
}

// unfolded is an operand read as it is.
func unfolded(v *ir.Value) operandFold {
	if sh, ok := v.Type.StaticShape(); ok {
		if vw, ok := runtime.ContiguousView(sh); ok {
			return operandFold{base: v, static: true, view: vw, alpha: 1}
		}
	}
	return operandFold{base: v, alpha: 1, steps: []runtime.ViewStep{}}
}

func identityPerm(r int) []int64 {
	p := make([]int64, r)
	for i := range p {
		p[i] = int64(i)
	}
	return p
}

// viewOperand reports whether v can be a view operand: computed (a MatMul by a constant stays
// one), float32, of known rank 2 or more.
func viewOperand(v *ir.Value) bool {
	return v != nil && v.Const == nil && isF32(v) && v.Type.Rank() >= 2 && v.Type.Rank() <= runtime.MaxViewRank
}

// viewNode lays out an onnxc.MatMulView of operands fa and fb: its inputs (the two tensors,
// then the reshape targets the steps read) and attributes. Static views of different ranks get
// leading dims of 1 and must broadcast.
func viewNode(fa, fb operandFold, perm []int64, alpha float64) ([]ir.Attr, []*ir.Value, bool) {
	ins := []*ir.Value{fa.base, fb.base}
	attrs := []ir.Attr{}
	for i, fo := range []operandFold{fa, fb} {
		pre := []string{"a_", "b_"}[i]
		if !fo.static {
			steps := append([]runtime.ViewStep(nil), fo.steps...)
			for k := range steps {
				if steps[k].Kind == runtime.ViewReshape {
					steps[k].ShapeIn += len(ins)
				}
			}
			ins = append(ins, fo.shapes...)
			attrs = append(attrs, ir.Ints(pre+"steps", ops.EncodeViewSteps(steps)...))
			continue
		}
		attrs = append(attrs, ir.Int(pre+"offset", int64(fo.view.Off)), ir.Ints(pre+"shape", ops.Int64s(fo.view.Dims())...),
			ir.Ints(pre+"strides", ops.Int64s(fo.view.Strides[:fo.view.Rank])...))
	}
	if fa.static && fb.static {
		p := &runtime.MatMulStridedParams{AOff: fa.view.Off, AShape: fa.view.Dims(), AStrides: fa.view.Strides[:fa.view.Rank],
			BOff: fb.view.Off, BShape: fb.view.Dims(), BStrides: fb.view.Strides[:fb.view.Rank], YPerm: ops.Ints(perm), Alpha: 1}
		if _, err := runtime.MatMulStridedShape(p); err != nil {
			return nil, nil, false
		}
	}
	attrs = append(attrs, ir.Ints("y_perm", perm...), ir.Float("alpha", alpha))
	return attrs, ins, true
}

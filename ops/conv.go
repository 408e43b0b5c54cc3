package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Convolutions: Conv, ConvTranspose, ConvInteger and QLinearConv, and the sliding-window
// attribute handling that the pooling ops share.

func init() {
	Register(&Def{
		Op: "Conv", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "N-D convolution with groups, strides, dilations, padding and bias",
		Infer: func(n *ir.Node) error { return inferConv(n, 0, 1, runtime.Undefined) },
		Lower: func(n *ir.Node) (Call, error) { return lowerConv(n, runtime.ActNone, 0, 0) },
	})
	Register(&Def{
		Op: "ConvInteger", MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc:   "convolution of 8-bit integers with zero points, accumulated in int32",
		Infer: func(n *ir.Node) error { return inferConv(n, 0, 1, runtime.Int32) },
		Lower: func(n *ir.Node) (Call, error) {
			p, err := lowerConvParams(n, 0, 1)
			return K(lowered.ConvInteger, p), err
		},
	})
	Register(&Def{
		Op: "QLinearConv", MinIn: 8, MaxIn: 9, MinOut: 1, MaxOut: 1,
		Doc: "quantized convolution: 8-bit operands with scales and zero points, requantized output",
		Infer: func(n *ir.Node) error {
			dt := InType(n, 0).DType
			if z := InType(n, 7); z.DType != runtime.Undefined {
				dt = z.DType
			}
			return inferConv(n, 0, 3, dt)
		},
		Lower: func(n *ir.Node) (Call, error) {
			p, err := lowerConvParams(n, 0, 3)
			return K(lowered.QLinearConv, p), err
		},
	})
	Register(&Def{
		Op: "ConvTranspose", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "transposed convolution (the gradient of Conv), with output_shape and output_padding",
		Infer: inferConvTranspose,
		Lower: lowerConvTranspose,
	})
}

// cvIsFloat reports whether dt is a float type, or not known yet.
func cvIsFloat(dt ir.DType) bool { return dt == runtime.Undefined || dt.IsFloat() }

// cvRank returns the rank shared by the data input and the weights, or -1 when neither is known.
func cvRank(n *ir.Node, xi, wi int) (int, error) {
	xt, wt := InType(n, xi), InType(n, wi)
	switch {
	case xt.RankKnown && wt.RankKnown && len(xt.Shape) != len(wt.Shape):
		return 0, Errorf(n, "input %v and weights %v differ in rank", xt, wt)
	case xt.RankKnown:
		return len(xt.Shape), nil
	case wt.RankKnown:
		return len(wt.Shape), nil
	}
	return -1, nil
}

// cvAttrInts reads an ints attribute that must have want entries when present.
func cvAttrInts(n *ir.Node, name string, want int) ([]int, error) {
	a, ok := n.Attr(name)
	if !ok {
		return nil, nil
	}
	v := Ints(n.GetInts(name, nil))
	if a.Kind != ir.AttrInts && a.Kind != ir.AttrInt {
		return nil, Errorf(n, "attribute %s is not a list of ints", name)
	}
	if want >= 0 && len(v) != want {
		return nil, Errorf(n, "attribute %s = %v has %d entries, want %d", name, v, len(v), want)
	}
	return v, nil
}

// cvWindowAttrs reads and checks the window attributes of a node with nsp spatial dims.
type cvWindow struct {
	kernel, strides, pads, dil []int
	autoPad                    string
}

func cvReadWindow(n *ir.Node, nsp int) (cvWindow, error) {
	var w cvWindow
	var err error
	if w.kernel, err = cvAttrInts(n, "kernel_shape", nsp); err != nil {
		return w, err
	}
	if w.strides, err = cvAttrInts(n, "strides", nsp); err != nil {
		return w, err
	}
	if w.dil, err = cvAttrInts(n, "dilations", nsp); err != nil {
		return w, err
	}
	if w.pads, err = cvAttrInts(n, "pads", 2*nsp); err != nil {
		return w, err
	}
	w.autoPad = n.GetString("auto_pad", "NOTSET")
	switch w.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return w, Errorf(n, "unknown auto_pad %q", w.autoPad)
	}
	for _, v := range [][]int{w.kernel, w.strides, w.dil} {
		for _, x := range v {
			if x < 1 {
				return w, Errorf(n, "kernel_shape, strides and dilations must be positive")
			}
		}
	}
	for _, x := range w.pads {
		if x < 0 {
			return w, Errorf(n, "pads %v must not be negative", w.pads)
		}
	}
	return w, nil
}

// at returns v[i], or def when v is empty.
func cvAt(v []int, i, def int) int {
	if len(v) == 0 {
		return def
	}
	return v[i]
}

// spatialOut computes output dim i of a window op from input dim in, or Unknown.
func (w *cvWindow) spatialOut(n *ir.Node, i, nsp int, in ir.Dim, kernel int, ceil bool) (ir.Dim, error) {
	if kernel < 1 {
		return ir.Unknown(), nil
	}
	if !in.IsStatic() {
		return w.symbolicOut(i, nsp, in, kernel, ceil), nil
	}
	out, _, _, err := runtime.WindowDim(int(in.N), kernel, cvAt(w.strides, i, 1), cvAt(w.dil, i, 1),
		cvAt(w.pads, i, 0), cvAt(w.pads, nsp+i, 0), w.autoPad, ceil)
	if err != nil {
		return ir.Dim{}, Errorf(n, "spatial dim %d: %v", i, err)
	}
	return ir.Static(int64(out)), nil
}

// resolve fills the defaults and, when every input spatial dim and the kernel are known,
// replaces auto_pad by the explicit pads it means.
func (w *cvWindow) resolve(in []ir.Dim, kernel []int, ceil bool) (strides, dil, pads []int, autoPad string) {
	nsp := len(in)
	strides, dil, pads = w.strides, w.dil, w.pads
	if len(strides) == 0 {
		strides = cvOnes(nsp)
	}
	if len(dil) == 0 {
		dil = cvOnes(nsp)
	}
	if len(pads) == 0 {
		pads = make([]int, 2*nsp)
	}
	autoPad = w.autoPad
	if autoPad == "NOTSET" || len(kernel) != nsp {
		return strides, dil, pads, autoPad
	}
	res := make([]int, 2*nsp)
	for i, d := range in {
		if !d.IsStatic() {
			return strides, dil, pads, autoPad
		}
		_, pb, pe, err := runtime.WindowDim(int(d.N), kernel[i], strides[i], dil[i], pads[i], pads[nsp+i], autoPad, ceil)
		if err != nil {
			return strides, dil, pads, autoPad // the kernel reports it when it runs
		}
		res[i], res[nsp+i] = pb, pe
	}
	return strides, dil, res, "NOTSET"
}

func cvOnes(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// cvKernel returns the kernel's spatial dims: the kernel_shape attribute, else the weights'
// static dims (entries < 1 where unknown).
func cvKernel(w *cvWindow, wt ir.Type, nsp int) []int {
	if len(w.kernel) > 0 {
		return w.kernel
	}
	k := make([]int, nsp)
	for i := range k {
		k[i] = -1
		if wt.RankKnown && len(wt.Shape) == nsp+2 && wt.Shape[2+i].IsStatic() {
			k[i] = int(wt.Shape[2+i].N)
		}
	}
	return k
}

func cvKnown(k []int) bool {
	for _, v := range k {
		if v < 1 {
			return false
		}
	}
	return true
}

// inferConv types the output of Conv-like ops with data input xi and weights wi; outDT Undefined
// means the output has the data input's type, which must be a float type.
func inferConv(n *ir.Node, xi, wi int, outDT ir.DType) error {
	xt, wt := InType(n, xi), InType(n, wi)
	dt := xt.DType
	if outDT != runtime.Undefined {
		dt = outDT
	} else {
		if !cvIsFloat(xt.DType) {
			return Errorf(n, "input type %s is not a float type", xt.DType)
		}
		if wt.DType != runtime.Undefined && xt.DType != runtime.Undefined && wt.DType != xt.DType {
			return Errorf(n, "weights type %s differs from input type %s", wt.DType, xt.DType)
		}
		if b := InType(n, 2); n.Input(2) != nil && b.DType != runtime.Undefined && b.DType != xt.DType {
			return Errorf(n, "bias type %s differs from input type %s", b.DType, xt.DType)
		}
	}
	rank, err := cvRank(n, xi, wi)
	if err != nil {
		return err
	}
	if rank < 0 {
		SetOut(n, 0, ir.Type{DType: dt})
		return nil
	}
	if rank < 3 {
		return Errorf(n, "rank %d input, want N x C x at least one spatial dim", rank)
	}
	nsp := rank - 2
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return err
	}
	group := n.GetInt("group", 1)
	if group < 1 {
		return Errorf(n, "group %d must be positive", group)
	}
	dims := make([]ir.Dim, rank)
	for i := range dims {
		dims[i] = ir.Unknown()
	}
	if xt.RankKnown {
		dims[0] = xt.Shape[0]
	}
	if wt.RankKnown {
		dims[1] = wt.Shape[0]
		if m := wt.Shape[0]; m.IsStatic() && m.N%group != 0 {
			return Errorf(n, "%d output channels do not split into %d groups", m.N, group)
		}
		if xt.RankKnown && xt.Shape[1].IsStatic() && wt.Shape[1].IsStatic() && wt.Shape[1].N*group != xt.Shape[1].N {
			return Errorf(n, "weights %v do not fit %d input channels in %d groups", wt, xt.Shape[1].N, group)
		}
		for i, k := range win.kernel {
			if d := wt.Shape[2+i]; d.IsStatic() && int(d.N) != k {
				return Errorf(n, "kernel_shape %v does not match weights %v", win.kernel, wt)
			}
		}
	}
	kernel := cvKernel(&win, wt, nsp)
	if xt.RankKnown {
		for i := 0; i < nsp; i++ {
			if dims[2+i], err = win.spatialOut(n, i, nsp, xt.Shape[2+i], kernel[i], false); err != nil {
				return err
			}
		}
	}
	SetOut(n, 0, ir.TensorType(dt, dims...))
	return nil
}

// lowerConvParams resolves the window attributes of a Conv-like node.
func lowerConvParams(n *ir.Node, xi, wi int) (*runtime.ConvParams, error) {
	p := &runtime.ConvParams{Group: int(n.GetInt("group", 1)), AutoPad: n.GetString("auto_pad", "NOTSET")}
	rank, err := cvRank(n, xi, wi)
	if err != nil {
		return nil, err
	}
	if rank < 3 {
		// Unknown rank: pass the attributes through; the kernel applies the defaults.
		p.KernelShape = Ints(n.GetInts("kernel_shape", nil))
		p.Strides = Ints(n.GetInts("strides", nil))
		p.Dilations = Ints(n.GetInts("dilations", nil))
		p.Pads = Ints(n.GetInts("pads", nil))
		return p, nil
	}
	nsp := rank - 2
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return nil, err
	}
	kernel := cvKernel(&win, InType(n, wi), nsp)
	if cvKnown(kernel) {
		p.KernelShape = kernel
	}
	in := make([]ir.Dim, nsp)
	xt := InType(n, xi)
	for i := range in {
		in[i] = ir.Unknown()
		if xt.RankKnown {
			in[i] = xt.Shape[2+i]
		}
	}
	p.Strides, p.Dilations, p.Pads, p.AutoPad = win.resolve(in, kernel, false)
	return p, nil
}

// lowerConv lowers Conv and FusedConv (with its activation act, alpha, beta). Float32 operands
// with static channels, kernel and spatial dims get the entry of the algorithm that suits them,
// the geometry resolved (runtime.ConvGeomParams): ConvDepthwise for one input channel per group,
// ConvDot for at most runtime.ConvDotMaxOut output positions, ConvBlocked (weights prepacked)
// for the other dense convolutions in one group of 1-D or 2-D windows with channels in multiples
// of 16, but 1x1 ones with unit strides and no padding, ConvDirect for 3x3 kernels with unit
// strides and dilations in one group, ConvPointwise for 1x1 kernels with unit strides and
// no padding, ConvGemm (im2col GEMM) for the rest. Anything else runs the
// general runtime.Conv, which decides when it runs.
func lowerConv(n *ir.Node, act runtime.Act, alpha, beta float32) (Call, error) {
	p, err := lowerConvParams(n, 0, 1)
	if err != nil {
		return Call{}, err
	}
	p.Activation, p.ActAlpha, p.ActBeta = act, alpha, beta
	if g := convGeom(n, p); g != nil {
		fn := lowered.ConvGemm
		pointwise, direct, outVol := true, len(g.In) == 2 && g.Group == 1, 1
		for i := range g.Kernel {
			outVol *= g.Out[i]
			direct = direct && g.Kernel[i] == 3 && g.Strides[i] == 1 && g.Dilations[i] == 1
			pointwise = pointwise && g.Kernel[i] == 1 && g.Strides[i] == 1 && g.Pads[i] == 0 && g.Pads[len(g.In)+i] == 0
		}
		switch {
		case g.Group == g.C && g.Group > 1:
			fn = lowered.ConvDepthwise
		case outVol <= runtime.ConvDotMaxOut:
			fn = lowered.ConvDot
		case !pointwise && n.Input(1).Const != nil && runtime.CvBlockedFits(g.C, g.M, g.Group, g.In):
			kv := 1
			for _, k := range g.Kernel {
				kv *= k
			}
			g.PackedW = true
			c := K(lowered.ConvBlocked, g)
			c.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackConvBlocked, Groups: 1, M: g.M, K: g.C, N: kv}}
			return c, nil
		case direct:
			fn = lowered.ConvDirect
		case pointwise:
			fn = lowered.ConvPointwise
		}
		if (fn == lowered.ConvGemm || fn == lowered.ConvPointwise) && n.Input(1).Const != nil {
			// The weights are the GEMM's A operand: pack them once, here.
			kk := g.C / g.Group
			for _, k := range g.Kernel {
				kk *= k
			}
			g.PackedW = true
			c := K(fn, g)
			c.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackGemmA, Groups: g.Group, M: g.M / g.Group, K: kk}}
			return c, nil
		}
		return K(fn, g), nil
	}
	return K(lowered.Conv, p), nil
}

// convGeom resolves a Conv's geometry when its operands are float32 and every dim but the batch
// is static (auto_pad then resolved by lowerConvParams), else returns nil.
func convGeom(n *ir.Node, p *runtime.ConvParams) *runtime.ConvGeomParams {
	xt, wt := InType(n, 0), InType(n, 1)
	for i := 0; i < len(n.Inputs); i++ {
		if n.Input(i) != nil && InType(n, i).DType != runtime.Float32 {
			return nil
		}
	}
	if !xt.RankKnown || !wt.RankKnown || len(xt.Shape) != len(wt.Shape) || len(xt.Shape) < 3 || len(xt.Shape) > 5 || p.AutoPad != "NOTSET" {
		return nil
	}
	ws, ok := wt.StaticShape()
	if !ok || !xt.Shape[1].IsStatic() {
		return nil
	}
	nsp := len(xt.Shape) - 2
	g := &runtime.ConvGeomParams{C: int(xt.Shape[1].N), M: ws[0], Group: max(p.Group, 1), Kernel: ws[2:],
		Strides: p.Strides, Dilations: p.Dilations, Pads: p.Pads,
		Activation: p.Activation, ActAlpha: p.ActAlpha, ActBeta: p.ActBeta}
	if ws[1]*g.Group != g.C || g.M%g.Group != 0 || len(p.Strides) != nsp || len(p.Dilations) != nsp || len(p.Pads) != 2*nsp {
		return nil
	}
	for i := 0; i < nsp; i++ {
		d := xt.Shape[2+i]
		if !d.IsStatic() {
			return nil
		}
		out, _, _, err := runtime.WindowDim(int(d.N), ws[2+i], p.Strides[i], p.Dilations[i], p.Pads[i], p.Pads[nsp+i], "NOTSET", false)
		if err != nil || out < 1 {
			return nil // the general kernel reports it when it runs
		}
		g.In, g.Out = append(g.In, int(d.N)), append(g.Out, out)
	}
	return g
}

func inferConvTranspose(n *ir.Node) error {
	xt, wt := InType(n, 0), InType(n, 1)
	if !cvIsFloat(xt.DType) {
		return Errorf(n, "input type %s is not a float type", xt.DType)
	}
	if wt.DType != runtime.Undefined && xt.DType != runtime.Undefined && wt.DType != xt.DType {
		return Errorf(n, "weights type %s differs from input type %s", wt.DType, xt.DType)
	}
	rank, err := cvRank(n, 0, 1)
	if err != nil {
		return err
	}
	if rank < 0 {
		SetOut(n, 0, ir.Type{DType: xt.DType})
		return nil
	}
	if rank < 3 {
		return Errorf(n, "rank %d input, want N x C x at least one spatial dim", rank)
	}
	nsp := rank - 2
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return err
	}
	outPad, err := cvAttrInts(n, "output_padding", nsp)
	if err != nil {
		return err
	}
	outShape := Ints(n.GetInts("output_shape", nil))
	if len(outShape) == rank {
		outShape = outShape[2:]
	}
	if len(outShape) != 0 && len(outShape) != nsp {
		return Errorf(n, "output_shape %v does not match %d spatial dims", outShape, nsp)
	}
	group := n.GetInt("group", 1)
	if group < 1 {
		return Errorf(n, "group %d must be positive", group)
	}
	dims := make([]ir.Dim, rank)
	for i := range dims {
		dims[i] = ir.Unknown()
	}
	if xt.RankKnown {
		dims[0] = xt.Shape[0]
	}
	if wt.RankKnown {
		if m := wt.Shape[1]; m.IsStatic() {
			dims[1] = ir.Static(m.N * group)
		}
		if xt.RankKnown && xt.Shape[1].IsStatic() && wt.Shape[0].IsStatic() && (wt.Shape[0].N != xt.Shape[1].N || xt.Shape[1].N%group != 0) {
			return Errorf(n, "weights %v do not fit %d input channels in %d groups", wt, xt.Shape[1].N, group)
		}
	}
	kernel := cvKernel(&win, wt, nsp)
	for i := 0; i < nsp; i++ {
		if len(outShape) > 0 {
			dims[2+i] = ir.Static(int64(outShape[i]))
			continue
		}
		if !xt.RankKnown || !xt.Shape[2+i].IsStatic() || kernel[i] < 1 {
			continue
		}
		out, _, _, err := ctDim(&win, i, nsp, int(xt.Shape[2+i].N), kernel[i], outPad, outShape)
		if err != nil {
			return Errorf(n, "spatial dim %d: %v", i, err)
		}
		dims[2+i] = ir.Static(int64(out))
	}
	SetOut(n, 0, ir.TensorType(xt.DType, dims...))
	return nil
}

// ctDim is runtime.ConvTransposeDim for spatial dim i of a node's attributes.
func ctDim(w *cvWindow, i, nsp, in, kernel int, outPad, outShape []int) (out, pb, pe int, err error) {
	want := -1
	if len(outShape) > 0 {
		want = outShape[i]
	}
	return runtime.ConvTransposeDim(in, kernel, cvAt(w.strides, i, 1), cvAt(w.dil, i, 1), cvAt(outPad, i, 0),
		cvAt(w.pads, i, 0), cvAt(w.pads, nsp+i, 0), len(w.pads) > 0, want, w.autoPad)
}

func lowerConvTranspose(n *ir.Node) (Call, error) {
	p := &runtime.ConvTransposeParams{
		Group:         int(n.GetInt("group", 1)),
		AutoPad:       n.GetString("auto_pad", "NOTSET"),
		KernelShape:   Ints(n.GetInts("kernel_shape", nil)),
		Strides:       Ints(n.GetInts("strides", nil)),
		Dilations:     Ints(n.GetInts("dilations", nil)),
		Pads:          Ints(n.GetInts("pads", nil)),
		OutputPadding: Ints(n.GetInts("output_padding", nil)),
		OutputShape:   Ints(n.GetInts("output_shape", nil)),
	}
	rank, err := cvRank(n, 0, 1)
	if err != nil || rank < 3 {
		return K(lowered.ConvTranspose, p), err
	}
	nsp := rank - 2
	win, err := cvReadWindow(n, nsp)
	if err != nil {
		return Call{}, err
	}
	kernel := cvKernel(&win, InType(n, 1), nsp)
	xt := InType(n, 0)
	if !cvKnown(kernel) || !xt.RankKnown {
		return K(lowered.ConvTranspose, p), nil
	}
	outShape := p.OutputShape
	if len(outShape) == rank {
		outShape = outShape[2:]
	}
	// With static spatial dims, the output size and padding are fixed now: pass explicit pads.
	pads := make([]int, 2*nsp)
	for i := 0; i < nsp; i++ {
		d := xt.Shape[2+i]
		if !d.IsStatic() {
			return K(lowered.ConvTranspose, p), nil
		}
		out, pb, _, err := ctDim(&win, i, nsp, int(d.N), kernel[i], p.OutputPadding, outShape)
		if err != nil {
			return Call{}, Errorf(n, "spatial dim %d: %v", i, err)
		}
		// The end padding that gives exactly this output size.
		full := cvAt(p.Strides, i, 1)*(int(d.N)-1) + cvAt(p.OutputPadding, i, 0) + (kernel[i]-1)*cvAt(p.Dilations, i, 1) + 1
		pads[i], pads[nsp+i] = pb, full-out-pb
	}
	p.KernelShape, p.Pads, p.AutoPad, p.OutputShape = kernel, pads, "NOTSET", nil
	if len(p.Strides) == 0 {
		p.Strides = cvOnes(nsp)
	}
	if len(p.Dilations) == 0 {
		p.Dilations = cvOnes(nsp)
	}
	return K(lowered.ConvTranspose, p), nil
}

package runtime

import "fmt"

// Convolutions whose algorithm the compiler chose from static shapes: ConvDepthwise,
// ConvPointwise and ConvGemm take the geometry resolved (ConvGeomParams) and run one algorithm,
// with no choice made per call. Conv (k_conv.go) is the general kernel for the rest: other
// types, shapes not known when compiling.

// ConvGeomParams configures ConvDepthwise, ConvPointwise and ConvGemm: float32 operands with the
// geometry fixed at compile time. C and M are the input and output channels and Group the
// groups; In, Kernel, Strides, Dilations and Out have one entry per spatial dim (input size,
// kernel size, ..., output size), Pads all begins then all ends, auto_pad already resolved. Only
// the batch size comes from the input at run time. Activation (with ActAlpha and ActBeta, see
// Act) is applied after adding the optional fourth input Z.
type ConvGeomParams struct {
	C, M, Group                         int
	In, Kernel, Strides, Dilations, Out []int
	Pads                                []int
	Activation                          Act
	ActAlpha, ActBeta                   float32
	// PackedW says the weights' prepacked form (PackGemmA, Group matrices of M/Group x
	// C/Group*kernel volume) is the last input (ConvPointwise and ConvGemm).
	PackedW bool
	// XLayout, YLayout and ZLayout, when On, say that the input, the output and the summand Z
	// are stored in the blocked layout (BlkLayout) rather than NCHW: ConvBlocked and
	// ConvWinograd only, set by the compiler on chains of blocked convolutions.
	XLayout, YLayout, ZLayout BlkLayout
}

// cvStatic checks the operands against p and returns the resolved convolution, the output
// (resized), bias and summand Z (nil when absent) and the activation.
func cvStatic(p *ConvGeomParams, out, in []*Tensor) (cd cvConv, y, bias, z []float32, act activation, err error) {
	X, W := in[0], in[1]
	nsp := len(p.In)
	if nsp < 1 || nsp > cvMaxSpatial || len(p.Kernel) != nsp || len(p.Strides) != nsp || len(p.Dilations) != nsp || len(p.Out) != nsp || len(p.Pads) != 2*nsp || p.Group < 1 {
		return cd, nil, nil, nil, act, fmt.Errorf("conv parameters %+v are not resolved", *p)
	}
	if X.DType != Float32 || W.DType != Float32 || len(X.Shape) != nsp+2 || X.Shape[1] != p.C || !ctEqualInts(X.Shape[2:], p.In) {
		return cd, nil, nil, nil, act, fmt.Errorf("input %s%v, want float32 [N %d %v]", X.DType, X.Shape, p.C, p.In)
	}
	if len(W.Shape) != nsp+2 || W.Shape[0] != p.M || W.Shape[1]*p.Group != p.C || !ctEqualInts(W.Shape[2:], p.Kernel) {
		return cd, nil, nil, nil, act, fmt.Errorf("weights %s%v, want float32 [%d %d %v]", W.DType, W.Shape, p.M, p.C/p.Group, p.Kernel)
	}
	if len(in) > 2 && in[2] != nil {
		if B := in[2]; B.DType != Float32 || B.Len() != p.M {
			return cd, nil, nil, nil, act, fmt.Errorf("bias %s%v, want %d float32s", B.DType, B.Shape, p.M)
		}
		bias = Data[float32](in[2])
	}
	if act, err = newActivation(p.Activation, p.ActAlpha, p.ActBeta); err != nil {
		return cd, nil, nil, nil, act, err
	}
	w := &cd.w
	w.nsp = nsp
	for i := 0; i < cvMaxSpatial; i++ {
		w.in[i], w.k[i], w.s[i], w.d[i], w.out[i] = 1, 1, 1, 1, 1
	}
	off := cvMaxSpatial - nsp
	for i := 0; i < nsp; i++ {
		w.in[off+i], w.k[off+i], w.s[off+i], w.d[off+i] = p.In[i], p.Kernel[i], p.Strides[i], p.Dilations[i]
		w.pb[off+i], w.pe[off+i], w.out[off+i] = p.Pads[i], p.Pads[nsp+i], p.Out[i]
	}
	cd.n, cd.c, cd.m, cd.g = X.Shape[0], p.C, p.M, p.Group
	Y := out[0]
	ys := w.outShape(cd.n, cd.m)
	Y.Resize(Float32, ys[:nsp+2]...)
	if len(in) > 3 && in[3] != nil {
		if Z := in[3]; Z.DType != Float32 || !ctEqualInts(Z.Shape, Y.Shape) {
			return cd, nil, nil, nil, act, fmt.Errorf("Z %s%v, want float32 of the output's shape %v", Z.DType, Z.Shape, Y.Shape)
		}
		z = Data[float32](in[3])
	}
	return cd, Data[float32](Y), bias, z, act, nil
}

// ConvDepthwise is a float32 convolution with one input channel per group (Group == C > 1, any
// channel multiplier M/C): the direct kernel of k_conv_dw.go, bias and activation applied as
// each output row is stored.
func ConvDepthwise(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	return cvStaticRun(x, cvAlgDepthwise, p, out, in)
}

// ConvPointwise is a float32 convolution with a 1x1 kernel, unit strides and no padding: per
// image and group a plain matrix product of the weights and the input.
func ConvPointwise(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	return cvStaticRun(x, cvAlgPointwise, p, out, in)
}

// ConvGemm is a float32 convolution on the GEMM over the input's implicit im2col matrix: the
// general algorithm, used for everything but depthwise and pointwise convolutions (also for one
// input channel, as in an STFT as a Conv, whose rows of weights share the im2col matrix).
func ConvGemm(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	return cvStaticRun(x, cvAlgGemm, p, out, in)
}

func cvStaticRun(x *Exec, alg int, p *ConvGeomParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	if p.XLayout.On || p.YLayout.On || p.ZLayout.On {
		return fmt.Errorf("conv parameters %+v: only ConvBlocked and ConvWinograd read and write the blocked layout", *p)
	}
	var packed *Tensor
	if p.PackedW {
		packed, in = in[len(in)-1], in[:len(in)-1]
	}
	cd, y, bias, z, act, err := cvStatic(p, out, in)
	if err != nil {
		return err
	}
	if packed != nil {
		kk := p.C / p.Group
		for _, k := range p.Kernel {
			kk *= k
		}
		if alg != cvAlgGemm && alg != cvAlgPointwise || packed.DType != Float32 || packed.Len() != PackedGemmALen(p.Group, p.M/p.Group, kk) {
			return fmt.Errorf("prepacked weights (%d values) do not fit this convolution", packed.Len())
		}
		cd.packedW = Data[float32](packed)
	}
	if !cvAlgFits(alg, &cd.w, cd.c, cd.g) {
		return fmt.Errorf("conv parameters %+v do not suit this algorithm", *p)
	}
	if len(y) == 0 {
		return nil
	}
	cd.run32(x, alg, Data[float32](in[0]), Data[float32](in[1]), bias, y, z, &act)
	return nil
}

package runtime

import (
	"fmt"
	"math"
	"slices"
)

// The optimizers of the ai.onnx.preview.training domain: one update step of Adagrad, Momentum
// or Adam over N tensors at once. Inputs are R (learning rate), T (update count), then N
// tensors X, N gradients G and the optimizer's N (Adagrad, Momentum) or 2N (Adam) state
// tensors; outputs are the N updated X followed by the updated states.

// Optimizer kinds.
const (
	OptAdagrad = iota
	OptMomentum
	OptAdam
)

// OptimizerParams holds an optimizer node's attributes.
type OptimizerParams struct {
	Kind int
	// N is the number of tensors optimized.
	N                    int
	Alpha, Beta, Epsilon float64
	DecayFactor          float64 // Adagrad
	NormCoefficient      float64 // weight of the L2 regularization added to the gradient
	NormCoefficientPost  float64 // Adam: X is scaled by 1 - this after the step
	Nesterov             bool    // Momentum
}

// states is the number of state tensors per optimized tensor.
func (p *OptimizerParams) states() int {
	if p.Kind == OptAdam {
		return 2
	}
	return 1
}

// Optimizer runs one update step.
func Optimizer(_ *Exec, p *OptimizerParams, out, in []*Tensor) error {
	n, s := p.N, p.states()
	if len(in) != 2+(2+s)*n || len(out) != (1+s)*n {
		return fmt.Errorf("%d inputs and %d outputs for %d tensors", len(in), len(out), n)
	}
	r, err := msScalarFloat(in[0])
	if err != nil {
		return fmt.Errorf("learning rate R: %w", err)
	}
	t, err := msScalarInt(in[1])
	if err != nil {
		return fmt.Errorf("update count T: %w", err)
	}
	for i := 0; i < n; i++ {
		ops := []*Tensor{in[2+i], in[2+n+i]}
		for k := 0; k < s; k++ {
			ops = append(ops, in[2+(2+k)*n+i])
		}
		X := ops[0]
		for _, o := range ops[1:] {
			if o.DType != X.DType || !slices.Equal(o.Shape, X.Shape) {
				return fmt.Errorf("tensor %d: %s%v and %s%v differ", i, X.DType, X.Shape, o.DType, o.Shape)
			}
		}
		res := make([]*Tensor, 1+s)
		res[0] = out[i]
		for k := 0; k < s; k++ {
			res[1+k] = out[(1+k)*n+i]
		}
		for _, o := range res {
			o.Resize(X.DType, X.Shape...)
		}
		switch X.DType {
		case Float32:
			optStep[float32](p, r, t, res, ops)
		case Float64:
			optStep[float64](p, r, t, res, ops)
		default:
			return fmt.Errorf("tensor %d: %s is not a supported type", i, X.DType)
		}
	}
	return nil
}

// optStep updates one tensor: ops are X, G and the states; res the new X and the new states.
// The arithmetic is in float64, as the reference computes it on Python scalars.
func optStep[T float32 | float64](p *OptimizerParams, r float64, t int64, res, ops []*Tensor) {
	x, g := Data[T](ops[0]), Data[T](ops[1])
	xNew := Data[T](res[0])
	switch p.Kind {
	case OptAdagrad:
		h, hNew := Data[T](ops[2]), Data[T](res[1])
		rate := r / (1 + float64(t)*p.DecayFactor)
		for i := range x {
			gr := p.NormCoefficient*float64(x[i]) + float64(g[i])
			hn := float64(h[i]) + gr*gr
			hNew[i] = T(hn)
			xNew[i] = T(float64(x[i]) - rate*gr/(math.Sqrt(hn)+p.Epsilon))
		}
	case OptMomentum:
		v, vNew := Data[T](ops[2]), Data[T](res[1])
		beta := p.Beta
		if t <= 0 {
			beta = 1
		}
		for i := range x {
			gr := p.NormCoefficient*float64(x[i]) + float64(g[i])
			vn := p.Alpha*float64(v[i]) + beta*gr
			vNew[i] = T(vn)
			if p.Nesterov {
				xNew[i] = T(float64(x[i]) - r*(gr+p.Alpha*vn))
			} else {
				xNew[i] = T(float64(x[i]) - r*vn)
			}
		}
	case OptAdam:
		v, h := Data[T](ops[2]), Data[T](ops[3])
		vNew, hNew := Data[T](res[1]), Data[T](res[2])
		rate := r
		if t > 0 {
			// Bias correction of both moments.
			rate = r * math.Sqrt(1-math.Pow(p.Beta, float64(t))) / (1 - math.Pow(p.Alpha, float64(t)))
		}
		for i := range x {
			gr := p.NormCoefficient*float64(x[i]) + float64(g[i])
			vn := p.Alpha*float64(v[i]) + (1-p.Alpha)*gr
			hn := p.Beta*float64(h[i]) + (1-p.Beta)*gr*gr
			vNew[i], hNew[i] = T(vn), T(hn)
			xn := float64(x[i]) - rate*vn/(math.Sqrt(hn)+p.Epsilon)
			xNew[i] = T((1 - p.NormCoefficientPost) * xn)
		}
	}
}

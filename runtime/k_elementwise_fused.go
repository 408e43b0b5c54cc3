package runtime

import (
	"fmt"
	"math"
)

// Fused elementwise chains. The fusion pass merges a connected group of float32 elementwise
// nodes (GELU's Div-Erf-Add-Mul-Mul, x*sigmoid(x), residual adds with activations) into one
// node whose parameters are a small program of scalar steps. This file is that program's
// scalar-expression table, EwOp with EwEval: the one definition of what each step computes.
// Constant folding and the reference interpreter run it through Elementwise below; the Go
// backend emits the loop itself, spelling each op as EwEval computes it (codegen/go checks
// its spellings against EwEval), and the CUDA backend will do the same in PTX.

// EwOp is one scalar operation of a fused elementwise program.
type EwOp uint8

const (
	EwConst EwOp = iota // Alpha
	EwAdd
	EwSub
	EwMul
	EwDiv
	EwNeg
	EwAbs
	EwExp
	EwLog
	EwSqrt
	EwReciprocal
	EwRelu
	EwSigmoid
	EwTanh
	EwErf
	EwHardSigmoid // Alpha, Beta
	EwHardSwish
	EwLeakyRelu // Alpha
	EwSoftplus
	EwOpCount
)

// EwArity is the number of operands each op takes.
var EwArity = [EwOpCount]int{
	EwConst: 0, EwAdd: 2, EwSub: 2, EwMul: 2, EwDiv: 2,
	EwNeg: 1, EwAbs: 1, EwExp: 1, EwLog: 1, EwSqrt: 1, EwReciprocal: 1, EwRelu: 1, EwSigmoid: 1,
	EwTanh: 1, EwErf: 1, EwHardSigmoid: 1, EwHardSwish: 1, EwLeakyRelu: 1, EwSoftplus: 1,
}

// EwEval computes one step in float64 on float32 operands; the caller rounds the result to
// float32. For every op but Exp, Sigmoid, Tanh and Erf that is exactly what the single-op Unary
// and Binary kernels give (a float32 +, -, * or / computed in float64 and rounded once is the
// float32 operation); those four kernels use vecmath.go's float32 approximations, within 2 ulp.
func EwEval(op EwOp, x, y, alpha, beta float64) float64 {
	switch op {
	case EwConst:
		return alpha
	case EwAdd:
		return x + y
	case EwSub:
		return x - y
	case EwMul:
		return x * y
	case EwDiv:
		return x / y
	case EwNeg:
		return -x
	case EwAbs:
		return math.Abs(x)
	case EwExp:
		return math.Exp(x)
	case EwLog:
		return math.Log(x)
	case EwSqrt:
		return math.Sqrt(x)
	case EwReciprocal:
		return 1 / x
	case EwRelu:
		if x < 0 {
			return 0
		}
		return x
	case EwSigmoid:
		return scSigmoid(x)
	case EwTanh:
		return math.Tanh(x)
	case EwErf:
		return math.Erf(x)
	case EwHardSigmoid:
		return scHardSigmoid(x, alpha, beta)
	case EwHardSwish:
		return x * scHardSigmoid(x, 1.0/6, 0.5)
	case EwLeakyRelu:
		if x < 0 {
			return alpha * x
		}
		return x
	case EwSoftplus:
		return scSoftplus(x)
	}
	return math.NaN()
}

// Scalar helpers that generated elementwise loops call, so that they compute exactly what the
// kernels do.

// EwSigmoidOf is EwEval(EwSigmoid, x, ...).
func EwSigmoidOf(x float64) float64 { return scSigmoid(x) }

// EwHardSigmoidOf is EwEval(EwHardSigmoid, x, 0, alpha, beta).
func EwHardSigmoidOf(x, alpha, beta float64) float64 { return scHardSigmoid(x, alpha, beta) }

// EwSoftplusOf is EwEval(EwSoftplus, x, ...).
func EwSoftplusOf(x float64) float64 { return scSoftplus(x) }

// EwStep is one step of a program: Op applied to operands A and B, which name the kernel's
// inputs (0 to inputs-1) or earlier steps (inputs + k). The last step is the result.
type EwStep struct {
	Op          EwOp
	A, B        int
	Alpha, Beta float64
}

// ElementwiseParams configures Elementwise: a float32 program over inputs that each have the
// output's shape, one element, or (Channel) one element per index of the output's dim Axis,
// broadcast over the others (a per-channel scale or bias).
type ElementwiseParams struct {
	Steps []EwStep
	// ShapeFrom is the input whose shape the output has.
	ShapeFrom int
	// Channel marks the per-channel inputs (nil: none); Axis is their dim of the output.
	Channel []bool
	Axis    int
}

// Elementwise is the reference kernel of a fused elementwise program (constant folding and the
// interpreter; generated code runs its own loop).
func Elementwise(x *Exec, p *ElementwiseParams, out, in []*Tensor) error {
	if len(p.Steps) == 0 {
		return fmt.Errorf("elementwise program has no steps")
	}
	if p.ShapeFrom < 0 || p.ShapeFrom >= len(in) {
		return fmt.Errorf("elementwise program takes its shape from input %d of %d", p.ShapeFrom, len(in))
	}
	shapeOf := in[p.ShapeFrom]
	for _, t := range in {
		if t.DType != Float32 {
			return fmt.Errorf("elementwise program on %s, want float32", t.DType)
		}
	}
	n := shapeOf.Len()
	inner, chans := 1, 1
	if p.Channel != nil {
		if len(p.Channel) != len(in) || p.Axis < 0 || p.Axis >= len(shapeOf.Shape) {
			return fmt.Errorf("elementwise program: per-channel inputs %v along axis %d of %v", p.Channel, p.Axis, shapeOf.Shape)
		}
		chans = shapeOf.Shape[p.Axis]
		for _, d := range shapeOf.Shape[p.Axis+1:] {
			inner *= d
		}
	}
	for i, t := range in {
		switch {
		case p.Channel != nil && p.Channel[i]:
			if t.Len() != chans {
				return fmt.Errorf("elementwise input %d has %d elements, want one per channel (%d)", i, t.Len(), chans)
			}
		case t.Len() != 1 && t.Len() != n:
			return fmt.Errorf("elementwise input %d has %d elements, want %d or 1", i, t.Len(), n)
		}
	}
	for k, s := range p.Steps {
		if s.Op >= EwOpCount || (EwArity[s.Op] > 0 && (s.A < 0 || s.A >= len(in)+k)) || (EwArity[s.Op] > 1 && (s.B < 0 || s.B >= len(in)+k)) {
			return fmt.Errorf("elementwise step %d is malformed", k)
		}
	}
	out[0].Resize(Float32, shapeOf.Shape...)
	d := Data[float32](out[0])
	vals := make([]float32, len(in)+len(p.Steps))
	for i := 0; i < n; i++ {
		for k, t := range in {
			s := Data[float32](t)
			switch {
			case p.Channel != nil && p.Channel[k]:
				vals[k] = s[i/inner%chans]
			default:
				vals[k] = s[min(i, len(s)-1)]
			}
		}
		for k, s := range p.Steps {
			var a, b float64
			if EwArity[s.Op] > 0 {
				a = float64(vals[s.A])
			}
			if EwArity[s.Op] > 1 {
				b = float64(vals[s.B])
			}
			vals[len(in)+k] = float32(EwEval(s.Op, a, b, s.Alpha, s.Beta))
		}
		d[i] = vals[len(vals)-1]
	}
	return nil
}

// RangeJob is a loop body that generated code hands to ParallelRange: Run does [lo, hi).
type RangeJob interface{ Run(lo, hi int) }

// ParallelRange runs job over [0, n) on x's pool when the work (n times cost) pays for it, and
// on the caller's goroutine without allocating otherwise.
func ParallelRange[J RangeJob](x *Exec, n, cost int, job J) {
	parFor(x.Pool, n, cost, rangeJob[J]{job})
}

type rangeJob[J RangeJob] struct{ j J }

func (r rangeJob[J]) run(lo, hi int) { r.j.Run(lo, hi) }

// EwReluOf is EwEval(EwRelu, ...) in float32 (a NaN stays NaN, -0 stays -0).
func EwReluOf(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}

// EwLeakyReluOf is EwEval(EwLeakyRelu, x, 0, alpha, 0) rounded to float32.
func EwLeakyReluOf(v float32, alpha float64) float32 {
	if v < 0 {
		return float32(alpha * float64(v))
	}
	return v
}

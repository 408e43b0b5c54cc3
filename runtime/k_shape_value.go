package runtime

import "fmt"

// Shape values computed from symbolic dims. A model compiled without pinned shapes computes
// its Reshape targets and the like from the input's dims; the compiler turns each such integer
// vector into one ShapeValue kernel whose elements are expressions of the inputs' dims, written
// as postfix programs, so that run time evaluates a few integer operations per element instead
// of running the Shape -> Gather -> Unsqueeze -> Concat chain the model spells them with.

// DimOp is one step of a dim program.
type DimOp uint8

const (
	DimConst    DimOp = iota // push N
	DimOf                    // push in[In].Shape[Axis]
	DimAdd                   // pop b, a; push a+b
	DimSub                   // pop b, a; push a-b
	DimMul                   // pop b, a; push a*b
	DimFloorDiv              // pop b, a; push floor(a/b)
	DimEnd                   // pop the element's value; the stack must be empty after it
	DimOpCount
)

var dimOpNames = [DimOpCount]string{"DimConst", "DimOf", "DimAdd", "DimSub", "DimMul", "DimFloorDiv", "DimEnd"}

// GoName is the name of o's constant in package runtime, for generated code.
func (o DimOp) GoName() string {
	if o < DimOpCount {
		return dimOpNames[o]
	}
	return ""
}

// DimStep is one step; N is DimConst's value, In and Axis say which dim DimOf reads.
type DimStep struct {
	Op       DimOp
	N        int64
	In, Axis int
}

// ShapeValueParams configures ShapeValue: the output's element type, whether it is a scalar,
// and its elements' programs one after another, each ending in DimEnd.
type ShapeValueParams struct {
	DType  DType
	Scalar bool
	Steps  []DimStep
}

// dimStackDepth bounds a program's stack; the compiler's expressions nest a few levels.
const dimStackDepth = 16

// ShapeValue writes the integer vector (or scalar) whose elements p's programs compute from
// the input tensors' dims.
func ShapeValue(x *Exec, p *ShapeValueParams, out, in []*Tensor) error {
	n := 0
	for _, s := range p.Steps {
		if s.Op == DimEnd {
			n++
		}
	}
	switch {
	case p.DType != Int64 && p.DType != Int32:
		return fmt.Errorf("shape value of type %s", p.DType)
	case p.Scalar && n != 1:
		return fmt.Errorf("scalar shape value with %d elements", n)
	}
	if p.Scalar {
		out[0].Resize(p.DType)
	} else {
		out[0].Resize(p.DType, n)
	}
	var stack [dimStackDepth]int64
	sp, k := 0, 0
	for _, s := range p.Steps {
		switch {
		case s.Op <= DimOf:
			if sp == dimStackDepth {
				return fmt.Errorf("dim program nests deeper than %d", dimStackDepth)
			}
			v := s.N
			if s.Op == DimOf {
				if s.In < 0 || s.In >= len(in) || in[s.In] == nil || s.Axis < 0 || s.Axis >= len(in[s.In].Shape) {
					return fmt.Errorf("dim program reads dim %d of input %d, which it lacks", s.Axis, s.In)
				}
				v = int64(in[s.In].Shape[s.Axis])
			}
			stack[sp] = v
			sp++
		case s.Op == DimEnd:
			if sp != 1 {
				return fmt.Errorf("malformed dim program: %d values at the end of element %d", sp, k)
			}
			sp = 0
			if p.DType == Int64 {
				Data[int64](out[0])[k] = stack[0]
			} else {
				Data[int32](out[0])[k] = int32(stack[0])
			}
			k++
		case s.Op < DimEnd:
			if sp < 2 {
				return fmt.Errorf("malformed dim program: %s with %d values", s.Op.GoName(), sp)
			}
			a, b := stack[sp-2], stack[sp-1]
			sp--
			switch s.Op {
			case DimAdd:
				a += b
			case DimSub:
				a -= b
			case DimMul:
				a *= b
			case DimFloorDiv:
				if b == 0 {
					return fmt.Errorf("dim program divides by zero")
				}
				q := a / b
				if (a%b != 0) && ((a < 0) != (b < 0)) {
					q--
				}
				a = q
			}
			stack[sp-1] = a
		default:
			return fmt.Errorf("unknown dim op %d", s.Op)
		}
	}
	if sp != 0 {
		return fmt.Errorf("malformed dim program: it does not end in DimEnd")
	}
	return nil
}

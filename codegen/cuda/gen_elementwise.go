package cuda

import (
	"fmt"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Elementwise kernels: the fused chains (lowered.Elementwise, a program of runtime.EwOp steps)
// and the single-op Unary and Binary entries on float32, one thread per output element, each
// input read through its index map (full, scalar, per-channel or numpy-broadcast). Every step
// is rounded to float32 as runtime.EwEval's caller rounds it; +, -, *, / and sqrt are the
// IEEE operations (the .rn forms, which ptxas does not contract into FMAs), exp, log, sigmoid,
// tanh and erf are built on the hardware's ex2/lg2 approximations and are within a few float32
// ulp (erf: 1.5e-7 absolute) of EwEval, which the GPU tests' rtol 1e-3 covers.

func init() {
	register(lowered.Elementwise, genElementwise)
	register(lowered.Unary, genUnary)
	register(lowered.Binary, genBinary)
}

// Ops beyond the fused programs' table that the Binary entry needs.
const (
	ewMax runtime.EwOp = runtime.EwOpCount + iota
	ewMin
	ewPRelu
)

const (
	log2e = 1.4426950408889634
	ln2   = 0.6931471805599453
)

type ewSpelling func(f *ptxFunc, s runtime.EwStep, a, b string) string

func f32Op(instr string) ewSpelling {
	return func(f *ptxFunc, _ runtime.EwStep, a, b string) string {
		r := f.reg(rF32)
		if b == "" {
			f.op("%s %s, %s", instr, r, a)
		} else {
			f.op("%s %s, %s, %s", instr, r, a, b)
		}
		return r
	}
}

func ptxExp(f *ptxFunc, x string) string {
	t, r := f.reg(rF32), f.reg(rF32)
	f.op("mul.rn.f32 %s, %s, %s", t, x, f32(log2e))
	f.op("ex2.approx.f32 %s, %s", r, t)
	return r
}

func ptxLog(f *ptxFunc, x string) string {
	t, r := f.reg(rF32), f.reg(rF32)
	f.op("lg2.approx.f32 %s, %s", t, x)
	f.op("mul.rn.f32 %s, %s, %s", r, t, f32(ln2))
	return r
}

func ptxHardSigmoid(f *ptxFunc, x string, alpha, beta float64) string {
	t, u, lo, r := f.reg(rF32), f.reg(rF32), f.reg(rF32), f.reg(rF32)
	f.op("mul.rn.f32 %s, %s, %s", t, x, f32(alpha))
	f.op("add.rn.f32 %s, %s, %s", u, t, f32(beta))
	f.op("max.f32 %s, %s, 0f00000000", lo, u)
	f.op("min.f32 %s, %s, 0f3F800000", r, lo)
	return r
}

// ptxSelectNeg is x < 0 ? neg : x.
func ptxSelectNeg(f *ptxFunc, x, neg string) string {
	p, r := f.reg(rPred), f.reg(rF32)
	f.op("setp.lt.f32 %s, %s, 0f00000000", p, x)
	f.op("selp.f32 %s, %s, %s, %s", r, neg, x, p)
	return r
}

var ewPTX = map[runtime.EwOp]ewSpelling{
	runtime.EwConst: func(f *ptxFunc, s runtime.EwStep, _, _ string) string {
		r := f.reg(rF32)
		f.op("mov.f32 %s, %s", r, f32(s.Alpha))
		return r
	},
	runtime.EwAdd:        f32Op("add.rn.f32"),
	runtime.EwSub:        f32Op("sub.rn.f32"),
	runtime.EwMul:        f32Op("mul.rn.f32"),
	runtime.EwDiv:        f32Op("div.rn.f32"),
	runtime.EwNeg:        f32Op("neg.f32"),
	runtime.EwAbs:        f32Op("abs.f32"),
	runtime.EwSqrt:       f32Op("sqrt.rn.f32"),
	runtime.EwReciprocal: f32Op("rcp.rn.f32"),
	runtime.EwExp:        func(f *ptxFunc, _ runtime.EwStep, a, _ string) string { return ptxExp(f, a) },
	runtime.EwLog:        func(f *ptxFunc, _ runtime.EwStep, a, _ string) string { return ptxLog(f, a) },
	runtime.EwRelu: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		return ptxSelectNeg(f, a, "0f00000000")
	},
	runtime.EwLeakyRelu: func(f *ptxFunc, s runtime.EwStep, a, _ string) string {
		t := f.reg(rF32)
		f.op("mul.rn.f32 %s, %s, %s", t, a, f32(s.Alpha))
		return ptxSelectNeg(f, a, t)
	},
	// 1/(1+e^-x): e^-x overflows to +Inf for very negative x, and 1/Inf is the 0 wanted.
	runtime.EwSigmoid: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		n, d, r := f.reg(rF32), f.reg(rF32), f.reg(rF32)
		f.op("neg.f32 %s, %s", n, a)
		e := ptxExp(f, n)
		f.op("add.rn.f32 %s, %s, 0f3F800000", d, e)
		f.op("rcp.rn.f32 %s, %s", r, d)
		return r
	},
	// 1 - 2/(e^2x+1), which saturates to +-1 at both ends without a NaN.
	runtime.EwTanh: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		t, d, q, r := f.reg(rF32), f.reg(rF32), f.reg(rF32), f.reg(rF32)
		f.op("add.rn.f32 %s, %s, %s", t, a, a)
		e := ptxExp(f, t)
		f.op("add.rn.f32 %s, %s, 0f3F800000", d, e)
		f.op("div.rn.f32 %s, 0f40000000, %s", q, d)
		f.op("sub.rn.f32 %s, 0f3F800000, %s", r, q)
		return r
	},
	// Abramowitz and Stegun 7.1.26 (absolute error 1.5e-7) on |x|, with x's sign.
	runtime.EwErf: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		ax, d, t, x2, nx2 := f.reg(rF32), f.reg(rF32), f.reg(rF32), f.reg(rF32), f.reg(rF32)
		f.op("abs.f32 %s, %s", ax, a)
		f.op("fma.rn.f32 %s, %s, %s, 0f3F800000", d, ax, f32(0.3275911))
		f.op("rcp.rn.f32 %s, %s", t, d)
		poly := f.reg(rF32)
		f.op("mov.f32 %s, %s", poly, f32(1.061405429))
		for _, c := range []float64{-1.453152027, 1.421413741, -0.284496736, 0.254829592} {
			next := f.reg(rF32)
			f.op("fma.rn.f32 %s, %s, %s, %s", next, poly, t, f32(c))
			poly = next
		}
		pt := f.reg(rF32)
		f.op("mul.rn.f32 %s, %s, %s", pt, poly, t)
		f.op("mul.rn.f32 %s, %s, %s", x2, ax, ax)
		f.op("neg.f32 %s, %s", nx2, x2)
		e := ptxExp(f, nx2)
		ne, y, r := f.reg(rF32), f.reg(rF32), f.reg(rF32)
		f.op("neg.f32 %s, %s", ne, e)
		f.op("fma.rn.f32 %s, %s, %s, 0f3F800000", y, pt, ne)
		f.op("copysign.f32 %s, %s, %s", r, a, y)
		return r
	},
	runtime.EwHardSigmoid: func(f *ptxFunc, s runtime.EwStep, a, _ string) string {
		return ptxHardSigmoid(f, a, s.Alpha, s.Beta)
	},
	runtime.EwHardSwish: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		h, r := ptxHardSigmoid(f, a, 1.0/6, 0.5), f.reg(rF32)
		f.op("mul.rn.f32 %s, %s, %s", r, a, h)
		return r
	},
	// max(x,0) + log(1+e^-|x|), which neither overflows nor loses large x.
	runtime.EwSoftplus: func(f *ptxFunc, _ runtime.EwStep, a, _ string) string {
		n, d, m, r := f.reg(rF32), f.reg(rF32), f.reg(rF32), f.reg(rF32)
		f.op("abs.f32 %s, %s", n, a)
		f.op("neg.f32 %s, %s", n, n)
		e := ptxExp(f, n)
		f.op("add.rn.f32 %s, %s, 0f3F800000", d, e)
		l := ptxLog(f, d)
		f.op("max.f32 %s, %s, 0f00000000", m, a)
		f.op("add.rn.f32 %s, %s, %s", r, m, l)
		return r
	},
	ewMax: f32Op("max.NaN.f32"),
	ewMin: f32Op("min.NaN.f32"),
	ewPRelu: func(f *ptxFunc, _ runtime.EwStep, a, b string) string {
		t := f.reg(rF32)
		f.op("mul.rn.f32 %s, %s, %s", t, a, b)
		return ptxSelectNeg(f, a, t)
	},
}

// arity of the steps ewKernel runs.
func arity(op runtime.EwOp) int {
	switch op {
	case ewMax, ewMin, ewPRelu:
		return 2
	}
	return runtime.EwArity[op]
}

// ewKernel is one float32 program over the elements of dims: out = steps(ins).
func ewKernel(k *lowered.Kernel, t Target, dims []int, ins []access, steps []runtime.EwStep) (*Kernel, bool, error) {
	for _, s := range steps {
		if ewPTX[s.Op] == nil {
			return nil, false, Unsupported{fmt.Sprintf("elementwise op %d has no PTX spelling", s.Op)}
		}
	}
	n := volume(dims)
	acc := append([]access{contiguous(dims)}, ins...)
	sd, sa := simplify(dims, acc)
	if n == 0 || !fits(sd, sa) {
		return nil, false, Unsupported{"empty or over 2^31 elements"}
	}
	sizes := make([]int, len(sa))
	for i := range sizes {
		sizes[i] = 4
	}
	f := mapKernel("ew", sd, sa, sizes, func(f *ptxFunc, addr []string) {
		vals := make([]string, 0, len(ins)+len(steps))
		for j := range ins {
			v := f.reg(rF32)
			f.op("ld.global.f32 %s, [%s]", v, addr[1+j])
			vals = append(vals, v)
		}
		for _, s := range steps {
			var a, b string
			if arity(s.Op) > 0 {
				a = vals[s.A]
			}
			if arity(s.Op) > 1 {
				b = vals[s.B]
			}
			vals = append(vals, ewPTX[s.Op](f, s, a, b))
		}
		f.op("st.global.f32 [%s], %s", addr[0], vals[len(vals)-1])
	})
	args := []Arg{{Kind: ArgOut, Index: 0}}
	for j := range ins {
		args = append(args, Arg{Kind: ArgIn, Index: j})
	}
	return &Kernel{PTX: module(t, f), Launches: []Launch{launch1D("ew", n, args...)}}, true, nil
}

func allFloat32(ops []lowered.Operand) bool {
	for _, o := range ops {
		if o.Value != nil && o.DType != runtime.Float32 {
			return false
		}
	}
	return true
}

func genElementwise(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.ElementwiseParams)
	if !allFloat32(k.In) || !allFloat32(k.Out) {
		return nil, false, Unsupported{"not float32"}
	}
	dims := staticDims(k.Out[0])
	var ins []access
	for j, in := range k.In {
		d := staticDims(in)
		switch {
		case p.Channel != nil && p.Channel[j]:
			a := access{strides: make([]int, len(dims))}
			a.strides[p.Axis] = 1
			ins = append(ins, a)
		case volume(d) == volume(dims):
			ins = append(ins, contiguous(dims))
		case volume(d) == 1:
			ins = append(ins, access{strides: make([]int, len(dims))})
		default:
			return nil, false, fmt.Errorf("input %d of shape %v for output %v", j, d, dims)
		}
	}
	return ewKernel(k, t, dims, ins, p.Steps)
}

// unaryOps are the Unary ops that are one step of the fused table.
var unaryOps = map[int]runtime.EwOp{
	runtime.UnaryAbs: runtime.EwAbs, runtime.UnaryNeg: runtime.EwNeg, runtime.UnaryExp: runtime.EwExp,
	runtime.UnaryLog: runtime.EwLog, runtime.UnarySqrt: runtime.EwSqrt, runtime.UnaryReciprocal: runtime.EwReciprocal,
	runtime.UnaryRelu: runtime.EwRelu, runtime.UnarySigmoid: runtime.EwSigmoid, runtime.UnaryHardSigmoid: runtime.EwHardSigmoid,
	runtime.UnaryHardSwish: runtime.EwHardSwish, runtime.UnaryTanh: runtime.EwTanh, runtime.UnaryErf: runtime.EwErf,
	runtime.UnarySoftplus: runtime.EwSoftplus, runtime.UnaryLeakyRelu: runtime.EwLeakyRelu,
}

func genUnary(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.UnaryParams)
	op, ok := unaryOps[p.Op]
	if !ok || !allFloat32(k.In) || !allFloat32(k.Out) {
		return nil, false, Unsupported{fmt.Sprintf("unary op %d on %s", p.Op, k.In[0].DType)}
	}
	dims := staticDims(k.Out[0])
	return ewKernel(k, t, dims, []access{contiguous(dims)}, []runtime.EwStep{{Op: op, A: 0, Alpha: p.Alpha, Beta: p.Beta}})
}

var binaryOps = map[int]runtime.EwOp{
	runtime.BinaryAdd: runtime.EwAdd, runtime.BinarySub: runtime.EwSub, runtime.BinaryMul: runtime.EwMul,
	runtime.BinaryDiv: runtime.EwDiv, runtime.BinaryMax: ewMax, runtime.BinaryMin: ewMin, runtime.BinaryPRelu: ewPRelu,
}

func genBinary(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.BinaryParams)
	if !allFloat32(k.In) || !allFloat32(k.Out) {
		return nil, false, Unsupported{fmt.Sprintf("binary op %d on %s", p.Op, k.In[0].DType)}
	}
	dims := staticDims(k.Out[0])
	ins, err := broadcastInputs(k, dims)
	if err != nil {
		return nil, false, err
	}
	steps := []runtime.EwStep{{Op: binaryOps[p.Op], A: 0, B: 1}}
	if op, ok := binaryOps[p.Op]; ok {
		steps[0].Op = op
	} else if p.Op != runtime.BinaryPow {
		return nil, false, Unsupported{fmt.Sprintf("binary op %d", p.Op)}
	} else if steps, ok = powSteps(k); !ok {
		return nil, false, Unsupported{"Pow with an exponent other than a constant 0.5, 2 or 3"}
	}
	return ewKernel(k, t, dims, ins, steps)
}

// powSteps spells x^y for the constant exponents that are exact products or a square root.
func powSteps(k *lowered.Kernel) ([]runtime.EwStep, bool) {
	y := k.In[1].Value
	if y == nil || y.Const == nil || y.Const.Len() != 1 || y.Const.DType != runtime.Float32 {
		return nil, false
	}
	switch runtime.Data[float32](y.Const)[0] {
	case 0.5:
		return []runtime.EwStep{{Op: runtime.EwSqrt, A: 0}}, true
	case 2:
		return []runtime.EwStep{{Op: runtime.EwMul, A: 0, B: 0}}, true
	case 3:
		return []runtime.EwStep{{Op: runtime.EwMul, A: 0, B: 0}, {Op: runtime.EwMul, A: 2, B: 0}}, true
	}
	return nil, false
}

// staticDims is a static operand's shape as ints.
func staticDims(o lowered.Operand) []int {
	d := make([]int, len(o.Dims))
	for i, x := range o.Dims {
		d[i] = int(x.N)
	}
	return d
}

// broadcastInputs are the numpy-broadcast maps of k's inputs over the output's dims.
func broadcastInputs(k *lowered.Kernel, dims []int) ([]access, error) {
	var ins []access
	for j, in := range k.In {
		a, ok := broadcast(staticDims(in), dims)
		if !ok {
			return nil, fmt.Errorf("input %d of shape %v does not broadcast to %v", j, staticDims(in), dims)
		}
		ins = append(ins, a)
	}
	return ins, nil
}

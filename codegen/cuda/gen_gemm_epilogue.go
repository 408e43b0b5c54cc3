package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/runtime"
)

// Shared by the GEMM, convolution and pooling generators: the fused activation, the same enum
// and parameters as the CPU kernels (runtime.Act), applied to one float32 register.

// emitExp returns a register with e^x, through ex2 (relative error about 2^-22).
func emitExp(f *ptx.Func, x string) string {
	t, r := f.Reg(ptx.F32), f.Reg(ptx.F32)
	f.Op("mul.f32 %s, %s, %s", t, x, ptx.Float(1.4426950408889634))
	f.Op("ex2.approx.f32 %s, %s", r, t)
	return r
}

// emitSigmoid returns a register with 1/(1+e^-x).
func emitSigmoid(f *ptx.Func, x string) string {
	n := f.Reg(ptx.F32)
	f.Op("neg.f32 %s, %s", n, x)
	e := emitExp(f, n)
	d, r := f.Reg(ptx.F32), f.Reg(ptx.F32)
	f.Op("add.f32 %s, %s, %s", d, e, ptx.Float(1))
	f.Op("rcp.rn.f32 %s, %s", r, d)
	return r
}

// emitAct returns a register with act applied to v.
func emitAct(f *ptx.Func, v string, act runtime.Act, alpha, beta float32) string {
	r := f.Reg(ptx.F32)
	switch act {
	case runtime.ActNone:
		return v
	case runtime.ActRelu:
		f.Op("max.f32 %s, %s, %s", r, v, ptx.Float(0))
	case runtime.ActTanh:
		// 1 - 2/(e^2x + 1): saturates to ±1 without overflow trouble.
		x2 := f.Reg(ptx.F32)
		f.Op("add.f32 %s, %s, %s", x2, v, v)
		e := emitExp(f, x2)
		d, q := f.Reg(ptx.F32), f.Reg(ptx.F32)
		f.Op("add.f32 %s, %s, %s", d, e, ptx.Float(1))
		f.Op("div.rn.f32 %s, %s, %s", q, ptx.Float(2), d)
		f.Op("sub.f32 %s, %s, %s", r, ptx.Float(1), q)
	case runtime.ActSigmoid:
		return emitSigmoid(f, v)
	case runtime.ActLeakyRelu:
		p, m := f.Reg(ptx.Pred), f.Reg(ptx.F32)
		f.Op("setp.lt.f32 %s, %s, %s", p, v, ptx.Float(0))
		f.Op("mul.f32 %s, %s, %s", m, v, ptx.Float(alpha))
		f.Op("selp.f32 %s, %s, %s, %s", r, m, v, p)
	case runtime.ActClip:
		t := f.Reg(ptx.F32)
		f.Op("max.f32 %s, %s, %s", t, v, ptx.Float(alpha))
		f.Op("min.f32 %s, %s, %s", r, t, ptx.Float(beta))
	case runtime.ActHardSigmoid, runtime.ActHardSwish:
		if act == runtime.ActHardSwish {
			alpha, beta = 1.0/6, 0.5
		}
		t, u, h := f.Reg(ptx.F32), f.Reg(ptx.F32), f.Reg(ptx.F32)
		f.Op("fma.rn.f32 %s, %s, %s, %s", t, v, ptx.Float(alpha), ptx.Float(beta))
		f.Op("max.f32 %s, %s, %s", u, t, ptx.Float(0))
		f.Op("min.f32 %s, %s, %s", h, u, ptx.Float(1))
		if act == runtime.ActHardSigmoid {
			return h
		}
		f.Op("mul.f32 %s, %s, %s", r, v, h)
	default:
		panic("cuda: unknown activation " + act.String())
	}
	return r
}

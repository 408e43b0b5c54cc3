package cuda

import (
	"fmt"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Cast between float32, int32, int64 and bool, and the float32 Variadic ops (Sum, Mean, Max,
// Min of broadcast inputs) as fused programs.

func init() {
	register(lowered.Cast, genCast)
	register(lowered.Variadic, genVariadic)
}

// castReg is the register class and load/store type of each element type Cast handles.
var castReg = map[runtime.DType]struct {
	cls      regClass
	mem, cvt string
}{
	runtime.Float32: {rF32, "f32", "f32"},
	runtime.Int32:   {rB32, "s32", "s32"},
	runtime.Int64:   {rB64, "s64", "s64"},
	runtime.Bool:    {rB32, "u8", "u32"},
}

// castOp converts v of type from to type to: floats to integers truncate toward zero, anything
// to bool is "not zero" (NaN is true, as the CPU kernel has it), integers narrow by wrapping.
func castOp(f *ptxFunc, from, to runtime.DType, v string) string {
	src, dst := castReg[from], castReg[to]
	r := f.reg(dst.cls)
	switch {
	case from == to:
		return v
	case to == runtime.Bool:
		p, cmp := f.reg(rPred), "ne"
		if from == runtime.Float32 {
			cmp = "neu"
		}
		zero := "0"
		if from == runtime.Float32 {
			zero = "0f00000000"
		}
		f.op("setp.%s.%s %s, %s, %s", cmp, src.cvt, p, v, zero)
		f.op("selp.u32 %s, 1, 0, %s", r, p)
	case from == runtime.Float32:
		f.op("cvt.rzi.%s.f32 %s, %s", dst.cvt, r, v)
	case to == runtime.Float32:
		f.op("cvt.rn.f32.%s %s, %s", src.cvt, r, v)
	case from == runtime.Int64 && to == runtime.Int32:
		f.op("cvt.u32.u64 %s, %s", r, v)
	default: // int32 or bool widened
		f.op("cvt.%s.%s %s, %s", dst.cvt, src.cvt, r, v)
	}
	return r
}

func genCast(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	from, to := k.In[0].DType, k.Params.(*runtime.CastParams).To
	_, ok1 := castReg[from]
	_, ok2 := castReg[to]
	if !ok1 || !ok2 || k.Out[0].DType != to {
		return nil, false, Unsupported{fmt.Sprintf("Cast from %s to %s", from, to)}
	}
	dims := staticDims(k.Out[0])
	n := volume(dims)
	if n == 0 || n >= 1<<31 {
		return nil, false, Unsupported{"empty or over 2^31 elements"}
	}
	flat := []int{n}
	f := mapKernel("cast", flat, []access{contiguous(flat), contiguous(flat)}, []int{to.Size(), from.Size()}, func(f *ptxFunc, addr []string) {
		v := f.reg(castReg[from].cls)
		f.op("ld.global.%s %s, [%s]", castReg[from].mem, v, addr[1])
		f.op("st.global.%s [%s], %s", castReg[to].mem, addr[0], castOp(f, from, to, v))
	})
	return &Kernel{PTX: module(t, f), Launches: []Launch{launch1D("cast", n, Arg{Kind: ArgOut}, Arg{Kind: ArgIn})}}, true, nil
}

var variadicOps = map[int]runtime.EwOp{
	runtime.VariadicSum: runtime.EwAdd, runtime.VariadicMean: runtime.EwAdd, runtime.VariadicMax: ewMax, runtime.VariadicMin: ewMin,
}

func genVariadic(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	p := k.Params.(*runtime.VariadicParams)
	op, ok := variadicOps[p.Op]
	if !ok || !allFloat32(k.In) || !allFloat32(k.Out) {
		return nil, false, Unsupported{fmt.Sprintf("variadic op %d on %s", p.Op, k.In[0].DType)}
	}
	dims := staticDims(k.Out[0])
	ins, err := broadcastInputs(k, dims)
	if err != nil {
		return nil, false, err
	}
	// The inputs folded in order, as the CPU kernel folds them (up to which input it takes
	// first, which changes a sum's rounding only).
	n := len(k.In)
	var steps []runtime.EwStep
	acc := 0
	for j := 1; j < n; j++ {
		steps = append(steps, runtime.EwStep{Op: op, A: acc, B: j})
		acc = n + len(steps) - 1
	}
	if p.Op == runtime.VariadicMean {
		steps = append(steps, runtime.EwStep{Op: runtime.EwConst, Alpha: float64(n)})
		steps = append(steps, runtime.EwStep{Op: runtime.EwDiv, A: acc, B: n + len(steps) - 1})
	}
	if len(steps) == 0 { // one input: a copy, spelled as max(x, x)
		steps = append(steps, runtime.EwStep{Op: ewMax, A: 0, B: 0})
	}
	return ewKernel(k, t, dims, ins, steps)
}

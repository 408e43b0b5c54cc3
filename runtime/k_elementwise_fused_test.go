package runtime

import (
	"math"
	"testing"
)

// The scalar table agrees bit for bit with the single-op kernels that the fused programs
// replace, and the reference kernel Elementwise runs programs as the table says. The float32
// kernels of Exp, Sigmoid, Tanh and Erf are vecmath.go's approximations, within 2 ulp of the
// table's float64 functions.
func TestEwEvalMatchesKernels(t *testing.T) {
	unary := map[EwOp]UnaryParams{
		EwNeg: {Op: UnaryNeg}, EwAbs: {Op: UnaryAbs}, EwExp: {Op: UnaryExp}, EwLog: {Op: UnaryLog},
		EwSqrt: {Op: UnarySqrt}, EwReciprocal: {Op: UnaryReciprocal}, EwRelu: {Op: UnaryRelu},
		EwSigmoid: {Op: UnarySigmoid}, EwTanh: {Op: UnaryTanh}, EwErf: {Op: UnaryErf},
		EwHardSigmoid: {Op: UnaryHardSigmoid, Alpha: 0.25, Beta: 0.4}, EwHardSwish: {Op: UnaryHardSwish},
		EwLeakyRelu: {Op: UnaryLeakyRelu, Alpha: 0.1}, EwSoftplus: {Op: UnarySoftplus},
	}
	binary := map[EwOp]int{EwAdd: BinaryAdd, EwSub: BinarySub, EwMul: BinaryMul, EwDiv: BinaryDiv}
	xs := []float32{-30, -3.5, -1, -0.25, 0, 0.1, 0.5, 1, 2.75, 6, 20, 1e-30, float32(math.Inf(1)), float32(math.NaN())}
	ys := []float32{1.5, -2, 3, 0.5, -0.75, 7, 0, 1e-3, 9, -6, 0.25, 3, 2, 1}
	same := func(a, b float32) bool { return a == b || (a != a && b != b) }
	x := FromFloat32([]int{len(xs)}, xs)
	y := FromFloat32([]int{len(ys)}, ys)
	for op := EwOp(1); op < EwOpCount; op++ {
		out := &Tensor{Buf: &Buffer{}}
		var err error
		var alpha, beta float64
		if p, ok := unary[op]; ok {
			alpha, beta = p.Alpha, p.Beta
			err = Unary(NewExec(nil), &p, []*Tensor{out}, []*Tensor{x})
		} else if code, ok := binary[op]; ok {
			err = Binary(NewExec(nil), &BinaryParams{Op: code}, []*Tensor{out}, []*Tensor{x, y})
		} else {
			t.Errorf("op %d: no single-op kernel to compare with", op)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got := Data[float32](out)
		for i := range xs {
			want := float32(EwEval(op, float64(xs[i]), float64(ys[i]), alpha, beta))
			if d := vecmathOrd(got[i]) - vecmathOrd(want); (op == EwExp || op == EwSigmoid || op == EwTanh || op == EwErf) && d >= -2 && d <= 2 && got[i] == got[i] {
				continue
			}
			if !same(got[i], want) {
				t.Errorf("op %d at %v, %v: kernel %v, table %v", op, xs[i], ys[i], got[i], want)
			}
		}
	}
	// (x + y) * 0.5 through the reference kernel.
	out := &Tensor{Buf: &Buffer{}}
	p := &ElementwiseParams{Steps: []EwStep{{Op: EwAdd, A: 0, B: 1}, {Op: EwConst, Alpha: 0.5}, {Op: EwMul, A: 2, B: 3}}}
	if err := Elementwise(NewExec(nil), p, []*Tensor{out}, []*Tensor{x, y}); err != nil {
		t.Fatal(err)
	}
	for i, v := range Data[float32](out) {
		if want := (xs[i] + ys[i]) * 0.5; !same(v, want) {
			t.Errorf("program at %d: %v, want %v", i, v, want)
		}
	}
}

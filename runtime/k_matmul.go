package runtime

import "fmt"

// This file holds MatMul and Gemm. Float32 (and float16/bfloat16 staged through float32) run on
// the packed GEMM (gemm.go); float64 and integer types on the plain product.

// Scratch slots of the matmul kernels (below gemmSlotBase).
const (
	mmSlotA = iota + 1
	mmSlotB
	mmSlotC
	mmSlotY
	mmSlotA32
	mmSlotB32
)

// mmPlan is a resolved N-D matrix product: numpy matmul semantics, with batch dims broadcast and
// 1-D operands promoted to a matrix (a row for A, a column for B) and the promoted dim dropped
// from the result.
type mmPlan struct {
	m, n, k int
	batch   []int // broadcast batch dims
	nbatch  int
	aStr    []int // batch strides of A and B in elements, 0 where broadcast
	bStr    []int
	out     []int // result shape
}

// mmMakePlan plans the product of operands of shapes as and bs; the plan's slices are in x's
// arena.
func mmMakePlan(x *Exec, as, bs []int) (mmPlan, error) {
	var p mmPlan
	if len(as) == 0 || len(bs) == 0 {
		return p, fmt.Errorf("matmul of shapes %v and %v: scalars are not allowed", as, bs)
	}
	a, b := as, bs
	if len(a) == 1 {
		a = x.Ints(2)
		a[0], a[1] = 1, as[0]
	}
	if len(b) == 1 {
		b = x.Ints(2)
		b[0], b[1] = bs[0], 1
	}
	p.m, p.k = a[len(a)-2], a[len(a)-1]
	p.n = b[len(b)-1]
	if b[len(b)-2] != p.k {
		return p, fmt.Errorf("matmul of shapes %v and %v: inner dims %d and %d differ", as, bs, p.k, b[len(b)-2])
	}
	ab, bb := a[:len(a)-2], b[:len(b)-2]
	batch, err := broadcastShape(x, ab, bb)
	if err != nil {
		return p, fmt.Errorf("matmul of shapes %v and %v: batch dims do not broadcast", as, bs)
	}
	p.batch = batch
	p.nbatch = NumElems(batch)
	p.aStr = mmBatchStrides(x, ab, batch, p.m*p.k)
	p.bStr = mmBatchStrides(x, bb, batch, p.k*p.n)
	p.out = append(x.Ints(len(batch) + 2)[:0], batch...)
	if len(as) > 1 {
		p.out = append(p.out, p.m)
	}
	if len(bs) > 1 {
		p.out = append(p.out, p.n)
	}
	return p, nil
}

// mmBatchStrides is BroadcastStrides for the batch dims of an operand whose matrices have size
// mat elements.
func mmBatchStrides(x *Exec, dims, batch []int, mat int) []int {
	st := x.Ints(len(batch))
	broadcastStridesInto(st, dims, batch)
	for i := range st {
		st[i] *= mat
	}
	return st
}

// offset returns the element offset of batch b's matrix in an operand with batch strides st.
func (p *mmPlan) offset(b int, st []int) int {
	o := 0
	for i := len(p.batch) - 1; i >= 0; i-- {
		d := p.batch[i]
		o += (b % d) * st[i]
		b /= d
	}
	return o
}

// foldA reports whether the product can run as one (batch*m) x k by k x n product: B is the
// same matrix for every batch and A's matrices are contiguous.
func (p *mmPlan) foldA() bool {
	next := p.m * p.k
	for i := len(p.batch) - 1; i >= 0; i-- {
		if p.bStr[i] != 0 || (p.batch[i] > 1 && p.aStr[i] != next) {
			return false
		}
		next *= p.batch[i]
	}
	return true
}

// gemmBatchView sets a gemmMat's batch offsets to follow the plan's broadcast strides st. It
// reports false when there are more batch dims than a gemmMat holds.
func (p *mmPlan) gemmBatchView(m *gemmMat, st []int) bool {
	// Drop dims of size 1; they contribute nothing.
	m.nb = 0
	div := 1
	for i := len(p.batch) - 1; i >= 0; i-- {
		d := p.batch[i]
		if d == 1 {
			continue
		}
		if m.nb == gemmMaxBatchDims {
			return false
		}
		m.bdiv[m.nb], m.bdim[m.nb], m.bstr[m.nb] = div, d, st[i]
		m.nb++
		div *= d
	}
	return true
}

// mmF32 computes the planned product of float32 data into y.
func mmF32(x *Exec, p *mmPlan, a, b, y []float32) {
	if p.foldA() {
		sgemm(x, false, false, p.nbatch*p.m, p.n, p.k, 1, a, p.k, b, p.n, y, p.n, false)
		return
	}
	j := sgemmJob{m: p.m, n: p.n, k: p.k, batches: p.nbatch, alpha: 1}
	j.a = gemmView(a, p.k, 1, 0)
	j.b = gemmView(b, p.n, 1, 0)
	j.c = gemmView(y, p.n, 1, p.m*p.n)
	if p.gemmBatchView(&j.a, p.aStr) && p.gemmBatchView(&j.b, p.bStr) {
		j.run(x)
		return
	}
	for i := 0; i < p.nbatch; i++ {
		ao, bo := p.offset(i, p.aStr), p.offset(i, p.bStr)
		sgemm(x, false, false, p.m, p.n, p.k, 1, a[ao:], p.k, b[bo:], p.n, y[i*p.m*p.n:], p.n, false)
	}
}

// mmGeneric computes the planned product in T with the plain product.
func mmGeneric[T gemmNum](x *Exec, p *mmPlan, a, b, y []T) {
	parFor(gmPool(x), p.nbatch, p.m*p.n*p.k*2, mmGenericJob[T]{p: *p, a: a, b: b, y: y})
}

type mmGenericJob[T gemmNum] struct {
	p       mmPlan
	a, b, y []T
}

func (j mmGenericJob[T]) run(lo, hi int) {
	p := &j.p
	mn := p.m * p.n
	for i := lo; i < hi; i++ {
		ao, bo := p.offset(i, p.aStr), p.offset(i, p.bStr)
		gemmGeneric(p.m, p.n, p.k, j.a[ao:], p.k, 1, j.b[bo:], p.n, 1, j.y[i*mn:(i+1)*mn], p.n, false)
	}
}

// MatMul is ONNX MatMul (numpy matmul) for float and integer types.
func MatMul(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	A, B := in[0], in[1]
	if A.DType != B.DType {
		return fmt.Errorf("operand types %s and %s differ", A.DType, B.DType)
	}
	p, err := mmMakePlan(x, A.Shape, B.Shape)
	if err != nil {
		return err
	}
	Y := out[0]
	Y.Resize(A.DType, p.out...)
	if Y.Len() == 0 {
		return nil
	}
	switch A.DType {
	case Float32:
		mmF32(x, &p, Data[float32](A), Data[float32](B), Data[float32](Y))
	case Float16, BFloat16:
		a, _ := cvF32(x, A, mmSlotA)
		b, _ := cvF32(x, B, mmSlotB)
		y := ScratchOf[float32](x, mmSlotY, Y.Len())
		mmF32(x, &p, a, b, y)
		cvStoreF32(Y, y)
	default:
		return mmDispatch(x, &p, A, B, Y)
	}
	return nil
}

// mmDispatch runs the generic product for the non-float32 types.
func mmDispatch(x *Exec, p *mmPlan, A, B, Y *Tensor) error {
	switch A.DType {
	case Float64:
		mmGeneric(x, p, Data[float64](A), Data[float64](B), Data[float64](Y))
	case Int8:
		mmGeneric(x, p, Data[int8](A), Data[int8](B), Data[int8](Y))
	case Int16:
		mmGeneric(x, p, Data[int16](A), Data[int16](B), Data[int16](Y))
	case Int32:
		mmGeneric(x, p, Data[int32](A), Data[int32](B), Data[int32](Y))
	case Int64:
		mmGeneric(x, p, Data[int64](A), Data[int64](B), Data[int64](Y))
	case Uint8:
		mmGeneric(x, p, Data[uint8](A), Data[uint8](B), Data[uint8](Y))
	case Uint16:
		mmGeneric(x, p, Data[uint16](A), Data[uint16](B), Data[uint16](Y))
	case Uint32:
		mmGeneric(x, p, Data[uint32](A), Data[uint32](B), Data[uint32](Y))
	case Uint64:
		mmGeneric(x, p, Data[uint64](A), Data[uint64](B), Data[uint64](Y))
	default:
		return fmt.Errorf("%s operands are not supported", A.DType)
	}
	return nil
}

// GemmParams configures Gemm: Y = Alpha * op(A) * op(B) + Beta * C, then the optional fused
// activation (see Act; com.microsoft FusedGemm and fusion passes), resolved at compile time.
type GemmParams struct {
	Alpha, Beta       float64
	TransA, TransB    bool
	Activation        Act
	ActAlpha, ActBeta float32
	// PackedB says B is a float32 constant whose prepacked form (PackGemmB, of op(B)) is the
	// last input; the GEMM reads it in place.
	PackedB bool
}

// Gemm is ONNX Gemm for float and integer types; C is optional and broadcasts to M x N.
func Gemm(x *Exec, p *GemmParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	var packed *Tensor
	if p.PackedB {
		packed, in = in[len(in)-1], in[:len(in)-1]
	}
	A, B := in[0], in[1]
	var C *Tensor
	if len(in) > 2 {
		C = in[2]
	}
	if A.DType != B.DType || (C != nil && C.DType != A.DType) {
		return fmt.Errorf("operand types %s and %s differ", A.DType, B.DType)
	}
	if len(A.Shape) != 2 || len(B.Shape) != 2 {
		return fmt.Errorf("gemm of shapes %v and %v, want matrices", A.Shape, B.Shape)
	}
	m, k := A.Shape[0], A.Shape[1]
	if p.TransA {
		m, k = k, m
	}
	kb, n := B.Shape[0], B.Shape[1]
	if p.TransB {
		kb, n = n, kb
	}
	if kb != k {
		return fmt.Errorf("gemm of shapes %v and %v (transA %v, transB %v): inner dims %d and %d differ", A.Shape, B.Shape, p.TransA, p.TransB, k, kb)
	}
	var cst []int
	if C != nil && p.Beta != 0 {
		// C broadcasts one way: to M x N and no further.
		mn := x.Ints(2)
		mn[0], mn[1] = m, n
		if bs, err := broadcastShape(x, C.Shape, mn); err != nil || len(bs) != 2 || bs[0] != m || bs[1] != n {
			return fmt.Errorf("C of shape %v does not broadcast to %dx%d", C.Shape, m, n)
		}
		cst = x.Ints(2)
		broadcastStridesInto(cst, C.Shape, mn)
	}
	act, err := newActivation(p.Activation, p.ActAlpha, p.ActBeta)
	if err != nil {
		return err
	}
	if act.kind != actNone && !A.DType.IsFloat() {
		return fmt.Errorf("fused activation on %s operands", A.DType)
	}
	Y := out[0]
	Y.Resize(A.DType, m, n)
	if m*n == 0 {
		return nil
	}
	lda, ldb := A.Shape[1], B.Shape[1]
	switch A.DType {
	case Float32, Float16, BFloat16:
		a, _ := cvF32(x, A, mmSlotA)
		b, _ := cvF32(x, B, mmSlotB)
		y := ScratchOf[float32](x, mmSlotY, m*n)
		if A.DType == Float32 {
			y = Data[float32](Y)
		}
		acc := false
		var bias []float32
		switch {
		case cst != nil && packed != nil && cst[0] == 0 && cst[1] == 1 && p.Beta == 1:
			// A bias per column (a Linear layer's) is added as the GEMM stores C.
			bias, _ = cvF32(x, C, mmSlotC)
		case cst != nil:
			c, _ := cvF32(x, C, mmSlotC)
			gmFillBias(y, m, n, c, cst, float32(p.Beta))
			acc = true
		}
		if packed != nil {
			if packed.DType != Float32 || packed.Len() != PackedGemmBLen(1, k, n) {
				return fmt.Errorf("prepacked weights have %d values, want %d", packed.Len(), PackedGemmBLen(1, k, n))
			}
			// The activation runs in the epilogue, on each tile as it is stored.
			sgemmPackedB(x, p.TransA, m, n, k, float32(p.Alpha), a, lda, Data[float32](packed), y, n, acc, gemmEpilogue{colBias: bias, act: act})
		} else {
			sgemm(x, p.TransA, p.TransB, m, n, k, float32(p.Alpha), a, lda, b, ldb, y, n, acc)
			act.apply(x, y, nil)
		}
		if A.DType != Float32 {
			cvStoreF32(Y, y)
		}
		return nil
	case Float64:
		gmGemmGeneric(p, m, n, k, Data[float64](A), lda, Data[float64](B), ldb, gmData[float64](C), cst, Data[float64](Y))
		actApply(x, &act, Data[float64](Y), nil)
	case Int32:
		gmGemmGeneric(p, m, n, k, Data[int32](A), lda, Data[int32](B), ldb, gmData[int32](C), cst, Data[int32](Y))
	case Int64:
		gmGemmGeneric(p, m, n, k, Data[int64](A), lda, Data[int64](B), ldb, gmData[int64](C), cst, Data[int64](Y))
	case Uint32:
		gmGemmGeneric(p, m, n, k, Data[uint32](A), lda, Data[uint32](B), ldb, gmData[uint32](C), cst, Data[uint32](Y))
	case Uint64:
		gmGemmGeneric(p, m, n, k, Data[uint64](A), lda, Data[uint64](B), ldb, gmData[uint64](C), cst, Data[uint64](Y))
	default:
		return fmt.Errorf("%s operands are not supported", A.DType)
	}
	return nil
}

// gmData is Data that accepts a nil tensor.
func gmData[T Elem](t *Tensor) []T {
	if t == nil {
		return nil
	}
	return Data[T](t)
}

// gmFillBias sets the m x n matrix y to beta * C, C broadcast with strides cst.
func gmFillBias[T gemmNum](y []T, m, n int, c []T, cst []int, beta T) {
	for i := 0; i < m; i++ {
		row := y[i*n : (i+1)*n]
		o := i * cst[0]
		for j := range row {
			row[j] = beta * c[o+j*cst[1]]
		}
	}
}

// gmGemmGeneric is Gemm in T with the plain product; alpha and beta are converted to T.
func gmGemmGeneric[T gemmNum](p *GemmParams, m, n, k int, a []T, lda int, b []T, ldb int, c []T, cst []int, y []T) {
	ars, acs := lda, 1
	if p.TransA {
		ars, acs = 1, lda
	}
	brs, bcs := ldb, 1
	if p.TransB {
		brs, bcs = 1, ldb
	}
	gemmGeneric(m, n, k, a, ars, acs, b, brs, bcs, y, n, false)
	alpha := T(p.Alpha)
	if p.Alpha != 1 {
		for i := range y {
			y[i] *= alpha
		}
	}
	if cst != nil {
		beta := T(p.Beta)
		for i := 0; i < m; i++ {
			row := y[i*n : (i+1)*n]
			o := i * cst[0]
			for j := range row {
				row[j] += beta * c[o+j*cst[1]]
			}
		}
	}
}

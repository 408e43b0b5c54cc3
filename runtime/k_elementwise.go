package runtime

import (
	"fmt"
	"math"
)

// Elementwise kernels: Unary (this file), Binary, Variadic, Where and Clip. Each dispatches once
// per call on the element type to a generic function over typed slices, which switches on the op
// code outside its loops, so every op runs one tight loop. Float16 and bfloat16 are computed in
// float32, converted in small blocks on the stack. Elementwise kernels read element i before
// writing element i, so they are correct when an output shares storage with a same-shaped input.

type ewFloat interface{ ~float32 | ~float64 }

type ewInt interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

type ewNum interface{ ewFloat | ewInt }

// ewOrd is what the comparison ops accept (Equal also takes strings).
type ewOrd interface{ ewNum | ~string }

// ewBlock is the number of elements converted at a time on the stack (half-precision inputs,
// scalar operands expanded for a vector loop).
const ewBlock = 256

// ewHalfLoad widens float16 or bfloat16 bit patterns to float32.
func ewHalfLoad(dt DType, dst []float32, src []uint16) {
	dst = dst[:len(src)]
	if dt == BFloat16 {
		for i, v := range src {
			dst[i] = BF16(v).Float32()
		}
		return
	}
	for i, v := range src {
		dst[i] = F16(v).Float32()
	}
}

// ewHalfStore rounds float32 values to float16 or bfloat16 bit patterns.
func ewHalfStore(dt DType, dst []uint16, src []float32) {
	dst = dst[:len(src)]
	if dt == BFloat16 {
		for i, v := range src {
			dst[i] = uint16(ToBF16(v))
		}
		return
	}
	for i, v := range src {
		dst[i] = uint16(ToF16(v))
	}
}

// ewHalfTensor converts a whole float16/bfloat16 tensor to float32 in scratch slot i.
func ewHalfTensor(x *Exec, slot int, t *Tensor) []float32 {
	f := ScratchOf[float32](x, slot, t.Len())
	ewHalfLoad(t.DType, f, Data[uint16](t))
	return f
}

// ewIsHalf reports whether dt is stored as 16-bit patterns and computed in float32.
func ewIsHalf(dt DType) bool { return dt == Float16 || dt == BFloat16 }

// Unary op codes (UnaryParams.Op).
const (
	UnaryAbs = iota
	UnaryNeg
	UnaryExp
	UnaryLog
	UnarySqrt
	UnaryReciprocal
	UnaryFloor
	UnaryCeil
	UnaryRound
	UnarySign
	UnaryRelu
	UnarySigmoid
	UnaryHardSigmoid // Alpha, Beta
	UnaryHardSwish
	UnaryTanh
	UnarySin
	UnaryCos
	UnaryTan
	UnaryAsin
	UnaryAcos
	UnaryAtan
	UnarySinh
	UnaryCosh
	UnaryAsinh
	UnaryAcosh
	UnaryAtanh
	UnaryErf
	UnarySoftplus
	UnarySoftsign
	UnaryElu             // Alpha
	UnarySelu            // Alpha, Beta (gamma)
	UnaryCelu            // Alpha
	UnaryLeakyRelu       // Alpha
	UnaryThresholdedRelu // Alpha
	UnaryShrink          // Alpha (bias), Beta (lambd)
	UnaryMish
	UnaryGelu
	UnaryGeluTanh
	UnarySwish // Alpha
	UnaryIsNaN
	UnaryIsInf // Alpha: detect negative (0 or 1), Beta: detect positive
	UnaryNot
	UnaryBitwiseNot
	unaryCount
)

// UnaryParams configures Unary: the op code and up to two float attributes, whose meaning the
// op code's comment gives.
type UnaryParams struct {
	Op    int
	Alpha float64
	Beta  float64
}

// unaryCheap marks ops whose per-element work is a few instructions, for the parallel-for cost.
var unaryCheap = [unaryCount]bool{
	UnaryAbs: true, UnaryNeg: true, UnaryFloor: true, UnaryCeil: true, UnaryRound: true,
	UnarySign: true, UnaryRelu: true, UnaryHardSigmoid: true, UnaryHardSwish: true,
	UnarySoftsign: true, UnaryLeakyRelu: true, UnaryThresholdedRelu: true, UnaryShrink: true,
	UnaryIsNaN: true, UnaryIsInf: true, UnaryNot: true, UnaryBitwiseNot: true,
	UnaryReciprocal: true, UnarySqrt: true,
}

func unaryCost(op int) int {
	if op >= 0 && op < unaryCount && unaryCheap[op] {
		return 1
	}
	return 20
}

// UnaryIntOK reports whether op is defined on integer inputs (the rest need floats).
func UnaryIntOK(op int) bool {
	switch op {
	case UnaryAbs, UnaryNeg, UnarySign, UnaryRelu, UnaryErf, UnaryShrink, UnaryBitwiseNot:
		return true
	}
	return false
}

// Unary applies a one-input elementwise op (see the Unary* op codes). IsNaN and IsInf give bool;
// every other op keeps the input's type.
func Unary(x *Exec, p *UnaryParams, out, in []*Tensor) error {
	src := in[0]
	dt := src.DType
	if p.Op < 0 || p.Op >= unaryCount {
		return fmt.Errorf("unary op code %d is unknown", p.Op)
	}
	pred := p.Op == UnaryIsNaN || p.Op == UnaryIsInf
	switch {
	case pred && !dt.IsFloat():
		return fmt.Errorf("IsNaN/IsInf of %s is not supported", dt)
	case p.Op == UnaryNot && dt != Bool, p.Op != UnaryNot && dt == Bool:
		return fmt.Errorf("unary op %d of %s is not supported", p.Op, dt)
	case p.Op == UnaryBitwiseNot && !dt.IsInt():
		return fmt.Errorf("BitwiseNot of %s is not supported", dt)
	case dt.IsInt() && !UnaryIntOK(p.Op):
		return fmt.Errorf("unary op %d of integer type %s is not supported", p.Op, dt)
	case dt == String || !dt.Valid():
		return fmt.Errorf("unary op of %s is not supported", dt)
	}
	odt := dt
	if pred {
		odt = Bool
	}
	out[0].Resize(odt, src.Shape...)
	n := src.Len()
	if n == 0 {
		return nil
	}
	cost := unaryCost(p.Op)
	if pred {
		d := Data[bool](out[0])
		switch dt {
		case Float32:
			ewPredPar(x, p, d, Data[float32](src))
		case Float64:
			ewPredPar(x, p, d, Data[float64](src))
		default:
			parFor(x.Pool, n, cost, ewHalfPredJob{p: p, dt: dt, d: d, s: Data[uint16](src)})
		}
		return nil
	}
	switch dt {
	case Float32:
		ewUnaryPar(x, p, cost, Data[float32](out[0]), Data[float32](src), ewUnaryF[float32])
	case Float64:
		ewUnaryPar(x, p, cost, Data[float64](out[0]), Data[float64](src), ewUnaryF[float64])
	case Float16, BFloat16:
		parFor(x.Pool, n, cost, ewHalfUnaryJob{p: p, dt: dt, d: Data[uint16](out[0]), s: Data[uint16](src)})
	case Int8:
		ewUnaryPar(x, p, cost, Data[int8](out[0]), Data[int8](src), ewUnaryI[int8])
	case Int16:
		ewUnaryPar(x, p, cost, Data[int16](out[0]), Data[int16](src), ewUnaryI[int16])
	case Int32:
		ewUnaryPar(x, p, cost, Data[int32](out[0]), Data[int32](src), ewUnaryI[int32])
	case Int64:
		ewUnaryPar(x, p, cost, Data[int64](out[0]), Data[int64](src), ewUnaryI[int64])
	case Uint8:
		ewUnaryPar(x, p, cost, Data[uint8](out[0]), Data[uint8](src), ewUnaryI[uint8])
	case Uint16:
		ewUnaryPar(x, p, cost, Data[uint16](out[0]), Data[uint16](src), ewUnaryI[uint16])
	case Uint32:
		ewUnaryPar(x, p, cost, Data[uint32](out[0]), Data[uint32](src), ewUnaryI[uint32])
	case Uint64:
		ewUnaryPar(x, p, cost, Data[uint64](out[0]), Data[uint64](src), ewUnaryI[uint64])
	case Bool:
		parFor(x.Pool, n, cost, ewNotJob{d: Data[bool](out[0]), s: Data[bool](src)})
	}
	return nil
}

// ewUnaryPar runs f over chunks of the elements on the pool. f is a function, not a closure, so
// that the serial path allocates nothing.
func ewUnaryPar[T any](x *Exec, p *UnaryParams, cost int, d, s []T, f func(p *UnaryParams, d, s []T)) {
	parFor(x.Pool, len(s), cost, ewUnaryJob[T]{p: p, d: d, s: s, f: f})
}

type ewUnaryJob[T any] struct {
	p    *UnaryParams
	d, s []T
	f    func(p *UnaryParams, d, s []T)
}

func (j ewUnaryJob[T]) run(lo, hi int) { j.f(j.p, j.d[lo:hi], j.s[lo:hi]) }

// ewHalfUnaryJob is Unary of float16 or bfloat16, computed in float32 blocks.
type ewHalfUnaryJob struct {
	p    *UnaryParams
	dt   DType
	d, s []uint16
}

func (j ewHalfUnaryJob) run(lo, hi int) {
	var buf [ewBlock]float32
	for i := lo; i < hi; i += ewBlock {
		k := min(i+ewBlock, hi)
		b := buf[:k-i]
		ewHalfLoad(j.dt, b, j.s[i:k])
		ewUnaryF(j.p, b, b)
		ewHalfStore(j.dt, j.d[i:k], b)
	}
}

// ewHalfPredJob is IsNaN and IsInf of float16 or bfloat16.
type ewHalfPredJob struct {
	p  *UnaryParams
	dt DType
	d  []bool
	s  []uint16
}

func (j ewHalfPredJob) run(lo, hi int) {
	var buf [ewBlock]float32
	for i := lo; i < hi; i += ewBlock {
		k := min(i+ewBlock, hi)
		ewHalfLoad(j.dt, buf[:k-i], j.s[i:k])
		ewPred(j.p, j.d[i:k], buf[:k-i])
	}
}

// ewNotJob is Not.
type ewNotJob struct{ d, s []bool }

func (j ewNotJob) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		j.d[i] = !j.s[i]
	}
}

// ewUnaryF is the float loop of every float op; d may be s.
func ewUnaryF[T ewFloat](p *UnaryParams, d, s []T) {
	d = d[:len(s)]
	if d32, ok := any(d).([]float32); ok && ewUnaryF32(p, d32, any(s).([]float32)) {
		return
	}
	a, b := p.Alpha, p.Beta
	switch p.Op {
	case UnaryAbs:
		for i, v := range s {
			d[i] = T(math.Abs(float64(v)))
		}
	case UnaryNeg:
		for i, v := range s {
			d[i] = -v
		}
	case UnaryExp:
		for i, v := range s {
			d[i] = T(math.Exp(float64(v)))
		}
	case UnaryLog:
		for i, v := range s {
			d[i] = T(math.Log(float64(v)))
		}
	case UnarySqrt:
		for i, v := range s {
			d[i] = T(math.Sqrt(float64(v)))
		}
	case UnaryReciprocal:
		for i, v := range s {
			d[i] = 1 / v
		}
	case UnaryFloor:
		for i, v := range s {
			d[i] = T(math.Floor(float64(v)))
		}
	case UnaryCeil:
		for i, v := range s {
			d[i] = T(math.Ceil(float64(v)))
		}
	case UnaryRound:
		for i, v := range s {
			d[i] = T(math.RoundToEven(float64(v)))
		}
	case UnarySign:
		for i, v := range s {
			d[i] = T(scSign(float64(v)))
		}
	case UnaryRelu:
		for i, v := range s {
			if v < 0 {
				v = 0
			}
			d[i] = v
		}
	case UnarySigmoid:
		for i, v := range s {
			d[i] = T(scSigmoid(float64(v)))
		}
	case UnaryHardSigmoid:
		for i, v := range s {
			d[i] = T(scHardSigmoid(float64(v), a, b))
		}
	case UnaryHardSwish:
		for i, v := range s {
			d[i] = T(float64(v) * scHardSigmoid(float64(v), 1.0/6, 0.5))
		}
	case UnaryTanh:
		for i, v := range s {
			d[i] = T(math.Tanh(float64(v)))
		}
	case UnarySin:
		for i, v := range s {
			d[i] = T(math.Sin(float64(v)))
		}
	case UnaryCos:
		for i, v := range s {
			d[i] = T(math.Cos(float64(v)))
		}
	case UnaryTan:
		for i, v := range s {
			d[i] = T(math.Tan(float64(v)))
		}
	case UnaryAsin:
		for i, v := range s {
			d[i] = T(math.Asin(float64(v)))
		}
	case UnaryAcos:
		for i, v := range s {
			d[i] = T(math.Acos(float64(v)))
		}
	case UnaryAtan:
		for i, v := range s {
			d[i] = T(math.Atan(float64(v)))
		}
	case UnarySinh:
		for i, v := range s {
			d[i] = T(math.Sinh(float64(v)))
		}
	case UnaryCosh:
		for i, v := range s {
			d[i] = T(math.Cosh(float64(v)))
		}
	case UnaryAsinh:
		for i, v := range s {
			d[i] = T(math.Asinh(float64(v)))
		}
	case UnaryAcosh:
		for i, v := range s {
			d[i] = T(math.Acosh(float64(v)))
		}
	case UnaryAtanh:
		for i, v := range s {
			d[i] = T(math.Atanh(float64(v)))
		}
	case UnaryErf:
		for i, v := range s {
			d[i] = T(math.Erf(float64(v)))
		}
	case UnarySoftplus:
		for i, v := range s {
			d[i] = T(scSoftplus(float64(v)))
		}
	case UnarySoftsign:
		for i, v := range s {
			d[i] = T(float64(v) / (1 + math.Abs(float64(v))))
		}
	case UnaryElu:
		for i, v := range s {
			d[i] = T(scElu(float64(v), a))
		}
	case UnarySelu:
		for i, v := range s {
			d[i] = T(scSelu(float64(v), a, b))
		}
	case UnaryCelu:
		for i, v := range s {
			d[i] = T(scCelu(float64(v), a))
		}
	case UnaryLeakyRelu:
		for i, v := range s {
			if v < 0 {
				v = T(a * float64(v))
			}
			d[i] = v
		}
	case UnaryThresholdedRelu:
		for i, v := range s {
			if !(float64(v) > a) {
				v = 0
			}
			d[i] = v
		}
	case UnaryShrink:
		for i, v := range s {
			d[i] = T(scShrink(float64(v), a, b))
		}
	case UnaryMish:
		for i, v := range s {
			d[i] = T(scMish(float64(v)))
		}
	case UnaryGelu:
		for i, v := range s {
			d[i] = T(scGelu(float64(v)))
		}
	case UnaryGeluTanh:
		for i, v := range s {
			d[i] = T(scGeluTanh(float64(v)))
		}
	case UnarySwish:
		for i, v := range s {
			d[i] = T(float64(v) * scSigmoid(a*float64(v)))
		}
	}
}

// ewUnaryF32 computes the float32 ops built on vecmath.go's vector functions (float32
// polynomial approximations within 2 ulp, where the float64 loops of ewUnaryF are correctly
// rounded in practice) and reports whether p.Op is one of them. Gelu, GeluTanh and Swish go
// through a block on the stack, so d may be s.
func ewUnaryF32(p *UnaryParams, d, s []float32) bool {
	switch p.Op {
	case UnaryExp:
		VecExp(d, s)
	case UnaryErf:
		VecErf(d, s)
	case UnaryTanh:
		VecTanh(d, s)
	case UnarySigmoid:
		VecSigmoid(d, s)
	case UnaryGelu:
		VecGelu(d, s)
	case UnaryGeluTanh, UnarySwish:
		var buf [ewBlock]float32
		a := float32(p.Alpha)
		for i := 0; i < len(s); i += ewBlock {
			x := s[i:min(i+ewBlock, len(s))]
			t := buf[:len(x)]
			y := d[i : i+len(x)]
			switch p.Op {
			case UnaryGeluTanh:
				// x*sigmoid(2u), as scGeluTanh.
				const k2 = 2 * 0.7978845608028654
				for k, v := range x {
					t[k] = k2 * (v + 0.044715*v*v*v)
				}
				VecSigmoid(t, t)
				for k, v := range x {
					y[k] = v * t[k]
				}
			case UnarySwish:
				for k, v := range x {
					t[k] = a * v
				}
				VecSigmoid(t, t)
				for k, v := range x {
					y[k] = v * t[k]
				}
			}
		}
	default:
		return false
	}
	return true
}

// ewUnaryI is the integer loop of the ops that integers allow (UnaryIntOK). Arithmetic wraps as
// in two's complement (Abs and Neg of the most negative value give it back); Erf and Shrink go
// through float64 and truncate.
func ewUnaryI[T ewInt](p *UnaryParams, d, s []T) {
	d = d[:len(s)]
	var one T = 1
	switch p.Op {
	case UnaryAbs:
		for i, v := range s {
			if v < 0 {
				v = -v
			}
			d[i] = v
		}
	case UnaryNeg:
		for i, v := range s {
			d[i] = -v
		}
	case UnarySign:
		for i, v := range s {
			switch {
			case v > 0:
				d[i] = one
			case v < 0:
				d[i] = 0 - one
			default:
				d[i] = 0
			}
		}
	case UnaryRelu:
		for i, v := range s {
			if v < 0 {
				v = 0
			}
			d[i] = v
		}
	case UnaryErf:
		for i, v := range s {
			d[i] = T(math.Erf(float64(v)))
		}
	case UnaryShrink:
		for i, v := range s {
			d[i] = T(scShrink(float64(v), p.Alpha, p.Beta))
		}
	case UnaryBitwiseNot:
		for i, v := range s {
			d[i] = ^v
		}
	}
}

func ewPredPar[T ewFloat](x *Exec, p *UnaryParams, d []bool, s []T) {
	parFor(x.Pool, len(s), 1, ewPredJob[T]{p: p, d: d, s: s})
}

type ewPredJob[T ewFloat] struct {
	p *UnaryParams
	d []bool
	s []T
}

func (j ewPredJob[T]) run(lo, hi int) { ewPred(j.p, j.d[lo:hi], j.s[lo:hi]) }

// ewPred is IsNaN and IsInf.
func ewPred[T ewFloat](p *UnaryParams, d []bool, s []T) {
	d = d[:len(s)]
	if p.Op == UnaryIsNaN {
		for i, v := range s {
			d[i] = v != v
		}
		return
	}
	neg, pos := p.Alpha != 0, p.Beta != 0
	for i, v := range s {
		f := float64(v)
		d[i] = (pos && f > math.MaxFloat64) || (neg && f < -math.MaxFloat64)
	}
}

// ewMaxOps is the most operands a broadcast walk handles (Where has three).
const ewMaxOps = 3

// ewLayout is a broadcast walk over an output shape. Dims of size 1 are dropped and adjacent dims
// that every operand walks the same way (contiguously together, or broadcast together) are
// merged, so [N,C,H,W]+[C,1,1] walks [N,C,H*W] and same-shaped operands walk one flat row. The
// innermost stride of every operand is then 0 or 1: a row of an operand is either contiguous or
// one repeated element. Its slices live in the Exec's Ints arena.
type ewLayout struct {
	n     int
	ops   int
	shape []int
	st    [ewMaxOps][]int
}

// ewNewLayout plans the walk of out for operands of the given shapes, which must broadcast to it.
// The caller releases x's Ints arena after the walk.
func ewNewLayout(x *Exec, out []int, ins ...[]int) ewLayout {
	l := ewLayout{n: NumElems(out), ops: len(ins)}
	r := len(out)
	var full [ewMaxOps][]int
	for k, s := range ins {
		full[k] = x.Ints(r)
		broadcastStridesInto(full[k], s, out)
	}
	c := max(r, 1)
	l.shape = x.Ints(c)[:0]
	for k := 0; k < l.ops; k++ {
		l.st[k] = x.Ints(c)[:0]
	}
	for i, dim := range out {
		if dim == 1 {
			continue
		}
		r := len(l.shape)
		merge := r > 0
		for k := 0; k < l.ops && merge; k++ {
			merge = l.st[k][r-1] == full[k][i]*dim
		}
		if merge {
			l.shape[r-1] *= dim
			for k := 0; k < l.ops; k++ {
				l.st[k][r-1] = full[k][i]
			}
			continue
		}
		l.shape = append(l.shape, dim)
		for k := 0; k < l.ops; k++ {
			l.st[k] = append(l.st[k], full[k][i])
		}
	}
	if len(l.shape) == 0 {
		l.shape = append(l.shape, 1)
		for k := 0; k < l.ops; k++ {
			l.st[k] = append(l.st[k], 0)
		}
	}
	return l
}

// inner is operand k's stride along the innermost dim: 1 (contiguous) or 0 (repeated).
func (l *ewLayout) inner(k int) int { return l.st[k][len(l.shape)-1] }

// work is the walk's parallel-for size: rows (elements, for a one-dim walk) and the cost of each.
func (l *ewLayout) work(cost int) (n, c int) {
	r := len(l.shape)
	if l.n == 0 {
		return 0, cost
	}
	if r == 1 {
		return l.shape[0], cost
	}
	return l.n / l.shape[r-1], cost * l.shape[r-1]
}

// walk calls f for rows [lo, hi) of the walk (elements [lo, hi) of a one-dim walk), a chunk
// of the parallel-for that work sizes: the row starts at output element o, has cnt elements,
// and starts at element off[k] of operand k. With group > 1, up to group consecutive rows along
// the second-innermost dim come in one call (cnt is then a multiple of the row length; operand
// k moves by its stride along that dim from row to row). The walk keeps its own odometer
// (rather than a StridedIndex) so that each chunk can start at any row.
func (l *ewLayout) walk(lo, hi, group int, f func(o, cnt int, off [ewMaxOps]int)) {
	r := len(l.shape)
	var off [ewMaxOps]int
	if r == 1 {
		for k := 0; k < l.ops; k++ {
			off[k] = lo * l.st[k][0]
		}
		f(lo, hi-lo, off)
		return
	}
	inner := l.shape[r-1]
	var posBuf [8]int
	pos := rowPos(&posBuf, l.shape, lo)
	for d := r - 2; d >= 0; d-- {
		for k := 0; k < l.ops; k++ {
			off[k] += pos[d] * l.st[k][d]
		}
	}
	for row := lo; row < hi; {
		d := r - 2
		g := min(group, l.shape[d]-pos[d], hi-row)
		f(row*inner, g*inner, off)
		row += g
		pos[d] += g
		for k := 0; k < l.ops; k++ {
			off[k] += g * l.st[k][d]
		}
		for pos[d] == l.shape[d] && d > 0 { // carry into the outer dims
			for k := 0; k < l.ops; k++ {
				off[k] -= l.st[k][d] * l.shape[d]
			}
			pos[d] = 0
			d--
			pos[d]++
			for k := 0; k < l.ops; k++ {
				off[k] += l.st[k][d]
			}
		}
	}
}

// ewRow is the part of operand a that a row reads: cnt contiguous elements, or the one element
// repeated along the row.
func ewRow[T any](a []T, off, cnt, stride int) []T {
	if stride == 0 {
		return a[off : off+1]
	}
	return a[off : off+cnt]
}

package runtime

import (
	"fmt"
	"math"
	"slices"
)

// Binary op codes (BinaryParams.Op).
const (
	BinaryAdd = iota
	BinarySub
	BinaryMul
	BinaryDiv  // integers truncate; integer division by zero gives 0
	BinaryMod  // remainder with the divisor's sign (numpy mod; ONNX Mod with fmod=0)
	BinaryFmod // remainder with the dividend's sign (C fmod; ONNX Mod with fmod=1)
	BinaryPow  // the exponent may have any numeric type; the result has the base's
	BinaryMax  // NaN propagates
	BinaryMin  // NaN propagates
	BinaryPRelu
	BinaryBitAnd
	BinaryBitOr
	BinaryBitXor
	BinaryShl
	BinaryShr
	BinaryAnd
	BinaryOr
	BinaryXor
	BinaryEqual
	BinaryLess
	BinaryLessEqual
	BinaryGreater
	BinaryGreaterEqual
	binaryCount
)

// BinaryParams configures Binary.
type BinaryParams struct{ Op int }

// BinaryIsCompare reports whether op is a comparison, whose result is bool.
func BinaryIsCompare(op int) bool { return op >= BinaryEqual && op <= BinaryGreaterEqual }

// BinaryIsLogic reports whether op is And, Or or Xor (bool operands).
func BinaryIsLogic(op int) bool { return op >= BinaryAnd && op <= BinaryXor }

// BinaryIntOnly reports whether op is a bitwise op or a shift (integer operands).
func BinaryIntOnly(op int) bool { return op >= BinaryBitAnd && op <= BinaryShr }

// Binary applies a two-input elementwise op with numpy broadcasting. Both operands have one type
// except for Pow's exponent; comparisons give bool, the rest the first operand's type. PRelu
// broadcasts the slope to X's shape only (X is not broadcast).
func Binary(x *Exec, p *BinaryParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	a, b := in[0], in[1]
	op := p.Op
	if op < 0 || op >= binaryCount {
		return fmt.Errorf("binary op code %d is unknown", op)
	}
	dt := a.DType
	if op != BinaryPow && b.DType != dt {
		return fmt.Errorf("operand types %s and %s differ", dt, b.DType)
	}
	if err := ewBinaryTypeOK(op, dt, b.DType); err != nil {
		return err
	}
	shape := a.Shape
	if !slices.Equal(a.Shape, b.Shape) {
		var err error
		if shape, err = broadcastShape(x, a.Shape, b.Shape); err != nil {
			return err
		}
		if op == BinaryPRelu && !slices.Equal(shape, a.Shape) {
			return fmt.Errorf("PRelu slope of shape %v does not broadcast to X's shape %v", b.Shape, a.Shape)
		}
	}
	odt := dt
	if BinaryIsCompare(op) {
		odt = Bool
	}
	lv := ewNewLayout(x, shape, a.Shape, b.Shape)
	l := &lv
	// Half-precision operands are widened into scratch before the output is resized, so in-place
	// use stays correct.
	var af, bf []float32
	if ewIsHalf(dt) {
		af = ewHalfTensor(x, 0, a)
	}
	var e []float64
	if op == BinaryPow {
		e = ewExponent(x, b)
	} else if ewIsHalf(dt) {
		bf = ewHalfTensor(x, 1, b)
	}
	out[0].Resize(odt, shape...)
	if l.n == 0 {
		return nil
	}
	cost := 1
	if op == BinaryPow || op == BinaryMod || op == BinaryFmod {
		cost = 20
	}
	if BinaryIsCompare(op) {
		d := Data[bool](out[0])
		switch dt {
		case Float32:
			ewBinCmp(x, l, op, d, Data[float32](a), Data[float32](b))
		case Float64:
			ewBinCmp(x, l, op, d, Data[float64](a), Data[float64](b))
		case Float16, BFloat16:
			ewBinCmp(x, l, op, d, af, bf)
		case Int8:
			ewBinCmp(x, l, op, d, Data[int8](a), Data[int8](b))
		case Int16:
			ewBinCmp(x, l, op, d, Data[int16](a), Data[int16](b))
		case Int32:
			ewBinCmp(x, l, op, d, Data[int32](a), Data[int32](b))
		case Int64:
			ewBinCmp(x, l, op, d, Data[int64](a), Data[int64](b))
		case Uint8, Bool: // bools are bytes holding 0 or 1
			ewBinCmp(x, l, op, d, Data[uint8](a), Data[uint8](b))
		case Uint16:
			ewBinCmp(x, l, op, d, Data[uint16](a), Data[uint16](b))
		case Uint32:
			ewBinCmp(x, l, op, d, Data[uint32](a), Data[uint32](b))
		case Uint64:
			ewBinCmp(x, l, op, d, Data[uint64](a), Data[uint64](b))
		case String:
			ewBinCmp(x, l, op, d, a.Strs, b.Strs)
		}
		return nil
	}
	if BinaryIsLogic(op) {
		ewRun2[ewOpLogic](x, l, 1, Data[bool](out[0]), Data[bool](a), Data[bool](b), op)
		return nil
	}
	if op == BinaryPow {
		intExp := b.DType.IsInt() || b.DType == Bool
		switch dt {
		case Float32:
			ewRun2[ewOpPowF[float32]](x, l, cost, Data[float32](out[0]), Data[float32](a), e, op)
		case Float64:
			ewRun2[ewOpPowF[float64]](x, l, cost, Data[float64](out[0]), Data[float64](a), e, op)
		case Float16, BFloat16:
			d := ScratchOf[float32](x, 2, l.n)
			ewRun2[ewOpPowF[float32]](x, l, cost, d, af, e, op)
			ewHalfStore(dt, Data[uint16](out[0]), d)
		case Int8:
			ewPowIRun(x, l, intExp, Data[int8](out[0]), Data[int8](a), e)
		case Int16:
			ewPowIRun(x, l, intExp, Data[int16](out[0]), Data[int16](a), e)
		case Int32:
			ewPowIRun(x, l, intExp, Data[int32](out[0]), Data[int32](a), e)
		case Int64:
			ewPowIRun(x, l, intExp, Data[int64](out[0]), Data[int64](a), e)
		case Uint8:
			ewPowIRun(x, l, intExp, Data[uint8](out[0]), Data[uint8](a), e)
		case Uint16:
			ewPowIRun(x, l, intExp, Data[uint16](out[0]), Data[uint16](a), e)
		case Uint32:
			ewPowIRun(x, l, intExp, Data[uint32](out[0]), Data[uint32](a), e)
		case Uint64:
			ewPowIRun(x, l, intExp, Data[uint64](out[0]), Data[uint64](a), e)
		}
		return nil
	}
	switch dt {
	case Float32:
		ewBinF(x, l, op, cost, Data[float32](out[0]), Data[float32](a), Data[float32](b))
	case Float64:
		ewBinF(x, l, op, cost, Data[float64](out[0]), Data[float64](a), Data[float64](b))
	case Float16, BFloat16:
		d := ScratchOf[float32](x, 2, l.n)
		ewBinF(x, l, op, cost, d, af, bf)
		ewHalfStore(dt, Data[uint16](out[0]), d)
	case Int8:
		ewBinI(x, l, op, cost, Data[int8](out[0]), Data[int8](a), Data[int8](b))
	case Int16:
		ewBinI(x, l, op, cost, Data[int16](out[0]), Data[int16](a), Data[int16](b))
	case Int32:
		ewBinI(x, l, op, cost, Data[int32](out[0]), Data[int32](a), Data[int32](b))
	case Int64:
		ewBinI(x, l, op, cost, Data[int64](out[0]), Data[int64](a), Data[int64](b))
	case Uint8:
		ewBinI(x, l, op, cost, Data[uint8](out[0]), Data[uint8](a), Data[uint8](b))
	case Uint16:
		ewBinI(x, l, op, cost, Data[uint16](out[0]), Data[uint16](a), Data[uint16](b))
	case Uint32:
		ewBinI(x, l, op, cost, Data[uint32](out[0]), Data[uint32](a), Data[uint32](b))
	case Uint64:
		ewBinI(x, l, op, cost, Data[uint64](out[0]), Data[uint64](a), Data[uint64](b))
	}
	return nil
}

// ewBinaryTypeOK checks the operand types an op is defined on.
func ewBinaryTypeOK(op int, dt, edt DType) error {
	var ok bool
	switch {
	case BinaryIsLogic(op):
		ok = dt == Bool
	case op == BinaryEqual:
		ok = dt.Valid() // numbers, bool and string
	case BinaryIntOnly(op):
		ok = dt.IsInt()
	case op == BinaryPow:
		ok = (dt.IsFloat() || dt.IsInt()) && (edt.IsFloat() || edt.IsInt())
	default:
		ok = dt.IsFloat() || dt.IsInt()
	}
	if !ok {
		if op == BinaryPow {
			return fmt.Errorf("binary op %d of %s and %s is not supported", op, dt, edt)
		}
		return fmt.Errorf("binary op %d of %s is not supported", op, dt)
	}
	return nil
}

// ewOp2 is an elementwise loop of two operands as a type, so that the row walk calls it without
// a closure: apply runs op over equal-length slices.
type ewOp2[A, B, U any] interface {
	apply(op int, d []U, a []A, b []B)
}

type ewOpArithF[T ewFloat] struct{}

func (ewOpArithF[T]) apply(op int, d, a, b []T) { ewArithF(op, d, a, b) }

type ewOpArithI[T ewInt] struct{}

func (ewOpArithI[T]) apply(op int, d, a, b []T) { ewArithI(op, d, a, b) }

type ewOpCmp[T ewOrd] struct{}

func (ewOpCmp[T]) apply(op int, d []bool, a, b []T) { ewCmp(op, d, a, b) }

type ewOpLogic struct{}

func (ewOpLogic) apply(op int, d, a, b []bool) { ewLogic(op, d, a, b) }

type ewOpPowF[T ewFloat] struct{}

func (ewOpPowF[T]) apply(_ int, d, a []T, e []float64) { ewPowF(d, a, e) }

// ewOpPowI takes op 1 for integer exponents, 0 for float ones.
type ewOpPowI[T ewInt] struct{}

func (ewOpPowI[T]) apply(op int, d, a []T, e []float64) { ewPowI(op != 0, d, a, e) }

// ewRun2 applies F's loop for op to every row of the layout. The loop sees equal-length slices:
// a repeated operand element is expanded into a block first, so each op needs only its vector
// loop. The blocks are the Exec's on the serial path; a parallel chunk makes its own, and only
// when an operand repeats.
//
// Short rows would spend more on the walk than on the op, so when every operand either walks
// the last two dims contiguously, repeats one row along them ([N,7]*[7]), or repeats one
// element, rows are taken in groups that fill a block, with a repeated row tiled into it.
func ewRun2[F ewOp2[A, B, U], A, B, U any](x *Exec, l *ewLayout, cost int, d []U, a []A, b []B, op int) {
	j := ewJob2[F, A, B, U]{l: *l, d: d, a: a, b: b, op: op, sa: l.inner(0), sb: l.inner(1), group: 1}
	r := len(l.shape)
	j.c = l.shape[r-1]
	if r >= 2 && j.c*4 <= ewBlock {
		tileable := true
		for k := 0; k < 2; k++ {
			s0, s1 := l.st[k][r-2], l.st[k][r-1]
			tileable = tileable && (s1 == 1 && (s0 == j.c || s0 == 0) || s0 == 0 && s1 == 0)
		}
		if tileable {
			j.group = ewBlock / j.c
			j.ta = l.st[0][r-2] == 0 && j.sa == 1
			j.tb = l.st[1][r-2] == 0 && j.sb == 1
		}
	}
	j.m = min(j.c*j.group, ewBlock)
	n, c := l.work(cost)
	// Each chunk of the parallel-for has blocks of its own: chunk k starts at row k*j.chunk.
	chunks := 1
	j.chunk = max(n, 1)
	if !x.Pool.Serial(n, c) {
		j.chunk = x.Pool.chunk(n)
		chunks = (n + j.chunk - 1) / j.chunk
	}
	if j.needA() {
		j.ab = ewBlockOf[A](x, 0, chunks*j.m)
	}
	if j.needB() {
		j.bb = ewBlockOf[B](x, 1, chunks*j.m)
	}
	parFor(x.Pool, n, c, j)
}

// ewJob2 is ewRun2's loop body over a chunk of the walk.
type ewJob2[F ewOp2[A, B, U], A, B, U any] struct {
	l        ewLayout
	d        []U
	a        []A
	b        []B
	op       int
	sa, sb   int  // inner strides
	c        int  // row length
	group, m int  // rows per call, block length
	ta, tb   bool // operand repeats one row of c elements along dim r-2
	chunk    int  // rows per parallel chunk
	ab       []A  // blocks, m per chunk
	bb       []B
}

func (j *ewJob2[F, A, B, U]) needA() bool { return (j.sa == 0 || j.ta) && j.m > 1 }
func (j *ewJob2[F, A, B, U]) needB() bool { return (j.sb == 0 || j.tb) && j.m > 1 }

func (j ewJob2[F, A, B, U]) run(lo, hi int) {
	var ab []A
	var bb []B
	if k := lo / j.chunk; j.ab != nil {
		ab = j.ab[k*j.m : (k+1)*j.m]
	}
	if k := lo / j.chunk; j.bb != nil {
		bb = j.bb[k*j.m : (k+1)*j.m]
	}
	d, a, b, sa, sb, op := j.d, j.a, j.b, j.sa, j.sb, j.op
	if !j.ta && !j.tb {
		j.l.walk(lo, hi, j.group, func(o, cnt int, off [ewMaxOps]int) {
			ewApply2[F](op, d[o:o+cnt], ewRow(a, off[0], cnt, sa), ewRow(b, off[1], cnt, sb), ab, bb)
		})
		return
	}
	// A tiled operand is expanded here and handed on as a full-length row; the tile is kept
	// while the operand's row and the group length stay the same.
	ta, tb, c := j.ta, j.tb, j.c
	lastA, lastB := -1, -1
	lenA, lenB := 0, 0
	j.l.walk(lo, hi, j.group, func(o, cnt int, off [ewMaxOps]int) {
		var ra []A
		var rb []B
		if ta {
			if off[0] != lastA || cnt > lenA {
				ewTile(ab[:cnt], a[off[0]:off[0]+c])
				lastA, lenA = off[0], cnt
			}
			ra = ab[:cnt]
		} else {
			ra = ewRow(a, off[0], cnt, sa)
		}
		if tb {
			if off[1] != lastB || cnt > lenB {
				ewTile(bb[:cnt], b[off[1]:off[1]+c])
				lastB, lenB = off[1], cnt
			}
			rb = bb[:cnt]
		} else {
			rb = ewRow(b, off[1], cnt, sb)
		}
		ewApply2[F](op, d[o:o+cnt], ra, rb, ab, bb)
	})
}

// ewTile fills d with copies of row (len(d) is a multiple of len(row)).
func ewTile[T any](d, row []T) {
	for i := 0; i < len(d); i += len(row) {
		copy(d[i:], row)
	}
}

// ewApply2 runs F's loop for op on d with a and b, each either len(d) long or a single element
// to repeat, expanded into ab or bb (at least min(len(d), ewBlock) long when needed).
func ewApply2[F ewOp2[A, B, U], A, B, U any](op int, d []U, a []A, b []B, ab []A, bb []B) {
	var f F
	n := len(d)
	if len(a) == n && len(b) == n {
		f.apply(op, d, a, b)
		return
	}
	m := min(n, ewBlock)
	if len(a) != n {
		ab = ab[:m]
		for i := range ab {
			ab[i] = a[0]
		}
	}
	if len(b) != n {
		bb = bb[:m]
		for i := range bb {
			bb[i] = b[0]
		}
	}
	for lo := 0; lo < n; lo += ewBlock {
		hi := min(lo+ewBlock, n)
		var ra []A
		var rb []B
		if len(a) == n {
			ra = a[lo:hi]
		} else {
			ra = ab[:hi-lo]
		}
		if len(b) == n {
			rb = b[lo:hi]
		} else {
			rb = bb[:hi-lo]
		}
		f.apply(op, d[lo:hi], ra, rb)
	}
}

func ewBinF[T ewFloat](x *Exec, l *ewLayout, op, cost int, d, a, b []T) {
	ewRun2[ewOpArithF[T]](x, l, cost, d, a, b, op)
}

func ewBinI[T ewInt](x *Exec, l *ewLayout, op, cost int, d, a, b []T) {
	ewRun2[ewOpArithI[T]](x, l, cost, d, a, b, op)
}

func ewBinCmp[T ewOrd](x *Exec, l *ewLayout, op int, d []bool, a, b []T) {
	ewRun2[ewOpCmp[T]](x, l, 1, d, a, b, op)
}

// ewArithF is the float loop of each arithmetic op; d may alias a or b.
func ewArithF[T ewFloat](op int, d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	if fd, ok := asFloat32(d); ok {
		fa, _ := asFloat32(a)
		fb, _ := asFloat32(b)
		m := arithVec(op, fd, fa, fb)
		d, a, b = d[m:], a[m:], b[m:]
	}
	switch op {
	case BinaryAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case BinarySub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case BinaryMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case BinaryDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case BinaryMod:
		for i := range d {
			d[i] = T(scPythonMod(float64(a[i]), float64(b[i])))
		}
	case BinaryFmod:
		for i := range d {
			d[i] = T(math.Mod(float64(a[i]), float64(b[i])))
		}
	case BinaryMax:
		for i := range d {
			v, w := a[i], b[i]
			if v > w || v != v {
				d[i] = v
			} else {
				d[i] = w
			}
		}
	case BinaryMin:
		for i := range d {
			v, w := a[i], b[i]
			if v < w || v != v {
				d[i] = v
			} else {
				d[i] = w
			}
		}
	case BinaryPRelu:
		for i := range d {
			v := a[i]
			if v < 0 {
				v *= b[i]
			}
			d[i] = v
		}
	}
}

// ewArithI is the integer loop of each arithmetic, bitwise and shift op. Arithmetic wraps;
// division and remainder by zero give 0 instead of Go's panic (ONNX leaves them undefined);
// shift counts are taken as unsigned, so negative or too large counts shift everything out.
func ewArithI[T ewInt](op int, d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case BinaryAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case BinarySub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case BinaryMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case BinaryDiv:
		for i := range d {
			if w := b[i]; w != 0 {
				d[i] = a[i] / w
			} else {
				d[i] = 0
			}
		}
	case BinaryMod:
		for i := range d {
			v, w := a[i], b[i]
			if w == 0 {
				d[i] = 0
				continue
			}
			r := v % w
			if r != 0 && (r < 0) != (w < 0) {
				r += w
			}
			d[i] = r
		}
	case BinaryFmod:
		for i := range d {
			if w := b[i]; w != 0 {
				d[i] = a[i] % w
			} else {
				d[i] = 0
			}
		}
	case BinaryMax:
		for i := range d {
			d[i] = max(a[i], b[i])
		}
	case BinaryMin:
		for i := range d {
			d[i] = min(a[i], b[i])
		}
	case BinaryPRelu:
		for i := range d {
			v := a[i]
			if v < 0 {
				v *= b[i]
			}
			d[i] = v
		}
	case BinaryBitAnd:
		for i := range d {
			d[i] = a[i] & b[i]
		}
	case BinaryBitOr:
		for i := range d {
			d[i] = a[i] | b[i]
		}
	case BinaryBitXor:
		for i := range d {
			d[i] = a[i] ^ b[i]
		}
	case BinaryShl:
		for i := range d {
			d[i] = a[i] << uint64(b[i])
		}
	case BinaryShr:
		for i := range d {
			d[i] = a[i] >> uint64(b[i])
		}
	}
}

// ewCmp is the loop of each comparison.
func ewCmp[T ewOrd](op int, d []bool, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case BinaryEqual:
		for i := range d {
			d[i] = a[i] == b[i]
		}
	case BinaryLess:
		for i := range d {
			d[i] = a[i] < b[i]
		}
	case BinaryLessEqual:
		for i := range d {
			d[i] = a[i] <= b[i]
		}
	case BinaryGreater:
		for i := range d {
			d[i] = a[i] > b[i]
		}
	case BinaryGreaterEqual:
		for i := range d {
			d[i] = a[i] >= b[i]
		}
	}
}

// ewLogic is And, Or and Xor.
func ewLogic(op int, d, a, b []bool) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case BinaryAnd:
		for i := range d {
			d[i] = a[i] && b[i]
		}
	case BinaryOr:
		for i := range d {
			d[i] = a[i] || b[i]
		}
	case BinaryXor:
		for i := range d {
			d[i] = a[i] != b[i]
		}
	}
}

// ewExponent reads Pow's exponent as float64 (exact for every exponent that matters, and the
// precision math.Pow works in), in scratch slot 3 unless it already is float64.
func ewExponent(x *Exec, t *Tensor) []float64 {
	if t.DType == Float64 {
		return Data[float64](t)
	}
	e := ScratchOf[float64](x, 3, t.Len())
	switch t.DType {
	case Float32:
		ewWiden(e, Data[float32](t))
	case Float16, BFloat16:
		for i, v := range Data[uint16](t) {
			if t.DType == Float16 {
				e[i] = float64(F16(v).Float32())
			} else {
				e[i] = float64(BF16(v).Float32())
			}
		}
	case Int8:
		ewWiden(e, Data[int8](t))
	case Int16:
		ewWiden(e, Data[int16](t))
	case Int32:
		ewWiden(e, Data[int32](t))
	case Int64:
		ewWiden(e, Data[int64](t))
	case Uint8, Bool:
		ewWiden(e, Data[uint8](t))
	case Uint16:
		ewWiden(e, Data[uint16](t))
	case Uint32:
		ewWiden(e, Data[uint32](t))
	case Uint64:
		ewWiden(e, Data[uint64](t))
	}
	return e
}

func ewWiden[T ewNum](d []float64, s []T) {
	d = d[:len(s)]
	for i, v := range s {
		d[i] = float64(v)
	}
}

// ewPowF raises float bases to float64 exponents; the common square is a plain multiply (which
// is exactly what math.Pow gives).
func ewPowF[T ewFloat](d, a []T, e []float64) {
	a, e = a[:len(d)], e[:len(d)]
	for i := range d {
		if w := e[i]; w == 2 {
			d[i] = a[i] * a[i]
		} else {
			d[i] = T(math.Pow(float64(a[i]), w))
		}
	}
}

func ewPowIRun[T ewInt](x *Exec, l *ewLayout, intExp bool, d, a []T, e []float64) {
	op := 0
	if intExp {
		op = 1
	}
	ewRun2[ewOpPowI[T]](x, l, 20, d, a, e, op)
}

// ewPowI raises integer bases: to integer exponents by repeated squaring with wrapping
// arithmetic (a negative exponent truncates 1/a^-e toward zero), to float exponents in float64
// and truncated back.
func ewPowI[T ewInt](intExp bool, d, a []T, e []float64) {
	a, e = a[:len(d)], e[:len(d)]
	if !intExp {
		for i := range d {
			d[i] = T(math.Pow(float64(a[i]), e[i]))
		}
		return
	}
	var one T = 1
	for i := range d {
		base, k := a[i], int64(e[i])
		if k < 0 {
			switch {
			case base == one:
				d[i] = one
			case base == 0-one && base < 0: // -1: the sign alternates
				if k&1 == 0 {
					d[i] = one
				} else {
					d[i] = base
				}
			default:
				d[i] = 0
			}
			continue
		}
		r := one
		for k > 0 {
			if k&1 != 0 {
				r *= base
			}
			base *= base
			k >>= 1
		}
		d[i] = r
	}
}

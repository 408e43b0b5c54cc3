package runtime

import (
	"fmt"
	"math"
)

// This file holds the quantization kernels: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, MatMulInteger and QLinearMatMul. Arithmetic follows the ONNX reference:
// division and scaling in the precision numpy would pick for the operand types, rounding to
// nearest even, saturation to the target type's range.

// qzLayout maps element (o, a, i) of x viewed as outer x axis x inner to its scale (and zero
// point) index (o*so + (a/block)*sa + i*si): all strides zero per tensor, sa = 1 per axis, and
// the scale's own strides for blocked quantization.
type qzLayout struct {
	outer, axisN, inner int
	block               int
	so, sa, si          int
}

func qzMakeLayout(xs, ss []int, axis, block int) (qzLayout, error) {
	l := qzLayout{outer: 1, axisN: 1, inner: 1, block: 1}
	r := len(xs)
	n := NumElems(ss)
	if n == 1 && block <= 0 {
		l.inner = NumElems(xs)
		return l, nil
	}
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return l, fmt.Errorf("axis %d out of range for input of shape %v", axis, xs)
	}
	l.outer, l.axisN, l.inner = NumElems(xs[:axis]), xs[axis], NumElems(xs[axis+1:])
	if block <= 0 {
		if len(ss) != 1 || ss[0] != xs[axis] {
			return l, fmt.Errorf("scale of shape %v does not match axis %d of input of shape %v", ss, axis, xs)
		}
		l.sa = 1
		return l, nil
	}
	if len(ss) != r {
		return l, fmt.Errorf("blocked scale of shape %v does not match input of shape %v", ss, xs)
	}
	for i := range ss {
		want := xs[i]
		if i == axis {
			want = (xs[i] + block - 1) / block
		}
		if ss[i] != want {
			return l, fmt.Errorf("blocked scale of shape %v does not match input of shape %v with block size %d on axis %d", ss, xs, block, axis)
		}
	}
	l.block = block
	l.si = 1
	l.sa = l.inner
	l.so = ss[axis] * l.inner
	return l, nil
}

// qzFloats returns a float tensor's values as float64 (scratch slot).
func qzFloats(x *Exec, t *Tensor, slot int) ([]float64, error) {
	d := ScratchOf[float64](x, slot, t.Len())
	switch t.DType {
	case Float32:
		for i, v := range Data[float32](t) {
			d[i] = float64(v)
		}
	case Float64:
		copy(d, Data[float64](t))
	case Float16:
		for i, v := range Data[F16](t) {
			d[i] = float64(v.Float32())
		}
	case BFloat16:
		for i, v := range Data[BF16](t) {
			d[i] = float64(v.Float32())
		}
	case Int32:
		for i, v := range Data[int32](t) {
			d[i] = float64(v)
		}
	default:
		return nil, fmt.Errorf("%s tensor where a float tensor is expected", t.DType)
	}
	return d, nil
}

// qzPrecision is the type numpy computes x / scale in: the wider float of the two, float64 for
// an integer x, or the explicit precision.
func qzPrecision(xdt, sdt, precision DType) DType {
	if precision != Undefined {
		return precision
	}
	switch {
	case xdt == Float64 || sdt == Float64 || xdt == Int32:
		return Float64
	case xdt == Float32 || sdt == Float32 || xdt != sdt:
		return Float32
	}
	return xdt
}

// qzRound64 rounds a float64 result to the precision of dt.
func qzRound64(v float64, dt DType) float64 {
	switch dt {
	case Float32:
		return float64(float32(v))
	case Float16:
		return float64(ToF16(float32(v)).Float32())
	case BFloat16:
		return float64(ToBF16(float32(v)).Float32())
	}
	return v
}

// QuantizeLinearParams configures QuantizeLinear. OutputType is the quantized type when there
// is no zero-point input (output_dtype, default uint8); Precision is the type of the division
// (Undefined: numpy's promotion of the input and scale types); NoSaturate is saturate=0, for
// float8 outputs.
type QuantizeLinearParams struct {
	Axis       int
	BlockSize  int
	OutputType DType
	Precision  DType
	NoSaturate bool
}

// QuantizeLinear is ONNX QuantizeLinear to integer types of 2 to 32 bits, rounding to nearest
// even and saturating, and to the float8 and float4 types, converting x / scale + zero_point
// as Cast does (saturating unless NoSaturate): per tensor, per axis or blocked.
func QuantizeLinear(x *Exec, p *QuantizeLinearParams, out, in []*Tensor) error {
	X, S, Z := in[0], in[1], qzOpt(in, 2)
	odt := p.OutputType
	if Z != nil {
		odt = Z.DType
	}
	if odt == Undefined {
		odt = Uint8
	}
	mini := odt.IsMiniFloat()
	var lo, hi float64
	if !mini {
		var err error
		if lo, hi, err = qzRange(odt); err != nil {
			return err
		}
	}
	l, err := qzMakeLayout(X.Shape, S.Shape, p.Axis, p.BlockSize)
	if err != nil {
		return err
	}
	if Z != nil && !ctEqualInts(Z.Shape, S.Shape) && !(Z.Len() == 1 && S.Len() == 1) {
		return fmt.Errorf("zero point of shape %v differs from scale of shape %v", Z.Shape, S.Shape)
	}
	xs, err := qzFloats(x, X, mmSlotA)
	if err != nil {
		return err
	}
	ss, err := qzFloats(x, S, mmSlotB)
	if err != nil {
		return err
	}
	var zs []int32
	if Z != nil && !mini {
		zs = ScratchOf[int32](x, mmSlotC, Z.Len())
		for i := range zs {
			zs[i] = int32(qzIntAt(Z, i))
		}
	}
	prec := qzPrecision(X.DType, S.DType, p.Precision)
	Y := out[0]
	Y.Resize(odt, X.Shape...)
	if mini {
		var zf []float32
		if Z != nil {
			zf = ScratchOf[float32](x, mmSlotC, Z.Len())
			qzValues32(zf, Z)
		}
		qzQuantizeMini(Data[uint8](Y), xs, ss, zf, l, prec, odt, !p.NoSaturate)
		return nil
	}
	q := ScratchOf[int32](x, mmSlotY, Y.Len())
	e := 0
	for o := 0; o < l.outer; o++ {
		for a := 0; a < l.axisN; a++ {
			sb := o*l.so + (a/l.block)*l.sa
			for i := 0; i < l.inner; i++ {
				si := sb + i*l.si
				v := math.RoundToEven(qzRound64(xs[e]/ss[si], prec))
				if zs != nil {
					v += float64(zs[si])
				}
				q[e] = qzSaturate(v, lo, hi)
				e++
			}
		}
	}
	return qzStore(Y, q)
}

// qzQuantizeMini is QuantizeLinear to a float8 or float4 type: x / scale (in precision prec)
// plus the zero point in float32, converted to dt.
func qzQuantizeMini(y []uint8, xs, ss []float64, zf []float32, l qzLayout, prec, dt DType, sat bool) {
	e := 0
	for o := 0; o < l.outer; o++ {
		for a := 0; a < l.axisN; a++ {
			sb := o*l.so + (a/l.block)*l.sa
			for i := 0; i < l.inner; i++ {
				si := sb + i*l.si
				v := qzRound64(xs[e]/ss[si], prec)
				if zf != nil {
					v = float64(float32(v) + zf[si])
				}
				y[e] = MiniFloatFrom(dt, v, sat)
				e++
			}
		}
	}
}

// qzValues32 reads the values of an integer tensor (2 to 32 bits) or a float8 or float4 tensor
// as float32 into d.
func qzValues32(d []float32, t *Tensor) error {
	if tab := MiniFloatTable(t.DType); tab != nil {
		for i, v := range Data[uint8](t) {
			d[i] = tab[v]
		}
		return nil
	}
	switch t.DType {
	case Int8, Int4, Int2:
		for i, v := range Data[int8](t) {
			d[i] = float32(v)
		}
	case Uint8, Uint4, Uint2:
		for i, v := range Data[uint8](t) {
			d[i] = float32(v)
		}
	case Int16:
		for i, v := range Data[int16](t) {
			d[i] = float32(v)
		}
	case Uint16:
		for i, v := range Data[uint16](t) {
			d[i] = float32(v)
		}
	case Int32:
		for i, v := range Data[int32](t) {
			d[i] = float32(v)
		}
	default:
		return fmt.Errorf("%s is not a supported quantized type", t.DType)
	}
	return nil
}

// DequantizeLinearParams configures DequantizeLinear; OutputType Undefined means the scale's
// type.
type DequantizeLinearParams struct {
	Axis       int
	BlockSize  int
	OutputType DType
}

// DequantizeLinear is ONNX DequantizeLinear from integer types of 2 to 32 bits and the float8
// and float4 types: (x - zero_point) * scale, per tensor, per axis or blocked.
func DequantizeLinear(x *Exec, p *DequantizeLinearParams, out, in []*Tensor) error {
	X, S, Z := in[0], in[1], qzOpt(in, 2)
	if Z != nil && Z.DType != X.DType {
		return fmt.Errorf("zero point type %s differs from input type %s", Z.DType, X.DType)
	}
	l, err := qzMakeLayout(X.Shape, S.Shape, p.Axis, p.BlockSize)
	if err != nil {
		return err
	}
	xs := ScratchOf[float32](x, mmSlotA32, X.Len())
	if err := qzValues32(xs, X); err != nil {
		return err
	}
	ss, err := qzFloats(x, S, mmSlotB)
	if err != nil {
		return err
	}
	var zs []float32
	if Z != nil {
		if Z.Len() != S.Len() {
			return fmt.Errorf("zero point of shape %v differs from scale of shape %v", Z.Shape, S.Shape)
		}
		zs = ScratchOf[float32](x, mmSlotC, Z.Len())
		if err := qzValues32(zs, Z); err != nil {
			return err
		}
	}
	odt := p.OutputType
	if odt == Undefined {
		odt = S.DType
	}
	// The difference is taken in float32 and the product in the wider of float32 and the
	// scale's type.
	prec := Float32
	if S.DType == Float64 {
		prec = Float64
	}
	Y := out[0]
	Y.Resize(odt, X.Shape...)
	y := ScratchOf[float64](x, mmSlotY, Y.Len())
	e := 0
	for o := 0; o < l.outer; o++ {
		for a := 0; a < l.axisN; a++ {
			sb := o*l.so + (a/l.block)*l.sa
			for i := 0; i < l.inner; i++ {
				si := sb + i*l.si
				d := float64(xs[e])
				if zs != nil {
					d = float64(xs[e] - zs[si])
				}
				y[e] = qzRound64(d*ss[si], prec)
				e++
			}
		}
	}
	return qzStoreFloat(Y, y)
}

// qzStoreFloat writes float64 values into a float tensor (already resized).
func qzStoreFloat(t *Tensor, v []float64) error {
	switch t.DType {
	case Float32:
		d := Data[float32](t)
		for i := range d {
			d[i] = float32(v[i])
		}
	case Float64:
		copy(Data[float64](t), v)
	case Float16:
		d := Data[F16](t)
		for i := range d {
			d[i] = ToF16(float32(v[i]))
		}
	case BFloat16:
		d := Data[BF16](t)
		for i := range d {
			d[i] = ToBF16(float32(v[i]))
		}
	default:
		return fmt.Errorf("%s output is not supported", t.DType)
	}
	return nil
}

// DynamicQuantizeLinear is ONNX DynamicQuantizeLinear: uint8 quantization with the scale and
// zero point that map [min(x, 0), max(x, 0)] onto [0, 255], all in float32 arithmetic.
func DynamicQuantizeLinear(x *Exec, _ *struct{}, out, in []*Tensor) error {
	X := in[0]
	xs, err := cvF32(x, X, mmSlotA)
	if err != nil {
		return err
	}
	var lo, hi float32
	for _, v := range xs {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	scale := float32(1)
	if lo != hi {
		scale = (hi - lo) / 255
	}
	zp := float32(math.RoundToEven(float64(min(255, max(0, 0-lo/scale)))))
	out[0].Resize(Uint8, X.Shape...)
	y := Data[uint8](out[0])
	for i, v := range xs {
		q := float32(math.RoundToEven(float64(v/scale))) + zp
		y[i] = uint8(qzSaturate(float64(q), 0, 255))
	}
	out[1].Resize(X.DType)
	switch X.DType {
	case Float32:
		Data[float32](out[1])[0] = scale
	case Float16:
		Data[F16](out[1])[0] = ToF16(scale)
	case BFloat16:
		Data[BF16](out[1])[0] = ToBF16(scale)
	}
	out[2].Resize(Uint8)
	Data[uint8](out[2])[0] = uint8(zp)
	return nil
}

// qzMatMulInt computes the int32 product of A - a_zero_point and B - b_zero_point, the zero
// points being scalars or per row of A and per column of B.
func qzMatMulInt(x *Exec, A, B, az, bz *Tensor, acc []int32, p *mmPlan) error {
	a, err := qzInt32(x, A, mmSlotA32)
	if err != nil {
		return err
	}
	b, err := qzInt32(x, B, mmSlotB32)
	if err != nil {
		return err
	}
	// The shifted copies go to the scratch the 8-bit operands were widened into (or a fresh
	// one for int32 inputs, whose data is the tensor's own).
	if az != nil {
		zp, err := qzZeroPoints(az, p.m, "A's zero point")
		if err != nil {
			return err
		}
		d := ScratchOf[int32](x, mmSlotA32, len(a))
		for e := range d {
			d[e] = a[e] - zp[(e/max(p.k, 1))%p.m]
		}
		a = d
	}
	if bz != nil {
		zp, err := qzZeroPoints(bz, p.n, "B's zero point")
		if err != nil {
			return err
		}
		d := ScratchOf[int32](x, mmSlotB32, len(b))
		for e := range d {
			d[e] = b[e] - zp[e%p.n]
		}
		b = d
	}
	mmGeneric(x, p, a, b, acc)
	return nil
}

// MatMulInteger is ONNX MatMulInteger: the int32 matmul of 8-bit operands less their zero
// points.
func MatMulInteger(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	A, B := in[0], in[1]
	p, err := mmMakePlan(x, A.Shape, B.Shape)
	if err != nil {
		return err
	}
	out[0].Resize(Int32, p.out...)
	return qzMatMulInt(x, A, B, qzOpt(in, 2), qzOpt(in, 3), Data[int32](out[0]), &p)
}

// QLinearMatMul is ONNX QLinearMatMul: the integer matmul of the quantized operands scaled by
// a_scale * b_scale / y_scale (per row of A and per column of B when the scales are vectors)
// and requantized around y_zero_point.
func QLinearMatMul(x *Exec, _ *struct{}, out, in []*Tensor) error {
	A, aScale, az, B, bScale, bz, yScale := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
	defer x.Release(x.Mark())
	yz := qzOpt(in, 7)
	p, err := mmMakePlan(x, A.Shape, B.Shape)
	if err != nil {
		return err
	}
	if yScale.Len() != 1 || (aScale.Len() != 1 && aScale.Len() != p.m) || (bScale.Len() != 1 && bScale.Len() != p.n) {
		return fmt.Errorf("scales of shapes %v, %v, %v: want a scalar y_scale, a_scale per row and b_scale per column", aScale.Shape, bScale.Shape, yScale.Shape)
	}
	odt := A.DType
	var yzp float64
	if yz != nil {
		odt = yz.DType
		yzp = float64(qzIntAt(yz, 0))
	}
	lo, hi, err := qzRange(odt)
	if err != nil {
		return err
	}
	Y := out[0]
	Y.Resize(odt, p.out...)
	acc := ScratchOf[int32](x, mmSlotY, Y.Len())
	if err := qzMatMulInt(x, A, B, az, bz, acc, &p); err != nil {
		return err
	}
	// The multiplier is computed in the scales' precision, as the ONNX reference does.
	ys := qzFloatAt(yScale, 0)
	dt := aScale.DType
	mult := ScratchOf[float64](x, mmSlotC, p.m*p.n)
	for i := 0; i < p.m; i++ {
		as := qzFloatAt(aScale, i%aScale.Len())
		for j := 0; j < p.n; j++ {
			mult[i*p.n+j] = float64(qzRound(qzRound(as*qzFloatAt(bScale, j%bScale.Len()), dt)/ys, dt))
		}
	}
	mn := p.m * p.n
	for e, v := range acc {
		acc[e] = qzSaturate(float64(v)*mult[e%mn]+yzp, lo, hi)
	}
	return qzStore(Y, acc)
}

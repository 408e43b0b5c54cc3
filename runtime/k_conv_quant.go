package runtime

import (
	"fmt"
	"math"
)

// This file holds the integer convolutions, ConvInteger and QLinearConv. Operands are widened to
// int32 with their zero points subtracted (padding then reads as the zero point, contributing
// nothing) and run on the generic convolution.

// qzInt32 widens an integer tensor of 2 to 32 bits to int32, in scratch slot.
func qzInt32(x *Exec, t *Tensor, slot int) ([]int32, error) {
	if t.DType == Int32 {
		return Data[int32](t), nil
	}
	d := ScratchOf[int32](x, slot, t.Len())
	switch t.DType {
	case Int8, Int4, Int2: // the narrow integers are held as int8 and uint8
		for i, v := range Data[int8](t) {
			d[i] = int32(v)
		}
	case Uint8, Uint4, Uint2:
		for i, v := range Data[uint8](t) {
			d[i] = int32(v)
		}
	case Int16:
		for i, v := range Data[int16](t) {
			d[i] = int32(v)
		}
	case Uint16:
		for i, v := range Data[uint16](t) {
			d[i] = int32(v)
		}
	default:
		return nil, fmt.Errorf("%s tensor where an 8- or 16-bit integer tensor is expected", t.DType)
	}
	return d, nil
}

// qzZeroPoints reads an optional zero-point tensor of n entries (or one shared entry) as int32;
// nil when absent.
func qzZeroPoints(t *Tensor, n int, what string) ([]int32, error) {
	if t == nil {
		return nil, nil
	}
	if t.Len() != 1 && t.Len() != n {
		return nil, fmt.Errorf("%s of shape %v, want 1 or %d elements", what, t.Shape, n)
	}
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(qzIntAt(t, i%t.Len()))
	}
	return v, nil
}

// qzIntAt reads element i of an integer tensor.
func qzIntAt(t *Tensor, i int) int64 {
	switch t.DType {
	case Int8, Int4, Int2:
		return int64(Data[int8](t)[i])
	case Uint8, Uint4, Uint2:
		return int64(Data[uint8](t)[i])
	case Int16:
		return int64(Data[int16](t)[i])
	case Uint16:
		return int64(Data[uint16](t)[i])
	case Int32:
		return int64(Data[int32](t)[i])
	case Uint32:
		return int64(Data[uint32](t)[i])
	case Int64:
		return Data[int64](t)[i]
	case Uint64:
		return int64(Data[uint64](t)[i])
	}
	return 0
}

// qzFloatAt reads element i of a float tensor as float32.
func qzFloatAt(t *Tensor, i int) float32 {
	switch t.DType {
	case Float32:
		return Data[float32](t)[i]
	case Float64:
		return float32(Data[float64](t)[i])
	case Float16:
		return Data[F16](t)[i].Float32()
	case BFloat16:
		return Data[BF16](t)[i].Float32()
	}
	return float32(math.NaN())
}

// qzIntConv runs the integer convolution of inputs X, W with optional zero points xz, wz and
// int32 bias B, giving int32 accumulators in acc (resized by the caller's shape).
func qzIntConv(x *Exec, p *ConvParams, X, W, xz, wz, B *Tensor, acc []int32, cd *cvConv) error {
	xs, err := qzInt32(x, X, cvSlotX)
	if err != nil {
		return err
	}
	ws, err := qzInt32(x, W, cvSlotW)
	if err != nil {
		return err
	}
	var xzp int32
	if xz != nil {
		if xz.Len() != 1 {
			return fmt.Errorf("input zero point of shape %v, want one element", xz.Shape)
		}
		xzp = int32(qzIntAt(xz, 0))
	}
	wzp, err := qzZeroPoints(wz, cd.m, "weight zero point")
	if err != nil {
		return err
	}
	var bias []int32
	if B != nil {
		if B.DType != Int32 || B.Len() != cd.m {
			return fmt.Errorf("bias of type %s and shape %v, want int32 with %d elements", B.DType, B.Shape, cd.m)
		}
		bias = Data[int32](B)
	}
	cvConvGeneric(x, cd, xs, ws, bias, acc, xzp, wzp)
	return nil
}

// ConvInteger is ONNX ConvInteger: (X - x_zero_point) convolved with (W - w_zero_point) in int32.
func ConvInteger(x *Exec, p *ConvParams, out, in []*Tensor) error {
	X, W := in[0], in[1]
	w, n, c, m, g, err := cvConvGeom(p, X.Shape, W.Shape)
	if err != nil {
		return err
	}
	Y := out[0]
	ys := w.outShape(n, m)
	Y.Resize(Int32, ys[:w.nsp+2]...)
	cd := cvConv{w: w, n: n, c: c, m: m, g: g}
	return qzIntConv(x, p, X, W, qzOpt(in, 2), qzOpt(in, 3), nil, Data[int32](Y), &cd)
}

// qzOpt returns optional input i or nil.
func qzOpt(in []*Tensor, i int) *Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// QLinearConv is ONNX QLinearConv: the integer convolution of the quantized operands, scaled by
// x_scale * w_scale / y_scale (per output channel when w_scale is) and requantized around
// y_zero_point with rounding to nearest even and saturation.
func QLinearConv(x *Exec, p *ConvParams, out, in []*Tensor) error {
	X, xScale, xz, W, wScale, wz, yScale := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
	yz, B := qzOpt(in, 7), qzOpt(in, 8)
	w, n, c, m, g, err := cvConvGeom(p, X.Shape, W.Shape)
	if err != nil {
		return err
	}
	if xScale.Len() != 1 || yScale.Len() != 1 || (wScale.Len() != 1 && wScale.Len() != m) {
		return fmt.Errorf("scales of shapes %v, %v, %v: want scalars, w_scale per output channel", xScale.Shape, wScale.Shape, yScale.Shape)
	}
	odt := X.DType
	var yzp float64
	if yz != nil {
		odt = yz.DType
		yzp = float64(qzIntAt(yz, 0))
	}
	Y := out[0]
	osh := w.outShape(n, m)
	Y.Resize(odt, osh[:w.nsp+2]...)
	acc := ScratchOf[int32](x, cvSlotY, Y.Len())
	cd := cvConv{w: w, n: n, c: c, m: m, g: g}
	if err := qzIntConv(x, p, X, W, xz, wz, B, acc, &cd); err != nil {
		return err
	}
	// The multiplier is computed in the scales' precision, as the ONNX reference does; the
	// product with the accumulator and the zero point in float64.
	mult := ScratchOf[float64](x, cvSlotB, m)
	xs, ys := qzFloatAt(xScale, 0), qzFloatAt(yScale, 0)
	for i := range mult {
		dt := wScale.DType
		mult[i] = float64(qzRound(qzRound(xs*qzFloatAt(wScale, i%wScale.Len()), dt)/ys, dt))
	}
	lo, hi, err := qzRange(odt)
	if err != nil {
		return err
	}
	ov := w.outVol()
	q := ScratchOf[int32](x, cvSlotCol, Y.Len())
	for i, a := range acc {
		q[i] = qzSaturate(float64(a)*mult[(i/ov)%m]+yzp, lo, hi)
	}
	return qzStore(Y, q)
}

// qzRound rounds a float32 result to the precision of dt (float16 and bfloat16 arithmetic).
func qzRound(v float32, dt DType) float32 {
	switch dt {
	case Float16:
		return ToF16(v).Float32()
	case BFloat16:
		return ToBF16(v).Float32()
	}
	return v
}

// qzRange is the value range of an integer type that quantized values saturate to.
func qzRange(dt DType) (lo, hi float64, err error) {
	switch dt {
	case Int2:
		return -2, 1, nil
	case Uint2:
		return 0, 3, nil
	case Int4:
		return -8, 7, nil
	case Uint4:
		return 0, 15, nil
	case Int8:
		return -128, 127, nil
	case Uint8:
		return 0, 255, nil
	case Int16:
		return -32768, 32767, nil
	case Uint16:
		return 0, 65535, nil
	case Int32:
		return math.MinInt32, math.MaxInt32, nil
	}
	return 0, 0, fmt.Errorf("%s is not a supported quantized type", dt)
}

// qzSaturate rounds to nearest even and clamps to [lo, hi]. NaN, which has no defined result,
// gives the value nearest zero.
func qzSaturate(v, lo, hi float64) int32 {
	v = math.RoundToEven(v)
	switch {
	case v != v:
		v = max(lo, 0)
	case v < lo:
		v = lo
	case v > hi:
		v = hi
	}
	return int32(v)
}

// qzStore writes int32 values into an integer tensor of any width (already resized).
func qzStore(t *Tensor, v []int32) error {
	switch t.DType {
	case Int8, Int4, Int2: // values already saturated to the narrow range
		d := Data[int8](t)
		for i := range d {
			d[i] = int8(v[i])
		}
	case Uint8, Uint4, Uint2:
		d := Data[uint8](t)
		for i := range d {
			d[i] = uint8(v[i])
		}
	case Int16:
		d := Data[int16](t)
		for i := range d {
			d[i] = int16(v[i])
		}
	case Uint16:
		d := Data[uint16](t)
		for i := range d {
			d[i] = uint16(v[i])
		}
	case Int32:
		copy(Data[int32](t), v)
	default:
		return fmt.Errorf("%s output is not supported", t.DType)
	}
	return nil
}

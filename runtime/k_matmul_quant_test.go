package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func qztU8(v []uint8, shape ...int) *Tensor {
	t := New(Uint8, shape...)
	copy(Data[uint8](t), v)
	return t
}

func qztF32(v ...float32) *Tensor {
	t := New(Float32, len(v))
	copy(Data[float32](t), v)
	return t
}

func qztScalar(dt DType, v float64) *Tensor {
	t := New(dt)
	switch dt {
	case Float32:
		Data[float32](t)[0] = float32(v)
	case Uint8:
		Data[uint8](t)[0] = uint8(v)
	case Int8:
		Data[int8](t)[0] = int8(v)
	}
	return t
}

func qztInts(t *Tensor) []int64 {
	v := make([]int64, t.Len())
	for i := range v {
		v[i] = qzIntAt(t, i)
	}
	return v
}

func TestQuantizeHandChecked(t *testing.T) {
	x := NewExec(nil)
	X := qztF32(0, 2, 3, 1000, -254, -1000)
	y := New(Undefined)
	if err := QuantizeLinear(x, &QuantizeLinearParams{Axis: 1}, []*Tensor{y}, []*Tensor{X, qztScalar(Float32, 2), qztScalar(Uint8, 128)}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(qztInts(y)); got != "[128 129 130 255 1 0]" {
		t.Errorf("QuantizeLinear = %s", got)
	}
	d := New(Undefined)
	if err := DequantizeLinear(x, &DequantizeLinearParams{Axis: 1}, []*Tensor{d}, []*Tensor{qztU8([]uint8{0, 3, 128, 255}, 4), qztScalar(Float32, 2), qztScalar(Uint8, 128)}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "DequantizeLinear", Data[float32](d), []float32{-256, -250, 0, 254}, 0)
	outs := []*Tensor{New(Undefined), New(Undefined), New(Undefined)}
	if err := DynamicQuantizeLinear(x, nil, outs, []*Tensor{qztF32(0, 2, -3, -2.5, 1.34, 0.5)}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(qztInts(outs[0]), qztInts(outs[2])); got != "[153 255 0 26 221 179] [153]" {
		t.Errorf("DynamicQuantizeLinear = %s", got)
	}
	gmClose(t, "DynamicQuantizeLinear scale", Data[float32](outs[1]), []float32{5.0 / 255}, 1e-6)
	A := qztU8([]uint8{11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}, 4, 3)
	B := qztU8([]uint8{1, 4, 2, 5, 3, 6}, 3, 2)
	mi := New(Undefined)
	if err := MatMulInteger(x, nil, []*Tensor{mi}, []*Tensor{A, B, qztScalar(Uint8, 12), qztScalar(Uint8, 0)}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(qztInts(mi)); got != "[-38 -83 -44 -98 -50 -113 -56 -128]" {
		t.Errorf("MatMulInteger = %s", got)
	}
}

func TestQuantizeBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	x := NewExec(nil)
	for it := 0; it < 100; it++ {
		xs := []int{1 + r.Intn(4), 1 + r.Intn(7), 1 + r.Intn(3)}
		axis := r.Intn(3)
		block := 1 + r.Intn(3)
		ss := append([]int(nil), xs...)
		ss[axis] = (xs[axis] + block - 1) / block
		X := cvtTensor(r, nil, xs...)
		S := New(Float32, ss...)
		Z := New(Int8, ss...)
		for i := range Data[float32](S) {
			Data[float32](S)[i] = 0.01 + r.Float32()*0.05
			Data[int8](Z)[i] = int8(r.Intn(21) - 10)
		}
		y := New(Undefined)
		if err := QuantizeLinear(x, &QuantizeLinearParams{Axis: axis, BlockSize: block}, []*Tensor{y}, []*Tensor{X, S, Z}); err != nil {
			t.Fatal(err)
		}
		d := New(Undefined)
		if err := DequantizeLinear(x, &DequantizeLinearParams{Axis: axis, BlockSize: block}, []*Tensor{d}, []*Tensor{y, S, Z}); err != nil {
			t.Fatal(err)
		}
		idx := make([]int, 3)
		for e := 0; e < X.Len(); e++ {
			sidx := append([]int(nil), idx...)
			sidx[axis] /= block
			si := cvtIndex(sidx, ss)
			s, z := float64(Data[float32](S)[si]), float64(Data[int8](Z)[si])
			want := math.Max(-128, math.Min(127, math.RoundToEven(float64(Data[float32](X)[e]/float32(s)))+z))
			if got := float64(Data[int8](y)[e]); got != want {
				t.Fatalf("case %d: x %v axis %d block %d: element %v = %v, want %v", it, xs, axis, block, idx, got, want)
			}
			if got, want := float64(Data[float32](d)[e]), float64(float32(want-z)*float32(s)); got != want {
				t.Fatalf("case %d: dequantized element %v = %v, want %v", it, idx, got, want)
			}
			cvtNext(idx, xs)
		}
	}
}

func TestQLinearMatMulAndConv(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	x := NewExec(nil)
	for it := 0; it < 50; it++ {
		m, k, n := 1+r.Intn(5), 1+r.Intn(6), 1+r.Intn(5)
		A, B := New(Uint8, m, k), New(Int8, k, n)
		for i := range Data[uint8](A) {
			Data[uint8](A)[i] = uint8(r.Intn(256))
		}
		for i := range Data[int8](B) {
			Data[int8](B)[i] = int8(r.Intn(256) - 128)
		}
		as, bs, ys := float32(0.01+r.Float64()*0.02), float32(0.01+r.Float64()*0.02), float32(0.02+r.Float64()*0.05)
		az, bz, yz := r.Intn(256), r.Intn(256)-128, r.Intn(256)
		in := []*Tensor{A, qztScalar(Float32, float64(as)), qztScalar(Uint8, float64(az)), B, qztScalar(Float32, float64(bs)), qztScalar(Int8, float64(bz)), qztScalar(Float32, float64(ys)), qztScalar(Uint8, float64(yz))}
		y := New(Undefined)
		if err := QLinearMatMul(x, nil, []*Tensor{y}, in); err != nil {
			t.Fatal(err)
		}
		mult := float64(as * bs / ys)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				acc := 0
				for q := 0; q < k; q++ {
					acc += (int(Data[uint8](A)[i*k+q]) - az) * (int(Data[int8](B)[q*n+j]) - bz)
				}
				want := math.Max(0, math.Min(255, math.RoundToEven(float64(acc)*mult+float64(yz))))
				if got := float64(Data[uint8](y)[i*n+j]); got != want {
					t.Fatalf("case %d: QLinearMatMul [%d,%d] = %v, want %v", it, i, j, got, want)
				}
			}
		}
		// QLinearConv of a 1 x k x m x 1 image with n 1x1 filters is the same product
		// transposed: Y[j, i] = sum_q W[j, q] X[q, i].
		X := New(Uint8, 1, k, m, 1)
		for q := 0; q < k; q++ {
			for i := 0; i < m; i++ {
				Data[uint8](X)[q*m+i] = Data[uint8](A)[i*k+q]
			}
		}
		W := New(Int8, n, k, 1, 1)
		for j := 0; j < n; j++ {
			for q := 0; q < k; q++ {
				Data[int8](W)[j*k+q] = Data[int8](B)[q*n+j]
			}
		}
		yc := New(Undefined)
		cin := []*Tensor{X, in[1], in[2], W, in[4], in[5], in[6], in[7]}
		if err := QLinearConv(x, &ConvParams{}, []*Tensor{yc}, cin); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if a, b := Data[uint8](yc)[j*m+i], Data[uint8](y)[i*n+j]; a != b {
					t.Fatalf("case %d: QLinearConv [%d,%d] = %d, QLinearMatMul gives %d", it, j, i, a, b)
				}
			}
		}
	}
}

func TestConvInteger(t *testing.T) {
	// 3x3 input 1..9 (uint8) with zero point 1, 2x2 kernel of ones, pads 1: the ONNX example.
	X := qztU8([]uint8{2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, 1, 3, 3)
	W := qztU8([]uint8{1, 1, 1, 1}, 1, 1, 2, 2)
	y := New(Undefined)
	if err := ConvInteger(NewExec(nil), &ConvParams{Pads: []int{1, 1, 1, 1}}, []*Tensor{y}, []*Tensor{X, W, qztScalar(Uint8, 1)}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(qztInts(y)); got != "[1 3 5 3 5 12 16 9 11 24 28 15 7 15 17 9]" {
		t.Errorf("ConvInteger = %s", got)
	}
}

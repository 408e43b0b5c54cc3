package runtime

import (
	"fmt"
	"math/rand"
	"testing"
)

// mmtNaive is numpy matmul written out: broadcast batch dims by index arithmetic, promote 1-D.
func mmtNaive(a, b []float64, as, bs []int) ([]float64, []int) {
	aa, bb := as, bs
	if len(aa) == 1 {
		aa = []int{1, aa[0]}
	}
	if len(bb) == 1 {
		bb = []int{bb[0], 1}
	}
	m, k, n := aa[len(aa)-2], aa[len(aa)-1], bb[len(bb)-1]
	ab, bbat := aa[:len(aa)-2], bb[:len(bb)-2]
	r := max(len(ab), len(bbat))
	batch := make([]int, r)
	get := func(s []int, i int) int {
		if j := i - (r - len(s)); j >= 0 {
			return s[j]
		}
		return 1
	}
	for i := range batch {
		batch[i] = max(get(ab, i), get(bbat, i))
	}
	nb := NumElems(batch)
	y := make([]float64, nb*m*n)
	idx := make([]int, r)
	for bi := 0; bi < nb; bi++ {
		t := bi
		for i := r - 1; i >= 0; i-- {
			idx[i] = t % batch[i]
			t /= batch[i]
		}
		ao, bo := 0, 0
		for i := 0; i < r; i++ {
			da, db := get(ab, i), get(bbat, i)
			ia, ib := idx[i], idx[i]
			if da == 1 {
				ia = 0
			}
			if db == 1 {
				ib = 0
			}
			ao = ao*da + ia
			bo = bo*db + ib
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					s += a[ao*m*k+i*k+p] * b[bo*k*n+p*n+j]
				}
				y[bi*m*n+i*n+j] = s
			}
		}
	}
	out := append([]int(nil), batch...)
	if len(as) > 1 {
		out = append(out, m)
	}
	if len(bs) > 1 {
		out = append(out, n)
	}
	return y, out
}

func mmtF64(t *Tensor) []float64 {
	var v []float64
	switch t.DType {
	case Float32:
		for _, f := range Data[float32](t) {
			v = append(v, float64(f))
		}
	case Float64:
		v = append(v, Data[float64](t)...)
	case Int32:
		for _, f := range Data[int32](t) {
			v = append(v, float64(f))
		}
	case Int64:
		for _, f := range Data[int64](t) {
			v = append(v, float64(f))
		}
	case Uint8:
		for _, f := range Data[uint8](t) {
			v = append(v, float64(f))
		}
	case Int8:
		for _, f := range Data[int8](t) {
			v = append(v, float64(f))
		}
	case Float16:
		for _, f := range Data[F16](t) {
			v = append(v, float64(f.Float32()))
		}
	}
	return v
}

func mmtF32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, f := range v {
		o[i] = float32(f)
	}
	return o
}

func TestMatMulRandom(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	pool := NewPool(2)
	defer pool.Close()
	for it := 0; it < 300; it++ {
		m, n, k := 1+r.Intn(9), 1+r.Intn(9), r.Intn(9)
		var as, bs []int
		nba, nbb := r.Intn(4), r.Intn(4)
		for i := 0; i < max(nba, nbb); i++ {
			d := 1 + r.Intn(3)
			if i < nba {
				if r.Intn(3) == 0 {
					as = append([]int{1}, as...)
				} else {
					as = append([]int{d}, as...)
				}
			}
			if i < nbb {
				if r.Intn(3) == 0 {
					bs = append([]int{1}, bs...)
				} else {
					bs = append([]int{d}, bs...)
				}
			}
		}
		as = append(as, m, k)
		bs = append(bs, k, n)
		if r.Intn(8) == 0 {
			as = []int{k}
		}
		if r.Intn(8) == 0 {
			bs = []int{k}
		}
		A, B := cvtTensor(r, nil, as...), cvtTensor(r, nil, bs...)
		want, wshape := mmtNaive(mmtF64(A), mmtF64(B), as, bs)
		name := fmt.Sprintf("case %d: %v x %v", it, as, bs)
		x := NewExec(pool)
		for _, dt := range []DType{Float32, Float64, Int32, Float16} {
			a, b := A, B
			if dt != Float32 {
				a, b = mmtCast(A, dt), mmtCast(B, dt)
			}
			w := want
			if dt == Int32 || dt == Float16 {
				w, _ = mmtNaive(mmtF64(a), mmtF64(b), as, bs)
			}
			y := New(dt)
			if err := MatMul(x, nil, []*Tensor{y}, []*Tensor{a, b}); err != nil {
				t.Fatalf("%s %s: %v", name, dt, err)
			}
			if fmt.Sprint(y.Shape) != fmt.Sprint(wshape) {
				t.Fatalf("%s %s: shape %v, want %v", name, dt, y.Shape, wshape)
			}
			tol := 1e-5
			if dt == Float16 {
				tol = 4e-3
			}
			gmClose(t, name+" "+dt.String(), mmtF32(mmtF64(y)), mmtF32(w), tol)
		}
	}
}

// mmtCast converts a float32 tensor to dt (integers get small values derived from it).
func mmtCast(t *Tensor, dt DType) *Tensor {
	o := New(dt, t.Shape...)
	for i, f := range Data[float32](t) {
		switch dt {
		case Float64:
			Data[float64](o)[i] = float64(f)
		case Float16:
			Data[F16](o)[i] = ToF16(f)
		case Int32:
			Data[int32](o)[i] = int32(f * 10)
		case Int64:
			Data[int64](o)[i] = int64(f * 10)
		case Int8:
			Data[int8](o)[i] = int8(f * 100)
		case Uint8:
			Data[uint8](o)[i] = uint8(f*100 + 120)
		}
	}
	return o
}

func TestGemmRandom(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for it := 0; it < 200; it++ {
		m, n, k := 1+r.Intn(20), 1+r.Intn(20), 1+r.Intn(20)
		transA, transB := r.Intn(2) == 0, r.Intn(2) == 0
		as, bs := []int{m, k}, []int{k, n}
		if transA {
			as = []int{k, m}
		}
		if transB {
			bs = []int{n, k}
		}
		cs := [][]int{nil, {}, {1}, {n}, {1, n}, {m, 1}, {m, n}}[r.Intn(7)]
		p := &GemmParams{Alpha: 1, Beta: 1, TransA: transA, TransB: transB}
		if r.Intn(2) == 0 {
			p.Alpha, p.Beta = float64(r.Intn(5))-2, float64(r.Intn(5))-2
		}
		A, B := cvtTensor(r, nil, as...), cvtTensor(r, nil, bs...)
		in := []*Tensor{A, B}
		var C *Tensor
		if cs != nil {
			C = cvtTensor(r, nil, cs...)
			in = append(in, C)
		}
		a, b := mmtF64(A), mmtF64(B)
		want := make([]float64, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for q := 0; q < k; q++ {
					av, bv := a[i*k+q], b[q*n+j]
					if transA {
						av = a[q*m+i]
					}
					if transB {
						bv = b[j*k+q]
					}
					s += av * bv
				}
				s *= p.Alpha
				if C != nil {
					c := mmtF64(C)
					ci := 0
					switch len(cs) {
					case 1:
						if cs[0] == n {
							ci = j
						}
					case 2:
						if cs[0] == m {
							ci += i * cs[1]
						}
						if cs[1] == n {
							ci += j
						}
					}
					s += p.Beta * c[ci]
				}
				want[i*n+j] = s
			}
		}
		name := fmt.Sprintf("case %d: A %v B %v C %v %+v", it, as, bs, cs, *p)
		for _, dt := range []DType{Float32, Float64} {
			in2 := in
			if dt != Float32 {
				in2 = nil
				for _, tt := range in {
					in2 = append(in2, mmtCast(tt, dt))
				}
			}
			y := New(dt)
			if err := Gemm(NewExec(nil), p, []*Tensor{y}, in2); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			gmClose(t, name+" "+dt.String(), mmtF32(mmtF64(y)), mmtF32(want), 1e-5)
		}
		// B prepacked, as the compiler lowers constant weights (a bias per column then runs
		// in the GEMM's epilogue).
		pp := *p
		pp.PackedB = true
		packed := PackGemmB(Data[float32](B), 1, k, n, transB)
		y := New(Float32)
		if err := Gemm(NewExec(nil), &pp, []*Tensor{y}, append(append([]*Tensor(nil), in...), FromFloat32([]int{len(packed)}, packed))); err != nil {
			t.Fatalf("%s prepacked: %v", name, err)
		}
		gmClose(t, name+" prepacked", mmtF32(mmtF64(y)), mmtF32(want), 1e-5)
	}
}

// MatMulPackedB with a bias and a fused activation equals MatMul, the bias added, then the
// activation as its own elementwise pass.
func TestMatMulPackedActivation(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	for _, tc := range []struct {
		act  Act
		a, b float32
		op   int
	}{{ActGelu, 0, 0, UnaryGelu}, {ActRelu, 0, 0, UnaryRelu}, {ActTanh, 0, 0, UnaryTanh}} {
		for _, sh := range [][3]int{{64, 96, 40}, {3, 17, 5}, {1, 33, 70}} {
			m, n, k := sh[0], sh[1], sh[2]
			A := FromFloat32([]int{1, m, k}, gmRand(r, m*k))
			w := gmRand(r, k*n)
			bias := FromFloat32([]int{n}, gmRand(r, n))
			packed := FromFloat32([]int{PackedGemmBLen(1, k, n)}, PackGemmB(w, 1, k, n, false))
			got := New(Float32)
			p := &MatMulPackedParams{K: k, N: n, Bias: true, Activation: tc.act, ActAlpha: tc.a, ActBeta: tc.b}
			if err := MatMulPackedB(NewExec(nil), p, []*Tensor{got}, []*Tensor{A, FromFloat32([]int{k, n}, w), bias, packed}); err != nil {
				t.Fatal(err)
			}
			want := make([]float32, m*n)
			gmNaive(false, false, m, n, k, 1, Data[float32](A), k, w, n, want, n, false)
			for i := range want {
				want[i] += Data[float32](bias)[i%n]
			}
			wt := FromFloat32([]int{m, n}, want)
			if err := Unary(NewExec(nil), &UnaryParams{Op: tc.op}, []*Tensor{wt}, []*Tensor{wt}); err != nil {
				t.Fatal(err)
			}
			gmClose(t, fmt.Sprintf("%v %dx%dx%d", tc.act, m, n, k), Data[float32](got), Data[float32](wt), 1e-5)
		}
	}
}

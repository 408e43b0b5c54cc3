package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// qgEachPath runs f with qgemmPath forced to each kernel family the CPU supports.
func qgEachPath(t *testing.T, f func(t *testing.T)) {
	defer func() { qgemmPath = qgemmBestPath }()
	for _, path := range qgemmPaths {
		qgemmPath = path
		t.Run(qgPathName(path), f)
	}
}

func qgPathName(path int) string {
	if path == qgemmPathAVXVNNI {
		return "avxvnni"
	}
	return gmPathNames[path]
}

// qgRandW returns k*n int8 weights in [-lim, lim].
func qgRandW(r *rand.Rand, n, lim int) []int8 {
	w := make([]int8, n)
	for i := range w {
		w[i] = int8(r.Intn(2*lim+1) - lim)
	}
	return w
}

// qgReference is the quantized product computed the plain way: A quantized by the
// DynamicQuantizeLinear kernel (each row on its own when perRow), an int64 dot product per
// element (by w plus off, when off is not nil), the epilogue in float64.
func qgReference(t *testing.T, m, k, n int, a []float32, w []int8, trans bool, scaleB, bias []float32, off []int32, act activation, perRow bool) []float32 {
	x := NewExec(nil)
	quantize := func(a []float32, rows int) ([]uint8, float64, int64) {
		outs := []*Tensor{New(Uint8), New(Float32), New(Uint8)}
		if err := DynamicQuantizeLinear(x, nil, outs, []*Tensor{FromFloat32([]int{rows, k}, a)}); err != nil {
			t.Fatal(err)
		}
		return Data[uint8](outs[0]), float64(Data[float32](outs[1])[0]), int64(Data[uint8](outs[2])[0])
	}
	q, sa, zp := quantize(a, m)
	c := make([]float32, m*n)
	for i := 0; i < m; i++ {
		if perRow {
			var qi []uint8
			qi, sa, zp = quantize(a[i*k:(i+1)*k], 1)
			copy(q[i*k:], qi)
		}
		for j := 0; j < n; j++ {
			var s int64
			for p := 0; p < k; p++ {
				b := w[p*n+j]
				if trans {
					b = w[j*k+p]
				}
				s += (int64(q[i*k+p]) - zp) * (int64(b) + qgOffAt(off, j))
			}
			v := float64(s)*sa*float64(scaleB[j%len(scaleB)]) + func() float64 {
				if bias != nil {
					return float64(bias[j])
				}
				return 0
			}()
			c[i*n+j] = float32(v)
		}
		actRun(&act, c[i*n:i*n+n])
	}
	return c
}

// qgOffAt is column j's weight offset (off nil, 1 or n values).
func qgOffAt(off []int32, j int) int64 {
	if off == nil {
		return 0
	}
	return int64(off[j%len(off)])
}

// qgRandOff returns the offsets of uint8 weights with random zero points, stored as w-128
// (one zero point, or n of them).
func qgRandOff(r *rand.Rand, n int) []int32 {
	off := make([]int32, n)
	for j := range off {
		off[j] = 128 - int32(r.Intn(256))
	}
	off[0] = -127 // zero point 255, the extreme
	return off
}

func TestQGemm(t *testing.T) { qgEachPath(t, testQGemm) }

func testQGemm(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	pool := NewPool(3)
	defer pool.Close()
	for it := 0; it < 144; it++ {
		m, k, n := 1+r.Intn(40), 1+r.Intn(70), 1+r.Intn(90)
		if it%10 == 0 {
			m, k, n = 1+r.Intn(100), 1+r.Intn(400), 1+r.Intn(300)
		}
		if it >= 120 { // one row by whole groups of tiles: the one-row kernel
			m, n = 1, 128+r.Intn(300)
		}
		// Full-range weights, and 7-bit ones (reduce_range) that the AVX2 kernel takes.
		lim := 127
		if it%2 == 1 {
			lim = 64
		}
		trans := it%3 == 0
		a := gmRand(r, m*k)
		if it%4 == 0 {
			for i := range a {
				a[i] = float32(math.Abs(float64(a[i]))) // zero point 0
			}
		}
		w := qgRandW(r, k*n, lim)
		w[0] = int8(-lim)
		if lim == 127 {
			w[0] = -128
		}
		scaleB := []float32{0.01 + r.Float32()}
		if it%2 == 0 {
			scaleB = gmRand(r, n)
		}
		var bias []float32
		if it%3 != 2 {
			bias = gmRand(r, n)
		}
		act := activation{}
		if it%5 == 1 {
			act, _ = newActivation(ActRelu, 0, 0)
		}
		// uint8 weights with a zero point, shifted: full-range int8 plus offsets.
		var off []int32
		if it%4 == 3 {
			w = qgRandW(r, k*n, 127)
			w[0], lim = -128, 128
			off = qgRandOff(r, 1+(n-1)*(it%8/4))
		}
		perRow := it%3 == 1
		if perRow && it%9 == 1 {
			for i := range a[:k] {
				a[i] = 0 // an all-zero row: scale 1, zero point 0
			}
		}
		want := qgReference(t, m, k, n, a, w, trans, scaleB, bias, off, act, perRow)
		b, err := qgView(PackQGemmB(w, k, n, trans), k, n)
		if err != nil {
			t.Fatal(err)
		}
		safe := true
		for p := 1; p < k; p += 2 {
			for j := 0; j < n; j++ {
				at := func(p int) int32 {
					if trans {
						return abs32(int32(w[j*k+p]))
					}
					return abs32(int32(w[p*n+j]))
				}
				safe = safe && at(p)+at(p-1) <= 128
			}
		}
		if b.pairSafe != safe || lim <= 64 && !safe {
			t.Fatalf("pairSafe = %v for weights in [-%d, %d], want %v", b.pairSafe, lim, lim, safe)
		}
		ldc := n + r.Intn(3)
		c := gmRand(r, m*ldc)
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		qgemmAs(x, m, a, b, scaleB, bias, off, act, c, ldc, QuantStatic{}, perRow)
		for i := 0; i < m; i++ {
			gmClose(t, fmt.Sprintf("it %d: %dx%dx%d trans %v lim %d offsets %d per row %v, row %d", it, m, k, n, trans, lim, len(off), perRow, i), c[i*ldc:i*ldc+n], want[i*n:i*n+n], 1e-5)
		}
	}
}

// TestQGRowSums checks the panel row sums against a plain sum, on every path.
func TestQGRowSums(t *testing.T) { qgEachPath(t, testQGRowSums) }

func testQGRowSums(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, kg := range []int{1, 2, 3, 7, 64, 145} {
		ap := make([]byte, kg*qgMR*4)
		r.Read(ap)
		if kg == 145 {
			for i := range ap {
				ap[i] = 255 // the largest sums
			}
		}
		got := make([]int32, qgMR+1)
		got[qgMR] = -1
		qgRowSums(ap, kg, got)
		for row := 0; row < qgMR; row++ {
			var want int32
			for g := 0; g < kg; g++ {
				for q := 0; q < 4; q++ {
					want += int32(ap[g*qgMR*4+row*4+q])
				}
			}
			if got[row] != want {
				t.Fatalf("kg %d: row %d sums to %d, want %d", kg, row, got[row], want)
			}
		}
		if got[qgMR] != -1 {
			t.Fatalf("kg %d: wrote past the 8 sums", kg)
		}
	}
}

// TestQGemmQuantizeRows checks that the per-run quantization of A, into panels and flat (as
// DynQuantConv's input), is the DynamicQuantizeLinear kernel's, bit for bit, including ties
// and an all-zero input, on every path.
func TestQGemmQuantizeRows(t *testing.T) { qgEachPath(t, testQGemmQuantizeRows) }

func testQGemmQuantizeRows(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, tc := range []struct{ m, k int }{{1, 1}, {3, 5}, {9, 13}, {17, 64}, {5, 37}, {2, 100}} {
		for _, kind := range []string{"rand", "ties", "zero", "positive"} {
			a := gmRand(r, tc.m*tc.k)
			switch kind {
			case "ties":
				for i := range a {
					a[i] = float32(r.Intn(11)-5) * 0.5
				}
			case "zero":
				clear(a)
			case "positive":
				for i := range a {
					a[i] = float32(math.Abs(float64(a[i]))) + 1
				}
			}
			x := NewExec(nil)
			outs := []*Tensor{New(Uint8), New(Float32), New(Uint8)}
			if err := DynamicQuantizeLinear(x, nil, outs, []*Tensor{FromFloat32([]int{tc.m, tc.k}, a)}); err != nil {
				t.Fatal(err)
			}
			kp := qgRound(tc.k, 4)
			dst := make([]byte, qgRound(tc.m, qgMR)*kp)
			for i := range dst {
				dst[i] = 0xAA
			}
			scale, zp := qgQuantizeRows(a, tc.m, tc.k, kp, dst)
			if scale != Data[float32](outs[1])[0] || uint8(zp) != Data[uint8](outs[2])[0] {
				t.Fatalf("%v %s: scale, zp = %v, %d, want %v, %d", tc, kind, scale, zp, Data[float32](outs[1])[0], Data[uint8](outs[2])[0])
			}
			q := Data[uint8](outs[0])
			flat := make([]byte, len(a)+1)
			flat[len(a)] = 0xAA
			qgQuantize(a, scale, zp, flat[:len(a)])
			if !slices.Equal(flat[:len(a)], q) || flat[len(a)] != 0xAA {
				t.Fatalf("%v %s: flat quantization %v, want %v", tc, kind, flat, q)
			}
			for i := 0; i < qgRound(tc.m, qgMR); i++ {
				for p := 0; p < kp; p++ {
					got := dst[(i/qgMR)*kp*qgMR+(p/4)*4*qgMR+(i%qgMR)*4+p%4]
					want := byte(0)
					if i < tc.m && p < tc.k {
						want = q[i*tc.k+p]
					}
					if got != want {
						t.Fatalf("%v %s: A[%d][%d] = %d, want %d", tc, kind, i, p, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkQGemm compares the quantized product (quantization of A included) with float32
// sgemm by prepacked weights at the encoder's shapes, one thread.
func BenchmarkQGemm(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{{64, 384, 384}, {64, 384, 1536}, {64, 1536, 384}} {
		r := rand.New(rand.NewSource(1))
		a, wf := gmRand(r, s.m*s.k), gmRand(r, s.k*s.n)
		c := make([]float32, s.m*s.n)
		x := NewExec(nil)
		name := fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)
		pf := PackGemmB(wf, 1, s.k, s.n, false)
		for path := gemmPathAVX2; path <= sgemmBestPath; path++ {
			b.Run("f32-"+gmPathNames[path]+"/"+name, func(b *testing.B) {
				defer func() { sgemmPath = sgemmBestPath }()
				sgemmPath = path
				for i := 0; i < b.N; i++ {
					sgemmPackedB(x, false, s.m, s.n, s.k, 1, a, s.k, pf, c, s.n, false, gemmEpilogue{})
				}
			})
		}
		pq, _ := qgView(PackQGemmB(qgRandW(r, s.k*s.n, 127), s.k, s.n, false), s.k, s.n)
		scale := []float32{0.01}
		for _, path := range qgemmPaths {
			b.Run(qgPathName(path)+"/"+name, func(b *testing.B) {
				defer func() { qgemmPath = qgemmBestPath }()
				qgemmPath = path
				pq.pairSafe = true // time the AVX2 kernel even on full-range weights
				for i := 0; i < b.N; i++ {
					qgemm(x, s.m, a, pq, scale, nil, nil, activation{}, c, s.n)
				}
			})
		}
	}
}

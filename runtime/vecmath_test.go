package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"testing"
)

// vecmathFn is one function of vecmath.go with its float64 reference.
type vecmathFn struct {
	name   string
	vec    func(d, s []float32)
	scalar func(float32) float32
	ref    func(float64) float64
}

var vecmathFns = []vecmathFn{
	{"exp", VecExp, Exp32, math.Exp},
	{"erf", VecErf, Erf32, math.Erf},
	{"tanh", VecTanh, Tanh32, math.Tanh},
	{"sigmoid", VecSigmoid, Sigmoid32, func(x float64) float64 {
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	}},
}

var vecmathPathNames = []string{vecPathGo: "go", vecPathAVX2: "avx2", vecPathAVX512: "avx512"}

// vecmathWithPath runs f with vecPath set to path.
func vecmathWithPath(path int, f func()) {
	old := vecPath
	vecPath = path
	defer func() { vecPath = old }()
	f()
}

// vecmathOrd maps float32s to integers in their order, ±0 to 0, so that the difference of two
// is their distance in ulps.
func vecmathOrd(f float32) int64 {
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return -int64(b &^ (1 << 31))
	}
	return int64(b)
}

// vecmathInputs calls f with chunks of a grid of float32s: every stride-th bit pattern (both
// signs, all exponents, subnormals, ±Inf and NaNs), the edge values, and every float32 within
// 2^12 ulps of each point where a function changes its branch or saturates.
func vecmathInputs(stride uint64, f func(in []float32)) {
	in := make([]float32, 0, 1<<20)
	add := func(x float32) {
		in = append(in, x)
		if len(in) == cap(in) {
			f(in)
			in = in[:0]
		}
	}
	for b := uint64(0); b < 1<<32; b += stride {
		add(math.Float32frombits(uint32(b)))
	}
	edges := []float32{0, 1, 4, 0.35, 88.72284, 88.7, 89, -87.33655, -103.27893, -103.97208, -104,
		9.01, 3.9, 3.92, 2.5, 0.5, 1e-20, 0x1p-126, 0x1p-149, 0x1p-130}
	for _, e := range edges {
		for _, s := range []float32{1, -1} {
			b := math.Float32bits(s * e)
			for d := uint32(0); d < 1<<12; d++ {
				add(math.Float32frombits(b + d))
				add(math.Float32frombits(b - d))
			}
		}
	}
	for _, x := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32} {
		add(x)
	}
	f(in)
}

func vecmathPaths(t testing.TB) []int {
	var ps []int
	for p := vecPathGo; p <= vecPathAVX512; p++ {
		if vecPathOK(p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestVecmathAccuracy checks every function on every path the CPU runs against the float64
// functions rounded to float32, to within 2 ulp, with NaN for NaN and the right signed zeros,
// and that the scalar functions agree with the slice functions of each path to within 2 ulp.
// It logs the largest errors; measured on an AVX-512 CPU over every 7th float32 (6.1e8 inputs,
// ONNXC_VECMATH_STRIDE=7) plus the edges, in ulps from the correctly rounded result, and in
// parentheses the largest difference between the scalar function and the path:
//
//	          go    avx2    avx512
//	exp       1     1 (1)   1 (1)
//	erf       1     1 (1)   1 (1)
//	tanh      1     1 (1)   1 (1)
//	sigmoid   2     2 (2)   2 (2)
func TestVecmathAccuracy(t *testing.T) {
	stride := uint64(1021)
	if testing.Short() {
		stride = 8191
	}
	if e := os.Getenv("ONNXC_VECMATH_STRIDE"); e != "" {
		stride, _ = strconv.ParseUint(e, 10, 64)
	}
	paths := vecmathPaths(t)
	for _, fn := range vecmathFns {
		worst := make([]int64, len(paths))
		worstX := make([]float32, len(paths))
		diffScalar := make([]int64, len(paths))
		got := make([]float32, 1<<20)
		want := make([]float32, 1<<20)
		scalar := make([]float32, 1<<20)
		vecmathInputs(stride, func(in []float32) {
			for i, x := range in {
				want[i] = float32(fn.ref(float64(x)))
				scalar[i] = fn.scalar(x)
			}
			for pi, path := range paths {
				vecmathWithPath(path, func() { fn.vec(got, in) })
				for i, x := range in {
					g, w := got[i], want[i]
					if w != w {
						if g == g {
							t.Errorf("%s %s(%v) = %v, want NaN", vecmathPathNames[path], fn.name, x, g)
						}
						continue
					}
					if w == 0 && g == 0 && math.Signbit(float64(w)) != math.Signbit(float64(g)) {
						t.Errorf("%s %s(%v) = %v, want %v", vecmathPathNames[path], fn.name, x, g, w)
					}
					d := vecmathOrd(g) - vecmathOrd(w)
					if g != g || math.IsInf(float64(w), 0) && g != w {
						d = math.MaxInt32
					}
					d = max(d, -d)
					if d > worst[pi] {
						worst[pi], worstX[pi] = d, x
					}
					ds := vecmathOrd(scalar[i]) - vecmathOrd(g)
					diffScalar[pi] = max(diffScalar[pi], ds, -ds)
				}
			}
		})
		for pi, path := range paths {
			pn, x := vecmathPathNames[path], worstX[pi]
			b := []float32{x}
			vecmathWithPath(path, func() { fn.vec(b, b) })
			t.Logf("%-8s %-7s max %d ulp (at %v: got %v, want %v), scalar vs path %d ulp",
				fn.name, pn, worst[pi], x, b[0], float32(fn.ref(float64(x))), diffScalar[pi])
			if worst[pi] > 2 {
				t.Errorf("%s %s: %d ulp at %v", pn, fn.name, worst[pi], x)
			}
			if diffScalar[pi] > 2 {
				t.Errorf("%s %s: scalar function differs by %d ulp", pn, fn.name, diffScalar[pi])
			}
		}
	}
}

// TestVecmathEdges checks the special values exactly, and the tails and aliasing of the slice
// functions at every length up to 40.
func TestVecmathEdges(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	cases := []struct {
		fn   string
		x, y float32
	}{
		{"exp", 0, 1}, {"exp", negz, 1}, {"exp", inf, inf}, {"exp", -inf, 0}, {"exp", 89, inf},
		{"exp", 88.8, inf}, {"exp", -104, 0}, {"exp", -200, 0}, {"exp", 1, float32(math.E)},
		{"exp", -103.5, 0x1p-149}, {"exp", math.MaxFloat32, inf}, {"exp", -math.MaxFloat32, 0},
		{"erf", 0, 0}, {"erf", negz, negz}, {"erf", inf, 1}, {"erf", -inf, -1}, {"erf", 4, 1},
		{"erf", -10, -1}, {"erf", 0x1p-149, 0x1p-149}, {"erf", -0x1p-149, -0x1p-149},
		{"erf", 0x1p-140, float32(0x1p-140 * 2 / math.SqrtPi)}, {"erf", 1e-30, float32(1e-30 * 2 / math.SqrtPi)},
		{"tanh", 0, 0}, {"tanh", negz, negz}, {"tanh", inf, 1}, {"tanh", -inf, -1}, {"tanh", 10, 1},
		{"tanh", -60, -1}, {"tanh", 0x1p-149, 0x1p-149}, {"tanh", -1e-30, -1e-30},
		{"sigmoid", 0, 0.5}, {"sigmoid", negz, 0.5}, {"sigmoid", inf, 1}, {"sigmoid", -inf, 0},
		{"sigmoid", 20, 1}, {"sigmoid", -200, 0}, {"sigmoid", -100, float32(math.Exp(-100))},
	}
	fns := map[string]vecmathFn{}
	for _, f := range vecmathFns {
		fns[f.name] = f
	}
	for _, path := range vecmathPaths(t) {
		pn := vecmathPathNames[path]
		for _, c := range cases {
			f := fns[c.fn]
			b := []float32{c.x}
			vecmathWithPath(path, func() { f.vec(b, b) })
			// Exact, except that the tiny erf values (x*2/sqrt(pi), not a float32 boundary case)
			// may be 1 ulp off.
			tol := int64(0)
			if c.fn == "erf" && c.x*c.x < 0x1p-50 {
				tol = 1
			}
			if d := vecmathOrd(b[0]) - vecmathOrd(c.y); d > tol || d < -tol || math.Signbit(float64(b[0])) != math.Signbit(float64(c.y)) {
				t.Errorf("%s %s(%v) = %v, want %v", pn, c.fn, c.x, b[0], c.y)
			}
			if s := f.scalar(c.x); vecmathOrd(s)-vecmathOrd(c.y) > tol || vecmathOrd(c.y)-vecmathOrd(s) > tol || math.Signbit(float64(s)) != math.Signbit(float64(c.y)) {
				t.Errorf("scalar %s(%v) = %v, want %v", c.fn, c.x, s, c.y)
			}
		}
		for _, f := range vecmathFns {
			for _, x := range []float32{nan, -nan} {
				b := []float32{x}
				vecmathWithPath(path, func() { f.vec(b, b) })
				if b[0] == b[0] || f.scalar(x) == f.scalar(x) {
					t.Errorf("%s %s(NaN) = %v, scalar %v", pn, f.name, b[0], f.scalar(x))
				}
			}
			// Tails: lengths 0..40, out of place (checking nothing past the end is written)
			// and in place.
			for n := 0; n <= 40; n++ {
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(i)*0.37 - 6
				}
				dst := make([]float32, n+3)
				for i := range dst {
					dst[i] = 42
				}
				vecmathWithPath(path, func() { f.vec(dst, src) })
				in := append([]float32(nil), src...)
				vecmathWithPath(path, func() { f.vec(in, in) })
				for i, x := range src {
					w := f.scalar(x)
					if d := vecmathOrd(dst[i]) - vecmathOrd(w); d > 1 || d < -1 || in[i] != dst[i] {
						t.Fatalf("%s %s n=%d: [%d] = %v (in place %v), scalar %v", pn, f.name, n, i, dst[i], in[i], w)
					}
				}
				for i := n; i < n+3; i++ {
					if dst[i] != 42 {
						t.Fatalf("%s %s n=%d wrote past the end", pn, f.name, n)
					}
				}
			}
		}
	}
}

// BenchmarkVecmath is ns per element of each function on each path, beside the float64 math
// the kernels used before.
func BenchmarkVecmath(b *testing.B) {
	const n = 4096
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i%1000)/100 - 5
	}
	dst := make([]float32, n)
	for _, fn := range vecmathFns {
		b.Run(fn.name+"/math64", func(b *testing.B) {
			for b.Loop() {
				for i, v := range src {
					dst[i] = float32(fn.ref(float64(v)))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
		b.Run(fn.name+"/scalar32", func(b *testing.B) {
			for b.Loop() {
				for i, v := range src {
					dst[i] = fn.scalar(v)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
		for _, path := range vecmathPaths(b) {
			b.Run(fmt.Sprintf("%s/%s", fn.name, vecmathPathNames[path]), func(b *testing.B) {
				vecmathWithPath(path, func() {
					for b.Loop() {
						fn.vec(dst, src)
					}
				})
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
			})
		}
	}
}

// TestVecGelu checks VecGelu on every path the CPU runs against float64 GELU, to within 4 ulp
// plus erf's absolute rounding near ±1 carried by 0.5*|x|, and against Gelu32 to within the
// same erf difference (the paths differ from the Go code by FMA rounding in erf only), over a
// dense grid of [-12, 12], odd lengths (masked tails) and the special values.
func TestVecGelu(t *testing.T) {
	var in []float32
	for x := float32(-12); x <= 12; x += 1.0 / 512 {
		in = append(in, x, x*1e-3, x*1e-30)
	}
	inf := float32(math.Inf(1))
	in = append(in, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 0x1p-149)
	for _, path := range vecmathPaths(t) {
		for _, n := range []int{len(in), 1, 7, 15, 17, 33} {
			src := in[len(in)-n:]
			got := make([]float32, n)
			vecmathWithPath(path, func() { VecGelu(got, src) })
			for i, x := range src {
				want := scGelu(float64(x))
				g := float64(got[i])
				if math.IsNaN(want) || math.IsNaN(g) {
					if math.IsNaN(want) != math.IsNaN(g) {
						t.Fatalf("%s: Gelu(%v) = %v, want %v", vecmathPathNames[path], x, g, want)
					}
					continue
				}
				// Plus one subnormal step: 0.5*x rounds in float32 first.
				tol := 4*math.Abs(want)*0x1p-24 + 0.5*math.Abs(float64(x))*0x1p-23 + 0x1p-149
				if math.IsInf(want, 0) {
					tol = 0
				}
				if math.Abs(g-want) > tol {
					t.Fatalf("%s: Gelu(%v) = %v, want %v (tolerance %g)", vecmathPathNames[path], x, g, want, tol)
				}
				if s := float64(Gelu32(x)); math.Abs(g-s) > 0.5*math.Abs(float64(x))*0x1p-23+math.Abs(s)*0x1p-23 {
					t.Fatalf("%s: Gelu(%v) = %v, Gelu32 %v", vecmathPathNames[path], x, g, s)
				}
			}
		}
	}
}

// TestVecMaxExpSum checks vecMax (exactly) and vecExpSum (each value within 2 ulp of
// exp(s[i]-m), the sum within float32 summation error) on every path against float64, for
// lengths that leave every tail size, all-negative rows (masked lanes must not count as 0) and
// rows with -Inf.
func TestVecMaxExpSum(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, path := range vecmathPaths(t) {
		for n := 1; n <= 70; n++ {
			for _, off := range []float32{0, -50} {
				s := make([]float32, n+3)
				for i := range s {
					s[i] = off + float32(r.NormFloat64()*4)
				}
				if n > 5 {
					s[n/2] = float32(math.Inf(-1))
				}
				s = s[:n]
				want := float32(math.Inf(-1))
				for _, v := range s {
					want = max(want, v)
				}
				d := make([]float32, n+3) // past n must stay untouched
				var m, sum float32
				vecmathWithPath(path, func() {
					m = vecMax(s)
					sum = vecExpSum(d, s, m)
				})
				if m != want {
					t.Fatalf("%s n=%d: vecMax = %v, want %v", vecmathPathNames[path], n, m, want)
				}
				ref := 0.0
				for i, v := range s {
					e := math.Exp(float64(v - m)) // the difference is rounded to float32 first
					ref += e
					if math.Abs(float64(d[i])-e) > 2*e*0x1p-23 {
						t.Fatalf("%s n=%d: exp(%v - %v) = %v, want %v", vecmathPathNames[path], n, v, m, d[i], e)
					}
				}
				if d[n] != 0 || d[n+1] != 0 || d[n+2] != 0 {
					t.Fatalf("%s n=%d: wrote past the end: %v", vecmathPathNames[path], n, d[n:])
				}
				if math.Abs(float64(sum)-ref) > float64(n)*ref*0x1p-23 {
					t.Fatalf("%s n=%d: sum = %v, want %v", vecmathPathNames[path], n, sum, ref)
				}
			}
		}
	}
}

// TestVecSoftmax checks vecSoftmax on every path against vecMax, vecExpSum and the scaling by
// 1/sum composed on the same path, bit for bit (the fused AVX-512 routine must not change a
// model's output), for every tail length, in place and not, with -Inf, +Inf and NaN in rows.
func TestVecSoftmax(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, path := range vecmathPaths(t) {
		for n := 1; n <= 70; n++ {
			for special := 0; special < 4; special++ {
				s := make([]float32, n)
				for i := range s {
					s[i] = float32(r.NormFloat64() * 6)
				}
				switch special {
				case 1:
					s[r.Intn(n)] = -inf
				case 2:
					s[r.Intn(n)] = inf
				case 3:
					s[r.Intn(n)] = nan
				}
				want := make([]float32, n+2)
				got := make([]float32, n+2)
				inPlace := append([]float32(nil), s...)
				vecmathWithPath(path, func() {
					inv := 1 / vecExpSum(want, s, vecMax(s))
					for i := range want[:n] {
						want[i] *= inv
					}
					vecSoftmax(got, s)
					vecSoftmax(inPlace, inPlace)
				})
				for i := 0; i < n+2; i++ {
					w, g := math.Float32bits(want[i]), math.Float32bits(got[i])
					if i < n && w != g && !(want[i] != want[i] && got[i] != got[i]) {
						t.Fatalf("%s n=%d special %d: d[%d] = %v, want %v", vecmathPathNames[path], n, special, i, got[i], want[i])
					}
					if i < n && math.Float32bits(inPlace[i]) != g && !(inPlace[i] != inPlace[i] && got[i] != got[i]) {
						t.Fatalf("%s n=%d special %d: in place d[%d] = %v, want %v", vecmathPathNames[path], n, special, i, inPlace[i], got[i])
					}
					if i >= n && got[i] != 0 {
						t.Fatalf("%s n=%d: wrote past the end: %v", vecmathPathNames[path], n, got[n:])
					}
				}
			}
		}
	}
}

package runtime

import (
	"math"
	"math/cmplx"
	"math/rand"
	"reflect"
	"testing"
)

func mstF32(shape []int, v ...float64) *Tensor {
	t := New(Float32, shape...)
	attSet(t, v)
	return t
}

func mstI64(shape []int, v ...int64) *Tensor {
	t := New(Int64, shape...)
	copy(Data[int64](t), v)
	return t
}

func mstStrs(shape []int, v ...string) *Tensor {
	t := New(String, shape...)
	copy(t.Strs, v)
	return t
}

func TestSwiGLUBroadcast(t *testing.T) {
	a := mstF32([]int{2, 1}, 1, -2)
	b := mstF32([]int{3}, 1, 2, 3)
	out := []*Tensor{{}}
	if err := SwiGLU(NewExec(nil), &SwiGLUParams{Alpha: 0.5}, out, []*Tensor{a, b}); err != nil {
		t.Fatal(err)
	}
	sw := func(v float64) float64 { return v / (1 + math.Exp(-0.5*v)) }
	want := []float64{sw(1), 2 * sw(1), 3 * sw(1), sw(-2), 2 * sw(-2), 3 * sw(-2)}
	if !reflect.DeepEqual(out[0].Shape, []int{2, 3}) {
		t.Fatalf("shape %v", out[0].Shape)
	}
	attClose(t, "swiglu", attGet(out[0]), want, 1e-6)
}

func TestDet(t *testing.T) {
	x := mstF32([]int{3, 2, 2}, 1, 2, 3, 4, 0, 1, 1, 0, 2, 0, 0, 2)
	out := []*Tensor{{}}
	if err := Det(NewExec(nil), nil, out, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	attClose(t, "det", attGet(out[0]), []float64{-2, -1, 4}, 1e-6)
	// A 3x3 needing a pivot, and a singular one.
	x = mstF32([]int{2, 3, 3}, 0, 2, 1, 1, 1, 1, 2, 0, 3, 1, 2, 3, 2, 4, 6, 0, 1, 1)
	if err := Det(NewExec(nil), nil, out, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	attClose(t, "det3", attGet(out[0]), []float64{0*(3-0) - 2*(3-2) + 1*(0-2), 0}, 1e-6)
	if err := Det(NewExec(nil), nil, out, []*Tensor{New(Float32, 2, 3)}); err == nil {
		t.Error("non-square: no error")
	}
}

func TestWindows(t *testing.T) {
	sz := mstI64(nil, 4)
	cases := []struct {
		kind     int
		periodic bool
		want     []float64
	}{
		{HannWindowKind, true, []float64{0, 0.5, 1, 0.5}},
		{HannWindowKind, false, []float64{0, 0.75, 0.75, 0}},
		{HammingWindowKind, true, []float64{4.0 / 46, 25.0 / 46, 46.0 / 46, 25.0 / 46}},
		{BlackmanWindowKind, true, []float64{0, 0.34, 1, 0.34}},
	}
	for _, c := range cases {
		out := []*Tensor{{}}
		if err := Window(NewExec(nil), &WindowParams{Kind: c.kind, Periodic: c.periodic, DType: Float64}, out, []*Tensor{sz}); err != nil {
			t.Fatal(err)
		}
		attClose(t, "window", attGet(out[0]), c.want, 1e-12)
	}
}

// mstNaiveDFT is the textbook O(n^2) transform.
func mstNaiveDFT(a []complex128, inverse bool) []complex128 {
	n := len(a)
	out := make([]complex128, n)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := range out {
		for j, v := range a {
			out[k] += v * cmplx.Exp(complex(0, sign*2*math.Pi*float64(k*j)/float64(n)))
		}
	}
	return out
}

func TestFFTPlan(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	var pl msFFTPlan
	for _, n := range []int{1, 2, 3, 5, 8, 12, 17, 64, 100, 400} {
		for _, inv := range []bool{false, true} {
			a := make([]complex128, n)
			for i := range a {
				a[i] = complex(r.Float64(), r.Float64())
			}
			want := mstNaiveDFT(a, inv)
			pl.transform(a, inv)
			for i := range a {
				if cmplx.Abs(a[i]-want[i]) > 1e-9*float64(n) {
					t.Fatalf("n=%d inverse=%v: [%d] = %v, want %v", n, inv, i, a[i], want[i])
				}
			}
		}
	}
}

func TestDFTModes(t *testing.T) {
	// A real signal [1, 6, 2, 1] of length 6 along axis 1.
	sig := []float64{1, 2, 0, -1, 3, 0.5}
	x := mstF32([]int{1, 6, 2, 1}, 1, 10, 2, 20, 0, 30, -1, 40, 3, 50, 0.5, 60)
	spec := mstNaiveDFT([]complex128{1, 2, 0, -1, 3, 0.5}, false)
	out := []*Tensor{{}}
	if err := DFT(NewExec(nil), &DFTParams{Onesided: true}, out, []*Tensor{x, nil, mstI64(nil, 1)}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out[0].Shape, []int{1, 4, 2, 2}) {
		t.Fatalf("rfft shape %v", out[0].Shape)
	}
	got := attGet(out[0])
	for k := 0; k < 4; k++ {
		o := (k*2 + 0) * 2
		if math.Abs(got[o]-real(spec[k])) > 1e-5 || math.Abs(got[o+1]-imag(spec[k])) > 1e-5 {
			t.Fatalf("rfft bin %d = %v, want %v", k, got[o:o+2], spec[k])
		}
	}
	// The inverse real transform of that half spectrum gives the signal back.
	back := []*Tensor{{}}
	if err := DFT(NewExec(nil), &DFTParams{Inverse: true, Onesided: true}, back, []*Tensor{out[0], nil, mstI64(nil, 1)}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back[0].Shape, []int{1, 6, 2, 1}) {
		t.Fatalf("irfft shape %v", back[0].Shape)
	}
	b := attGet(back[0])
	for i, v := range sig {
		if math.Abs(b[i*2]-v) > 1e-5 {
			t.Fatalf("irfft[%d] = %v, want %v", i, b[i*2], v)
		}
	}
	// dft_length pads with zeros; the default axis is -2.
	y := mstF32([]int{3, 1}, 1, 2, 3)
	if err := DFT(NewExec(nil), &DFTParams{}, out, []*Tensor{y, mstI64(nil, 5)}); err != nil {
		t.Fatal(err)
	}
	want := mstNaiveDFT([]complex128{1, 2, 3, 0, 0}, false)
	got = attGet(out[0])
	for k, w := range want {
		if cmplx.Abs(complex(got[2*k], got[2*k+1])-w) > 1e-5 {
			t.Fatalf("padded bin %d = %v, want %v", k, got[2*k:2*k+2], w)
		}
	}
	if err := DFT(NewExec(nil), &DFTParams{}, out, []*Tensor{y, nil, mstI64(nil, 1)}); err == nil {
		t.Error("axis on the complex dim: no error")
	}
}

func TestSTFT(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	L, fl, step := 20, 6, 4
	sig := make([]float64, L)
	for i := range sig {
		sig[i] = r.Float64()
	}
	win := []float64{0.1, 0.5, 1, 1, 0.5, 0.1}
	out := []*Tensor{{}}
	err := STFT(NewExec(nil), &STFTParams{Onesided: true}, out, []*Tensor{mstF32([]int{1, L, 1}, sig...), mstI64(nil, int64(step)), mstF32([]int{fl}, win...)})
	if err != nil {
		t.Fatal(err)
	}
	frames := 1 + (L-fl)/step
	if !reflect.DeepEqual(out[0].Shape, []int{1, frames, fl/2 + 1, 2}) {
		t.Fatalf("shape %v", out[0].Shape)
	}
	got := attGet(out[0])
	for f := 0; f < frames; f++ {
		fr := make([]complex128, fl)
		for k := range fr {
			fr[k] = complex(sig[f*step+k]*win[k], 0)
		}
		want := mstNaiveDFT(fr, false)
		for k := 0; k <= fl/2; k++ {
			o := (f*(fl/2+1) + k) * 2
			if cmplx.Abs(complex(got[o], got[o+1])-want[k]) > 1e-5 {
				t.Fatalf("frame %d bin %d = %v, want %v", f, k, got[o:o+2], want[k])
			}
		}
	}
}

func TestMelWeightMatrixShape(t *testing.T) {
	out := []*Tensor{{}}
	in := []*Tensor{mstI64(nil, 8), mstI64(nil, 16), mstI64(nil, 8192), mstF32(nil, 0), mstF32(nil, 4096)}
	if err := MelWeightMatrix(NewExec(nil), &MelWeightMatrixParams{DType: Float32}, out, in); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out[0].Shape, []int{9, 8}) {
		t.Fatalf("shape %v", out[0].Shape)
	}
	for i, v := range attGet(out[0]) {
		if v < 0 || v > 1 {
			t.Fatalf("weight %d = %v outside [0, 1]", i, v)
		}
	}
}

func TestNonMaxSuppression(t *testing.T) {
	boxes := mstF32([]int{1, 4, 4},
		0, 0, 1, 1,
		0, 0.1, 1, 1.1, // IoU with box 0 is 0.9/1.1
		1, 1, 0, 0, // box 0 flipped: IoU 1
		0, 2, 1, 3)
	scores := mstF32([]int{1, 2, 4}, 0.9, 0.8, 0.7, 0.6, 0.1, 0.5, 0.5, 0.3)
	run := func(maxOut int64, iou, score float64) []int64 {
		out := []*Tensor{{}}
		in := []*Tensor{boxes, scores, mstI64(nil, maxOut), mstF32(nil, iou), mstF32(nil, score)}
		if err := NonMaxSuppression(NewExec(nil), &NonMaxSuppressionParams{}, out, in); err != nil {
			t.Fatal(err)
		}
		return Data[int64](out[0])
	}
	if got, want := run(10, 0.5, 0), []int64{0, 0, 0, 0, 0, 3, 0, 1, 1, 0, 1, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("iou 0.5: %v, want %v", got, want)
	}
	// An IoU threshold above 0.9/1.1 keeps box 1; equal ties keep the lower index first.
	if got, want := run(2, 0.95, 0.4), []int64{0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("iou 0.95: %v, want %v", got, want)
	}
	if got := run(0, 0.5, 0); len(got) != 0 {
		t.Errorf("max 0: %v", got)
	}
}

func TestStringOps(t *testing.T) {
	x := NewExec(nil)
	out := []*Tensor{{}, {}}
	if err := StringConcat(x, nil, out, []*Tensor{mstStrs([]int{2, 1}, "a", "b"), mstStrs([]int{2}, "x", "é")}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ax", "aé", "bx", "bé"}; !reflect.DeepEqual(out[0].Strs, want) {
		t.Errorf("concat %v, want %v", out[0].Strs, want)
	}
	split := []struct {
		delim string
		max   int
		in    []string
		want  []string
		n     []int64
	}{
		{".", -1, []string{"a.b", "c..d", ""}, []string{"a", "b", "", "c", "", "d", "", "", ""}, []int64{2, 3, 1}},
		{"", -1, []string{" a  b ", "", "c"}, []string{"a", "b", "", "", "c", ""}, []int64{2, 0, 1}},
		{"", 1, []string{"  a b  c ", "x"}, []string{"a", "b  c ", "x", ""}, []int64{2, 1}},
		{"-", 1, []string{"a-b-c"}, []string{"a", "b-c"}, []int64{2}},
	}
	for _, c := range split {
		if err := StringSplit(x, &StringSplitParams{Delimiter: c.delim, MaxSplit: c.max}, out, []*Tensor{mstStrs([]int{len(c.in)}, c.in...)}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out[0].Strs, c.want) || !reflect.DeepEqual(Data[int64](out[1]), c.n) {
			t.Errorf("split %q %q: %q %v, want %q %v", c.delim, c.in, out[0].Strs, Data[int64](out[1]), c.want, c.n)
		}
	}
	norm := &StringNormalizerParams{CaseChange: "UPPER", Stopwords: []string{"monday"}}
	if err := StringNormalizer(x, norm, out, []*Tensor{mstStrs([]int{1, 3}, "Monday", "tuesday", "x")}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"TUESDAY", "X"}; !reflect.DeepEqual(out[0].Strs, want) || !reflect.DeepEqual(out[0].Shape, []int{1, 2}) {
		t.Errorf("normalizer %q %v", out[0].Strs, out[0].Shape)
	}
	norm.CaseSensitive = true
	if err := StringNormalizer(x, norm, out, []*Tensor{mstStrs([]int{2}, "monday", "monday")}); err != nil {
		t.Fatal(err)
	}
	if want := []string{""}; !reflect.DeepEqual(out[0].Strs, want) {
		t.Errorf("all stopwords: %q", out[0].Strs)
	}
	if err := RegexFullMatch(x, &RegexFullMatchParams{Pattern: `a|ab`}, out, []*Tensor{mstStrs([]int{3}, "ab", "abc", "a")}); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true}; !reflect.DeepEqual(Data[bool](out[0]), want) {
		t.Errorf("regex %v", Data[bool](out[0]))
	}
}

func TestTfIdfVectorizer(t *testing.T) {
	// Pool: unigrams 2, 3; bigrams (5, 4), (5, 6).
	p := &TfIdfVectorizerParams{MinGram: 1, MaxGram: 2, MaxSkip: 1, Mode: "TF",
		NgramCounts: []int64{0, 2}, NgramIndexes: []int64{0, 1, 2, 3}, PoolInt64s: []int64{2, 3, 5, 4, 5, 6}}
	X := mstI64([]int{2, 5}, 2, 5, 4, 2, 3, 5, 7, 6, 5, 4)
	out := []*Tensor{{}}
	if err := TfIdfVectorizer(NewExec(nil), p, out, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	// Row 0: unigram 2 twice, 3 once; bigram (5,4) adjacent. Row 1: (5,6) with one skip, (5,4)
	// adjacent.
	want := []float64{2, 1, 1, 0, 0, 0, 1, 1}
	attClose(t, "tf", attGet(out[0]), want, 0)
	p2 := *p
	p2.Mode, p2.Weights = "TFIDF", []float32{1, 2, 3, 4}
	if err := TfIdfVectorizer(NewExec(nil), &p2, out, []*Tensor{X}); err != nil {
		t.Fatal(err)
	}
	attClose(t, "tfidf", attGet(out[0]), []float64{2, 2, 3, 0, 0, 0, 3, 4}, 0)
	p3 := *p
	p3.Mode, p3.PoolInt64s, p3.PoolStrings = "IDF", nil, []string{"a", "b", "c", "d", "c", "e"}
	S := mstStrs([]int{4}, "c", "x", "e", "a")
	if err := TfIdfVectorizer(NewExec(nil), &p3, out, []*Tensor{S}); err != nil {
		t.Fatal(err)
	}
	attClose(t, "idf strings", attGet(out[0]), []float64{1, 0, 0, 1}, 0)
}

package runtime

import (
	"fmt"
	"math/rand"
	"testing"
)

// mmRandView returns base data and a view (offset, strides) of logical shape sh over it: the
// dims permuted in the base, each with a margin and a step of 1 or 2, as slices and transposes
// leave attention's operands.
func mmRandView(r *rand.Rand, sh []int) (data []float32, off int, strides []int) {
	rank := len(sh)
	perm := r.Perm(rank)
	base := make([]int, rank) // base dim j holds logical dim perm[j]
	step := make([]int, rank)
	start := make([]int, rank)
	for j, d := range perm {
		step[j] = 1 + r.Intn(2)
		start[j] = r.Intn(2)
		base[j] = start[j] + (sh[d]-1)*step[j] + 1 + r.Intn(2)
	}
	strides = make([]int, rank)
	st := 1
	for j := rank - 1; j >= 0; j-- {
		off += start[j] * st
		strides[perm[j]] = step[j] * st
		st *= base[j]
	}
	data = make([]float32, st)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return data, off, strides
}

// TestMatMulStrided compares MatMulStrided with the plain product on random strided views of
// ranks 2 to 4 (batch dims broadcast), random output permutations and alphas, one and two
// threads.
func TestMatMulStrided(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	pool := NewPool(2)
	defer pool.Close()
	for it := 0; it < 200; it++ {
		rank := 2 + r.Intn(3)
		m, k, n := 1+r.Intn(20), 1+r.Intn(40), 1+r.Intn(40)
		as, bs := make([]int, rank), make([]int, rank)
		for i := 0; i < rank-2; i++ {
			d := 1 + r.Intn(3)
			as[i], bs[i] = d, d
			switch r.Intn(4) {
			case 0:
				as[i] = 1
			case 1:
				bs[i] = 1
			}
		}
		as[rank-2], as[rank-1], bs[rank-2], bs[rank-1] = m, k, k, n
		ad, aoff, ast := mmRandView(r, as)
		bd, boff, bst := mmRandView(r, bs)
		yperm := append(r.Perm(rank-1), rank-1)
		alpha := float32(1)
		if it%3 == 0 {
			alpha = 0.125
		}
		p := &MatMulStridedParams{AOff: aoff, AShape: as, AStrides: ast, BOff: boff, BShape: bs, BStrides: bst, YPerm: yperm, Alpha: alpha}
		x := NewExec(nil)
		if it%2 == 1 {
			x = NewExec(pool)
		}
		y := New(Float32)
		if err := MatMulStrided(x, p, []*Tensor{y}, []*Tensor{FromFloat32([]int{len(ad)}, ad), FromFloat32([]int{len(bd)}, bd)}); err != nil {
			t.Fatal(err)
		}
		// The reference: the logical product, element by element, then permuted.
		ls := make([]int, rank)
		for i := 0; i < rank-2; i++ {
			ls[i] = max(as[i], bs[i])
		}
		ls[rank-2], ls[rank-1] = m, n
		ys := make([]int, rank)
		for j, d := range yperm {
			ys[j] = ls[d]
		}
		if fmt.Sprint(y.Shape) != fmt.Sprint(ys) {
			t.Fatalf("case %d: shape %v, want %v", it, y.Shape, ys)
		}
		want := make([]float32, NumElems(ys))
		idx := make([]int, rank)
		for e := 0; e < NumElems(ls); e++ {
			for i, q := rank-1, e; i >= 0; i-- {
				idx[i], q = q%ls[i], q/ls[i]
			}
			ao, bo := aoff, boff
			for i := 0; i < rank-2; i++ {
				if as[i] > 1 {
					ao += idx[i] * ast[i]
				}
				if bs[i] > 1 {
					bo += idx[i] * bst[i]
				}
			}
			var s float64
			for q := 0; q < k; q++ {
				s += float64(ad[ao+idx[rank-2]*ast[rank-2]+q*ast[rank-1]]) * float64(bd[bo+q*bst[rank-2]+idx[rank-1]*bst[rank-1]])
			}
			o := 0
			for j, d := range yperm {
				o = o*ys[j] + idx[d]
			}
			want[o] = alpha * float32(s)
		}
		gmClose(t, fmt.Sprintf("case %d: A %v %v B %v %v perm %v", it, as, ast, bs, bst, yperm), Data[float32](y), want, 1e-4)
	}
}

// TestMatMulStridedBadViews: views that read past their inputs, mismatched inner dims and bad
// permutations are errors, not reads out of bounds.
func TestMatMulStridedBadViews(t *testing.T) {
	a, b := New(Float32, 12), New(Float32, 12)
	ok := MatMulStridedParams{AShape: []int{3, 4}, AStrides: []int{4, 1}, BShape: []int{4, 3}, BStrides: []int{3, 1}, YPerm: []int{0, 1}, Alpha: 1}
	if err := MatMulStrided(NewExec(nil), &ok, []*Tensor{New(Float32)}, []*Tensor{a, b}); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(p *MatMulStridedParams){
		"A past its end":  func(p *MatMulStridedParams) { p.AOff = 1 },
		"B stride":        func(p *MatMulStridedParams) { p.BStrides = []int{4, 1} },
		"negative stride": func(p *MatMulStridedParams) { p.AStrides = []int{-4, 1} },
		"inner dims":      func(p *MatMulStridedParams) { p.BShape = []int{3, 4}; p.BStrides = []int{4, 1} },
		"permutation":     func(p *MatMulStridedParams) { p.YPerm = []int{1, 0} },
		"rank":            func(p *MatMulStridedParams) { p.YPerm = []int{0} },
	} {
		p := ok
		change(&p)
		if err := MatMulStrided(NewExec(nil), &p, []*Tensor{New(Float32)}, []*Tensor{a, b}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestMatMulStridedSteps resolves views by steps (as for symbolic shapes) on attention-like
// chains, with dims for which the head reshape is a view (one batch) and for which it is not
// (two: the operand is copied), against the same chains run by the Slice, Reshape and
// Transpose kernels and a plain product.
func TestMatMulStridedSteps(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, batch := range []int{1, 2} {
		x := NewExec(nil)
		seq, heads, dim := 5, 3, 4
		e := heads * dim
		base := cvtTensor(r, nil, seq, batch, 3*e)
		target := i64v(int64(seq), int64(batch*heads), int64(dim))
		steps := func(part int, perm []int) []ViewStep {
			return []ViewStep{
				{Kind: ViewSlice, Starts: []int64{int64(part * e)}, Ends: []int64{int64((part + 1) * e)}, Axes: []int64{-1}},
				{Kind: ViewReshape, ShapeIn: 2},
				{Kind: ViewTranspose, Perm: perm},
			}
		}
		// The reference: the same steps by the kernels.
		chain := func(part int, perm []int) *Tensor {
			s, rs, tr := New(Float32), New(Float32), New(Float32)
			if err := Slice(x, nil, []*Tensor{s}, []*Tensor{base, i64v(int64(part * e)), i64v(int64((part + 1) * e)), i64v(-1)}); err != nil {
				t.Fatal(err)
			}
			if err := Reshape(x, &ReshapeParams{}, []*Tensor{rs}, []*Tensor{s, target}); err != nil {
				t.Fatal(err)
			}
			if err := Transpose(x, &TransposeParams{Perm: perm}, []*Tensor{tr}, []*Tensor{rs}); err != nil {
				t.Fatal(err)
			}
			return tr
		}
		q, kt := chain(0, []int{1, 0, 2}), chain(1, []int{1, 2, 0})
		want, wantT := New(Float32), New(Float32)
		if err := MatMul(x, nil, []*Tensor{want}, []*Tensor{q, kt}); err != nil {
			t.Fatal(err)
		}
		if err := Transpose(x, &TransposeParams{Perm: []int{1, 0, 2}}, []*Tensor{wantT}, []*Tensor{want}); err != nil {
			t.Fatal(err)
		}
		p := &MatMulStridedParams{ASteps: steps(0, []int{1, 0, 2}), BSteps: steps(1, []int{1, 2, 0}), YPerm: []int{1, 0, 2}, Alpha: 1}
		got := New(Float32)
		if err := MatMulStrided(x, p, []*Tensor{got}, []*Tensor{base, base, target}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape) != fmt.Sprint(wantT.Shape) {
			t.Fatalf("batch %d: shape %v, want %v", batch, got.Shape, wantT.Shape)
		}
		gmClose(t, fmt.Sprintf("batch %d", batch), Data[float32](got), Data[float32](wantT), 1e-5)
	}
}

// TestMatMulStridedTwoCopies: an operand whose steps copy it twice (two reshapes that are no
// views) reads the first copy while it writes the second elsewhere.
func TestMatMulStridedTwoCopies(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	x := NewExec(nil)
	n := 3
	base := cvtTensor(r, nil, n, 4, 6)
	t1, t2 := i64v(int64(n), 24), i64v(6, int64(4*n))
	// The reference: Transpose(0,2,1), Reshape [n,24], Transpose(1,0), Reshape [6,4n].
	a := base
	for _, s := range []func(y *Tensor) error{
		func(y *Tensor) error {
			return Transpose(x, &TransposeParams{Perm: []int{0, 2, 1}}, []*Tensor{y}, []*Tensor{a})
		},
		func(y *Tensor) error { return Reshape(x, &ReshapeParams{}, []*Tensor{y}, []*Tensor{a, t1}) },
		func(y *Tensor) error {
			return Transpose(x, &TransposeParams{Perm: []int{1, 0}}, []*Tensor{y}, []*Tensor{a})
		},
		func(y *Tensor) error { return Reshape(x, &ReshapeParams{}, []*Tensor{y}, []*Tensor{a, t2}) },
	} {
		y := New(Float32)
		if err := s(y); err != nil {
			t.Fatal(err)
		}
		a = y
	}
	// Reshape aliases: copy the result before anything reuses the scratch.
	a = FromFloat32(a.Shape, append([]float32(nil), Data[float32](a)...))
	b := cvtTensor(r, nil, 4*n, 5)
	want := New(Float32)
	if err := MatMul(x, nil, []*Tensor{want}, []*Tensor{a, b}); err != nil {
		t.Fatal(err)
	}
	p := &MatMulStridedParams{ASteps: []ViewStep{
		{Kind: ViewTranspose, Perm: []int{0, 2, 1}}, {Kind: ViewReshape, ShapeIn: 2},
		{Kind: ViewTranspose, Perm: []int{1, 0}}, {Kind: ViewReshape, ShapeIn: 3},
	}, BShape: []int{4 * n, 5}, BStrides: []int{5, 1}, YPerm: []int{0, 1}, Alpha: 1}
	got := New(Float32)
	if err := MatMulStrided(x, p, []*Tensor{got}, []*Tensor{base, b, t1, t2}); err != nil {
		t.Fatal(err)
	}
	gmClose(t, "two copies", Data[float32](got), Data[float32](want), 1e-5)
}

// i64v is a 1-D int64 tensor of v (mvI64 with its length as the shape).
func i64v(v ...int64) *Tensor { return mvI64([]int{len(v)}, v...) }

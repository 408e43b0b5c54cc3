package runtime

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// estNaive evaluates an einsum by visiting every combination of label values.
func estNaive(eq string, ops []*Tensor) ([]float64, []int, error) {
	ranks := make([]int, len(ops))
	for i, o := range ops {
		ranks[i] = len(o.Shape)
	}
	ins, out, nl, err := EinsumTerms(eq, ranks)
	if err != nil {
		return nil, nil, err
	}
	size := make([]int, nl)
	present := make([]bool, nl)
	for i, l := range ins {
		for d, v := range l {
			size[v] = max(size[v], ops[i].Shape[d])
			present[v] = true
		}
	}
	var used []int
	for v := range size {
		if present[v] {
			used = append(used, v)
		}
	}
	usz := make([]int, len(used))
	for i, v := range used {
		usz[i] = size[v]
	}
	oshape := make([]int, len(out))
	for i, v := range out {
		oshape[i] = size[v]
	}
	y := make([]float64, NumElems(oshape))
	val := make([]int, nl)
	idx := make([]int, len(used))
	data := make([][]float64, len(ops))
	for i, o := range ops {
		data[i] = mmtF64(o)
	}
	for NumElems(usz) > 0 {
		for i, v := range used {
			val[v] = idx[i]
		}
		p := 1.0
		for i, l := range ins {
			at := make([]int, len(l))
			for d, v := range l {
				at[d] = val[v]
				if ops[i].Shape[d] == 1 {
					at[d] = 0
				}
			}
			p *= data[i][cvtIndex(at, ops[i].Shape)]
		}
		o := make([]int, len(out))
		for d, v := range out {
			o[d] = val[v]
		}
		y[cvtIndex(o, oshape)] += p
		if !cvtNext(idx, usz) {
			break
		}
	}
	return y, oshape, nil
}

func TestEinsum(t *testing.T) {
	r := rand.New(rand.NewSource(10))
	cases := []struct {
		eq     string
		shapes [][]int
	}{
		{"ij,jk->ik", [][]int{{3, 4}, {4, 5}}},
		{"ij,jk", [][]int{{3, 4}, {4, 5}}},
		{"bij,bjk->bik", [][]int{{2, 3, 4}, {2, 4, 5}}},
		{"ii->i", [][]int{{4, 4}}},
		{"ii", [][]int{{4, 4}}},
		{"ij->ji", [][]int{{3, 5}}},
		{"ij->", [][]int{{3, 5}}},
		{"i,i", [][]int{{5}, {5}}},
		{"i,j->ij", [][]int{{3}, {4}}},
		{"...ii->...i", [][]int{{2, 3, 4, 4}}},
		{"...ij,...jk->...ik", [][]int{{2, 1, 3, 4}, {5, 4, 2}}},
		{"bhqd,bhkd->bhqk", [][]int{{2, 3, 4, 5}, {2, 3, 6, 5}}},
		{"ijk,jil->kl", [][]int{{2, 3, 4}, {3, 2, 5}}},
		{"ab,bc,cd->ad", [][]int{{2, 3}, {3, 4}, {4, 5}}},
		{"aB,Ba", [][]int{{2, 3}, {3, 2}}},
		{"Ba,aC", [][]int{{2, 3}, {3, 4}}},
		{"i,i->", [][]int{{0}, {0}}},
		{"ij,kj->ikj", [][]int{{2, 3}, {4, 3}}},
		{"iij,jk->ik", [][]int{{3, 3, 2}, {2, 4}}},
	}
	for _, c := range cases {
		var ops []*Tensor
		for _, s := range c.shapes {
			ops = append(ops, cvtTensor(r, nil, s...))
		}
		want, wshape, err := estNaive(c.eq, ops)
		if err != nil {
			t.Fatalf("%s: %v", c.eq, err)
		}
		for _, dt := range []DType{Float32, Float64, Int32} {
			in := ops
			if dt != Float32 {
				in = nil
				for _, o := range ops {
					in = append(in, mmtCast(o, dt))
				}
			}
			w := want
			if dt == Int32 {
				w, _, _ = estNaive(c.eq, in)
			}
			y := New(Undefined)
			if err := Einsum(NewExec(nil), &EinsumParams{Equation: c.eq}, []*Tensor{y}, in); err != nil {
				t.Fatalf("%s %s: %v", c.eq, dt, err)
			}
			if fmt.Sprint(y.Shape) != fmt.Sprint(wshape) {
				t.Fatalf("%s %s: shape %v, want %v", c.eq, dt, y.Shape, wshape)
			}
			gmClose(t, c.eq+" "+dt.String(), mmtF32(mmtF64(y)), mmtF32(w), 1e-5)
		}
	}
	for _, bad := range []string{"ij,jk", "ij->k", "i1", "ii->ii"} {
		y := New(Undefined)
		err := Einsum(NewExec(nil), &EinsumParams{Equation: bad}, []*Tensor{y}, []*Tensor{cvtTensor(r, nil, 2, 2)})
		if err == nil || strings.Contains(err.Error(), "panic") {
			t.Errorf("%q: error %v, want one", bad, err)
		}
	}
}

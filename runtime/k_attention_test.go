package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// attCase is one random Attention configuration.
type attCase struct {
	B, Hq, Hkv, Sq, Sk, P, D, Dv int
	three                        bool
	mask                         string // "", "bool", "float"
	maskShape                    []int
	causal, nonpad               bool
	scale, softcap               float64
	mode                         int
}

func attRand(r *rand.Rand, dt DType, shape ...int) (*Tensor, []float64) {
	t := New(dt, shape...)
	v := make([]float64, t.Len())
	for i := range v {
		v[i] = r.Float64()*2 - 1
	}
	attSet(t, v)
	return t, attGet(t)
}

func attSet(t *Tensor, v []float64) {
	switch t.DType {
	case Float32:
		for i, x := range v {
			Data[float32](t)[i] = float32(x)
		}
	case Float64:
		copy(Data[float64](t), v)
	case Float16:
		for i, x := range v {
			Data[F16](t)[i] = ToF16(float32(x))
		}
	}
}

func attGet(t *Tensor) []float64 {
	v := make([]float64, t.Len())
	switch t.DType {
	case Float32:
		for i, x := range Data[float32](t) {
			v[i] = float64(x)
		}
	case Float64:
		copy(v, Data[float64](t))
	case Float16:
		for i, x := range Data[F16](t) {
			v[i] = float64(x.Float32())
		}
	}
	return v
}

// attNaive is a direct float64 transcription of the operator's definition; its inputs are
// already in 4D layout [B, H, S, D] (past and current keys/values concatenated).
func attNaive(c attCase, q, k, v, mask []float64, maskShape []int, nonpad []int64) (y, qk []float64) {
	T := c.P + c.Sk
	y = make([]float64, c.B*c.Hq*c.Sq*c.Dv)
	qk = make([]float64, c.B*c.Hq*c.Sq*T)
	scale := c.scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(c.D))
	}
	md := []int{1, 1, 1, 1}
	copy(md[4-len(maskShape):], maskShape)
	for b := 0; b < c.B; b++ {
		for h := 0; h < c.Hq; h++ {
			hk := h / (c.Hq / c.Hkv)
			for i := 0; i < c.Sq; i++ {
				s := make([]float64, T)
				for j := 0; j < T; j++ {
					for d := 0; d < c.D; d++ {
						s[j] += q[((b*c.Hq+h)*c.Sq+i)*c.D+d] * k[((b*c.Hkv+hk)*T+j)*c.D+d]
					}
					s[j] *= scale
				}
				row := qk[((b*c.Hq+h)*c.Sq+i)*T:][:T]
				if c.mode == 0 {
					copy(row, s)
				}
				if c.softcap > 0 {
					for j := range s {
						s[j] = c.softcap * math.Tanh(s[j]/c.softcap)
					}
				}
				if c.mode == 1 {
					copy(row, s)
				}
				for j := 0; j < T; j++ {
					if mask != nil {
						if j >= md[3] {
							s[j] = math.Inf(-1)
						} else {
							at := func(i, n int) int {
								if n == 1 {
									return 0
								}
								return i
							}
							s[j] += mask[((at(b, md[0])*md[1]+at(h, md[1]))*md[2]+at(i, md[2]))*md[3]+j]
						}
					}
					if c.causal {
						off := c.P
						if c.P == 0 && nonpad != nil {
							off = int(nonpad[b]) - c.Sq
						}
						if j > i+off {
							s[j] = math.Inf(-1)
						}
					}
					if nonpad != nil && j >= int(nonpad[b]) {
						s[j] = math.Inf(-1)
					}
				}
				if c.mode == 2 {
					copy(row, s)
				}
				m := math.Inf(-1)
				for _, x := range s {
					m = math.Max(m, x)
				}
				sum := 0.0
				for j := range s {
					if math.IsInf(m, -1) {
						s[j] = 0
						continue
					}
					s[j] = math.Exp(s[j] - m)
					sum += s[j]
				}
				for j := range s {
					if sum > 0 {
						s[j] /= sum
					}
				}
				if c.mode == 3 {
					copy(row, s)
				}
				for d := 0; d < c.Dv; d++ {
					acc := 0.0
					for j := 0; j < T; j++ {
						acc += s[j] * v[((b*c.Hkv+hk)*T+j)*c.Dv+d]
					}
					y[((b*c.Hq+h)*c.Sq+i)*c.Dv+d] = acc
				}
			}
		}
	}
	return y, qk
}

// attTo4D turns [B, S, H*D] data into [B, H, S, D].
func attTo4D(v []float64, B, S, H, D int) []float64 {
	o := make([]float64, len(v))
	for b := 0; b < B; b++ {
		for s := 0; s < S; s++ {
			for h := 0; h < H; h++ {
				copy(o[((b*H+h)*S+s)*D:][:D], v[((b*S+s)*H+h)*D:][:D])
			}
		}
	}
	return o
}

// attConcat puts past before cur along the sequence dim of [B, H, S, D] data.
func attConcat(past, cur []float64, B, H, P, S, D int) []float64 {
	o := make([]float64, 0, B*H*(P+S)*D)
	for bh := 0; bh < B*H; bh++ {
		o = append(o, past[bh*P*D:(bh+1)*P*D]...)
		o = append(o, cur[bh*S*D:(bh+1)*S*D]...)
	}
	return o
}

func attClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if math.IsInf(w, 0) || math.IsInf(g, 0) {
			if g != w {
				t.Fatalf("%s[%d] = %v, want %v", what, i, g, w)
			}
			continue
		}
		if math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, g, w)
		}
	}
}

func TestAttentionRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pool := NewPool(3)
	defer pool.Close()
	for iter := 0; iter < 300; iter++ {
		c := attCase{B: 1 + r.Intn(2), Hkv: 1 + r.Intn(2), Sq: 1 + r.Intn(4), Sk: 1 + r.Intn(4), D: 1 + r.Intn(6), Dv: 1 + r.Intn(5)}
		c.Hq = c.Hkv * (1 + r.Intn(3))
		if r.Intn(2) == 0 {
			c.P = r.Intn(3)
		}
		c.three = r.Intn(3) == 0
		c.causal = r.Intn(2) == 0
		c.nonpad = r.Intn(4) == 0
		if r.Intn(3) == 0 {
			c.scale = 0.1 + r.Float64()
		}
		if r.Intn(3) == 0 {
			c.softcap = 0.5 + r.Float64()
		}
		c.mode = r.Intn(4)
		T := c.P + c.Sk
		switch r.Intn(3) {
		case 1:
			c.mask = "bool"
		case 2:
			c.mask = "float"
		}
		if c.mask != "" {
			full := []int{c.B, c.Hq, c.Sq, T}
			rank := 2 + r.Intn(3)
			c.maskShape = append([]int{}, full[4-rank:]...)
			for i := 0; i < rank-1; i++ {
				if r.Intn(2) == 0 {
					c.maskShape[i] = 1
				}
			}
			c.maskShape[rank-1] = T - r.Intn(2) // a short mask counts its missing keys as masked
		}
		for _, dt := range []DType{Float32, Float64, Float16} {
			name := fmt.Sprintf("case %d %+v %s", iter, c, dt)
			var Q, K, V *Tensor
			var q, k, v []float64
			if c.three {
				Q, q = attRand(r, dt, c.B, c.Sq, c.Hq*c.D)
				K, k = attRand(r, dt, c.B, c.Sk, c.Hkv*c.D)
				V, v = attRand(r, dt, c.B, c.Sk, c.Hkv*c.Dv)
				q, k, v = attTo4D(q, c.B, c.Sq, c.Hq, c.D), attTo4D(k, c.B, c.Sk, c.Hkv, c.D), attTo4D(v, c.B, c.Sk, c.Hkv, c.Dv)
			} else {
				Q, q = attRand(r, dt, c.B, c.Hq, c.Sq, c.D)
				K, k = attRand(r, dt, c.B, c.Hkv, c.Sk, c.D)
				V, v = attRand(r, dt, c.B, c.Hkv, c.Sk, c.Dv)
			}
			in := []*Tensor{Q, K, V, nil, nil, nil, nil}
			var mask []float64
			if c.mask == "bool" {
				m := New(Bool, c.maskShape...)
				mask = make([]float64, m.Len())
				for i := range mask {
					Data[bool](m)[i] = r.Intn(4) != 0
					if !Data[bool](m)[i] {
						mask[i] = math.Inf(-1)
					}
				}
				in[3] = m
			} else if c.mask == "float" {
				in[3], mask = attRand(r, dt, c.maskShape...)
			}
			if c.P > 0 {
				var pk, pv []float64
				in[4], pk = attRand(r, dt, c.B, c.Hkv, c.P, c.D)
				in[5], pv = attRand(r, dt, c.B, c.Hkv, c.P, c.Dv)
				k, v = attConcat(pk, k, c.B, c.Hkv, c.P, c.Sk, c.D), attConcat(pv, v, c.B, c.Hkv, c.P, c.Sk, c.Dv)
			}
			var nonpad []int64
			if c.nonpad {
				np := New(Int64, c.B)
				for b := range c.B {
					Data[int64](np)[b] = int64(r.Intn(T + 1))
				}
				nonpad = Data[int64](np)
				in[6] = np
			}
			p := &AttentionParams{IsCausal: c.causal, Scale: c.scale, Softcap: c.softcap, QKMode: c.mode}
			if c.three {
				p.QNumHeads, p.KVNumHeads = c.Hq, c.Hkv
			}
			out := []*Tensor{{}, {}, {}, {}}
			x := NewExec(nil)
			if iter%2 == 0 {
				x = NewExec(pool)
			}
			if err := Attention(x, p, out, in); err != nil {
				t.Fatal(name, err)
			}
			wy, wqk := attNaive(c, q, k, v, mask, c.maskShape, nonpad)
			tol := 1e-5
			if dt == Float16 {
				tol = 1e-2
			}
			gy := attGet(out[0])
			if c.three {
				gy = attTo4D(gy, c.B, c.Sq, c.Hq, c.Dv)
			}
			attClose(t, name+" Y", gy, wy, tol)
			attClose(t, name+" present_key", attGet(out[1]), k, tol)
			attClose(t, name+" present_value", attGet(out[2]), v, tol)
			attClose(t, name+" qk", attGet(out[3]), wqk, tol)
		}
	}
}

func TestAttentionErrors(t *testing.T) {
	x := NewExec(nil)
	q, k, v := New(Float32, 1, 2, 3, 4), New(Float32, 1, 2, 5, 4), New(Float32, 1, 2, 5, 3)
	bad := []struct {
		name string
		p    AttentionParams
		in   []*Tensor
	}{
		{"head size", AttentionParams{}, []*Tensor{q, New(Float32, 1, 2, 5, 3), v}},
		{"groups", AttentionParams{}, []*Tensor{New(Float32, 1, 3, 3, 4), k, v}},
		{"3D without heads", AttentionParams{}, []*Tensor{New(Float32, 1, 3, 8), New(Float32, 1, 3, 8), New(Float32, 1, 3, 8)}},
		{"mask too long", AttentionParams{}, []*Tensor{q, k, v, New(Bool, 3, 6)}},
		{"mask rows", AttentionParams{}, []*Tensor{q, k, v, New(Float32, 2, 5)}},
		{"past alone", AttentionParams{}, []*Tensor{q, k, v, nil, New(Float32, 1, 2, 1, 4)}},
	}
	for _, c := range bad {
		if err := Attention(x, &c.p, []*Tensor{{}}, c.in); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestAttentionFullyMaskedRowIsZero(t *testing.T) {
	q, k, v := New(Float32, 1, 1, 2, 2), New(Float32, 1, 1, 2, 2), New(Float32, 1, 1, 2, 2)
	attSet(v, []float64{1, 2, 3, 4})
	m := New(Bool, 2, 2)
	copy(Data[bool](m), []bool{false, false, true, true})
	out := []*Tensor{{}, nil, nil, {}}
	if err := Attention(NewExec(nil), &AttentionParams{QKMode: 3}, out, []*Tensor{q, k, v, m}); err != nil {
		t.Fatal(err)
	}
	attClose(t, "Y", attGet(out[0]), []float64{0, 0, 2, 3}, 1e-6)
	attClose(t, "softmax", attGet(out[3]), []float64{0, 0, 0.5, 0.5}, 1e-6)
}

func TestRotaryEmbedding(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for iter := 0; iter < 50; iter++ {
		B, S, H := 1+r.Intn(2), 1+r.Intn(3), 1+r.Intn(3)
		D := 2 * (1 + r.Intn(4))
		rd := D
		if r.Intn(2) == 0 {
			rd = 2 * (1 + r.Intn(D/2))
		}
		p := &RotaryEmbeddingParams{Interleaved: r.Intn(2) == 0}
		if rd != D || r.Intn(2) == 0 {
			p.RotaryDim = rd
		}
		three := r.Intn(2) == 0
		var X *Tensor
		var xv []float64
		if three {
			p.NumHeads = H
			X, xv = attRand(r, Float32, B, S, H*D)
			xv = attTo4D(xv, B, S, H, D)
		} else {
			X, xv = attRand(r, Float32, B, H, S, D)
		}
		usePos := r.Intn(2) == 0
		in := []*Tensor{X, nil, nil}
		var cs, sn []float64
		pos := make([]int, B*S)
		if usePos {
			maxPos := 5
			in[1], cs = attRand(r, Float32, maxPos, rd/2)
			in[2], sn = attRand(r, Float32, maxPos, rd/2)
			pt := New(Int64, B, S)
			for i := range pos {
				pos[i] = r.Intn(maxPos)
				Data[int64](pt)[i] = int64(pos[i])
			}
			in = append(in, pt)
		} else {
			in[1], cs = attRand(r, Float32, B, S, rd/2)
			in[2], sn = attRand(r, Float32, B, S, rd/2)
			for i := range pos {
				pos[i] = i
			}
		}
		out := []*Tensor{{}}
		if err := RotaryEmbedding(NewExec(nil), p, out, in); err != nil {
			t.Fatal(err)
		}
		want := append([]float64{}, xv...)
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for s := 0; s < S; s++ {
					o := ((b*H+h)*S + s) * D
					row := pos[b*S+s] * rd / 2
					for i := 0; i < rd/2; i++ {
						a, c := i, i+rd/2
						if p.Interleaved {
							a, c = 2*i, 2*i+1
						}
						x1, x2 := xv[o+a], xv[o+c]
						want[o+a] = cs[row+i]*x1 - sn[row+i]*x2
						want[o+c] = sn[row+i]*x1 + cs[row+i]*x2
					}
				}
			}
		}
		got := attGet(out[0])
		if three {
			got = attTo4D(got, B, S, H, D)
		}
		attClose(t, fmt.Sprintf("rotary %d", iter), got, want, 1e-6)
	}
}

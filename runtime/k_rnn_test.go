package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func rntAct(name string, a, b, v float64) float64 {
	switch name {
	case "sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "tanh":
		return math.Tanh(v)
	case "relu":
		return math.Max(v, 0)
	case "affine":
		return a*v + b
	case "leakyrelu":
		if v < 0 {
			return a * v
		}
		return v
	case "scaledtanh":
		return a * math.Tanh(b*v)
	case "hardsigmoid":
		return math.Max(0, math.Min(1, a*v+b))
	case "elu":
		if v < 0 {
			return a * (math.Exp(v) - 1)
		}
		return v
	case "softsign":
		return v / (1 + math.Abs(v))
	}
	panic(name)
}

// rntNaive runs one direction of a recurrent cell over one batch row, step by step, from the
// equations of the ONNX spec. x is [S][I]; w, r, bias are that direction's weights.
func rntNaive(cell int, p *RecurrentParams, d int, x [][]float64, w, r, bias, peep []float64, h0, c0 []float64, H int) (ys [][]float64, h, c []float64) {
	I := len(x[0])
	G := [...]int{1, 3, 4}[cell]
	nf := [...]int{1, 2, 3}[cell]
	f := func(k int, v float64) float64 {
		i := d*nf + k
		if p.Clip > 0 && k < nf-boolInt(cell == rnCellLSTM) {
			v = math.Max(-float64(p.Clip), math.Min(float64(p.Clip), v))
		}
		return rntAct(p.Activations[i], float64(p.Alphas[i]), float64(p.Betas[i]), v)
	}
	// dot is row g*H+j of a weight matrix times v.
	dot := func(m []float64, g, j int, v []float64) float64 {
		s := 0.0
		for k := range v {
			s += m[(g*H+j)*len(v)+k] * v[k]
		}
		return s
	}
	bw := func(g, j int) float64 {
		if bias == nil {
			return 0
		}
		return bias[g*H+j]
	}
	br := func(g, j int) float64 {
		if bias == nil {
			return 0
		}
		return bias[G*H+g*H+j]
	}
	h, c = append([]float64{}, h0...), append([]float64{}, c0...)
	ys = make([][]float64, len(x))
	for t := range x {
		_ = I
		nh, nc := make([]float64, H), make([]float64, H)
		switch cell {
		case rnCellRNN:
			for j := 0; j < H; j++ {
				nh[j] = f(0, dot(w, 0, j, x[t])+dot(r, 0, j, h)+bw(0, j)+br(0, j))
			}
		case rnCellGRU:
			z, rr := make([]float64, H), make([]float64, H)
			for j := 0; j < H; j++ {
				z[j] = f(0, dot(w, 0, j, x[t])+dot(r, 0, j, h)+bw(0, j)+br(0, j))
				rr[j] = f(0, dot(w, 1, j, x[t])+dot(r, 1, j, h)+bw(1, j)+br(1, j))
			}
			rh := make([]float64, H)
			for j := range rh {
				rh[j] = rr[j] * h[j]
			}
			for j := 0; j < H; j++ {
				var hh float64
				if p.LinearBefore {
					hh = f(1, dot(w, 2, j, x[t])+rr[j]*(dot(r, 2, j, h)+br(2, j))+bw(2, j))
				} else {
					hh = f(1, dot(w, 2, j, x[t])+dot(r, 2, j, rh)+br(2, j)+bw(2, j))
				}
				nh[j] = (1-z[j])*hh + z[j]*h[j]
			}
		case rnCellLSTM:
			pp := func(k, j int) float64 {
				if peep == nil {
					return 0
				}
				return peep[k*H+j]
			}
			for j := 0; j < H; j++ {
				pre := func(g int) float64 { return dot(w, g, j, x[t]) + dot(r, g, j, h) + bw(g, j) + br(g, j) }
				i := f(0, pre(0)+pp(0, j)*c[j])
				ff := f(0, pre(2)+pp(2, j)*c[j])
				if p.InputForget {
					ff = 1 - i
				}
				cc := f(1, pre(3))
				nc[j] = ff*c[j] + i*cc
				o := f(0, pre(1)+pp(1, j)*nc[j])
				nh[j] = o * f(2, nc[j])
			}
		}
		h, c = nh, nc
		ys[t] = h
	}
	return ys, h, c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRecurrentRandom(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	kernels := []func(*Exec, *RecurrentParams, []*Tensor, []*Tensor) error{RNN, GRU, LSTM}
	actNames := []string{"sigmoid", "tanh", "relu", "affine", "leakyrelu", "scaledtanh", "hardsigmoid", "elu", "softsign"}
	for iter := 0; iter < 200; iter++ {
		cell := iter % 3
		G := [...]int{1, 3, 4}[cell]
		nf := [...]int{1, 2, 3}[cell]
		S, B, I, H := 1+r.Intn(4), 1+r.Intn(3), 1+r.Intn(4), 1+r.Intn(4)
		p := &RecurrentParams{Direction: r.Intn(3), Layout: r.Intn(2)}
		if r.Intn(2) == 0 {
			p.Hidden = H
		}
		dirs := 1 + boolInt(p.Direction == RNNBidirectional)
		defaults := [][]string{{"tanh"}, {"sigmoid", "tanh"}, {"sigmoid", "tanh", "tanh"}}[cell]
		custom := r.Intn(3) == 0
		for d := 0; d < dirs; d++ {
			for k := 0; k < nf; k++ {
				name := defaults[k]
				if custom {
					name = actNames[r.Intn(len(actNames))]
				}
				ar := RNNActivationArity[name]
				p.Activations = append(p.Activations, name)
				p.Alphas = append(p.Alphas, ar.Alpha+float32(r.Intn(2))*0.3)
				p.Betas = append(p.Betas, ar.Beta)
			}
		}
		if r.Intn(3) == 0 {
			p.Clip = 0.5
		}
		p.LinearBefore = cell == rnCellGRU && r.Intn(2) == 0
		p.InputForget = cell == rnCellLSTM && r.Intn(3) == 0
		for _, dt := range []DType{Float32, Float64} {
			name := fmt.Sprintf("iter %d cell %d S%d B%d I%d H%d %+v %s", iter, cell, S, B, I, H, *p, dt)
			xs := []int{S, B, I}
			if p.Layout == 1 {
				xs = []int{B, S, I}
			}
			X, xv := attRand(r, dt, xs...)
			W, wv := attRand(r, dt, dirs, G*H, I)
			R, rv := attRand(r, dt, dirs, G*H, H)
			in := []*Tensor{X, W, R, nil, nil, nil, nil, nil}
			var bv, pv, h0v, c0v []float64
			if r.Intn(2) == 0 {
				in[3], bv = attRand(r, dt, dirs, 2*G*H)
			}
			lens := make([]int, B)
			for b := range lens {
				lens[b] = S
			}
			if r.Intn(2) == 0 {
				lt := New(Int32, B)
				for b := range lens {
					lens[b] = r.Intn(S + 1)
					Data[int32](lt)[b] = int32(lens[b])
				}
				in[4] = lt
			}
			st := []int{dirs, B, H}
			if p.Layout == 1 {
				st = []int{B, dirs, H}
			}
			if r.Intn(2) == 0 {
				in[5], h0v = attRand(r, dt, st...)
			}
			if cell == rnCellLSTM && r.Intn(2) == 0 {
				in[6], c0v = attRand(r, dt, st...)
			}
			if cell == rnCellLSTM && r.Intn(2) == 0 {
				in[7], pv = attRand(r, dt, dirs, 3*H)
			}
			out := []*Tensor{{}, {}, {}}
			if err := kernels[cell](NewExec(nil), p, out, in); err != nil {
				t.Fatal(name, err)
			}
			yIdx := func(t, d, b int) int {
				if p.Layout == 1 {
					return ((b*S+t)*dirs + d) * H
				}
				return ((t*dirs+d)*B + b) * H
			}
			stIdx := func(d, b int) int {
				if p.Layout == 1 {
					return (b*dirs + d) * H
				}
				return (d*B + b) * H
			}
			wantY := make([]float64, S*dirs*B*H)
			wantH := make([]float64, dirs*B*H)
			wantC := make([]float64, dirs*B*H)
			for d := 0; d < dirs; d++ {
				rev := p.Direction == RNNReverse || d == 1
				sub := func(v []float64, n int) []float64 {
					if v == nil {
						return nil
					}
					return v[d*n : (d+1)*n]
				}
				for b := 0; b < B; b++ {
					var seq [][]float64
					for k := 0; k < lens[b]; k++ {
						t := k
						if rev {
							t = lens[b] - 1 - k
						}
						row := t*B + b
						if p.Layout == 1 {
							row = b*S + t
						}
						seq = append(seq, xv[row*I:(row+1)*I])
					}
					h0, c0 := make([]float64, H), make([]float64, H)
					if h0v != nil {
						copy(h0, h0v[stIdx(d, b):])
					}
					if c0v != nil {
						copy(c0, c0v[stIdx(d, b):])
					}
					h, c := h0, c0
					if len(seq) > 0 {
						var ys [][]float64
						ys, h, c = rntNaive(cell, p, d, seq, sub(wv, G*H*I), sub(rv, G*H*H), sub(bv, 2*G*H), sub(pv, 3*H), h0, c0, H)
						for k, yv := range ys {
							t := k
							if rev {
								t = lens[b] - 1 - k
							}
							copy(wantY[yIdx(t, d, b):], yv)
						}
					}
					copy(wantH[stIdx(d, b):], h)
					copy(wantC[stIdx(d, b):], c)
				}
			}
			check := func(name string, out []*Tensor) {
				attClose(t, name+" Y", attGet(out[0]), wantY, 1e-5)
				attClose(t, name+" Y_h", attGet(out[1]), wantH, 1e-5)
				if cell == rnCellLSTM {
					attClose(t, name+" Y_c", attGet(out[2]), wantC, 1e-5)
				}
			}
			check(name, out)
			if dt != Float32 {
				continue
			}
			// The same with W and R prepacked, as compiled models pass them: the originals keep
			// their shapes but not their data (WeightSpec.ShapeOnly).
			pp := *p
			packed := append([]*Tensor(nil), in...)
			pp.PackedW = true
			packed = append(packed, FromFloat32([]int{PackedGemmBLen(dirs, I, G*H)}, PackGemmB(Data[float32](W), dirs, I, G*H, true)))
			packed[1] = &Tensor{DType: W.DType, Shape: W.Shape}
			if cell != rnCellGRU || p.LinearBefore {
				pp.PackedR = true
				packed = append(packed, FromFloat32([]int{PackedGemmBLen(dirs, H, G*H)}, PackGemmB(Data[float32](R), dirs, H, G*H, true)))
				packed[2] = &Tensor{DType: R.DType, Shape: R.Shape}
			}
			out = []*Tensor{{}, {}, {}}
			if err := kernels[cell](NewExec(nil), &pp, out, packed); err != nil {
				t.Fatal(name, "packed:", err)
			}
			check(name+" packed", out)
			if !custom && p.Clip == 0 { // bounded gates: the 8-bit error stays small
				testQuantizedRecurrent(t, name, kernels[cell], p, in, cell != rnCellGRU || p.LinearBefore)
			}
		}
	}
}

// rntQuantize quantizes a recurrent op's W or R ([dirs, rows, k]) to int8 per row, or per
// direction when perDir (symmetric, as the quantize pass's weights), and returns the int8
// tensor, the scales ([dirs * rows] or [dirs]) and the dequantized weights.
func rntQuantize(w *Tensor, perDir bool) (q, scale, deq *Tensor) {
	dirs, rows, k := w.Shape[0], w.Shape[1], w.Shape[2]
	group := 1 // rows per scale
	if perDir {
		group = rows
	}
	q, scale, deq = New(Int8, w.Shape...), New(Float32, dirs*rows/group), New(Float32, w.Shape...)
	src := Data[float32](w)
	for i := 0; i < dirs*rows; i++ {
		var m float32
		for _, v := range src[i/group*group*k : (i/group+1)*group*k] {
			m = max(m, float32(math.Abs(float64(v))))
		}
		s := max(m/127, 1e-8)
		Data[float32](scale)[i/group] = s
		for p, v := range src[i*k : (i+1)*k] {
			qv := int8(math.RoundToEven(float64(v / s)))
			Data[int8](q)[i*k+p] = qv
			Data[float32](deq)[i*k+p] = float32(qv) * s
		}
	}
	return q, scale, deq
}

// testQuantizedRecurrent runs the recurrent kernel with W (and R, when quantR) int8, packed as
// the compiler packs them, against the float kernel on the dequantized weights: they differ
// only by the per-run 8-bit quantization of X and the hidden state.
func testQuantizedRecurrent(t *testing.T, name string, kernel func(*Exec, *RecurrentParams, []*Tensor, []*Tensor) error, p *RecurrentParams, in []*Tensor, quantR bool) {
	t.Helper()
	W, R := in[1], in[2]
	dirs, gh, I, H := W.Shape[0], W.Shape[1], W.Shape[2], R.Shape[2]
	perDir := len(name)%2 == 0 // either kind of scale, by case
	wq, ws, wd := rntQuantize(W, perDir)
	ref := append([]*Tensor(nil), in...)
	ref[1] = wd
	qin := append([]*Tensor(nil), in...)
	qin[1] = &Tensor{DType: Int8, Shape: W.Shape}
	qp := *p
	qp.QuantW, qp.PackedW = true, true
	scales := []*Tensor{ws}
	packs := []*Tensor{mustPackQ(t, wq, dirs, I, gh)}
	if quantR {
		rq, rs, rd := rntQuantize(R, perDir)
		ref[2] = rd
		qin[2] = &Tensor{DType: Int8, Shape: R.Shape}
		qp.QuantR, qp.PackedR = true, true
		scales = append(scales, rs)
		packs = append(packs, mustPackQ(t, rq, dirs, H, gh))
	}
	qin = append(append(qin, scales...), packs...)
	want := []*Tensor{{}, {}, {}}
	if err := kernel(NewExec(nil), p, want, ref); err != nil {
		t.Fatal(name, "dequantized:", err)
	}
	got := []*Tensor{{}, {}, {}}
	if err := kernel(NewExec(nil), &qp, got, qin); err != nil {
		t.Fatal(name, "quantized:", err)
	}
	for i := range got {
		if got[i].DType == Undefined {
			continue
		}
		g, w := attGet(got[i]), attGet(want[i])
		var peak float64
		for _, v := range w {
			peak = max(peak, math.Abs(v))
		}
		for j := range w {
			if math.Abs(g[j]-w[j]) > 0.05*(1+peak) {
				t.Fatalf("%s quantized (R too: %v): output %d element %d = %v, want %v (dequantized weights)", name, quantR, i, j, g[j], w[j])
			}
		}
	}
}

func mustPackQ(t *testing.T, q *Tensor, dirs, k, n int) *Tensor {
	t.Helper()
	p, err := PackQGemmGroups(q, dirs, k, n, true)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

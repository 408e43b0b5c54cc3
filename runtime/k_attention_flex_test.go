package runtime

import (
	"math"
	"math/rand"
	"testing"
)

func TestFlexAttention(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	rnd := func(shape ...int) *Tensor {
		x := New(Float32, shape...)
		for i := range Data[float32](x) {
			Data[float32](x)[i] = float32(rng.NormFloat64())
		}
		return x
	}
	// Two query heads share one key/value head (GQA).
	Q, K, V := rnd(1, 2, 3, 4), rnd(1, 1, 5, 4), rnd(1, 1, 5, 2)
	run := func(p *FlexAttentionParams) []float32 {
		out := []*Tensor{{}}
		if err := FlexAttention(NewExec(nil), p, out, []*Tensor{Q, K, V}); err != nil {
			t.Fatal(err)
		}
		return Data[float32](out[0])
	}
	got := run(&FlexAttentionParams{})
	// Reference: softmax(q·k / 2) · v per query row, written out directly.
	q, k, v := Data[float32](Q), Data[float32](K), Data[float32](V)
	for h := 0; h < 2; h++ {
		for i := 0; i < 3; i++ {
			var w [5]float64
			var sum float64
			for j := range w {
				var s float64
				for e := 0; e < 4; e++ {
					s += float64(q[(h*3+i)*4+e]) * float64(k[j*4+e])
				}
				w[j] = math.Exp(s / 2)
				sum += w[j]
			}
			for e := 0; e < 2; e++ {
				var y float64
				for j := range w {
					y += w[j] / sum * float64(v[j*2+e])
				}
				if g := float64(got[(h*3+i)*2+e]); math.Abs(g-y) > 1e-5 {
					t.Fatalf("Y[%d,%d,%d] = %v, want %v", h, i, e, g, y)
				}
			}
		}
	}
	// A score_mod adding a constant leaves the softmax as it is; a prob_mod halving the
	// probabilities halves Y.
	addOne := func(out, in []*Tensor) error {
		out[0].Resize(in[0].DType, in[0].Shape...)
		for i, s := range Data[float32](in[0]) {
			Data[float32](out[0])[i] = s + 1
		}
		return nil
	}
	half := func(out, in []*Tensor) error {
		out[0].Resize(in[0].DType, in[0].Shape...)
		for i, s := range Data[float32](in[0]) {
			Data[float32](out[0])[i] = s / 2
		}
		return nil
	}
	modded := run(&FlexAttentionParams{HasScoreMod: true, ScoreMod: addOne, HasProbMod: true, ProbMod: half})
	for i := range got {
		if math.Abs(float64(modded[i])-float64(got[i])/2) > 1e-5 {
			t.Fatalf("with mods Y[%d] = %v, want %v", i, modded[i], got[i]/2)
		}
	}
	// Heads that do not divide are an error.
	if err := FlexAttention(NewExec(nil), &FlexAttentionParams{}, []*Tensor{{}}, []*Tensor{rnd(1, 3, 3, 4), rnd(1, 2, 5, 4), rnd(1, 2, 5, 2)}); err == nil {
		t.Error("3 query heads over 2 key/value heads: no error")
	}
}

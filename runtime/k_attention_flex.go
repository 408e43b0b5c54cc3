package runtime

import (
	"fmt"
	"math"
	"slices"
)

// FlexAttentionParams configures FlexAttention (ai.onnx.preview): scaled dot-product attention
// over rank-4 Q [B, Hq, L, E], K [B, Hkv, S, E] and V [B, Hkv, S, Ev], where query head h uses
// key/value head h / (Hq/Hkv).
type FlexAttentionParams struct {
	// Scale multiplies Q·Kᵀ; 0 means 1/sqrt(E).
	Scale float64
	// HasScoreMod and HasProbMod say whether the model gave the regions that ScoreMod and
	// ProbMod run: they rewrite the whole score tensor [B, Hq, L, S] before the softmax and
	// the probability tensor after it.
	HasScoreMod, HasProbMod bool
	ScoreMod, ProbMod       Body
}

// FlexAttention computes Y [B, Hq, L, Ev]. Scores and probabilities are float64 for float64
// inputs and float32 otherwise (float16 and bfloat16 inputs are widened, as the operator's
// function body does); products accumulate in float64.
func FlexAttention(x *Exec, p *FlexAttentionParams, out, in []*Tensor) error {
	Q, K, V := in[0], in[1], in[2]
	for i, t := range []*Tensor{Q, K, V} {
		if len(t.Shape) != 4 {
			return fmt.Errorf("FlexAttention: input %d has shape %v, want rank 4", i, t.Shape)
		}
		if t.DType != Q.DType {
			return fmt.Errorf("FlexAttention: input %d is %s, Q is %s", i, t.DType, Q.DType)
		}
	}
	B, Hq, L, E := Q.Shape[0], Q.Shape[1], Q.Shape[2], Q.Shape[3]
	Hkv, S, Ev := K.Shape[1], K.Shape[2], V.Shape[3]
	if K.Shape[0] != B || V.Shape[0] != B || V.Shape[1] != Hkv || V.Shape[2] != S || K.Shape[3] != E {
		return fmt.Errorf("FlexAttention: shapes Q %v, K %v, V %v do not agree", Q.Shape, K.Shape, V.Shape)
	}
	if Hkv == 0 || Hq%Hkv != 0 {
		return fmt.Errorf("FlexAttention: %d query heads are not a multiple of %d key/value heads", Hq, Hkv)
	}
	if !Q.DType.IsFloat() {
		return fmt.Errorf("FlexAttention: %s inputs are not supported", Q.DType)
	}
	q, k, v := atLoad[float64](x, Q, atSlotQ), atLoad[float64](x, K, atSlotK), atLoad[float64](x, V, atSlotV)
	scale := p.Scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(E))
	}
	work := Float32
	if Q.DType == Float64 {
		work = Float64
	}
	group := Hq / Hkv
	scores := make([]float64, B*Hq*L*S)
	for b := 0; b < B; b++ {
		for h := 0; h < Hq; h++ {
			kh := b*Hkv + h/group
			for i := 0; i < L; i++ {
				qr := q[((b*Hq+h)*L+i)*E:][:E]
				row := scores[((b*Hq+h)*L+i)*S:][:S]
				for j := range row {
					kr := k[(kh*S+j)*E:][:E]
					var s float64
					for e, qv := range qr {
						s += qv * kr[e]
					}
					row[j] = s * scale
				}
			}
		}
	}
	shape := []int{B, Hq, L, S}
	if p.HasScoreMod {
		if err := faMod(x, p.ScoreMod, "score_mod", scores, work, shape); err != nil {
			return err
		}
	} else if work == Float32 {
		faRound32(scores)
	}
	for r := 0; r < B*Hq*L; r++ {
		row := scores[r*S : (r+1)*S]
		m := math.Inf(-1)
		for _, s := range row {
			m = max(m, s)
		}
		var sum float64
		for j, s := range row {
			row[j] = math.Exp(s - m)
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
	probs := scores // the softmax ran in place
	if p.HasProbMod {
		if err := faMod(x, p.ProbMod, "prob_mod", probs, work, shape); err != nil {
			return err
		}
	} else if work == Float32 {
		faRound32(probs)
	}
	y := make([]float64, B*Hq*L*Ev)
	for b := 0; b < B; b++ {
		for h := 0; h < Hq; h++ {
			vh := b*Hkv + h/group
			for i := 0; i < L; i++ {
				pr := probs[((b*Hq+h)*L+i)*S:][:S]
				yr := y[((b*Hq+h)*L+i)*Ev:][:Ev]
				for j, pv := range pr {
					vr := v[(vh*S+j)*Ev:][:Ev]
					for e := range yr {
						yr[e] += pv * vr[e]
					}
				}
			}
		}
	}
	return msStoreFloat(out[0], Q.DType, y, B, Hq, L, Ev)
}

// faRound32 rounds values to float32, the precision of the float32 path's intermediates.
func faRound32(s []float64) {
	for i, v := range s {
		s[i] = float64(float32(v))
	}
}

// faMod runs a score or probability region on vals as a tensor of the working type and copies
// its output back into vals (the output may be a value the region shares, which the caller's
// softmax must not change in place).
func faMod(x *Exec, body Body, what string, vals []float64, work DType, shape []int) error {
	t := &Tensor{}
	if err := msStoreFloat(t, work, vals, shape...); err != nil {
		return err
	}
	res := []*Tensor{{}}
	if err := body(res, []*Tensor{t}); err != nil {
		return fmt.Errorf("FlexAttention %s: %w", what, err)
	}
	r := res[0]
	if !slices.Equal(r.Shape, shape) {
		return fmt.Errorf("FlexAttention %s: output of shape %v, want %v", what, r.Shape, shape)
	}
	if !r.DType.IsFloat() {
		return fmt.Errorf("FlexAttention %s: output of %s, want a float type", what, r.DType)
	}
	copy(vals, atLoad[float64](x, r, atSlotAux))
	return nil
}

package runtime

import (
	"fmt"
	"math"
)

// LinearAttentionParams configures LinearAttention (opset 27).
type LinearAttentionParams struct {
	QHeads, KVHeads int
	// Gated multiplies the state by exp(decay) before each step; Delta replaces v by
	// beta * (v - S^T k) before the write.
	Gated, Delta bool
	// Scale multiplies the read-out; 0 means 1/sqrt(d_k).
	Scale float32
}

// LinearAttention runs the recurrent linear-attention update over the T steps of packed
// [B, T, H*D] query/key/value. Inputs: query, key, value, past_state (B, H_kv, d_k, d_v),
// decay (B, T, H_kv) or (B, T, H_kv*d_k), beta (B, T, H_kv) or (B, T, 1), erase_gate
// (B, T, H_kv*d_k); the last four are optional. Outputs: output (B, T, H_q*d_v) of query's type
// and present_state of past_state's type (query's when absent). The state is kept in float32.
func LinearAttention(x *Exec, p *LinearAttentionParams, out, in []*Tensor) error {
	Q, K, V := in[0], in[1], in[2]
	opt := func(i int) *Tensor {
		if len(in) > i {
			return in[i]
		}
		return nil
	}
	past, decay, beta, erase := opt(3), opt(4), opt(5), opt(6)
	hq, hkv := p.QHeads, p.KVHeads
	if hq <= 0 || hkv <= 0 || hq%hkv != 0 {
		return fmt.Errorf("linear attention: q_num_heads %d is not a positive multiple of kv_num_heads %d", hq, hkv)
	}
	if len(Q.Shape) != 3 || len(K.Shape) != 3 || len(V.Shape) != 3 {
		return fmt.Errorf("linear attention: query %v, key %v, value %v must be rank 3", Q.Shape, K.Shape, V.Shape)
	}
	for _, t := range []*Tensor{Q, K, V, past, decay, beta, erase} {
		if t != nil && !t.DType.IsFloat() {
			return fmt.Errorf("linear attention: input of %s", t.DType)
		}
	}
	B, T := Q.Shape[0], Q.Shape[1]
	if Q.Shape[2]%hq != 0 || V.Shape[2]%hkv != 0 {
		return fmt.Errorf("linear attention: query %v or value %v not divisible into heads", Q.Shape, V.Shape)
	}
	dk, dv := Q.Shape[2]/hq, V.Shape[2]/hkv
	if K.Shape[0] != B || K.Shape[1] != T || K.Shape[2] != hkv*dk || V.Shape[0] != B || V.Shape[1] != T {
		return fmt.Errorf("linear attention: key %v or value %v does not match query %v", K.Shape, V.Shape, Q.Shape)
	}
	if p.Gated != (decay != nil) {
		return fmt.Errorf("linear attention: decay input must be given exactly for gated update rules")
	}
	if p.Delta != (beta != nil) {
		return fmt.Errorf("linear attention: beta input must be given exactly for delta update rules")
	}
	if erase != nil && !p.Delta {
		return fmt.Errorf("linear attention: erase_gate needs a delta update rule")
	}
	decayPerDim := false
	if decay != nil {
		if len(decay.Shape) != 3 || decay.Shape[0] != B || decay.Shape[1] != T || (decay.Shape[2] != hkv && decay.Shape[2] != hkv*dk) {
			return fmt.Errorf("linear attention: decay %v, want (%d, %d, %d or %d)", decay.Shape, B, T, hkv, hkv*dk)
		}
		decayPerDim = decay.Shape[2] == hkv*dk && dk != 1
	}
	betaPerHead := false
	if beta != nil {
		if len(beta.Shape) != 3 || beta.Shape[0] != B || beta.Shape[1] != T || (beta.Shape[2] != hkv && beta.Shape[2] != 1) {
			return fmt.Errorf("linear attention: beta %v, want (%d, %d, %d or 1)", beta.Shape, B, T, hkv)
		}
		betaPerHead = beta.Shape[2] == hkv
	}
	if erase != nil && (len(erase.Shape) != 3 || erase.Shape[0] != B || erase.Shape[1] != T || erase.Shape[2] != hkv*dk) {
		return fmt.Errorf("linear attention: erase_gate %v, want (%d, %d, %d)", erase.Shape, B, T, hkv*dk)
	}
	stateDT := Q.DType
	if past != nil {
		if len(past.Shape) != 4 || past.Shape[0] != B || past.Shape[1] != hkv || past.Shape[2] != dk || past.Shape[3] != dv {
			return fmt.Errorf("linear attention: past_state %v, want (%d, %d, %d, %d)", past.Shape, B, hkv, dk, dv)
		}
		stateDT = past.DType
	}
	scale := float64(p.Scale)
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(dk))
	}
	q, k, v := atLoad[float32](x, Q, 0), atLoad[float32](x, K, 1), atLoad[float32](x, V, 2)
	var g, bt, eg []float32
	if decay != nil {
		g = atLoad[float32](x, decay, 3)
	}
	if beta != nil {
		bt = atLoad[float32](x, beta, 4)
	}
	if erase != nil {
		eg = atLoad[float32](x, erase, 5)
	}
	nState := B * hkv * dk * dv
	var st *Tensor
	if len(out) > 1 {
		st = out[1]
	}
	S := atOut[float32](x, st, stateDT, 6, nState, B, hkv, dk, dv)
	if past != nil {
		copy(S, atLoad[float32](x, past, 7))
	} else {
		clear(S)
	}
	y := atOut[float32](x, out[0], Q.DType, 8, B*T*hq*dv, B, T, hq*dv)
	work := ScratchOf[float32](x, 9, B*hkv*(2*dv+dk))
	group := hq / hkv
	x.Pool.For(B*hkv, T*dk*dv*(group+3), func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/hkv, bh%hkv
			s := S[bh*dk*dv : (bh+1)*dk*dv]
			w := work[bh*(2*dv+dk) : (bh+1)*(2*dv+dk)]
			vv, ret, kk := w[:dv], w[dv:2*dv], w[2*dv:]
			for t := range T {
				bt0 := b*T + t
				kt := k[(bt0*hkv+h)*dk : (bt0*hkv+h+1)*dk]
				vt := v[(bt0*hkv+h)*dv : (bt0*hkv+h+1)*dv]
				if g != nil {
					if decayPerDim {
						gt := g[(bt0*hkv+h)*dk : (bt0*hkv+h+1)*dk]
						for d := range dk {
							f := float32(math.Exp(float64(gt[d])))
							row := s[d*dv : (d+1)*dv]
							for m := range row {
								row[m] *= f
							}
						}
					} else {
						f := float32(math.Exp(float64(g[bt0*decay.Shape[2]+h%decay.Shape[2]])))
						for i := range s {
							s[i] *= f
						}
					}
				}
				copy(vv, vt)
				if p.Delta {
					copy(kk, kt)
					if eg != nil {
						et := eg[(bt0*hkv+h)*dk : (bt0*hkv+h+1)*dk]
						for d := range kk {
							kk[d] *= et[d]
						}
					}
					clear(ret)
					for d := range dk {
						row := s[d*dv : (d+1)*dv]
						kd := kk[d]
						for m := range ret {
							ret[m] += row[m] * kd
						}
					}
					bv := bt[bt0]
					if betaPerHead {
						bv = bt[bt0*hkv+h]
					}
					for m := range vv {
						vv[m] = bv * (vv[m] - ret[m])
					}
				}
				for d := range dk {
					row := s[d*dv : (d+1)*dv]
					kd := kt[d]
					for m := range row {
						row[m] += kd * vv[m]
					}
				}
				for j := range group {
					qh := h*group + j
					qt := q[(bt0*hq+qh)*dk : (bt0*hq+qh+1)*dk]
					o := y[(bt0*hq+qh)*dv : (bt0*hq+qh+1)*dv]
					clear(ret)
					for d := range dk {
						row := s[d*dv : (d+1)*dv]
						qd := qt[d]
						for m := range ret {
							ret[m] += qd * row[m]
						}
					}
					for m := range o {
						o[m] = float32(scale * float64(ret[m]))
					}
				}
			}
		}
	})
	atStore(out[0], y)
	if st != nil {
		atStore(st, S)
	}
	return nil
}

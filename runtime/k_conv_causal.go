package runtime

import (
	"fmt"
	"math"
	"strings"
)

// Scratch slots of CausalConvWithState beyond the conv ones it shares.
const (
	ccSlotSeq   = cvSlotCol + 1
	ccSlotState = cvSlotCol + 2
)

// CausalConvParams configures CausalConvWithState: Activation is "", "none", "silu" or
// "swish" (the last two both x * sigmoid(x)).
type CausalConvParams struct {
	Activation string
}

// CausalConvWithState is ONNX CausalConvWithState: a causal depthwise 1-D convolution over
// (batch, channels, length) whose left context is the past state (zeros when absent). Per
// channel, seq = past ++ x; y[t] = act(bias + sum_k w[k] * seq[t+k]); the present state is the
// last kernel-1 positions of seq. Float16 and bfloat16 compute in float32.
func CausalConvWithState(x *Exec, p *CausalConvParams, out, in []*Tensor) error {
	X, W := in[0], in[1]
	B, P := qzOpt(in, 2), qzOpt(in, 3)
	silu := false
	switch strings.ToLower(p.Activation) {
	case "", "none":
	case "silu", "swish":
		silu = true
	default:
		return fmt.Errorf("unknown activation %q", p.Activation)
	}
	if len(X.Shape) != 3 || len(W.Shape) != 3 || W.Shape[1] != 1 || W.Shape[0] != X.Shape[1] || W.Shape[2] < 1 {
		return fmt.Errorf("input %v and weight %v, want (batch, channels, length) and (channels, 1, k)", X.Shape, W.Shape)
	}
	nb, c, l, k := X.Shape[0], X.Shape[1], X.Shape[2], W.Shape[2]
	if B != nil && B.Len() != c {
		return fmt.Errorf("bias of shape %v, want %d elements", B.Shape, c)
	}
	if P != nil && !ctEqualInts(P.Shape, []int{nb, c, k - 1}) {
		return fmt.Errorf("past state of shape %v, want [%d %d %d]", P.Shape, nb, c, k-1)
	}
	for _, t := range []*Tensor{W, B, P} {
		if t != nil && t.DType != X.DType {
			return fmt.Errorf("operand types %s and %s differ", X.DType, t.DType)
		}
	}
	xs, err := cvF32(x, X, cvSlotX)
	if err != nil {
		return err
	}
	ws, _ := cvF32(x, W, cvSlotW)
	var bias, past []float32
	if B != nil {
		bias, _ = cvF32(x, B, cvSlotB)
	}
	if P != nil {
		past, _ = cvF32(x, P, cvSlotCol)
	}
	Y := out[0]
	Y.Resize(X.DType, nb, c, l)
	ys := ScratchOf[float32](x, cvSlotY, Y.Len())
	var ps []float32
	if len(out) > 1 && out[1] != nil {
		out[1].Resize(X.DType, nb, c, k-1)
		ps = ScratchOf[float32](x, ccSlotState, out[1].Len())
	}
	seq := ScratchOf[float32](x, ccSlotSeq, k-1+l)
	for r := 0; r < nb*c; r++ {
		ch := r % c
		if past != nil {
			copy(seq, past[r*(k-1):(r+1)*(k-1)])
		} else {
			clear(seq[:k-1])
		}
		copy(seq[k-1:], xs[r*l:(r+1)*l])
		w := ws[ch*k : (ch+1)*k]
		var b float32
		if bias != nil {
			b = bias[ch]
		}
		y := ys[r*l : (r+1)*l]
		for t := range y {
			s := b
			for j, wv := range w {
				s += wv * seq[t+j]
			}
			if silu {
				s = float32(float64(s) / (1 + math.Exp(-float64(s))))
			}
			y[t] = s
		}
		if ps != nil {
			copy(ps[r*(k-1):(r+1)*(k-1)], seq[l:])
		}
	}
	ccStore(Y, ys)
	if ps != nil {
		ccStore(out[1], ps)
	}
	return nil
}

// ccStore writes float32 values into a float tensor of any precision (already resized).
func ccStore(t *Tensor, v []float32) {
	if t.DType == Float32 {
		copy(Data[float32](t), v)
		return
	}
	cvStoreF32(t, v)
}

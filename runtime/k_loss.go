package runtime

import (
	"fmt"
	"math"
)

// Loss reductions (LossParams.Reduction).
const (
	LossNone = iota
	LossSum
	LossMean
)

// LossParams configures NLLLoss.
type LossParams struct {
	Reduction int
	// IgnoreIndex is a target value that contributes nothing (loss and weight 0), when
	// HasIgnoreIndex.
	IgnoreIndex    int64
	HasIgnoreIndex bool
	// Softmax makes input 0 raw scores whose log-softmax over axis 1 is taken first
	// (SoftmaxCrossEntropyLoss); output 1, when present, receives those log-probabilities.
	Softmax bool
}

// NLLLoss computes NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over input (N, C, d1,
// ..., dk), target (N, d1, ..., dk) and optional per-class weight (C):
// loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]]. The mean reduction divides
// by the sum of the weights used (the count of non-ignored targets without weights).
func NLLLoss(x *Exec, p *LossParams, out, in []*Tensor) error {
	src, tgt := in[0], in[1]
	var wt *Tensor
	if len(in) > 2 {
		wt = in[2]
	}
	N, C, D, err := nmChannels(src.Shape)
	if err != nil {
		return err
	}
	if len(tgt.Shape) != len(src.Shape)-1 || tgt.Shape[0] != N || NumElems(tgt.Shape[1:]) != D {
		return fmt.Errorf("target shape %v does not match input shape %v", tgt.Shape, src.Shape)
	}
	for i, d := range tgt.Shape[1:] {
		if d != src.Shape[i+2] {
			return fmt.Errorf("target shape %v does not match input shape %v", tgt.Shape, src.Shape)
		}
	}
	if wt != nil && wt.Len() != C {
		return fmt.Errorf("weight has shape %v, want %d elements", wt.Shape, C)
	}
	var labels []int64
	switch tgt.DType {
	case Int64:
		labels = Data[int64](tgt)
	case Int32:
		labels = ScratchOf[int64](x, rdSlotLabels, tgt.Len())
		for i, v := range Data[int32](tgt) {
			labels[i] = int64(v)
		}
	default:
		return fmt.Errorf("target of type %s, want int32 or int64", tgt.DType)
	}
	loss := out[0]
	if p.Reduction == LossNone {
		loss.Resize(src.DType, tgt.Shape...)
	} else {
		loss.Resize(src.DType)
	}
	var logp *Tensor
	if p.Softmax && len(out) > 1 && out[1] != nil {
		logp = out[1]
		logp.Resize(src.DType, src.Shape...)
	}
	ls := lsState{x: x, p: p, N: N, C: C, D: D, labels: labels, wt: wt}
	switch src.DType {
	case Float32:
		var lp []float32
		if logp != nil {
			lp = Data[float32](logp)
		}
		return lsRun(&ls, Data[float32](src), lp, Data[float32](loss))
	case Float64:
		var lp []float64
		if logp != nil {
			lp = Data[float64](logp)
		}
		return lsRun(&ls, Data[float64](src), lp, Data[float64](loss))
	case Float16, BFloat16:
		var lp []float32
		if logp != nil {
			lp = ScratchOf[float32](x, rdSlotAux2, logp.Len())
		}
		d := ScratchOf[float32](x, rdSlotHalfOut, loss.Len())
		if err := lsRun(&ls, rdF32In(x, src, rdSlotHalfIn), lp, d); err != nil {
			return err
		}
		rdF32Store(loss, d)
		if logp != nil {
			rdF32Store(logp, lp)
		}
		return nil
	}
	return fmt.Errorf("%s input is not supported (want a float type)", src.DType)
}

// lsState is NLLLoss's state, shared by its instantiations.
type lsState struct {
	x       *Exec
	p       *LossParams
	N, C, D int
	labels  []int64
	wt      *Tensor
}

// lsRun computes the loss from src (log-probabilities, or scores with Softmax; logp, when not
// nil, receives their log-softmax) into loss.
func lsRun[T rdFloat](ls *lsState, src, logp, loss []T) error {
	x, p, N, C, D := ls.x, ls.p, ls.N, ls.C, ls.D
	if p.Softmax {
		if logp == nil {
			logp = ScratchOf[T](x, rdSlotAux, len(src))
		}
		if len(src) > 0 {
			smRun(x, LogSoftmaxOp, src, logp, rdLayout{Outer: N, R: C, Inner: D})
		}
		src = logp
	}
	var w []T
	if ls.wt != nil {
		var err error
		if w, err = rdVec[T](x, ls.wt, rdSlotVec); err != nil {
			return err
		}
	}
	var sum, wsum float64
	for n := 0; n < N; n++ {
		for d := 0; d < D; d++ {
			i := n*D + d
			t := ls.labels[i]
			var l, wv float64
			if !p.HasIgnoreIndex || t != p.IgnoreIndex {
				if t < 0 || t >= int64(C) {
					return fmt.Errorf("target %d at index %d is outside [0, %d)", t, i, C)
				}
				wv = 1
				if w != nil {
					wv = float64(w[t])
				}
				l = -float64(src[(n*C+int(t))*D+d]) * wv
			}
			if p.Reduction == LossNone {
				loss[i] = T(l)
			}
			sum += l
			wsum += wv
		}
	}
	switch p.Reduction {
	case LossSum:
		loss[0] = T(sum)
	case LossMean:
		if wsum == 0 {
			// Every target is ignored (or weighs 0): 0/0.
			loss[0] = T(math.NaN())
		} else {
			loss[0] = T(sum / wsum)
		}
	}
	return nil
}

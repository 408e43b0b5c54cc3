package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: one kernel, the latter taking the
// log-softmax of its scores first and optionally returning it.

var lossTable = []struct {
	op      string
	softmax bool
	maxOut  int
	doc     string
}{
	{"NegativeLogLikelihoodLoss", false, 1, "negative log-likelihood of the target classes"},
	{"SoftmaxCrossEntropyLoss", true, 2, "cross entropy of softmax(scores) and the target classes"},
}

func init() {
	for _, row := range lossTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: row.maxOut,
			Doc:   row.doc,
			Infer: inferLoss,
			Lower: func(n *ir.Node) (Call, error) {
				red, err := lossReduction(n)
				if err != nil {
					return Call{}, err
				}
				return K(lowered.NLLLoss, &runtime.LossParams{
					Reduction:      red,
					IgnoreIndex:    n.GetInt("ignore_index", 0),
					HasIgnoreIndex: n.Has("ignore_index"),
					Softmax:        row.softmax,
				}), nil
			},
		})
	}
}

func lossReduction(n *ir.Node) (int, error) {
	switch r := n.GetString("reduction", "mean"); r {
	case "none":
		return runtime.LossNone, nil
	case "sum":
		return runtime.LossSum, nil
	case "mean":
		return runtime.LossMean, nil
	default:
		return 0, Errorf(n, "reduction %q, want none, sum or mean", r)
	}
}

func inferLoss(n *ir.Node) error {
	t, tt := InType(n, 0), InType(n, 1)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	if tt.DType != runtime.Undefined && tt.DType != runtime.Int32 && tt.DType != runtime.Int64 {
		return Errorf(n, "target of type %s, want int32 or int64", tt.DType)
	}
	red, err := lossReduction(n)
	if err != nil {
		return err
	}
	if t.RankKnown && len(t.Shape) < 2 {
		return Errorf(n, "input of rank %d, want N x C x ...", len(t.Shape))
	}
	if t.RankKnown && tt.RankKnown {
		if len(tt.Shape) != len(t.Shape)-1 {
			return Errorf(n, "target of rank %d for input of rank %d", len(tt.Shape), len(t.Shape))
		}
		for i, d := range tt.Shape {
			e := t.Shape[0]
			if i > 0 {
				e = t.Shape[i+1]
			}
			if d.IsStatic() && e.IsStatic() && d.N != e.N {
				return Errorf(n, "target shape %v does not match input shape %v", tt.Shape, t.Shape)
			}
		}
	}
	if n.Input(2) != nil && t.RankKnown {
		if err := nmCheckVec(n, 2, t.Shape[1], "weight"); err != nil {
			return err
		}
	}
	switch {
	case red != runtime.LossNone:
		SetOut(n, 0, ir.TensorType(t.DType))
	case tt.RankKnown:
		// Dims the target leaves unknown may be known from the input.
		dims := append([]ir.Dim(nil), tt.Shape...)
		for i := range dims {
			if !dims[i].IsStatic() && t.RankKnown {
				if i == 0 {
					dims[i] = t.Shape[0]
				} else {
					dims[i] = t.Shape[i+1]
				}
			}
		}
		SetOut(n, 0, ir.TensorType(t.DType, dims...))
	default:
		SetOut(n, 0, ir.Type{DType: t.DType})
	}
	SetOut(n, 1, t)
	return nil
}

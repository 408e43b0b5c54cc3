package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Softmax, LogSoftmax and Hardmax with opset-13 semantics: one axis, default -1 (frontends
// rewrite the older flatten-to-2D forms).

var softmaxTable = []struct {
	op   string
	code int
	doc  string
}{
	{"Softmax", runtime.SoftmaxOp, "exp(x) normalized to sum 1 along an axis"},
	{"LogSoftmax", runtime.LogSoftmaxOp, "log of Softmax along an axis"},
	{"Hardmax", runtime.HardmaxOp, "1 at the first maximum along an axis, 0 elsewhere"},
}

func init() {
	for _, row := range softmaxTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: row.doc,
			Infer: func(n *ir.Node) error {
				t := InType(n, 0)
				if err := rdFloatType(n, t.DType); err != nil {
					return err
				}
				if t.RankKnown {
					if _, err := NormAxis(n, n.GetInt("axis", -1), max(len(t.Shape), 1)); err != nil {
						return err
					}
				}
				SetOut(n, 0, t)
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Softmax, &runtime.SoftmaxParams{Op: row.code, Axis: int(n.GetInt("axis", -1))}), nil
			},
		})
	}
}

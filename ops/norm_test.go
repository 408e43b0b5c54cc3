package ops

import (
	"math"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

func TestNormInfer(t *testing.T) {
	x := rdtType(2, 4, 3)
	c4 := rdtType(4)
	trueT := runtime.New(runtime.Bool)
	runtime.Data[uint8](trueT)[0] = 1
	ratio := func(v float32) *runtime.Tensor {
		r := runtime.New(runtime.Float32)
		runtime.Data[float32](r)[0] = v
		return r
	}
	rdtRunInfer(t, []rdtInferCase{
		{"softmax", "Softmax", 1, []any{x}, nil, "float32[2,4,3]"},
		{"logsoftmax axis", "LogSoftmax", 1, []any{x}, []ir.Attr{ir.Int("axis", 0)}, "float32[2,4,3]"},
		{"hardmax bad axis", "Hardmax", 1, []any{x}, []ir.Attr{ir.Int("axis", 3)}, "error: out of range"},
		{"softmax int", "Softmax", 1, []any{ir.StaticType(runtime.Int32, 2)}, nil, "error: float"},
		{"batchnorm", "BatchNormalization", 1, []any{x, c4, c4, c4, c4}, nil, "float32[2,4,3]"},
		{"batchnorm training", "BatchNormalization", 3, []any{x, c4, c4, c4, c4}, []ir.Attr{ir.Int("training_mode", 1)}, "float32[2,4,3] float32[4] float32[4]"},
		{"batchnorm stats without training", "BatchNormalization", 3, []any{x, c4, c4, c4, c4}, nil, "error: training_mode"},
		{"batchnorm bad scale", "BatchNormalization", 1, []any{x, rdtType(3), c4, c4, c4}, nil, "error: scale"},
		{"instancenorm", "InstanceNormalization", 1, []any{x, c4, c4}, nil, "float32[2,4,3]"},
		{"groupnorm", "GroupNormalization", 1, []any{x, c4, c4}, []ir.Attr{ir.Int("num_groups", 2)}, "float32[2,4,3]"},
		{"groupnorm indivisible", "GroupNormalization", 1, []any{x, c4, c4}, []ir.Attr{ir.Int("num_groups", 3)}, "error: groups"},
		{"groupnorm no groups", "GroupNormalization", 1, []any{x, c4, c4}, nil, "error: num_groups"},
		{"layernorm", "LayerNormalization", 3, []any{x, rdtType(3), rdtType(3)}, nil, "float32[2,4,3] float32[2,4,1] float32[2,4,1]"},
		{"layernorm axis", "LayerNormalization", 3, []any{x, rdtType(4, 3)}, []ir.Attr{ir.Int("axis", -2), ir.Int("stash_type", 11)}, "float32[2,4,3] float64[2,1,1] float64[2,1,1]"},
		{"rmsnorm", "RMSNormalization", 1, []any{x, rdtType(3)}, nil, "float32[2,4,3]"},
		{"rmsnorm no bias input", "RMSNormalization", 1, []any{x, rdtType(3), rdtType(3)}, nil, "error: inputs"},
		{"lpnorm", "LpNormalization", 1, []any{x}, []ir.Attr{ir.Int("p", 1)}, "float32[2,4,3]"},
		{"lpnorm p3", "LpNormalization", 1, []any{x}, []ir.Attr{ir.Int("p", 3)}, "error: p = 3"},
		{"mvn", "MeanVarianceNormalization", 1, []any{rdtType(1, 2, 3, 4)}, nil, "float32[1,2,3,4]"},
		{"mvn rank 3 default axes", "MeanVarianceNormalization", 1, []any{x}, nil, "error: out of range"},
		{"lrn", "LRN", 1, []any{rdtType(1, 2, 3, 4)}, []ir.Attr{ir.Int("size", 3)}, "float32[1,2,3,4]"},
		{"lrn no size", "LRN", 1, []any{rdtType(1, 2, 3, 4)}, nil, "error: size"},
		{"dropout", "Dropout", 2, []any{x}, nil, "float32[2,4,3] bool[2,4,3]"},
		{"dropout training ratio 0", "Dropout", 2, []any{x, ratio(0), trueT}, nil, "float32[2,4,3] bool[2,4,3]"},
		{"dropout training", "Dropout", 1, []any{x, ratio(0.5), trueT}, nil, "error: random"},
		{"dropout training default ratio", "Dropout", 1, []any{x, nil, trueT}, nil, "error: random"},
		{"dropout training unknown ratio", "Dropout", 1, []any{x, rdtType(), trueT}, nil, "float32[2,4,3]"},
		{"dropout bad ratio", "Dropout", 1, []any{x, ratio(1)}, nil, "error: ratio"},
	})
}

func TestLossInfer(t *testing.T) {
	x := rdtType(2, 5, 3)
	tgt := ir.StaticType(runtime.Int64, 2, 3)
	rdtRunInfer(t, []rdtInferCase{
		{"nll mean", "NegativeLogLikelihoodLoss", 1, []any{x, tgt}, nil, "float32[]"},
		{"nll none", "NegativeLogLikelihoodLoss", 1, []any{x, tgt, rdtType(5)}, []ir.Attr{ir.String("reduction", "none")}, "float32[2,3]"},
		{"nll none unknown target dims", "NegativeLogLikelihoodLoss", 1, []any{x, ir.TensorType(runtime.Int32, ir.Unknown(), ir.Unknown())}, []ir.Attr{ir.String("reduction", "none")}, "float32[2,3]"},
		{"nll bad reduction", "NegativeLogLikelihoodLoss", 1, []any{x, tgt}, []ir.Attr{ir.String("reduction", "max")}, "error: reduction"},
		{"nll bad target", "NegativeLogLikelihoodLoss", 1, []any{x, ir.StaticType(runtime.Int64, 2, 4)}, nil, "error: does not match"},
		{"nll bad weight", "NegativeLogLikelihoodLoss", 1, []any{x, tgt, rdtType(4)}, nil, "error: weight"},
		{"nll float target", "NegativeLogLikelihoodLoss", 1, []any{x, rdtType(2, 3)}, nil, "error: target"},
		{"sce log_prob", "SoftmaxCrossEntropyLoss", 2, []any{x, tgt}, []ir.Attr{ir.String("reduction", "sum")}, "float32[] float32[2,5,3]"},
	})
}

func TestLossLower(t *testing.T) {
	x := runtime.New(runtime.Float32, 2, 3)
	copy(runtime.Data[float32](x), []float32{1, 2, 3, 1, 2, 3})
	n := rdtNode("SoftmaxCrossEntropyLoss", 2, []any{rdtType(2, 3), ir.StaticType(runtime.Int64, 2)},
		ir.Int("ignore_index", 0))
	res := rdtInterpret(t, n, x, rdtInts(2, 0))
	want := 0.40760596444438
	if got := float64(runtime.Data[float32](res[0])[0]); math.Abs(got-want) > 1e-6 {
		t.Errorf("SCE mean with one target ignored = %v, want %v", got, want)
	}
	n = rdtNode("LayerNormalization", 3, []any{rdtType(2, 3), rdtType(3)})
	one := runtime.New(runtime.Float32, 3)
	copy(runtime.Data[float32](one), []float32{1, 1, 1})
	res = rdtInterpret(t, n, x, one)
	if got := runtime.Data[float32](res[1]); got[0] != 2 || got[1] != 2 || len(res[1].Shape) != 2 {
		t.Errorf("LayerNormalization mean = %v %v", res[1].Shape, got)
	}
}

package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Normalizations: BatchNormalization, Group/InstanceNormalization (one kernel),
// Layer/RMSNormalization (one kernel), LpNormalization, MeanVarianceNormalization and LRN.

// groupNormTable: InstanceNormalization is GroupNormalization with one group per channel.
var groupNormTable = []struct {
	op       string
	instance bool
	doc      string
}{
	{"GroupNormalization", false, "normalization over groups of channels, then per-channel scale and bias"},
	{"InstanceNormalization", true, "normalization of each channel of each instance, then scale and bias"},
}

// layerNormTable: RMSNormalization is LayerNormalization without the mean and the bias.
var layerNormTable = []struct {
	op           string
	rms          bool
	maxIn, maxOu int
	doc          string
}{
	{"LayerNormalization", false, 3, 3, "normalization over the trailing dims from axis, then scale and bias"},
	{"RMSNormalization", true, 2, 1, "division by the root mean square over the trailing dims from axis, then scale"},
}

func init() {
	Register(&Def{
		Op: "BatchNormalization", MinIn: 5, MaxIn: 5, MinOut: 1, MaxOut: 3,
		Doc:   "per-channel normalization with given (or, in training mode, batch) statistics",
		Infer: inferBatchNorm,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.BatchNorm, &runtime.BatchNormParams{
				Epsilon:  n.GetFloat("epsilon", 1e-5),
				Momentum: n.GetFloat("momentum", 0.9),
				Training: n.GetInt("training_mode", 0) != 0,
			}), nil
		},
	})
	for _, row := range groupNormTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Doc:   row.doc,
			Infer: func(n *ir.Node) error { return inferGroupNorm(n, row.instance) },
			Lower: func(n *ir.Node) (Call, error) {
				p := &runtime.GroupNormParams{Epsilon: n.GetFloat("epsilon", 1e-5)}
				if !row.instance {
					p.Groups = int(n.GetInt("num_groups", 0))
				}
				return K(lowered.GroupNorm, p), nil
			},
		})
	}
	for _, row := range layerNormTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 2, MaxIn: row.maxIn, MinOut: 1, MaxOut: row.maxOu,
			Doc:   row.doc,
			Infer: inferLayerNorm,
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.LayerNorm, &runtime.LayerNormParams{
					Axis:     int(n.GetInt("axis", -1)),
					Epsilon:  n.GetFloat("epsilon", 1e-5),
					RMS:      row.rms,
					StatType: runtime.DType(n.GetInt("stash_type", 1)),
				}), nil
			},
		})
	}
	Register(&Def{
		Op: "LpNormalization", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "division by the L1 or L2 norm along an axis",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := rdFloatType(n, t.DType); err != nil {
				return err
			}
			if p := n.GetInt("p", 2); p != 1 && p != 2 {
				return Errorf(n, "p = %d, want 1 or 2", p)
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
			return K(lowered.LpNorm, &runtime.LpNormParams{Axis: int(n.GetInt("axis", -1)), P: int(n.GetInt("p", 2))}), nil
		},
	})
	Register(&Def{
		Op: "MeanVarianceNormalization", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "(x - mean) / std over axes",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := rdFloatType(n, t.DType); err != nil {
				return err
			}
			if t.RankKnown {
				if _, err := rdMask(n, len(t.Shape), mvnAxes(n), false); err != nil {
					return err
				}
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.MeanVarianceNorm, &runtime.MVNParams{Axes: mvnAxes(n)}), nil
		},
	})
	Register(&Def{
		Op: "LRN", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "local response normalization across channels",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := rdFloatType(n, t.DType); err != nil {
				return err
			}
			if n.GetInt("size", 0) <= 0 {
				return Errorf(n, "needs a positive size attribute")
			}
			if t.RankKnown && len(t.Shape) < 2 {
				return Errorf(n, "input of rank %d has no channel dim", len(t.Shape))
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.LRN, &runtime.LRNParams{
				Size:  int(n.GetInt("size", 0)),
				Alpha: n.GetFloat("alpha", 1e-4),
				Beta:  n.GetFloat("beta", 0.75),
				Bias:  n.GetFloat("bias", 1),
			}), nil
		},
	})
}

func mvnAxes(n *ir.Node) []int64 { return n.GetInts("axes", []int64{0, 2, 3}) }

// nmChannelDim is the channel dim of an (N, C, ...) input type, checking the rank when known.
func nmChannelDim(n *ir.Node, t ir.Type) (ir.Dim, error) {
	if !t.RankKnown {
		return ir.Unknown(), nil
	}
	if len(t.Shape) < 2 {
		return ir.Dim{}, Errorf(n, "input of rank %d has no channel dim (want N x C x ...)", len(t.Shape))
	}
	return t.Shape[1], nil
}

// nmCheckVec checks that input i, when its shape is static, has c elements.
func nmCheckVec(n *ir.Node, i int, c ir.Dim, what string) error {
	t := InType(n, i)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	shape, ok := t.StaticShape()
	if !ok || !c.IsStatic() {
		return nil
	}
	if runtime.NumElems(shape) != int(c.N) {
		return Errorf(n, "%s has shape %v, want %d elements", what, shape, c.N)
	}
	return nil
}

func inferBatchNorm(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	c, err := nmChannelDim(n, t)
	if err != nil {
		return err
	}
	for i, what := range []string{"", "scale", "bias", "mean", "variance"} {
		if i > 0 {
			if err := nmCheckVec(n, i, c, what); err != nil {
				return err
			}
		}
	}
	training := n.GetInt("training_mode", 0) != 0
	SetOut(n, 0, t)
	for i := 1; i < len(n.Outputs); i++ {
		if n.Outputs[i] == nil {
			continue
		}
		if !training {
			return Errorf(n, "output %d (running statistics) exists only with training_mode=1", i)
		}
		SetOut(n, i, ir.TensorType(InType(n, 3).DType, c))
	}
	return nil
}

func inferGroupNorm(n *ir.Node, instance bool) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	c, err := nmChannelDim(n, t)
	if err != nil {
		return err
	}
	if !instance {
		g := n.GetInt("num_groups", 0)
		if g <= 0 {
			return Errorf(n, "needs a positive num_groups attribute")
		}
		if c.IsStatic() && c.N%g != 0 {
			return Errorf(n, "%d channels do not split into %d groups", c.N, g)
		}
	}
	if err := nmCheckVec(n, 1, c, "scale"); err != nil {
		return err
	}
	if err := nmCheckVec(n, 2, c, "bias"); err != nil {
		return err
	}
	SetOut(n, 0, t)
	return nil
}

func inferLayerNorm(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	stash := runtime.DType(n.GetInt("stash_type", 1))
	if !stash.IsFloat() {
		return Errorf(n, "stash_type %d is not a float type", n.GetInt("stash_type", 1))
	}
	SetOut(n, 0, t)
	if !t.RankKnown {
		for i := 1; i < len(n.Outputs); i++ {
			SetOut(n, i, ir.Type{DType: stash})
		}
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", -1), max(len(t.Shape), 1))
	if err != nil {
		return err
	}
	dims := append([]ir.Dim(nil), t.Shape...)
	for i := axis; i < len(dims); i++ {
		dims[i] = ir.Static(1)
	}
	for i := 1; i < len(n.Outputs); i++ {
		SetOut(n, i, ir.TensorType(stash, append([]ir.Dim(nil), dims...)...))
	}
	return nil
}

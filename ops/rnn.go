package ops

import (
	"strings"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// RNN, GRU and LSTM (opset 22 semantics, which differ from the older versions only in the
// types allowed and the layout attribute, defaulting to the old behavior).

var rnTable = []struct {
	op       string
	maxIn    int
	maxOut   int
	gates    int
	defaults []string
	kernel   lowered.Entry
	doc      string
}{
	{"RNN", 6, 2, 1, []string{"tanh"}, lowered.RNN, "simple recurrent network"},
	{"GRU", 6, 2, 3, []string{"sigmoid", "tanh"}, lowered.GRU, "gated recurrent unit network"},
	{"LSTM", 8, 3, 4, []string{"sigmoid", "tanh", "tanh"}, lowered.LSTM, "long short-term memory network"},
}

func init() {
	for _, row := range rnTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 3, MaxIn: row.maxIn, MinOut: 0, MaxOut: row.maxOut,
			Doc: row.doc,
			Infer: func(n *ir.Node) error {
				return inferRecurrent(n, row.gates, row.defaults)
			},
			Lower: func(n *ir.Node) (Call, error) {
				p, err := rnParams(n, row.defaults)
				if err != nil {
					return Call{}, err
				}
				c := K(row.kernel, p)
				c.Prepack = rnPrepack(n, p, row.gates)
				return c, nil
			},
		})
	}
}

// onnxc.DynQuantRNN, onnxc.DynQuantGRU and onnxc.DynQuantLSTM are their op with int8 weights
// (passes/quantize_rnn.go makes them): the float op's inputs (omitted ones nil), W int8 [dirs,
// gates*H, I], R int8 too or float32 (GRU without linear_before_reset, whose candidate product
// reads R's rows unpacked), then W's scales and, for an int8 R, R's (float32, one per direction
// or [dirs, gates*H]). X and the hidden state are quantized per run, as DynamicQuantizeLinear.
func init() {
	for _, row := range rnTable {
		row := row
		Register(&Def{
			Op: "DynQuant" + row.op, Domain: FusedDomain, MinIn: row.maxIn + 1, MaxIn: row.maxIn + 2, MinOut: 0, MaxOut: row.maxOut,
			Doc: row.doc + " by int8 weights, its input quantized per run (made by the quantize pass)",
			Infer: func(n *ir.Node) error {
				if err := rnQuantInputs(n, row.maxIn); err != nil {
					return err
				}
				return inferRecurrent(n, row.gates, row.defaults)
			},
			Lower: func(n *ir.Node) (Call, error) {
				p, err := rnParams(n, row.defaults)
				if err != nil {
					return Call{}, err
				}
				if err := rnQuantInputs(n, row.maxIn); err != nil {
					return Call{}, err
				}
				p.QuantW, p.QuantR = true, InType(n, 2).DType == runtime.Int8
				c := K(row.kernel, p)
				for i := 1; i <= 2; i++ {
					w := n.Input(i)
					if w.Const == nil || len(w.Const.Shape) != 3 {
						return Call{}, Errorf(n, "input %d is not a constant weight tensor", i)
					}
					dirs, gh, k := w.Const.Shape[0], w.Const.Shape[1], w.Const.Shape[2]
					if w.Const.DType != runtime.Int8 {
						continue // a float R that the product reads as it is
					}
					c.Prepack = append(c.Prepack, lowered.Prepack{Input: i, Layout: lowered.PackQGemmB, Groups: dirs, K: k, N: gh, Trans: true})
				}
				p.PackedW, p.PackedR = true, p.QuantR
				return c, nil
			},
		})
	}
}

// rnQuantInputs checks a quantized recurrent node's weight and scale inputs (the float op's
// maxIn inputs come first).
func rnQuantInputs(n *ir.Node, maxIn int) error {
	w, r := InType(n, 1), InType(n, 2)
	if w.DType != runtime.Int8 {
		return Errorf(n, "W is %s, want int8", w.DType)
	}
	if r.DType != runtime.Int8 && r.DType != runtime.Float32 {
		return Errorf(n, "R is %s, want int8 or float32", r.DType)
	}
	if r.DType == runtime.Float32 && !(n.Op == "DynQuantGRU" && n.GetInt("linear_before_reset", 0) == 0) {
		return Errorf(n, "R is float32, which only a GRU without linear_before_reset keeps")
	}
	scales := 1
	if r.DType == runtime.Int8 {
		scales = 2
	}
	if len(n.Inputs) != maxIn+scales {
		return Errorf(n, "%d inputs, want %d: the op's %d, then %d weight scales", len(n.Inputs), maxIn+scales, maxIn, scales)
	}
	for i := maxIn; i < maxIn+scales; i++ {
		if t := InType(n, i); t.DType != runtime.Float32 {
			return Errorf(n, "weight scale (input %d) is %s, want float32", i, t.DType)
		}
	}
	return nil
}

func rnDirection(n *ir.Node) (int, error) {
	switch d := n.GetString("direction", "forward"); d {
	case "forward":
		return runtime.RNNForward, nil
	case "reverse":
		return runtime.RNNReverse, nil
	case "bidirectional":
		return runtime.RNNBidirectional, nil
	default:
		return 0, Errorf(n, "unknown direction %q", d)
	}
}

func rnParams(n *ir.Node, defaults []string) (*runtime.RecurrentParams, error) {
	dir, err := rnDirection(n)
	if err != nil {
		return nil, err
	}
	dirs := 1
	if dir == runtime.RNNBidirectional {
		dirs = 2
	}
	p := &runtime.RecurrentParams{
		Hidden:       int(n.GetInt("hidden_size", 0)),
		Direction:    dir,
		Layout:       int(n.GetInt("layout", 0)),
		Clip:         float32(n.GetFloat("clip", 0)),
		LinearBefore: n.GetInt("linear_before_reset", 0) != 0,
		InputForget:  n.GetInt("input_forget", 0) != 0,
	}
	if p.Layout != 0 && p.Layout != 1 {
		return nil, Errorf(n, "layout %d, want 0 or 1", p.Layout)
	}
	names := n.GetStrings("activations", nil)
	switch {
	case len(names) == 0:
		for d := 0; d < dirs; d++ {
			names = append(names, defaults...)
		}
	case len(names) == len(defaults) && dirs == 2:
		// One list for both directions: lenient, as onnxruntime is.
		names = append(append([]string{}, names...), names...)
	case len(names) != len(defaults)*dirs:
		return nil, Errorf(n, "%d activations, want %d", len(names), len(defaults)*dirs)
	}
	// activation_alpha and activation_beta are consumed in order by the activations that take
	// them (as onnxruntime reads them); the others use their op's defaults.
	alphas, betas := n.GetFloats("activation_alpha", nil), n.GetFloats("activation_beta", nil)
	for _, name := range names {
		l := strings.ToLower(name)
		ar, ok := runtime.RNNActivationArity[l]
		if !ok {
			return nil, Errorf(n, "unsupported activation %q", name)
		}
		a, b := ar.Alpha, ar.Beta
		if ar.N >= 1 && len(alphas) > 0 {
			a, alphas = float32(alphas[0]), alphas[1:]
		}
		if ar.N >= 2 && len(betas) > 0 {
			b, betas = float32(betas[0]), betas[1:]
		}
		p.Activations = append(p.Activations, l)
		p.Alphas = append(p.Alphas, a)
		p.Betas = append(p.Betas, b)
	}
	return p, nil
}

func inferRecurrent(n *ir.Node, gates int, defaults []string) error {
	xt := InType(n, 0)
	dt := xt.DType
	if err := rdFloatType(n, dt); err != nil {
		return err
	}
	// The attributes are checked here so that a bad one fails early, naming the node.
	if _, err := rnParams(n, defaults); err != nil {
		return err
	}
	dir, _ := rnDirection(n)
	dirs := int64(1)
	if dir == runtime.RNNBidirectional {
		dirs = 2
	}
	if xt.RankKnown && len(xt.Shape) != 3 {
		return Errorf(n, "X of rank %d, want 3", len(xt.Shape))
	}
	layout := n.GetInt("layout", 0)
	seq, batch := atDim(xt, 0), atDim(xt, 1)
	if layout == 1 {
		seq, batch = batch, seq
	}
	hid := ir.Unknown()
	if h := n.GetInt("hidden_size", 0); h > 0 {
		hid = ir.Static(h)
	} else {
		hid = atDim(InType(n, 2), 2)
	}
	for i, want := range map[int]int64{1: int64(gates), 2: int64(gates)} {
		t := InType(n, i)
		if t.RankKnown && len(t.Shape) != 3 {
			return Errorf(n, "input %d of rank %d, want 3", i, len(t.Shape))
		}
		if d := atDim(t, 1); d.IsStatic() && hid.IsStatic() && d.N != want*hid.N {
			return Errorf(n, "input %d has %d rows, want %d gates of %d", i, d.N, want, hid.N)
		}
		if d := atDim(t, 0); d.IsStatic() && d.N != dirs {
			return Errorf(n, "input %d has %d directions, want %d", i, d.N, dirs)
		}
	}
	if layout == 0 {
		SetOut(n, 0, ir.TensorType(dt, seq, ir.Static(dirs), batch, hid))
		for i := 1; i < 3; i++ {
			SetOut(n, i, ir.TensorType(dt, ir.Static(dirs), batch, hid))
		}
	} else {
		SetOut(n, 0, ir.TensorType(dt, batch, seq, ir.Static(dirs), hid))
		for i := 1; i < 3; i++ {
			SetOut(n, i, ir.TensorType(dt, batch, ir.Static(dirs), hid))
		}
	}
	return nil
}

// rnPrepack prepacks constant float32 W and R (each direction's transpose, as the B operand of
// the per-step products) when X is float32, and records it in p. GRU without
// linear_before_reset multiplies by R's candidate rows separately, which need not start at a
// panel, so it reads R as it is.
func rnPrepack(n *ir.Node, p *runtime.RecurrentParams, gates int) []lowered.Prepack {
	if InType(n, 0).DType != runtime.Float32 {
		return nil
	}
	var pk []lowered.Prepack
	for i, packed := range []*bool{&p.PackedW, &p.PackedR} {
		if i == 1 && n.Op == "GRU" && !p.LinearBefore {
			continue
		}
		w := n.Input(1 + i)
		if w == nil || w.Const == nil || w.Const.DType != runtime.Float32 || len(w.Const.Shape) != 3 {
			continue
		}
		dirs, gh, k := w.Const.Shape[0], w.Const.Shape[1], w.Const.Shape[2]
		if dirs == 0 || gh == 0 || k == 0 || gh%gates != 0 {
			continue
		}
		*packed = true
		pk = append(pk, lowered.Prepack{Input: 1 + i, Layout: lowered.PackGemmB, Groups: dirs, K: k, N: gh, Trans: true})
	}
	return pk
}

// com.microsoft.DynamicQuantizeLSTM is onnxruntime's quantized LSTM (what quantize_dynamic
// writes for LSTM): LSTM's inputs with W [dirs, I, 4H] and R [dirs, H, 4H] 8-bit and stored
// transposed, then W_scale, W_zero_point, R_scale and R_zero_point ([dirs] or [dirs, 4H]). The
// quantize pass rewrites it, when its weights are constants, into onnxc.DynQuantLSTM (int8 with
// zero points 0) or LSTM (dequantized); it is not lowered itself.
func init() {
	Register(&Def{
		Op: "DynamicQuantizeLSTM", Domain: msDomain, MinIn: 3, MaxIn: 12, MinOut: 0, MaxOut: 3,
		Doc: "onnxruntime's dynamically quantized LSTM (compiled when its weights are constants)",
		Infer: func(n *ir.Node) error {
			xt, wt, rt := InType(n, 0), InType(n, 1), InType(n, 2)
			if err := rdFloatType(n, xt.DType); err != nil {
				return err
			}
			for i := 8; i < 12; i++ { // between them only B, sequence_lens, the states and P are optional
				if n.Input(i) == nil {
					return Errorf(n, "input %d (%s) is missing", i, [4]string{"W_scale", "W_zero_point", "R_scale", "R_zero_point"}[i-8])
				}
			}
			for i, t := range []ir.Type{wt, rt} {
				if t.DType != runtime.Undefined && t.DType != runtime.Int8 && t.DType != runtime.Uint8 {
					return Errorf(n, "input %d is %s, want int8 or uint8", i+1, t.DType)
				}
				if t.RankKnown && len(t.Shape) != 3 {
					return Errorf(n, "input %d of rank %d, want 3", i+1, len(t.Shape))
				}
			}
			if _, err := rnParams(n, []string{"sigmoid", "tanh", "tanh"}); err != nil {
				return err
			}
			if n.GetInt("layout", 0) != 0 {
				return Errorf(n, "layout %d, want 0", n.GetInt("layout", 0))
			}
			dir, _ := rnDirection(n)
			dirs := int64(1)
			if dir == runtime.RNNBidirectional {
				dirs = 2
			}
			hid := atDim(rt, 1)
			if h := n.GetInt("hidden_size", 0); h > 0 {
				hid = ir.Static(h)
			}
			seq, batch := atDim(xt, 0), atDim(xt, 1)
			SetOut(n, 0, ir.TensorType(xt.DType, seq, ir.Static(dirs), batch, hid))
			for i := 1; i < 3; i++ {
				SetOut(n, i, ir.TensorType(xt.DType, ir.Static(dirs), batch, hid))
			}
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return Call{}, Errorf(n, "W, R and their scales and zero points must be constants")
		},
	})
}

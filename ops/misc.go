package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Assorted ops with no family of their own: SwiGLU, Det, NonMaxSuppression, the signal ops
// (window generators, MelWeightMatrix, DFT, STFT) and the string ops (StringConcat,
// StringSplit, StringNormalizer, RegexFullMatch, TfIdfVectorizer).

// msConstInt reads a constant scalar integer input; ok is false when it is absent or not
// constant.
func msConstInt(n *ir.Node, i int) (int64, bool) {
	v, ok := ConstInts(n, i)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// msOutDType reads an output_datatype attribute (default float32) and checks it is numeric.
func msOutDType(n *ir.Node) (ir.DType, error) {
	dt := ir.DType(n.GetInt("output_datatype", int64(runtime.Float32)))
	if !dt.Valid() || dt == runtime.String || dt == runtime.Bool {
		return 0, Errorf(n, "output_datatype %d is not a numeric type", n.GetInt("output_datatype", 1))
	}
	return dt, nil
}

func msStringIn(n *ir.Node, i int) error {
	if dt := InType(n, i).DType; dt != runtime.Undefined && dt != runtime.String {
		return Errorf(n, "input %d is %s, want string", i, dt)
	}
	return nil
}

var msWindows = []struct {
	op   string
	kind int
}{
	{"HannWindow", runtime.HannWindowKind},
	{"HammingWindow", runtime.HammingWindowKind},
	{"BlackmanWindow", runtime.BlackmanWindowKind},
}

func init() {
	Register(&Def{
		Op: "SwiGLU", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc: "a * sigmoid(alpha*a) * b",
		Infer: func(n *ir.Node) error {
			a, b := InType(n, 0), InType(n, 1)
			if err := rdFloatType(n, a.DType); err != nil {
				return err
			}
			if b.DType != runtime.Undefined && a.DType != runtime.Undefined && a.DType != b.DType {
				return Errorf(n, "inputs of %s and %s", a.DType, b.DType)
			}
			t, err := BroadcastTypes(n, a.DType, a, b)
			if err != nil {
				return err
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.SwiGLU, &runtime.SwiGLUParams{Alpha: float32(n.GetFloat("alpha", 1))}), nil
		},
	})
	Register(&Def{
		Op: "Det", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "determinant of square matrices in the last two dims",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := rdFloatType(n, t.DType); err != nil {
				return err
			}
			if !t.RankKnown {
				SetOut(n, 0, ir.Type{DType: t.DType})
				return nil
			}
			r := len(t.Shape)
			if r < 2 {
				return Errorf(n, "input of rank %d, want at least 2", r)
			}
			if a, b := t.Shape[r-2], t.Shape[r-1]; a.IsStatic() && b.IsStatic() && a.N != b.N {
				return Errorf(n, "matrices of %dx%d are not square", a.N, b.N)
			}
			SetOut(n, 0, ir.TensorType(t.DType, t.Shape[:r-2]...))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.Det, &struct{}{}), nil },
	})
	Register(&Def{
		Op: "NonMaxSuppression", MinIn: 2, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Doc: "indices (batch, class, box) of boxes kept by greedy non-maximum suppression",
		Infer: func(n *ir.Node) error {
			for i := 0; i < 2; i++ {
				if err := rdFloatType(n, InType(n, i).DType); err != nil {
					return err
				}
			}
			SetOut(n, 0, ir.TensorType(runtime.Int64, ir.Unknown(), ir.Static(3)))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.NonMaxSuppression, &runtime.NonMaxSuppressionParams{CenterPointBox: n.GetInt("center_point_box", 0) != 0}), nil
		},
	})
	for _, w := range msWindows {
		w := w
		Register(&Def{
			Op: w.op, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: "window function of the given length",
			Infer: func(n *ir.Node) error {
				dt, err := msOutDType(n)
				if err != nil {
					return err
				}
				d := ir.Unknown()
				if v, ok := msConstInt(n, 0); ok {
					if v < 0 {
						return Errorf(n, "negative size %d", v)
					}
					d = ir.Static(v)
				}
				SetOut(n, 0, ir.TensorType(dt, d))
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) {
				dt, err := msOutDType(n)
				if err != nil {
					return Call{}, err
				}
				return K(lowered.Window, &runtime.WindowParams{Kind: w.kind, Periodic: n.GetInt("periodic", 1) != 0, DType: dt}), nil
			},
		})
	}
	Register(&Def{
		Op: "MelWeightMatrix", MinIn: 5, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Doc: "triangular mel filter bank as a [dft_length/2+1, num_mel_bins] matrix",
		Infer: func(n *ir.Node) error {
			dt, err := msOutDType(n)
			if err != nil {
				return err
			}
			rows, cols := ir.Unknown(), ir.Unknown()
			if v, ok := msConstInt(n, 1); ok {
				rows = ir.Static(v/2 + 1)
			}
			if v, ok := msConstInt(n, 0); ok {
				cols = ir.Static(v)
			}
			SetOut(n, 0, ir.TensorType(dt, rows, cols))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			dt, err := msOutDType(n)
			if err != nil {
				return Call{}, err
			}
			return K(lowered.MelWeightMatrix, &runtime.MelWeightMatrixParams{DType: dt}), nil
		},
	})
	Register(&Def{
		Op: "DFT", MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "discrete Fourier transform along one axis",
		Infer: inferDFT,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.DFT, &runtime.DFTParams{Inverse: n.GetInt("inverse", 0) != 0, Onesided: n.GetInt("onesided", 0) != 0}), nil
		},
	})
	Register(&Def{
		Op: "STFT", MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc:   "short-time Fourier transform",
		Infer: inferSTFT,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.STFT, &runtime.STFTParams{Onesided: n.GetInt("onesided", 1) != 0}), nil
		},
	})
	Register(&Def{
		Op: "StringConcat", MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Doc: "elementwise concatenation of strings",
		Infer: func(n *ir.Node) error {
			for i := 0; i < 2; i++ {
				if err := msStringIn(n, i); err != nil {
					return err
				}
			}
			t, err := BroadcastTypes(n, runtime.String, InType(n, 0), InType(n, 1))
			if err != nil {
				return err
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.StringConcat, &struct{}{}), nil },
	})
	Register(&Def{
		Op: "StringSplit", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 2,
		Doc: "split strings at a delimiter (or whitespace) into a padded extra dim",
		Infer: func(n *ir.Node) error {
			if err := msStringIn(n, 0); err != nil {
				return err
			}
			t := InType(n, 0)
			if !t.RankKnown {
				SetOut(n, 0, ir.Type{DType: runtime.String})
				SetOut(n, 1, ir.Type{DType: runtime.Int64})
				return nil
			}
			SetOut(n, 0, ir.TensorType(runtime.String, append(append([]ir.Dim{}, t.Shape...), ir.Unknown())...))
			SetOut(n, 1, ir.TensorType(runtime.Int64, t.Shape...))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			ms := int(n.GetInt("maxsplit", -1))
			if ms < 0 {
				ms = -1
			}
			return K(lowered.StringSplit, &runtime.StringSplitParams{Delimiter: n.GetString("delimiter", ""), MaxSplit: ms}), nil
		},
	})
	Register(&Def{
		Op: "StringNormalizer", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "drop stopwords and change case",
		Infer: func(n *ir.Node) error {
			if err := msStringIn(n, 0); err != nil {
				return err
			}
			switch a := n.GetString("case_change_action", "NONE"); a {
			case "NONE", "LOWER", "UPPER":
			default:
				return Errorf(n, "unknown case_change_action %q", a)
			}
			t := InType(n, 0)
			switch {
			case t.Rank() == 2:
				if d := t.Shape[0]; d.IsStatic() && d.N != 1 {
					return Errorf(n, "input of %d rows, want [C] or [1, C]", d.N)
				}
				SetOut(n, 0, ir.TensorType(runtime.String, ir.Static(1), ir.Unknown()))
			case t.Rank() == 1:
				SetOut(n, 0, ir.TensorType(runtime.String, ir.Unknown()))
			case t.RankKnown:
				return Errorf(n, "input of rank %d, want [C] or [1, C]", t.Rank())
			default:
				SetOut(n, 0, ir.Type{DType: runtime.String})
			}
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.StringNormalizer, &runtime.StringNormalizerParams{
				CaseChange:    n.GetString("case_change_action", "NONE"),
				CaseSensitive: n.GetInt("is_case_sensitive", 0) != 0,
				Stopwords:     n.GetStrings("stopwords", nil),
			}), nil
		},
	})
	Register(&Def{
		Op: "RegexFullMatch", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "whether each string fully matches an RE2 pattern",
		Infer: func(n *ir.Node) error {
			if err := msStringIn(n, 0); err != nil {
				return err
			}
			if !n.Has("pattern") {
				return Errorf(n, "missing pattern")
			}
			t := InType(n, 0)
			t.DType = runtime.Bool
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.RegexFullMatch, &runtime.RegexFullMatchParams{Pattern: n.GetString("pattern", "")}), nil
		},
	})
	Register(&Def{
		Op: "TfIdfVectorizer", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc:   "n-gram counts weighted as TF, IDF or TF-IDF",
		Infer: inferTfIdf,
		Lower: func(n *ir.Node) (Call, error) {
			var w []float32
			for _, v := range n.GetFloats("weights", nil) {
				w = append(w, float32(v))
			}
			return K(lowered.TfIdfVectorizer, &runtime.TfIdfVectorizerParams{
				MinGram:      int(n.GetInt("min_gram_length", 1)),
				MaxGram:      int(n.GetInt("max_gram_length", 1)),
				MaxSkip:      int(n.GetInt("max_skip_count", 0)),
				Mode:         n.GetString("mode", "TF"),
				NgramCounts:  n.GetInts("ngram_counts", nil),
				NgramIndexes: n.GetInts("ngram_indexes", nil),
				PoolInt64s:   n.GetInts("pool_int64s", nil),
				PoolStrings:  n.GetStrings("pool_strings", nil),
				Weights:      w,
			}), nil
		},
	})
}

func inferDFT(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	inverse, onesided := n.GetInt("inverse", 0) != 0, n.GetInt("onesided", 0) != 0
	if !t.RankKnown {
		SetOut(n, 0, ir.Type{DType: t.DType})
		return nil
	}
	r := len(t.Shape)
	if r < 2 {
		return Errorf(n, "input of rank %d, want at least 2", r)
	}
	if d := t.Shape[r-1]; d.IsStatic() && d.N != 1 && d.N != 2 {
		return Errorf(n, "last dim %d, want 1 (real) or 2 (complex)", d.N)
	}
	shape := append([]ir.Dim{}, t.Shape...)
	shape[r-1] = ir.Static(2)
	if inverse && onesided {
		shape[r-1] = ir.Static(1)
	}
	axis, known := int64(-2), true
	if n.Input(2) != nil {
		axis, known = msConstInt(n, 2)
	}
	if !known {
		for i := 0; i < r-1; i++ {
			shape[i] = ir.Unknown()
		}
		SetOut(n, 0, ir.TensorType(t.DType, shape...))
		return nil
	}
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r-1) {
		return Errorf(n, "axis %d out of range for rank %d", axis, r)
	}
	in := t.Shape[axis]
	length := ir.Unknown()
	switch v, ok := msConstInt(n, 1); {
	case n.Input(1) != nil && ok:
		length = ir.Static(v)
	case n.Input(1) != nil:
	case inverse && onesided && in.IsStatic():
		length = ir.Static(2 * (in.N - 1))
	default:
		length = in
	}
	if onesided && !inverse && length.IsStatic() {
		length = ir.Static(length.N/2 + 1)
	} else if onesided && !inverse {
		length = ir.Unknown()
	}
	shape[axis] = length
	SetOut(n, 0, ir.TensorType(t.DType, shape...))
	return nil
}

func inferSTFT(n *ir.Node) error {
	t := InType(n, 0)
	if err := rdFloatType(n, t.DType); err != nil {
		return err
	}
	if t.RankKnown && len(t.Shape) != 3 {
		return Errorf(n, "signal of rank %d, want [batch, length, 1 or 2]", len(t.Shape))
	}
	fl := ir.Unknown()
	if v, ok := msConstInt(n, 3); ok {
		fl = ir.Static(v)
	} else if n.Input(3) == nil && n.Input(2) != nil {
		fl = atDim(InType(n, 2), 0)
	} else if n.Input(3) == nil && n.Input(2) == nil {
		fl = atDim(t, 1)
	}
	frames, bins := ir.Unknown(), ir.Unknown()
	step, stepOK := msConstInt(n, 1)
	if L := atDim(t, 1); L.IsStatic() && fl.IsStatic() && stepOK && step > 0 {
		frames = ir.Static(1 + (L.N-fl.N)/step)
	}
	if fl.IsStatic() {
		bins = fl
		if n.GetInt("onesided", 1) != 0 {
			bins = ir.Static(fl.N/2 + 1)
		}
	}
	SetOut(n, 0, ir.TensorType(t.DType, atDim(t, 0), frames, bins, ir.Static(2)))
	return nil
}

func inferTfIdf(n *ir.Node) error {
	t := InType(n, 0)
	switch t.DType {
	case runtime.Undefined, runtime.String, runtime.Int32, runtime.Int64:
	default:
		return Errorf(n, "input of %s, want string, int32 or int64", t.DType)
	}
	switch m := n.GetString("mode", ""); m {
	case "TF", "IDF", "TFIDF":
	default:
		return Errorf(n, "unknown mode %q", m)
	}
	width := int64(0)
	for _, ix := range n.GetInts("ngram_indexes", nil) {
		if ix < 0 {
			return Errorf(n, "negative ngram index %d", ix)
		}
		width = max(width, ix+1)
	}
	switch t.Rank() {
	case -1:
		SetOut(n, 0, ir.Type{DType: runtime.Float32})
	case 0, 1:
		SetOut(n, 0, ir.TensorType(runtime.Float32, ir.Static(width)))
	case 2:
		SetOut(n, 0, ir.TensorType(runtime.Float32, t.Shape[0], ir.Static(width)))
	default:
		return Errorf(n, "input of rank %d, want [C] or [B, C]", t.Rank())
	}
	return nil
}

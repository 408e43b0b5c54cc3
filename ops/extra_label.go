package ops

import (
	"math"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// LabelEncoder (ai.onnx.ml, versions 1 to 4): a lookup table from keys to values given as
// attributes (keys_*/values_* lists or, since version 4, keys_tensor/values_tensor).

const exMLDomain = "ai.onnx.ml"

// exLabelList is one side of the table: its kind and the elements of that kind.
type exLabelList struct {
	kind   int
	dt     runtime.DType
	ints   []int64
	floats []float64
	strs   []string
}

// exLabelSide reads keys_* or values_* (prefix "keys" or "values"); exactly one must be set.
func exLabelSide(n *ir.Node, prefix string) (exLabelList, error) {
	var l exLabelList
	set := 0
	if v := n.GetInts(prefix+"_int64s", nil); v != nil {
		l, set = exLabelList{kind: runtime.LabelInt, dt: runtime.Int64, ints: v}, set+1
	}
	if v := n.GetFloats(prefix+"_floats", nil); v != nil {
		// Listed floats are float32 values; round them so they compare like the tensor's.
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(float32(x))
		}
		l, set = exLabelList{kind: runtime.LabelFloat, dt: runtime.Float32, floats: f}, set+1
	}
	if v := n.GetStrings(prefix+"_strings", nil); v != nil {
		l, set = exLabelList{kind: runtime.LabelString, dt: runtime.String, strs: v}, set+1
	}
	if t := n.GetTensor(prefix + "_tensor"); t != nil {
		tl, err := exLabelTensor(n, t, prefix+"_tensor")
		if err != nil {
			return l, err
		}
		l, set = tl, set+1
	}
	if set != 1 {
		return l, Errorf(n, "exactly one of the %s_* attributes must be set, found %d", prefix, set)
	}
	return l, nil
}

func exLabelTensor(n *ir.Node, t *runtime.Tensor, name string) (exLabelList, error) {
	l := exLabelList{dt: t.DType}
	switch t.DType {
	case runtime.Int64, runtime.Int32, runtime.Int16:
		l.kind, l.ints = runtime.LabelInt, TensorInts(t)
	case runtime.Float32:
		l.kind = runtime.LabelFloat
		for _, v := range runtime.Data[float32](t) {
			l.floats = append(l.floats, float64(v))
		}
		if l.floats == nil {
			l.floats = []float64{}
		}
	case runtime.Float64:
		l.kind = runtime.LabelFloat
		l.floats = append([]float64{}, runtime.Data[float64](t)...)
	case runtime.String:
		l.kind, l.strs = runtime.LabelString, append([]string{}, t.Strs...)
	default:
		return l, Errorf(n, "%s of %s is not supported", name, t.DType)
	}
	if l.ints == nil && l.kind == runtime.LabelInt {
		l.ints = []int64{}
	}
	return l, nil
}

// exLabelParams builds the kernel's parameters from n's attributes.
func exLabelParams(n *ir.Node) (*runtime.LabelEncoderParams, error) {
	keys, err := exLabelSide(n, "keys")
	if err != nil {
		return nil, err
	}
	vals, err := exLabelSide(n, "values")
	if err != nil {
		return nil, err
	}
	p := &runtime.LabelEncoderParams{KeyKind: keys.kind, IntKeys: keys.ints, FloatKeys: keys.floats, StrKeys: keys.strs,
		Out: vals.dt, IntVals: vals.ints, FloatVals: vals.floats, StrVals: vals.strs}
	// Defaults: default_tensor (version 4), else the default_* of the values' kind.
	if d := n.GetTensor("default_tensor"); d != nil {
		if d.DType != vals.dt || d.Len() != 1 {
			return nil, Errorf(n, "default_tensor %s%v, want one %s", d.DType, d.Shape, vals.dt)
		}
		dl, err := exLabelTensor(n, d, "default_tensor")
		if err != nil {
			return nil, err
		}
		switch dl.kind {
		case runtime.LabelInt:
			p.IntDefault = dl.ints[0]
		case runtime.LabelFloat:
			p.FloatDefault = dl.floats[0]
		default:
			p.StrDefault = dl.strs[0]
		}
	} else {
		p.IntDefault = n.GetInt("default_int64", -1)
		p.FloatDefault = n.GetFloat("default_float", math.Copysign(0, -1))
		p.StrDefault = n.GetString("default_string", "_Unused")
	}
	if err := runtime.SortLabelEncoder(p); err != nil {
		return nil, Errorf(n, "%v", err)
	}
	return p, nil
}

func init() {
	Register(&Def{
		Op: "LabelEncoder", Domain: exMLDomain, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "map each element through a key/value table, with a default for missing keys",
		Infer: func(n *ir.Node) error {
			p, err := exLabelParams(n)
			if err != nil {
				return err
			}
			t := InType(n, 0)
			if dt := t.DType; dt != runtime.Undefined {
				ok := false
				switch p.KeyKind {
				case runtime.LabelInt:
					ok = dt == runtime.Int64 || dt == runtime.Int32 || dt == runtime.Int16
				case runtime.LabelFloat:
					ok = dt == runtime.Float32 || dt == runtime.Float64
				case runtime.LabelString:
					ok = dt == runtime.String
				}
				if !ok {
					return Errorf(n, "input of %s does not match the keys", dt)
				}
			}
			t.DType = p.Out
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			p, err := exLabelParams(n)
			if err != nil {
				return Call{}, err
			}
			return K(lowered.LabelEncoder, p), nil
		},
	})
}

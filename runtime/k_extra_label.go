package runtime

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Key and value kinds of LabelEncoderParams.
const (
	LabelInt = iota
	LabelFloat
	LabelString
)

// LabelEncoderParams configures LabelEncoder (ai.onnx.ml). The keys are of one kind, sorted
// ascending (floats: NaN keys left out, see NaNValue), and Vals*[i] is the value of key i; only
// the slices of KeyKind and of the output type are set.
type LabelEncoderParams struct {
	KeyKind   int
	IntKeys   []int64
	FloatKeys []float64
	StrKeys   []string
	// Out is the output element type: Int64, Int32, Int16, Float32, Float64 or String.
	Out       DType
	IntVals   []int64
	FloatVals []float64
	StrVals   []string
	// NaNLast says the last float key is NaN (NaN keys match NaN inputs); the keys before it
	// are the sorted ones.
	NaNLast bool
	// The default value, in the field of Out's kind.
	IntDefault   int64
	FloatDefault float64
	StrDefault   string
}

// LabelEncoder maps each element of the input through the key/value table; elements without a
// key get the default.
func LabelEncoder(_ *Exec, p *LabelEncoderParams, out, in []*Tensor) error {
	X := in[0]
	n := X.Len()
	keys := len(p.IntKeys) + len(p.FloatKeys) + len(p.StrKeys)
	vals := len(p.IntVals) + len(p.FloatVals) + len(p.StrVals)
	if keys != vals {
		return fmt.Errorf("label encoder: %d keys but %d values", keys, vals)
	}
	out[0].Resize(p.Out, X.Shape...)
	// lookup(i) is the value index for element i, or -1 for the default.
	var lookup func(i int) int
	switch p.KeyKind {
	case LabelString:
		if X.DType != String {
			return fmt.Errorf("label encoder: string keys but input of %s", X.DType)
		}
		lookup = func(i int) int {
			k := sort.SearchStrings(p.StrKeys, X.Strs[i])
			if k < len(p.StrKeys) && p.StrKeys[k] == X.Strs[i] {
				return k
			}
			return -1
		}
	case LabelInt:
		var get func(i int) int64
		switch X.DType {
		case Int64:
			d := Data[int64](X)
			get = func(i int) int64 { return d[i] }
		case Int32:
			d := Data[int32](X)
			get = func(i int) int64 { return int64(d[i]) }
		case Int16:
			d := Data[int16](X)
			get = func(i int) int64 { return int64(d[i]) }
		default:
			return fmt.Errorf("label encoder: integer keys but input of %s", X.DType)
		}
		lookup = func(i int) int {
			v := get(i)
			k := sort.Search(len(p.IntKeys), func(j int) bool { return p.IntKeys[j] >= v })
			if k < len(p.IntKeys) && p.IntKeys[k] == v {
				return k
			}
			return -1
		}
	case LabelFloat:
		var get func(i int) float64
		switch X.DType {
		case Float32:
			d := Data[float32](X)
			get = func(i int) float64 { return float64(d[i]) }
		case Float64:
			d := Data[float64](X)
			get = func(i int) float64 { return d[i] }
		default:
			return fmt.Errorf("label encoder: float keys but input of %s", X.DType)
		}
		sorted := p.FloatKeys
		if p.NaNLast {
			if len(sorted) == 0 {
				return fmt.Errorf("label encoder: NaN key flagged but no float keys")
			}
			sorted = sorted[:len(sorted)-1]
		}
		lookup = func(i int) int {
			v := get(i)
			if math.IsNaN(v) {
				if p.NaNLast {
					return len(p.FloatKeys) - 1
				}
				return -1
			}
			k := sort.SearchFloat64s(sorted, v)
			if k < len(sorted) && sorted[k] == v {
				return k
			}
			return -1
		}
	default:
		return fmt.Errorf("label encoder: unknown key kind %d", p.KeyKind)
	}
	have := len(p.IntVals)
	switch {
	case p.Out == String:
		have = len(p.StrVals)
	case p.Out.IsFloat():
		have = len(p.FloatVals)
	}
	if have != keys {
		return fmt.Errorf("label encoder: no values of the kind of its %s output", p.Out)
	}
	switch p.Out {
	case String:
		y := out[0].Strs
		for i := range n {
			if k := lookup(i); k >= 0 {
				y[i] = p.StrVals[k]
			} else {
				y[i] = p.StrDefault
			}
		}
	case Int64:
		exLabelInts(Data[int64](out[0]), p, lookup)
	case Int32:
		exLabelInts(Data[int32](out[0]), p, lookup)
	case Int16:
		exLabelInts(Data[int16](out[0]), p, lookup)
	case Float32:
		exLabelFloats(Data[float32](out[0]), p, lookup)
	case Float64:
		exLabelFloats(Data[float64](out[0]), p, lookup)
	default:
		return fmt.Errorf("label encoder: output of %s is not supported", p.Out)
	}
	return nil
}

func exLabelInts[T int64 | int32 | int16](y []T, p *LabelEncoderParams, lookup func(int) int) {
	for i := range y {
		if k := lookup(i); k >= 0 {
			y[i] = T(p.IntVals[k])
		} else {
			y[i] = T(p.IntDefault)
		}
	}
}

func exLabelFloats[T float32 | float64](y []T, p *LabelEncoderParams, lookup func(int) int) {
	for i := range y {
		if k := lookup(i); k >= 0 {
			y[i] = T(p.FloatVals[k])
		} else {
			y[i] = T(p.FloatDefault)
		}
	}
}

// SortLabelEncoder sorts p's keys (with their values) for LabelEncoder's binary search, moves a
// NaN key to the end (setting NaNLast) and drops duplicate keys, the last of equal keys winning
// as when a table is built in order.
func SortLabelEncoder(p *LabelEncoderParams) error {
	var n int
	var less, eq func(i, j int) bool
	switch p.KeyKind {
	case LabelInt:
		n = len(p.IntKeys)
		less = func(i, j int) bool { return p.IntKeys[i] < p.IntKeys[j] }
		eq = func(i, j int) bool { return p.IntKeys[i] == p.IntKeys[j] }
	case LabelFloat:
		n = len(p.FloatKeys)
		less = func(i, j int) bool { return p.FloatKeys[i] < p.FloatKeys[j] }
		eq = func(i, j int) bool { return p.FloatKeys[i] == p.FloatKeys[j] }
	case LabelString:
		n = len(p.StrKeys)
		less = func(i, j int) bool { return strings.Compare(p.StrKeys[i], p.StrKeys[j]) < 0 }
		eq = func(i, j int) bool { return p.StrKeys[i] == p.StrKeys[j] }
	default:
		return fmt.Errorf("label encoder: unknown key kind %d", p.KeyKind)
	}
	if vals := len(p.IntVals) + len(p.FloatVals) + len(p.StrVals); vals != n {
		return fmt.Errorf("label encoder: %d keys but %d values", n, vals)
	}
	perm := make([]int, 0, n)
	nan := -1
	for i := range n {
		if p.KeyKind == LabelFloat && math.IsNaN(p.FloatKeys[i]) {
			nan = i
			continue
		}
		perm = append(perm, i)
	}
	sort.SliceStable(perm, func(a, b int) bool { return less(perm[a], perm[b]) })
	kept := perm[:0]
	for _, i := range perm {
		if len(kept) > 0 && eq(kept[len(kept)-1], i) {
			kept[len(kept)-1] = i
			continue
		}
		kept = append(kept, i)
	}
	p.NaNLast = nan >= 0
	if p.NaNLast {
		kept = append(kept, nan)
	}
	if p.IntKeys != nil {
		p.IntKeys = exPick(p.IntKeys, kept)
	}
	if p.FloatKeys != nil {
		p.FloatKeys = exPick(p.FloatKeys, kept)
	}
	if p.StrKeys != nil {
		p.StrKeys = exPickStr(p.StrKeys, kept)
	}
	if p.IntVals != nil {
		p.IntVals = exPick(p.IntVals, kept)
	}
	if p.FloatVals != nil {
		p.FloatVals = exPick(p.FloatVals, kept)
	}
	if p.StrVals != nil {
		p.StrVals = exPickStr(p.StrVals, kept)
	}
	return nil
}

func exPick[T int64 | float64](s []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

func exPickStr(s []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

package runtime

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Summary describes a tensor for a person reading a command's output: its element type and
// shape, the min, max and mean of a numeric tensor (NaNs counted apart), and its values when
// it has at most maxValues elements, e.g. `float32 1x2 min=0.01 max=0.99 mean=0.5 [0.99 0.01]`.
func Summary(t *Tensor, maxValues int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", t.DType, ShapeString(t.Shape))
	n := t.Len()
	at := summaryAt(t)
	if at == nil || n == 0 {
		if t.DType == String && n <= maxValues {
			fmt.Fprintf(&b, " %q", t.Strs[:n])
		}
		return b.String()
	}
	lo, hi, sum, nan, finite := math.Inf(1), math.Inf(-1), 0.0, 0, 0
	for i := range n {
		v := at(i)
		if math.IsNaN(v) {
			nan++
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
		if !math.IsInf(v, 0) {
			sum += v
			finite++
		}
	}
	if nan < n {
		fmt.Fprintf(&b, " min=%s max=%s", summaryNum(lo), summaryNum(hi))
		if finite > 0 {
			fmt.Fprintf(&b, " mean=%s", summaryNum(sum/float64(finite)))
		}
	}
	if nan > 0 {
		fmt.Fprintf(&b, " nan=%d", nan)
	}
	if n <= maxValues {
		vals := make([]string, n)
		for i := range n {
			vals[i] = summaryNum(at(i))
			if t.DType == Bool {
				vals[i] = strconv.FormatBool(at(i) != 0)
			}
		}
		fmt.Fprintf(&b, " [%s]", strings.Join(vals, " "))
	}
	return b.String()
}

// summaryAt reads element i of a real-valued tensor as float64; nil for other types (strings,
// complex numbers, the packed sub-byte types).
func summaryAt(t *Tensor) func(i int) float64 {
	switch {
	case t.DType.IsFloat():
		return ioFloatAt(t)
	case t.DType.IsMiniFloat():
		tab, b := MiniFloatTable(t.DType), t.Bytes()
		return func(i int) float64 { return float64(tab[b[i]]) }
	case t.DType.IsInt() || t.DType == Bool:
		b, size := t.Bytes(), t.DType.Size()
		return func(i int) float64 {
			v, _ := strconv.ParseFloat(ioIntString(t.DType, b[i*size:(i+1)*size]), 64)
			if t.DType == Bool {
				v = float64(b[i])
			}
			return v
		}
	}
	return nil
}

func summaryNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

package ops

import (
	"strconv"
	"strings"

	"github.com/onnxc/onnxc/ir"
)

// Symbolic dims derived from symbolic inputs. A dim computed from a symbolic dim (a window op's
// output size from its input size) is named by the expression that computes it, so that two
// dims computed the same way from the same symbols compare equal and fusion can tell that a
// residual Add's operands have one shape without knowing it statically. The names are
// canonical enough for that: equal names mean equal sizes; different names say nothing.
// Derived names are parenthesized, which keeps them apart from a model's own dim names.

// symPlus names e + c.
func symPlus(e string, c int64) string {
	if c == 0 {
		return e
	}
	if base, k, ok := symSplitOffset(e); ok {
		if k+c == 0 {
			return base
		}
		e, c = base, k+c
	}
	if c > 0 {
		return "(" + e + "+" + strconv.FormatInt(c, 10) + ")"
	}
	return "(" + e + "-" + strconv.FormatInt(-c, 10) + ")"
}

// symSplitOffset undoes symPlus: "(X+k)" gives X and k.
func symSplitOffset(e string) (base string, k int64, ok bool) {
	if !strings.HasPrefix(e, "(") || !strings.HasSuffix(e, ")") {
		return "", 0, false
	}
	inner := e[1 : len(e)-1]
	depth := 0
	for i := len(inner) - 1; i > 0; i-- {
		switch c := inner[i]; {
		case c == ')':
			depth++
		case c == '(':
			depth--
		case depth == 0 && (c == '+' || c == '-'):
			n, err := strconv.ParseInt(inner[i:], 10, 64)
			if err != nil {
				return "", 0, false
			}
			return inner[:i], n, true
		case depth == 0 && (c < '0' || c > '9'):
			return "", 0, false
		}
	}
	return "", 0, false
}

// symFloorDiv names floor(e / s).
func symFloorDiv(e string, s int64) string {
	if s == 1 {
		return e
	}
	return "(" + e + "/" + strconv.FormatInt(s, 10) + ")"
}

// symbolicOut is spatialOut for a symbolic input dim: the output size as an expression of it,
// or unknown where the size is not one expression (pooling's ceil mode with strides).
func (w *cvWindow) symbolicOut(i, nsp int, in ir.Dim, kernel int, ceil bool) ir.Dim {
	if in.Sym == "" {
		return ir.Unknown()
	}
	s := int64(cvAt(w.strides, i, 1))
	d := int64(cvAt(w.dil, i, 1))
	if s < 1 || d < 1 {
		return ir.Unknown()
	}
	eff := (int64(kernel)-1)*d + 1
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return ir.Symbol(symFloorDiv(symPlus(in.Sym, s-1), s))
	case "", "NOTSET", "VALID":
	default:
		return ir.Unknown()
	}
	var pads int64
	if w.autoPad != "VALID" {
		pads = int64(cvAt(w.pads, i, 0) + cvAt(w.pads, nsp+i, 0))
	}
	if ceil && s > 1 {
		return ir.Unknown()
	}
	return ir.Symbol(symPlus(symFloorDiv(symPlus(in.Sym, pads-eff), s), 1))
}

package ops

import (
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

func TestSymbolicWindowOut(t *testing.T) {
	for _, c := range []struct {
		kernel, stride, pad int
		autoPad             string
		ceil                bool
		want                string
	}{
		{3, 1, 1, "NOTSET", false, "H"}, // same-size conv keeps the symbol: residual Adds match
		{5, 1, 2, "NOTSET", false, "H"},
		{1, 1, 0, "NOTSET", false, "H"},
		{3, 2, 1, "NOTSET", false, "(((H-1)/2)+1)"},
		{3, 1, 0, "NOTSET", false, "(H-2)"},
		{3, 1, 0, "VALID", false, "(H-2)"},
		{3, 2, 0, "SAME_UPPER", false, "((H+1)/2)"},
		{3, 1, 0, "SAME_LOWER", false, "H"},
		{3, 2, 1, "NOTSET", true, "?"}, // ceil mode with a stride is not one expression
		{3, 1, 1, "NOTSET", true, "H"},
	} {
		w := cvWindow{strides: []int{c.stride}, pads: []int{c.pad, c.pad}, autoPad: c.autoPad}
		got := w.symbolicOut(0, 1, ir.Symbol("H"), c.kernel, c.ceil)
		if got.String() != c.want {
			t.Errorf("kernel %d stride %d pad %d %s ceil %v: %s, want %s", c.kernel, c.stride, c.pad, c.autoPad, c.ceil, got, c.want)
		}
	}
	// Offsets combine, and two equal derivations give equal names.
	if got := symPlus(symPlus("H", -2), 2); got != "H" {
		t.Errorf("H-2+2 = %s", got)
	}
	if a, b := symPlus(symFloorDiv("(H-1)", 2), 1), symPlus(symFloorDiv("(H-1)", 2), 1); a != b {
		t.Errorf("%s != %s", a, b)
	}
	// A model's own name that looks like an offset is not taken apart.
	if got := symPlus("size-1", 1); got != "(size-1+1)" {
		t.Errorf("symPlus(size-1, 1) = %s", got)
	}
}

func TestElemsArithmetic(t *testing.T) {
	s, n := ir.Symbol, func(v int64) ir.Dim { return ir.Dim{N: v} }
	for _, c := range []struct {
		code int
		x, y ir.Dim
		want string
	}{
		{runtime.BinaryMul, n(6), n(64), "384"},
		{runtime.BinaryDiv, n(384), n(6), "64"},
		{runtime.BinaryAdd, s("seq"), n(0), "seq"},
		{runtime.BinaryMul, s("batch"), n(6), "(batch*6)"},
		{runtime.BinaryMul, n(6), s("batch"), "(batch*6)"},
		{runtime.BinaryMul, s("seq"), s("batch"), "(batch*seq)"},
		{runtime.BinaryMul, s("batch"), s("seq"), "(batch*seq)"},
		{runtime.BinarySub, s("H"), n(1), "(H-1)"},
		{runtime.BinaryDiv, s("H"), n(2), "?"}, // not followed: no name for a division yet
	} {
		d, ok := elemsOp(c.code, c.x, c.y)
		got := "?"
		if ok {
			got = d.String()
		}
		if got != c.want {
			t.Errorf("op %d of %v, %v: %s, want %s", c.code, c.x, c.y, got, c.want)
		}
	}
}

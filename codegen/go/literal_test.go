package gogen

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/onnxc/onnxc/runtime"
)

type litParams struct {
	A int
	B []int64
	C float32
	D float64
	E bool
	F string
	G runtime.DType
	H []float32
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{7, "7"},
		{int64(-3), "-3"},
		{float32(0.1), "0.1"},
		{float32(math.Inf(-1)), "float32(math.Inf(-1))"},
		{math.NaN(), "float64(math.NaN())"},
		{math.Copysign(0, -1), "float64(math.Copysign(0, -1))"},
		{1e-7, "1e-07"},
		{[]int64{1, -2}, "[]int64{1, -2}"},
		{[]int(nil), "nil"},
		{runtime.Float16, "runtime.Float16"},
		{runtime.ConvParams{}, "runtime.ConvParams{}"},
	}
	for _, tc := range tests {
		c, err := literal(reflect.ValueOf(tc.in))
		if err != nil {
			t.Errorf("%v: %v", tc.in, err)
			continue
		}
		if got := fmt.Sprintf("%#v", c); got != tc.want {
			t.Errorf("literal(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// Types outside package runtime and funcs cannot be printed.
	if _, err := literal(reflect.ValueOf(litParams{})); err == nil {
		t.Error("a parameter struct from another package was accepted")
	}
	if _, err := literal(reflect.ValueOf(func() {})); err == nil {
		t.Error("a func was accepted")
	}
	var _ jen.Code
}

// A float32 printed by floatLit must read back as the same bits.
func TestFloatLitRoundTrip(t *testing.T) {
	for _, f := range []float32{1.0 / 3, 3.4028235e38, 1.4e-45, -2.5e-10, 16777217} {
		got := fmt.Sprintf("%#v", floatLit(float64(f), 32))
		var back float32
		if _, err := fmt.Sscan(got, &back); err != nil || back != f {
			t.Errorf("%v printed as %s reads back as %v", f, got, back)
		}
	}
}

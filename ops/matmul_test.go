package ops

import (
	"math"
	"reflect"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// TestViewStepsRoundTrip: onnxc.MatMulView's step lists decode to what was encoded, and
// malformed ones (a hostile model's attributes) are errors, not panics.
func TestViewStepsRoundTrip(t *testing.T) {
	steps := []runtime.ViewStep{
		{Kind: runtime.ViewSlice, Starts: []int64{0, 2}, Ends: []int64{4, math.MaxInt64}, Axes: []int64{-1, 0}, Steps: []int64{1, 2}},
		{Kind: runtime.ViewReshape, ShapeIn: 3, AllowZero: true},
		{Kind: runtime.ViewTranspose, Perm: []int{1, 0, 2}},
	}
	got, err := DecodeViewSteps(EncodeViewSteps(steps))
	if err != nil || !reflect.DeepEqual(got, steps) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if got, err := DecodeViewSteps(nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no steps: %v, %v (want an empty, non-nil list)", got, err)
	}
	for _, bad := range [][]int64{{1}, {1, math.MaxInt64}, {1, 3, 0, 1}, {2, 1 << 62}, {2, 1, 0, 1, 0}, {3, 2}, {4, 0}, {1, -1}} {
		if _, err := DecodeViewSteps(bad); err == nil {
			t.Errorf("%v decoded", bad)
		}
	}
	dims := []ir.Dim{ir.Static(3), ir.Symbol("(batch*6)"), ir.Unknown(), ir.Static(0)}
	if got := DecodeViewDims(EncodeViewDims(dims)); !reflect.DeepEqual(got, dims) {
		t.Errorf("dims round trip: %v, want %v", got, dims)
	}
}

// FuzzDecodeViewSteps: any list of ints decodes to steps or an error, never a panic, and what
// decodes encodes back to the same list.
func FuzzDecodeViewSteps(f *testing.F) {
	f.Add([]byte{1, 3, 1, 0, 2, 3, 2, 0, 2, 1, 1, 0, 0, 0, 0})
	f.Add([]byte{2, 1, 0, 4, 255, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		v := make([]int64, len(b))
		for i, x := range b {
			v[i] = int64(int8(x)) // small values, negatives included, reach every branch
		}
		steps, err := DecodeViewSteps(v)
		if err != nil {
			return
		}
		if got := EncodeViewSteps(steps); !reflect.DeepEqual(got, v) && !(len(v) == 0 && len(got) == 0) {
			t.Fatalf("%v decodes to %+v, which encodes to %v", v, steps, got)
		}
	})
}

package runtime

import (
	"math"
	"slices"
	"testing"
)

// TestViewReshape: reshapes of strided views that need no copy get the strides numpy gives
// them (dims of size 1 take any); those that would merge dims not contiguous among themselves
// are refused (want nil).
func TestViewReshape(t *testing.T) {
	for _, c := range []struct {
		shape, strides, to, want []int
	}{
		{[]int{64, 1, 384}, []int{1152, 1152, 1}, []int{64, 6, 64}, []int{1152, 64, 1}}, // a head split of a slice
		{[]int{64, 2, 384}, []int{2304, 1152, 1}, []int{64, 12, 64}, nil},               // the same with two images
		{[]int{6, 64, 64}, []int{64, 384, 1}, []int{6, 4096}, nil},                      // a transposed head merge
		{[]int{64, 6, 64}, []int{384, 64, 1}, []int{64, 384}, []int{384, 1}},
		{[]int{2, 3, 4}, []int{12, 1, 3}, []int{2, 12}, nil},
		{[]int{2, 3, 4}, []int{24, 8, 2}, []int{6, 4}, []int{8, 2}},
		{[]int{2, 1, 3}, []int{3, 99, 1}, []int{1, 2, 3, 1}, []int{0, 3, 1, 0}},
		{[]int{4}, []int{2}, []int{2, 2}, []int{4, 2}},
		{[]int{1, 1}, []int{7, 7}, []int{1}, []int{0}},
		{[]int{2, 3}, []int{3, 1}, []int{7}, nil},            // not the same size
		{[]int{0, 5}, []int{5, 1}, []int{5, 0}, []int{0, 1}}, // nothing to read
	} {
		v := View{Rank: len(c.shape)}
		copy(v.Shape[:], c.shape)
		copy(v.Strides[:], c.strides)
		w, ok := v.Reshape(c.to)
		if !ok {
			if c.want != nil {
				t.Errorf("reshape %v strides %v to %v refused, want strides %v", c.shape, c.strides, c.to, c.want)
			}
			continue
		}
		got := slices.Clone(w.Strides[:w.Rank])
		for i, d := range c.to {
			if d == 1 {
				got[i] = 0
			}
		}
		if c.want == nil || !slices.Equal(got, c.want) {
			t.Errorf("reshape %v strides %v to %v: strides %v, want %v", c.shape, c.strides, c.to, w.Strides[:w.Rank], c.want)
		}
	}
}

// TestViewSlice: Slice's clamping and negative starts and ends, on a view's dims and strides.
func TestViewSlice(t *testing.T) {
	v, _ := ContiguousView([]int{4, 10})
	for _, c := range []struct {
		starts, ends, axes, steps []int64
		off                       int
		shape, strides            []int
	}{
		{[]int64{2}, []int64{8}, []int64{1}, nil, 2, []int{4, 6}, []int{10, 1}},
		{[]int64{-3}, []int64{100}, []int64{-1}, []int64{2}, 7, []int{4, 2}, []int{10, 2}},
		{[]int64{1, 0}, []int64{3, -1}, nil, []int64{1, 3}, 10, []int{2, 3}, []int{10, 3}},
		{[]int64{5}, []int64{2}, []int64{1}, nil, 5, []int{4, 0}, []int{10, 1}},
		{[]int64{1}, []int64{9}, []int64{1}, []int64{math.MaxInt64}, 1, []int{4, 1}, []int{10, math.MaxInt64}}, // no overflow
	} {
		w, ok := v.Slice(c.starts, c.ends, c.axes, c.steps)
		if !ok || w.Off != c.off || !slices.Equal(w.Dims(), c.shape) || !slices.Equal(w.Strides[:w.Rank], c.strides) {
			t.Errorf("slice %v:%v axes %v steps %v: %v at %d %v strides %v, want %d %v %v", c.starts, c.ends, c.axes, c.steps,
				ok, w.Off, w.Dims(), w.Strides[:w.Rank], c.off, c.shape, c.strides)
		}
	}
	if _, ok := v.Slice([]int64{0}, []int64{1}, []int64{0}, []int64{-1}); ok {
		t.Error("a negative step was taken")
	}
}

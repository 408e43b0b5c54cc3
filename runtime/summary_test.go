package runtime

import (
	"math"
	"testing"
)

func TestSummary(t *testing.T) {
	f := New(Float32, 1, 4)
	copy(Data[float32](f), []float32{0.5, -2, 3, 0.25})
	i := New(Int64, 2)
	copy(Data[int64](i), []int64{-7, 9})
	nan := New(Float64, 3)
	copy(Data[float64](nan), []float64{1, 2, 0})
	Data[float64](nan)[2] = math.NaN()
	bl := New(Bool, 2)
	Data[bool](bl)[1] = true
	s := New(String, 2)
	s.Strs = []string{"a", "b"}
	big := New(Float32, 40)
	for k := range Data[float32](big) {
		Data[float32](big)[k] = float32(k)
	}
	for _, c := range []struct {
		t    *Tensor
		want string
	}{
		{f, "float32 1x4 min=-2 max=3 mean=0.4375 [0.5 -2 3 0.25]"},
		{i, "int64 2 min=-7 max=9 mean=1 [-7 9]"},
		{nan, "float64 3 min=1 max=2 mean=1.5 nan=1 [1 2 NaN]"},
		{bl, "bool 2 min=0 max=1 mean=0.5 [false true]"},
		{s, `string 2 ["a" "b"]`},
		{big, "float32 40 min=0 max=39 mean=19.5"},
		{New(Float32), "float32 scalar min=0 max=0 mean=0 [0]"},
	} {
		if got := Summary(c.t, 32); got != c.want {
			t.Errorf("Summary = %q, want %q", got, c.want)
		}
	}
}

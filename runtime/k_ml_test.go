package runtime

import (
	"slices"
	"testing"
)

func TestBinarizerAndArrayFeatureExtractor(t *testing.T) {
	x := New(Float32, 4)
	copy(Data[float32](x), []float32{-1, 0.5, 2, 1})
	out := []*Tensor{{}}
	if err := Binarizer(nil, &BinarizerParams{Threshold: 1}, out, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	if got := Data[float32](out[0]); !slices.Equal(got, []float32{0, 0, 1, 0}) {
		t.Errorf("Binarizer = %v", got)
	}
	idx := New(Int64, 2)
	copy(Data[int64](idx), []int64{3, 0})
	if err := ArrayFeatureExtractor(NewExec(nil), &struct{}{}, out, []*Tensor{x, idx}); err != nil {
		t.Fatal(err)
	}
	if got := Data[float32](out[0]); !slices.Equal(out[0].Shape, []int{1, 2}) || !slices.Equal(got, []float32{1, -1}) {
		t.Errorf("ArrayFeatureExtractor of a vector = %v %v, want [1 2] [1 -1]", out[0].Shape, got)
	}
	Data[int64](idx)[0] = 4
	if err := ArrayFeatureExtractor(NewExec(nil), &struct{}{}, out, []*Tensor{x, idx}); err == nil {
		t.Error("index out of range: no error")
	}
}

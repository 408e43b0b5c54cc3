package runtime

import "fmt"

// Small ai.onnx.ml ops: Binarizer and ArrayFeatureExtractor.

// BinarizerParams holds Binarizer's threshold.
type BinarizerParams struct {
	Threshold float64
}

// Binarizer maps each element to 1 where it is greater than the threshold and to 0 elsewhere,
// keeping the element type.
func Binarizer(_ *Exec, p *BinarizerParams, out, in []*Tensor) error {
	X := in[0]
	out[0].Resize(X.DType, X.Shape...)
	switch X.DType {
	case Float32:
		binarize(Data[float32](out[0]), Data[float32](X), p.Threshold)
	case Float64:
		binarize(Data[float64](out[0]), Data[float64](X), p.Threshold)
	case Int64:
		binarize(Data[int64](out[0]), Data[int64](X), p.Threshold)
	case Int32:
		binarize(Data[int32](out[0]), Data[int32](X), p.Threshold)
	default:
		return fmt.Errorf("Binarizer: %s is not a supported type", X.DType)
	}
	return nil
}

func binarize[T float32 | float64 | int64 | int32](d, s []T, threshold float64) {
	for i, v := range s {
		if float64(v) > threshold {
			d[i] = 1
		} else {
			d[i] = 0
		}
	}
}

// ArrayFeatureExtractor selects the elements at the given indices along the last axis, the
// indices being a tensor of int64 read in order; a 1-D input gives a [1, k] output.
func ArrayFeatureExtractor(x *Exec, _ *struct{}, out, in []*Tensor) error {
	X, Y := in[0], in[1]
	if len(X.Shape) == 0 {
		return fmt.Errorf("ArrayFeatureExtractor: the input is a scalar")
	}
	if Y.DType != Int64 {
		return fmt.Errorf("ArrayFeatureExtractor: indices of %s, want int64", Y.DType)
	}
	idx := *Y
	idx.Shape = []int{Y.Len()}
	if err := Gather(x, &GatherParams{Axis: -1}, out, []*Tensor{X, &idx}); err != nil {
		return fmt.Errorf("ArrayFeatureExtractor: %w", err)
	}
	if len(X.Shape) == 1 {
		out[0].Shape = append(out[0].Shape[:0], 1, Y.Len())
	}
	return nil
}

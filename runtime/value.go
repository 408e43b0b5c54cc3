package runtime

import "fmt"

// AsTensor turns a decoded file value into the runtime's representation: a tensor, a sequence
// (IsSeq) or an optional (None when empty).
func (v *Value) AsTensor() *Tensor {
	switch v.Kind {
	case SequenceValue:
		t := &Tensor{IsSeq: true, Seq: v.Seq}
		if len(v.Seq) > 0 {
			t.DType = v.Seq[0].DType
		}
		return t
	case OptionalValue:
		if v.Opt == nil {
			return &Tensor{None: true}
		}
		return v.Opt.AsTensor()
	}
	return v.Tensor
}

// CompareValues is Compare extended to sequences and optionals.
func CompareValues(want, got *Tensor, rtol, atol float64) error {
	if want.None || got.None {
		if want.None != got.None {
			return fmt.Errorf("optional: want empty %v, got empty %v", want.None, got.None)
		}
		return nil
	}
	if want.IsSeq || got.IsSeq {
		if want.IsSeq != got.IsSeq {
			return fmt.Errorf("want sequence %v, got sequence %v", want.IsSeq, got.IsSeq)
		}
		if len(want.Seq) != len(got.Seq) {
			return fmt.Errorf("sequence length: want %d, got %d", len(want.Seq), len(got.Seq))
		}
		for i := range want.Seq {
			if err := Compare(want.Seq[i], got.Seq[i], rtol, atol); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	}
	return Compare(want, got, rtol, atol)
}

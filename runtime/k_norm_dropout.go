package runtime

import "fmt"

// Dropout computes Dropout in inference mode: the output is a copy of the input and the
// optional mask is all true. Inputs 1 (ratio, default 0.5) and 2 (training_mode, default
// false) are read at run time: training with a nonzero ratio drops elements at random, which a
// compiled model does not reproduce, so it is an error. Params are unused.
func Dropout(x *Exec, _ *struct{}, out, in []*Tensor) error {
	src := in[0]
	if len(in) > 2 && in[2] != nil && dpTrue(in[2]) {
		ratio := 0.5
		if in[1] != nil {
			r, err := dpFloat(in[1])
			if err != nil {
				return err
			}
			ratio = r
		}
		if ratio != 0 {
			return fmt.Errorf("training-mode Dropout with ratio %g is random and not supported", ratio)
		}
	}
	out[0].CopyFrom(src)
	if len(out) > 1 && out[1] != nil {
		out[1].Resize(Bool, src.Shape...)
		m := Data[uint8](out[1])
		for i := range m {
			m[i] = 1
		}
	}
	return nil
}

func dpTrue(t *Tensor) bool {
	b := t.Bytes()
	return t.DType == Bool && len(b) > 0 && b[0] != 0
}

// dpFloat reads Dropout's ratio, a one-element float tensor.
func dpFloat(t *Tensor) (float64, error) {
	if !t.DType.IsFloat() {
		return 0, fmt.Errorf("ratio of type %s, want a float", t.DType)
	}
	r, err := msScalarFloat(t)
	if err != nil {
		return 0, fmt.Errorf("ratio has %d elements, want 1", t.Len())
	}
	return r, nil
}

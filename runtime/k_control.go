package runtime

import (
	"fmt"
	"slices"
)

// Body runs a region of the model (an If branch, a Loop or Scan body): in are the region's
// inputs, out receives its outputs. Generated code binds each to a function it generated for the
// region; the reference interpreter binds them to itself.
type Body func(out, in []*Tensor) error

// IfParams holds the branches of an If.
type IfParams struct {
	Then, Else Body
}

// If runs one branch, chosen by the scalar bool input.
func If(x *Exec, p *IfParams, out, in []*Tensor) error {
	c, err := scalarBool(in[0])
	if err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	if c {
		return p.Then(out, nil)
	}
	return p.Else(out, nil)
}

func scalarBool(t *Tensor) (bool, error) {
	if t.DType != Bool || t.Len() != 1 {
		return false, fmt.Errorf("want one bool, got %s", t)
	}
	return Data[bool](t)[0], nil
}

// LoopParams holds a Loop's body.
type LoopParams struct {
	Body Body
}

// Loop runs its body while the trip count (input 0, optional) and the condition (input 1,
// optional) allow, carrying inputs 2.. from one iteration to the next. Outputs are the final
// carried values, then the per-iteration scan outputs stacked along a new first axis.
func Loop(x *Exec, p *LoopParams, out, in []*Tensor) error {
	trips := int64(-1)
	if in[0] != nil {
		if in[0].Len() != 1 {
			return fmt.Errorf("trip count: want a scalar, got %s", in[0])
		}
		trips = Data[int64](in[0])[0]
	}
	cond := true
	if len(in) > 1 && in[1] != nil {
		var err error
		if cond, err = scalarBool(in[1]); err != nil {
			return fmt.Errorf("condition: %w", err)
		}
	}
	nCarried := len(in) - 2
	nScan := len(out) - nCarried
	if nScan < 0 {
		return fmt.Errorf("loop has %d carried values but %d outputs", nCarried, len(out))
	}
	carried := make([]*Tensor, nCarried)
	for k := range carried {
		carried[k] = in[2+k].Clone()
	}
	iter, condT := New(Int64), New(Bool)
	bodyIn := append([]*Tensor{iter, condT}, carried...)
	bodyOut := make([]*Tensor, 1+nCarried+nScan)
	for k := range bodyOut {
		bodyOut[k] = &Tensor{}
	}
	scans := make([][]*Tensor, nScan)
	for i := int64(0); (trips < 0 || i < trips) && cond; i++ {
		if err := x.Err(); err != nil {
			return err
		}
		Data[int64](iter)[0] = i
		Data[bool](condT)[0] = cond
		if err := p.Body(bodyOut, bodyIn); err != nil {
			return fmt.Errorf("iteration %d: %w", i, err)
		}
		c, err := scalarBool(bodyOut[0])
		if err != nil {
			return fmt.Errorf("iteration %d: condition output: %w", i, err)
		}
		cond = c
		for k := range carried {
			carried[k].CopyFrom(bodyOut[1+k])
		}
		for j := range scans {
			scans[j] = append(scans[j], bodyOut[1+nCarried+j].Clone())
		}
		if trips < 0 && i > 1<<40 {
			return fmt.Errorf("loop does not terminate")
		}
	}
	for k := range carried {
		out[k].CopyFrom(carried[k])
	}
	for j, parts := range scans {
		if err := stack(out[nCarried+j], parts, 0, false); err != nil {
			return fmt.Errorf("scan output %d: %w", j, err)
		}
	}
	for j := len(scans); j < nScan; j++ {
		out[nCarried+j].Resize(Float32, 0)
	}
	return nil
}

// stack joins same-shaped tensors along a new axis (in reverse order when rev is set).
func stack(dst *Tensor, parts []*Tensor, axis int, rev bool) error {
	if len(parts) == 0 {
		dst.Resize(Float32, 0)
		return nil
	}
	first := parts[0]
	for _, p := range parts[1:] {
		if p.DType != first.DType || !slices.Equal(p.Shape, first.Shape) {
			return fmt.Errorf("iterations produced %s and %s", first, p)
		}
	}
	if axis < 0 || axis > len(first.Shape) {
		return fmt.Errorf("axis %d out of range", axis)
	}
	shape := append(append(append([]int{}, first.Shape[:axis]...), len(parts)), first.Shape[axis:]...)
	dst.Resize(first.DType, shape...)
	outer := NumElems(first.Shape[:axis])
	inner := NumElems(first.Shape[axis:])
	size := first.DType.Size()
	for k, p := range parts {
		slot := k
		if rev {
			slot = len(parts) - 1 - k
		}
		for o := 0; o < outer; o++ {
			dOff := (o*len(parts) + slot) * inner
			sOff := o * inner
			if first.DType == String {
				copy(dst.Strs[dOff:dOff+inner], p.Strs[sOff:sOff+inner])
				continue
			}
			copy(dst.Bytes()[dOff*size:(dOff+inner)*size], p.Bytes()[sOff*size:(sOff+inner)*size])
		}
	}
	return nil
}

// ScanParams describes a Scan (opset 9 and later).
type ScanParams struct {
	Body          Body
	NumScanInputs int
	InputAxes     []int // per scan input, normalized
	InputReverse  []bool
	OutputAxes    []int // per scan output, normalized against the output's rank
	OutputReverse []bool
}

// Scan runs its body once per slice of the scan inputs along their scan axes, carrying the
// state inputs, and stacks the per-iteration scan outputs.
func Scan(x *Exec, p *ScanParams, out, in []*Tensor) error {
	nState := len(in) - p.NumScanInputs
	nScanOut := len(out) - nState
	if nState < 0 || nScanOut < 0 {
		return fmt.Errorf("scan has %d inputs and %d outputs for %d scan inputs", len(in), len(out), p.NumScanInputs)
	}
	steps := -1
	for j := 0; j < p.NumScanInputs; j++ {
		t := in[nState+j]
		ax := p.InputAxes[j]
		if ax >= len(t.Shape) {
			return fmt.Errorf("scan input %d: axis %d out of range for %s", j, ax, t)
		}
		if steps >= 0 && t.Shape[ax] != steps {
			return fmt.Errorf("scan inputs have different lengths %d and %d", steps, t.Shape[ax])
		}
		steps = t.Shape[ax]
	}
	if steps < 0 {
		steps = 0
	}
	state := make([]*Tensor, nState)
	for k := range state {
		state[k] = in[k].Clone()
	}
	slices := make([]*Tensor, p.NumScanInputs)
	for j := range slices {
		slices[j] = &Tensor{}
	}
	bodyIn := append(append([]*Tensor{}, state...), slices...)
	bodyOut := make([]*Tensor, nState+nScanOut)
	for k := range bodyOut {
		bodyOut[k] = &Tensor{}
	}
	parts := make([][]*Tensor, nScanOut)
	for i := 0; i < steps; i++ {
		if err := x.Err(); err != nil {
			return err
		}
		for j := range slices {
			idx := i
			if p.InputReverse[j] {
				idx = steps - 1 - i
			}
			sliceAxis(slices[j], in[nState+j], p.InputAxes[j], idx)
		}
		if err := p.Body(bodyOut, bodyIn); err != nil {
			return fmt.Errorf("iteration %d: %w", i, err)
		}
		for k := range state {
			state[k].CopyFrom(bodyOut[k])
		}
		for j := range parts {
			parts[j] = append(parts[j], bodyOut[nState+j].Clone())
		}
	}
	for k := range state {
		out[k].CopyFrom(state[k])
	}
	for j := range parts {
		if err := stack(out[nState+j], parts[j], p.OutputAxes[j], p.OutputReverse[j]); err != nil {
			return fmt.Errorf("scan output %d: %w", j, err)
		}
	}
	return nil
}

// sliceAxis copies src's index idx along axis into dst, dropping the axis.
func sliceAxis(dst, src *Tensor, axis, idx int) {
	shape := append(append([]int{}, src.Shape[:axis]...), src.Shape[axis+1:]...)
	dst.Resize(src.DType, shape...)
	outer := NumElems(src.Shape[:axis])
	n := src.Shape[axis]
	inner := NumElems(src.Shape[axis+1:])
	size := src.DType.Size()
	for o := 0; o < outer; o++ {
		s := (o*n + idx) * inner
		d := o * inner
		if src.DType == String {
			copy(dst.Strs[d:d+inner], src.Strs[s:s+inner])
			continue
		}
		copy(dst.Bytes()[d*size:(d+inner)*size], src.Bytes()[s*size:(s+inner)*size])
	}
}

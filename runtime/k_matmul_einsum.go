package runtime

import (
	"fmt"
	"strings"
)

// This file holds Einsum. Operands are contracted left to right, two at a time: each pair is
// rearranged into batch x rows x depth and batch x depth x columns matrices and multiplied (on
// the packed GEMM for float32), keeping only the labels that later operands or the output still
// need. A single operand (transposes, traces, diagonals, sums) is one strided pass.

// EinsumTerms parses an einsum equation for operands of the given ranks. Labels are numbered:
// letters by their position in a-zA-Z, the dims an ellipsis stands for as 52, 53, ... aligned
// to the right as numpy broadcasts them. It returns each operand's labels, the output's labels
// (implicit output: ellipsis dims, then the labels used once, alphabetically) and the number of
// labels.
func EinsumTerms(eq string, ranks []int) (ins [][]int, out []int, nlabels int, err error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(ranks) {
		return nil, nil, 0, fmt.Errorf("equation %q has %d operands, got %d inputs", eq, len(terms), len(ranks))
	}
	// The ellipsis stands for the most dims any operand gives it.
	ell := 0
	for i, t := range terms {
		letters := strings.Count(strings.ReplaceAll(t, "...", ""), "") - 1
		if strings.Contains(t, "...") {
			if ranks[i] < letters {
				return nil, nil, 0, fmt.Errorf("term %q has more labels than its operand's rank %d", t, ranks[i])
			}
			ell = max(ell, ranks[i]-letters)
		} else if letters != ranks[i] {
			return nil, nil, 0, fmt.Errorf("term %q has %d labels for an operand of rank %d", t, letters, ranks[i])
		}
	}
	parse := func(t string, rank int) ([]int, error) {
		var labels []int
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case c >= 'a' && c <= 'z':
				labels = append(labels, int(c-'a'))
			case c >= 'A' && c <= 'Z':
				labels = append(labels, 26+int(c-'A'))
			case strings.HasPrefix(t[i:], "..."):
				n := rank - (len(strings.ReplaceAll(t, "...", "")))
				for j := ell - n; j < ell; j++ {
					labels = append(labels, 52+j)
				}
				i += 2
			default:
				return nil, fmt.Errorf("equation %q: invalid label %q", eq, c)
			}
		}
		return labels, nil
	}
	count := make([]int, 52+ell)
	for i, t := range terms {
		l, err := parse(t, ranks[i])
		if err != nil {
			return nil, nil, 0, err
		}
		for _, v := range l {
			count[v]++
		}
		ins = append(ins, l)
	}
	if explicit {
		if out, err = parse(rhs, strings.Count(strings.ReplaceAll(rhs, "...", ""), "")-1+ell); err != nil {
			return nil, nil, 0, err
		}
		seen := make([]bool, len(count))
		for _, v := range out {
			if v >= len(count) || count[v] == 0 {
				return nil, nil, 0, fmt.Errorf("equation %q: output label not in any operand", eq)
			}
			if seen[v] {
				return nil, nil, 0, fmt.Errorf("equation %q: output label repeated", eq)
			}
			seen[v] = true
		}
	} else {
		for j := 0; j < ell; j++ {
			out = append(out, 52+j)
		}
		// numpy orders them by character code: upper case first.
		for _, v := range esImplicitOrder {
			if count[v] == 1 {
				out = append(out, v)
			}
		}
	}
	return ins, out, len(count), nil
}

// esImplicitOrder lists the letter labels in character-code order (A-Z, then a-z).
var esImplicitOrder = func() []int {
	var o []int
	for v := 26; v < 52; v++ {
		o = append(o, v)
	}
	for v := 0; v < 26; v++ {
		o = append(o, v)
	}
	return o
}()

// esOperand is an operand during contraction: contiguous data and one label per dim.
type esOperand[T gemmNum] struct {
	data   []T
	shape  []int
	labels []int
}

// Einsum is ONNX Einsum for float and integer types.
func Einsum(x *Exec, p *EinsumParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	ranks := make([]int, len(in))
	for i, t := range in {
		if t.DType != in[0].DType {
			return fmt.Errorf("operand types %s and %s differ", in[0].DType, t.DType)
		}
		ranks[i] = len(t.Shape)
	}
	ins, outL, nl, err := EinsumTerms(p.Equation, ranks)
	if err != nil {
		return err
	}
	// Every label's size; ellipsis dims broadcast (1 against n).
	size := make([]int, nl)
	for i := range size {
		size[i] = -1
	}
	for i, l := range ins {
		for d, v := range l {
			s := in[i].Shape[d]
			switch {
			case size[v] < 0 || (v >= 52 && size[v] == 1):
				size[v] = s
			case size[v] != s && !(v >= 52 && s == 1):
				return fmt.Errorf("equation %q: label sizes %d and %d differ", p.Equation, size[v], s)
			}
		}
	}
	shape := make([]int, len(outL))
	for i, v := range outL {
		shape[i] = size[v]
	}
	Y := out[0]
	dt := in[0].DType
	switch dt {
	case Float32, Float16, BFloat16:
		ops := make([]esOperand[float32], len(in))
		for i, t := range in {
			d, err := cvF32(x, t, mmSlotA)
			if err != nil {
				return err
			}
			if t.DType != Float32 {
				d = append([]float32(nil), d...) // the next operand reuses the scratch
			}
			ops[i] = esOperand[float32]{d, t.Shape, ins[i]}
		}
		r := esRun(x, ops, outL, size)
		Y.Resize(dt, shape...)
		if dt == Float32 {
			copy(Data[float32](Y), r)
		} else {
			cvStoreF32(Y, r)
		}
	case Float64:
		return esTyped[float64](x, in, ins, outL, size, Y, shape)
	case Int32:
		return esTyped[int32](x, in, ins, outL, size, Y, shape)
	case Int64:
		return esTyped[int64](x, in, ins, outL, size, Y, shape)
	case Uint32:
		return esTyped[uint32](x, in, ins, outL, size, Y, shape)
	case Uint64:
		return esTyped[uint64](x, in, ins, outL, size, Y, shape)
	case Int8:
		return esTyped[int8](x, in, ins, outL, size, Y, shape)
	case Uint8:
		return esTyped[uint8](x, in, ins, outL, size, Y, shape)
	case Int16:
		return esTyped[int16](x, in, ins, outL, size, Y, shape)
	case Uint16:
		return esTyped[uint16](x, in, ins, outL, size, Y, shape)
	default:
		return fmt.Errorf("%s operands are not supported", dt)
	}
	return nil
}

// EinsumParams configures Einsum.
type EinsumParams struct {
	Equation string
}

func esTyped[T gemmNum](x *Exec, in []*Tensor, ins [][]int, outL, size []int, Y *Tensor, shape []int) error {
	ops := make([]esOperand[T], len(in))
	for i, t := range in {
		ops[i] = esOperand[T]{Data[T](t), t.Shape, ins[i]}
	}
	r := esRun(x, ops, outL, size)
	Y.Resize(in[0].DType, shape...)
	copy(Data[T](Y), r)
	return nil
}

// esRun contracts the operands into the output labels' order.
func esRun[T gemmNum](x *Exec, ops []esOperand[T], outL, size []int) []T {
	cur := ops[0]
	for i := 1; i < len(ops); i++ {
		// Labels still needed after this step: the output's and later operands'.
		need := map[int]bool{}
		for _, v := range outL {
			need[v] = true
		}
		for _, o := range ops[i+1:] {
			for _, v := range o.labels {
				need[v] = true
			}
		}
		cur = esPair(x, cur, ops[i], need, size)
	}
	return esReduce(cur, outL, size)
}

func esHas(l []int, v int) bool {
	for _, w := range l {
		if w == v {
			return true
		}
	}
	return false
}

// esPair contracts two operands, keeping the labels in need.
func esPair[T gemmNum](x *Exec, a, b esOperand[T], need map[int]bool, size []int) esOperand[T] {
	// Classify the labels: batch (both, kept), contracted (both, dropped), kept labels of one
	// operand only; labels of one operand that are not needed are summed out first.
	var batch, contr, aOnly, bOnly []int
	seen := map[int]bool{}
	for _, v := range a.labels {
		if seen[v] {
			continue
		}
		seen[v] = true
		inB := esHas(b.labels, v)
		switch {
		case inB && need[v]:
			batch = append(batch, v)
		case inB:
			contr = append(contr, v)
		case need[v]:
			aOnly = append(aOnly, v)
		}
	}
	for _, v := range b.labels {
		if !seen[v] && need[v] {
			seen[v] = true
			bOnly = append(bOnly, v)
		}
	}
	// Rearranged operands: A as batch x aOnly x contr, B as batch x contr x bOnly, each with
	// its own sizes (an ellipsis dim may be 1 on one side), then a broadcasting matmul.
	al := append(append(append([]int(nil), batch...), aOnly...), contr...)
	bl := append(append(append([]int(nil), batch...), contr...), bOnly...)
	ad := esReduce(a, al, esSizesOf(a, size))
	bd := esReduce(b, bl, esSizesOf(b, size))
	dims := func(o esOperand[T], ls []int) []int {
		s := make([]int, len(ls))
		for i, v := range ls {
			s[i] = esSizeIn(o, v, size)
		}
		return s
	}
	as, bs := dims(a, al), dims(b, bl)
	nb := len(batch)
	m, k, n := NumElems(as[nb:nb+len(aOnly)]), NumElems(as[nb+len(aOnly):]), NumElems(bs[nb+len(contr):])
	plan, err := mmMakePlan(x, append(append([]int(nil), as[:nb]...), m, k), append(append([]int(nil), bs[:nb]...), k, n))
	if err != nil {
		panic(err) // sizes were checked against each other already
	}
	y := make([]T, plan.nbatch*m*n)
	switch any(y).(type) {
	case []float32:
		mmF32(x, &plan, any(ad).([]float32), any(bd).([]float32), any(y).([]float32))
	default:
		mmGeneric(x, &plan, ad, bd, y)
	}
	labels := append(append(append([]int(nil), batch...), aOnly...), bOnly...)
	shape := append(append([]int(nil), plan.batch...), dims(a, aOnly)...)
	shape = append(shape, dims(b, bOnly)...)
	return esOperand[T]{y, shape, labels}
}

// esSizeIn is label v's size in operand o (1 for a broadcast ellipsis dim), or its global size
// when o lacks it.
func esSizeIn[T gemmNum](o esOperand[T], v int, size []int) int {
	for d, w := range o.labels {
		if w == v {
			return o.shape[d]
		}
	}
	return size[v]
}

// esSizesOf is size with the operand's own sizes for the labels it has.
func esSizesOf[T gemmNum](o esOperand[T], size []int) []int {
	s := append([]int(nil), size...)
	for d, v := range o.labels {
		s[v] = o.shape[d]
	}
	return s
}

// esReduce rearranges an operand into the given labels' order (each at most once; labels the
// operand lacks are broadcast), summing over its labels not listed and taking diagonals of
// repeated ones.
func esReduce[T gemmNum](o esOperand[T], labels, size []int) []T {
	stride := map[int]int{}
	st := Strides(o.shape)
	for d, v := range o.labels {
		stride[v] += st[d]
	}
	var sum []int
	seen := map[int]bool{}
	for _, v := range o.labels {
		if !seen[v] && !esHas(labels, v) {
			sum = append(sum, v)
		}
		seen[v] = true
	}
	osz := make([]int, len(labels))
	ost := make([]int, len(labels))
	for i, v := range labels {
		osz[i] = size[v]
		if sv, ok := stride[v]; ok && esSizeIn(o, v, size) != 1 {
			ost[i] = sv
		}
	}
	ssz := make([]int, len(sum))
	sst := make([]int, len(sum))
	for i, v := range sum {
		ssz[i] = esSizeIn(o, v, size)
		sst[i] = stride[v]
	}
	y := make([]T, NumElems(osz))
	oi := make([]int, len(osz))
	si := make([]int, len(ssz))
	nsum := NumElems(ssz)
	off := 0
	for e := range y {
		var s T
		so := off
		for j := 0; j < nsum; j++ {
			s += o.data[so]
			for d := len(si) - 1; d >= 0; d-- {
				si[d]++
				so += sst[d]
				if si[d] < ssz[d] {
					break
				}
				so -= sst[d] * ssz[d]
				si[d] = 0
			}
		}
		y[e] = s
		for d := len(oi) - 1; d >= 0; d-- {
			oi[d]++
			off += ost[d]
			if oi[d] < osz[d] {
				break
			}
			off -= ost[d] * osz[d]
			oi[d] = 0
		}
	}
	return y
}

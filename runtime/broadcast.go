package runtime

import "fmt"

// BroadcastShape is the numpy-style broadcast of shapes.
func BroadcastShape(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	return broadcastInto(make([]int, r), shapes)
}

// broadcastShape is BroadcastShape with the result in x's Ints arena.
func broadcastShape(x *Exec, shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	return broadcastInto(x.Ints(r), shapes)
}

// broadcastInto computes the broadcast of shapes into out, whose length is their largest rank.
func broadcastInto(out []int, shapes [][]int) ([]int, error) {
	r := len(out)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, broadcastError(shapes)
			}
		}
	}
	return out, nil
}

// broadcastError formats a copy of the list, so that callers' argument lists stay on the stack.
func broadcastError(shapes [][]int) error {
	return fmt.Errorf("shapes %v do not broadcast", append([][]int(nil), shapes...))
}

// BroadcastStrides returns, for an input of shape in broadcast to shape out, the input's
// element stride along each of out's dims (0 where the input is broadcast).
func BroadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	broadcastStridesInto(st, in, out)
	return st
}

// broadcastStridesInto is BroadcastStrides into st (len(out) long, zeroed).
func broadcastStridesInto(st, in, out []int) {
	off := len(out) - len(in)
	n := 1
	for i := len(in) - 1; i >= 0; i-- {
		if in[i] != 1 {
			st[off+i] = n
		}
		n *= in[i]
	}
}

// StridedIndex walks a row-major index space over shape and yields, for each position, an
// element offset into each of several operands with the given strides (BroadcastStrides). It is
// the general path of broadcasting kernels; the innermost dim is left to the caller's loop so
// the per-element cost stays a multiply-add.
//
//	it := NewStridedIndex(shape, sa, sb)
//	for it.Next() { a0, b0 := it.Off[0], it.Off[1]; for k := 0; k < it.Inner; k++ { ... a[a0+k*it.InnerStride[0]] } }
type StridedIndex struct {
	Off         []int
	Inner       int
	InnerStride []int
	shape       []int
	strides     [][]int
	pos         []int
	started     bool
	done        bool
}

// NewStridedIndex prepares an iteration over shape for operands with the given strides.
func NewStridedIndex(shape []int, strides ...[]int) *StridedIndex {
	it := &StridedIndex{shape: shape, strides: strides, Off: make([]int, len(strides)), InnerStride: make([]int, len(strides))}
	r := len(shape)
	it.Inner = 1
	if r > 0 {
		it.Inner = shape[r-1]
		for k, s := range strides {
			it.InnerStride[k] = s[r-1]
		}
		it.pos = make([]int, r-1)
	}
	if NumElems(shape) == 0 {
		it.done = true
	}
	return it
}

// strided is NewStridedIndex with its slices in x's arena, as a value (nothing on the heap).
func strided(x *Exec, shape []int, strides ...[]int) StridedIndex {
	it := StridedIndex{shape: shape, strides: strides, Off: x.Ints(len(strides)), InnerStride: x.Ints(len(strides))}
	r := len(shape)
	it.Inner = 1
	if r > 0 {
		it.Inner = shape[r-1]
		for k, s := range strides {
			it.InnerStride[k] = s[r-1]
		}
		it.pos = x.Ints(r - 1)
	}
	if NumElems(shape) == 0 {
		it.done = true
	}
	return it
}

// Next advances to the next row; it returns false when the iteration is over.
func (it *StridedIndex) Next() bool {
	if it.done {
		return false
	}
	if !it.started {
		it.started = true
		return true
	}
	for d := len(it.pos) - 1; d >= 0; d-- {
		it.pos[d]++
		for k, s := range it.strides {
			it.Off[k] += s[d]
		}
		if it.pos[d] < it.shape[d] {
			return true
		}
		for k, s := range it.strides {
			it.Off[k] -= s[d] * it.pos[d]
		}
		it.pos[d] = 0
	}
	it.done = true
	return false
}

// rowPos returns the multi-index over the outer dims shape[:len(shape)-1] of row lo, a row
// being a run of the innermost dim. It uses buf when the rank allows, so that the loop bodies
// that start mid-tensor allocate nothing.
func rowPos(buf *[8]int, shape []int, lo int) []int {
	r := len(shape)
	var pos []int
	if r-1 <= len(buf) {
		pos = buf[:r-1]
	} else {
		pos = make([]int, r-1)
	}
	for d := r - 2; d >= 0; d-- {
		pos[d] = lo % shape[d]
		lo /= shape[d]
	}
	return pos
}

package runtime

import (
	"fmt"
	"unsafe"
)

// This file holds the strided-copy engine that most data-movement kernels reduce to, and the
// kernels that are pure strided views of their input: Transpose, Slice, Expand, Tile,
// DepthToSpace, SpaceToDepth, plus Concat and Split.

// mvSimplify drops size-1 dims and merges neighbouring dims that are contiguous with each
// other in the source, so that the inner loop runs as long as possible (often the whole tensor,
// which then becomes one copy()). The result has at least one dim; it is in x's Ints arena.
func mvSimplify(x *Exec, shape, strides []int) ([]int, []int) {
	s := x.Ints(len(shape) + 1)[:0]
	st := x.Ints(len(shape) + 1)[:0]
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(s) - 1; k >= 0 && st[k] == strides[i]*d {
			s[k] *= d
			st[k] = strides[i]
			continue
		}
		s = append(s, d)
		st = append(st, strides[i])
	}
	if len(s) == 0 {
		s, st = append(s, 1), append(st, 1)
	}
	return s, st
}

// mvStridedCopy fills dst (row-major, of the given shape) with src[off + sum(i_d*strides[d])].
// Strides may be zero (broadcast) or negative (reversed slices). It dispatches once on the
// element size and copies whole rows with copy() when the innermost stride is 1.
func mvStridedCopy(x *Exec, dst, src *Tensor, shape, strides []int, off int) {
	n := NumElems(shape)
	if n == 0 {
		return
	}
	defer x.Release(x.Mark())
	shape, strides = mvSimplify(x, shape, strides)
	if src.DType == String {
		mvStridedCopyT(x, dst.Strs[:n], src.Strs, shape, strides, off)
		return
	}
	switch src.DType.Size() {
	case 1:
		mvStridedCopyT(x, Data[uint8](dst), Data[uint8](src), shape, strides, off)
	case 2:
		mvStridedCopyT(x, Data[uint16](dst), Data[uint16](src), shape, strides, off)
	case 4:
		mvStridedCopyT(x, Data[uint32](dst), Data[uint32](src), shape, strides, off)
	case 8:
		mvStridedCopyT(x, Data[uint64](dst), Data[uint64](src), shape, strides, off)
	default:
		// 16-byte elements (complex128) are copied as two 8-byte halves.
		es := src.DType.Size() / 8
		s2 := x.Ints(len(shape) + 1)
		copy(s2, shape)
		s2[len(shape)] = es
		st2 := x.Ints(len(strides) + 1)
		for i, v := range strides {
			st2[i] = v * es
		}
		st2[len(strides)] = 1
		s2, st2 = mvSimplify(x, s2, st2)
		mvStridedCopyT(x, bytesAs[uint64](dst.Bytes(), n*es), bytesAs[uint64](src.Buf.Bytes(), len(src.Buf.Bytes())/8), s2, st2, off*es)
	}
}

func mvStridedCopyT[T any](x *Exec, dst, src []T, shape, strides []int, off int) {
	inner := shape[len(shape)-1]
	parFor(x.Pool, len(dst)/inner, inner+8, mvCopyJob[T]{dst: dst, src: src, shape: shape, strides: strides, off: off})
}

// mvCopyJob copies rows [lo, hi) of mvStridedCopyT.
type mvCopyJob[T any] struct {
	dst, src       []T
	shape, strides []int
	off            int
}

func (j mvCopyJob[T]) run(lo, hi int) {
	shape, strides, dst, src := j.shape, j.strides, j.dst, j.src
	r := len(shape)
	inner, is := shape[r-1], strides[r-1]
	// Position of row lo as a multi-index over the outer dims.
	var posBuf [8]int
	pos := rowPos(&posBuf, shape, lo)
	so := j.off
	for d := range pos {
		so += pos[d] * strides[d]
	}
	for row := lo; row < hi; row++ {
		d0 := row * inner
		out := dst[d0 : d0+inner]
		switch is {
		case 1:
			copy(out, src[so:so+inner])
		case 0:
			v := src[so]
			for k := range out {
				out[k] = v
			}
		default:
			s := so
			for k := range out {
				out[k] = src[s]
				s += is
			}
		}
		for d := r - 2; d >= 0; d-- {
			pos[d]++
			so += strides[d]
			if pos[d] < shape[d] {
				break
			}
			so -= strides[d] * pos[d]
			pos[d] = 0
		}
	}
}

// stridesOf is Strides in x's Ints arena.
func stridesOf(x *Exec, shape []int) []int {
	s := x.Ints(len(shape))
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

// mvAxis maps a possibly negative axis into [0, rank).
func mvAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// TransposeParams: Perm is the output-to-input axis map; empty means reverse the axes.
type TransposeParams struct {
	Perm []int
}

// Transpose permutes the axes of its input (ONNX Transpose).
func Transpose(x *Exec, p *TransposeParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	perm := p.Perm
	if len(perm) == 0 {
		perm = x.Ints(r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		return fmt.Errorf("Transpose: perm %v for rank %d", perm, r)
	}
	seen := arenaOf[bool](x, r)
	shape := x.Ints(r)
	strides := x.Ints(r)
	ist := stridesOf(x, src.Shape)
	for i, a := range perm {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r || seen[a] {
			return fmt.Errorf("Transpose: perm %v is not a permutation of %d axes", p.Perm, r)
		}
		seen[a] = true
		shape[i] = src.Shape[a]
		strides[i] = ist[a]
	}
	out[0].Resize(src.DType, shape...)
	transposeCopy(x, out[0], src, shape, strides)
	return nil
}

// transposeCopy is mvStridedCopy for permutations. When the innermost output axis is not the
// innermost input axis, a plain row walk reads the source with a large stride and thrashes the
// cache, so the 2-D core (input-contiguous axis vs. output-contiguous axis) is done in tiles.
func transposeCopy(x *Exec, dst, src *Tensor, shape, strides []int) {
	n := NumElems(shape)
	if n == 0 {
		return
	}
	defer x.Release(x.Mark())
	s, st := mvSimplify(x, shape, strides)
	r := len(s)
	if st[r-1] == 1 || src.DType == String || src.DType.Size() > 8 {
		mvStridedCopy(x, dst, src, shape, strides, 0)
		return
	}
	// Find the output axis that is contiguous in the source.
	j := -1
	for i := 0; i < r-1; i++ {
		if st[i] == 1 {
			j = i
		}
	}
	if j < 0 {
		mvStridedCopy(x, dst, src, shape, strides, 0)
		return
	}
	switch src.DType.Size() {
	case 1:
		tiledTranspose(x, Data[uint8](dst), Data[uint8](src), s, st, j)
	case 2:
		tiledTranspose(x, Data[uint16](dst), Data[uint16](src), s, st, j)
	case 4:
		tiledTranspose(x, Data[uint32](dst), Data[uint32](src), s, st, j)
	default:
		tiledTranspose(x, Data[uint64](dst), Data[uint64](src), s, st, j)
	}
}

// tiledTranspose copies src into row-major dst of shape s, reading src with strides st, where
// output axis j has source stride 1 and the last output axis has a source stride > 1. The axes
// other than j and the last are walked as an outer index; (j, last) is copied in square tiles.
func tiledTranspose[T any](x *Exec, dst, src []T, s, st []int, j int) {
	r := len(s)
	ost := stridesOf(x, s)
	// Outer axes: all but j and r-1.
	oshape, ostr, dstr := x.Ints(r)[:0], x.Ints(r)[:0], x.Ints(r)[:0]
	for i := 0; i < r-1; i++ {
		if i != j {
			oshape = append(oshape, s[i])
			ostr = append(ostr, st[i])
			dstr = append(dstr, ost[i])
		}
	}
	outer := NumElems(oshape)
	nj, nl := s[j], s[r-1]
	// Work items are (outer index, band of tile rows along j), so that a plain 2-D transpose
	// (outer = 1) still spreads over the pool.
	bands := (nj + mvTile - 1) / mvTile
	parFor(x.Pool, outer*bands, mvTile*nl, mvTransposeJob[T]{
		dst: dst, src: src, oshape: oshape, ostr: ostr, dstr: dstr,
		bands: bands, nj: nj, nl: nl,
		sl: st[r-1], // source stride along the last output axis
		dj: ost[j],  // destination stride along axis j
	})
}

// mvTile is tiledTranspose's tile size.
const mvTile = 64

// mvTransposeJob copies work items [lo, hi) of tiledTranspose.
type mvTransposeJob[T any] struct {
	dst, src           []T
	oshape, ostr, dstr []int
	bands, nj, nl      int
	sl, dj             int
}

func (j mvTransposeJob[T]) run(lo, hi int) {
	// 4-byte elements go by 8x8 register transposes where the CPU has them (a transformer's
	// K^T, [S,H,D] -> [H,D,S], ran at a nanosecond an element through the staging buffer).
	if u, ok := any(j.src).([]uint32); ok && qcHasTranspose8 && len(u) > 0 {
		d := any(j.dst).([]uint32)
		src := unsafe.Slice((*float32)(unsafe.Pointer(&u[0])), len(u))
		dst := unsafe.Slice((*float32)(unsafe.Pointer(&d[0])), len(d))
		for item := lo; item < hi; item++ {
			so, do, a0, a1 := j.item(item)
			mvTranspose32(dst, src, do, so, a0, a1, j.nl, j.sl, j.dj)
		}
		return
	}
	j.staged(lo, hi)
}

// item returns work item i's source and destination offsets and its band [a0, a1) along j.
func (j mvTransposeJob[T]) item(i int) (so, do, a0, a1 int) {
	o := i / j.bands
	a0 = (i % j.bands) * mvTile
	a1 = min(a0+mvTile, j.nj)
	for d := len(j.oshape) - 1; d >= 0; d-- {
		p := o % j.oshape[d]
		o /= j.oshape[d]
		so += p * j.ostr[d]
		do += p * j.dstr[d]
	}
	return so, do, a0, a1
}

// staged copies items [lo, hi) tile by tile through a buffer.
func (j mvTransposeJob[T]) staged(lo, hi int) {
	const tile = mvTile
	src, dst, nl, sl, dj := j.src, j.dst, j.nl, j.sl, j.dj
	var buf [tile * tile]T
	for item := lo; item < hi; item++ {
		so, do, a0, a1 := j.item(item)
		for b0 := 0; b0 < nl; b0 += tile {
			b1 := min(b0+tile, nl)
			// Stage the tile through a small buffer so that both the source reads and the
			// destination writes run along contiguous memory; only the buffer, which stays
			// in L1, is accessed with a stride.
			na, nb := a1-a0, b1-b0
			for b := 0; b < nb; b++ {
				copy(buf[b*tile:b*tile+na], src[so+a0+(b0+b)*sl:])
			}
			for a := 0; a < na; a++ {
				drow := dst[do+(a0+a)*dj+b0 : do+(a0+a)*dj+b1]
				for k := range drow {
					drow[k] = buf[k*tile+a]
				}
			}
		}
	}
}

// mvTranspose32 sets dst[do+a*dj+b] = src[so+a+b*sl] for a in [a0, a1) and b in [0, nl): 8x8
// blocks by qcTranspose8, the edges one element at a time.
func mvTranspose32(dst, src []float32, do, so, a0, a1, nl, sl, dj int) {
	a8 := a0 + (a1-a0)/8*8
	b8 := nl / 8 * 8
	for a := a0; a < a8; a += 8 {
		for b := 0; b < b8; b += 8 {
			qcTranspose8(dst[do+a*dj+b:], dj, src[so+a+b*sl:], sl)
		}
	}
	for a := a0; a < a1; a++ {
		b := b8
		if a >= a8 {
			b = 0
		}
		for ; b < nl; b++ {
			dst[do+a*dj+b] = src[so+a+b*sl]
		}
	}
}

// Slice extracts a strided sub-tensor (ONNX Slice). Inputs: data, starts, ends, optional axes,
// optional steps; starts and ends are clamped to the dims as the spec says, so out-of-range
// values select up to the edge.
func Slice(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	starts, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Slice: starts: %w", err)
	}
	ends, err := mvInts(x, in[2])
	if err != nil {
		return fmt.Errorf("Slice: ends: %w", err)
	}
	if len(starts) != len(ends) {
		return fmt.Errorf("Slice: %d starts but %d ends", len(starts), len(ends))
	}
	var axes, steps []int64
	if len(in) > 3 && in[3] != nil {
		if axes, err = mvInts(x, in[3]); err != nil {
			return fmt.Errorf("Slice: axes: %w", err)
		}
		if len(axes) != len(starts) {
			return fmt.Errorf("Slice: %d axes for %d starts", len(axes), len(starts))
		}
	}
	if len(in) > 4 && in[4] != nil {
		if steps, err = mvInts(x, in[4]); err != nil {
			return fmt.Errorf("Slice: steps: %w", err)
		}
		if len(steps) != len(starts) {
			return fmt.Errorf("Slice: %d steps for %d starts", len(steps), len(starts))
		}
	}
	if axes == nil && len(starts) > r {
		return fmt.Errorf("Slice: %d starts for rank %d", len(starts), r)
	}
	shape := x.Ints(r)
	copy(shape, src.Shape)
	strides := stridesOf(x, src.Shape)
	off := 0
	seen := arenaOf[bool](x, r)
	for i := range starts {
		a := i
		if axes != nil {
			if a, err = mvAxis(int(axes[i]), r); err != nil {
				return fmt.Errorf("Slice: %w", err)
			}
		}
		if seen[a] {
			return fmt.Errorf("Slice: axis %d repeated", a)
		}
		seen[a] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return fmt.Errorf("Slice: step 0 on axis %d", a)
		}
		start, n := SliceRange(starts[i], ends[i], step, int64(src.Shape[a]))
		shape[a] = int(n)
		off += int(start) * strides[a]
		strides[a] *= int(step)
	}
	out[0].Resize(src.DType, shape...)
	mvStridedCopy(x, out[0], src, shape, strides, off)
	return nil
}

// SliceRange clamps one axis's start and end as ONNX Slice does and returns the first index
// and the number of elements selected. The compiler's shape inference uses it too.
func SliceRange(start, end, step, dim int64) (first, count int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end <= start {
			return start, 0
		}
		return start, (end - start + step - 1) / step
	}
	// The spec clamps start into [0, dim-1] and end into [-1, dim-1] for negative steps.
	start = min(max(start, 0), dim-1)
	end = min(max(end, -1), dim-1)
	if start <= end {
		return max(start, 0), 0
	}
	return start, (start - end - step - 1) / -step
}

// Expand broadcasts its input to a shape (ONNX Expand; the broadcast is two-way, so dims of 1
// in the shape keep the input's dim).
func Expand(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	want, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Expand: shape: %w", err)
	}
	ws := x.Ints(len(want))
	for i, d := range want {
		if d < 0 {
			return fmt.Errorf("Expand: negative dim in shape %v", want)
		}
		ws[i] = int(d)
	}
	shape, err := broadcastShape(x, src.Shape, ws)
	if err != nil {
		return fmt.Errorf("Expand: %w", err)
	}
	out[0].Resize(src.DType, shape...)
	st := x.Ints(len(shape))
	broadcastStridesInto(st, src.Shape, shape)
	mvStridedCopy(x, out[0], src, shape, st, 0)
	return nil
}

// Tile repeats its input along each axis (ONNX Tile).
func Tile(x *Exec, _ *struct{}, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	reps, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Tile: repeats: %w", err)
	}
	r := len(src.Shape)
	if len(reps) != r {
		return fmt.Errorf("Tile: %d repeats for rank %d", len(reps), r)
	}
	// Output axis d is (repeat, input index) in row-major order, so the copy is a strided view
	// of rank 2r whose repeat axes have stride 0.
	shape := x.Ints(r)
	vshape := x.Ints(2 * r)
	vstr := x.Ints(2 * r)
	ist := stridesOf(x, src.Shape)
	for d, k := range reps {
		if k < 0 {
			return fmt.Errorf("Tile: negative repeat %d", k)
		}
		shape[d] = src.Shape[d] * int(k)
		vshape[2*d], vshape[2*d+1] = int(k), src.Shape[d]
		vstr[2*d], vstr[2*d+1] = 0, ist[d]
	}
	out[0].Resize(src.DType, shape...)
	mvStridedCopy(x, out[0], src, vshape, vstr, 0)
	return nil
}

// ConcatParams: Axis may be negative.
type ConcatParams struct {
	Axis int
}

// Concat joins its inputs along an axis (ONNX Concat).
func Concat(x *Exec, p *ConcatParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	if len(in) == 0 {
		return fmt.Errorf("Concat: no inputs")
	}
	first := in[0]
	r := len(first.Shape)
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("Concat: %w", err)
	}
	shape := x.Ints(r)
	copy(shape, first.Shape)
	shape[axis] = 0
	for i, t := range in {
		if t.DType != first.DType || len(t.Shape) != r {
			return fmt.Errorf("Concat: input %d is %v, input 0 is %v", i, t, first)
		}
		for d := range r {
			if d != axis && t.Shape[d] != first.Shape[d] {
				return fmt.Errorf("Concat: input %d has shape %v, input 0 has %v", i, t.Shape, first.Shape)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	dst := out[0]
	dst.Resize(first.DType, shape...)
	outer := NumElems(shape[:axis])
	inner := NumElems(shape[axis+1:])
	orow := shape[axis] * inner
	at := 0
	for _, t := range in {
		row := t.Shape[axis] * inner
		if first.DType == String {
			mvCopyRows(x, dst.Strs, t.Strs, outer, row, orow, at, 0, row)
		} else {
			es := first.DType.Size()
			mvCopyRows(x, dst.Bytes(), t.Bytes(), outer, row*es, orow*es, at*es, 0, row*es)
		}
		at += row
	}
	return nil
}

// mvCopyRows copies n rows of length w from src (row pitch sp, starting at s0) to dst (pitch dp,
// starting at d0).
func mvCopyRows[T any](x *Exec, dst, src []T, n, w, dp, d0, s0, sp int) {
	if w == 0 {
		return
	}
	parFor(x.Pool, n, w/8+4, mvRowsJob[T]{dst: dst, src: src, w: w, dp: dp, d0: d0, s0: s0, sp: sp})
}

type mvRowsJob[T any] struct {
	dst, src          []T
	w, dp, d0, s0, sp int
}

func (j mvRowsJob[T]) run(lo, hi int) {
	w, dp, d0, s0, sp := j.w, j.dp, j.d0, j.s0, j.sp
	for i := lo; i < hi; i++ {
		copy(j.dst[d0+i*dp:d0+i*dp+w], j.src[s0+i*sp:s0+i*sp+w])
	}
}

// SplitParams: Axis may be negative; NumOutputs is Split-18's attribute (0 when absent).
type SplitParams struct {
	Axis       int
	NumOutputs int
}

// Split cuts its input into len(out) parts along an axis (ONNX Split). The sizes come from the
// optional split input, else the parts are equal, the last one smaller when the dim does not
// divide evenly.
func Split(x *Exec, p *SplitParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("Split: %w", err)
	}
	dim := src.Shape[axis]
	var sizes []int
	if len(in) > 1 && in[1] != nil {
		sp, err := mvInts(x, in[1])
		if err != nil {
			return fmt.Errorf("Split: split: %w", err)
		}
		if len(sp) != len(out) {
			return fmt.Errorf("Split: %d split sizes for %d outputs", len(sp), len(out))
		}
		sizes = x.Ints(len(sp))
		sum := 0
		for i, v := range sp {
			if v < 0 {
				return fmt.Errorf("Split: negative split size %d", v)
			}
			sizes[i] = int(v)
			sum += int(v)
		}
		if sum != dim {
			return fmt.Errorf("Split: split sizes %v do not add up to dim %d", sp, dim)
		}
	} else {
		if len(out) > 0 {
			sizes = x.Ints(len(out))
		}
		if err := splitSizesInto(sizes, dim, len(out), p.NumOutputs > 0); err != nil {
			return fmt.Errorf("Split: %w", err)
		}
	}
	outer := NumElems(src.Shape[:axis])
	inner := NumElems(src.Shape[axis+1:])
	irow := dim * inner
	at := 0
	shape := x.Ints(r)
	for i, o := range out {
		copy(shape, src.Shape)
		shape[axis] = sizes[i]
		if o == nil {
			at += sizes[i] * inner
			continue
		}
		o.Resize(src.DType, shape...)
		w := sizes[i] * inner
		if src.DType == String {
			mvCopyRows(x, o.Strs, src.Strs, outer, w, w, 0, at, irow)
		} else {
			es := src.DType.Size()
			mvCopyRows(x, o.Bytes(), src.Bytes(), outer, w*es, w*es, 0, at*es, irow*es)
		}
		at += w
	}
	return nil
}

// SplitSizes is the sizes of n parts of dim when no split input is given: equal parts; with
// uneven (Split-18's num_outputs), parts of ceil(dim/n) and a smaller last part.
func SplitSizes(dim, n int, uneven bool) ([]int, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%d outputs", n)
	}
	sizes := make([]int, n)
	if err := splitSizesInto(sizes, dim, n, uneven); err != nil {
		return nil, err
	}
	return sizes, nil
}

// splitSizesInto is SplitSizes into sizes (n long).
func splitSizesInto(sizes []int, dim, n int, uneven bool) error {
	if n <= 0 {
		return fmt.Errorf("%d outputs", n)
	}
	if dim%n == 0 {
		for i := range sizes {
			sizes[i] = dim / n
		}
		return nil
	}
	if !uneven {
		return fmt.Errorf("dim %d does not split evenly into %d parts", dim, n)
	}
	c := (dim + n - 1) / n
	last := dim - c*(n-1)
	if last < 0 {
		return fmt.Errorf("dim %d cannot split into %d parts of %d", dim, n, c)
	}
	for i := range sizes {
		sizes[i] = c
	}
	sizes[n-1] = last
	return nil
}

// DepthSpaceParams: Blocksize and, for DepthToSpace, Mode "DCR" (default) or "CRD".
type DepthSpaceParams struct {
	Blocksize int
	Mode      string
}

// DepthToSpace moves channel blocks into spatial blocks (ONNX DepthToSpace).
func DepthToSpace(x *Exec, p *DepthSpaceParams, out, in []*Tensor) error {
	src := in[0]
	if len(src.Shape) != 4 {
		return fmt.Errorf("DepthToSpace: input rank %d, want 4", len(src.Shape))
	}
	b := p.Blocksize
	n, c, h, w := src.Shape[0], src.Shape[1], src.Shape[2], src.Shape[3]
	if b <= 0 || c%(b*b) != 0 {
		return fmt.Errorf("DepthToSpace: %d channels not divisible by blocksize² (%d)", c, b*b)
	}
	c2 := c / (b * b)
	// The output viewed as [n, c2, h, b, w, b] reads the input at channel
	// (b1*b + b2)*c2 + cc (DCR) or cc*b*b + b1*b + b2 (CRD).
	sN, sC, sH := c*h*w, h*w, w
	var stC, stB1, stB2 int
	if p.Mode == "CRD" {
		stC, stB1, stB2 = b*b*sC, b*sC, sC
	} else {
		stC, stB1, stB2 = sC, b*c2*sC, c2*sC
	}
	out[0].Resize(src.DType, n, c2, h*b, w*b)
	mvStridedCopy(x, out[0], src, []int{n, c2, h, b, w, b}, []int{sN, stC, sH, stB1, 1, stB2}, 0)
	return nil
}

// SpaceToDepth moves spatial blocks into channels (ONNX SpaceToDepth).
func SpaceToDepth(x *Exec, p *DepthSpaceParams, out, in []*Tensor) error {
	src := in[0]
	if len(src.Shape) != 4 {
		return fmt.Errorf("SpaceToDepth: input rank %d, want 4", len(src.Shape))
	}
	b := p.Blocksize
	n, c, h, w := src.Shape[0], src.Shape[1], src.Shape[2], src.Shape[3]
	if b <= 0 || h%b != 0 || w%b != 0 {
		return fmt.Errorf("SpaceToDepth: spatial dims %dx%d not divisible by blocksize %d", h, w, b)
	}
	// Output [n, b1, b2, c, h/b, w/b] reads input [n, c, h/b*b+b1, w/b*b+b2].
	out[0].Resize(src.DType, n, c*b*b, h/b, w/b)
	mvStridedCopy(x, out[0], src, []int{n, b, b, c, h / b, w / b}, []int{c * h * w, w, 1, h * w, b * w, b}, 0)
	return nil
}

// mvInts reads an integer tensor (any integer type) as []int64, in x's arena (see Exec.Ints).
func mvInts(x *Exec, t *Tensor) ([]int64, error) {
	if t == nil {
		return nil, nil
	}
	n := t.Len()
	v := arenaOf[int64](x, n)
	switch t.DType {
	case Int64:
		copy(v, Data[int64](t))
	case Int32:
		for i, e := range Data[int32](t) {
			v[i] = int64(e)
		}
	case Int16:
		for i, e := range Data[int16](t) {
			v[i] = int64(e)
		}
	case Int8:
		for i, e := range Data[int8](t) {
			v[i] = int64(e)
		}
	case Uint8:
		for i, e := range Data[uint8](t) {
			v[i] = int64(e)
		}
	case Uint16:
		for i, e := range Data[uint16](t) {
			v[i] = int64(e)
		}
	case Uint32:
		for i, e := range Data[uint32](t) {
			v[i] = int64(e)
		}
	case Uint64:
		for i, e := range Data[uint64](t) {
			v[i] = int64(e)
		}
	default:
		return nil, fmt.Errorf("element type %s is not an integer type", t.DType)
	}
	return v, nil
}

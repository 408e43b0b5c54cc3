package runtime

import (
	"fmt"
	"slices"
)

// Indexing kernels: Gather, GatherElements, GatherND, ScatterElements, ScatterND. Indices are
// validated and normalized (negative values count from the end) once, then data move in typed
// or byte-wise copies.

// mvIndexList reads an index tensor and maps each value into [0, dim), failing on values outside
// [-dim, dim).
func mvIndexList(x *Exec, t *Tensor, dim int) ([]int, error) {
	v, err := mvInts(x, t)
	if err != nil {
		return nil, err
	}
	idx := x.Ints(len(v))
	for i, e := range v {
		if e < -int64(dim) || e >= int64(dim) {
			return nil, fmt.Errorf("index %d out of range for a dim of %d", e, dim)
		}
		if e < 0 {
			e += int64(dim)
		}
		idx[i] = int(e)
	}
	return idx, nil
}

// Gather picks slices along an axis by index (ONNX Gather).
func Gather(x *Exec, p *GatherParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	data, it := in[0], in[1]
	r := len(data.Shape)
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("Gather: %w", err)
	}
	dim := data.Shape[axis]
	idx, err := mvIndexList(x, it, dim)
	if err != nil {
		return fmt.Errorf("Gather: %w", err)
	}
	shape := append(append(append(x.Ints(r - 1 + len(it.Shape))[:0], data.Shape[:axis]...), it.Shape...), data.Shape[axis+1:]...)
	out[0].Resize(data.DType, shape...)
	outer := NumElems(data.Shape[:axis])
	inner := NumElems(data.Shape[axis+1:])
	if data.DType == String {
		gatherRows(x, out[0].Strs, data.Strs, idx, outer, dim, inner)
	} else {
		es := data.DType.Size()
		gatherRows(x, out[0].Bytes(), data.Bytes(), idx, outer, dim, inner*es)
	}
	return nil
}

// gatherRows copies, for each outer block o and index j, row idx[j] of o's dim rows of w
// elements.
func gatherRows[T any](x *Exec, dst, src []T, idx []int, outer, dim, w int) {
	n := len(idx)
	if w == 0 || n == 0 {
		return
	}
	parFor(x.Pool, outer*n, w/8+4, mvGatherRowsJob[T]{dst: dst, src: src, idx: idx, dim: dim, w: w})
}

type mvGatherRowsJob[T any] struct {
	dst, src []T
	idx      []int
	dim, w   int
}

func (g mvGatherRowsJob[T]) run(lo, hi int) {
	n, w := len(g.idx), g.w
	o, j := lo/n, lo%n
	for k := lo; k < hi; k++ {
		s := (o*g.dim + g.idx[j]) * w
		copy(g.dst[k*w:(k+1)*w], g.src[s:s+w])
		if j++; j == n {
			j, o = 0, o+1
		}
	}
}

// GatherElements picks one element per index along an axis (ONNX GatherElements); the output
// has the indices' shape.
func GatherElements(x *Exec, p *GatherParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	data, it := in[0], in[1]
	r := len(data.Shape)
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("GatherElements: %w", err)
	}
	if len(it.Shape) != r {
		return fmt.Errorf("GatherElements: indices rank %d, data rank %d", len(it.Shape), r)
	}
	for d := range r {
		if d != axis && it.Shape[d] > data.Shape[d] {
			return fmt.Errorf("GatherElements: indices shape %v exceeds data shape %v", it.Shape, data.Shape)
		}
	}
	idx, err := mvIndexList(x, it, data.Shape[axis])
	if err != nil {
		return fmt.Errorf("GatherElements: %w", err)
	}
	out[0].Resize(data.DType, it.Shape...)
	offs := elementOffsets(x, idx, it.Shape, stridesOf(x, data.Shape), axis)
	if data.DType == String {
		mvGatherAt(out[0].Strs, data.Strs, offs)
		return nil
	}
	switch data.DType.Size() {
	case 1:
		mvGatherAt(Data[uint8](out[0]), Data[uint8](data), offs)
	case 2:
		mvGatherAt(Data[uint16](out[0]), Data[uint16](data), offs)
	case 4:
		mvGatherAt(Data[uint32](out[0]), Data[uint32](data), offs)
	case 8:
		mvGatherAt(Data[uint64](out[0]), Data[uint64](data), offs)
	default:
		return fmt.Errorf("GatherElements: unsupported element type %s", data.DType)
	}
	return nil
}

// elementOffsets turns GatherElements/ScatterElements indices (of shape ishape) into element
// offsets into a tensor with strides dst: the index replaces the position along axis.
func elementOffsets(x *Exec, idx []int, ishape, dst []int, axis int) []int {
	offs := x.Ints(len(idx))
	r := len(ishape)
	pos := x.Ints(r)
	base := 0 // offset of pos without the axis component
	for i := range idx {
		offs[i] = base + idx[i]*dst[axis]
		for d := r - 1; d >= 0; d-- {
			pos[d]++
			if d != axis {
				base += dst[d]
			}
			if pos[d] < ishape[d] {
				break
			}
			if d != axis {
				base -= dst[d] * pos[d]
			}
			pos[d] = 0
		}
	}
	return offs
}

func mvGatherAt[T any](dst, src []T, offs []int) {
	for i, o := range offs {
		dst[i] = src[o]
	}
}

// GatherNDParams: BatchDims leading dims are shared by data and indices.
type GatherNDParams struct {
	BatchDims int
}

// GatherND picks slices addressed by index tuples in the indices' last dim (ONNX GatherND).
func GatherND(x *Exec, p *GatherNDParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	data, it := in[0], in[1]
	offs, shape, w, err := ndOffsets(x, data.Shape, it, p.BatchDims)
	if err != nil {
		return fmt.Errorf("GatherND: %w", err)
	}
	out[0].Resize(data.DType, shape...)
	if data.DType == String {
		gatherSlices(x, out[0].Strs, data.Strs, offs, w)
	} else {
		es := data.DType.Size()
		bo := x.Ints(len(offs))
		for i, o := range offs {
			bo[i] = o * es
		}
		gatherSlices(x, out[0].Bytes(), data.Bytes(), bo, w*es)
	}
	return nil
}

func gatherSlices[T any](x *Exec, dst, src []T, offs []int, w int) {
	if w == 0 {
		return
	}
	parFor(x.Pool, len(offs), w/8+4, mvGatherSlicesJob[T]{dst: dst, src: src, offs: offs, w: w})
}

type mvGatherSlicesJob[T any] struct {
	dst, src []T
	offs     []int
	w        int
}

func (j mvGatherSlicesJob[T]) run(lo, hi int) {
	w := j.w
	for i := lo; i < hi; i++ {
		copy(j.dst[i*w:(i+1)*w], j.src[j.offs[i]:j.offs[i]+w])
	}
}

// ndOffsets resolves GatherND/ScatterND index tuples against a data shape: the element offset
// of each addressed slice, the gathered shape (indices' shape without its last dim, then the
// slice's dims), and the slice's element count.
// They are in x's arena.
func ndOffsets(x *Exec, dshape []int, it *Tensor, b int) (offs, shape []int, w int, err error) {
	r, q := len(dshape), len(it.Shape)
	if q < 1 {
		return nil, nil, 0, fmt.Errorf("indices must have rank >= 1")
	}
	k := it.Shape[q-1]
	if b < 0 || b >= q || b > r {
		return nil, nil, 0, fmt.Errorf("batch_dims %d for data rank %d and indices rank %d", b, r, q)
	}
	if k < 1 && NumElems(it.Shape) > 0 || b+k > r {
		return nil, nil, 0, fmt.Errorf("index tuples of %d for data rank %d and batch_dims %d", k, r, b)
	}
	for d := 0; d < b; d++ {
		if dshape[d] != it.Shape[d] {
			return nil, nil, 0, fmt.Errorf("batch dims of data %v and indices %v differ", dshape, it.Shape)
		}
	}
	v, err := mvInts(x, it)
	if err != nil {
		return nil, nil, 0, err
	}
	shape = append(append(x.Ints(q - 1 + r - b - k)[:0], it.Shape[:q-1]...), dshape[b+k:]...)
	w = NumElems(dshape[b+k:])
	st := stridesOf(x, dshape)
	batch := NumElems(dshape[b:])
	n := NumElems(it.Shape[:q-1])
	perBatch := NumElems(it.Shape[b : q-1])
	offs = x.Ints(n)
	for i := range offs {
		o := 0
		if perBatch > 0 {
			o = (i / perBatch) * batch
		}
		for j := 0; j < k; j++ {
			e := v[i*k+j]
			dim := int64(dshape[b+j])
			if e < -dim || e >= dim {
				return nil, nil, 0, fmt.Errorf("index %d out of range for a dim of %d", e, dim)
			}
			if e < 0 {
				e += dim
			}
			o += int(e) * st[b+j]
		}
		offs[i] = o
	}
	return offs, shape, w, nil
}

// ScatterParams: Axis (ScatterElements only, may be negative) and Reduction: "none" (or ""),
// "add", "mul", "max" or "min".
type ScatterParams struct {
	Axis      int
	Reduction string
}

// ScatterElements writes updates into a copy of data at per-element indices along an axis
// (ONNX ScatterElements and the deprecated Scatter).
func ScatterElements(x *Exec, p *ScatterParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	data, it, upd := in[0], in[1], in[2]
	r := len(data.Shape)
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("ScatterElements: %w", err)
	}
	if len(it.Shape) != r || !slices.Equal(it.Shape, upd.Shape) || upd.DType != data.DType {
		return fmt.Errorf("ScatterElements: data %v, indices %v and updates %v do not fit", data, it, upd)
	}
	for d := range r {
		if d != axis && it.Shape[d] > data.Shape[d] {
			return fmt.Errorf("ScatterElements: indices shape %v exceeds data shape %v", it.Shape, data.Shape)
		}
	}
	idx, err := mvIndexList(x, it, data.Shape[axis])
	if err != nil {
		return fmt.Errorf("ScatterElements: %w", err)
	}
	out[0].CopyFrom(data)
	offs := elementOffsets(x, idx, it.Shape, stridesOf(x, data.Shape), axis)
	if err := mvScatterApply(x, out[0], upd, offs, 1, p.Reduction); err != nil {
		return fmt.Errorf("ScatterElements: %w", err)
	}
	return nil
}

// ScatterND writes update slices into a copy of data at index tuples (ONNX ScatterND).
func ScatterND(x *Exec, p *ScatterParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	data, it, upd := in[0], in[1], in[2]
	offs, shape, w, err := ndOffsets(x, data.Shape, it, 0)
	if err != nil {
		return fmt.Errorf("ScatterND: %w", err)
	}
	if !slices.Equal(shape, upd.Shape) || upd.DType != data.DType {
		return fmt.Errorf("ScatterND: updates %v, want %s%v", upd, data.DType, shape)
	}
	out[0].CopyFrom(data)
	if err := mvScatterApply(x, out[0], upd, offs, w, p.Reduction); err != nil {
		return fmt.Errorf("ScatterND: %w", err)
	}
	return nil
}

const (
	mvRedNone = iota
	mvRedAdd
	mvRedMul
	mvRedMax
	mvRedMin
)

func mvReduction(s string) (int, error) {
	switch s {
	case "", "none":
		return mvRedNone, nil
	case "add":
		return mvRedAdd, nil
	case "mul":
		return mvRedMul, nil
	case "max":
		return mvRedMax, nil
	case "min":
		return mvRedMin, nil
	}
	return 0, fmt.Errorf("unknown reduction %q", s)
}

// mvScatterApply combines update slice i (w elements) into dst at element offset offs[i], in
// order, so later duplicates win (none) or accumulate (the reductions).
func mvScatterApply(x *Exec, dst, upd *Tensor, offs []int, w int, reduction string) error {
	red, err := mvReduction(reduction)
	if err != nil {
		return err
	}
	if red == mvRedNone {
		if dst.DType == String {
			mvScatterT(dst.Strs, upd.Strs, offs, w)
			return nil
		}
		es := dst.DType.Size()
		bo := x.Ints(len(offs))
		for i, o := range offs {
			bo[i] = o * es
		}
		mvScatterT(dst.Bytes(), upd.Bytes(), bo, w*es)
		return nil
	}
	switch dst.DType {
	case Float32:
		mvScatterReduce(Data[float32](dst), Data[float32](upd), offs, w, red)
	case Float64:
		mvScatterReduce(Data[float64](dst), Data[float64](upd), offs, w, red)
	case Int8:
		mvScatterReduce(Data[int8](dst), Data[int8](upd), offs, w, red)
	case Int16:
		mvScatterReduce(Data[int16](dst), Data[int16](upd), offs, w, red)
	case Int32:
		mvScatterReduce(Data[int32](dst), Data[int32](upd), offs, w, red)
	case Int64:
		mvScatterReduce(Data[int64](dst), Data[int64](upd), offs, w, red)
	case Uint8:
		mvScatterReduce(Data[uint8](dst), Data[uint8](upd), offs, w, red)
	case Uint16:
		mvScatterReduce(Data[uint16](dst), Data[uint16](upd), offs, w, red)
	case Uint32:
		mvScatterReduce(Data[uint32](dst), Data[uint32](upd), offs, w, red)
	case Uint64:
		mvScatterReduce(Data[uint64](dst), Data[uint64](upd), offs, w, red)
	case Float16, BFloat16:
		// Reduce in float32 and round back, one slice at a time.
		f := arenaOf[float32](x, w)
		u := arenaOf[float32](x, w)
		zero := [1]int{}
		for i, o := range offs {
			mvWiden(dst, f, o)
			mvWiden(upd, u, i*w)
			mvScatterReduce(f, u, zero[:], w, red)
			mvNarrow(dst, f, o)
		}
	case Bool:
		// numpy's semantics: add and max are "or", mul and min are "and".
		d, s := Data[bool](dst), Data[bool](upd)
		for i, o := range offs {
			for k := 0; k < w; k++ {
				if red == mvRedAdd || red == mvRedMax {
					d[o+k] = d[o+k] || s[i*w+k]
				} else {
					d[o+k] = d[o+k] && s[i*w+k]
				}
			}
		}
	default:
		return fmt.Errorf("reduction %q on %s", reduction, dst.DType)
	}
	return nil
}

func mvWiden(t *Tensor, f []float32, off int) {
	if t.DType == Float16 {
		for k, h := range Data[F16](t)[off : off+len(f)] {
			f[k] = h.Float32()
		}
		return
	}
	for k, h := range Data[BF16](t)[off : off+len(f)] {
		f[k] = h.Float32()
	}
}

func mvNarrow(t *Tensor, f []float32, off int) {
	if t.DType == Float16 {
		d := Data[F16](t)[off : off+len(f)]
		for k, v := range f {
			d[k] = ToF16(v)
		}
		return
	}
	d := Data[BF16](t)[off : off+len(f)]
	for k, v := range f {
		d[k] = ToBF16(v)
	}
}

func mvScatterT[T any](dst, upd []T, offs []int, w int) {
	for i, o := range offs {
		copy(dst[o:o+w], upd[i*w:(i+1)*w])
	}
}

type mvNumber interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func mvScatterReduce[T mvNumber](dst, upd []T, offs []int, w, red int) {
	for i, o := range offs {
		d, u := dst[o:o+w], upd[i*w:(i+1)*w]
		switch red {
		case mvRedAdd:
			for k := range d {
				d[k] += u[k]
			}
		case mvRedMul:
			for k := range d {
				d[k] *= u[k]
			}
		case mvRedMax:
			for k := range d {
				d[k] = max(d[k], u[k])
			}
		case mvRedMin:
			for k := range d {
				d[k] = min(d[k], u[k])
			}
		}
	}
}

// GatherParams: Axis may be negative (Gather, GatherElements).
type GatherParams struct {
	Axis int
}

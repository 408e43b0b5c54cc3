package runtime

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Selection and rearrangement kernels: Trilu, OneHot, NonZero, Compress, ReverseSequence,
// Unique, Col2Im.

// TriluParams: Upper keeps the upper triangle (j-i >= k), else the lower (j-i <= k).
type TriluParams struct {
	Upper bool
}

// Trilu zeroes all but a triangle of the last two dims (ONNX Trilu); the optional input 1 is
// the diagonal offset k.
func Trilu(x *Exec, p *TriluParams, out, in []*Tensor) error {
	src := in[0]
	r := len(src.Shape)
	if r < 2 {
		return fmt.Errorf("Trilu: input rank %d, want >= 2", r)
	}
	k := 0
	if len(in) > 1 && in[1] != nil {
		v, err := mvInts(x, in[1])
		if err != nil || len(v) != 1 {
			return fmt.Errorf("Trilu: k must be an integer scalar")
		}
		// Clamp so that huge offsets cannot overflow int arithmetic below.
		k = int(min(max(v[0], math.MinInt32), math.MaxInt32))
	}
	if src.DType == String {
		return fmt.Errorf("Trilu: string tensors are not supported")
	}
	out[0].CopyFrom(src)
	n, m := src.Shape[r-2], src.Shape[r-1]
	es := src.DType.Size()
	b := out[0].Bytes()
	mats := NumElems(src.Shape[:r-2])
	for mat := 0; mat < mats; mat++ {
		for i := 0; i < n; i++ {
			row := b[(mat*n+i)*m*es : (mat*n+i+1)*m*es]
			// Kept columns: j >= i+k (upper) or j <= i+k (lower); clear the rest.
			c := min(max(i+k, 0), m)
			if p.Upper {
				clear(row[:c*es])
			} else {
				c = min(max(i+k+1, 0), m)
				clear(row[c*es:])
			}
		}
	}
	return nil
}

// OneHotParams: Axis (possibly negative) is where the depth dim goes in the output.
type OneHotParams struct {
	Axis int
}

// OneHot expands indices into one-hot vectors (ONNX OneHot). Inputs: indices (any numeric
// type), depth (a numeric scalar), values ([off, on], the output's type). Negative indices
// count from depth; indices still out of range give all-off vectors.
func OneHot(x *Exec, p *OneHotParams, out, in []*Tensor) error {
	it, dt, vals := in[0], in[1], in[2]
	idx, err := mvNumbers(x, it)
	if err != nil {
		return fmt.Errorf("OneHot: indices: %w", err)
	}
	dv, err := mvNumbers(x, dt)
	if err != nil || len(dv) != 1 {
		return fmt.Errorf("OneHot: depth must be a numeric scalar")
	}
	depth := int(dv[0])
	if depth < 1 {
		return fmt.Errorf("OneHot: depth %d < 1", depth)
	}
	if vals.Len() != 2 {
		return fmt.Errorf("OneHot: values has %d elements, want 2", vals.Len())
	}
	r := len(it.Shape) + 1
	axis, err := mvAxis(p.Axis, r)
	if err != nil {
		return fmt.Errorf("OneHot: %w", err)
	}
	shape := append(append(append([]int{}, it.Shape[:axis]...), depth), it.Shape[axis:]...)
	o := out[0]
	o.Resize(vals.DType, shape...)
	outer := NumElems(it.Shape[:axis])
	inner := NumElems(it.Shape[axis:])
	if vals.DType == String {
		mvOneHot(o.Strs, vals.Strs[0], vals.Strs[1], idx, outer, depth, inner)
		return nil
	}
	switch vals.DType.Size() {
	case 1:
		v := Data[uint8](vals)
		mvOneHot(Data[uint8](o), v[0], v[1], idx, outer, depth, inner)
	case 2:
		v := Data[uint16](vals)
		mvOneHot(Data[uint16](o), v[0], v[1], idx, outer, depth, inner)
	case 4:
		v := Data[uint32](vals)
		mvOneHot(Data[uint32](o), v[0], v[1], idx, outer, depth, inner)
	case 8:
		v := Data[uint64](vals)
		mvOneHot(Data[uint64](o), v[0], v[1], idx, outer, depth, inner)
	default:
		return fmt.Errorf("OneHot: unsupported element type %s", vals.DType)
	}
	return nil
}

func mvOneHot[T any](dst []T, off, on T, idx []float64, outer, depth, inner int) {
	mvFill(dst, off)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			v := int64(idx[o*inner+i]) // truncation toward zero, as a cast to int does
			if v < 0 {
				v += int64(depth)
			}
			if v >= 0 && v < int64(depth) {
				dst[(o*depth+int(v))*inner+i] = on
			}
		}
	}
}

// mvNumbers reads any numeric or bool tensor as float64 (exact for the integers indices and
// depths use).
func mvNumbers(x *Exec, t *Tensor) ([]float64, error) {
	v := arenaOf[float64](x, t.Len())
	switch t.DType {
	case Float32:
		for i, e := range Data[float32](t) {
			v[i] = float64(e)
		}
	case Float64:
		copy(v, Data[float64](t))
	case Float16:
		for i, e := range Data[F16](t) {
			v[i] = float64(e.Float32())
		}
	case BFloat16:
		for i, e := range Data[BF16](t) {
			v[i] = float64(e.Float32())
		}
	case Bool:
		for i, e := range Data[bool](t) {
			if e {
				v[i] = 1
			}
		}
	default:
		iv, err := mvInts(x, t)
		if err != nil {
			return nil, err
		}
		for i, e := range iv {
			v[i] = float64(e)
		}
	}
	return v, nil
}

// NonZero lists the coordinates of the non-zero elements, one row per axis, as int64
// (ONNX NonZero).
func NonZero(x *Exec, _ *struct{}, out, in []*Tensor) error {
	src := in[0]
	n := src.Len()
	nz := make([]bool, n)
	switch src.DType {
	case Float32:
		for i, v := range Data[float32](src) {
			nz[i] = v != 0
		}
	case Float64:
		for i, v := range Data[float64](src) {
			nz[i] = v != 0
		}
	case Float16, BFloat16:
		for i, v := range Data[uint16](src) {
			nz[i] = v&0x7fff != 0 // ±0 are the only zeros
		}
	case String:
		for i, v := range src.Strs {
			nz[i] = v != ""
		}
	default:
		es := src.DType.Size()
		b := src.Bytes()
		for i := range nz {
			for _, c := range b[i*es : (i+1)*es] {
				if c != 0 {
					nz[i] = true
					break
				}
			}
		}
	}
	cnt := 0
	for _, v := range nz {
		if v {
			cnt++
		}
	}
	r := len(src.Shape)
	out[0].Resize(Int64, r, cnt)
	d := Data[int64](out[0])
	pos := make([]int, r)
	k := 0
	for i := range n {
		if nz[i] {
			for a := range r {
				d[a*cnt+k] = int64(pos[a])
			}
			k++
		}
		for a := r - 1; a >= 0; a-- {
			pos[a]++
			if pos[a] < src.Shape[a] {
				break
			}
			pos[a] = 0
		}
	}
	return nil
}

// CompressParams: without HasAxis the input is flattened first.
type CompressParams struct {
	Axis    int
	HasAxis bool
}

// Compress keeps the slices along an axis whose condition entry is true (ONNX Compress).
func Compress(x *Exec, p *CompressParams, out, in []*Tensor) error {
	src, ct := in[0], in[1]
	cond, err := mvNumbers(x, ct)
	if err != nil {
		return fmt.Errorf("Compress: condition: %w", err)
	}
	shape := []int{src.Len()}
	axis := 0
	if p.HasAxis {
		shape = src.Shape
		if axis, err = mvAxis(p.Axis, len(shape)); err != nil {
			return fmt.Errorf("Compress: %w", err)
		}
	}
	dim := shape[axis]
	var idx []int
	for i, c := range cond {
		if c != 0 {
			if i >= dim {
				return fmt.Errorf("Compress: condition selects index %d of a dim of %d", i, dim)
			}
			idx = append(idx, i)
		}
	}
	oshape := append([]int{}, shape...)
	oshape[axis] = len(idx)
	out[0].Resize(src.DType, oshape...)
	outer := NumElems(shape[:axis])
	inner := NumElems(shape[axis+1:])
	if src.DType == String {
		gatherRows(x, out[0].Strs, src.Strs, idx, outer, dim, inner)
	} else {
		es := src.DType.Size()
		gatherRows(x, out[0].Bytes(), src.Bytes(), idx, outer, dim, inner*es)
	}
	return nil
}

// ReverseSequenceParams: BatchAxis and TimeAxis are 0 and 1 in some order.
type ReverseSequenceParams struct {
	BatchAxis int
	TimeAxis  int
}

// ReverseSequence reverses the first sequence_lens[b] time steps of each batch entry b (ONNX
// ReverseSequence).
func ReverseSequence(x *Exec, p *ReverseSequenceParams, out, in []*Tensor) error {
	src := in[0]
	r := len(src.Shape)
	if r < 2 || !(p.BatchAxis == 0 && p.TimeAxis == 1 || p.BatchAxis == 1 && p.TimeAxis == 0) {
		return fmt.Errorf("ReverseSequence: batch_axis %d, time_axis %d for rank %d", p.BatchAxis, p.TimeAxis, r)
	}
	lens, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("ReverseSequence: sequence_lens: %w", err)
	}
	nb, nt := src.Shape[p.BatchAxis], src.Shape[p.TimeAxis]
	if len(lens) != nb {
		return fmt.Errorf("ReverseSequence: %d sequence lengths for a batch of %d", len(lens), nb)
	}
	// Build the source row of every output row (a row is one (dim0, dim1) position).
	idx := make([]int, nb*nt)
	for b := range nb {
		l := int(lens[b])
		if l < 0 || l > nt {
			return fmt.Errorf("ReverseSequence: sequence length %d outside [0, %d]", l, nt)
		}
		for t := range nt {
			s := t
			if t < l {
				s = l - 1 - t
			}
			if p.BatchAxis == 0 {
				idx[b*nt+t] = b*nt + s
			} else {
				idx[t*nb+b] = s*nb + b
			}
		}
	}
	out[0].Resize(src.DType, src.Shape...)
	inner := NumElems(src.Shape[2:])
	if src.DType == String {
		gatherRows(x, out[0].Strs, src.Strs, idx, 1, nb*nt, inner)
	} else {
		es := src.DType.Size()
		gatherRows(x, out[0].Bytes(), src.Bytes(), idx, 1, nb*nt, inner*es)
	}
	return nil
}

// UniqueParams: Sorted orders the unique values ascending (else by first occurrence); without
// HasAxis the input is flattened.
type UniqueParams struct {
	Sorted  bool
	Axis    int
	HasAxis bool
}

// Unique finds the distinct elements (or slices along an axis) of its input (ONNX Unique).
// Outputs: the unique values, the index of each one's first occurrence, the index into the
// unique values of every input element (or slice), and the counts; all indices are int64.
func Unique(x *Exec, p *UniqueParams, out, in []*Tensor) error {
	src := in[0]
	shape := []int{src.Len()}
	axis := 0
	if p.HasAxis {
		shape = src.Shape
		var err error
		if axis, err = mvAxis(p.Axis, len(shape)); err != nil {
			return fmt.Errorf("Unique: %w", err)
		}
	}
	outer := NumElems(shape[:axis])
	dim := shape[axis]
	inner := NumElems(shape[axis+1:])
	// Each of the dim slices becomes a row of keys, gathered as [dim][outer*inner] so rows
	// compare lexicographically in the slice's row-major order.
	var order []int
	var err error
	switch src.DType {
	case Float32:
		order, err = mvUniqueOrder(Data[float32](src), outer, dim, inner)
	case Float64:
		order, err = mvUniqueOrder(Data[float64](src), outer, dim, inner)
	case Float16, BFloat16:
		f := make([]float32, src.Len())
		for i, v := range Data[uint16](src) {
			if src.DType == Float16 {
				f[i] = F16(v).Float32()
			} else {
				f[i] = BF16(v).Float32()
			}
		}
		order, err = mvUniqueOrder(f, outer, dim, inner)
	case Int8:
		order, err = mvUniqueOrder(Data[int8](src), outer, dim, inner)
	case Int16:
		order, err = mvUniqueOrder(Data[int16](src), outer, dim, inner)
	case Int32:
		order, err = mvUniqueOrder(Data[int32](src), outer, dim, inner)
	case Int64:
		order, err = mvUniqueOrder(Data[int64](src), outer, dim, inner)
	case Uint8, Bool:
		order, err = mvUniqueOrder(Data[uint8](src), outer, dim, inner)
	case Uint16:
		order, err = mvUniqueOrder(Data[uint16](src), outer, dim, inner)
	case Uint32:
		order, err = mvUniqueOrder(Data[uint32](src), outer, dim, inner)
	case Uint64:
		order, err = mvUniqueOrder(Data[uint64](src), outer, dim, inner)
	case String:
		order, err = mvUniqueOrder(src.Strs, outer, dim, inner)
	default:
		err = fmt.Errorf("unsupported element type %s", src.DType)
	}
	if err != nil {
		return fmt.Errorf("Unique: %w", err)
	}
	// order lists the rows sorted by key, ties by index. Group equal neighbours.
	group := make([]int, dim) // row -> group number in sorted-key order
	var first, counts []int
	for k, row := range order {
		if k == 0 || !mvRowsEqual(src, outer, dim, inner, order[k-1], row) {
			first = append(first, row)
			counts = append(counts, 0)
		}
		group[row] = len(first) - 1
		counts[len(counts)-1]++
	}
	ng := len(first)
	// pos maps a sorted-key group to its output position.
	pos := make([]int, ng)
	for g := range pos {
		pos[g] = g
	}
	if !p.Sorted {
		byFirst := make([]int, ng)
		for g := range byFirst {
			byFirst[g] = g
		}
		slices.SortFunc(byFirst, func(a, b int) int { return cmp.Compare(first[a], first[b]) })
		for at, g := range byFirst {
			pos[g] = at
		}
	}
	sel := make([]int, ng)
	cnt := make([]int, ng)
	for g := range ng {
		sel[pos[g]] = first[g]
		cnt[pos[g]] = counts[g]
	}
	oshape := append([]int{}, shape...)
	oshape[axis] = ng
	out[0].Resize(src.DType, oshape...)
	if src.DType == String {
		gatherRows(x, out[0].Strs, src.Strs, sel, outer, dim, inner)
	} else {
		es := src.DType.Size()
		gatherRows(x, out[0].Bytes(), src.Bytes(), sel, outer, dim, inner*es)
	}
	if len(out) > 1 && out[1] != nil {
		out[1].Resize(Int64, ng)
		d := Data[int64](out[1])
		for i, v := range sel {
			d[i] = int64(v)
		}
	}
	if len(out) > 2 && out[2] != nil {
		out[2].Resize(Int64, dim)
		d := Data[int64](out[2])
		for row := range dim {
			d[row] = int64(pos[group[row]])
		}
	}
	if len(out) > 3 && out[3] != nil {
		out[3].Resize(Int64, ng)
		d := Data[int64](out[3])
		for i, v := range cnt {
			d[i] = int64(v)
		}
	}
	return nil
}

// mvUniqueOrder sorts the dim slices of v (viewed as [outer][dim][inner]) by their elements,
// ties broken by slice index, and returns the slice indices in that order.
func mvUniqueOrder[T cmp.Ordered](v []T, outer, dim, inner int) ([]int, error) {
	keys := make([]T, len(v))
	w := outer * inner
	for o := range outer {
		for d := range dim {
			copy(keys[d*w+o*inner:d*w+(o+1)*inner], v[(o*dim+d)*inner:(o*dim+d+1)*inner])
		}
	}
	order := make([]int, dim)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return slices.Compare(keys[a*w:(a+1)*w], keys[b*w:(b+1)*w])
	})
	return order, nil
}

// mvRowsEqual compares slices a and b of src (viewed as [outer][dim][inner]) bit for bit, or
// by value for floating types so that -0 equals +0.
func mvRowsEqual(src *Tensor, outer, dim, inner, a, b int) bool {
	for o := range outer {
		ra, rb := (o*dim+a)*inner, (o*dim+b)*inner
		switch src.DType {
		case String:
			if !slices.Equal(src.Strs[ra:ra+inner], src.Strs[rb:rb+inner]) {
				return false
			}
		case Float32:
			d := Data[float32](src)
			if !slices.Equal(d[ra:ra+inner], d[rb:rb+inner]) {
				return false
			}
		case Float64:
			d := Data[float64](src)
			if !slices.Equal(d[ra:ra+inner], d[rb:rb+inner]) {
				return false
			}
		case Float16, BFloat16:
			d := Data[uint16](src)
			for k := range inner {
				x, y := d[ra+k], d[rb+k]
				if x != y && !(x&0x7fff == 0 && y&0x7fff == 0) {
					return false
				}
			}
		default:
			es := src.DType.Size()
			bb := src.Bytes()
			if string(bb[ra*es:(ra+inner)*es]) != string(bb[rb*es:(rb+inner)*es]) {
				return false
			}
		}
	}
	return true
}

// Col2ImParams: Dilations, Pads (begins then ends) and Strides per spatial dim; empty means
// ones (or zeros for Pads).
type Col2ImParams struct {
	Dilations []int
	Pads      []int
	Strides   []int
}

// Col2Im sums sliding-window columns back into an image (ONNX Col2Im). Inputs: columns
// [N, C*prod(block), L], image_shape, block_shape.
func Col2Im(x *Exec, p *Col2ImParams, out, in []*Tensor) error {
	src := in[0]
	img, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Col2Im: image_shape: %w", err)
	}
	blk, err := mvInts(x, in[2])
	if err != nil {
		return fmt.Errorf("Col2Im: block_shape: %w", err)
	}
	nd := len(img)
	if len(blk) != nd || len(src.Shape) != 3 {
		return fmt.Errorf("Col2Im: input %v, image_shape %v, block_shape %v", src.Shape, img, blk)
	}
	dil, pads, str := p.Dilations, p.Pads, p.Strides
	if len(dil) == 0 {
		dil = mvOnes(nd)
	}
	if len(str) == 0 {
		str = mvOnes(nd)
	}
	if len(pads) == 0 {
		pads = make([]int, 2*nd)
	}
	if len(dil) != nd || len(str) != nd || len(pads) != 2*nd {
		return fmt.Errorf("Col2Im: attributes do not match %d spatial dims", nd)
	}
	for d := range nd {
		if dil[d] <= 0 || str[d] <= 0 || img[d] < 0 || blk[d] <= 0 {
			return fmt.Errorf("Col2Im: image %v, block %v, dilations %v and strides %v must be positive", img, blk, dil, str)
		}
	}
	kprod := 1
	grid := make([]int, nd) // sliding positions per dim
	L := 1
	ishape := make([]int, nd)
	kshape := make([]int, nd)
	for d := range nd {
		ishape[d], kshape[d] = int(img[d]), int(blk[d])
		kprod *= kshape[d]
		ext := dil[d]*(kshape[d]-1) + 1
		grid[d] = (ishape[d]+pads[d]+pads[nd+d]-ext)/str[d] + 1
		if grid[d] < 0 {
			grid[d] = 0
		}
		L *= grid[d]
	}
	n, ck, l := src.Shape[0], src.Shape[1], src.Shape[2]
	if kprod == 0 || ck%kprod != 0 || l != L {
		return fmt.Errorf("Col2Im: input %v does not fit blocks %v over image %v (%d positions)", src.Shape, blk, img, L)
	}
	c := ck / kprod
	oshape := append([]int{n, c}, ishape...)
	out[0].Resize(src.DType, oshape...)
	isz := NumElems(ishape)
	// For each (kernel offset, position), the image element it lands on, or -1 in the padding.
	target := make([]int, kprod*L)
	kpos := make([]int, nd)
	for k := range kprod {
		lpos := make([]int, nd)
		for li := range L {
			t := 0
			for d := range nd {
				v := lpos[d]*str[d] - pads[d] + kpos[d]*dil[d]
				if v < 0 || v >= ishape[d] {
					t = -1
					break
				}
				t = t*ishape[d] + v
			}
			target[k*L+li] = t
			mvIncr(lpos, grid)
		}
		mvIncr(kpos, kshape)
	}
	switch src.DType {
	case Float32:
		mvCol2Im(Data[float32](out[0]), Data[float32](src), target, n*c, kprod*L, isz)
	case Float64:
		mvCol2Im(Data[float64](out[0]), Data[float64](src), target, n*c, kprod*L, isz)
	case Float16, BFloat16:
		f := make([]float32, src.Len())
		for i, v := range Data[uint16](src) {
			if src.DType == Float16 {
				f[i] = F16(v).Float32()
			} else {
				f[i] = BF16(v).Float32()
			}
		}
		g := make([]float32, n*c*isz)
		mvCol2Im(g, f, target, n*c, kprod*L, isz)
		d := Data[uint16](out[0])
		for i, v := range g {
			if src.DType == Float16 {
				d[i] = uint16(ToF16(v))
			} else {
				d[i] = uint16(ToBF16(v))
			}
		}
	default:
		return fmt.Errorf("Col2Im: unsupported element type %s", src.DType)
	}
	return nil
}

func mvCol2Im[T float32 | float64](dst, src []T, target []int, planes, cols, isz int) {
	clear(dst)
	for pl := range planes {
		d := dst[pl*isz : (pl+1)*isz]
		s := src[pl*cols : (pl+1)*cols]
		for i, t := range target {
			if t >= 0 {
				d[t] += s[i]
			}
		}
	}
}

func mvOnes(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// mvIncr advances a row-major multi-index over shape, wrapping to zero at the end.
func mvIncr(pos, shape []int) {
	for d := len(pos) - 1; d >= 0; d-- {
		pos[d]++
		if pos[d] < shape[d] {
			return
		}
		pos[d] = 0
	}
}

package runtime

// View is a strided view of a tensor's elements: element idx of the logical tensor of dims
// Shape[:Rank] is the tensor's element Off + Σ idx[i]*Strides[i]. Its arrays keep it off the
// heap when kernels resolve views per call.
type View struct {
	Off, Rank      int
	Shape, Strides [MaxViewRank]int
}

// MaxViewRank bounds a View's rank.
const MaxViewRank = gemmMaxBatchDims + 2

// ContiguousView is the view of a whole tensor of shape sh, or false when sh has more than
// MaxViewRank dims.
func ContiguousView(sh []int) (View, bool) {
	var v View
	if len(sh) > MaxViewRank {
		return v, false
	}
	v.Rank = len(sh)
	st := 1
	for i := len(sh) - 1; i >= 0; i-- {
		v.Shape[i], v.Strides[i] = sh[i], st
		st *= sh[i]
	}
	return v, true
}

// Dims is the view's shape as a slice (of v's own array: copy v first to keep it).
func (v *View) Dims() []int { return v.Shape[:v.Rank] }

// dimsCopy and stridesCopy copy the view's shape and strides, for error messages: a slice of
// v's arrays there (Dims) would move v to the heap.
func (v View) dimsCopy() []int    { return append([]int(nil), v.Shape[:v.Rank]...) }
func (v View) stridesCopy() []int { return append([]int(nil), v.Strides[:v.Rank]...) }

// Transpose permutes the view's dims: dim j of the result is dim perm[j].
func (v View) Transpose(perm []int) (View, bool) {
	if len(perm) != v.Rank {
		return v, false
	}
	w := View{Off: v.Off, Rank: v.Rank}
	seen := 0
	for j, d := range perm {
		if d < 0 || d >= v.Rank || seen&(1<<d) != 0 {
			return v, false
		}
		seen |= 1 << d
		w.Shape[j], w.Strides[j] = v.Shape[d], v.Strides[d]
	}
	return w, true
}

// Reshape gives the view the shape ns without moving data, where it can (as numpy's reshape
// without a copy): each run of dims that the reshape merges or splits must be contiguous
// among itself. Dims of size 1 are free.
func (v View) Reshape(ns []int) (View, bool) {
	if len(ns) > MaxViewRank {
		return v, false
	}
	var os, ost [MaxViewRank]int // the old dims but those of size 1
	no := 0
	for i := 0; i < v.Rank; i++ {
		if v.Shape[i] != 1 {
			os[no], ost[no] = v.Shape[i], v.Strides[i]
			no++
		}
	}
	w := View{Off: v.Off, Rank: len(ns)}
	copy(w.Shape[:], ns)
	if NumElems(v.Shape[:v.Rank]) == 0 {
		// Nothing to read: any strides do, if the sizes agree.
		c, _ := ContiguousView(ns)
		c.Off = v.Off
		return c, NumElems(ns) == 0
	}
	oi, ni := 0, 0
	for oi < no && ni < len(ns) {
		np, op := ns[ni], os[oi]
		nj, oj := ni+1, oi+1
		for np != op {
			switch {
			case np < op && nj < len(ns):
				np *= ns[nj]
				nj++
			case op < np && oj < no:
				op *= os[oj]
				oj++
			default:
				return v, false
			}
		}
		for k := oi; k < oj-1; k++ {
			if ost[k] != os[k+1]*ost[k+1] {
				return v, false
			}
		}
		w.Strides[nj-1] = ost[oj-1]
		for k := nj - 1; k > ni; k-- {
			w.Strides[k-1] = w.Strides[k] * ns[k]
		}
		oi, ni = oj, nj
	}
	if oi < no {
		return v, false
	}
	for ; ni < len(ns); ni++ {
		if ns[ni] != 1 {
			return v, false
		}
	}
	return w, true
}

// Slice applies ONNX Slice's starts, ends, axes (nil: the first len(starts)) and positive
// steps (nil: ones), clamped to the dims as Slice does.
func (v View) Slice(starts, ends, axes, steps []int64) (View, bool) {
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return v, false
	}
	for i, s := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		if a < 0 {
			a += int64(v.Rank)
		}
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if a < 0 || a >= int64(v.Rank) || step <= 0 {
			return v, false
		}
		d, e := int64(v.Shape[a]), ends[i]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		s, e = min(max(s, 0), d), min(max(e, 0), d)
		n := int64(0)
		if e > s {
			n = (e-s-1)/step + 1 // not (e-s+step-1)/step, which overflows for huge steps
		}
		v.Off += int(s) * v.Strides[a]
		v.Shape[a], v.Strides[a] = int(n), v.Strides[a]*int(step)
	}
	return v, true
}

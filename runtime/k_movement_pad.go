package runtime

import "fmt"

// PadParams: Mode is "constant" (or ""), "reflect", "edge" or "wrap".
type PadParams struct {
	Mode string
}

// Pad pads (or, with negative pads, crops) each axis (ONNX Pad). Inputs: data, pads (begin
// values for each padded axis, then end values), optional constant_value, optional axes.
func Pad(x *Exec, p *PadParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	pads, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("Pad: pads: %w", err)
	}
	axes := x.Ints(r)[:0]
	if len(in) > 3 && in[3] != nil {
		av, err := mvInts(x, in[3])
		if err != nil {
			return fmt.Errorf("Pad: axes: %w", err)
		}
		for _, a := range av {
			k, err := mvAxis(int(a), r)
			if err != nil {
				return fmt.Errorf("Pad: %w", err)
			}
			axes = append(axes, k)
		}
	} else {
		for i := range r {
			axes = append(axes, i)
		}
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("Pad: %d pads for %d axes", len(pads), len(axes))
	}
	begin, end := x.Ints(r), x.Ints(r)
	for i, a := range axes {
		begin[a], end[a] = int(pads[i]), int(pads[len(axes)+i])
	}
	var cval *Tensor
	if len(in) > 2 && in[2] != nil && in[2].Len() > 0 {
		cval = in[2]
		if cval.DType != src.DType {
			return fmt.Errorf("Pad: constant_value is %s, data is %s", cval.DType, src.DType)
		}
	}
	return mvPad(x, out[0], src, begin, end, p.Mode, cval)
}

// mvPad is Pad with per-axis begin and end pads resolved; cval nil means zero.
func mvPad(x *Exec, dst, src *Tensor, begin, end []int, mode string, cval *Tensor) error {
	r := len(src.Shape)
	var m int
	switch mode {
	case "", "constant":
		m = 0
	case "reflect":
		m = 1
	case "edge":
		m = 2
	case "wrap":
		m = 3
	default:
		return fmt.Errorf("Pad: unknown mode %q", mode)
	}
	shape := x.Ints(r)
	for d := range r {
		shape[d] = src.Shape[d] + begin[d] + end[d]
	}
	maps := mvNewMaps(x, shape)
	for d := range r {
		n := src.Shape[d]
		shape[d] = n + begin[d] + end[d]
		if shape[d] < 0 {
			return fmt.Errorf("Pad: pads %d, %d make dim %d of size %d negative", begin[d], end[d], d, n)
		}
		// Negative pads crop first; the remaining window [base, base+w) is then padded.
		base := max(0, -begin[d])
		w := n - base - max(0, -end[d])
		pb := max(0, begin[d])
		if w <= 0 && m != 0 && shape[d] > 0 {
			return fmt.Errorf("Pad: cannot %s-pad an empty axis %d", mode, d)
		}
		mp := maps.at(d)
		for o := range mp {
			i := o - pb
			if i < 0 || i >= w {
				switch m {
				case 0:
					mp[o] = -1
					continue
				case 1:
					if w == 1 {
						i = 0
					} else {
						per := 2 * (w - 1)
						i = ((i % per) + per) % per
						if i >= w {
							i = per - i
						}
					}
				case 2:
					i = min(max(i, 0), w-1)
				case 3:
					i = ((i % w) + w) % w
				}
			}
			mp[o] = base + i
		}
	}
	dst.Resize(src.DType, shape...)
	if NumElems(shape) == 0 {
		return nil
	}
	st := stridesOf(x, src.Shape)
	if src.DType == String {
		var c string
		if cval != nil {
			c = cval.Strs[0]
		}
		mvPadT(x, dst.Strs, src.Strs, maps, shape, st, c)
		return nil
	}
	switch src.DType.Size() {
	case 1:
		mvPadT(x, Data[uint8](dst), Data[uint8](src), maps, shape, st, mvFirst[uint8](cval))
	case 2:
		mvPadT(x, Data[uint16](dst), Data[uint16](src), maps, shape, st, mvFirst[uint16](cval))
	case 4:
		mvPadT(x, Data[uint32](dst), Data[uint32](src), maps, shape, st, mvFirst[uint32](cval))
	case 8:
		mvPadT(x, Data[uint64](dst), Data[uint64](src), maps, shape, st, mvFirst[uint64](cval))
	default:
		return fmt.Errorf("Pad: unsupported element type %s", src.DType)
	}
	return nil
}

// mvFirst is t's first element viewed as a T of the same size (zero when t is nil).
func mvFirst[T Elem](t *Tensor) T {
	var z T
	if t == nil {
		return z
	}
	return Data[T](t)[0]
}

// mvPadT fills dst (of the given shape) with src[maps], where maps[d][o] is the source index
// along axis d for output index o, or -1 for the constant c.
func mvPadT[T any](x *Exec, dst, src []T, maps mvMaps, shape, st []int, c T) {
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	inner := shape[r-1]
	im := maps.at(r - 1)
	// The interior of the innermost axis maps to consecutive source elements; find it so it can
	// be copied with copy().
	lo, hi := 0, 0
	for o := 0; o < inner; o++ {
		if im[o] < 0 {
			continue
		}
		k := o
		for k+1 < inner && im[k+1] == im[k]+1 {
			k++
		}
		if k+1-o > hi-lo {
			lo, hi = o, k+1
		}
		o = k
	}
	// Elements of the innermost axis outside [lo, hi) need the per-element path; when none of
	// them maps to the constant, the branch on -1 is not needed.
	edgeConst := false
	for o := range inner {
		if (o < lo || o >= hi) && im[o] < 0 {
			edgeConst = true
		}
	}
	rows := len(dst) / inner
	parFor(x.Pool, rows, inner+8, mvPadJob[T]{dst: dst, src: src, maps: maps, shape: shape, st: st, c: c, lo: lo, hi: hi, edgeConst: edgeConst})
}

// mvPadJob fills rows [rlo, rhi) of mvPadT's output.
type mvPadJob[T any] struct {
	dst, src  []T
	maps      mvMaps
	shape, st []int
	c         T
	lo, hi    int
	edgeConst bool
}

func (j mvPadJob[T]) run(rlo, rhi int) {
	dst, src, maps, shape, st, c, lo, hi, edgeConst := j.dst, j.src, j.maps, j.shape, j.st, j.c, j.lo, j.hi, j.edgeConst
	r := len(shape)
	inner := shape[r-1]
	im := maps.at(r - 1)
	var posBuf [8]int
	pos := rowPos(&posBuf, shape, rlo)
	prevBase, prevInside := -1, false
	for row := rlo; row < rhi; row++ {
		out := dst[row*inner : (row+1)*inner]
		base, inside := 0, true
		for d := 0; d < r-1; d++ {
			i := maps.at(d)[pos[d]]
			if i < 0 {
				inside = false
				break
			}
			base += i * st[d]
		}
		switch {
		case row > rlo && inside == prevInside && (!inside || base == prevBase):
			// Same source row as the previous output row (upsampling, edge padding).
			copy(out, dst[(row-1)*inner:row*inner])
		case !inside:
			mvFill(out, c)
		case edgeConst:
			for o := 0; o < lo; o++ {
				out[o] = mvPick(src, base, im[o], c)
			}
			if hi > lo {
				copy(out[lo:hi], src[base+im[lo]:])
			}
			for o := hi; o < inner; o++ {
				out[o] = mvPick(src, base, im[o], c)
			}
		default:
			s := src[base:]
			for o := 0; o < lo; o++ {
				out[o] = s[im[o]]
			}
			if hi > lo {
				copy(out[lo:hi], s[im[lo]:])
			}
			for o := hi; o < inner; o++ {
				out[o] = s[im[o]]
			}
		}
		prevBase, prevInside = base, inside
		for d := r - 2; d >= 0; d-- {
			pos[d]++
			if pos[d] < shape[d] {
				break
			}
			pos[d] = 0
		}
	}
}

// mvMaps are per-axis index maps in x's arena: at(d) is axis d's, of the output's length.
type mvMaps struct{ flat, off []int }

func mvNewMaps(x *Exec, shape []int) mvMaps {
	m := mvMaps{off: x.Ints(len(shape) + 1)}
	for d, n := range shape {
		m.off[d+1] = m.off[d] + max(n, 0)
	}
	m.flat = x.Ints(m.off[len(shape)])
	return m
}

func (m mvMaps) at(d int) []int { return m.flat[m.off[d]:m.off[d+1]] }

func mvPick[T any](src []T, base, i int, c T) T {
	if i < 0 {
		return c
	}
	return src[base+i]
}

// CenterCropPadParams: Axes (possibly negative) are the axes the shape input gives sizes for;
// empty means all.
type CenterCropPadParams struct {
	Axes []int
}

// CenterCropPad crops or zero-pads each listed axis to a size, keeping the center (ONNX
// CenterCropPad).
func CenterCropPad(x *Exec, p *CenterCropPadParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	r := len(src.Shape)
	sizes, err := mvInts(x, in[1])
	if err != nil {
		return fmt.Errorf("CenterCropPad: shape: %w", err)
	}
	axes := p.Axes
	if len(axes) == 0 {
		axes = x.Ints(r)
		for i := range axes {
			axes[i] = i
		}
	}
	if len(sizes) != len(axes) {
		return fmt.Errorf("CenterCropPad: %d sizes for %d axes", len(sizes), len(axes))
	}
	begin, end := x.Ints(r), x.Ints(r)
	for i, a := range axes {
		k, err := mvAxis(a, r)
		if err != nil {
			return fmt.Errorf("CenterCropPad: %w", err)
		}
		n, want := src.Shape[k], int(sizes[i])
		if want < 0 {
			return fmt.Errorf("CenterCropPad: negative size %d", want)
		}
		if want <= n {
			begin[k] = -((n - want) / 2)
		} else {
			begin[k] = (want - n) / 2
		}
		end[k] = want - n - begin[k]
	}
	return mvPad(x, out[0], src, begin, end, "constant", nil)
}

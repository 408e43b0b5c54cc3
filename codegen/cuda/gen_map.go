package cuda

import (
	"fmt"
	"slices"
)

// Index maps: every kernel of this backend's elementwise and data-movement generators runs one
// thread per element of an iteration space (static dims) and addresses each operand by an
// affine map of the element's coordinates, fixed at compile time: a broadcast input has stride
// 0 on the dims it repeats along, a transposed one permuted strides, a slice an offset. The
// generators only build the maps; this file turns them into PTX.

// access addresses an operand: element offset base + sum over d of coord[d]*strides[d].
type access struct {
	base    int
	strides []int
}

// contiguous is the contiguous access of a tensor of shape dims.
func contiguous(dims []int) access {
	s := make([]int, len(dims))
	n := 1
	for d := len(dims) - 1; d >= 0; d-- {
		s[d] = n
		n *= dims[d]
	}
	return access{strides: s}
}

// broadcast is how an input of shape in is read over an output of shape out under numpy
// broadcasting: aligned on the right, its dims of size 1 repeated.
func broadcast(in, out []int) (access, bool) {
	if len(in) > len(out) {
		return access{}, false
	}
	a := access{strides: make([]int, len(out))}
	own := contiguous(in)
	for k := range in {
		d := len(out) - len(in) + k
		switch {
		case in[k] == out[d]:
			a.strides[d] = own.strides[k]
		case in[k] != 1:
			return access{}, false
		}
	}
	return a, true
}

// simplify drops dims of size 1 and merges neighbours that every access walks contiguously,
// so that the kernel divides by fewer dims.
func simplify(dims []int, acc []access) ([]int, []access) {
	var nd []int
	na := make([]access, len(acc))
	for i, a := range acc {
		na[i].base = a.base
	}
	for d, n := range dims {
		if n == 1 {
			continue
		}
		if k := len(nd) - 1; k >= 0 {
			merge := true
			for i, a := range acc {
				if na[i].strides[k] != a.strides[d]*n {
					merge = false
				}
			}
			if merge {
				nd[k] *= n
				for i, a := range acc {
					na[i].strides[k] = a.strides[d]
				}
				continue
			}
		}
		nd = append(nd, n)
		for i, a := range acc {
			na[i].strides = append(na[i].strides, a.strides[d])
		}
	}
	return nd, na
}

func volume(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// isIdentity says a reads element i at thread i.
func (a access) isIdentity(dims []int) bool {
	return a.base == 0 && slices.Equal(a.strides, contiguous(dims).strides)
}

// maxOffset is the largest element offset a reads, or -1 for none.
func (a access) maxOffset(dims []int) int {
	off := a.base
	for d, n := range dims {
		if n == 0 {
			return -1
		}
		off += (n - 1) * a.strides[d]
	}
	return off
}

// fits says every offset of the space and its byte address fit the kernels' 32-bit index
// arithmetic (offsets are scaled to bytes in 64 bits, but computed in 32).
func fits(dims []int, acc []access) bool {
	if volume(dims) >= 1<<31 {
		return false
	}
	for _, a := range acc {
		if a.maxOffset(dims) >= 1<<31 {
			return false
		}
		for _, s := range a.strides {
			if s < 0 {
				return false
			}
		}
	}
	return true
}

// mapKernel writes a kernel over the elements of dims with one pointer parameter per operand
// (in the order of acc), each of elements of sizes[i] bytes. body gets the address of every
// operand's element.
func mapKernel(name string, dims []int, acc []access, sizes []int, body func(f *ptxFunc, addr []string)) *ptxFunc {
	f := newFunc(name)
	params := make([]string, len(acc))
	for i := range acc {
		params[i] = f.param()
	}
	done := f.label()
	i := f.globalID()
	p := f.reg(rPred)
	f.op("setp.ge.u32 %s, %s, %d", p, i, volume(dims))
	f.op("@%s bra %s", p, done)
	var coords []string
	coord := func() []string {
		if coords != nil {
			return coords
		}
		coords = make([]string, len(dims))
		rem := i
		for d := len(dims) - 1; d > 0; d-- {
			q, c := f.reg(rB32), f.reg(rB32)
			f.op("div.u32 %s, %s, %d", q, rem, dims[d])
			f.op("mul.lo.u32 %s, %s, %d", c, q, dims[d])
			f.op("sub.u32 %s, %s, %s", c, rem, c)
			coords[d], rem = c, q
		}
		if len(dims) > 0 {
			coords[0] = rem
		}
		return coords
	}
	addr := make([]string, len(acc))
	for k, a := range acc {
		base := f.ptrParam(params[k])
		var off string
		switch {
		case a.isIdentity(dims):
			off = i
		default:
			off = f.reg(rB32)
			f.op("mov.u32 %s, %d", off, a.base)
			for d, s := range a.strides {
				if s != 0 {
					f.op("mad.lo.u32 %s, %s, %d, %s", off, coord()[d], s, off)
				}
			}
		}
		addr[k] = f.addr(base, off, sizes[k])
	}
	body(f, addr)
	f.put(done)
	return f
}

// rawTypes are the register class and PTX type that move an element of each size unread.
var rawTypes = map[int]struct {
	cls regClass
	typ string
}{1: {rB32, "u8"}, 2: {rB16, "b16"}, 4: {rB32, "b32"}, 8: {rB64, "b64"}}

// loadRaw and storeRaw move an element of size bytes without interpreting it.
func loadRaw(f *ptxFunc, size int, addr string) (string, error) {
	rt, ok := rawTypes[size]
	if !ok {
		return "", fmt.Errorf("no %d-byte elements", size)
	}
	r := f.reg(rt.cls)
	f.op("ld.global.%s %s, [%s]", rt.typ, r, addr)
	return r, nil
}

func storeRaw(f *ptxFunc, size int, addr, v string) {
	f.op("st.global.%s [%s], %s", rawTypes[size].typ, addr, v)
}

// copyKernel copies src's elements to dst's, both addressed over dims.
func copyKernel(name string, dims []int, dst, src access, size int) (*ptxFunc, error) {
	var err error
	f := mapKernel(name, dims, []access{dst, src}, []int{size, size}, func(f *ptxFunc, addr []string) {
		var v string
		if v, err = loadRaw(f, size, addr[1]); err == nil {
			storeRaw(f, size, addr[0], v)
		}
	})
	return f, err
}

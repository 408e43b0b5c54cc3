package cuda

import (
	"fmt"

	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Data movement (Transpose, Slice, Concat, Split, Expand, Tile, Gather with constant indices,
// DepthToSpace, SpaceToDepth, constant Pad) as index maps. Rather than re-deriving each op's
// index arithmetic, the generator runs the op's reference kernel once at compile time on
// inputs whose elements are their own positions (a probe) and reads off where every output
// element comes from; the runtime kernel stays the one definition of the op. The map is then
// cut into one box per (output, input) pair, each an affine map checked element by element,
// and every box becomes one launch of a copy kernel. A map that is not a set of affine boxes
// (a Gather with repeated indices, say) runs on the CPU path.

func init() {
	for e := range movementKernels {
		register(e, genMovement)
	}
}

type refKernel func(x *runtime.Exec, p any, out, in []*runtime.Tensor) error

func typed[P any](f func(x *runtime.Exec, p *P, out, in []*runtime.Tensor) error) refKernel {
	return func(x *runtime.Exec, p any, out, in []*runtime.Tensor) error {
		pp, _ := p.(*P)
		return f(x, pp, out, in)
	}
}

// movementKernels are the reference kernels of the entries this file generates, with which of
// their inputs are data (the others must be constants: starts, axes, shapes, indices).
var movementKernels = map[lowered.Entry]struct {
	run  refKernel
	data func(n int) []int
}{
	lowered.Transpose:    {typed(runtime.Transpose), first},
	lowered.Slice:        {typed(runtime.Slice), first},
	lowered.Split:        {typed(runtime.Split), first},
	lowered.Expand:       {typed(runtime.Expand), first},
	lowered.Tile:         {typed(runtime.Tile), first},
	lowered.Gather:       {typed(runtime.Gather), first},
	lowered.DepthToSpace: {typed(runtime.DepthToSpace), first},
	lowered.SpaceToDepth: {typed(runtime.SpaceToDepth), first},
	lowered.Pad:          {typed(runtime.Pad), first},
	lowered.Identity:     {typed(runtime.Identity), first},
	lowered.Concat: {typed(runtime.Concat), func(n int) []int {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}},
}

func first(int) []int { return []int{0} }

// probeShift separates the input number from the position in a probe value.
const probeShift = 40

// outMap is how one output is made: filled with the constant first when some of its elements
// come from no input, then one copy per box (simplified, fits checked).
type outMap struct {
	fill  bool
	boxes []box
}

func genMovement(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
	maps, fill, err := movementMaps(k)
	if err != nil {
		return nil, false, err
	}
	size := k.Out[0].DType.Size()
	var funcs []*ptxFunc
	var launches []Launch
	for o, m := range maps {
		if m.fill {
			n := volume(staticDims(k.Out[o]))
			name := fmt.Sprintf("fill%d", o)
			f, err := fillKernel(name, n, size, fill)
			if err != nil {
				return nil, false, Unsupported{err.Error()}
			}
			funcs = append(funcs, f)
			launches = append(launches, launch1D(name, n, Arg{Kind: ArgOut, Index: o}))
		}
		for _, b := range m.boxes {
			name := fmt.Sprintf("copy%d_%d", o, len(launches))
			f, err := copyKernel(name, b.dims, b.out, b.in, size)
			if err != nil {
				return nil, false, Unsupported{err.Error()}
			}
			funcs = append(funcs, f)
			launches = append(launches, launch1D(name, volume(b.dims), Arg{Kind: ArgOut, Index: o}, Arg{Kind: ArgIn, Index: b.input}))
		}
	}
	if len(launches) == 0 {
		return nil, false, Unsupported{"empty output"}
	}
	return &Kernel{PTX: module(t, funcs...), Launches: launches}, true, nil
}

// movementMaps probes k's reference kernel and cuts each output's map into boxes; fill is
// constant Pad's value.
func movementMaps(k *lowered.Kernel) (maps []outMap, fill *runtime.Tensor, err error) {
	mk := movementKernels[k.Entry]
	data := mk.data(len(k.In))
	size := k.In[data[0]].DType.Size()
	for _, j := range data {
		if k.In[j].DType.Size() != size || k.In[j].DType == runtime.String {
			return nil, nil, Unsupported{"inputs of different or string types"}
		}
	}
	in := make([]*runtime.Tensor, len(k.In))
	isData := map[int]bool{}
	for _, j := range data {
		isData[j] = true
		d := staticDims(k.In[j])
		probe := runtime.New(runtime.Int64, d...)
		for i := range runtime.Data[int64](probe) {
			runtime.Data[int64](probe)[i] = int64(j+1)<<probeShift | int64(i)
		}
		in[j] = probe
	}
	for j, o := range k.In {
		switch {
		case isData[j] || o.Value == nil:
		case o.Value.Const == nil:
			return nil, nil, Unsupported{fmt.Sprintf("input %d is not a constant", j)}
		case k.Entry == lowered.Pad && j == 2:
			fill = o.Value.Const
			in[j] = runtime.New(runtime.Int64) // the probe's fill: 0, no input's value
		default:
			in[j] = o.Value.Const
		}
	}
	if k.Entry == lowered.Pad {
		if p := k.Params.(*runtime.PadParams); p.Mode != "constant" && p.Mode != "" {
			return nil, nil, Unsupported{"Pad mode " + p.Mode}
		}
		if fill == nil {
			fill = runtime.New(k.In[0].DType)
		}
	}
	out := make([]*runtime.Tensor, len(k.Out))
	for i := range out {
		out[i] = new(runtime.Tensor)
	}
	x := runtime.NewExec(runtime.NewPool(1))
	defer x.Pool.Close()
	if err := mk.run(x, k.Params, out, in); err != nil {
		return nil, nil, fmt.Errorf("probe: %w", err)
	}
	for o, res := range out {
		dims := staticDims(k.Out[o])
		if res.DType != runtime.Int64 || volume(res.Shape) != volume(dims) {
			return nil, nil, fmt.Errorf("probe output %d is %s %v, want %v", o, res.DType, res.Shape, dims)
		}
		boxes, covered, ok := boxesOf(runtime.Data[int64](res), dims, len(k.In))
		if !ok {
			return nil, nil, Unsupported{"not an affine map of its inputs"}
		}
		m := outMap{fill: covered < volume(dims)}
		if m.fill && fill == nil {
			return nil, nil, Unsupported{"output elements from no input"}
		}
		for _, b := range boxes {
			bd, acc := simplify(b.dims, []access{b.out, b.in})
			if !fits(bd, acc) {
				return nil, nil, Unsupported{"over 2^31 elements"}
			}
			m.boxes = append(m.boxes, box{input: b.input, dims: bd, out: acc[0], in: acc[1]})
		}
		maps = append(maps, m)
	}
	return maps, fill, nil
}

// box is the part of an output that one input fills: dims is its extent, out addresses it in
// the output, in the input elements it copies.
type box struct {
	input   int
	dims    []int
	out, in access
}

// boxesOf cuts a probe result (per output element, input+1 << probeShift | position, or 0 for
// none) into one affine box per input; ok is false when some input's part is not one.
// covered counts the elements that come from an input.
func boxesOf(src []int64, dims []int, inputs int) (boxes []box, covered int, ok bool) {
	r := len(dims)
	lo := make([][]int, inputs)
	hi := make([][]int, inputs)
	count := make([]int, inputs)
	coord := make([]int, r)
	for i, v := range src {
		unravel(i, dims, coord)
		if v == 0 {
			continue
		}
		j := int(v>>probeShift) - 1
		if j < 0 || j >= inputs {
			return nil, 0, false
		}
		if count[j] == 0 {
			lo[j], hi[j] = append([]int(nil), coord...), append([]int(nil), coord...)
		}
		for d, c := range coord {
			lo[j][d], hi[j][d] = min(lo[j][d], c), max(hi[j][d], c)
		}
		count[j]++
	}
	outAcc := contiguous(dims)
	mask := int64(1)<<probeShift - 1
	at := func(c []int) int64 {
		off := 0
		for d, x := range c {
			off += x * outAcc.strides[d]
		}
		return src[off]
	}
	for j := 0; j < inputs; j++ {
		if count[j] == 0 {
			continue
		}
		b := box{input: j, dims: make([]int, r), out: access{strides: outAcc.strides}, in: access{strides: make([]int, r)}}
		for d := range b.dims {
			b.dims[d] = hi[j][d] - lo[j][d] + 1
			b.out.base += lo[j][d] * outAcc.strides[d]
		}
		if volume(b.dims) != count[j] {
			return nil, 0, false
		}
		corner := append([]int(nil), lo[j]...)
		b.in.base = int(at(corner) & mask)
		for d := range b.dims {
			if b.dims[d] > 1 {
				corner[d]++
				b.in.strides[d] = int(at(corner)&mask) - b.in.base
				corner[d]--
			}
		}
		// Every element of the box must be where the map says.
		c := make([]int, r)
		for e := 0; e < count[j]; e++ {
			unravel(e, b.dims, c)
			want := b.in.base
			for d := range c {
				want += c[d] * b.in.strides[d]
				c[d] += lo[j][d]
			}
			if v := at(c); int(v>>probeShift)-1 != j || int(v&mask) != want {
				return nil, 0, false
			}
		}
		covered += count[j]
		boxes = append(boxes, b)
	}
	return boxes, covered, true
}

// unravel writes the coordinates of row-major position i in dims to c.
func unravel(i int, dims, c []int) {
	for d := len(dims) - 1; d >= 0; d-- {
		c[d] = i % dims[d]
		i /= dims[d]
	}
}

// fillKernel writes value (one element of size bytes) to n elements.
func fillKernel(name string, n, size int, value *runtime.Tensor) (*ptxFunc, error) {
	b := value.Bytes()
	if len(b) != size {
		return nil, fmt.Errorf("fill value of %d bytes for %d-byte elements", len(b), size)
	}
	var bits uint64
	for i := len(b) - 1; i >= 0; i-- {
		bits = bits<<8 | uint64(b[i])
	}
	rt, ok := rawTypes[size]
	if !ok {
		return nil, fmt.Errorf("no %d-byte elements", size)
	}
	dims := []int{n}
	return mapKernel(name, dims, []access{contiguous(dims)}, []int{size}, func(f *ptxFunc, addr []string) {
		v := f.reg(rt.cls)
		f.op("mov.%s %s, %d", rt.cls.typ[1:], v, bits)
		storeRaw(f, size, addr[0], v)
	}), nil
}

// aliasEntries are the entries whose output is their input under another shape: on the GPU
// they are no kernel at all, the output names the input's device memory.
var aliasEntries = map[lowered.Entry]bool{
	lowered.Reshape: true, lowered.Squeeze: true, lowered.Unsqueeze: true, lowered.Flatten: true, lowered.Identity: true,
}

// IsAlias reports whether k runs no kernel on the GPU: its output shares its input's memory.
func IsAlias(k *lowered.Kernel) bool {
	return k.Aliases && aliasEntries[k.Entry] && len(k.Out) == 1 && k.In[0].DType == k.Out[0].DType
}

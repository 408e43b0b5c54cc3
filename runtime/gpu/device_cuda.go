//go:build cuda

package gpu

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	goruntime "runtime"
	"slices"
	"sync"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/onnxc/onnxc/runtime"
)

// Available reports whether this binary was built with the cuda tag.
const Available = true

// Model is a Program loaded onto one device: its modules loaded, functions resolved, buffers
// allocated and weights uploaded once, in Open. Runs are serialized on one stream.
type Model struct {
	mu      sync.Mutex
	p       *Program
	ctx     cu.CUContext
	stream  cu.Stream
	mods    []cu.Module
	bufs    []cu.DevicePtr
	scratch []cu.DevicePtr
	wdev    map[int]cu.DevicePtr // device copies of host weights
	w       []*runtime.Tensor
	ptr     []cu.DevicePtr // per tensor
	steps   []step
	x       *runtime.Exec
	pool    *runtime.Pool
}

type step struct {
	fns  []cu.Function
	args [][]uint64 // per launch, one 8-byte slot per argument
	argp [][]unsafe.Pointer
	// CPU steps: host tensors of the inputs (weights are the host weights) and outputs.
	in, out []*runtime.Tensor
}

// Open loads p onto device ordinal dev. files holds the PTX modules p names; w are the host
// weights (runtime.LoadWeights of the package's weights file); threads is the CPU steps' thread
// count (0: GOMAXPROCS).
func Open(p *Program, files fs.FS, w []*runtime.Tensor, dev, threads int) (m *Model, err error) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	d, err := cu.GetDevice(dev)
	if err != nil {
		return nil, fmt.Errorf("cuda: device %d: %w", dev, err)
	}
	m = &Model{p: p, w: w, wdev: map[int]cu.DevicePtr{}}
	if m.ctx, err = d.MakeContext(cu.SchedAuto); err != nil {
		return nil, fmt.Errorf("cuda: context on device %d: %w", dev, err)
	}
	defer func() {
		if err != nil {
			m.Close()
			m = nil
		}
	}()
	// A blocking stream: the synchronous copies (cuMemcpyHtoD/DtoH, on the legacy default
	// stream) are ordered with its launches, so no launch reads an input still in flight.
	if m.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return nil, fmt.Errorf("cuda: stream: %w", err)
	}
	for _, name := range p.Modules {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		mod, err := cu.LoadData(string(src))
		if err != nil {
			return nil, fmt.Errorf("cuda: loading %s: %w", name, err)
		}
		m.mods = append(m.mods, mod)
	}
	alloc := func(n int64) (cu.DevicePtr, error) { return cu.MemAlloc(max(n, 4)) }
	for _, n := range p.Buffers {
		b, err := alloc(n)
		if err != nil {
			return nil, fmt.Errorf("cuda: %d-byte buffer: %w", n, err)
		}
		m.bufs = append(m.bufs, b)
	}
	for _, n := range p.Scratch {
		b, err := alloc(n)
		if err != nil {
			return nil, fmt.Errorf("cuda: %d-byte scratch: %w", n, err)
		}
		m.scratch = append(m.scratch, b)
	}
	for _, k := range p.DeviceWeights {
		t := w[k]
		b, err := alloc(int64(len(t.Bytes())))
		if err != nil {
			return nil, fmt.Errorf("cuda: weight %d: %w", k, err)
		}
		if err := copyIn(b, t); err != nil {
			return nil, err
		}
		m.wdev[k] = b
	}
	for _, t := range p.Tensors {
		if t.Buf >= 0 {
			m.ptr = append(m.ptr, m.bufs[t.Buf])
		} else {
			m.ptr = append(m.ptr, m.wdev[t.Weight]) // zero for a weight only the CPU reads
		}
	}
	for i := range p.Steps {
		if err := m.prepare(&p.Steps[i]); err != nil {
			return nil, fmt.Errorf("cuda: %s: %w", p.Steps[i].Node, err)
		}
	}
	m.pool = runtime.NewPool(threads)
	m.x = runtime.NewExec(m.pool)
	return m, nil
}

// prepare resolves a step's functions and fills its argument slots, or makes a CPU step's host
// tensors.
func (m *Model) prepare(s *Step) error {
	var st step
	if s.CPU != nil {
		for _, t := range s.In {
			st.in = append(st.in, m.hostTensor(t))
		}
		for _, t := range s.Out {
			st.out = append(st.out, m.hostTensor(t))
		}
		m.steps = append(m.steps, st)
		return nil
	}
	for _, l := range s.Launches {
		fn, err := m.mods[s.Module].Function(l.Entry)
		if err != nil {
			return fmt.Errorf("function %s: %w", l.Entry, err)
		}
		args := make([]uint64, len(l.Args))
		ptrs := make([]unsafe.Pointer, len(l.Args))
		for i, a := range l.Args {
			switch a.Kind {
			case ArgIn:
				args[i] = m.tensorPtr(s.In[a.Index])
			case ArgOut:
				args[i] = m.tensorPtr(s.Out[a.Index])
			case ArgScratch:
				args[i] = uint64(m.scratch[a.Index])
			case ArgPrepacked:
				args[i] = uint64(m.wdev[s.Packed[a.Index]])
			case ArgInt:
				args[i] = uint64(uint32(int32(a.Int)))
			case ArgInt64:
				args[i] = uint64(a.Int)
			case ArgFloat:
				args[i] = uint64(math.Float32bits(a.Float))
			}
			ptrs[i] = unsafe.Pointer(&args[i])
		}
		st.fns = append(st.fns, fn)
		st.args = append(st.args, args)
		st.argp = append(st.argp, ptrs)
	}
	m.steps = append(m.steps, st)
	return nil
}

// tensorPtr is tensor t's device address, 0 for an absent operand (-1).
func (m *Model) tensorPtr(t int) uint64 {
	if t < 0 {
		return 0
	}
	return uint64(m.ptr[t])
}

// hostTensor is the host side of tensor t for a CPU step: the host weight, or a tensor of its
// shape (-1: an absent input).
func (m *Model) hostTensor(t int) *runtime.Tensor {
	if t < 0 {
		return nil
	}
	d := m.p.Tensors[t]
	if d.Buf < 0 {
		w := m.w[d.Weight]
		if slices.Equal(w.Shape, d.Shape) {
			return w
		}
		a := new(runtime.Tensor) // a reshaped weight
		a.Alias(w, d.Shape...)
		return a
	}
	return runtime.New(d.DType, d.Shape...)
}

func copyIn(dst cu.DevicePtr, t *runtime.Tensor) error {
	b := t.Bytes()
	if len(b) == 0 {
		return nil
	}
	return cu.MemcpyHtoD(dst, unsafe.Pointer(&b[0]), int64(len(b)))
}

func copyOut(t *runtime.Tensor, src cu.DevicePtr) error {
	b := t.Bytes()
	if len(b) == 0 {
		return nil
	}
	return cu.MemcpyDtoH(unsafe.Pointer(&b[0]), src, int64(len(b)))
}

// Run copies the inputs to the device, runs every step and copies the outputs into outs
// (resized to the outputs' shapes).
func (m *Model) Run(ctx context.Context, ins, outs []*runtime.Tensor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	if err := cu.SetCurrentContext(m.ctx); err != nil {
		return fmt.Errorf("cuda: %w", err)
	}
	for i, t := range m.p.Inputs {
		if err := copyIn(m.ptr[t], ins[i]); err != nil {
			return fmt.Errorf("cuda: input %d: %w", i, err)
		}
	}
	for i := range m.p.Steps {
		if i%32 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := m.run(i); err != nil {
			return fmt.Errorf("cuda: %s: %w", m.p.Steps[i].Node, err)
		}
	}
	if err := m.stream.Synchronize(); err != nil {
		return fmt.Errorf("cuda: %w", err)
	}
	for i, t := range m.p.Outputs {
		d := m.p.Tensors[t]
		outs[i].Resize(d.DType, d.Shape...)
		if err := copyOut(outs[i], m.ptr[t]); err != nil {
			return fmt.Errorf("cuda: output %d: %w", i, err)
		}
	}
	return nil
}

func (m *Model) run(i int) error {
	s, st := &m.p.Steps[i], &m.steps[i]
	if s.CPU == nil {
		for k, l := range s.Launches {
			if err := st.fns[k].Launch(l.Grid[0], l.Grid[1], l.Grid[2], l.Block[0], l.Block[1], l.Block[2], l.SharedBytes, m.stream, st.argp[k]); err != nil {
				return err
			}
		}
		return nil
	}
	// The CPU kernel reads what earlier launches wrote: wait for them.
	if err := m.stream.Synchronize(); err != nil {
		return err
	}
	for k, t := range s.In {
		if t >= 0 && m.p.Tensors[t].Buf >= 0 {
			if err := copyOut(st.in[k], m.ptr[t]); err != nil {
				return err
			}
		}
	}
	if err := s.CPU(m.x, st.out, st.in); err != nil {
		return err
	}
	for k, t := range s.Out {
		if t < 0 {
			continue // an optional output the graph does not use
		}
		d := m.p.Tensors[t]
		if o := st.out[k]; o.DType != d.DType || !slices.Equal(o.Shape, d.Shape) {
			return fmt.Errorf("output %d is %s %v, the plan has %s %v", k, o.DType, o.Shape, d.DType, d.Shape)
		}
		if err := copyIn(m.ptr[t], st.out[k]); err != nil {
			return err
		}
	}
	return nil
}

// Close frees the device memory and the context.
func (m *Model) Close() {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	if m.pool != nil {
		m.pool.Close()
	}
	if err := cu.SetCurrentContext(m.ctx); err != nil {
		return
	}
	for _, b := range m.bufs {
		cu.MemFree(b)
	}
	for _, b := range m.scratch {
		cu.MemFree(b)
	}
	for _, b := range m.wdev {
		cu.MemFree(b)
	}
	for _, mod := range m.mods {
		mod.Unload()
	}
	m.ctx.Destroy()
}

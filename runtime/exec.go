package runtime

import (
	"runtime"
	"sync"
)

// Exec is what a kernel needs besides its operands: the worker pool and scratch space. Each
// concurrent Run of a generated model owns one Exec, so kernels may use its scratch freely.
type Exec struct {
	Pool    *Pool
	scratch []*Buffer
}

// NewExec returns an Exec using pool (nil means single-threaded).
func NewExec(pool *Pool) *Exec { return &Exec{Pool: pool} }

// Scratch returns scratch storage number i of at least n bytes, valid until the kernel returns.
func (x *Exec) Scratch(i, n int) []byte {
	for len(x.scratch) <= i {
		x.scratch = append(x.scratch, &Buffer{})
	}
	b := x.scratch[i]
	b.Grow(n)
	return b.Bytes()[:n]
}

// ScratchOf is Exec.Scratch as a typed slice of n elements.
func ScratchOf[T Elem](x *Exec, i, n int) []T {
	var z T
	size := int(sizeOf(z))
	if n == 0 {
		return nil
	}
	b := x.Scratch(i, n*size)
	return bytesAs[T](b, n)
}

// Pool runs loop bodies on a fixed number of goroutines, like onnxruntime's intra-op thread
// pool. A nil *Pool or one thread runs everything on the caller's goroutine.
type Pool struct {
	threads int
	work    chan func()
	close   sync.Once
}

// NewPool starts a pool of the given number of threads (0 means GOMAXPROCS).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	if threads > 1 {
		p.work = make(chan func())
		for i := 0; i < threads-1; i++ {
			go func() {
				for f := range p.work {
					f()
				}
			}()
		}
	}
	return p
}

// Threads is the number of threads the pool runs on.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the pool's goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p != nil && p.work != nil {
		p.close.Do(func() { close(p.work) })
	}
}

// For calls body(lo, hi) over disjoint chunks covering [0, n), using the pool's threads when the
// work (n times cost, a rough count of operations per index) is large enough to pay for it.
func (p *Pool) For(n, cost int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	t := p.Threads()
	if t <= 1 || n == 1 || n*cost < 1<<15 {
		body(0, n)
		return
	}
	if t > n {
		t = n
	}
	chunk := (n + t - 1) / t
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		lo := lo
		f := func() { body(lo, hi); wg.Done() }
		select {
		case p.work <- f:
		default:
			go f()
		}
	}
	body(0, min(chunk, n))
	wg.Wait()
}

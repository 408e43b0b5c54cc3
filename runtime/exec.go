package runtime

import (
	"runtime"
	"sync"
	"unsafe"
)

// Exec is what a kernel needs besides its operands: the worker pool and scratch space. Each
// concurrent Run of a generated model owns one Exec, so kernels may use its scratch freely.
//
// A warm Run on static shapes must not allocate, so kernels take their working memory from the
// Exec: numbered float scratch (Scratch, ScratchOf), small int slices for shapes, strides and
// counters (Ints), and fixed blocks for the elementwise kernels. Loop bodies handed to Pool.For
// are closures that escape to the heap, so kernels build them only on the parallel path (see
// Pool.Serial and parFor).
type Exec struct {
	Pool    *Pool
	scratch []*Buffer
	// arena backs Ints and arenaOf: its first narena words are in use.
	arena  []uint64
	narena int
	// blk are the elementwise kernels' blocks (ewBlockOf).
	blk [ewMaxOps][]uint64
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

// Ints returns n zeroed ints from the Exec's arena, for a kernel's shapes, strides and
// counters. They stay valid until the arena is released to a mark taken before them, so a
// kernel that calls Ints (or arenaOf) starts with
//
//	defer x.Release(x.Mark())
//
// Nested kernels (control flow running a region) take and release marks of their own. The
// arena is for the calling goroutine only, never for a parallel loop body. A nil Exec
// allocates.
func (x *Exec) Ints(n int) []int { return arenaOf[int](x, n) }

// arenaElem is the element types the arena hands out: fixed-size, without pointers.
type arenaElem interface {
	~int | ~int64 | ~int32 | ~uint64 | ~uint32 | ~float64 | ~float32 | ~bool | ~uint8
}

// arenaOf returns n zeroed elements from x's arena (see Ints).
func arenaOf[T arenaElem](x *Exec, n int) []T {
	if x == nil {
		return make([]T, n)
	}
	if n == 0 {
		return []T{}
	}
	var z T
	w := (n*int(unsafe.Sizeof(z)) + 7) / 8
	end := x.narena + w
	if end > len(x.arena) {
		// Slices handed out earlier keep the old array; the new one leaves their positions
		// unused until they are released.
		x.arena = make([]uint64, max(2*end, 256))
	}
	s := x.arena[x.narena:end:end]
	clear(s)
	x.narena = end
	return unsafe.Slice((*T)(unsafe.Pointer(&s[0])), n)
}

// Mark returns the arena position that Release goes back to.
func (x *Exec) Mark() int {
	if x == nil {
		return 0
	}
	return x.narena
}

// Release frees every arena slice handed out since Mark returned m.
func (x *Exec) Release(m int) {
	if x != nil {
		x.narena = m
	}
}

// ewBlockOf returns elementwise block storage i of n elements (the blocks of every chunk of a
// walk): the Exec's, or fresh storage for element types with pointers (strings) and for a nil
// Exec. Its contents are undefined.
func ewBlockOf[T any](x *Exec, i, n int) []T {
	var z T
	if _, isStr := any(z).(string); isStr || x == nil {
		return make([]T, n)
	}
	w := (n*int(unsafe.Sizeof(z)) + 7) / 8
	if len(x.blk[i]) < w {
		x.blk[i] = make([]uint64, w)
	}
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&x.blk[i][0])), n)
}

// Pool runs loop bodies on a fixed number of goroutines, like onnxruntime's intra-op thread
// pool. A nil *Pool or one thread runs everything on the caller's goroutine.
type Pool struct {
	threads int
	work    chan poolTask
	close   sync.Once
	// wgs are idle WaitGroups, so that For allocates none once warm.
	wgs chan *sync.WaitGroup
}

// poolTask is a chunk of a For, sent to a worker by value: body(lo, hi), or job.run(lo, hi)
// when job is set.
type poolTask struct {
	body   func(lo, hi int)
	job    parJob
	lo, hi int
	wg     *sync.WaitGroup
}

func (t poolTask) run() {
	if t.job != nil {
		t.job.run(t.lo, t.hi)
	} else {
		t.body(t.lo, t.hi)
	}
	t.wg.Done()
}

// NewPool starts a pool of the given number of threads (0 means GOMAXPROCS).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	if threads > 1 {
		p.work = make(chan poolTask)
		p.wgs = make(chan *sync.WaitGroup, 4*threads)
		for i := 0; i < threads-1; i++ {
			go func() {
				for t := range p.work {
					t.run()
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

// Serial reports whether For(n, cost, body) would run body(0, n) on the caller's goroutine in
// one call (or, when n <= 0, not at all). Kernels test it to call their loop body directly: a
// closure handed to For escapes to the heap, so a warm single-threaded run makes none.
func (p *Pool) Serial(n, cost int) bool {
	return p.Threads() <= 1 || n <= 1 || n*cost < 1<<15
}

// For calls body(lo, hi) over disjoint chunks covering [0, n), using the pool's threads when the
// work (n times cost, a rough count of operations per index) is large enough to pay for it.
func (p *Pool) For(n, cost int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if p.Serial(n, cost) {
		body(0, n)
		return
	}
	p.parallel(n, poolTask{body: body})
}

// chunk is the size of the chunks a parallel For of n cuts [0, n) into; chunk k starts at
// k*chunk, so that a job can find its chunk's share of per-chunk scratch.
func (p *Pool) chunk(n int) int {
	t := min(p.Threads(), n)
	return (n + t - 1) / t
}

// parallel runs task's body or job over [0, n) in chunks on the pool's threads.
func (p *Pool) parallel(n int, task poolTask) {
	chunk := p.chunk(n)
	var wg *sync.WaitGroup
	select {
	case wg = <-p.wgs:
	default:
		wg = new(sync.WaitGroup)
	}
	task.wg = wg
	for lo := chunk; lo < n; lo += chunk {
		task.lo, task.hi = lo, min(lo+chunk, n)
		wg.Add(1)
		select {
		case p.work <- task:
		default:
			// No worker is waiting (another Run keeps them busy, or one has not yet come back
			// for more): run the chunk on a goroutine of its own rather than wait.
			go task.run()
		}
	}
	task.lo, task.hi = 0, min(chunk, n)
	if task.job != nil {
		task.job.run(task.lo, task.hi)
	} else {
		task.body(task.lo, task.hi)
	}
	wg.Wait()
	select {
	case p.wgs <- wg:
	default:
	}
}

// parJob is a loop body as a value: run(lo, hi) does indices [lo, hi).
type parJob interface{ run(lo, hi int) }

// parFor is Pool.For for a job value. On the serial path it calls job.run directly, so nothing is
// allocated; only the parallel path copies the job to the heap (one allocation) for the pool's
// threads to share. A job should hold slices of heap data (tensors, scratch) and values, not
// pointers to the caller's locals, which the copy would move to the heap.
func parFor[J parJob](p *Pool, n, cost int, job J) {
	if n <= 0 {
		return
	}
	if p.Serial(n, cost) {
		job.run(0, n)
		return
	}
	p.parallel(n, poolTask{job: &parBox[J]{job}})
}

// parBox is a job copied to the heap for a parallel For.
type parBox[J parJob] struct{ j J }

func (b *parBox[J]) run(lo, hi int) { b.j.run(lo, hi) }

package runtime

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
	// prof times kernel calls when a KernelProfile is installed (see Tick).
	prof *KernelProfile
	// ctx is the running call's context, so kernels that iterate (Loop, Scan) stop when it is
	// cancelled; the generated code checks it between kernels itself.
	ctx context.Context
	// done is ctx.Done(), which the long kernels (GEMM, convolution) poll between tiles so a
	// cancelled Run stops within a tile rather than at the end of the kernel.
	done <-chan struct{}
}

// SetContext binds the context of the Run in progress (nil when none is).
func (x *Exec) SetContext(ctx context.Context) {
	x.ctx, x.done = ctx, nil
	if ctx != nil {
		x.done = ctx.Done()
	}
}

// doneCh is the bound context's Done channel: nil (never ready) when none is bound.
func (x *Exec) doneCh() <-chan struct{} {
	if x == nil {
		return nil
	}
	return x.done
}

// stopped reports whether done is closed: the Run was cancelled, and a kernel's remaining
// tiles are skipped (the generated code then returns the context's error, not the outputs).
func stopped(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// Err is the bound context's error: non-nil once the Run was cancelled or timed out.
func (x *Exec) Err() error {
	if x == nil || x.ctx == nil {
		return nil
	}
	return x.ctx.Err()
}

// NewExec returns an Exec using pool (nil means single-threaded).
func NewExec(pool *Pool) *Exec { return &Exec{Pool: pool, prof: kernelProfile.Load()} }

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
//
// A parallel loop is a region: a record, reused from the pool's free list, that holds the loop
// body, [0, n) cut into chunks, and one atomic word with the region's sequence number and the
// count of chunks not yet taken. The caller publishes the region, offers it to idle workers with
// a wake-up token (the record and its sequence number, sent by value on a buffered channel),
// then takes chunks itself until none are left; a worker that gets the token takes chunks too.
// A token that arrives after the loop is over (its sequence number no longer matches) is
// dropped, so the caller never waits for a worker that has not started, only for chunks already
// taken. Nothing is allocated once the free list is warm: parFor's job value is copied into a
// box the record keeps for that job type, so no job is boxed on the heap per loop.
type Pool struct {
	threads int
	// wake carries tokens to the threads-1 worker goroutines.
	wake  chan poolWake
	close sync.Once
	// free are idle region records.
	free chan *region
	// spin is how long a waiting thread polls before it parks: poolSpin, or 0 when the pool
	// has more threads than GOMAXPROCS, where a spinning goroutine would hold a P that a thread
	// with work needs.
	spin time.Duration
}

// poolWake offers region r, while its sequence number is seq, to a worker.
type poolWake struct {
	r   *region
	seq uint32
}

// poolTask is a loop body for Pool.parallel: body(lo, hi), or job.run(lo, hi) when job is set.
type poolTask struct {
	body func(lo, hi int)
	job  parJob
}

// region is one parallel loop: chunk k covers [k*chunk, min((k+1)*chunk, n)).
type region struct {
	// state is seq<<32 | the number of chunks not yet taken; a taker takes the highest. It is
	// the only field a worker reads before it has taken a chunk, so a late token is harmless.
	state atomic.Uint64
	// done counts finished chunks; whoever finishes the last one and is not the caller sends on
	// fin (capacity 1) to wake the caller.
	done atomic.Int32
	fin  chan struct{}
	// Set by the caller before it publishes state, read by takers after they take a chunk.
	n, chunk, chunks int
	task             poolTask
	// seq and boxes belong to the caller that holds the record.
	seq   uint32
	boxes map[any]parJob
	// panicked is the first panic of a chunk, raised again by the caller (see runChunk).
	panicked atomic.Pointer[chunkPanic]
}

// NewPool starts a pool of the given number of threads (0 means GOMAXPROCS).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	if threads <= runtime.GOMAXPROCS(0) {
		p.spin = poolSpin
	}
	p.free = make(chan *region, 4*threads)
	if threads > 1 {
		// Room for a token per worker for a couple of loops, so that a caller's offer does not
		// fail because stale tokens have not been drained yet.
		p.wake = make(chan poolWake, 2*threads)
		for i := 0; i < threads-1; i++ {
			go func() {
				for {
					w, ok := spinRecv(p.wake, p.spin)
					if !ok {
						return
					}
					w.r.help(w.seq)
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
	if p != nil && p.wake != nil {
		p.close.Do(func() { close(p.wake) })
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
//
// For itself allocates nothing, but a closure literal passed to it escapes to the heap at the
// call site; kernels on a hot path use parFor with a job value instead.
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
	if n <= 0 {
		return
	}
	r := p.get()
	p.run(r, n, task)
	p.put(r)
}

// get returns an idle region record.
func (p *Pool) get() *region {
	select {
	case r := <-p.free:
		return r
	default:
		return &region{fin: make(chan struct{}, 1)}
	}
}

// put gives an idle region record back.
func (p *Pool) put(r *region) {
	r.task = poolTask{}
	select {
	case p.free <- r:
	default:
	}
}

// run runs task over [0, n) as region r, with the caller taking chunks too, and returns when
// every chunk is done and no worker will touch r again until it is published anew.
func (p *Pool) run(r *region, n int, task poolTask) {
	chunk := p.chunk(n)
	chunks := (n + chunk - 1) / chunk
	r.n, r.chunk, r.chunks, r.task = n, chunk, chunks, task
	r.seq++
	r.done.Store(0)
	r.state.Store(uint64(r.seq)<<32 | uint64(chunks))
	if p.wake != nil {
	offer:
		for i := 1; i < chunks; i++ {
			select {
			case p.wake <- poolWake{r, r.seq}:
			default:
				// The channel is full of tokens the workers have not taken yet: they are busy
				// (another Run, or loops that finished before they woke), so the caller goes on
				// without more help.
				break offer
			}
		}
	}
	last := false
	for {
		k, ok := r.take(r.seq)
		if !ok {
			break
		}
		last = r.do(k)
	}
	if !last {
		spinRecv(r.fin, p.spin)
	}
	if v := r.panicked.Swap(nil); v != nil {
		panic(v.value)
	}
}

// poolSpin is how long a worker waiting for a loop, or a caller waiting for a worker's last
// chunk, polls its channel before it parks (when the pool's threads fit in GOMAXPROCS; see
// Pool.spin). Waking a parked goroutine costs tens of microseconds (a futex wake, then another P
// stealing it from the waker's run queue), as long as many kernels take, and the gaps between a
// model's parallel loops are mostly shorter than the spin: PP-OCRv4 rec at 2 threads went from
// 18 to 14 ms with it. A spin of 30 to 1000 us measured no better.
const poolSpin = 100 * time.Microsecond

// spinRecv receives from c, polling it for up to spin before blocking.
func spinRecv[T any](c chan T, spin time.Duration) (T, bool) {
	var deadline time.Time
	for i := 0; spin > 0; i++ {
		select {
		case v, ok := <-c:
			return v, ok
		default:
		}
		// Reading the clock costs more than a poll of an empty channel.
		if i%64 == 0 {
			now := time.Now()
			if i == 0 {
				deadline = now.Add(spin)
			} else if now.After(deadline) {
				break
			}
		}
	}
	v, ok := <-c
	return v, ok
}

// take takes a chunk of the region while it is still region seq, and reports its number.
func (r *region) take(seq uint32) (int, bool) {
	for {
		s := r.state.Load()
		if uint32(s>>32) != seq || uint32(s) == 0 {
			return 0, false
		}
		if r.state.CompareAndSwap(s, s-1) {
			return int(uint32(s)) - 1, true
		}
	}
}

// do runs chunk k and reports whether it was the region's last to finish.
func (r *region) do(k int) bool {
	lo := k * r.chunk
	hi := min(lo+r.chunk, r.n)
	r.runChunk(lo, hi)
	// Read before the count goes up: once the last chunk is counted the caller may reuse r.
	chunks := r.chunks
	return int(r.done.Add(1)) == chunks
}

// help is a worker's share of region seq: chunks until none are left. A worker that finishes
// the last chunk wakes the caller; after that it touches nothing but r.state.
func (r *region) help(seq uint32) {
	for {
		k, ok := r.take(seq)
		if !ok {
			return
		}
		if r.do(k) {
			r.fin <- struct{}{}
			return
		}
	}
}

// parJob is a loop body as a value: run(lo, hi) does indices [lo, hi).
type parJob interface{ run(lo, hi int) }

// parFor is Pool.For for a job value, and allocates nothing once warm: on the serial path it
// calls job.run directly, and on the parallel path it copies the job into the region record's
// box for type J, which the pool's threads share. A job should hold slices of heap data
// (tensors, scratch) and values, not pointers to the caller's locals, which the copy would move
// to the heap. Its run gets its own copy, so changes it makes to the job's fields are not seen
// by the caller; results go through the slices.
func parFor[J parJob](p *Pool, n, cost int, job J) {
	if n <= 0 {
		return
	}
	if p.Serial(n, cost) {
		job.run(0, n)
		return
	}
	r := p.get()
	b := boxFor[*parBox[J]](r)
	b.j = job
	p.run(r, n, poolTask{job: b})
	var zero J
	b.j = zero // drop the job's references until the next loop
	p.put(r)
}

// parAll runs job over [0, n) in chunks on every thread of p, without For's cost test, sharing
// one copy of the job through a pointer: P(&job).run may update the job's fields (an atomic
// counter of tiles taken, say) and every chunk sees the same ones. Like parFor it allocates
// nothing once warm (a nil pool allocates the copy).
func parAll[J any, P interface {
	*J
	parJob
}](p *Pool, n int, job J) {
	if n <= 0 {
		return
	}
	if p == nil {
		// Never P(&job): the job would be moved to the heap on every call, parallel or not.
		c := new(J)
		*c = job
		P(c).run(0, n)
		return
	}
	r := p.get()
	b := boxFor[*parPtrBox[J, P]](r)
	b.j = job
	if p.threads <= 1 || n == 1 {
		b.run(0, n)
	} else {
		p.run(r, n, poolTask{job: b})
	}
	var zero J
	b.j = zero
	p.put(r)
}

// boxFor returns r's box of type B (a pointer type), making it the first time.
func boxFor[B interface {
	*E
	parJob
}, E any](r *region) B {
	key := any(B(nil)) // a nil pointer in an interface: no allocation
	if b, ok := r.boxes[key]; ok {
		return b.(B)
	}
	if r.boxes == nil {
		r.boxes = map[any]parJob{}
	}
	b := B(new(E))
	r.boxes[key] = b
	return b
}

// parBox holds a parFor job in a region record.
type parBox[J parJob] struct{ j J }

func (b *parBox[J]) run(lo, hi int) { b.j.run(lo, hi) }

// parPtrBox holds a parAll job in a region record.
type parPtrBox[J any, P interface {
	*J
	parJob
}] struct{ j J }

func (b *parPtrBox[J, P]) run(lo, hi int) { P(&b.j).run(lo, hi) }

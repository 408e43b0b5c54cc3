package runtime

// A kernel's panic inside a parallel loop must not kill the process from a worker goroutine,
// where nothing can recover it, nor leave the region's count of done chunks short, which would
// hang the caller. Each chunk catches its panic; Pool.run raises the first one again on the
// caller's goroutine once every chunk is done, where the generated RunInto recovers it into an
// error (runtime.PanicError).

// chunkPanic is a panic value caught in a chunk of a parallel loop.
type chunkPanic struct{ value any }

// runChunk runs the region's loop body over [lo, hi), catching a panic.
func (r *region) runChunk(lo, hi int) {
	defer r.catch()
	if r.task.job != nil {
		r.task.job.run(lo, hi)
	} else {
		r.task.body(lo, hi)
	}
}

// catch records a chunk's panic (deferred by runChunk: recover works only there).
func (r *region) catch() {
	if v := recover(); v != nil {
		r.panicked.CompareAndSwap(nil, &chunkPanic{v})
	}
}

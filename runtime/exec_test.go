package runtime

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countJob counts, per index, how often a parallel loop visited it.
type countJob struct {
	hits  []int32
	chunk int
	bad   *atomic.Int32 // chunks that did not start at a multiple of chunk
}

func (j countJob) run(lo, hi int) {
	if j.chunk > 0 && lo%j.chunk != 0 {
		j.bad.Add(1)
	}
	for i := lo; i < hi; i++ {
		atomic.AddInt32(&j.hits[i], 1)
	}
}

// sharedJob is a parAll job with state every chunk shares.
type sharedJob struct {
	next  atomic.Int64
	tiles int
	hits  []int32
}

func (s *sharedJob) run(lo, hi int) {
	for w := lo; w < hi; w++ {
		for {
			t := int(s.next.Add(1) - 1)
			if t >= s.tiles {
				break
			}
			atomic.AddInt32(&s.hits[t], 1)
		}
	}
}

func checkOnce(t *testing.T, what string, hits []int32) {
	t.Helper()
	for i, h := range hits {
		if h != 1 {
			t.Fatalf("%s: index %d visited %d times", what, i, h)
		}
	}
}

// TestPoolCoversOnce: For, parFor and parAll visit every index exactly once, in chunks that start
// at multiples of Pool.chunk, at several thread counts and sizes.
func TestPoolCoversOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 4, 8} {
		p := NewPool(threads)
		for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 64, 1000, 4097} {
			what := fmt.Sprintf("threads=%d n=%d", threads, n)
			var bad atomic.Int32
			hits := make([]int32, n)
			parFor(p, n, 1<<15, countJob{hits: hits, chunk: p.chunk(n), bad: &bad})
			checkOnce(t, what+" parFor", hits)
			if bad.Load() != 0 {
				t.Fatalf("%s parFor: %d chunks off the chunk grid", what, bad.Load())
			}
			hits = make([]int32, n)
			p.For(n, 1<<15, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			checkOnce(t, what+" For", hits)
			hits = make([]int32, 3*n)
			parAll(p, min(n, threads), sharedJob{tiles: 3 * n, hits: hits})
			checkOnce(t, what+" parAll", hits)
		}
		p.Close()
	}
	// A nil pool runs everything on the caller.
	hits := make([]int32, 10)
	parAll[sharedJob]((*Pool)(nil), 3, sharedJob{tiles: 10, hits: hits})
	checkOnce(t, "nil pool parAll", hits)
}

// TestPoolNoAllocs: once warm, a parallel loop allocates nothing at 2 and 4 threads: parFor and
// parAll copy their job into a box the region record keeps, and For with a func value made once.
func TestPoolNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, threads := range []int{1, 2, 4} {
		p := NewPool(threads)
		n := 64
		hits := make([]int32, n)
		shared := make([]int32, 4*n)
		var sink atomic.Int64
		body := func(lo, hi int) { sink.Add(int64(hi - lo)) }
		var bad atomic.Int32
		job := countJob{hits: hits, bad: &bad}
		loop := func() {
			parFor(p, n, 1<<15, job)
			parAll(p, threads, sharedJob{tiles: len(shared), hits: shared})
			p.For(n, 1<<15, body)
		}
		for i := 0; i < 3; i++ {
			loop()
		}
		if a := testing.AllocsPerRun(200, loop); a != 0 {
			t.Errorf("threads=%d: a warm parallel loop allocates %v times", threads, a)
		}
		p.Close()
	}
}

// TestPoolConcurrentAndNested: several goroutines share one pool, and loop bodies start loops of
// their own on it; every index is still visited once (run with -race).
func TestPoolConcurrentAndNested(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for iter := 0; iter < 50; iter++ {
				n := 5 + (g*7+iter)%40
				outer := make([][]int32, n)
				p.For(n, 1<<15, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						inner := make([]int32, 17)
						var bad atomic.Int32
						parFor(p, len(inner), 1<<15, countJob{hits: inner, bad: &bad})
						outer[i] = inner
					}
				})
				for i, inner := range outer {
					checkOnce(t, fmt.Sprintf("goroutine %d iter %d outer %d", g, iter, i), inner)
				}
			}
		}()
	}
	wg.Wait()
}

// TestPoolManySmallLoops: many loops in a row, most over before a worker wakes, so that workers
// see tokens of loops long finished (and records reused since); none runs a chunk twice.
func TestPoolManySmallLoops(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	hits := make([]int32, 3)
	var bad atomic.Int32
	for iter := 0; iter < 20000; iter++ {
		clear(hits)
		parFor(p, 3, 1<<15, countJob{hits: hits, bad: &bad})
		checkOnce(t, fmt.Sprint("iter ", iter), hits)
	}
}

// TestPoolSerial: what runs on the caller's goroutine.
func TestPoolSerial(t *testing.T) {
	var nilPool *Pool
	if !nilPool.Serial(100, 1<<20) || nilPool.Threads() != 1 {
		t.Error("a nil pool is serial with one thread")
	}
	p := NewPool(2)
	defer p.Close()
	if p.Serial(100, 1<<20) || !p.Serial(1, 1<<30) || !p.Serial(10, 10) {
		t.Error("Serial: want parallel only for n > 1 and enough work")
	}
	calls := 0
	p.For(10, 10, func(lo, hi int) {
		calls++
		if lo != 0 || hi != 10 {
			t.Errorf("serial For called body(%d, %d)", lo, hi)
		}
	})
	p.For(0, 1<<20, func(lo, hi int) { calls++ })
	if calls != 1 {
		t.Errorf("body called %d times, want 1", calls)
	}
}

// TestSpinRecv checks that a spinning receive gets a value sent during the spin, one sent after
// it (when it has parked), and the close of its channel.
func TestSpinRecv(t *testing.T) {
	for _, delay := range []time.Duration{0, poolSpin / 4, 3 * poolSpin} {
		c := make(chan int, 1)
		go func() {
			time.Sleep(delay)
			c <- 7
			close(c)
		}()
		if v, ok := spinRecv(c, poolSpin); v != 7 || !ok {
			t.Fatalf("delay %v: got %d, %v", delay, v, ok)
		}
		if _, ok := spinRecv(c, poolSpin); ok {
			t.Fatalf("delay %v: a closed channel gave a value", delay)
		}
	}
	if v, ok := spinRecv(func() chan int { c := make(chan int, 1); c <- 3; return c }(), 0); v != 3 || !ok {
		t.Fatal("no spin: lost the value")
	}
	// A pool with more threads than GOMAXPROCS parks at once instead of holding Ps.
	p := NewPool(runtime.GOMAXPROCS(0) + 1)
	defer p.Close()
	if p.spin != 0 {
		t.Fatal("an oversubscribed pool spins")
	}
}

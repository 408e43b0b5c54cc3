package runtime

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// goid is the calling goroutine's id, read from its stack header ("goroutine N [...").
func goid() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	return string(bytes.Fields(b)[1])
}

// panicJob is a two-chunk loop body whose chunks wait for each other to start (so that with two
// threads they run on two goroutines), then panic in the chunk on the goroutine onCaller picks;
// the other chunk sleeps a little before it counts itself done, so that a caller that did not
// wait for it would see done unset.
type panicJob struct {
	caller   string
	onCaller bool
	started  *atomic.Int32
	done     *atomic.Int32
}

func (j panicJob) run(lo, hi int) {
	j.started.Add(1)
	for end := time.Now().Add(2 * time.Second); j.started.Load() < 2 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if (goid() == j.caller) == j.onCaller {
		panic(fmt.Sprintf("chunk [%d, %d)", lo, hi))
	}
	time.Sleep(20 * time.Millisecond)
	j.done.Add(1)
}

// TestPoolPanic: a panic in a parallel loop's chunk, on the caller's goroutine or a worker's,
// reaches the caller of For or parFor as a panic once every other chunk is done, and the pool
// keeps working. With one thread the body runs on the caller and panics there.
func TestPoolPanic(t *testing.T) {
	cases := []struct {
		threads  int
		onCaller bool
		parFor   bool
	}{
		{1, true, false}, {1, true, true},
		{2, false, false}, {2, false, true},
		{2, true, false}, {2, true, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("threads%d-caller%v-parFor%v", c.threads, c.onCaller, c.parFor), func(t *testing.T) {
			p := NewPool(c.threads)
			defer p.Close()
			for round := 0; round < 3; round++ {
				job := panicJob{caller: goid(), onCaller: c.onCaller, started: new(atomic.Int32), done: new(atomic.Int32)}
				got := func() (v any) {
					defer func() { v = recover() }()
					if c.parFor {
						parFor(p, 2, 1<<20, job)
					} else {
						p.For(2, 1<<20, job.run)
					}
					return nil
				}()
				if s, ok := got.(string); !ok || len(s) == 0 {
					t.Fatalf("round %d: recovered %v, want the chunk's panic", round, got)
				}
				if want := int32(c.threads - 1); job.done.Load() != want {
					t.Fatalf("round %d: %d other chunks done when the panic reached the caller, want %d", round, job.done.Load(), want)
				}
				hits := make([]int32, 1000)
				p.For(len(hits), 1<<10, countJob{hits: hits}.run)
				checkOnce(t, "after a panic", hits)
			}
		})
	}
}

package runtime

import (
	"fmt"
	"io"
	"sort"
	"sync/atomic"
	"time"
)

// KernelProfile accumulates the wall time of each kernel call of a generated model, for
// `onnxc bench --profile-kernels`. Generated code calls Exec.Tick after every node; with no
// profile installed that is one nil test per kernel. It times one Run at a time: concurrent
// runs of a profiled model would mix their clocks.
type KernelProfile struct {
	names []string
	// ns and calls add up every run; run is the current run's time per node, and best each
	// node's least time in a run (robust to other processes taking the CPU now and then).
	ns, calls, run, best []int64
	runs                 int
	last                 time.Time
}

// kernelProfile is the profile NewExec hands to new Execs (nil: none).
var kernelProfile atomic.Pointer[KernelProfile]

// ProfileKernels installs a profile for the kernels named by names (a generated package's
// Kernels, one per node index) in every Exec made after it, and returns it.
func ProfileKernels(names []string) *KernelProfile {
	n := len(names)
	p := &KernelProfile{names: names, ns: make([]int64, n), calls: make([]int64, n), run: make([]int64, n), best: make([]int64, n)}
	kernelProfile.Store(p)
	return p
}

// Tick charges the time since the previous tick to node i; a negative i only starts the clock
// (the start of a Run).
func (x *Exec) Tick(i int) {
	if x.prof != nil {
		x.prof.tick(i)
	}
}

func (p *KernelProfile) tick(i int) {
	now := time.Now()
	if i >= 0 && i < len(p.ns) {
		d := int64(now.Sub(p.last))
		p.ns[i] += d
		p.run[i] += d
		p.calls[i]++
	}
	p.last = now
}

// EndRun closes a run: each node's time in it counts towards its least.
func (p *KernelProfile) EndRun() {
	for i, d := range p.run {
		if p.runs == 0 || d < p.best[i] {
			p.best[i] = d
		}
	}
	clear(p.run)
	p.runs++
}

// Reset forgets what was timed so far (the warm-up run).
func (p *KernelProfile) Reset() {
	clear(p.ns)
	clear(p.calls)
	clear(p.run)
	p.runs = 0
}

// Write prints one line per node that ran, slowest first: mean and least ms per run, share of
// the total, calls per run and the node's name.
func (p *KernelProfile) Write(w io.Writer) {
	runs := max(p.runs, 1)
	var order []int
	var total int64
	for i, c := range p.calls {
		if c > 0 {
			order = append(order, i)
			total += p.ns[i]
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return p.ns[order[a]] > p.ns[order[b]] })
	var best int64
	fmt.Fprintf(w, "%9s %9s %6s %6s  %s\n", "mean ms", "min ms", "%", "calls", "kernel")
	for _, i := range order {
		best += p.best[i]
		fmt.Fprintf(w, "%9.4f %9.4f %6.2f %6.4g  %s\n", float64(p.ns[i])/1e6/float64(runs), float64(p.best[i])/1e6,
			100*float64(p.ns[i])/float64(max(total, 1)), float64(p.calls[i])/float64(runs), p.names[i])
	}
	fmt.Fprintf(w, "%9.4f %9.4f %6.2f %6s  total of %d kernels\n", float64(total)/1e6/float64(runs), float64(best)/1e6, 100.0, "", len(order))
}

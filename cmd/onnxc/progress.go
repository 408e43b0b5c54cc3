package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress tells the user what a long compile is doing. On a terminal it redraws one line on
// stderr: a bar over the phases, the phase and the time so far (the quick start's first
// compile takes a minute, most of it in go build). It is quiet when stderr is not a terminal
// (piped, in CI) or under go generate, whose output belongs to the build. With -v it prints
// each phase's and each pass's time instead, wherever stderr goes.
type progress struct {
	w       io.Writer
	bar     bool
	verbose bool
	phases  []string

	mu         sync.Mutex
	cur        int // index of the current phase in phases, -1 before the first
	name       string
	start      time.Time
	phaseStart time.Time
	stop       chan struct{}
	stopped    chan struct{}
	done       bool
}

// verboseFlag adds -v to a command that compiles.
func verboseFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("v", false, "print each compile phase's and pass's time on stderr")
}

// newProgress starts a display on stderr over the given phases.
func newProgress(verbose bool, phases ...string) *progress {
	return startProgress(os.Stderr, stderrIsTerminal() && !verbose, verbose, phases)
}

func startProgress(w io.Writer, bar, verbose bool, phases []string) *progress {
	now := time.Now()
	p := &progress{w: w, bar: bar, verbose: verbose, phases: phases, cur: -1, start: now, phaseStart: now}
	if bar {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

// stderrIsTerminal reports whether stderr is a terminal a person watches, and not go generate
// (which sets GOFILE) or a dumb terminal.
func stderrIsTerminal() bool {
	if os.Getenv("GOFILE") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := os.Stderr.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Phase starts the named phase (compiler.Progress).
func (p *progress) Phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endPhase()
	p.name = name
	for i, ph := range p.phases {
		if ph == name {
			p.cur = i
		}
	}
	p.phaseStart = time.Now()
	p.draw()
}

// Pass reports a finished pass (compiler.Progress).
func (p *progress) Pass(name string, d time.Duration) {
	if p.verbose {
		p.mu.Lock()
		fmt.Fprintf(p.w, "onnxc:   pass %-18s %s\n", name, ms(d))
		p.mu.Unlock()
	}
}

// Done ends the display: the bar is erased, -v prints the total. Later calls do nothing.
func (p *progress) Done() {
	if p.done {
		return
	}
	p.done = true
	if p.bar {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endPhase()
	if p.bar {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if p.verbose {
		fmt.Fprintf(p.w, "onnxc: %-23s %s\n", "total", ms(time.Since(p.start)))
	}
}

// endPhase prints the time of the phase that ends (-v). p.mu is held.
func (p *progress) endPhase() {
	if p.verbose && p.name != "" {
		fmt.Fprintf(p.w, "onnxc: %-23s %s\n", p.name, ms(time.Since(p.phaseStart)))
	}
	p.name = ""
}

// tick redraws the bar, so that its clock moves during a long go build.
func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// draw writes the bar line. p.mu is held.
func (p *progress) draw() {
	if !p.bar || p.name == "" {
		return
	}
	// The bar fills with the phases done, the current one not yet.
	const width = 20
	filled := 0
	if len(p.phases) > 0 {
		filled = width * max(p.cur, 0) / len(p.phases)
	}
	fmt.Fprintf(p.w, "\r\033[Konnxc [%s%s] %d/%d %s %.1fs", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		p.cur+1, len(p.phases), p.name, time.Since(p.start).Seconds())
}

func ms(d time.Duration) string { return fmt.Sprintf("%8.1f ms", float64(d.Microseconds())/1000) }

// printWrote says what build --bin wrote, and its size.
func printWrote(w io.Writer, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "wrote %s (%.1f MB)\n", path, float64(st.Size())/(1<<20))
	return err
}

package compiler

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/onnxc/onnxc/compiler/mains"
	"github.com/onnxc/onnxc/passes"
)

// Case is a test case in the ONNX backend-test layout: a model (model.onnx, or a Paddle model
// in any layout) and test_data_set_N folders of input_K.pb and output_K.pb.
type Case struct {
	Name  string
	Dir   string
	Model string
	Sets  []string
	// Shapes pins input dims at compile time, as --shape does.
	Shapes map[string][]int
}

// Result is the outcome of one case.
type Result struct {
	Case  Case
	Pass  bool
	Stage string // where it failed: compile, build, run
	Msg   string
}

// DefaultRtol and DefaultAtol are the backend suite's tolerances.
const (
	DefaultRtol = 1e-3
	DefaultAtol = 1e-7
)

// FindCases expands each dir into the cases it is or contains, sorted by name.
func FindCases(dirs []string) ([]Case, error) {
	var cases []Case
	for _, dir := range dirs {
		if c, ok := caseAt(dir); ok {
			cases = append(cases, c)
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			if c, ok := caseAt(filepath.Join(dir, e.Name())); ok && e.IsDir() {
				cases = append(cases, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no test case here (a case has a model and test_data_set_N folders)", dir)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

func caseAt(dir string) (Case, bool) {
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return Case{}, false
	}
	sort.Strings(sets)
	c := Case{Name: filepath.Base(dir), Dir: dir, Sets: sets}
	if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err == nil {
		c.Model = filepath.Join(dir, "model.onnx")
		return c, true
	}
	if detectPaddle(dir) {
		c.Model = dir
		return c, true
	}
	return Case{}, false
}

// TestOptions control RunCases.
type TestOptions struct {
	// WorkDir is the scratch module; kept between runs so the build cache stays warm.
	WorkDir string
	// BatchSize is how many cases one test binary links.
	BatchSize int
	// Tolerance gives per-case (rtol, atol) overrides.
	Tolerance func(name string) (rtol, atol float64)
	// Progress, if set, receives each result as soon as it is known.
	Progress func(Result)
	// Verify runs the IR verifier before and after every pass (the conformance test sets it).
	Verify bool
	// Quantize, when set, compiles every case with dynamic quantization.
	Quantize *passes.QuantizeOptions
}

var pkgInBuildError = regexp.MustCompile(`(?m)(?:^|[\s/])(c\d{4})/`)

// RunCases compiles every case to Go, builds them in batches and runs them.
func RunCases(cases []Case, opt TestOptions) ([]Result, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 250
	}
	ws, err := NewWorkspace(opt.WorkDir)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(cases))
	report := func(i int, r Result) {
		r.Case = cases[i]
		results[i] = r
		if opt.Progress != nil {
			opt.Progress(r)
		}
	}
	// Compile to Go. Each case becomes package cNNNN.
	var compiled []int
	for i, c := range cases {
		files, err := compileCaseWith(c, Options{Verify: opt.Verify, Quantize: quantizeCopy(opt.Quantize)})
		if err != nil {
			report(i, Result{Stage: "compile", Msg: err.Error()})
			continue
		}
		if _, err := ws.AddPackage(fmt.Sprintf("cases/c%04d", i), files); err != nil {
			return nil, err
		}
		compiled = append(compiled, i)
	}
	for lo := 0; lo < len(compiled); lo += opt.BatchSize {
		batch := compiled[lo:min(lo+opt.BatchSize, len(compiled))]
		if err := runBatch(ws, cases, batch, lo/opt.BatchSize, opt, report); err != nil {
			return nil, err
		}
	}
	return results, nil
}

func compileCase(c Case, verify bool) (files map[string][]byte, err error) {
	return compileCaseWith(c, Options{Verify: verify})
}

// quantizeCopy gives each case quantize options of its own (the pass appends remarks).
func quantizeCopy(q *passes.QuantizeOptions) *passes.QuantizeOptions {
	if q == nil {
		return nil
	}
	c := *q
	c.Remarks = nil
	return &c
}

func compileCaseWith(c Case, opt Options) (files map[string][]byte, err error) {
	opt.Shapes = c.Shapes
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal compiler error: %v", c.Model, r)
		}
	}()
	m, err := Compile(c.Model, opt)
	if err != nil {
		return nil, err
	}
	return Generate(m, "model", filepath.Base(c.Model))
}

// runBatch links the batch's packages into one program; packages that fail to build are
// reported and dropped, then the rest is built again.
func runBatch(ws *Workspace, cases []Case, batch []int, k int, opt TestOptions, report func(int, Result)) error {
	main := fmt.Sprintf("cmd/batch%d", k)
	bin := filepath.Join(ws.Dir, "bin", fmt.Sprintf("batch%d", k))
	for len(batch) > 0 {
		var imports, table strings.Builder
		for _, i := range batch {
			fmt.Fprintf(&imports, "\tc%04d \"%s/cases/c%04d\"\n", i, ModulePath, i)
			fmt.Fprintf(&table, "\t%q: {func() (runner, error) { return c%04d.New(c%04d.WithThreads(1)) }, c%04d.InputKinds, c%04d.OutputKinds},\n", cases[i].Name, i, i, i, i)
		}
		src := strings.Replace(mains.Test, "//go:build ignore\n", "", 1)
		src = strings.Replace(src, "\t//IMPORTS\n", imports.String(), 1)
		src = strings.Replace(src, "\t//TABLE\n", table.String(), 1)
		if _, err := ws.AddPackage(main, map[string][]byte{"main.go": []byte(src)}); err != nil {
			return err
		}
		err := ws.Build(main, bin)
		if err == nil {
			break
		}
		be, ok := err.(*BuildError)
		if !ok {
			return err
		}
		bad := map[string]bool{}
		for _, m := range pkgInBuildError.FindAllStringSubmatch(be.Output, -1) {
			bad[m[1]] = true
		}
		if len(bad) == 0 {
			return err // not a problem of one generated package
		}
		var keep []int
		for _, i := range batch {
			name := fmt.Sprintf("c%04d", i)
			if bad[name] {
				report(i, Result{Stage: "build", Msg: firstLines(be.Output, name, 3)})
				continue
			}
			keep = append(keep, i)
		}
		batch = keep
	}
	if len(batch) == 0 {
		return nil
	}
	type job struct {
		i   int
		set string
	}
	var jobs []job
	for _, i := range batch {
		for _, set := range cases[i].Sets {
			abs, _ := filepath.Abs(set)
			jobs = append(jobs, job{i, abs})
		}
	}
	failed := map[int]string{}
	// Run the jobs; when the program dies (a crash that escaped recovery, or a hang past the
	// time limit), blame the job it was on and go on with the rest in a fresh process.
	for len(jobs) > 0 {
		var in bytes.Buffer
		for _, j := range jobs {
			rtol, atol := DefaultRtol, DefaultAtol
			if opt.Tolerance != nil {
				rtol, atol = opt.Tolerance(cases[j.i].Name)
			}
			fmt.Fprintf(&in, "%s\t%s\t%g\t%g\n", cases[j.i].Name, j.set, rtol, atol)
		}
		done, stderr, err := runJobs(bin, &in, len(jobs))
		for k, msg := range done {
			if msg != "ok" && failed[jobs[k].i] == "" {
				failed[jobs[k].i] = filepath.Base(jobs[k].set) + ": " + msg
			}
		}
		if len(done) < len(jobs) {
			j := jobs[len(done)]
			if failed[j.i] == "" {
				failed[j.i] = fmt.Sprintf("%s: test program died: %v %s", filepath.Base(j.set), err, lastLines(stderr, 5))
			}
			jobs = jobs[len(done)+1:]
			continue
		}
		jobs = nil
	}
	for _, i := range batch {
		if failed[i] != "" {
			report(i, Result{Stage: "run", Msg: failed[i]})
		} else {
			report(i, Result{Pass: true})
		}
	}
	return nil
}

// caseTimeout bounds one test program's run, so a generated program that hangs cannot stall
// the suite.
const caseTimeout = 10 * time.Minute

// runJobs runs the test program on n jobs and returns the messages of those it finished, in
// order.
func runJobs(bin string, in io.Reader, n int) (done []string, stderr string, err error) {
	cmd := exec.Command(bin)
	cmd.Stdin = in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	timer := time.AfterFunc(caseTimeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 4)
		if len(f) == 4 && f[0] == "RESULT" {
			done = append(done, f[3])
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	return done, errBuf.String(), err
}

func firstLines(out, pkg string, n int) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, pkg+"/") {
			lines = append(lines, strings.TrimSpace(l))
			if len(lines) == n {
				break
			}
		}
	}
	return "generated code does not build: " + strings.Join(lines, " | ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Elapsed formats a duration for reports.
func Elapsed(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/frontend/onnx"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/passes"
)

// shapeFlags adds --shape to a flag set.
func shapeFlags(fs *flag.FlagSet) *multi {
	var shapes multi
	fs.Var(&shapes, "shape", "NAME=DIMS: fix an input's dims at compile time (repeatable)")
	return &shapes
}

func parseShapes(specs []string) (map[string][]int, error) {
	shapes := map[string][]int{}
	for _, s := range specs {
		name, dims, err := compiler.ParseShape(s)
		if err != nil {
			return nil, err
		}
		shapes[name] = dims
	}
	return shapes, nil
}

func oneModel(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("want exactly one MODEL, got %d arguments", len(pos))
	}
	return pos[0], nil
}

func compileFiles(path string, shapeSpecs []string, q *quantFlags, pkg string, prog compiler.Progress) (*ir.Model, map[string][]byte, error) {
	shapes, err := parseShapes(shapeSpecs)
	if err != nil {
		return nil, nil, err
	}
	qo, err := q.options()
	if err != nil {
		return nil, nil, err
	}
	m, err := compiler.Compile(path, compiler.Options{Shapes: shapes, Quantize: qo, Progress: prog})
	if err != nil {
		return nil, nil, err
	}
	files, err := compiler.GenerateWith(m, pkg, path, prog)
	return m, files, err
}

func cmdBuild(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("o", "", "output: the package folder (default ./PKG), or with --bin the binary")
	pkg := fs.String("pkg", "", "package name (default derived from the model's file name)")
	bin := fs.Bool("bin", false, "build a statically linked binary that runs the model")
	verbose := verboseFlag(fs)
	shapes := shapeFlags(fs)
	limitFlag(fs)
	quant := addQuantFlags(fs)
	target := addTargetFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	path, err := oneModel(pos)
	if err != nil {
		return err
	}
	if *pkg == "" {
		*pkg = compiler.PackageName(path)
	}
	if isCUDA, t, err := target.cuda(); err != nil || isCUDA {
		if err == nil && *bin {
			err = fmt.Errorf("--bin is not supported with --target cuda")
		}
		if err != nil {
			return err
		}
		if *out == "" {
			*out = *pkg
		}
		return buildCUDA(path, *shapes, quant, *pkg, *out, t, stdout)
	}
	if *bin && *out == "" {
		return fmt.Errorf("--bin needs -o FILE")
	}
	last := "write"
	if *bin {
		last = "go build"
	}
	prog := newProgress(*verbose, "load", "passes", "lower", "generate", last)
	defer prog.Done()
	_, files, err := compileFiles(path, *shapes, quant, *pkg, prog)
	if err != nil {
		return err
	}
	prog.Phase(last)
	if !*bin {
		dir := *out
		if dir == "" {
			dir = *pkg
		}
		if err := compiler.WritePackage(dir, files); err != nil {
			return err
		}
		prog.Done()
		fmt.Fprintf(stdout, "wrote package %s to %s\n", *pkg, dir)
		return nil
	}
	if err := buildBinary(files, *out); err != nil {
		return err
	}
	prog.Done()
	return printWrote(stdout, *out)
}

// buildBinary builds the driver program around a generated package into out.
func buildBinary(files map[string][]byte, out string) error {
	wsDir, err := cacheDir("work")
	if err != nil {
		return err
	}
	ws, err := compiler.NewWorkspace(wsDir)
	if err != nil {
		return err
	}
	return ws.BuildBinary(files, out)
}

func cacheDir(sub string) (string, error) {
	if d := os.Getenv("ONNXC_CACHE"); d != "" {
		return filepath.Join(d, sub), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: %w (set ONNXC_CACHE)", err)
	}
	return filepath.Join(base, "onnxc", sub), nil
}

// cachedBinary compiles a model into a driver binary, cached by the content of the model, the
// options and this onnxc executable.
func cachedBinary(path string, shapeSpecs []string, q *quantFlags, verbose bool) (string, error) {
	h := sha256.New()
	if self, err := os.Executable(); err == nil {
		if data, err := os.ReadFile(self); err == nil {
			h.Write(data)
		}
	}
	fmt.Fprintf(h, "shapes %q\n%s\n", shapeSpecs, q.key())
	if err := hashModel(h, path); err != nil {
		return "", err
	}
	key := hex.EncodeToString(h.Sum(nil))[:24]
	dir, err := cacheDir("bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, key)
	if _, err := os.Stat(bin); err == nil {
		if verbose {
			fmt.Fprintf(os.Stderr, "onnxc: compiled before: %s\n", bin)
		}
		return bin, nil
	}
	prog := newProgress(verbose, "load", "passes", "lower", "generate", "go build")
	defer prog.Done()
	_, files, err := compileFiles(path, shapeSpecs, q, "model", prog)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	prog.Phase("go build")
	return bin, buildBinary(files, bin)
}

// hashModel hashes a model file, or every file of a model folder (Paddle layouts).
func hashModel(h io.Writer, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	root := path
	if !st.IsDir() {
		root = filepath.Dir(path)
		fmt.Fprintf(h, "file %s\n", filepath.Base(path))
	}
	// Hash the file itself and its siblings that frontends read (params, external data).
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !st.IsDir() && p != path && !strings.HasPrefix(filepath.Base(p), strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))) && filepath.Ext(p) != ".data" && filepath.Ext(p) != ".bin" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(p), len(data))
		h.Write(data)
		return nil
	})
}

func cmdRun(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var inputs multi
	fs.Var(&inputs, "input", "NAME=FILE: an input (.pb or .npy); repeatable")
	outDir := fs.String("output-dir", "", "write outputs as NAME.pb into DIR (default: print a summary)")
	threads := fs.Int("threads", 0, "threads (0: all cores)")
	shapes := shapeFlags(fs)
	limitFlag(fs)
	bin, err := modelBinary(fs, args, shapes)
	if err != nil {
		return err
	}
	cmdArgs := append([]string{"-threads", fmt.Sprint(*threads)}, limitArgs()...)
	for _, in := range inputs {
		cmdArgs = append(cmdArgs, "-input", in)
	}
	if *outDir != "" {
		cmdArgs = append(cmdArgs, "-output-dir", *outDir)
	}
	return runBinary(bin, cmdArgs, stdout)
}

// modelBinary parses a command's flags and its one MODEL argument and returns the cached driver
// binary for that model. shapes must point into fs's --shape values.
func modelBinary(fs *flag.FlagSet, args []string, shapes *multi) (string, error) {
	quant := addQuantFlags(fs)
	verbose := verboseFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	path, err := oneModel(pos)
	if err != nil {
		return "", err
	}
	return cachedBinary(path, *shapes, quant, *verbose)
}

func runBinary(bin string, args []string, stdout io.Writer) error {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(stderr.String()), "error:"))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

func cmdBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	threads := fs.Int("threads", 1, "threads per run")
	runs := fs.Int("runs", 20, "timed runs")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to FILE (go tool pprof)")
	profKernels := fs.Bool("profile-kernels", false, "print a table of each kernel's time per run")
	shapes := shapeFlags(fs)
	limitFlag(fs)
	bin, err := modelBinary(fs, args, shapes)
	if err != nil {
		return err
	}
	cmdArgs := append([]string{"-bench", "-threads", fmt.Sprint(*threads), "-runs", fmt.Sprint(*runs)}, limitArgs()...)
	if *cpuProfile != "" {
		abs, err := filepath.Abs(*cpuProfile)
		if err != nil {
			return err
		}
		cmdArgs = append(cmdArgs, "-cpuprofile", abs)
	}
	if *profKernels {
		cmdArgs = append(cmdArgs, "-profile-kernels")
	}
	for _, s := range *shapes {
		cmdArgs = append(cmdArgs, "-shape", s)
	}
	return runBinary(bin, cmdArgs, stdout)
}

func cmdInspect(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	stats := fs.Bool("stats", false, "print node and kernel counts and an op histogram instead of the IR")
	dumpAfter := fs.String("dump-after", "", "print the IR after this pass (load: as the frontend made it; "+strings.Join(passes.PassNames(), ", ")+"; or all)")
	dotFile := fs.String("dot", "", "write the graph after the pipeline to FILE as Graphviz DOT (- for stdout)")
	svgFile := fs.String("svg", "", "draw the graph after the pipeline into FILE as SVG (runs Graphviz's dot)")
	shapes := shapeFlags(fs)
	limitFlag(fs)
	quant := addQuantFlags(fs)
	target := addTargetFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	path, err := oneModel(pos)
	if err != nil {
		return err
	}
	isCUDA, cudaTarget, err := target.cuda()
	if err != nil {
		return err
	}
	if *dotFile != "" || *svgFile != "" {
		return inspectGraph(path, *shapes, quant, *dotFile, *svgFile, stdout)
	}
	m, err := compiler.LoadForInspect(path)
	if err != nil {
		return err
	}
	nodesIn := countNodes(m.Graph)
	sh, err := parseShapes(*shapes)
	if err != nil {
		return err
	}
	if err := compiler.PinShapes(m, sh); err != nil {
		return err
	}
	if d := *dumpAfter; d != "" && d != "load" && d != "all" && !slices.Contains(passes.PassNames(), d) {
		return fmt.Errorf("--dump-after %q: no such pass (load, %s, all)", d, strings.Join(passes.PassNames(), ", "))
	}
	if *dumpAfter == "load" {
		// The IR as the frontend made it, before any pass.
		return ir.Print(stdout, m)
	}
	qo, err := quant.options()
	if err != nil {
		return err
	}
	opt := passes.Options{DumpAfter: *dumpAfter, Quantize: qo}
	if *dumpAfter != "" {
		opt.Dump = stdout
	}
	if err := passes.Run(m, opt); err != nil {
		if strings.HasPrefix(err.Error(), path+":") {
			return err
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if *dumpAfter != "" {
		return nil
	}
	if isCUDA {
		r, err := compiler.PlaceCUDA(m, cudaTarget)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		printPlacement(stdout, r)
		return nil
	}
	if !*stats {
		return ir.Print(stdout, m)
	}
	hist := map[string]int{}
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			hist[n.Op]++
		}
	})
	fmt.Fprintf(stdout, "nodes_in=%d kernels=%d\n", nodesIn, countNodes(m.Graph))
	printHistogram(stdout, hist)
	// What each node lowered to: the kernel entries, which show the algorithms chosen at
	// compile time (ConvDepthwise, ConvGemm, ...) and the fused elementwise loops.
	prog, err := compiler.LowerCPU(m) // as the Go emitter sees it
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintln(stdout, "kernel entries:")
	entries := map[string]int{}
	for e, k := range prog.Histogram() {
		entries[e.String()] = k
	}
	printHistogram(stdout, entries)
	if qo != nil {
		printQuantRemarks(stdout, qo.Remarks)
	}
	return nil
}

// printHistogram prints counts, largest first, then by name.
func printHistogram(w io.Writer, hist map[string]int) {
	names := make([]string, 0, len(hist))
	for k := range hist {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if hist[names[i]] != hist[names[j]] {
			return hist[names[i]] > hist[names[j]]
		}
		return names[i] < names[j]
	})
	for _, k := range names {
		fmt.Fprintf(w, "%6d %s\n", hist[k], k)
	}
}

func countNodes(g *ir.Graph) int {
	n := 0
	g.Walk(func(h *ir.Graph) { n += len(h.Nodes) })
	return n
}

func cmdOps(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ops", flag.ContinueOnError)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-28s %-16s %-8s %s\n", "OP", "DOMAIN", "OPSETS", "")
	n := 0
	for _, d := range ops.All() {
		dom, opsets := d.Domain, "-"
		if dom == "" {
			dom = "ai.onnx"
			if since, ok := onnx.OpSince[d.Op]; ok {
				opsets = fmt.Sprintf("%d-%d", max(since, 7), onnx.SupportedOpset)
			} else {
				continue // an IR-only op that no ONNX model names
			}
		}
		fmt.Fprintf(stdout, "%-28s %-16s %-8s %s\n", d.Op, dom, opsets, d.Doc)
		n++
	}
	// Ops that exist only in older opsets and that the ONNX frontend rewrites into the above.
	for _, r := range onnx.Rewrites() {
		if ops.Lookup("", r.Op) != nil || r.Op == "*" || r.Before <= onnx.SupportedOpset {
			continue
		}
		since := max(onnx.OpSince[r.Op], 7)
		fmt.Fprintf(stdout, "%-28s %-16s %-8s %s\n", r.Op, "ai.onnx", fmt.Sprintf("%d-%d", since, onnx.SupportedOpset), r.Doc)
		n++
	}
	fmt.Fprintf(stdout, "%d ops\n", n)
	return nil
}

// testFailure makes `onnxc test` exit 1 after printing its own report.
type testFailure struct{ failed int }

func (t *testFailure) Error() string { return fmt.Sprintf("%d failed", t.failed) }

func cmdTest(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	batch := fs.Int("batch", 250, "cases linked into one test program")
	quiet := fs.Bool("q", false, "print failing cases only")
	rtol := fs.Float64("rtol", 0, "relative tolerance for every case (0: the backend suite's, 1e-3 with documented exceptions); real models' outputs want looser ones than the suite's")
	atol := fs.Float64("atol", 0, "absolute tolerance for every case (0: the backend suite's, 1e-7 with documented exceptions)")
	limitFlag(fs)
	quant := addQuantFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	qo, err := quant.options()
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want one or more case folders")
	}
	if *rtol < 0 || *atol < 0 {
		return fmt.Errorf("--rtol and --atol must not be negative")
	}
	cases, err := compiler.FindCases(pos)
	if err != nil {
		return err
	}
	work, err := cacheDir("test")
	if err != nil {
		return err
	}
	start := time.Now()
	results, err := compiler.RunCases(cases, compiler.TestOptions{
		WorkDir:   work,
		BatchSize: *batch,
		Tolerance: tolerance(*rtol, *atol),
		Quantize:  qo,
	})
	if err != nil {
		return err
	}
	passed := 0
	for _, r := range results {
		if r.Pass {
			passed++
			if !*quiet {
				fmt.Fprintf(stdout, "PASS %s\n", r.Case.Name)
			}
			continue
		}
		fmt.Fprintf(stdout, "FAIL %s (%s) %s\n", r.Case.Name, r.Stage, oneLine(r.Msg, 300))
	}
	fmt.Fprintf(stdout, "time %s\n", compiler.Elapsed(time.Since(start)))
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, len(results)-passed)
	if passed != len(results) {
		return &testFailure{failed: len(results) - passed}
	}
	return nil
}

// tolerance is the per-case tolerance of onnxc test: --rtol and --atol where given, else the
// backend suite's.
func tolerance(rtol, atol float64) func(string) (float64, float64) {
	return func(name string) (float64, float64) {
		r, a := compiler.CaseTolerance(name)
		if rtol > 0 {
			r = rtol
		}
		if atol > 0 {
			a = atol
		}
		return r, a
	}
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " | ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

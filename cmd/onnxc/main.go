// Command onnxc compiles ONNX and PaddlePaddle models into Go packages and static binaries.
//
//	onnxc build MODEL [-o DIR] [-pkg NAME] [--shape NAME=DIMS ...]
//	onnxc build --bin MODEL -o FILE [--shape ...]
//	onnxc run MODEL --input NAME=FILE ... [--output-dir DIR]
//	onnxc test DIR... [-q]
//	onnxc bench MODEL [--shape NAME=1x3x224x224 ...] [--threads T] [--runs R]
//	onnxc inspect MODEL [--shape ...] [--stats] [--dump-after PASS] [--dot FILE] [--svg FILE]
//	onnxc quantize IN.onnx OUT.onnx [--per-channel] [--reduce-range] [--quantize-ops ...]
//	onnxc quantize --report IN.onnx [--per-row] [--input NAME=FILE ...]
//	onnxc ops
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"
)

const usage = `onnxc compiles ONNX and PaddlePaddle models ahead of time into Go.

Usage:
  onnxc build MODEL [-o DIR] [-pkg NAME] [--shape NAME=DIMS ...]   write a Go package
  onnxc build --bin MODEL -o FILE [--shape ...]                  build a static binary
  onnxc run MODEL --input NAME=FILE ... [--output-dir DIR]       compile (cached) and run
  onnxc test DIR... [-q]                                         run backend-layout test cases
  onnxc bench MODEL [--shape NAME=DIMS ...] [--threads T] [--runs R] [--cpuprofile FILE] [--profile-kernels]
  onnxc inspect MODEL [--shape ...] [--stats] [--dump-after PASS] [--dot FILE] [--svg FILE]
  onnxc quantize IN.onnx OUT.onnx [--per-channel] ...             write the int8 model as ONNX
  onnxc quantize --report IN.onnx [--per-row] ...                 compare int8 with float32
  onnxc ops                                                      list supported ops
  onnxc version                                                  print onnxc's version
  onnxc COMMAND -h                                               list a command's flags

MODEL is an .onnx file, or a Paddle model: a .pdmodel (with its .pdiparams), a folder with
__model__, or a Paddle 3 inference.json (with its .pdiparams). --shape fixes symbolic dims at
compile time, e.g. --shape x=1x3x48x192. Input files are ONNX TensorProto (.pb) or NumPy (.npy).
build, run, bench, test and inspect take --quantize dynamic (int8 weights, activations quantized
per run) with --per-channel, --reduce-range, --weight-type (int8, uint8), --quantize-ops,
--quantize-exclude and --quantize-include; inspect --stats then reports what was quantized and what was not, and why.
quantize writes the same decisions as a standard ONNX model (DynamicQuantizeLinear,
MatMulInteger or ConvInteger, Cast, Mul) that onnxruntime runs.
`

// versionString is onnxc's module version (a tagged version when installed with go install
// or go get, "(devel)" in a checkout), with the Go version that built it.
func versionString() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("onnxc %s %s %s/%s", v, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
}

// nearest is the command within two edits of name, if one is.
func nearest(name string, cmds map[string]func([]string, io.Writer) error) string {
	best, bestD := "", 3
	for c := range cmds {
		if d := editDistance(name, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	// No panic reaches a user: report it as an internal error with what was being done.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "onnxc: internal error: %v\n", r)
			code = 3
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer) error{
		"build":    cmdBuild,
		"run":      cmdRun,
		"test":     cmdTest,
		"bench":    cmdBench,
		"inspect":  cmdInspect,
		"quantize": cmdQuantize,
		"ops":      cmdOps,
	}
	f, ok := cmds[args[0]]
	if !ok {
		switch args[0] {
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		case "version", "--version":
			fmt.Fprintln(stdout, versionString())
			return 0
		}
		if near := nearest(args[0], cmds); near != "" {
			fmt.Fprintf(stderr, "onnxc: unknown command %q; did you mean %q?\n", args[0], near)
			return 2
		}
		fmt.Fprintf(stderr, "onnxc: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := f(args[1:], stdout); err != nil {
		var help *helpText
		if errors.As(err, &help) {
			fmt.Fprint(stdout, help.text)
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var fail *testFailure
		if errors.As(err, &fail) {
			return 1
		}
		fmt.Fprintf(stderr, "onnxc %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// parse parses flags that may come before or after positional arguments (onnxc build m.onnx -o
// dir), returning the positional ones. -h gives a *helpText with the command's flags; a bad
// flag an error that lists them.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var out strings.Builder
	fs.SetOutput(&out)
	fs.Usage = func() {
		fmt.Fprintf(&out, "Usage of onnxc %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpText{out.String()}
			}
			return nil, errors.New(strings.TrimSpace(out.String()))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// helpText is a command's -h: its flags, printed to stdout, exit status 0.
type helpText struct{ text string }

func (h *helpText) Error() string        { return h.text }
func (h *helpText) Is(target error) bool { return target == flag.ErrHelp }

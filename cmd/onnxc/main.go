// Command onnxc compiles ONNX and PaddlePaddle models into Go packages and static binaries.
//
//	onnxc build MODEL [-o DIR] [-pkg NAME] [--shape NAME=DIMS ...]
//	onnxc build --bin MODEL -o FILE [--shape ...]
//	onnxc run MODEL --input NAME=FILE ... [--output-dir DIR]
//	onnxc test DIR... [-q]
//	onnxc bench MODEL [--shape NAME=1x3x224x224 ...] [--threads T] [--runs R]
//	onnxc inspect MODEL [--shape ...] [--stats] [--dump-after PASS]
//	onnxc ops
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `onnxc compiles ONNX and PaddlePaddle models ahead of time into Go.

Usage:
  onnxc build MODEL [-o DIR] [-pkg NAME] [--shape NAME=DIMS ...]   write a Go package
  onnxc build --bin MODEL -o FILE [--shape ...]                  build a static binary
  onnxc run MODEL --input NAME=FILE ... [--output-dir DIR]       compile (cached) and run
  onnxc test DIR... [-q]                                         run backend-layout test cases
  onnxc bench MODEL [--shape NAME=DIMS ...] [--threads T] [--runs R] [--cpuprofile FILE] [--profile-kernels]
  onnxc inspect MODEL [--shape ...] [--stats] [--dump-after PASS]
  onnxc ops                                                      list supported ops

MODEL is an .onnx file, or a Paddle model: a .pdmodel (with its .pdiparams), a folder with
__model__, or a Paddle 3 inference.json (with its .pdiparams). --shape fixes symbolic dims at
compile time, e.g. --shape x=1x3x48x192. Input files are ONNX TensorProto (.pb) or NumPy (.npy).
`

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
		"build":   cmdBuild,
		"run":     cmdRun,
		"test":    cmdTest,
		"bench":   cmdBench,
		"inspect": cmdInspect,
		"ops":     cmdOps,
	}
	f, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "onnxc: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := f(args[1:], stdout); err != nil {
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
// dir), returning the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

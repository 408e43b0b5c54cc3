package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// quantFlags are the dynamic-quantization flags of the commands that compile.
type quantFlags struct {
	mode, ops, exclude, include, weightType *string
	perChannel, reduceRange, perRow         *bool
}

func addQuantFlags(fs *flag.FlagSet) *quantFlags {
	return &quantFlags{
		mode:        fs.String("quantize", "", "quantization: dynamic (int8 weights, activations quantized per run), or empty for none"),
		ops:         fs.String("quantize-ops", "MatMul,Gemm", "op types to quantize, comma-separated (with --quantize): MatMul, Gemm, Conv (one group; grouped convolutions stay float32), Gather (from a constant table, per tensor), LSTM, GRU, RNN (by constant W and R)"),
		exclude:     fs.String("quantize-exclude", "", "node names to leave in float32, comma-separated"),
		include:     fs.String("quantize-include", "", "quantize only the nodes of these names, comma-separated"),
		weightType:  fs.String("weight-type", "int8", "quantized weight type: int8 (symmetric) or uint8 (asymmetric, with a zero point)"),
		perChannel:  fs.Bool("per-channel", false, "quantize weights per output channel instead of per tensor"),
		reduceRange: fs.Bool("reduce-range", false, "quantize weights to 7 bits ([-64, 64])"),
		perRow:      fs.Bool("per-row", false, "quantize activations per row (a MatMul's or Gemm's token, a pointwise Conv's pixel) instead of per tensor; other convolutions stay per tensor"),
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// options returns the pass options, nil without --quantize.
func (q *quantFlags) options() (*passes.QuantizeOptions, error) {
	switch *q.mode {
	case "":
		return nil, nil
	case "dynamic":
	default:
		return nil, fmt.Errorf("--quantize %q: want dynamic", *q.mode)
	}
	wt := map[string]runtime.DType{"int8": runtime.Int8, "uint8": runtime.Uint8}[*q.weightType]
	if wt == runtime.Undefined {
		return nil, fmt.Errorf("--weight-type %q: want int8 or uint8", *q.weightType)
	}
	return &passes.QuantizeOptions{
		OpTypes: splitList(*q.ops), PerChannel: *q.perChannel, ReduceRange: *q.reduceRange, PerRow: *q.perRow,
		WeightType: wt, Include: splitList(*q.include), Exclude: splitList(*q.exclude),
	}, nil
}

// key describes the options for the binary cache.
func (q *quantFlags) key() string {
	return fmt.Sprintf("quantize %q ops %q exclude %q include %q weights %q per-channel %v reduce-range %v per-row %v",
		*q.mode, *q.ops, *q.exclude, *q.include, *q.weightType, *q.perChannel, *q.reduceRange, *q.perRow)
}

// printQuantRemarks reports what the quantizer did and, grouped by reason, what it left in
// float32.
func printQuantRemarks(w io.Writer, rs []passes.QuantizeRemark) {
	done, left := map[string]int{}, map[string]int{}
	var leftNodes = map[string][]string{}
	for _, r := range rs {
		k := r.Op + ": " + r.Why
		if r.Quantized {
			done[k]++
			continue
		}
		left[k]++
		leftNodes[k] = append(leftNodes[k], r.Node)
	}
	fmt.Fprintln(w, "quantized:")
	printHistogram(w, done)
	if len(done) == 0 {
		fmt.Fprintln(w, "       nothing (no node of the selected op types by constant weights)")
	}
	fmt.Fprintln(w, "left in float32:")
	if len(left) == 0 {
		fmt.Fprintln(w, "       nothing")
	}
	keys := make([]string, 0, len(left))
	for k := range left {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		nodes := leftNodes[k]
		more := ""
		if len(nodes) > 4 {
			more = fmt.Sprintf(" and %d more", len(nodes)-4)
			nodes = nodes[:4]
		}
		fmt.Fprintf(w, "%6d %s (%s%s)\n", left[k], k, strings.Join(nodes, ", "), more)
	}
}

// cmdQuantize writes a model's dynamic quantization as an ONNX model.
func cmdQuantize(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	quiet := fs.Bool("q", false, "print nothing on success")
	report := fs.Bool("report", false, "also compile IN in float32 and int8, run both on the same inputs and print each output's difference (max abs, relative L2, argmax agreement over the last axis)")
	var inputs multi
	fs.Var(&inputs, "input", "NAME=FILE: an input for --report (.pb or .npy; repeatable); the others are random")
	shapes := shapeFlags(fs)
	quant := addQuantFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 && !(*report && len(pos) == 1) {
		return fmt.Errorf("want IN.onnx and OUT.onnx (or IN alone with --report), got %d arguments", len(pos))
	}
	if *quant.mode == "" {
		*quant.mode = "dynamic"
	}
	opt, err := quant.options()
	if err != nil {
		return err
	}
	if len(pos) == 2 {
		if err := compiler.QuantizeONNX(pos[0], pos[1], opt); err != nil {
			return err
		}
	}
	if len(pos) == 2 && !*quiet {
		printQuantRemarks(stdout, opt.Remarks)
		if fi, err := os.Stat(pos[1]); err == nil {
			fmt.Fprintf(stdout, "wrote %s (%.1f MB)\n", pos[1], float64(fi.Size())/1e6)
		}
	}
	if !*report {
		return nil
	}
	sh, err := parseShapes(*shapes)
	if err != nil {
		return err
	}
	given := map[string]*runtime.Tensor{}
	for _, in := range inputs {
		name, file, ok := strings.Cut(in, "=")
		if !ok {
			return fmt.Errorf("--input %q: want NAME=FILE", in)
		}
		t, err := runtime.ReadTensorFile(file)
		if err != nil {
			return fmt.Errorf("--input %s: %w", in, err)
		}
		given[name] = t
	}
	opt.Remarks = nil
	diffs, err := compiler.Accuracy(pos[0], sh, given, opt, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 && !*quiet {
		printQuantRemarks(stdout, opt.Remarks)
	}
	fmt.Fprintf(stdout, "int8 against float32 (onnxc; given inputs, the others random, seed 1):\n")
	for _, d := range diffs {
		agree := ""
		if d.Rows > 0 {
			agree = fmt.Sprintf(", argmax agrees on %d of %d rows", d.Agree, d.Rows)
		}
		fmt.Fprintf(stdout, "  %s %v: max |diff| %.3g, relative L2 %.3g%s\n", d.Name, d.Shape, d.MaxAbs, d.RelL2, agree)
	}
	return nil
}

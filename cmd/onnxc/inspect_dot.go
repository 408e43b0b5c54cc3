package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// dotMarks is what the picture shows beyond the lowered form itself.
type dotMarks struct {
	// Fused holds the ops each fused node absorbed (passes.Options.Fused).
	Fused map[*ir.Node][]string
	// Fallback, when set, reports a kernel that a non-CPU target runs on the CPU path (for the
	// CUDA target: no generator, or cuda.Generate's ok false). Nil for the CPU target, whose
	// kernels all run where they are.
	Fallback func(k *lowered.Kernel) bool
}

// writeDot draws a lowered program as a Graphviz digraph: one node per kernel (labelled with
// its entry, the IR node's name and the ops it absorbed), one per graph input and output, and
// one edge per tensor a kernel reads from another kernel or an input, labelled with its shape.
// Weights are not drawn: a kernel's label counts them. Regions (If branches, Loop bodies) are
// clusters.
func writeDot(w io.Writer, prog *lowered.Program, marks dotMarks) error {
	d := &dotWriter{w: w, src: map[*ir.Value]string{}}
	d.printf("digraph onnxc {\n")
	d.printf("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n")
	d.printf("  edge [fontname=\"Helvetica\", fontsize=8, color=gray40];\n")
	// Sources first, so that edges into regions from outer kernels find their producers.
	for gi, g := range prog.Graphs {
		for i, v := range g.IR.Inputs {
			if v != nil {
				d.src[v] = fmt.Sprintf("in%d_%d", gi, i)
			}
		}
		for _, k := range g.Kernels {
			for _, o := range k.Out {
				if o.Value != nil {
					d.src[o.Value] = kernelID(k)
				}
			}
		}
	}
	for gi, g := range prog.Graphs {
		indent := "  "
		if gi > 0 {
			d.printf("  subgraph cluster_%d {\n    label=%s; style=dashed; color=gray50;\n", gi, quote("region "+g.IR.Name))
			indent = "    "
		}
		for _, v := range g.IR.Inputs {
			if v != nil {
				d.printf("%s%s [shape=ellipse, fillcolor=\"#e8f5e9\", label=%s];\n", indent, d.src[v], quote(v.Name+"\n"+typeLabel(lowered.OperandOf(v))))
			}
		}
		for _, k := range g.Kernels {
			d.kernel(indent, k, marks)
		}
		for i, v := range g.IR.Outputs {
			id := fmt.Sprintf("out%d_%d", gi, i)
			d.printf("%s%s [shape=ellipse, fillcolor=\"#fff3e0\", label=%s];\n", indent, id, quote(v.Name))
			d.edge(v, id)
		}
		if gi > 0 {
			d.printf("  }\n")
		}
	}
	d.printf("}\n")
	return d.err
}

type dotWriter struct {
	w   io.Writer
	src map[*ir.Value]string // the DOT node that makes each value
	err error
}

func (d *dotWriter) printf(format string, args ...any) {
	if d.err == nil {
		_, d.err = fmt.Fprintf(d.w, format, args...)
	}
}

func kernelID(k *lowered.Kernel) string { return fmt.Sprintf("k%d", k.Node.ID) }

func (d *dotWriter) kernel(indent string, k *lowered.Kernel, marks dotMarks) {
	lines := []string{k.Entry.String()}
	if k.Node.Name != "" {
		lines = append(lines, k.Node.Name)
	}
	fill := "white"
	if ops := absorbed(k, marks.Fused); len(ops) > 1 {
		lines = append(lines, "fused: "+wrap(ops, "+", 40))
		fill = "#e3f2fd"
	}
	if nw, bytes := weights(k); nw > 0 {
		noun := "constants"
		if nw == 1 {
			noun = "constant"
		}
		lines = append(lines, fmt.Sprintf("%d %s (%s)", nw, noun, byteSize(bytes)))
	}
	style := "rounded,filled"
	if quantized(k) {
		lines = append(lines, "int8")
		fill = "#fff9c4"
	}
	if marks.Fallback != nil && marks.Fallback(k) {
		lines = append(lines, "CPU fallback")
		style = "rounded,filled,dashed"
		d.printf("%s%s [label=%s, fillcolor=%q, style=%q, color=red];\n", indent, kernelID(k), quote(strings.Join(lines, "\n")), fill, style)
	} else {
		d.printf("%s%s [label=%s, fillcolor=%q];\n", indent, kernelID(k), quote(strings.Join(lines, "\n")), fill)
	}
	for _, in := range k.In {
		if in.Value != nil && !in.Weight {
			d.edge(in.Value, kernelID(k))
		}
	}
}

// edge draws v's producer to node id; values with no drawn producer (constants) get none.
func (d *dotWriter) edge(v *ir.Value, id string) {
	if from, ok := d.src[v]; ok {
		d.printf("  %s -> %s [label=%s];\n", from, id, quote(typeLabel(lowered.OperandOf(v))))
	}
}

// absorbed lists the ops a kernel was made of: the fusion pass's chain, or a fused
// elementwise program's steps; nil for a kernel of one op.
func absorbed(k *lowered.Kernel, fused map[*ir.Node][]string) []string {
	if ch := fused[k.Node]; len(ch) > 1 {
		return ch
	}
	p, ok := k.Params.(*runtime.ElementwiseParams)
	if !ok {
		return nil
	}
	var ops []string
	for _, s := range p.Steps {
		if name := passes.EwOpName(s.Op); name != "" {
			ops = append(ops, name)
		}
	}
	return ops
}

// weights counts a kernel's constant operands and their bytes.
func weights(k *lowered.Kernel) (n int, bytes int64) {
	for _, in := range k.In {
		if in.Weight && in.Value != nil && in.Value.Const != nil {
			n++
			bytes += int64(in.Value.Const.Len() * max(in.Value.Const.DType.Size(), 1))
		}
	}
	return n, bytes
}

// quantized reports a kernel that computes on 8-bit integers (the int8 path of dynamic
// quantization, or a pre-quantized model's QLinear and Integer ops).
func quantized(k *lowered.Kernel) bool {
	for _, ops := range [][]lowered.Operand{k.In, k.Out} {
		for _, o := range ops {
			if o.Value != nil && (o.DType == runtime.Int8 || o.DType == runtime.Uint8) {
				return true
			}
		}
	}
	return false
}

// typeLabel is an operand's shape (1x3x48x192), with its element type unless float32.
func typeLabel(o lowered.Operand) string {
	s := "?"
	if o.RankKnown {
		dims := make([]string, len(o.Dims))
		for i, d := range o.Dims {
			dims[i] = d.String()
		}
		s = strings.Join(dims, "x")
		if len(dims) == 0 {
			s = "scalar"
		}
	}
	if o.DType != runtime.Float32 {
		s += " " + o.DType.String()
	}
	return s
}

// wrap joins items with sep, breaking lines near width characters.
func wrap(items []string, sep string, width int) string {
	var b strings.Builder
	line := 0
	for i, it := range items {
		if i > 0 {
			b.WriteString(sep)
			line += len(sep)
			if line+len(it) > width {
				b.WriteString("\n")
				line = 0
			}
		}
		b.WriteString(it)
		line += len(it)
	}
	return b.String()
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// quote is a DOT string literal; \n in s becomes a centred line break.
func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}

// renderSVG runs Graphviz's dot on a DOT text and writes the SVG to path.
func renderSVG(dot []byte, path string) error {
	bin, err := exec.LookPath("dot")
	if err != nil {
		return errors.New("--svg needs Graphviz's dot on PATH (Debian: apt-get install graphviz); --dot FILE writes the graph as text")
	}
	cmd := exec.Command(bin, "-Tsvg")
	cmd.Stdin = bytes.NewReader(dot)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dot: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// inspectGraph is inspect --dot/--svg: compiles the model, lowers it and draws it.
func inspectGraph(path string, shapeSpecs []string, q *quantFlags, dotFile, svgFile string, stdout io.Writer) error {
	shapes, err := parseShapes(shapeSpecs)
	if err != nil {
		return err
	}
	qo, err := q.options()
	if err != nil {
		return err
	}
	fused := map[*ir.Node][]string{}
	m, err := compiler.Compile(path, compiler.Options{Shapes: shapes, Quantize: qo, Fused: fused})
	if err != nil {
		return err
	}
	prog, err := compiler.LowerCPU(m) // as the Go emitter sees it
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := writeDot(&buf, prog, dotMarks{Fused: fused}); err != nil {
		return err
	}
	switch dotFile {
	case "":
	case "-":
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	default:
		if err := os.WriteFile(dotFile, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if svgFile != "" {
		return renderSVG(buf.Bytes(), svgFile)
	}
	return nil
}

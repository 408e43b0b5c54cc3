package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/ops"
	rt "github.com/onnxc/onnxc/runtime"
)

var (
	dotNode = regexp.MustCompile(`(?m)^\s+(\w+) \[(.*)\];$`)
	dotEdge = regexp.MustCompile(`(?m)^\s+(\w+) -> (\w+) \[label="([^"]*)"\];$`)
)

// TestInspectDot draws the shipped classifier and checks the picture against the lowered
// program: one node per kernel, graph input and output, one edge per tensor a kernel reads from
// another kernel or an input, shapes on the edges, fused kernels labelled with what they absorbed.
func TestInspectDot(t *testing.T) {
	checkDot(t, filepath.Join(quickstart, "cls.onnx"), map[string][]int{"x": {1, 3, 48, 192}}, true, "fused: Conv+BatchNormalization")
	// Regions as clusters: silero's If branches (when the real models are fetched), whose
	// shapes stay partly unknown (the branch for 8 kHz input).
	silero := "../../testdata/models/silero_vad_v5.onnx"
	if _, err := os.Stat(silero); err == nil {
		checkDot(t, silero, map[string][]int{"input": {1, 576}, "state": {2, 1, 128}}, false, "subgraph cluster_")
	}
}

// checkDot draws a model and checks the picture against its lowered program; static says every
// edge's shape is known at compile time, want is a string the DOT must hold.
func checkDot(t *testing.T, path string, shapes map[string][]int, static bool, want string) {
	t.Helper()
	fused := map[*ir.Node][]string{}
	m, err := compiler.Compile(path, compiler.Options{Shapes: shapes, Fused: fused})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := ops.LowerModel(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeDot(&buf, prog, dotMarks{Fused: fused}); err != nil {
		t.Fatal(err)
	}
	dot := buf.String()
	labels := map[string]string{}
	for _, n := range dotNode.FindAllStringSubmatch(dot, -1) {
		if n[1] == "node" || n[1] == "edge" {
			continue
		}
		if _, dup := labels[n[1]]; dup {
			t.Errorf("node %s declared twice", n[1])
		}
		labels[n[1]] = n[2]
	}
	// Expected counts from the IR: every node a kernel, every non-constant input an edge.
	wantNodes, wantEdges := 0, 0
	for _, g := range prog.Graphs {
		wantNodes += len(g.IR.Inputs) + len(g.IR.Outputs) + len(g.IR.Nodes)
		wantEdges += len(g.IR.Outputs)
		for _, n := range g.IR.Nodes {
			for _, in := range n.Inputs {
				if in != nil && in.Const == nil {
					wantEdges++
				}
			}
		}
	}
	if len(labels) != wantNodes {
		t.Errorf("%d nodes, want %d", len(labels), wantNodes)
	}
	edges := dotEdge.FindAllStringSubmatch(dot, -1)
	if len(edges) != wantEdges {
		t.Errorf("%d edges, want %d", len(edges), wantEdges)
	}
	for _, e := range edges {
		if labels[e[1]] == "" || labels[e[2]] == "" {
			t.Errorf("edge %s -> %s between undeclared nodes", e[1], e[2])
		}
		if static && !regexp.MustCompile(`^\d+(x\d+)*( \w+)?$|^scalar`).MatchString(e[3]) {
			t.Errorf("edge %s -> %s: label %q is not a static shape", e[1], e[2], e[3])
		}
	}
	for _, k := range prog.Kernels() {
		l := labels[kernelID(k)]
		if !strings.HasPrefix(l, `label="`+k.Entry.String()+`\n`) {
			t.Errorf("kernel %s: label %s does not start with its entry", k.Node.Name, l)
		}
	}
	if !strings.Contains(dot, want) {
		t.Errorf("%s: the DOT lacks %q:\n%s", path, want, dot)
	}
}

// TestDotMarks: int8 kernels and the CPU-fallback hook are marked.
func TestDotMarks(t *testing.T) {
	k := &lowered.Kernel{Node: &ir.Node{ID: 7, Name: "q"}, Entry: lowered.DynamicQuantizeLinear,
		In:  []lowered.Operand{{Value: &ir.Value{}, DType: rt.Float32, RankKnown: true, Dims: []ir.Dim{ir.Static(4)}}},
		Out: []lowered.Operand{{Value: &ir.Value{}, DType: rt.Uint8, RankKnown: true, Dims: []ir.Dim{ir.Static(4)}}}}
	prog := &lowered.Program{Graphs: []*lowered.Graph{{IR: &ir.Graph{}, Kernels: []*lowered.Kernel{k}}}}
	var buf bytes.Buffer
	if err := writeDot(&buf, prog, dotMarks{Fallback: func(*lowered.Kernel) bool { return true }}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{`k7 [label="DynamicQuantizeLinear\nq\nint8\nCPU fallback"`, "dashed", "color=red"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if quote("a\"b\\c\nd") != `"a\"b\\c\nd"` {
		t.Errorf("quote: %s", quote("a\"b\\c\nd"))
	}
}

// TestInspectSVG runs the command: --dot writes the text, --svg renders it with Graphviz.
func TestInspectSVG(t *testing.T) {
	dir := t.TempDir()
	dotFile, svgFile := filepath.Join(dir, "cls.dot"), filepath.Join(dir, "cls.svg")
	args := []string{"inspect", filepath.Join(quickstart, "cls.onnx"), "--shape", "x=1x3x48x192", "--dot", dotFile}
	_, err := exec.LookPath("dot")
	haveDot := err == nil
	if !haveDot {
		if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
			t.Fatal("Graphviz's dot is not installed (the test set-up installs it)")
		}
		t.Log("no Graphviz dot: checking --dot only")
	} else {
		args = append(args, "--svg", svgFile)
	}
	if _, stderr, code := onnxc(t, ".", args...); code != 0 {
		t.Fatalf("inspect: %s", stderr)
	}
	text, err := os.ReadFile(dotFile)
	if err != nil {
		t.Fatal(err)
	}
	nodes := 0
	for _, n := range dotNode.FindAllStringSubmatch(string(text), -1) {
		if n[1] != "node" && n[1] != "edge" {
			nodes++
		}
	}
	if !haveDot {
		return
	}
	svg, err := os.ReadFile(svgFile)
	if err != nil {
		t.Fatal(err)
	}
	// The SVG is well-formed XML with one <g class="node"> per DOT node.
	dec := xml.NewDecoder(bytes.NewReader(svg))
	drawn := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				t.Fatalf("SVG: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
			for _, a := range se.Attr {
				if a.Name.Local == "class" && a.Value == "node" {
					drawn++
				}
			}
		}
	}
	if drawn != nodes || nodes == 0 {
		t.Errorf("SVG draws %d nodes, the DOT declares %d", drawn, nodes)
	}
}

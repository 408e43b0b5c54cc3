package compiler

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var updateKnown = flag.Bool("update-known", false, "rewrite testdata/known_failures.txt from this run (reasons of kept entries are preserved)")

const knownFailuresFile = "../testdata/known_failures.txt"

// readKnownFailures reads "case # reason" lines.
func readKnownFailures(t *testing.T) map[string]string {
	f, err := os.Open(knownFailuresFile)
	if err != nil {
		t.Fatalf("known failures list: %v", err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, "#")
		known[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	return known
}

// TestConformance compiles every vendored ONNX backend case to Go, builds and runs it. It fails
// when a case outside testdata/known_failures.txt fails, or when a listed case passes (the list
// only shrinks: remove the entry).
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance run takes minutes")
	}
	var dirs []string
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		dirs = append(dirs, filepath.Join("..", "testdata", "onnx-backend", suite))
	}
	cases, err := FindCases(dirs)
	if err != nil {
		t.Fatal(err)
	}
	known := readKnownFailures(t)
	work := filepath.Join(os.TempDir(), "onnxc-conformance")
	start := time.Now()
	results, err := RunCases(cases, TestOptions{WorkDir: work, Tolerance: CaseTolerance, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	passed, nodePassed, nodeTotal := 0, 0, 0
	var unexpected, fixed []string
	reasons := map[string]string{}
	for _, r := range results {
		isNode := filepath.Base(filepath.Dir(r.Case.Dir)) == "node"
		if isNode {
			nodeTotal++
		}
		if r.Pass {
			passed++
			if isNode {
				nodePassed++
			}
			if _, ok := known[r.Case.Name]; ok {
				fixed = append(fixed, r.Case.Name)
			}
			continue
		}
		reasons[r.Case.Name] = reasonOf(r)
		if _, ok := known[r.Case.Name]; !ok {
			unexpected = append(unexpected, fmt.Sprintf("%s (%s): %s", r.Case.Name, r.Stage, oneLine(r.Msg, 400)))
		}
	}
	t.Logf("conformance: %d of %d cases pass (node: %d of %d) in %s", passed, len(results), nodePassed, nodeTotal, Elapsed(time.Since(start)))
	if *updateKnown {
		writeKnownFailures(t, known, reasons)
		return
	}
	for _, u := range unexpected {
		t.Errorf("unexpected failure: %s", u)
	}
	for _, f := range fixed {
		t.Errorf("%s passes now: remove it from %s", f, knownFailuresFile)
	}
}

func writeKnownFailures(t *testing.T, known, reasons map[string]string) {
	names := make([]string, 0, len(reasons))
	for n := range reasons {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# ONNX backend cases that onnxc does not pass yet, one per line: CASE # reason.\n")
	b.WriteString("# The conformance test fails when a case outside this list fails or a listed case passes,\n")
	b.WriteString("# so the list only shrinks. Regenerate with: go test ./compiler -run TestConformance -update-known\n")
	for _, n := range names {
		reason := known[n]
		if reason == "" {
			reason = reasons[n]
		}
		fmt.Fprintf(&b, "%s # %s\n", n, reason)
	}
	if err := os.WriteFile(knownFailuresFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " | ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

var (
	unsupportedOp = regexp.MustCompile(`(?m)^\s+(\S+) \(domain ([^,]+), opset`)
	modelPrefix   = regexp.MustCompile(`^\S+model\.onnx: `)
)

// reasonOf turns a failure into a short reason for the known-failures list.
func reasonOf(r Result) string {
	if m := unsupportedOp.FindAllStringSubmatch(r.Msg, -1); len(m) > 0 {
		var ops []string
		for _, x := range m {
			ops = append(ops, x[1]+" ("+x[2]+")")
		}
		return "unsupported op: " + strings.Join(ops, ", ")
	}
	msg := modelPrefix.ReplaceAllString(r.Msg, "")
	return r.Stage + ": " + oneLine(msg, 140)
}

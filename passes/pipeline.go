// Package passes holds the compiler's passes over the IR, each a plain function, run in the one
// order declared in Pipeline.
package passes

import (
	"fmt"
	"io"
	"maps"
	"math"
	"time"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Pass is one step of the pipeline.
type Pass struct {
	Name string
	Fn   func(m *ir.Model) error
	// Typed says the IR is fully typed after this pass (so the verifier checks types).
	Typed bool
}

// Pipeline is the ordered list of passes; passOrder says which orderings matter and why, and
// the order is checked when the package starts (checkOrder), not only stated in a comment.
var Pipeline = []Pass{
	{Name: "infer", Fn: Infer, Typed: true},
	{Name: "qdq", Fn: QDQ, Typed: true},
	{Name: "fold", Fn: Fold, Typed: true},
	{Name: "fuse", Fn: Fuse, Typed: true},
	// Run reruns quantize with Options.Quantize; as listed it compiles pre-quantized chains only.
	{Name: "quantize", Fn: func(m *ir.Model) error { return Quantize(m, nil) }, Typed: true},
	{Name: "cse", Fn: CSE, Typed: true},
	{Name: "fuse-elementwise", Fn: FuseElementwise, Typed: true},
	{Name: "dce", Fn: DCE, Typed: true},
}

// passOrder lists pairs of passes that must run in this order when both are in the pipeline,
// each with the reason, as the Go compiler's passOrder does.
var passOrder = []struct{ before, after, why string }{
	{"infer", "fold", "folding lowers nodes, and lowering relies on inferred types"},
	{"infer", "qdq", "the QDQ matcher checks element types and ranks"},
	{"qdq", "fold", "folding would make the weights' DequantizeLinear float32 constants, losing their int8 values"},
	{"qdq", "dce", "the QDQ matcher leaves the Q/DQ nodes it absorbed without uses"},
	{"fold", "dce", "folding leaves the nodes it replaced without uses"},
	{"fold", "fuse", "fusion folds constant weights and needs the shapes folding makes static"},
	{"fuse", "dce", "fusion leaves the nodes it merged without uses"},
	{"infer", "fuse", "fusion matches on inferred shapes and element types"},
	{"fuse", "fuse-elementwise", "Conv and Gemm take their activations and residual adds first, into their epilogue"},
	{"fold", "fuse-elementwise", "constant subexpressions fold away before they could become program steps"},
	{"fold", "cse", "folding makes the copies of constants (folded Identity nodes) and the ShapeValues that CSE merges"},
	{"fuse", "cse", "fusion's patterns need one-use values, and merging equal subexpressions first gives them more uses (three HardSwish forms sharing one x+3)"},
	{"cse", "fuse-elementwise", "merged nodes become one step of a fused loop instead of two"},
	{"cse", "dce", "CSE leaves the duplicates it merged without uses"},
	{"fuse", "quantize", "Gemm takes its bias and activation first, and the quantized kernel takes them from it"},
	{"quantize", "cse", "the quantizer matches one-use chains and makes int8 weights that CSE merges"},
	{"quantize", "dce", "the quantizer leaves the nodes of the chains it replaced without uses"},
}

func init() {
	if err := checkOrder(Pipeline); err != nil {
		panic(err)
	}
}

// checkOrder reports a pipeline that breaks passOrder, names a pass twice or leaves dce out of
// last place (every pass may orphan values).
func checkOrder(p []Pass) error {
	at := map[string]int{}
	for i, ps := range p {
		if _, dup := at[ps.Name]; dup {
			return fmt.Errorf("passes: %s appears twice in the pipeline", ps.Name)
		}
		at[ps.Name] = i
	}
	for _, o := range passOrder {
		b, okb := at[o.before]
		a, oka := at[o.after]
		if okb && oka && b > a {
			return fmt.Errorf("passes: %s must run before %s: %s", o.before, o.after, o.why)
		}
	}
	if i, ok := at["dce"]; ok && i != len(p)-1 {
		return fmt.Errorf("passes: dce must run last: every other pass may orphan values")
	}
	return nil
}

// Options control a pipeline run.
type Options struct {
	// Verify runs the IR verifier before the first pass and after every pass (tests set it).
	Verify bool
	// DumpAfter names a pass after which the IR is printed to Dump ("all" for every pass).
	DumpAfter string
	Dump      io.Writer
	// Quantize, when set, enables dynamic quantization (the quantize pass's knobs); its
	// Remarks receive the decisions.
	Quantize *QuantizeOptions
	// MaxTensorBytes bounds one tensor with a static shape (0: runtime.MaxTensorBytes, the
	// run-time bound, which constant folding also obeys).
	MaxTensorBytes int64
	// Fused, when set, receives the ops each fused node absorbed (FuseChains), for inspect.
	Fused map[*ir.Node][]string
	// AfterPass, when set, is called after each pass with its name and how long it took (the
	// command's progress display and -v timings).
	AfterPass func(pass string, d time.Duration)
}

// Run applies the pipeline to m.
func Run(m *ir.Model, opt Options) error {
	if opt.Verify {
		if err := ir.Verify(m, false); err != nil {
			return fmt.Errorf("IR from the frontend is invalid: %w", err)
		}
	}
	for _, p := range Pipeline {
		if p.Name == "quantize" && opt.Quantize != nil {
			p.Fn = func(m *ir.Model) error { return Quantize(m, opt.Quantize) }
		}
		if p.Name == "fuse" && opt.Fused != nil {
			p.Fn = func(m *ir.Model) error {
				chains, err := FuseChains(m)
				maps.Copy(opt.Fused, chains)
				return err
			}
		}
		start := time.Now()
		if err := runPass(p, m); err != nil {
			return err
		}
		if opt.AfterPass != nil {
			opt.AfterPass(p.Name, time.Since(start))
		}
		if err := checkSizes(m, opt.MaxTensorBytes); err != nil { // inference and folding make shapes static
			return err
		}
		if opt.Verify {
			if err := ir.Verify(m, p.Typed); err != nil {
				return fmt.Errorf("IR invalid after pass %s: %w", p.Name, err)
			}
		}
		if opt.Dump != nil && (opt.DumpAfter == p.Name || opt.DumpAfter == "all") {
			fmt.Fprintf(opt.Dump, "# after %s\n", p.Name)
			if err := ir.Print(opt.Dump, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSizes refuses, at compile time, a model with a tensor whose static shape exceeds limit
// (0: the run-time limit, runtime.MaxTensorBytes): a ConstantOfShape, Expand or Range of absurd
// size would otherwise build and then fail, or kill the process, on every run.
func checkSizes(m *ir.Model, limit int64) error {
	if limit <= 0 {
		limit = runtime.MaxTensorBytes
	}
	var err error
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			for _, o := range n.Outputs {
				if err != nil || o == nil {
					continue
				}
				shape, ok := o.Type.StaticShape()
				if !ok {
					continue
				}
				size := "more than 2^63 bytes"
				bytes, ok := tensorBytes(o.Type.DType, shape)
				if ok {
					size = fmt.Sprintf("%d bytes", bytes)
				}
				if !ok || bytes > limit {
					err = fmt.Errorf("%s: output %s (%s) would take more than the limit of %d bytes per tensor (--max-tensor-bytes raises it)", n.Describe(), o.Type, size, limit)
				}
			}
		}
	})
	return err
}

// tensorBytes is the storage of a tensor; ok is false when it overflows int64.
func tensorBytes(dt runtime.DType, shape []int) (int64, bool) {
	n := int64(max(dt.Size(), 1))
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// runPass turns a panic inside a pass into an error that names the pass, so that no panic
// reaches a user and a bug report says where it happened.
func runPass(p Pass, m *ir.Model) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in pass %s: %v", p.Name, r)
		}
	}()
	return p.Fn(m)
}

// PassNames lists the pipeline's pass names in order.
func PassNames() []string {
	names := make([]string, len(Pipeline))
	for i, p := range Pipeline {
		names[i] = p.Name
	}
	return names
}

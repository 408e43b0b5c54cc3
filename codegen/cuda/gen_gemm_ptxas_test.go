package cuda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/ops"
	"github.com/onnxc/onnxc/runtime"
)

// genPtxasPath finds ptxas where the CUDA tests look for it ($ONNXC_PTXAS, else
// $ONNXC_CUDA_DIR/bin/ptxas, /opt/onnxc-cuda by default, which scripts/setup-ptxas.sh fills),
// then at /opt/ptxas/ptxas; "" when there is none.
func genPtxasPath() string {
	dir := os.Getenv("ONNXC_CUDA_DIR")
	if dir == "" {
		dir = "/opt/onnxc-cuda"
	}
	for _, p := range []string{os.Getenv("ONNXC_PTXAS"), filepath.Join(dir, "bin", "ptxas"), "/opt/ptxas/ptxas"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}

// genCheck generates k for sm_80 and sm_90, with and without TF32, and assembles every module
// with ptxas; it fails when the generator declines a kernel the test expects it to take.
func genCheck(t *testing.T, k *lowered.Kernel) {
	t.Helper()
	ptxas := genPtxasPath()
	for _, sm := range []int{80, 90} {
		for _, tf32 := range []bool{false, true} {
			g, ok, err := Generate(k, Target{SM: sm, TF32: tf32})
			if err != nil || !ok {
				t.Fatalf("sm_%d tf32 %v: ok %v, err %v", sm, tf32, ok, err)
			}
			if len(g.Launches) == 0 {
				t.Fatalf("no launches")
			}
			if ptxas == "" {
				continue
			}
			if err := ptxasAssemble(ptxas, sm, g.PTX, t.TempDir()); err != nil {
				t.Fatalf("tf32 %v: %v\n%s", tf32, err, numbered(g.PTX))
			}
		}
	}
	if ptxas == "" {
		noPtxas(t)
	}
}

// noPtxas says that ptxas is missing: a failure with ONNXC_REQUIRE_CUDA_TOOLS set, as in the
// CUDA tests, a note otherwise.
func noPtxas(t *testing.T) {
	msg := "ptxas not found: modules generated but not assembled (run scripts/setup-ptxas.sh or set ONNXC_PTXAS)"
	if os.Getenv("ONNXC_REQUIRE_CUDA_TOOLS") != "" {
		t.Fatal(msg)
	}
	t.Log(msg)
}

// ptxasAssemble assembles the module src for sm_<sm> in dir with ptxas.
func ptxasAssemble(ptxas string, sm int, src, dir string) error {
	f := filepath.Join(dir, "k.ptx")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		return err
	}
	out, err := exec.Command(ptxas, "-arch", "sm_"+itoa(sm), "-o", filepath.Join(dir, "k.cubin"), f).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ptxas sm_%d: %v\n%s", sm, err, out)
	}
	return nil
}

// Exported to the external model test.
var (
	PtxasPath     = genPtxasPath
	PtxasAssemble = ptxasAssemble
	NoPtxas       = noPtxas
)

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func numbered(s string) string {
	out, line, n := "", "", 1
	for _, c := range s {
		if c == '\n' {
			out += itoa(n%100) + " " + line + "\n"
			line, n = "", n+1
			continue
		}
		line += string(c)
	}
	return out
}

// opnd is a float32 operand of static shape (nil dims: an absent optional input).
func opnd(dims ...int) lowered.Operand {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		ds[i] = ir.Static(int64(d))
	}
	v := &ir.Value{Type: ir.TensorType(runtime.Float32, ds...)}
	return lowered.Operand{Value: v, DType: runtime.Float32, Dims: ds, RankKnown: true}
}

var absent = lowered.Operand{}

// refCalls holds the reference call of each kernel kern made.
var refCalls = map[*lowered.Kernel]ops.Call{}

// kern makes a kernel of entry e and remembers its reference call.
func kern[P any](e lowered.Entry, p *P, out lowered.Operand, in ...lowered.Operand) *lowered.Kernel {
	k := &lowered.Kernel{Node: &ir.Node{Name: e.String()}, Entry: e, Params: p, In: in, Out: []lowered.Operand{out}}
	refCalls[k] = ops.K(e, p)
	return k
}

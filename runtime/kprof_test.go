package runtime

import (
	"strings"
	"testing"
	"time"
)

func TestKernelProfile(t *testing.T) {
	p := ProfileKernels([]string{"fast", "slow", "never"})
	defer kernelProfile.Store(nil)
	x := NewExec(nil)
	if NewExec(nil).prof != p || x.prof != p {
		t.Fatal("NewExec did not pick up the installed profile")
	}
	for run := 0; run < 3; run++ {
		x.Tick(-1)
		x.Tick(0)
		time.Sleep(2 * time.Millisecond)
		x.Tick(1)
		p.EndRun()
	}
	if p.calls[0] != 3 || p.calls[1] != 3 || p.calls[2] != 0 {
		t.Fatalf("calls %v, want [3 3 0]", p.calls)
	}
	if p.best[1] < int64(2*time.Millisecond) || p.best[1] > p.ns[1]/3 || p.best[0] >= p.best[1] {
		t.Fatalf("best %v, ns %v", p.best, p.ns)
	}
	var b strings.Builder
	p.Write(&b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[1], "slow") || !strings.HasSuffix(lines[2], "fast") || !strings.Contains(lines[3], "total of 2 kernels") {
		t.Fatalf("table:\n%s", b.String())
	}
	kernelProfile.Store(nil)
	if NewExec(nil).prof != nil {
		t.Fatal("a profile stayed installed")
	}
}

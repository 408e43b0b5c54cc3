package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/onnxc/onnxc/runtime"
)

// limitFlag adds --max-tensor-bytes, the bound on one tensor, to a command that compiles. It
// sets the bound for this process (runtime.MaxTensorBytes), which the compile-time size check
// and constant folding obey; run and bench pass it on to the model's binary.
func limitFlag(fs *flag.FlagSet) {
	fs.Func("max-tensor-bytes", fmt.Sprintf("bound on one tensor's bytes, at compile and run time: N, or N with KiB, MiB, GiB or TiB (default %s)", sizeString(runtime.MaxTensorBytes)), func(s string) error {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		runtime.MaxTensorBytes = n
		return nil
	})
}

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}, {"", 0}}

// parseSize reads "17179869184" or "16GiB".
func parseSize(s string) (int64, error) {
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 || n > (1<<62)>>u.shift {
			return 0, fmt.Errorf("%q: want a positive size such as 17179869184 or 16GiB", s)
		}
		return n << u.shift, nil
	}
	panic("unreachable: the last unit matches every string")
}

// sizeString writes n in the largest unit that divides it.
func sizeString(n int64) string {
	for _, u := range sizeUnits[:4] {
		if n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}

// limitArgs passes a raised or lowered bound on to a model's binary.
func limitArgs() []string {
	if runtime.MaxTensorBytes == defaultMaxTensorBytes {
		return nil
	}
	return []string{"-max-tensor-bytes", strconv.FormatInt(runtime.MaxTensorBytes, 10)}
}

var defaultMaxTensorBytes = runtime.MaxTensorBytes

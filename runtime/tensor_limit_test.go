package runtime

import (
	"errors"
	"strings"
	"testing"
)

// A tensor beyond MaxTensorBytes, or whose size overflows, panics with a *TooLargeError that
// PanicError (what generated Run calls) passes on as an error; other panics become internal
// errors.
func TestTensorSizeLimit(t *testing.T) {
	for _, shape := range [][]int{{1000000, 1000000}, {1 << 40, 1 << 40, 1 << 40}, {-1}} {
		func() {
			defer func() {
				err := PanicError(recover())
				var tl *TooLargeError
				if !errors.As(err, &tl) || !strings.Contains(err.Error(), "MaxTensorBytes") {
					t.Errorf("%v: %v", shape, err)
				}
			}()
			New(Float32, shape...)
		}()
	}
	if x := New(Float32, 1<<10, 1<<10); x.Len() != 1<<20 {
		t.Fatal("a 4 MB tensor must be allowed")
	}
	if err := PanicError("boom"); err == nil || !strings.Contains(err.Error(), "internal error: boom") {
		t.Errorf("PanicError(string) = %v", err)
	}
}

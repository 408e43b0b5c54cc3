package compiler

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseShape(t *testing.T) {
	for _, c := range []struct {
		in   string
		name string
		dims string // fmt of the dims, or "error"
	}{
		{"x=1x3x48x192", "x", "[1 3 48 192]"},
		{"sr=:16000", "sr", "[]"},
		{"sr=scalar", "sr", "[]"},
		{"x=1x?x8", "x", "[1 -1 8]"},
		{"a=b=2", "a", "error"},
		{"=1x2", "", "error"},
		{"x", "", "error"},
		{"x=1xx2", "", "error"},
		{"x=-2", "", "error"},
	} {
		name, dims, err := ParseShape(c.in)
		got := fmt.Sprint(dims)
		if err != nil {
			got = "error"
		} else if dims == nil {
			got = "[]"
		}
		if got != c.dims || (err == nil && name != c.name) {
			t.Errorf("ParseShape(%q) = %q %s (err %v), want %q %s", c.in, name, got, err, c.name, c.dims)
		}
	}
}

func FuzzParseShape(f *testing.F) {
	for _, s := range []string{"x=1x3x48x192", "sr=:16000", "x=?x2", "=", "x=1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, dims, err := ParseShape(s)
		if err != nil {
			if !strings.Contains(err.Error(), "shape") {
				t.Fatalf("error %q does not say it is about a shape", err)
			}
			return
		}
		if name == "" || strings.Contains(name, "=") {
			t.Fatalf("ParseShape(%q) accepted name %q", s, name)
		}
		for _, d := range dims {
			if d < -1 {
				t.Fatalf("ParseShape(%q) accepted dim %d", s, d)
			}
		}
	})
}

package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"17179869184", 16 << 30}, {"16GiB", 16 << 30}, {"64KiB", 64 << 10}, {"3MiB", 3 << 20}, {"2TiB", 2 << 40}, {"100B", 100}} {
		if got, err := parseSize(c.in); err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if s := sizeString(c.want); c.want%1024 == 0 {
			if back, err := parseSize(s); err != nil || back != c.want {
				t.Errorf("sizeString(%d) = %q, which reads as %d, %v", c.want, s, back, err)
			}
		}
	}
	for _, bad := range []string{"", "0", "-1", "12x", "GiB", "99999999TiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestTestTolerance(t *testing.T) {
	if r, a := tolerance(0, 0)("test_dft_inverse"); r != 1e-3 || a != 1e-6 {
		t.Errorf("default: %g %g, want the documented exception 1e-3 1e-6", r, a)
	}
	if r, a := tolerance(1e-2, 0)("test_abs"); r != 1e-2 || a != 1e-7 {
		t.Errorf("--rtol 1e-2: %g %g", r, a)
	}
	if r, a := tolerance(0, 1e-4)("test_abs"); r != 1e-3 || a != 1e-4 {
		t.Errorf("--atol 1e-4: %g %g", r, a)
	}
}

// FuzzParseSize checks that parseSize never panics, accepts only positive sizes, and reads back
// what sizeString writes.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"17179869184", "16GiB", "1KiB", "3 MiB", "0", "-1", "8EiB", "9223372036854775807", "4611686018427387904B", "TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("parseSize(%q) = %d, want a positive size", s, n)
		}
		back, err := parseSize(sizeString(n))
		if err != nil || back != n {
			t.Fatalf("parseSize(sizeString(%d) = %q) = %d, %v", n, sizeString(n), back, err)
		}
	})
}

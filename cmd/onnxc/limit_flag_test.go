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

package runtime

import "unsafe"

// Float32 loops that run as AVX2/FMA assembly where the CPU has it (simd_amd64.s) and as Go
// elsewhere: whole vectors of 8 go to the assembly, the tail and other CPUs to the Go loop. The
// assembly fuses a*x+b into one rounding, so results may differ from the Go loop in the last
// bit.

// vecWidth is the number of float32 lanes the assembly handles per step.
const vecWidth = 8

// vecSplit is the count of leading elements of an n-element loop that the assembly takes.
func vecSplit(n int) int {
	if !sgemmHasAVX2FMA {
		return 0
	}
	return n &^ (vecWidth - 1)
}

// clampAffine sets s[i] = min(max(a*s[i]+b, lo), hi): Relu, Clip and HardSigmoid.
func clampAffine(s []float32, a, b, lo, hi float32) {
	m := vecSplit(len(s))
	if m > 0 {
		clampAffineAVX2(&s[0], m, a, b, lo, hi)
	}
	for i := m; i < len(s); i++ {
		s[i] = min(max(a*s[i]+b, lo), hi)
	}
}

// hardSwish sets s[i] = s[i] * min(max(a*s[i]+b, 0), 1).
func hardSwish(s []float32, a, b float32) {
	m := vecSplit(len(s))
	if m > 0 {
		hardSwishAVX2(&s[0], m, a, b)
	}
	for i := m; i < len(s); i++ {
		v := s[i]
		s[i] = v * min(max(a*v+b, 0), 1)
	}
}

// axpyTaps adds w[0]*in[i] + w[1]*in[i+dx] + ... to d[i] for every i: one row of a filter
// with dilation dx applied at unit stride. in must hold len(d) + (len(w)-1)*dx values.
func axpyTaps(d, in, w []float32, dx int) {
	n, k := len(d), len(w)
	if n == 0 || k == 0 {
		return
	}
	in = in[:n+(k-1)*dx]
	m := vecSplit(n)
	if m > 0 {
		axpyTapsAVX2(&d[0], m, &in[0], dx, &w[0], k)
	}
	for i := m; i < n; i++ {
		s := d[i]
		for t, wv := range w {
			s += wv * in[i+t*dx]
		}
		d[i] = s
	}
}

// arithVec sets d[i] = a[i] op b[i] for op BinaryAdd, BinarySub, BinaryMul or BinaryDiv, over
// the leading elements the assembly takes, and returns their count; the caller does the rest.
func arithVec(op int, d, a, b []float32) int {
	var code int
	switch op {
	case BinaryAdd:
		code = 0
	case BinarySub:
		code = 1
	case BinaryMul:
		code = 2
	case BinaryDiv:
		code = 3
	default:
		return 0
	}
	m := vecSplit(len(d))
	if m > 0 {
		a, b = a[:m], b[:m]
		arithAVX2(code, &d[0], &a[0], &b[0], m)
	}
	return m
}

// asFloat32 views a slice of a float type as []float32 when the type is 4 bytes wide (float32
// or a type defined on it), and returns nil otherwise; generic kernels use it to reach the
// float32 vector loops without converting to an interface, which would allocate.
func asFloat32[T ewFloat](s []T) ([]float32, bool) {
	var z T
	if unsafe.Sizeof(z) != 4 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), true
}

// fillF32 sets every element of s to v. After the first element it copies what is already
// filled, doubling each time, so the work is done by memmove's vector loop.
func fillF32(s []float32, v float32) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for k := 1; k < len(s); k *= 2 {
		copy(s[k:], s[:k])
	}
}

// sumF64 returns the sum of s accumulated in float64.
func sumF64(s []float32) float64 {
	m := vecSplit(len(s))
	var t float64
	if m > 0 {
		t = sumF64AVX2(&s[0], m)
	}
	for _, v := range s[m:] {
		t += float64(v)
	}
	return t
}

// sqDevF64 returns the sum of (s[i]-mean)^2 accumulated in float64.
func sqDevF64(s []float32, mean float64) float64 {
	m := vecSplit(len(s))
	var t float64
	if m > 0 {
		t = sqDevF64AVX2(&s[0], m, mean)
	}
	for _, v := range s[m:] {
		a := float64(v) - mean
		t += a * a
	}
	return t
}

// normRow sets d[i] = (s[i]-m)*iv*sc[i] + bs[i], or without bs when it is nil: one row of
// LayerNormalization. The assembly rounds as this loop does.
func normRow(d, s, sc, bs []float32, m, iv float32) {
	n := len(s)
	d, sc = d[:n], sc[:n]
	k := vecSplit(n)
	if bs != nil {
		bs = bs[:n]
	}
	if k > 0 {
		var bp *float32
		if bs != nil {
			bp = &bs[0]
		}
		normRowAVX2(&d[0], &s[0], &sc[0], bp, k, m, iv)
	}
	if bs != nil {
		for i := k; i < n; i++ {
			d[i] = float32((s[i]-m)*iv*sc[i]) + bs[i]
		}
		return
	}
	for i := k; i < n; i++ {
		d[i] = (s[i] - m) * iv * sc[i]
	}
}

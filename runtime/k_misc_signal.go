package runtime

import (
	"fmt"
	"math"
	"math/bits"
	"math/cmplx"
)

// DFTParams configures DFT (opset 20: dft_length and axis are inputs).
type DFTParams struct {
	Inverse  bool
	Onesided bool
}

// DFT is the discrete Fourier transform along one axis of a real ([..., 1]) or complex
// ([..., 2]) signal; inputs X, dft_length (optional) and axis (optional, default -2).
// Forward onesided keeps the first n/2+1 bins. Inverse onesided is the inverse real transform:
// the input holds the first bins of a Hermitian spectrum of length n (default 2*(bins-1)) and
// the output is the real signal [..., n, ..., 1].
func DFT(x *Exec, p *DFTParams, out, in []*Tensor) error {
	X := in[0]
	r := len(X.Shape)
	if r < 2 || (X.Shape[r-1] != 1 && X.Shape[r-1] != 2) {
		return fmt.Errorf("dft: input %v must end in 1 (real) or 2 (complex)", X.Shape)
	}
	axis := int64(-2)
	if t := atIn(in, 2); t != nil {
		v, err := msScalarInt(t)
		if err != nil {
			return fmt.Errorf("dft: axis: %w", err)
		}
		axis = v
	}
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r-1) {
		return fmt.Errorf("dft: axis %d out of range for input %v", axis, X.Shape)
	}
	ax := int(axis)
	L := X.Shape[ax]
	n := L
	if p.Inverse && p.Onesided {
		n = 2 * (L - 1)
	}
	if t := atIn(in, 1); t != nil {
		v, err := msScalarInt(t)
		if err != nil {
			return fmt.Errorf("dft: dft_length: %w", err)
		}
		n = int(v)
	}
	if n < 1 {
		return fmt.Errorf("dft: dft_length %d", n)
	}
	outLen, parts := n, 2
	switch {
	case p.Inverse && p.Onesided:
		parts = 1
	case p.Onesided:
		outLen = n/2 + 1
	}
	shape := append([]int{}, X.Shape...)
	shape[ax] = outLen
	shape[r-1] = parts
	outer := NumElems(X.Shape[:ax])
	inner := NumElems(X.Shape[ax+1 : r-1])
	cin := X.Shape[r-1]
	src := msFloats(x, X, 0)
	dst := make([]float64, NumElems(shape))
	buf := make([]complex128, n)
	var plan msFFTPlan
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			at := func(k int) complex128 {
				e := ((o*L+k)*inner + i) * cin
				if cin == 2 {
					return complex(src[e], src[e+1])
				}
				return complex(src[e], 0)
			}
			clear(buf)
			if p.Inverse && p.Onesided {
				// Rebuild the Hermitian spectrum from bins 0..n/2 (missing ones are zero); the
				// imaginary parts of the DC and (even n) Nyquist bins cannot be represented in a
				// real signal and are dropped, as numpy's irfft does.
				for k := 0; k <= n/2 && k < L; k++ {
					v := at(k)
					if k == 0 || 2*k == n {
						v = complex(real(v), 0)
					}
					buf[k] = v
					if k > 0 {
						buf[n-k] = cmplx.Conj(v)
					}
				}
			} else {
				for k := 0; k < min(n, L); k++ {
					buf[k] = at(k)
				}
			}
			plan.transform(buf, p.Inverse)
			for k := 0; k < outLen; k++ {
				e := ((o*outLen+k)*inner + i) * parts
				v := buf[k]
				if p.Inverse {
					v /= complex(float64(n), 0)
				}
				dst[e] = real(v)
				if parts == 2 {
					dst[e+1] = imag(v)
				}
			}
		}
	}
	return msStoreFloat(out[0], X.DType, dst, shape...)
}

// STFTParams configures STFT.
type STFTParams struct {
	Onesided bool
}

// STFT is the short-time Fourier transform: inputs signal [B, L, 1|2], frame_step, window
// (optional, [frame_length]) and frame_length (optional); output [B, frames, bins, 2] with
// frames = 1 + (L - frame_length) / frame_step and bins = frame_length/2+1 when onesided.
func STFT(x *Exec, p *STFTParams, out, in []*Tensor) error {
	X := in[0]
	if len(X.Shape) != 3 || (X.Shape[2] != 1 && X.Shape[2] != 2) {
		return fmt.Errorf("stft: signal %v, want [batch, length, 1 or 2]", X.Shape)
	}
	B, L, cin := X.Shape[0], X.Shape[1], X.Shape[2]
	step, err := msScalarInt(in[1])
	if err != nil || step <= 0 {
		return fmt.Errorf("stft: frame_step must be a positive scalar (%v)", err)
	}
	win := atIn(in, 2)
	fl := L
	if win != nil {
		if len(win.Shape) != 1 {
			return fmt.Errorf("stft: window %v is not 1D", win.Shape)
		}
		fl = win.Shape[0]
	}
	if t := atIn(in, 3); t != nil {
		v, err := msScalarInt(t)
		if err != nil {
			return fmt.Errorf("stft: frame_length: %w", err)
		}
		if win != nil && int(v) != fl {
			return fmt.Errorf("stft: frame_length %d with a window of %d", v, fl)
		}
		fl = int(v)
	}
	if fl < 1 || fl > L {
		return fmt.Errorf("stft: frame length %d for a signal of %d", fl, L)
	}
	frames := 1 + (L-fl)/int(step)
	bins := fl
	if p.Onesided {
		bins = fl/2 + 1
	}
	w := make([]float64, fl)
	if win != nil {
		copy(w, msFloats(x, win, 2))
	} else {
		for i := range w {
			w[i] = 1
		}
	}
	src := msFloats(x, X, 0)
	dst := make([]float64, B*frames*bins*2)
	buf := make([]complex128, fl)
	var plan msFFTPlan
	for b := 0; b < B; b++ {
		for f := 0; f < frames; f++ {
			for k := range buf {
				e := (b*L + f*int(step) + k) * cin
				v := complex(src[e], 0)
				if cin == 2 {
					v = complex(src[e], src[e+1])
				}
				buf[k] = v * complex(w[k], 0)
			}
			plan.transform(buf, false)
			o := (b*frames + f) * bins * 2
			for k := 0; k < bins; k++ {
				dst[o+2*k], dst[o+2*k+1] = real(buf[k]), imag(buf[k])
			}
		}
	}
	return msStoreFloat(out[0], X.DType, dst, B, frames, bins, 2)
}

// msFFTPlan computes unnormalized DFTs of any length: radix-2 for powers of two, Bluestein's
// chirp-z (three power-of-two FFTs) otherwise. It keeps the tables of the last length.
type msFFTPlan struct {
	n     int
	m     int          // Bluestein convolution length
	chirp []complex128 // exp(-i*pi*k*k/n)
	bhat  []complex128 // FFT of the conjugate chirp, wrapped
	work  []complex128
}

func (pl *msFFTPlan) transform(a []complex128, inverse bool) {
	n := len(a)
	if n <= 1 {
		return
	}
	if n&(n-1) == 0 {
		msFFT2(a, inverse)
		return
	}
	if inverse {
		// ifft(a) = conj(fft(conj(a))), unnormalized.
		for i := range a {
			a[i] = cmplx.Conj(a[i])
		}
		pl.transform(a, false)
		for i := range a {
			a[i] = cmplx.Conj(a[i])
		}
		return
	}
	if pl.n != n {
		pl.n = n
		pl.m = 1 << bits.Len(uint(2*n-1))
		pl.chirp = make([]complex128, n)
		for k := range pl.chirp {
			// k*k mod 2n keeps the angle small, so it stays exact for long signals.
			kk := (k * k) % (2 * n)
			pl.chirp[k] = cmplx.Exp(complex(0, -math.Pi*float64(kk)/float64(n)))
		}
		pl.bhat = make([]complex128, pl.m)
		pl.bhat[0] = cmplx.Conj(pl.chirp[0])
		for k := 1; k < n; k++ {
			c := cmplx.Conj(pl.chirp[k])
			pl.bhat[k], pl.bhat[pl.m-k] = c, c
		}
		msFFT2(pl.bhat, false)
		pl.work = make([]complex128, pl.m)
	}
	w := pl.work
	clear(w)
	for k := 0; k < n; k++ {
		w[k] = a[k] * pl.chirp[k]
	}
	msFFT2(w, false)
	for k := range w {
		w[k] *= pl.bhat[k]
	}
	msFFT2(w, true)
	scale := complex(1/float64(pl.m), 0)
	for k := 0; k < n; k++ {
		a[k] = w[k] * scale * pl.chirp[k]
	}
}

// msFFT2 is an in-place iterative radix-2 FFT (unnormalized) of a power-of-two length.
func msFFT2(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := sign * 2 * math.Pi / float64(size)
		for k := 0; k < half; k++ {
			s, c := math.Sincos(step * float64(k))
			w := complex(c, s)
			for start := 0; start < n; start += size {
				u, v := a[start+k], a[start+k+half]*w
				a[start+k], a[start+k+half] = u+v, u-v
			}
		}
	}
}

package runtime

// Convolutions with few output positions (ConvDot): squeeze-and-excitation 1x1 convs on a 1x1
// map, the convs of short 1-D signals such as an STFT over one window or a few. A GEMM there is
// all packing: its B panels are mostly padding and its weight panels are packed anew each call
// for a few columns of work. Instead each output channel is the dot product of its row of
// weights, read once, with every im2col column (built explicitly: they are few).

// ConvDotMaxOut is the most output positions per image and group for which the compiler picks
// ConvDot; the general Conv makes the same choice.
const ConvDotMaxOut = 8

// ConvDot is a float32 convolution with at most ConvDotMaxOut output positions: per output
// channel, dot products of the weights with the im2col columns.
func ConvDot(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	return cvStaticRun(x, cvAlgDot, p, out, in)
}

// dot computes the convolution into y (bias added, no activation) by dot products.
func (cd *cvConv) dot(x *Exec, xs, ws, bias, y []float32) {
	w := &cd.w
	cg := cd.c / cd.g
	ov, iv, kv := w.outVol(), w.inVol(), w.kVol()
	kk := cg * kv
	ncol := (ov + 3) &^ 3
	col := ScratchOf[float32](x, cvSlotDot, cd.n*cd.g*ncol*kk)
	D, H, W := w.in[0], w.in[1], w.in[2]
	for b := 0; b < cd.n*cd.g; b++ {
		src := xs[b*cg*iv : (b+1)*cg*iv]
		cols := col[b*ncol*kk : (b+1)*ncol*kk]
		clear(cols[ov*kk:])
		j := 0
		for oz := 0; oz < w.out[0]; oz++ {
			for oy := 0; oy < w.out[1]; oy++ {
				for ox := 0; ox < w.out[2]; ox++ {
					c := cols[j*kk : (j+1)*kk]
					p := 0
					for ch := 0; ch < cg; ch++ {
						for kz := 0; kz < w.k[0]; kz++ {
							iz := oz*w.s[0] + kz*w.d[0] - w.pb[0]
							for ky := 0; ky < w.k[1]; ky++ {
								iy := oy*w.s[1] + ky*w.d[1] - w.pb[1]
								inside := iz >= 0 && iz < D && iy >= 0 && iy < H
								row := ch*iv + (iz*H+iy)*W
								for kx := 0; kx < w.k[2]; kx++ {
									ix := ox*w.s[2] + kx*w.d[2] - w.pb[2]
									var v float32
									if inside && ix >= 0 && ix < W {
										v = src[row+ix]
									}
									c[p] = v
									p++
								}
							}
						}
					}
					j++
				}
			}
		}
	}
	parFor(gmPool(x), cd.n*cd.m, kk*ov*2, cvDotJob{cd: *cd, ws: ws, bias: bias, y: y, col: col, kk: kk, ov: ov, ncol: ncol})
}

// cvDotJob computes output channels lo..hi (image-major) from the im2col columns.
type cvDotJob struct {
	cd               cvConv
	ws, bias, y, col []float32
	kk, ov, ncol     int
}

func (j cvDotJob) run(lo, hi int) {
	cd, kk, ov := &j.cd, j.kk, j.ov
	mg := cd.m / cd.g
	var acc [4]float32
	var acc4 [16]float32
	for i := lo; i < hi; {
		n, m := i/cd.m, i%cd.m
		b := n*cd.g + m/mg
		cols := j.col[b*j.ncol*kk : (b+1)*j.ncol*kk]
		// Four output channels of one image and group share the columns' loads.
		if i+4 <= hi && m%mg+4 <= mg {
			done := true
			for j0 := 0; j0 < ov && done; j0 += 4 {
				nc := min(4, ov-j0)
				if nc == 3 {
					nc = 4 // the padding column is zero
				}
				if done = cvDotRows4(j.ws[m*kk:(m+4)*kk], kk, cols[j0*kk:(j0+nc)*kk], kk, nc, &acc4); done {
					for r := 0; r < 4; r++ {
						var bv float32
						if j.bias != nil {
							bv = j.bias[m+r]
						}
						out := j.y[(i+r)*ov : (i+r+1)*ov]
						for c := 0; c < min(4, ov-j0); c++ {
							out[j0+c] = bv + acc4[r*4+c]
						}
					}
				}
			}
			if done {
				i += 4
				continue
			}
		}
		wr := j.ws[m*kk : (m+1)*kk]
		var bv float32
		if j.bias != nil {
			bv = j.bias[m]
		}
		out := j.y[i*ov : (i+1)*ov]
		for j0 := 0; j0 < ov; j0 += 4 {
			nc := min(4, ov-j0)
			if nc == 3 {
				nc = 4
			}
			cvDotRow(wr, cols[j0*kk:(j0+nc)*kk], kk, nc, &acc)
			for c := 0; c < min(4, ov-j0); c++ {
				out[j0+c] = bv + acc[c]
			}
		}
		i++
	}
}

// cvDotRowGo adds to acc[c] the dot product of w with column c of cols (columns ldc apart)
// over elements k0 on, for c < nc.
func cvDotRowGo(w, cols []float32, ldc, nc, k0 int, acc *[4]float32) {
	for c := 0; c < nc; c++ {
		col := cols[c*ldc : c*ldc+len(w)]
		var s0, s1 float32
		i := k0
		for ; i+1 < len(w); i += 2 {
			s0 += w[i] * col[i]
			s1 += w[i+1] * col[i+1]
		}
		if i < len(w) {
			s0 += w[i] * col[i]
		}
		acc[c] += s0 + s1
	}
}

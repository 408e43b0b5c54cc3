package runtime

// Direct 3x3 convolution (ConvDirect), unit strides and dilations, one group: the common dense
// 3x3 conv of detection necks and stems, where im2col copies the input nine times over for a
// GEMM with few output channels. Instead, per block of up to four output rows, the input rows
// the block reads are copied once into a zero-padded buffer (every channel, rows of pw floats)
// and an assembly routine (AVX-512, k_conv_direct_amd64.s) takes two output channels and four
// rows per pass over the channels: 8 accumulators, 18 weights in registers, each input vector
// loaded once for every row and channel it feeds. Bias and the clamp-shaped activations are
// applied as the rows are stored. CPUs without AVX-512 (and purego builds) run the GEMM.

// ConvDirect is a float32 3x3 convolution with unit strides and dilations in one group, any
// padding: the direct kernel where the CPU has AVX-512, else the im2col GEMM.
func ConvDirect(x *Exec, p *ConvGeomParams, out, in []*Tensor) error {
	return cvStaticRun(x, cvAlgDirect, p, out, in)
}

// cvDirectFits reports whether the direct kernel computes a convolution.
func cvDirectFits(w *cvWin, g int) bool {
	return g == 1 && w.k == [3]int{1, 3, 3} && w.s == [3]int{1, 1, 1} && w.d == [3]int{1, 1, 1}
}

// direct computes the convolution into y: y = act(conv + z), z optional.
func (cd *cvConv) direct(x *Exec, xs, ws, bias, y, z []float32, act *activation) {
	w := &cd.w
	if !cvDirectHas() {
		cd.gemmAct(x, false, xs, ws, bias, y, z, act)
		return
	}
	da, post := dwActOf(act)
	if z != nil {
		da, post = dwActOf(&activation{})
	}
	OH, OW := w.out[1], w.out[2]
	pw := (OW+dwVec-1)/dwVec*dwVec + 3
	blocks := (OH + 3) / 4
	n, cost := cd.n*blocks, cd.m*cd.c*9*4*OW
	chunk := max(n, 1)
	if pool := gmPool(x); !pool.Serial(n, cost) {
		chunk = pool.chunk(n)
	}
	size := cd.c * 6 * pw
	buf := ScratchOf[float32](x, cvSlotDW, (n+chunk-1)/chunk*size)
	parFor(gmPool(x), n, cost, cvDirectJob{cd: *cd, xs: xs, ws: ws, bias: bias, y: y, buf: buf, pw: pw, size: size, chunk: chunk, blocks: blocks, da: da, act: *act, post: post})
	if z != nil {
		act.apply(x, y, z)
	}
}

// cvDirectJob computes row blocks lo..hi (image-major, four output rows each).
type cvDirectJob struct {
	cd                   cvConv
	xs, ws, bias, y, buf []float32
	pw, size, chunk      int
	blocks               int
	da                   dwAct
	act                  activation
	post                 bool
}

func (j cvDirectJob) run(lo, hi int) {
	cd, w, pw := &j.cd, &j.cd.w, j.pw
	H, W, OH, OW := w.in[1], w.in[2], w.out[1], w.out[2]
	iv, ov := w.inVol(), w.outVol()
	buf := chunkBuf(j.buf, j.size, j.chunk, lo, hi)
	clear(buf)
	cstride := 6 * pw
	// Input columns [0, W) sit at q = ix + pb: positions q0..q1 of each buffer row.
	q0, q1 := w.pb[2], min(W+w.pb[2], pw)
	var bias [2]float32
	for b := lo; b < hi; b++ {
		n, oy := b/j.blocks, b%j.blocks*4
		rows := min(4, OH-oy)
		x := j.xs[n*cd.c*iv : (n+1)*cd.c*iv]
		for c := 0; c < cd.c; c++ {
			plane := x[c*iv : (c+1)*iv]
			for i := 0; i < rows+2; i++ {
				row := buf[c*cstride+i*pw : c*cstride+(i+1)*pw]
				iy := oy + i - w.pb[1]
				if iy < 0 || iy >= H {
					clear(row)
					continue
				}
				copy(row[q0:q1], plane[iy*W:])
			}
		}
		for m := 0; m < cd.m; m += 2 {
			mb := min(2, cd.m-m)
			bias = [2]float32{}
			if j.bias != nil {
				copy(bias[:mb], j.bias[m:m+mb])
			}
			out := j.y[(n*cd.m+m)*ov+oy*OW:]
			cvDirectRows(rows, mb, out, ov, OW, OW, buf, cstride, pw, cd.c, j.ws[m*cd.c*9:], cd.c*9, &bias, &j.da)
			if j.post {
				for k := 0; k < mb; k++ {
					actRun(&j.act, out[k*ov:k*ov+rows*OW])
				}
			}
		}
	}
}

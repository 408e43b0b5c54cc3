package runtime

import "math"

// Float32 max and average pooling on the depthwise kernel's machinery (k_conv_dw.go): each
// plane is copied into a padded buffer split by column phase modulo the stride (padding -Inf
// for max, zero for average), so that every output row is a vector loop over the window's taps
// whatever the stride, dilation and padding: dwMaxRow for max, dwRow with weights for average
// (1/window size, or 1 and a per-output divisor where windows overlap the padding or the ceil
// mode's overhang). Global average pooling sums each plane in vectors.

// plRun32 pools float32 data: the vector loops where they apply, else plRun.
func plRun32(x *Exec, pl *plPool, xs, ys []float32, idx []int64) {
	switch {
	case pl.global && pl.mode == PoolAvg:
		iv := pl.w.inVol()
		parFor(gmPool(x), pl.planes, iv, plGlobalAvg32Job{xs: xs, ys: ys, iv: iv})
	case !pl.global && idx == nil && (pl.mode == PoolMax || pl.mode == PoolAvg):
		plFast(x, pl, xs, ys)
	default:
		plRun(x, pl, xs, ys, idx)
	}
}

type plGlobalAvg32Job struct {
	xs, ys []float32
	iv     int
}

func (j plGlobalAvg32Job) run(lo, hi int) {
	inv := 1 / float32(j.iv)
	for pi := lo; pi < hi; pi++ {
		j.ys[pi] = dwSum(j.xs[pi*j.iv:(pi+1)*j.iv]) * inv
	}
}

// plFast max- or average-pools float32 planes through the row loops.
func plFast(x *Exec, pl *plPool, xs, ys []float32) {
	w := &pl.w
	if pl.mode == PoolMax && plSeparable(w) {
		plMaxSep(x, pl, xs, ys)
		return
	}
	g := dwMakeGeom(w)
	kv := w.kVol()
	offs := x.Ints(kv)
	g.tapOffsets(offs)
	j := plFastJob{g: g, pl: *pl, xs: xs, ys: ys, offs: offs}
	if pl.mode == PoolAvg {
		// Taps weigh 1/window size when every window counts the whole window, else 1 and
		// each output is scaled by 1/count, the count being a product of one factor per dim.
		nw := kv + w.out[0] + w.out[1] + w.out[2]
		wts := arenaOf[float32](x, nw)
		j.wts, j.inv = wts[:kv], wts[kv:]
		uniform := true
		o := 0
		for d := 0; d < cvMaxSpatial; d++ {
			for i := 0; i < w.out[d]; i++ {
				lo, hi, padded := plRange(w, d, i)
				cnt := hi - lo
				if pl.countPad {
					cnt = padded
				}
				uniform = uniform && cnt == w.k[d]
				j.inv[o] = 1 / float32(cnt)
				o++
			}
		}
		wv := float32(1)
		if uniform {
			wv = 1 / float32(kv)
			j.inv = nil
		}
		for i := range j.wts {
			j.wts[i] = wv
		}
	}
	n, cost := pl.planes, w.outVol()*kv
	j.chunk = max(n, 1)
	if pool := gmPool(x); !pool.Serial(n, cost) {
		j.chunk = pool.chunk(n)
	}
	j.buf = ScratchOf[float32](x, cvSlotDW, (n+j.chunk-1)/j.chunk*g.size)
	parFor(gmPool(x), n, cost, j)
}

// plFastJob pools planes lo..hi with the chunk's own padded buffer. wts are the average's tap
// weights and inv, when set, its per-output factors: the depth's, then the rows', then the
// columns'.
type plFastJob struct {
	g           dwGeom
	pl          plPool
	xs, ys, buf []float32
	wts, inv    []float32
	offs        []int
	chunk       int
}

func (j plFastJob) run(lo, hi int) {
	g, w := &j.g, &j.g.w
	buf := chunkBuf(j.buf, g.size, j.chunk, lo, hi)
	isMax := j.pl.mode == PoolMax
	if isMax {
		fillF32(buf, float32(math.Inf(-1)))
	} else {
		clear(buf)
	}
	iv, ov := w.inVol(), w.outVol()
	OD, OH, OW := w.out[0], w.out[1], w.out[2]
	var invZ, invY, invX []float32
	if j.inv != nil {
		invZ, invY, invX = j.inv[:OD], j.inv[OD:OD+OH], j.inv[OD+OH:]
	}
	da := dwAct{a: 1, lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
	for pi := lo; pi < hi; pi++ {
		src := j.xs[pi*iv : (pi+1)*iv]
		g.fill(buf, src)
		out := j.ys[pi*ov : (pi+1)*ov]
		for oz := 0; oz < OD; oz++ {
			for oy := 0; oy < OH; oy++ {
				base := (oz*w.s[0]*g.ph + oy*w.s[1]) * g.pw
				row := out[(oz*OH+oy)*OW : (oz*OH+oy+1)*OW]
				if isMax {
					dwMaxRow(row, buf[base:], j.offs)
					// -Inf is an input's -Inf or a window of NaNs, which gives NaN: look again.
					for ox, v := range row {
						if math.IsInf(float64(v), -1) {
							row[ox], _ = plMaxAt(w, src, oz, oy, ox)
						}
					}
					continue
				}
				dwRow(row, buf[base:], j.offs, j.wts, &da)
				if invX != nil {
					f := invZ[oz] * invY[oy]
					for ox := range row {
						row[ox] *= f * invX[ox]
					}
				}
			}
		}
	}
}

// dwMaxRowGo is dwMaxRow in Go.
func dwMaxRowGo(dst, src []float32, offs []int) {
	fillF32(dst, float32(math.Inf(-1)))
	for _, o := range offs {
		s := src[o : o+len(dst)]
		for i, v := range s {
			if v > dst[i] {
				dst[i] = v
			}
		}
	}
}

// dwSumGo is dwSum in Go: four partial sums.
func dwSumGo(s []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+3 < len(s); i += 4 {
		q := s[i : i+4 : i+4]
		s0, s1, s2, s3 = s0+q[0], s1+q[1], s2+q[2], s3+q[3]
	}
	for ; i < len(s); i++ {
		s0 += s[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dwNegInfGo reports whether any element of s is -Inf.
func dwNegInfGo(s []float32) bool {
	for _, v := range s {
		if math.Float32bits(v) == 0xff800000 {
			return true
		}
	}
	return false
}

// plSepTaps is the most taps per dim the separable max pooling takes.
const plSepTaps = 16

// plSeparable reports whether max pooling over w goes by rows then columns (plMaxSep): windows
// of one depth, at most plSepTaps taps along each dim.
func plSeparable(w *cvWin) bool {
	return w.in[0] == 1 && w.k[0] == 1 && w.out[0] == 1 && w.k[1] <= plSepTaps && w.k[2] <= plSepTaps
}

// plSepGeom is a separable max pooling's row buffers: the column maxima of one output row, in
// a row of wp = sx*np floats padded with -Inf (pl of them on the left), and for a stride sx > 1
// the same row split by column phase, np floats per phase. The buffers have slack for loops
// over whole vectors: dwVec floats for the phases, 2*dwVec for the row that dwEvens reads.
type plSepGeom struct {
	wp, np int
}

func plSepGeomOf(w *cvWin) plSepGeom {
	sx := w.s[2]
	wp := max(w.pb[2]+w.in[2], (w.out[2]-1)*sx+(w.k[2]-1)*w.d[2]+1)
	wp = (wp + sx - 1) / sx * sx
	return plSepGeom{wp: wp, np: wp / sx}
}

func (g plSepGeom) size() int { return 2*g.wp + 3*dwVec }

// plMaxSep max-pools 2-D (or 1-D) float32 planes as two 1-D passes: each output row is the
// column-wise max of the window's input rows (rows in the padding are left out), then the max
// of the window's columns of that, with -Inf padding and the stride's column phases split out
// so the second pass is also a vector loop. Where the plane's result holds a -Inf (an input's
// -Inf, or a window of NaNs, which must give NaN) those outputs are taken again one by one.
func plMaxSep(x *Exec, pl *plPool, xs, ys []float32) {
	w := &pl.w
	g := plSepGeomOf(w)
	j := plMaxSepJob{w: *w, g: g, xs: xs, ys: ys}
	n, cost := pl.planes, w.outVol()*(w.k[1]+w.k[2])+w.inVol()
	j.chunk = max(n, 1)
	if pool := gmPool(x); !pool.Serial(n, cost) {
		j.chunk = pool.chunk(n)
	}
	j.buf = ScratchOf[float32](x, cvSlotDW, (n+j.chunk-1)/j.chunk*g.size())
	parFor(gmPool(x), n, cost, j)
}

type plMaxSepJob struct {
	w           cvWin
	g           plSepGeom
	xs, ys, buf []float32
	chunk       int
}

func (j plMaxSepJob) run(lo, hi int) {
	w, g := &j.w, j.g
	buf := chunkBuf(j.buf, g.size(), j.chunk, lo, hi)
	vp, ph := buf[:g.wp+2*dwVec], buf[g.wp+2*dwVec:]
	fillF32(vp, float32(math.Inf(-1)))
	H, W, OH, OW := w.in[1], w.in[2], w.out[1], w.out[2]
	sy, sx, dy, dx, pt, pl := w.s[1], w.s[2], w.d[1], w.d[2], w.pb[1], w.pb[2]
	iv, ov := H*W, OH*OW
	// The column taps' offsets: in vp at stride 1, else in the phase of column kx*dx.
	var hoffs, voffs [plSepTaps]int
	hsrc := vp
	for kx := 0; kx < w.k[2]; kx++ {
		c := kx * dx
		hoffs[kx] = c%sx*g.np + c/sx
	}
	if sx > 1 {
		hsrc = ph
	}
	interior := vp[pl : pl+W]
	// The 3x3 stride-2 window padded by one (ResNet's pooling after the stem) in one routine
	// per output row.
	three := w.k[1] == 3 && w.k[2] == 3 && sy == 2 && sx == 2 && dy == 1 && dx == 1 && pt == 1 && pl == 1
	for pi := lo; pi < hi; pi++ {
		// The plane's rows run on to the end of xs, the row loop reading whole vectors.
		src := j.xs[pi*iv:]
		out := j.ys[pi*ov : (pi+1)*ov]
		if three && plMax3Plane(out, src[:iv], H, W, OH, OW) {
			plMaxFixNegInf(w, j.xs[pi*iv:(pi+1)*iv], out, OW)
			continue
		}
		for oy := 0; oy < OH; oy++ {
			nv, iy0 := 0, -1
			for ky := 0; ky < w.k[1]; ky++ {
				iy := oy*sy - pt + ky*dy
				if iy < 0 || iy >= H {
					continue
				}
				if iy0 < 0 {
					iy0 = iy
				}
				voffs[nv] = (iy - iy0) * W
				nv++
			}
			if nv == 0 {
				fillF32(interior, float32(math.Inf(-1)))
			} else {
				plMaxRowIn(interior, src[iy0*W:], voffs[:nv])
			}
			switch sx {
			case 1:
			case 2:
				// Whole vectors, into the slack: phase 1 overwrites phase 0's overhang.
				r := (g.np + dwVec - 1) / dwVec * dwVec
				dwEvens(ph[:r], vp[:2*r])
				dwEvens(ph[g.np:g.np+r], vp[1:1+2*r])
			default:
				for p := 0; p < sx; p++ {
					d := ph[p*g.np : (p+1)*g.np]
					for q := range d {
						d[q] = vp[q*sx+p]
					}
				}
			}
			dwMaxRow(out[oy*OW:(oy+1)*OW], hsrc, hoffs[:w.k[2]])
		}
		plMaxFixNegInf(w, j.xs[pi*iv:(pi+1)*iv], out, OW)
	}
}

// plMaxFixNegInf recomputes the outputs of a plane that came out -Inf (a window of NaNs,
// -Infs or padding only) by the reference window loop, which gives NaN for a window of NaNs.
func plMaxFixNegInf(w *cvWin, plane, out []float32, OW int) {
	if dwNegInf(out) {
		for i, v := range out {
			if math.IsInf(float64(v), -1) {
				out[i], _ = plMaxAt(w, plane, 0, i/OW, i%OW)
			}
		}
	}
}

// plMax3Plane pools one plane with the 3x3 stride-2 routine (plMax3s2Row): each output row's
// window rows 2oy-1..2oy+1 that lie inside the plane, a missing one replaced by a present one
// (which leaves the maximum as it is). False when the CPU has no such routine.
func plMax3Plane(out, plane []float32, H, W, OH, OW int) bool {
	for oy := 0; oy < OH; oy++ {
		lo, hi := max(2*oy-1, 0), min(2*oy+1, H-1)
		row := out[oy*OW : (oy+1)*OW]
		if lo > hi {
			fillF32(row, float32(math.Inf(-1)))
			continue
		}
		mid := min(max(2*oy, lo), hi)
		if !plMax3s2Row(row, plane[lo*W:(lo+1)*W], plane[mid*W:(mid+1)*W], plane[hi*W:(hi+1)*W], W) {
			return false
		}
	}
	return true
}

// plMaxRowIn is dwMaxRow over src that may end before the vector loop's last whole vector:
// the tail past the last whole vector inside src is done in Go.
func plMaxRowIn(dst, src []float32, offs []int) {
	last := offs[len(offs)-1]
	if last+(len(dst)+dwVec-1)/dwVec*dwVec <= len(src) {
		dwMaxRow(dst, src, offs)
		return
	}
	k := len(dst) &^ (dwVec - 1)
	if k > 0 {
		dwMaxRow(dst[:k], src, offs)
	}
	for i := k; i < len(dst); i++ {
		m := float32(math.Inf(-1))
		for _, o := range offs {
			if v := src[o+i]; v > m {
				m = v
			}
		}
		dst[i] = m
	}
}

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

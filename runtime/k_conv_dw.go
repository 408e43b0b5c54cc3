package runtime

import "math"

// Depthwise convolution (one input channel per group): each output plane is a sum of the
// kernel's taps, each a weight times a shifted view of one input plane, so the kernel works on
// rows of output with one multiply-add per tap and element.
//
// The input plane is first copied into a padded buffer, zeros around it, so that every tap of
// every output row reads inside the buffer and no bounds are checked. Rows of the buffer are
// split by column phase modulo the horizontal stride sx: phase p holds padded columns p, p+sx,
// p+2sx, ..., so that output column ox of tap kx reads phase (kx*dx) % sx at position
// ox + (kx*dx)/sx, consecutive for consecutive outputs whatever the stride. Every stride and
// dilation then takes the same row loop: out[ox] = act(bias + sum_t w[t] * buf[off[t] + ox]),
// which runs in assembly where the CPU has AVX-512 or AVX2/FMA (dw_amd64.s), bias and the
// clamp-shaped activations (Relu, Clip, HardSigmoid, HardSwish) applied before the store.

// dwVec is the widest vector of the row loops, in float32s: rows of the padded buffer are long
// enough for the loops to read whole vectors past the last output.
const dwVec = 16

// dwGeom is a depthwise convolution's buffer layout: the padded buffer holds sx phases, each pd
// x ph rows of pw floats, and tap t reads it at offs[t] from the output row's base.
type dwGeom struct {
	w          cvWin
	sx         int
	pd, ph, pw int
	size       int // floats of the buffer
}

func dwMakeGeom(w *cvWin) dwGeom {
	g := dwGeom{w: *w, sx: w.s[2]}
	g.pd = (w.out[0]-1)*w.s[0] + (w.k[0]-1)*w.d[0] + 1
	g.ph = (w.out[1]-1)*w.s[1] + (w.k[1]-1)*w.d[1] + 1
	owr := (w.out[2] + dwVec - 1) / dwVec * dwVec
	g.pw = owr + (w.k[2]-1)*w.d[2]/g.sx + 1
	g.size = g.sx * g.pd * g.ph * g.pw
	return g
}

// dwEvensGo sets dst[i] = src[2*i].
func dwEvensGo(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:2*len(dst)-1]
	for i := range dst {
		dst[i] = src[2*i]
	}
}

// tapOffsets writes each tap's offset, taps in the weights' order (kz, ky, kx).
func (g *dwGeom) tapOffsets(offs []int) {
	w := &g.w
	t := 0
	for kz := 0; kz < w.k[0]; kz++ {
		for ky := 0; ky < w.k[1]; ky++ {
			for kx := 0; kx < w.k[2]; kx++ {
				c := kx * w.d[2]
				offs[t] = ((c%g.sx*g.pd+kz*w.d[0])*g.ph+ky*w.d[1])*g.pw + c/g.sx
				t++
			}
		}
	}
}

// fill copies input plane src into the buffer's interior; the padding positions are left as
// they are (zero: the caller clears the buffer once).
func (g *dwGeom) fill(buf, src []float32) {
	w := &g.w
	D, H, W := w.in[0], w.in[1], w.in[2]
	for p := 0; p < g.sx; p++ {
		// Positions q of phase p with input column q*sx + p - pb in [0, W).
		q0 := 0
		if d := w.pb[2] - p; d > 0 {
			q0 = (d + g.sx - 1) / g.sx
		}
		q1 := min(g.pw, (W-1+w.pb[2]-p)/g.sx+1)
		if W-1+w.pb[2]-p < 0 || q0 >= q1 {
			continue
		}
		ix0 := q0*g.sx + p - w.pb[2]
		for rz := 0; rz < g.pd; rz++ {
			iz := rz - w.pb[0]
			if iz < 0 || iz >= D {
				continue
			}
			for ry := 0; ry < g.ph; ry++ {
				iy := ry - w.pb[1]
				if iy < 0 || iy >= H {
					continue
				}
				row := src[(iz*H+iy)*W : (iz*H+iy+1)*W]
				o := ((p*g.pd+rz)*g.ph + ry) * g.pw
				dst := buf[o+q0 : o+q1]
				if g.sx == 1 {
					copy(dst, row[ix0:])
					continue
				}
				if g.sx == 2 {
					dwEvens(dst, row[ix0:])
					continue
				}
				in := row[ix0 : ix0+(len(dst)-1)*g.sx+1]
				for i := range dst {
					dst[i] = in[i*g.sx]
				}
			}
		}
	}
}

// dwAct is the row loops' bias and activation: out = t, or v*t when hswish is set, where v is
// bias plus the taps and t = min(max(a*v+b, lo), hi). Relu, Clip, HardSigmoid, HardSwish and
// no activation take this form; the others are applied after the row loop.
type dwAct struct {
	bias, a, b, lo, hi float32
	hswish             uint32
}

// dwActOf returns the row loops' form of act, and whether act must be applied after them.
func dwActOf(act *activation) (dwAct, bool) {
	inf := float32(math.Inf(1))
	d := dwAct{a: 1, lo: -inf, hi: inf}
	switch act.kind {
	case actNone:
	case actRelu:
		d.lo = 0
	case actClip:
		d.lo, d.hi = act.a, act.b
	case actHardSigmoid:
		d.a, d.b, d.lo, d.hi = act.a, act.b, 0, 1
	case actHardSwish:
		d.a, d.b, d.lo, d.hi, d.hswish = act.a, act.b, 0, 1, 1
	default:
		return d, true
	}
	return d, false
}

// dwRowGo is the row loop in Go: dst[i] = act(bias + sum_t w[t] * src[offs[t] + i]).
func dwRowGo(dst, src []float32, offs []int, w []float32, da *dwAct) {
	n := len(dst)
	fillF32(dst, da.bias)
	for t, o := range offs {
		wv := w[t]
		s := src[o : o+n]
		for i := range dst {
			dst[i] += wv * s[i]
		}
	}
	if da.a == 1 && da.b == 0 && math.IsInf(float64(da.lo), -1) && math.IsInf(float64(da.hi), 1) {
		return
	}
	for i, v := range dst {
		t := min(max(da.a*v+da.b, da.lo), da.hi)
		if da.hswish != 0 {
			t *= v
		}
		dst[i] = t
	}
}

// cvDepthwise computes a depthwise convolution (cd.c == cd.g; output channel m reads input
// channel m / (M/G)) into y: y = act(conv + z), z optional.
func cvDepthwise(x *Exec, cd *cvConv, xs, ws, bias, y, z []float32, act *activation) {
	g := dwMakeGeom(&cd.w)
	kv := cd.w.kVol()
	offs := x.Ints(kv)
	g.tapOffsets(offs)
	da, post := dwActOf(act)
	if z != nil {
		da, post = dwActOf(&activation{})
	}
	n, cost := cd.n*cd.m, cd.w.outVol()*kv*2
	chunk := max(n, 1)
	if pool := gmPool(x); !pool.Serial(n, cost) {
		chunk = pool.chunk(n)
	}
	buf := ScratchOf[float32](x, cvSlotDW, (n+chunk-1)/chunk*g.size)
	parFor(gmPool(x), n, cost, dwJob{g: g, cd: *cd, xs: xs, ws: ws, bias: bias, y: y, offs: offs, buf: buf, chunk: chunk, da: da, act: *act, post: post})
	if z != nil {
		act.apply(x, y, z)
	}
}

// dwJob computes output planes lo..hi (image-major) with the chunk's own padded buffer.
type dwJob struct {
	g                    dwGeom
	cd                   cvConv
	xs, ws, bias, y, buf []float32
	offs                 []int
	chunk                int
	da                   dwAct
	act                  activation
	post                 bool
}

func (j dwJob) run(lo, hi int) {
	g, cd, w := &j.g, &j.cd, &j.g.w
	buf := chunkBuf(j.buf, g.size, j.chunk, lo, hi)
	clear(buf)
	iv, ov, kv := w.inVol(), w.outVol(), w.kVol()
	mg := cd.m / cd.g
	OD, OH, OW := w.out[0], w.out[1], w.out[2]
	last := -1
	da := j.da
	// Square 3x3 and 5x5 2-D kernels without vertical dilation take several output rows per
	// call where the CPU has a routine for it (dwRows): each column offset kx's phase and shift.
	k := w.k[2]
	multi := w.k[0] == 1 && w.k[1] == k && (k == 3 || k == 5) && w.d[1] == 1 && (w.s[1] == 1 || w.s[1] == 2)
	var kofs [5]int
	if multi {
		for kx := 0; kx < k; kx++ {
			c := kx * w.d[2]
			kofs[kx] = c%g.sx*g.pd*g.ph*g.pw + c/g.sx
		}
	}
	for i := lo; i < hi; i++ {
		n, m := i/cd.m, i%cd.m
		if src := n*cd.c + m/mg; src != last {
			g.fill(buf, j.xs[src*iv:(src+1)*iv])
			last = src
		}
		da.bias = 0
		if j.bias != nil {
			da.bias = j.bias[m]
		}
		wt := j.ws[m*kv : (m+1)*kv]
		out := j.y[i*ov : (i+1)*ov]
		for oz := 0; oz < OD; oz++ {
			for oy := 0; oy < OH; {
				base := (oz*w.s[0]*g.ph + oy*w.s[1]) * g.pw
				rows := 1
				if multi {
					rows = min(OH-oy, 4)
					if rows == 1 || !dwRowsAsm(k, w.s[1], rows, out[(oz*OH+oy)*OW:], OW, OW, buf[base:], g.pw, kofs[:k], wt, &da) {
						rows = 1
					}
				}
				if rows == 1 {
					dwRow(out[(oz*OH+oy)*OW:(oz*OH+oy+1)*OW], buf[base:], j.offs, wt, &da)
				}
				if j.post {
					actRun(&j.act, out[(oz*OH+oy)*OW:(oz*OH+oy+rows)*OW])
				}
				oy += rows
			}
		}
	}
}

// chunkBuf returns the size floats of buf that belong to the parallel chunk lo..hi of a job cut
// into chunks of chunk indices (chunk k, starting at k*chunk, owns the k-th size floats; see
// Pool.chunk). A chunk off that grid would share another's buffer, so it panics instead.
func chunkBuf(buf []float32, size, chunk, lo, hi int) []float32 {
	if lo%chunk != 0 || hi-lo > chunk {
		panic("runtime: parallel chunk off the per-chunk scratch grid")
	}
	return buf[lo/chunk*size : (lo/chunk+1)*size]
}

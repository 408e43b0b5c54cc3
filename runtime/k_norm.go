package runtime

import (
	"fmt"
	"math"
	"unsafe"
)

// This file holds the normalization kernels: BatchNormalization, Group/InstanceNormalization,
// Layer/RMSNormalization, LpNormalization, MeanVarianceNormalization and LRN. They compute in
// the input's float type (float16/bfloat16 staged through float32) with statistics in float64.

// nmDispatch runs f on src and dst as float32 or float64 slices, staging float16 and bfloat16
// through float32 scratch.
func nmDispatch(x *Exec, src, dst *Tensor, f32 func([]float32, []float32) error, f64 func([]float64, []float64) error) error {
	switch src.DType {
	case Float32:
		return f32(Data[float32](src), Data[float32](dst))
	case Float64:
		return f64(Data[float64](src), Data[float64](dst))
	case Float16, BFloat16:
		d := ScratchOf[float32](x, rdSlotHalfOut, dst.Len())
		if err := f32(rdF32In(x, src, rdSlotHalfIn), d); err != nil {
			return err
		}
		rdF32Store(dst, d)
		return nil
	}
	return fmt.Errorf("%s input is not supported (want a float type)", src.DType)
}

// nmStoreF64 writes float64 values into a float tensor of any precision (already resized).
func nmStoreF64(t *Tensor, v []float64) {
	switch t.DType {
	case Float64:
		copy(Data[float64](t), v)
	case Float32:
		d := Data[float32](t)
		for i := range d {
			d[i] = float32(v[i])
		}
	case Float16:
		d := Data[F16](t)
		for i := range d {
			d[i] = ToF16(float32(v[i]))
		}
	case BFloat16:
		d := Data[BF16](t)
		for i := range d {
			d[i] = ToBF16(float32(v[i]))
		}
	}
}

// nmChannels checks that x is (N, C, ...) and returns N, C and the spatial size.
func nmChannels(shape []int) (n, c, s int, err error) {
	if len(shape) < 2 {
		return 0, 0, 0, fmt.Errorf("input of shape %v has no channel dim (want N x C x ...)", shape)
	}
	return shape[0], shape[1], NumElems(shape[2:]), nil
}

// nmVecN is rdVec that also checks the length.
func nmVecN[T rdFloat](x *Exec, t *Tensor, slot, n int, what string) ([]T, error) {
	if t == nil {
		return nil, fmt.Errorf("missing %s", what)
	}
	if t.Len() != n {
		return nil, fmt.Errorf("%s has shape %v, want %d elements", what, t.Shape, n)
	}
	return rdVec[T](x, t, slot)
}

// BatchNormParams configures BatchNorm.
type BatchNormParams struct {
	Epsilon  float64
	Momentum float64
	// Training normalizes with the batch's own statistics and fills the running-mean and
	// running-variance outputs; otherwise the given mean and variance are used.
	Training bool
}

// BatchNorm computes BatchNormalization over (N, C, ...) inputs.
func BatchNorm(x *Exec, p *BatchNormParams, out, in []*Tensor) error {
	src := in[0]
	N, C, S, err := nmChannels(src.Shape)
	if err != nil {
		return err
	}
	if len(in) < 5 {
		return fmt.Errorf("BatchNormalization needs 5 inputs, got %d", len(in))
	}
	scale, err := nmVecN[float64](x, in[1], rdSlotVec, C, "scale")
	if err != nil {
		return err
	}
	bias, err := nmVecN[float64](x, in[2], rdSlotVec2, C, "bias")
	if err != nil {
		return err
	}
	mean, err := nmVecN[float64](x, in[3], rdSlotVec3, C, "mean")
	if err != nil {
		return err
	}
	vr, err := nmVecN[float64](x, in[4], rdSlotVec4, C, "variance")
	if err != nil {
		return err
	}
	dst := out[0]
	dst.Resize(src.DType, src.Shape...)
	bn := nmBatch{x: x, p: p, N: N, C: C, S: S, scale: scale, bias: bias, mean: mean, vr: vr, out: out, in: in}
	return nmDispatch(x, src, dst,
		func(s, d []float32) error { nmBatchRun(&bn, s, d); return nil },
		func(s, d []float64) error { nmBatchRun(&bn, s, d); return nil })
}

// nmBatch is BatchNorm's state, shared by its float32 and float64 instantiations.
type nmBatch struct {
	x                     *Exec
	p                     *BatchNormParams
	N, C, S               int
	scale, bias, mean, vr []float64
	out, in               []*Tensor
}

func nmBatchRun[T rdFloat](bn *nmBatch, src, dst []T) {
	x, p, C := bn.x, bn.p, bn.C
	mean, vr := bn.mean, bn.vr
	if p.Training {
		bm := ScratchOf[float64](x, rdSlotAcc, C)
		bv := ScratchOf[float64](x, rdSlotAcc2, C)
		nmChannelStats(src, bn.N, C, bn.S, bm, bv)
		// The running statistics blend the given ones with the batch's (population) ones.
		for i, o := range bn.out[1:min(len(bn.out), 3)] {
			if o == nil {
				continue
			}
			given, batch := mean, bm
			if i == 1 {
				given, batch = vr, bv
			}
			o.Resize(bn.in[3+i].DType, C)
			run := ScratchOf[float64](x, rdSlotGather, C)
			for c := range run {
				run[c] = given[c]*p.Momentum + batch[c]*(1-p.Momentum)
			}
			nmStoreF64(o, run)
		}
		mean, vr = bm, bv
	}
	a := ScratchOf[float64](x, rdSlotStat, C)
	b := ScratchOf[float64](x, rdSlotStat2, C)
	for c := 0; c < C; c++ {
		a[c] = bn.scale[c] / math.Sqrt(vr[c]+p.Epsilon)
		b[c] = bn.bias[c] - mean[c]*a[c]
	}
	nmAffine(x, src, dst, bn.N, C, bn.S, a, b)
}

// nmChannelStats computes each channel's mean and population variance over N and space.
func nmChannelStats[T rdFloat](src []T, N, C, S int, mean, vr []float64) {
	cnt := float64(N * S)
	for c := 0; c < C; c++ {
		s := 0.0
		for n := 0; n < N; n++ {
			s += float64(rdSumRow[T, float64](src[(n*C+c)*S:(n*C+c+1)*S], 0))
		}
		m := s / cnt
		q := 0.0
		for n := 0; n < N; n++ {
			for _, v := range src[(n*C+c)*S : (n*C+c+1)*S] {
				d := float64(v) - m
				q += d * d
			}
		}
		mean[c], vr[c] = m, q/cnt
	}
}

// nmAffine computes y = x*a[c] + b[c] over (N, C, S).
func nmAffine[T rdFloat](x *Exec, src, dst []T, N, C, S int, a, b []float64) {
	parFor(x.Pool, N*C, S, nmAffineJob[T]{src: src, dst: dst, C: C, S: S, a: a, b: b})
}

type nmAffineJob[T rdFloat] struct {
	src, dst []T
	C, S     int
	a, b     []float64
}

func (j nmAffineJob[T]) run(lo, hi int) {
	C, S := j.C, j.S
	for nc := lo; nc < hi; nc++ {
		c := nc % C
		av, bv := T(j.a[c]), T(j.b[c])
		d := j.dst[nc*S : (nc+1)*S]
		for i, v := range j.src[nc*S : (nc+1)*S] {
			d[i] = v*av + bv
		}
	}
}

// GroupNormParams configures GroupNorm.
type GroupNormParams struct {
	// Groups is the number of channel groups; 0 means one per channel (InstanceNormalization).
	Groups  int
	Epsilon float64
}

// GroupNorm computes GroupNormalization (opset 21: per-channel scale and bias) and
// InstanceNormalization (one group per channel) over (N, C, ...) inputs.
func GroupNorm(x *Exec, p *GroupNormParams, out, in []*Tensor) error {
	src := in[0]
	N, C, S, err := nmChannels(src.Shape)
	if err != nil {
		return err
	}
	G := p.Groups
	if G == 0 {
		G = C
	}
	if G <= 0 || C%G != 0 {
		return fmt.Errorf("%d channels do not split into %d groups", C, G)
	}
	dst := out[0]
	dst.Resize(src.DType, src.Shape...)
	if dst.Len() == 0 {
		return nil
	}
	f32 := func(s, d []float32) error {
		scale, err := nmVecN[float32](x, in[1], rdSlotVec, C, "scale")
		if err != nil {
			return err
		}
		bias, err := nmVecN[float32](x, in[2], rdSlotVec2, C, "bias")
		if err != nil {
			return err
		}
		nmGroup(x, s, d, N, C, S, G, scale, bias, p.Epsilon)
		return nil
	}
	f64 := func(s, d []float64) error {
		scale, err := nmVecN[float64](x, in[1], rdSlotVec, C, "scale")
		if err != nil {
			return err
		}
		bias, err := nmVecN[float64](x, in[2], rdSlotVec2, C, "bias")
		if err != nil {
			return err
		}
		nmGroup(x, s, d, N, C, S, G, scale, bias, p.Epsilon)
		return nil
	}
	return nmDispatch(x, src, dst, f32, f64)
}

// nmMeanVar is a contiguous block's mean and population variance, in two passes for accuracy.
func nmMeanVar[T rdFloat](v []T) (mean, vr float64) {
	if len(v) == 0 {
		return 0, 0
	}
	mean = float64(rdSumRow[T, float64](v, 0)) / float64(len(v))
	var q0, q1 float64
	i := 0
	for ; i+2 <= len(v); i += 2 {
		a, b := float64(v[i])-mean, float64(v[i+1])-mean
		q0 += a * a
		q1 += b * b
	}
	if i < len(v) {
		a := float64(v[i]) - mean
		q0 += a * a
	}
	return mean, (q0 + q1) / float64(len(v))
}

func nmGroup[T rdFloat](x *Exec, src, dst []T, N, C, S, G int, scale, bias []T, eps float64) {
	cpg := C / G
	parFor(x.Pool, N*G, 4*cpg*S, nmGroupJob[T]{src: src, dst: dst, scale: scale, bias: bias, S: S, G: G, cpg: cpg, eps: eps})
}

type nmGroupJob[T rdFloat] struct {
	src, dst, scale, bias []T
	S, G, cpg             int
	eps                   float64
}

func (jb nmGroupJob[T]) run(lo, hi int) {
	src, dst, scale, bias, S, G, cpg, eps := jb.src, jb.dst, jb.scale, jb.bias, jb.S, jb.G, jb.cpg, jb.eps
	blk := cpg * S
	for ng := lo; ng < hi; ng++ {
		mean, vr := nmMeanVar(src[ng*blk : (ng+1)*blk])
		inv := 1 / math.Sqrt(vr+eps)
		c0 := (ng % G) * cpg
		for j := 0; j < cpg; j++ {
			a := T(inv * float64(scale[c0+j]))
			b := bias[c0+j] - T(mean)*a
			off := ng*blk + j*S
			d := dst[off : off+S]
			for i, v := range src[off : off+S] {
				d[i] = v*a + b
			}
		}
	}
}

// LayerNormParams configures LayerNorm.
type LayerNormParams struct {
	Axis    int
	Epsilon float64
	// RMS skips the mean subtraction (RMSNormalization), which has no bias and no extra outputs.
	RMS bool
	// StatType is the element type of the optional Mean and InvStdDev outputs.
	StatType DType
}

// LayerNorm computes LayerNormalization and RMSNormalization: each row over the dims from Axis
// on is normalized, then scaled and shifted by Scale and B broadcast to those dims. The
// optional outputs Mean and InvStdDev have the input's shape with those dims set to 1.
func LayerNorm(x *Exec, p *LayerNormParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	rank := len(src.Shape)
	axis, err := rdAxis(int64(p.Axis), max(rank, 1))
	if err != nil {
		return err
	}
	if rank == 0 {
		axis = 0
	}
	rows, cols := NumElems(src.Shape[:axis]), NumElems(src.Shape[axis:])
	dst := out[0]
	dst.Resize(src.DType, src.Shape...)
	var stats [2]*Tensor
	statShape := x.Ints(rank)
	copy(statShape, src.Shape)
	for i := axis; i < rank; i++ {
		statShape[i] = 1
	}
	for i := range stats {
		if len(out) > i+1 && out[i+1] != nil {
			stats[i] = out[i+1]
			dt := p.StatType
			if dt == Undefined {
				dt = Float32
			}
			stats[i].Resize(dt, statShape...)
		}
	}
	mean := ScratchOf[float64](x, rdSlotStat, rows)
	inv := ScratchOf[float64](x, rdSlotStat2, rows)
	var bias *Tensor
	if len(in) > 2 {
		bias = in[2]
	}
	norm := src.Shape[axis:]
	f32 := func(s, d []float32) error {
		sc, bs, err := nmScaleBias[float32](x, in[1], bias, norm)
		if err != nil {
			return err
		}
		nmLayer(x, s, d, rows, cols, sc, bs, p, mean, inv)
		return nil
	}
	f64 := func(s, d []float64) error {
		sc, bs, err := nmScaleBias[float64](x, in[1], bias, norm)
		if err != nil {
			return err
		}
		nmLayer(x, s, d, rows, cols, sc, bs, p, mean, inv)
		return nil
	}
	if err := nmDispatch(x, src, dst, f32, f64); err != nil {
		return err
	}
	if stats[0] != nil {
		nmStoreF64(stats[0], mean)
	}
	if stats[1] != nil {
		nmStoreF64(stats[1], inv)
	}
	return nil
}

// nmScaleBias returns scale and bias (nil when absent) expanded to the normalized shape.
func nmScaleBias[T rdFloat](x *Exec, scale, bias *Tensor, norm []int) (sc, bs []T, err error) {
	if scale == nil {
		return nil, nil, fmt.Errorf("missing scale")
	}
	if sc, err = nmExpand[T](x, scale, norm, rdSlotVec, rdSlotVec3); err != nil {
		return nil, nil, fmt.Errorf("scale: %w", err)
	}
	if bias != nil {
		if bs, err = nmExpand[T](x, bias, norm, rdSlotVec2, rdSlotVec4); err != nil {
			return nil, nil, fmt.Errorf("bias: %w", err)
		}
	}
	return sc, bs, nil
}

// nmExpand returns t broadcast to shape as a contiguous []T (t's own data when it already has
// that many elements).
func nmExpand[T rdFloat](x *Exec, t *Tensor, shape []int, slot, slot2 int) ([]T, error) {
	n := NumElems(shape)
	v, err := rdVec[T](x, t, slot)
	if err != nil || t.Len() == n {
		return v, err
	}
	ts := t.Shape
	for len(ts) > len(shape) && ts[0] == 1 {
		ts = ts[1:]
	}
	if len(ts) > len(shape) {
		return nil, fmt.Errorf("shape %v does not broadcast to %v", t.Shape, shape)
	}
	for i, d := range ts {
		if o := shape[len(shape)-len(ts)+i]; d != o && d != 1 {
			return nil, fmt.Errorf("shape %v does not broadcast to %v", t.Shape, shape)
		}
	}
	e := ScratchOf[T](x, slot2, n)
	st := x.Ints(len(shape))
	broadcastStridesInto(st, ts, shape)
	it := strided(x, shape, st)
	pos := 0
	for it.Next() {
		s, st := it.Off[0], it.InnerStride[0]
		for k := 0; k < it.Inner; k++ {
			e[pos] = v[s]
			s += st
			pos++
		}
	}
	return e, nil
}

func nmLayer[T rdFloat](x *Exec, src, dst []T, rows, cols int, sc, bs []T, p *LayerNormParams, mean, inv []float64) {
	parFor(x.Pool, rows, 4*cols, nmLayerJob[T]{src: src, dst: dst, sc: sc, bs: bs, cols: cols, p: p, mean: mean, inv: inv})
}

type nmLayerJob[T rdFloat] struct {
	src, dst, sc, bs []T
	cols             int
	p                *LayerNormParams
	mean, inv        []float64
}

func (j nmLayerJob[T]) run(lo, hi int) {
	src, dst, sc, bs, cols, p, mean, inv := j.src, j.dst, j.sc, j.bs, j.cols, j.p, j.mean, j.inv
	if s32 := asF32(src); s32 != nil {
		nmLayerRowsF32(s32, asF32(dst), asF32(sc), asF32(bs), cols, p, mean, inv, lo, hi)
		return
	}
	for r := lo; r < hi; r++ {
		row := src[r*cols : (r+1)*cols]
		d := dst[r*cols : (r+1)*cols]
		var m, vr float64
		if p.RMS {
			vr = float64(rdSumRow[T, float64](row, 2)) / float64(cols)
		} else {
			m, vr = nmMeanVar(row)
		}
		iv := 1 / math.Sqrt(vr+p.Epsilon)
		mean[r], inv[r] = m, iv
		mt, it := T(m), T(iv)
		if bs != nil {
			for i, v := range row {
				d[i] = (v-mt)*it*sc[i] + bs[i]
			}
		} else {
			for i, v := range row {
				d[i] = (v - mt) * it * sc[i]
			}
		}
	}
}

// nmLayerRowsF32 is nmLayerJob's loop for float32, on the vector loops of simd.go; it computes
// the same statistics in float64 and the same float32 expression per element.
func nmLayerRowsF32(src, dst, sc, bs []float32, cols int, p *LayerNormParams, mean, inv []float64, lo, hi int) {
	for r := lo; r < hi; r++ {
		row := src[r*cols : (r+1)*cols]
		var m, vr float64
		if cols > 0 {
			if !p.RMS {
				m = sumF64(row) / float64(cols)
			}
			vr = sqDevF64(row, m) / float64(cols)
		}
		iv := 1 / math.Sqrt(vr+p.Epsilon)
		mean[r], inv[r] = m, iv
		normRow(dst[r*cols:(r+1)*cols], row, sc, bs, float32(m), float32(iv))
	}
}

// asF32 returns s as a []float32 when T's underlying type is float32, and nil otherwise.
func asF32[T rdFloat](s []T) []float32 {
	var z T
	if unsafe.Sizeof(z) != 4 || len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

// LpNormParams configures LpNorm.
type LpNormParams struct {
	Axis int
	P    int
}

// LpNorm computes LpNormalization: x divided by its L1 or L2 norm along an axis; a zero norm
// gives 0.
func LpNorm(x *Exec, p *LpNormParams, out, in []*Tensor) error {
	src := in[0]
	if p.P != 1 && p.P != 2 {
		return fmt.Errorf("p = %d, want 1 or 2", p.P)
	}
	dst := out[0]
	l, empty, err := rdAlongAxis(src, dst, int64(p.Axis))
	if err != nil || empty {
		return err
	}
	return nmDispatch(x, src, dst,
		func(s, d []float32) error { nmLp(x, s, d, l, p.P); return nil },
		func(s, d []float64) error { nmLp(x, s, d, l, p.P); return nil })
}

func nmLp[T rdFloat](x *Exec, src, dst []T, l rdLayout, pw int) {
	norms := ScratchOf[float64](x, rdSlotAcc, l.Outer*l.Inner)
	lay := rdLayout{Outer: l.Outer, R: l.R, Inner: l.Inner}
	rdSum(x, src, norms, lay, pw)
	if pw == 2 {
		for i, v := range norms {
			norms[i] = math.Sqrt(v)
		}
	}
	parFor(x.Pool, l.Outer, l.R*l.Inner, nmLpJob[T]{src: src, dst: dst, norms: norms, R: l.R, inner: l.Inner})
}

type nmLpJob[T rdFloat] struct {
	src, dst []T
	norms    []float64
	R, inner int
}

func (j nmLpJob[T]) run(lo, hi int) {
	src, dst, norms, R, inner := j.src, j.dst, j.norms, j.R, j.inner
	for o := lo; o < hi; o++ {
		nv := norms[o*inner : (o+1)*inner]
		for r := 0; r < R; r++ {
			off := (o*R + r) * inner
			d := dst[off : off+inner]
			for k, v := range src[off : off+inner] {
				if nv[k] == 0 {
					d[k] = 0
				} else {
					d[k] = T(float64(v) / nv[k])
				}
			}
		}
	}
}

// MVNParams configures MeanVarianceNorm.
type MVNParams struct {
	Axes []int64
}

// MeanVarianceNorm computes MeanVarianceNormalization: (x - mean) / (std + 1e-9), with mean and
// population standard deviation taken over Axes.
func MeanVarianceNorm(x *Exec, p *MVNParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	src := in[0]
	red, err := rdAxesMask(x, len(src.Shape), p.Axes, false)
	if err != nil {
		return err
	}
	dst := out[0]
	dst.Resize(src.DType, src.Shape...)
	if dst.Len() == 0 {
		return nil
	}
	statShape := rdOutShape(x, src.Shape, red, true)
	nstat := NumElems(statShape)
	sum := ScratchOf[float64](x, rdSlotStat, nstat)
	sq := ScratchOf[float64](x, rdSlotStat2, nstat)
	cnt := float64(dst.Len() / nstat)
	sstr := x.Ints(len(src.Shape))
	broadcastStridesInto(sstr, statShape, src.Shape)
	return nmDispatch(x, src, dst,
		func(s, d []float32) error { nmMVN(x, s, d, src.Shape, sstr, sum, sq, cnt); return nil },
		func(s, d []float64) error { nmMVN(x, s, d, src.Shape, sstr, sum, sq, cnt); return nil })
}

// nmMVN walks the input row by row with, for each row, the offset of its statistics (stride 0
// along reduced dims), in three passes: sums, squared deviations, output.
func nmMVN[T rdFloat](x *Exec, src, dst []T, shape, sstr []int, sum, sq []float64, cnt float64) {
	clear(sum)
	clear(sq)
	for pass := 0; pass < 3; pass++ {
		it := strided(x, shape, sstr)
		pos := 0
		for it.Next() {
			j, st := it.Off[0], it.InnerStride[0]
			row := src[pos : pos+it.Inner]
			switch pass {
			case 0:
				for _, v := range row {
					sum[j] += float64(v)
					j += st
				}
			case 1:
				for _, v := range row {
					dv := float64(v) - sum[j]
					sq[j] += dv * dv
					j += st
				}
			default:
				d := dst[pos : pos+it.Inner]
				for k, v := range row {
					d[k] = T((float64(v) - sum[j]) * sq[j])
					j += st
				}
			}
			pos += it.Inner
		}
		switch pass {
		case 0:
			for i := range sum {
				sum[i] /= cnt
			}
		case 1:
			for i := range sq {
				sq[i] = 1 / (math.Sqrt(sq[i]/cnt) + 1e-9)
			}
		}
	}
}

// LRNParams configures LRN.
type LRNParams struct {
	Size              int
	Alpha, Beta, Bias float64
}

// LRN computes local response normalization across channels: x / (bias + alpha/size *
// sum of x^2 over the size channels around c)^beta.
func LRN(x *Exec, p *LRNParams, out, in []*Tensor) error {
	src := in[0]
	N, C, S, err := nmChannels(src.Shape)
	if err != nil {
		return err
	}
	if p.Size <= 0 {
		return fmt.Errorf("size %d must be positive", p.Size)
	}
	dst := out[0]
	dst.Resize(src.DType, src.Shape...)
	if dst.Len() == 0 {
		return nil
	}
	return nmDispatch(x, src, dst,
		func(s, d []float32) error { nmLRN(x, s, d, N, C, S, p); return nil },
		func(s, d []float64) error { nmLRN(x, s, d, N, C, S, p); return nil })
}

func nmLRN[T rdFloat](x *Exec, src, dst []T, N, C, S int, p *LRNParams) {
	parFor(x.Pool, N*C, S*(p.Size+8), nmLRNJob[T]{src: src, dst: dst, C: C, S: S, p: p})
}

type nmLRNJob[T rdFloat] struct {
	src, dst []T
	C, S     int
	p        *LRNParams
}

func (j nmLRNJob[T]) run(a, b int) {
	src, dst, C, S, p := j.src, j.dst, j.C, j.S, j.p
	lo, hi := (p.Size-1)/2, p.Size/2 // channels before and after c in the window
	k := p.Alpha / float64(p.Size)
	for nc := a; nc < b; nc++ {
		n, c := nc/C, nc%C
		d := dst[nc*S : (nc+1)*S]
		clear(d)
		// Sum the window's squares into the output row, then turn it into the result.
		for cc := max(0, c-lo); cc <= min(C-1, c+hi); cc++ {
			for i, v := range src[(n*C+cc)*S : (n*C+cc+1)*S] {
				d[i] += v * v
			}
		}
		for i, v := range src[nc*S : (nc+1)*S] {
			d[i] = T(float64(v) / math.Pow(p.Bias+k*float64(d[i]), p.Beta))
		}
	}
}

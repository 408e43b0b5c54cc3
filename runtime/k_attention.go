package runtime

import (
	"fmt"
	"math"
)

// AttentionParams configures Attention (ONNX opset 23/24 semantics).
type AttentionParams struct {
	IsCausal bool
	// QNumHeads and KVNumHeads are the head counts of 3D inputs, whose last dim packs the heads
	// (0 for 4D inputs, where the heads are a dimension of their own).
	QNumHeads, KVNumHeads int
	// Scale multiplies Q·Kᵀ; 0 means 1/sqrt(head size).
	Scale float64
	// Softcap, when > 0, maps scores s to Softcap*tanh(s/Softcap) before the mask is added.
	Softcap float64
	// QKMode says what output 3 holds: 0 the scaled product, 1 that after softcap, 2 that plus
	// the mask (attn_mask, causal and padding), 3 the softmax.
	QKMode int
}

// Scratch slots of the attention kernels (below gemmSlotBase, which the GEMM driver uses).
const (
	atSlotQ = iota
	atSlotK
	atSlotV
	atSlotScores
	atSlotMask
	atSlotY
	atSlotQK
	atSlotAux
	atSlotAux2 // atGather uses atSlotAux and the one after it
)

// atGeom is the geometry of one Attention call. Element (b, h, s, d) of Q is at
// b*qB + h*qH + s*qS + d (3D inputs interleave the heads within a row); the same for Y. K and V
// are first gathered, after their past, into present layout [B, Hkv, T, D].
type atGeom struct {
	B, Hq, Hkv, Sq, Sk, P, T, D, Dv int
	three                           bool
	qB, qH, qS                      int
	yB, yH, yS                      int
	// mask: its four (left-padded) dims' strides, 0 where broadcast, and its last dim, which
	// may be shorter than T (the rest counts as masked out).
	hasMask        bool
	mB, mH, mQ, mK int
}

// Attention computes scaled dot-product attention with optional mask, KV cache (past_key and
// past_value in, present_key and present_value out), causal masking, grouped-query heads,
// softcap and per-batch key padding (nonpad_kv_seqlen). Inputs: Q, K, V, attn_mask, past_key,
// past_value, nonpad_kv_seqlen; outputs: Y, present_key, present_value, qk_matmul_output.
//
// A query row whose keys are all masked out gets zero attention weights (so a zero output row)
// rather than the NaN a literal softmax of all -inf would give.
func Attention(x *Exec, p *AttentionParams, out, in []*Tensor) error {
	g, err := atGeometry(p, in)
	if err != nil {
		return err
	}
	switch in[0].DType {
	case Float64:
		return atRun[float64](x, p, &g, out, in)
	case Float32, Float16, BFloat16:
		return atRun[float32](x, p, &g, out, in)
	}
	return fmt.Errorf("attention of %s is not supported", in[0].DType)
}

func atIn(in []*Tensor, i int) *Tensor {
	if i < len(in) && in[i] != nil && !in[i].None {
		return in[i]
	}
	return nil
}

func atGeometry(p *AttentionParams, in []*Tensor) (atGeom, error) {
	var g atGeom
	if len(in) < 3 || in[0] == nil || in[1] == nil || in[2] == nil {
		return g, fmt.Errorf("attention needs Q, K and V")
	}
	Q, K, V := in[0], in[1], in[2]
	r := len(Q.Shape)
	if len(K.Shape) != r || len(V.Shape) != r || (r != 3 && r != 4) {
		return g, fmt.Errorf("attention: Q, K, V must all be 3D or all 4D, got %v, %v, %v", Q.Shape, K.Shape, V.Shape)
	}
	if K.DType != Q.DType || V.DType != Q.DType {
		return g, fmt.Errorf("attention: Q, K, V types differ (%s, %s, %s)", Q.DType, K.DType, V.DType)
	}
	g.B = Q.Shape[0]
	if r == 4 {
		g.Hq, g.Sq, g.D = Q.Shape[1], Q.Shape[2], Q.Shape[3]
		g.Hkv, g.Sk = K.Shape[1], K.Shape[2]
		if K.Shape[3] != g.D || V.Shape[1] != g.Hkv || V.Shape[2] != g.Sk {
			return g, fmt.Errorf("attention: Q %v, K %v, V %v do not fit", Q.Shape, K.Shape, V.Shape)
		}
		g.Dv = V.Shape[3]
		g.qS, g.qH, g.qB = g.D, g.Sq*g.D, g.Hq*g.Sq*g.D
		g.yS, g.yH, g.yB = g.Dv, g.Sq*g.Dv, g.Hq*g.Sq*g.Dv
	} else {
		g.three = true
		g.Hq, g.Hkv = p.QNumHeads, p.KVNumHeads
		if g.Hq <= 0 || g.Hkv <= 0 {
			return g, fmt.Errorf("attention: 3D inputs need q_num_heads and kv_num_heads")
		}
		if Q.Shape[2]%g.Hq != 0 || K.Shape[2]%g.Hkv != 0 || V.Shape[2]%g.Hkv != 0 {
			return g, fmt.Errorf("attention: hidden sizes %d, %d, %d do not split into %d and %d heads", Q.Shape[2], K.Shape[2], V.Shape[2], g.Hq, g.Hkv)
		}
		g.Sq, g.D = Q.Shape[1], Q.Shape[2]/g.Hq
		g.Sk = K.Shape[1]
		g.Dv = V.Shape[2] / g.Hkv
		if K.Shape[2]/g.Hkv != g.D || V.Shape[1] != g.Sk {
			return g, fmt.Errorf("attention: Q %v, K %v, V %v do not fit", Q.Shape, K.Shape, V.Shape)
		}
		g.qS, g.qH, g.qB = g.Hq*g.D, g.D, g.Sq*g.Hq*g.D
		g.yS, g.yH, g.yB = g.Hq*g.Dv, g.Dv, g.Sq*g.Hq*g.Dv
	}
	if K.Shape[0] != g.B || V.Shape[0] != g.B {
		return g, fmt.Errorf("attention: batch sizes of Q %v, K %v, V %v differ", Q.Shape, K.Shape, V.Shape)
	}
	if g.Hkv == 0 || g.Hq%g.Hkv != 0 {
		return g, fmt.Errorf("attention: %d query heads do not group over %d key/value heads", g.Hq, g.Hkv)
	}
	pk, pv := atIn(in, 4), atIn(in, 5)
	if (pk == nil) != (pv == nil) {
		return g, fmt.Errorf("attention: past_key and past_value must be given together")
	}
	if pk != nil {
		if len(pk.Shape) != 4 || len(pv.Shape) != 4 || pk.Shape[0] != g.B || pk.Shape[1] != g.Hkv || pk.Shape[3] != g.D ||
			pv.Shape[0] != g.B || pv.Shape[1] != g.Hkv || pv.Shape[2] != pk.Shape[2] || pv.Shape[3] != g.Dv {
			return g, fmt.Errorf("attention: past_key %v and past_value %v do not fit K %v and V %v", pk.Shape, pv.Shape, K.Shape, V.Shape)
		}
		if pk.DType != Q.DType || pv.DType != Q.DType {
			return g, fmt.Errorf("attention: past_key/past_value type differs from Q's %s", Q.DType)
		}
		g.P = pk.Shape[2]
	}
	g.T = g.P + g.Sk
	if m := atIn(in, 3); m != nil {
		if m.DType != Bool && m.DType != Q.DType {
			return g, fmt.Errorf("attention: attn_mask of %s with inputs of %s", m.DType, Q.DType)
		}
		ms := m.Shape
		if len(ms) > 4 || len(ms) < 1 {
			return g, fmt.Errorf("attention: attn_mask of rank %d", len(ms))
		}
		dims := [4]int{1, 1, 1, 1}
		copy(dims[4-len(ms):], ms)
		want := [3]int{g.B, g.Hq, g.Sq}
		for i, w := range want {
			if dims[i] != 1 && dims[i] != w {
				return g, fmt.Errorf("attention: attn_mask %v does not broadcast to [%d %d %d %d]", ms, g.B, g.Hq, g.Sq, g.T)
			}
		}
		if dims[3] > g.T {
			return g, fmt.Errorf("attention: attn_mask %v is longer than the %d keys", ms, g.T)
		}
		g.hasMask = true
		g.mK = dims[3]
		st := [3]int{dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3]}
		for i := range st {
			if dims[i] == 1 {
				st[i] = 0
			}
		}
		g.mB, g.mH, g.mQ = st[0], st[1], st[2]
	}
	if np := atIn(in, 6); np != nil {
		if np.Len() != g.B || (np.DType != Int64 && np.DType != Int32) {
			return g, fmt.Errorf("attention: nonpad_kv_seqlen must be %d int64 values, got %s%v", g.B, np.DType, np.Shape)
		}
	}
	return g, nil
}

// atLoad returns t's elements as []T: its own data when it already holds T, else a converted
// copy in scratch slot.
func atLoad[T float32 | float64](x *Exec, t *Tensor, slot int) []T {
	var z T
	if _, f32 := any(z).(float32); (f32 && t.DType == Float32) || (!f32 && t.DType == Float64) {
		return Data[T](t)
	}
	d := ScratchOf[T](x, slot, t.Len())
	switch t.DType {
	case Float32:
		for i, v := range Data[float32](t) {
			d[i] = T(v)
		}
	case Float64:
		for i, v := range Data[float64](t) {
			d[i] = T(v)
		}
	case Float16:
		for i, v := range Data[F16](t) {
			d[i] = T(v.Float32())
		}
	case BFloat16:
		for i, v := range Data[BF16](t) {
			d[i] = T(v.Float32())
		}
	}
	return d
}

// atStore rounds src into t (already resized); nothing to do when atOut handed out t's own data.
func atStore[T float32 | float64](t *Tensor, src []T) {
	switch t.DType {
	case Float32:
		d := Data[float32](t)
		if len(d) > 0 && len(src) > 0 && any(&d[0]) == any(&src[0]) {
			return
		}
		for i := range d {
			d[i] = float32(src[i])
		}
	case Float64:
		d := Data[float64](t)
		if len(d) > 0 && len(src) > 0 && any(&d[0]) == any(&src[0]) {
			return
		}
		for i := range d {
			d[i] = float64(src[i])
		}
	case Float16:
		d := Data[F16](t)
		for i := range d {
			d[i] = ToF16(float32(src[i]))
		}
	case BFloat16:
		d := Data[BF16](t)
		for i := range d {
			d[i] = ToBF16(float32(src[i]))
		}
	}
}

// atOut resizes t (when present) and returns a []T of n elements to compute into: t's own data
// when t holds T, else scratch (then atStore copies it over).
func atOut[T float32 | float64](x *Exec, t *Tensor, dt DType, slot, n int, shape ...int) []T {
	if t != nil {
		t.Resize(dt, shape...)
		var z T
		if _, f32 := any(z).(float32); (f32 && dt == Float32) || (!f32 && dt == Float64) {
			return Data[T](t)[:n:n]
		}
	}
	if n == 0 {
		return nil
	}
	return ScratchOf[T](x, slot, n)
}

func atRun[T float32 | float64](x *Exec, p *AttentionParams, g *atGeom, out, in []*Tensor) error {
	dt := in[0].DType
	var presK, presV, qkOut *Tensor
	if len(out) > 1 {
		presK = out[1]
	}
	if len(out) > 2 {
		presV = out[2]
	}
	if len(out) > 3 && p.QKMode >= 0 {
		qkOut = out[3]
	}
	nK, nV := g.B*g.Hkv*g.T*g.D, g.B*g.Hkv*g.T*g.Dv
	kall := atOut[T](x, presK, dt, atSlotK, nK, g.B, g.Hkv, g.T, g.D)
	vall := atOut[T](x, presV, dt, atSlotV, nV, g.B, g.Hkv, g.T, g.Dv)
	nY := g.B * g.Hq * g.Sq * g.Dv
	var y []T
	if g.three {
		y = atOut[T](x, out[0], dt, atSlotY, nY, g.B, g.Sq, g.Hq*g.Dv)
	} else {
		y = atOut[T](x, out[0], dt, atSlotY, nY, g.B, g.Hq, g.Sq, g.Dv)
	}
	nS := g.B * g.Hq * g.Sq * g.T
	var qk []T
	if qkOut != nil {
		qk = atOut[T](x, qkOut, dt, atSlotQK, nS, g.B, g.Hq, g.Sq, g.T)
	}

	// Gather past and new keys/values into present layout [B, Hkv, T, D].
	atGather(x, kall, g, g.D, atIn(in, 4), in[1], atSlotAux)
	atGather(x, vall, g, g.Dv, atIn(in, 5), in[2], atSlotAux)
	if presK != nil {
		atStore(presK, kall)
	}
	if presV != nil {
		atStore(presV, vall)
	}
	if nY == 0 {
		return nil
	}
	if nS == 0 {
		// No keys at all: every row is fully masked, so it gets zero weights and output.
		clear(y)
		atStore(out[0], y)
		return nil
	}

	q := atLoad[T](x, in[0], atSlotQ)
	scores := ScratchOf[T](x, atSlotScores, nS)
	scale := p.Scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(g.D))
	}
	grp := g.Hq / g.Hkv
	// scores[b, h] = scale * Q[b, h] · K[b, h/grp]ᵀ; the batch index bh = b*Hq + h reaches head
	// h/grp of batch b in [B, Hkv, T, D] as ((bh/grp) % Hkv, bh/Hq).
	qv := atBatchView(g.qH, g.Hq, 1, g.qB, g.B, g.Hq)
	qv.rs, qv.cs = g.qS, 1
	kv := atBatchView(g.T*g.D, g.Hkv, grp, g.Hkv*g.T*g.D, g.B, g.Hq)
	kv.rs, kv.cs = 1, g.D
	sv := gemmView(nil, g.T, 1, g.Sq*g.T)
	atGemm(x, g.B*g.Hq, g.Sq, g.T, g.D, T(scale), q, qv, kall, kv, scores, sv)

	var mask []T
	if g.hasMask {
		m := in[3]
		if m.DType == Bool {
			mask = ScratchOf[T](x, atSlotMask, m.Len())
			inf := T(math.Inf(-1))
			for i, v := range Data[bool](m) {
				if v {
					mask[i] = 0
				} else {
					mask[i] = inf
				}
			}
		} else {
			mask = atLoad[T](x, m, atSlotMask)
		}
	}
	var nonpad []int64
	if t := atIn(in, 6); t != nil {
		nonpad = make([]int64, g.B)
		if t.DType == Int64 {
			copy(nonpad, Data[int64](t))
		} else {
			for i, v := range Data[int32](t) {
				nonpad[i] = int64(v)
			}
		}
	}
	rows := g.B * g.Hq * g.Sq
	x.Pool.For(rows, 16*g.T, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			atRow(p, g, r, scores[r*g.T:(r+1)*g.T], qk, mask, nonpad)
		}
	})
	if qk != nil {
		atStore(qkOut, qk)
	}

	// Y[b, h] = weights[b, h] · V[b, h/grp].
	wv := gemmView(nil, g.T, 1, g.Sq*g.T)
	vv := atBatchView(g.T*g.Dv, g.Hkv, grp, g.Hkv*g.T*g.Dv, g.B, g.Hq)
	vv.rs, vv.cs = g.Dv, 1
	yv := atBatchView(g.yH, g.Hq, 1, g.yB, g.B, g.Hq)
	yv.rs, yv.cs = g.yS, 1
	atGemm(x, g.B*g.Hq, g.Sq, g.Dv, g.T, 1, scores, wv, vall, vv, y, yv)
	atStore(out[0], y)
	return nil
}

// atBatchView describes an operand whose batch bh (= b*Hq + h) sits at
// ((bh/hdiv) % hn)*hs + ((bh/bdiv) % bn)*bs.
func atBatchView(hs, hn, hdiv, bs, bn, bdiv int) gemmMat {
	m := gemmMat{nb: 2}
	m.bdiv[0], m.bdim[0], m.bstr[0] = hdiv, hn, hs
	m.bdiv[1], m.bdim[1], m.bstr[1] = bdiv, bn, bs
	return m
}

// atGemm computes C[bh] = alpha * A[bh] · B[bh] for every batch: on the float32 GEMM for
// float32, with plain loops for float64.
func atGemm[T float32 | float64](x *Exec, batches, m, n, k int, alpha T, a []T, av gemmMat, b []T, bv gemmMat, c []T, cv gemmMat) {
	if af, ok := any(a).([]float32); ok {
		av.data, bv.data, cv.data = af, any(b).([]float32), any(c).([]float32)
		j := sgemmJob{m: m, n: n, k: k, batches: batches, alpha: float32(alpha), a: av, b: bv, c: cv}
		j.run(x)
		return
	}
	for bh := 0; bh < batches; bh++ {
		co := cv.off(bh)
		gemmGeneric(m, n, k, a[av.off(bh):], av.rs, av.cs, b[bv.off(bh):], bv.rs, bv.cs, c[co:], cv.rs, false)
		if alpha != 1 {
			for i := 0; i < m; i++ {
				row := c[co+i*cv.rs : co+i*cv.rs+n]
				for j := range row {
					row[j] *= alpha
				}
			}
		}
	}
}

// atGather writes past (if any) then cur, for every batch and head, into dst of layout
// [B, Hkv, T, d]; cur is 4D [B, Hkv, Sk, d] or 3D [B, Sk, Hkv*d].
func atGather[T float32 | float64](x *Exec, dst []T, g *atGeom, d int, past, cur *Tensor, slot int) {
	var pd []T
	if past != nil {
		pd = atLoad[T](x, past, slot)
	}
	cd := atLoad[T](x, cur, slot+1)
	for b := 0; b < g.B; b++ {
		for h := 0; h < g.Hkv; h++ {
			o := (b*g.Hkv + h) * g.T * d
			if g.P > 0 {
				po := (b*g.Hkv + h) * g.P * d
				copy(dst[o:o+g.P*d], pd[po:po+g.P*d])
			}
			o += g.P * d
			if !g.three {
				co := (b*g.Hkv + h) * g.Sk * d
				copy(dst[o:o+g.Sk*d], cd[co:co+g.Sk*d])
				continue
			}
			for s := 0; s < g.Sk; s++ {
				co := (b*g.Sk+s)*g.Hkv*d + h*d
				copy(dst[o+s*d:o+(s+1)*d], cd[co:co+d])
			}
		}
	}
}

// atRow turns row r (batch b, head h, query i) of scaled scores into attention weights:
// softcap, mask (attn_mask, causal, padding), softmax, keeping the stage QKMode asks for.
func atRow[T float32 | float64](p *AttentionParams, g *atGeom, r int, s, qk []T, mask []T, nonpad []int64) {
	i := r % g.Sq
	bh := r / g.Sq
	b, h := bh/g.Hq, bh%g.Hq
	keep := func(stage int) {
		if qk != nil && p.QKMode == stage {
			copy(qk[r*g.T:(r+1)*g.T], s)
		}
	}
	keep(0)
	if c := p.Softcap; c > 0 {
		for j, v := range s {
			s[j] = T(c * math.Tanh(float64(v)/c))
		}
	}
	keep(1)
	inf := T(math.Inf(-1))
	if g.hasMask {
		mo := b*g.mB + h*g.mH + i*g.mQ
		for j, v := range mask[mo : mo+g.mK] {
			s[j] += v
		}
		for j := g.mK; j < g.T; j++ {
			s[j] = inf
		}
	}
	if p.IsCausal {
		// Bottom-right aligned: query i may see keys up to i + offset, the number of keys
		// before this block of queries.
		off := g.P
		if g.P == 0 && nonpad != nil {
			off = int(nonpad[b]) - g.Sq
		}
		for j := max(i+off+1, 0); j < g.T; j++ {
			s[j] = inf
		}
	}
	if nonpad != nil {
		for j := max(int(nonpad[b]), 0); j < g.T; j++ {
			s[j] = inf
		}
	}
	keep(2)
	m := s[0]
	for _, v := range s {
		if v > m || v != v {
			m = v
		}
	}
	if math.IsInf(float64(m), -1) {
		clear(s)
	} else {
		sum := 0.0
		for j, v := range s {
			e := math.Exp(float64(v - m))
			s[j] = T(e)
			sum += e
		}
		inv := 1 / sum
		for j, v := range s {
			s[j] = T(float64(v) * inv)
		}
	}
	keep(3)
}

package cuda

import (
	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

func init() {
	register(lowered.MatMul, mmGen(specMatMul))
	register(lowered.MatMulPackedB, mmGen(specMatMulPackedB))
	register(lowered.Gemm, mmGen(specGemm))
	register(lowered.MatMulStrided, mmGen(specMatMulStrided))
}

// mmGen makes a generator of a function that describes a kernel as a matrix product (nil:
// not one this backend takes).
func mmGen(spec func(k *lowered.Kernel, t Target) *mmSpec) Generator {
	return func(k *lowered.Kernel, t Target) (*Kernel, bool, error) {
		s := spec(k, t)
		// Batches go in grid.z, M tiles in grid.y, both at most 65535.
		if s == nil || s.batch > 65535 || s.grid()[1] > 65535 {
			return nil, false, nil
		}
		return s.kernel(t), true, nil
	}
}

// staticF32 returns the dims of operands that are all present, float32 and of static shape;
// ok is false otherwise (the kernel then stays on the CPU path).
func staticF32(ops ...lowered.Operand) (dims [][]int, ok bool) {
	for _, o := range ops {
		if o.Value == nil || o.DType != runtime.Float32 || !o.Static() {
			return nil, false
		}
		d := make([]int, len(o.Dims))
		for i, x := range o.Dims {
			d[i] = int(x.N)
		}
		dims = append(dims, d)
	}
	return dims, true
}

// present reports whether optional input i is given.
func present(k *lowered.Kernel, i int) bool { return i < len(k.In) && k.In[i].Value != nil }

func numel(d []int) int {
	n := 1
	for _, x := range d {
		n *= x
	}
	return n
}

// rowMajor is the offset of (i, j) in a matrix of row length ld, or its transpose's.
func rowMajor(ld int, trans bool) func(b, i, j ptx.Expr) ptx.Expr {
	return func(b, i, j ptx.Expr) ptx.Expr {
		if trans {
			i, j = j, i
		}
		return ptx.Add(ptx.Mul(i, ptx.C(ld)), j)
	}
}

// batchOffset is the offset, in matrices, of batch b (an index into the batch dims out) in an
// operand whose batch dims in broadcast to out (aligned at the right, size 1 broadcast).
func batchOffset(b ptx.Expr, out, in []int) ptx.Expr {
	off, stride := ptx.C(0), 1
	rest := b
	for d := len(out) - 1; d >= 0; d-- {
		idx := ptx.Rem(rest, ptx.C(out[d]))
		rest = ptx.Div(rest, ptx.C(out[d]))
		if di := d - (len(out) - len(in)); di >= 0 && in[di] != 1 {
			off = ptx.Add(off, ptx.Mul(idx, ptx.C(stride)))
			stride *= in[di]
		}
	}
	return off
}

// specMatMul: numpy-style batched matrix product, batch dims broadcast.
func specMatMul(k *lowered.Kernel, t Target) *mmSpec {
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok || len(d[0]) == 0 || len(d[1]) == 0 {
		return nil
	}
	a, b := d[0], d[1]
	if len(a) == 1 {
		a = []int{1, a[0]}
	}
	if len(b) == 1 {
		b = []int{b[0], 1}
	}
	m, kk, n := a[len(a)-2], a[len(a)-1], b[len(b)-1]
	ab, bb := a[:len(a)-2], b[:len(b)-2]
	out := ab
	if len(bb) > len(ab) {
		out = bb
	}
	out = append([]int(nil), out...)
	for i := range out {
		x, y := dimAt(ab, len(out), i), dimAt(bb, len(out), i)
		out[i] = max(x, y)
		if x != y && x != 1 && y != 1 {
			return nil
		}
	}
	s := &mmSpec{batch: numel(out), m: m, n: n, k: kk, alpha: 1, tf32: t.TF32, inA: 0, inB: 1, entryName: entryName(k.Entry, variant(t))}
	s.a.off = func(bi, i, j ptx.Expr) ptx.Expr {
		return ptx.Add(ptx.Mul(batchOffset(bi, out, ab), ptx.C(m*kk)), rowMajor(kk, false)(bi, i, j))
	}
	s.b.off = func(bi, i, j ptx.Expr) ptx.Expr {
		return ptx.Add(ptx.Mul(batchOffset(bi, out, bb), ptx.C(kk*n)), rowMajor(n, false)(bi, i, j))
	}
	s.y = func(bi, i, j ptx.Expr) ptx.Expr {
		return ptx.Add(ptx.Mul(bi, ptx.C(m*n)), rowMajor(n, false)(bi, i, j))
	}
	return s
}

// dimAt is batch dim i of dims aligned at the right to rank r (1 where dims is shorter).
func dimAt(dims []int, r, i int) int {
	if j := i - (r - len(dims)); j >= 0 {
		return dims[j]
	}
	return 1
}

func variant(t Target) string {
	if t.TF32 {
		return "tf32"
	}
	return "f32"
}

// specMatMulPackedB: every row of A times the constant K x N matrix (input 1, read row-major
// rather than in the CPU's packed form), plus the bias.
func specMatMulPackedB(k *lowered.Kernel, t Target) *mmSpec {
	p := k.Params.(*runtime.MatMulPackedParams)
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok || len(d[0]) == 0 || numel(d[1]) != p.K*p.N {
		return nil
	}
	m := numel(d[0]) / p.K
	s := &mmSpec{batch: 1, m: m, n: p.N, k: p.K, alpha: 1, tf32: t.TF32, inA: 0, inB: 1, entryName: entryName(k.Entry, variant(t))}
	s.a.off, s.b.off, s.y = rowMajor(p.K, false), rowMajor(p.N, false), rowMajor(p.N, false)
	if p.Bias {
		if _, ok := staticF32(k.In[2]); !ok {
			return nil
		}
		s.bias, s.inBias = &mmOperand{off: func(b, i, j ptx.Expr) ptx.Expr { return j }}, 2
	}
	return s
}

// specGemm: alpha*op(A)*op(B) + beta*C (C broadcast to M x N), then the activation.
func specGemm(k *lowered.Kernel, t Target) *mmSpec {
	p := k.Params.(*runtime.GemmParams)
	d, ok := staticF32(k.In[0], k.In[1], k.Out[0])
	if !ok || len(d[0]) != 2 || len(d[1]) != 2 {
		return nil
	}
	m, kk := d[0][0], d[0][1]
	if p.TransA {
		m, kk = kk, m
	}
	n := d[1][1]
	if p.TransB {
		n = d[1][0]
	}
	s := &mmSpec{batch: 1, m: m, n: n, k: kk, alpha: float32(p.Alpha), tf32: t.TF32, inA: 0, inB: 1,
		act: p.Activation, actA: p.ActAlpha, actB: p.ActBeta, entryName: entryName(k.Entry, variant(t))}
	s.a.off, s.b.off, s.y = rowMajor(d[0][1], p.TransA), rowMajor(d[1][1], p.TransB), rowMajor(n, false)
	if present(k, 2) && p.Beta != 0 {
		cd, ok := staticF32(k.In[2])
		if !ok || len(cd[0]) > 2 {
			return nil
		}
		c := cd[0]
		// C's strides: a dim of size 1 (or missing) broadcasts.
		rs, cs := 0, 0
		if len(c) >= 1 && c[len(c)-1] != 1 {
			cs = 1
		}
		if len(c) == 2 && c[0] != 1 {
			rs = c[1]
		}
		s.c, s.inC, s.beta = &mmOperand{off: func(b, i, j ptx.Expr) ptx.Expr {
			return ptx.Add(ptx.Mul(i, ptx.C(rs)), ptx.Mul(j, ptx.C(cs)))
		}}, 2, float32(p.Beta)
	}
	return s
}

// specMatMulStrided: the product of strided views of the inputs, the result stored permuted
// (runtime.MatMulStridedParams): offsets are the views' own, resolved at compile time.
func specMatMulStrided(k *lowered.Kernel, t Target) *mmSpec {
	p := k.Params.(*runtime.MatMulStridedParams)
	if _, ok := staticF32(k.In[0], k.In[1], k.Out[0]); !ok || p.ASteps != nil || p.BSteps != nil {
		// Views resolved when the kernel runs stay on the CPU path.
		return nil
	}
	ys, err := runtime.MatMulStridedShape(p)
	if err != nil {
		return nil
	}
	// The lower-rank view takes leading dims of 1, as the CPU kernel does.
	as, ast, bs, bst := p.AShape, p.AStrides, p.BShape, p.BStrides
	for len(as) < len(bs) {
		as, ast = append([]int{1}, as...), append([]int{0}, ast...)
	}
	for len(bs) < len(as) {
		bs, bst = append([]int{1}, bs...), append([]int{0}, bst...)
	}
	r := len(as)
	ls := make([]int, r) // the logical result's dims
	for j, d := range p.YPerm {
		ls[d] = ys[j]
	}
	yst := make([]int, r) // each logical dim's stride in the output
	st := 1
	for j := r - 1; j >= 0; j-- {
		yst[p.YPerm[j]] = st
		st *= ys[j]
	}
	batch := ls[:r-2]
	// view is the offset of (b, i, j) in a view of offset off, shape sh, strides str: b
	// indexes the logical batch dims, a dim of 1 in sh broadcast.
	view := func(off int, sh, str []int) func(b, i, j ptx.Expr) ptx.Expr {
		return func(b, i, j ptx.Expr) ptx.Expr {
			o := ptx.Add(ptx.C(off), ptx.Add(ptx.Mul(i, ptx.C(str[r-2])), ptx.Mul(j, ptx.C(str[r-1]))))
			rest := b
			for d := r - 3; d >= 0; d-- {
				idx := ptx.Rem(rest, ptx.C(batch[d]))
				rest = ptx.Div(rest, ptx.C(batch[d]))
				if sh[d] != 1 {
					o = ptx.Add(o, ptx.Mul(idx, ptx.C(str[d])))
				}
			}
			return o
		}
	}
	m, kk, n := as[r-2], as[r-1], bs[r-1]
	s := &mmSpec{batch: numel(batch), m: m, n: n, k: kk, alpha: p.Alpha, tf32: t.TF32, inA: 0, inB: 1, entryName: entryName(k.Entry, variant(t))}
	s.a.off = view(p.AOff, as, ast)
	s.b.off = view(p.BOff, bs, bst)
	s.y = view(0, ls, yst)
	return s
}

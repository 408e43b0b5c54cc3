package cuda

import (
	"fmt"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/runtime"
)

// The tiled matrix product that MatMul, MatMulPackedB, Gemm and every convolution entry
// (as an implicit GEMM) share. A block of mmThreads threads computes an mmBM x mmBN tile of
// one batch's Y = A*B (grid: N tiles, M tiles, batches); the K dimension goes in steps of mmBK
// through shared memory. Operands are described by offset functions of (batch, row, column),
// so the same loop serves transposed, broadcast and im2col operands: the weights are read in
// their plain row-major form (the GPU wants no prepacked layout; the CPU's packed copy is not
// uploaded). With Target.TF32 the tile products are tensor-core mma.sync.m16n8k8 TF32
// instructions; without it exact float32 FMAs.
const (
	mmBM, mmBN, mmBK = 64, 64, 16
	mmThreads        = 256
	// mmPad is a shared tile's row length: 8 more than the tile, so that the fragment loads
	// of the tensor-core path fall in 32 different banks.
	mmPad = mmBM + 8
)

// mmOperand locates element (b, i, j) of an operand of batch b: its offset in the buffer and a
// condition for elements that are zero padding (nil: none).
type mmOperand struct {
	off func(b, i, j ptx.Expr) ptx.Expr
	pad func(b, i, j ptx.Expr) ptx.Cond
}

// mmSpec is one matrix product with its epilogue: Y = act(alpha*A*B + bias + beta*C + Z).
type mmSpec struct {
	batch, m, n, k int
	a, b           mmOperand // A: (b, m, k); B: (b, k, n)
	y              func(b, m, n ptx.Expr) ptx.Expr
	alpha          float32
	// bias, c and z are optional (nil) operands read at (b, m, n); c is scaled by beta, z is
	// at y's offset.
	bias, c   *mmOperand
	beta      float32
	z         bool
	act       runtime.Act
	actA      float32
	actB      float32
	tf32      bool
	inA, inB  int // kernel inputs of A and B
	inBias    int
	inC, inZ  int
	outY      int
	entryName string
}

// mmGrid is the launch geometry of s.
func (s *mmSpec) grid() [3]int {
	return [3]int{(s.n + mmBN - 1) / mmBN, (s.m + mmBM - 1) / mmBM, s.batch}
}

// mmLoadA is where element i (of mmBM*mmBK/mmThreads) that thread tid loads of the A tile
// lies in the tile: row (m) and column (k); mmLoadB the same for B (k, n).
func mmLoadA(i int) (ml, kl ptx.Expr) {
	e := ptx.Add(ptx.V("tid"), ptx.C(i*mmThreads))
	return ptx.Div(e, ptx.C(mmBK)), ptx.Rem(e, ptx.C(mmBK))
}

func mmLoadB(i int) (kl, nl ptx.Expr) {
	e := ptx.Add(ptx.V("tid"), ptx.C(i*mmThreads))
	return ptx.Div(e, ptx.C(mmBN)), ptx.Rem(e, ptx.C(mmBN))
}

const mmLoads = mmBM * mmBK / mmThreads

// mmSlots is the number of accumulators a thread holds; mmSlot says which tile element
// accumulator s is: row and column in the block's tile. The FMA path gives thread (ty, tx) the
// rows ty+16i and columns tx+16j; the tensor-core path follows the m16n8 C fragment layout,
// eight warps as 2 x 4 over the tile, each warp 2 x 2 mma tiles.
const mmSlots = 16

func mmSlot(tf32 bool, s int) (row, col ptx.Expr) {
	tid := ptx.V("tid")
	if !tf32 {
		i, j := s/4, s%4
		return ptx.Add(ptx.Div(tid, ptx.C(16)), ptx.C(16*i)), ptx.Add(ptx.Rem(tid, ptx.C(16)), ptx.C(16*j))
	}
	mt, nt, r := s/8, s/4%2, s%4
	warp, lane := ptx.Div(tid, ptx.C(32)), ptx.Rem(tid, ptx.C(32))
	g, t := ptx.Div(lane, ptx.C(4)), ptx.Rem(lane, ptx.C(4))
	row = ptx.Sum(ptx.Mul(ptx.Div(warp, ptx.C(4)), ptx.C(32)), ptx.C(mt*16+8*(r/2)), g)
	col = ptx.Sum(ptx.Mul(ptx.Rem(warp, ptx.C(4)), ptx.C(16)), ptx.C(nt*8+r%2), ptx.Mul(t, ptx.C(2)))
	return row, col
}

// mmGlobal is the batch, row and column of tile element (row, col) of this block.
func mmGlobal(row, col ptx.Expr) (b, m, n ptx.Expr) {
	return ptx.V("bz"), ptx.Add(ptx.Mul(ptx.V("by"), ptx.C(mmBM)), row), ptx.Add(ptx.Mul(ptx.V("bx"), ptx.C(mmBN)), col)
}

// mmTileA is the global element of A that load i of the thread fetches at step k0 ("k0"), and
// whether it exists; mmTileB the same for B.
func (s *mmSpec) tileA(i int) (off ptx.Expr, ok ptx.Cond, sh ptx.Expr) {
	ml, kl := mmLoadA(i)
	b, m, _ := mmGlobal(ml, ptx.C(0))
	k := ptx.Add(ptx.V("k0"), kl)
	ok = ptx.And(ptx.Lt(m, ptx.C(s.m)), ptx.Lt(k, ptx.C(s.k)))
	if s.a.pad != nil {
		ok = ptx.And(ok, s.a.pad(b, m, k))
	}
	return s.a.off(b, m, k), ok, ptx.Add(ptx.Mul(kl, ptx.C(mmPad)), ml)
}

func (s *mmSpec) tileB(i int) (off ptx.Expr, ok ptx.Cond, sh ptx.Expr) {
	kl, nl := mmLoadB(i)
	b, _, n := mmGlobal(ptx.C(0), nl)
	k := ptx.Add(ptx.V("k0"), kl)
	ok = ptx.And(ptx.Lt(n, ptx.C(s.n)), ptx.Lt(k, ptx.C(s.k)))
	if s.b.pad != nil {
		ok = ptx.And(ok, s.b.pad(b, k, n))
	}
	return s.b.off(b, k, n), ok, ptx.Add(ptx.Mul(kl, ptx.C(mmPad)), nl)
}

// kernel writes s as a Kernel.
func (s *mmSpec) kernel(t Target) *Kernel {
	f := ptx.NewFunc(s.entryName)
	args := []Arg{{Kind: ArgIn, Index: s.inA}, {Kind: ArgIn, Index: s.inB}, {Kind: ArgOut, Index: s.outY}}
	pa, pb, py := f.PtrParam(), f.PtrParam(), f.PtrParam()
	var pbias, pc, pz string
	if s.bias != nil {
		pbias = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: s.inBias})
	}
	if s.c != nil {
		pc = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: s.inC})
	}
	if s.z {
		pz = f.PtrParam()
		args = append(args, Arg{Kind: ArgIn, Index: s.inZ})
	}
	f.Threads()
	as := f.Shared("tileA", mmBK*mmPad*4)
	bs := f.Shared("tileB", mmBK*mmPad*4)
	acc := make([]string, mmSlots)
	for i := range acc {
		acc[i] = f.Reg(ptx.F32)
		f.Op("mov.f32 %s, %s", acc[i], ptx.Float(0))
	}
	k0 := f.Reg(ptx.B32)
	f.Op("mov.s32 %s, 0", k0)
	f.Bind("k0", k0)
	loop := f.Label()
	f.Place(loop)
	for i := 0; i < mmLoads; i++ {
		for _, tile := range []struct {
			base, sh string
			at       func(int) (ptx.Expr, ptx.Cond, ptx.Expr)
		}{{pa, as, s.tileA}, {pb, bs, s.tileB}} {
			off, ok, sh := tile.at(i)
			v := f.LoadF32(tile.base, off, ok)
			if s.tf32 {
				r := f.Reg(ptx.B32)
				f.Op("cvt.rna.tf32.f32 %s, %s", r, v)
				v = r
			}
			f.Op("st.shared.b32 [%s], %s", f.SharedAddr(tile.sh, sh, 4), v)
		}
	}
	f.Op("bar.sync 0")
	if s.tf32 {
		s.tensorCoreStep(f, as, bs, acc)
	} else {
		s.fmaStep(f, as, bs, acc)
	}
	f.Op("bar.sync 0")
	p := f.Reg(ptx.Pred)
	f.Op("add.s32 %s, %s, %d", k0, k0, mmBK)
	f.Op("setp.lt.s32 %s, %s, %d", p, k0, s.k)
	f.Op("@%s bra %s", p, loop)
	for i, a := range acc {
		row, col := mmSlot(s.tf32, i)
		s.store(f, a, row, col, py, pbias, pc, pz)
	}
	return &Kernel{PTX: ptx.Module(t.SM, f), Launches: []Launch{{Entry: f.Name(), Grid: s.grid(), Block: [3]int{mmThreads, 1, 1}, Args: args}}}
}

// fmaStep multiplies the shared tiles into the accumulators with float32 FMAs.
func (s *mmSpec) fmaStep(f *ptx.Func, as, bs string, acc []string) {
	tid := ptx.V("tid")
	ab := f.SharedAddr(as, ptx.Div(tid, ptx.C(16)), 4)
	bb := f.SharedAddr(bs, ptx.Rem(tid, ptx.C(16)), 4)
	var a, b [4]string
	for kk := 0; kk < mmBK; kk++ {
		for i := range a {
			a[i], b[i] = f.Reg(ptx.F32), f.Reg(ptx.F32)
			f.Op("ld.shared.f32 %s, [%s+%d]", a[i], ab, (kk*mmPad+16*i)*4)
			f.Op("ld.shared.f32 %s, [%s+%d]", b[i], bb, (kk*mmPad+16*i)*4)
		}
		for i := range a {
			for j := range b {
				f.Op("fma.rn.f32 %s, %s, %s, %s", acc[4*i+j], a[i], b[j], acc[4*i+j])
			}
		}
	}
}

// tensorCoreStep multiplies the shared tiles (already TF32) with mma.sync.m16n8k8: A fragment
// a0..a3 at (g, t), (g+8, t), (g, t+4), (g+8, t+4) of the 16x8 tile, B fragment b0, b1 at
// (k t, n g), (t+4, g), accumulators as mmSlot says.
func (s *mmSpec) tensorCoreStep(f *ptx.Func, as, bs string, acc []string) {
	tid := ptx.V("tid")
	warp, lane := ptx.Div(tid, ptx.C(32)), ptx.Rem(tid, ptx.C(32))
	g, t := ptx.Div(lane, ptx.C(4)), ptx.Rem(lane, ptx.C(4))
	ab := f.SharedAddr(as, ptx.Sum(ptx.Mul(t, ptx.C(mmPad)), ptx.Mul(ptx.Div(warp, ptx.C(4)), ptx.C(32)), g), 4)
	bb := f.SharedAddr(bs, ptx.Sum(ptx.Mul(t, ptx.C(mmPad)), ptx.Mul(ptx.Rem(warp, ptx.C(4)), ptx.C(16)), g), 4)
	for kk := 0; kk < mmBK; kk += 8 {
		var a [2][4]string
		var b [2][2]string
		for mt := range a {
			for r := range a[mt] {
				a[mt][r] = f.Reg(ptx.B32)
				f.Op("ld.shared.b32 %s, [%s+%d]", a[mt][r], ab, ((kk+4*(r/2))*mmPad+mt*16+8*(r%2))*4)
			}
		}
		for nt := range b {
			for r := range b[nt] {
				b[nt][r] = f.Reg(ptx.B32)
				f.Op("ld.shared.b32 %s, [%s+%d]", b[nt][r], bb, ((kk+4*r)*mmPad+nt*8)*4)
			}
		}
		for mt := range a {
			for nt := range b {
				d := acc[mt*8+nt*4 : mt*8+nt*4+4]
				f.Op("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%s, %s, %s, %s}, {%s, %s, %s, %s}, {%s, %s}, {%s, %s, %s, %s}",
					d[0], d[1], d[2], d[3], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b[nt][0], b[nt][1], d[0], d[1], d[2], d[3])
			}
		}
	}
}

// store writes accumulator a for tile element (row, col) through the epilogue, if it exists.
func (s *mmSpec) store(f *ptx.Func, a string, row, col ptx.Expr, py, pbias, pc, pz string) {
	b, m, n := mmGlobal(row, col)
	skip := f.Label()
	f.Op("@!%s bra %s", ptx.And(ptx.Lt(m, ptx.C(s.m)), ptx.Lt(n, ptx.C(s.n))).Emit(f), skip)
	v := a
	if s.alpha != 1 {
		v = f.Reg(ptx.F32)
		f.Op("mul.f32 %s, %s, %s", v, a, ptx.Float(s.alpha))
	}
	add := func(base string, off ptx.Expr, scale float32) { v = emitAddLoad(f, v, base, off, scale) }
	if s.bias != nil {
		add(pbias, s.bias.off(b, m, n), 1)
	}
	if s.c != nil {
		add(pc, s.c.off(b, m, n), s.beta)
	}
	yo := s.y(b, m, n)
	if s.z {
		add(pz, yo, 1)
	}
	v = emitAct(f, v, s.act, s.actA, s.actB)
	f.Op("st.global.f32 [%s], %s", f.Addr(py, yo, 4), v)
	f.Place(skip)
}

// entryName makes a PTX entry name for a kernel: the lowered entry and a variant.
func entryName(entry fmt.Stringer, variant string) string {
	return fmt.Sprintf("onnxc_%s_%s", entry, variant)
}

// emitAddLoad returns a register with v + scale*base[off].
func emitAddLoad(f *ptx.Func, v, base string, off ptx.Expr, scale float32) string {
	x, r := f.LoadF32(base, off, nil), f.Reg(ptx.F32)
	f.Op("fma.rn.f32 %s, %s, %s, %s", r, x, ptx.Float(scale), v)
	return r
}

// Kernels with one thread per output element run ewThreads threads per block.
const ewThreads = 256

// ewIndex is the output element of the thread.
func ewIndex() ptx.Expr { return ptx.Add(ptx.Mul(ptx.V("bx"), ptx.C(ewThreads)), ptx.V("tid")) }

// ewBegin starts a kernel of one thread per element of total: the threads past the end exit.
func ewBegin(f *ptx.Func, total int) {
	f.Threads()
	end := f.Label()
	f.Op("@!%s bra %s", ptx.Lt(ewIndex(), ptx.C(total)).Emit(f), end)
	f.Deferred(end)
}

// ewLaunch is the launch of a kernel of one thread per element of total.
func ewLaunch(f *ptx.Func, total int, args []Arg) Launch {
	return Launch{Entry: f.Name(), Grid: [3]int{max((total+ewThreads-1)/ewThreads, 1), 1, 1}, Block: [3]int{ewThreads, 1, 1}, Args: args}
}

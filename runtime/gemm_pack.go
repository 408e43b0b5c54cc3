package runtime

import "fmt"

// Prepacked GEMM operands. A constant operand (Conv's weights as A, Gemm's or MatMul's
// constant weights as B) can be packed once, at compile time, into the panel layout the
// micro-kernels read, and stored as is in the compiled model's weights; a job given it
// (sgemmJob.packA / packB) reads the panels in place and never packs that operand. Every
// kernel path (AVX-512, AVX2/FMA, pure Go, any architecture) reads this one layout.
//
// Layout, version GemmPackVersion = 1 (float32 elements, no header):
//
//	A (PackGemmA, groups matrices of m x k): rows are cut into panels of GemmPackRows = 12;
//	matrix g, panel q (0 <= q < ceil(m/12)) starts at element (g*ceil(m/12) + q) * k * 12,
//	and holds element (r, p) of that panel (row q*12 + r, depth p) at p*12 + r. Rows past m
//	in the last panel are zero. Length: groups * ceil(m/12)*12 * k.
//
//	B (PackGemmB, batches matrices of k x n): columns are cut into panels of GemmPackCols = 16;
//	matrix g, panel q (0 <= q < ceil(n/16)) starts at element (g*ceil(n/16) + q) * k * 16,
//	and holds element (p, c) of that panel (depth p, column q*16 + c) at p*16 + c. Columns
//	past n in the last panel are zero. Length: batches * ceil(n/16)*16 * k.
//
// Both are k-major inside a panel, over the whole depth: the kernels read a block of depth
// p0..p0+kc of panel q at offset p0*12 (A) or p0*16 (B) within it, so the layout does not
// depend on the blocking (KC, MC, NC), which may change without changing the format. A change
// to the format itself changes GemmPackVersion.
const (
	GemmPackVersion = 1
	GemmPackRows    = gemmPM
	GemmPackCols    = gemmPN
)

// PackedGemmALen is the length of PackGemmA's result.
func PackedGemmALen(groups, m, k int) int { return groups * gmRoundUp(m, gemmPM) * k }

// PackedGemmBLen is the length of PackGemmB's result.
func PackedGemmBLen(batches, k, n int) int { return batches * gmRoundUp(n, gemmPN) * k }

// PackGemmA packs groups row-major m x k matrices, stored one after another in w (Conv's
// weights [M, C/group, kh, kw] are groups matrices of M/group x C/group*kh*kw), as the A
// operand of sgemm.
func PackGemmA(w []float32, groups, m, k int) []float32 {
	if groups < 1 || m < 0 || k < 0 || len(w) < groups*m*k {
		panic(fmt.Sprintf("PackGemmA: %d values for %d groups of %dx%d", len(w), groups, m, k))
	}
	dst := make([]float32, PackedGemmALen(groups, m, k))
	if m == 0 || k == 0 {
		return dst
	}
	a := gemmView(w, k, 1, m*k)
	size := PackedGemmALen(1, m, k)
	for g := 0; g < groups; g++ {
		gmPackA(dst[g*size:(g+1)*size], &a, g, 0, m, 0, k, 1)
	}
	return dst
}

// PackGemmB packs batches k x n matrices, stored one after another in w, as the B operand of
// sgemm; with trans, each stored matrix is n x k (row-major) and its transpose is packed, as
// Gemm's transB weights are.
func PackGemmB(w []float32, batches, k, n int, trans bool) []float32 {
	if batches < 1 || n < 0 || k < 0 || len(w) < batches*n*k {
		panic(fmt.Sprintf("PackGemmB: %d values for %d batches of %dx%d", len(w), batches, k, n))
	}
	dst := make([]float32, PackedGemmBLen(batches, k, n))
	if n == 0 || k == 0 {
		return dst
	}
	b := gemmView(w, n, 1, k*n)
	if trans {
		b.rs, b.cs = 1, k
	}
	size := PackedGemmBLen(1, k, n)
	for g := 0; g < batches; g++ {
		gmPackB(dst[g*size:(g+1)*size], &b, g, 0, k, 0, n, 1)
	}
	return dst
}

// PackGemmOperand packs a constant float32 tensor as PackGemmA (a) or PackGemmB, for the
// compiler and the reference interpreter; the result is a 1-D tensor of the packed panels.
func PackGemmOperand(t *Tensor, a bool, groups, m, k, n int, trans bool) (*Tensor, error) {
	if t.DType != Float32 {
		return nil, fmt.Errorf("prepacking %s weights, want float32", t.DType)
	}
	w := Data[float32](t)
	var p []float32
	if a {
		if len(w) != groups*m*k || groups < 1 {
			return nil, fmt.Errorf("prepacking %d weights as %d groups of %dx%d", len(w), groups, m, k)
		}
		p = PackGemmA(w, groups, m, k)
	} else {
		if len(w) != groups*k*n || groups < 1 {
			return nil, fmt.Errorf("prepacking %d weights as %d batches of %dx%d", len(w), groups, k, n)
		}
		p = PackGemmB(w, groups, k, n, trans)
	}
	return FromFloat32([]int{len(p)}, p), nil
}

func gmScatter16Go(dst []float32, dstride int, src []float32) {
	for i := 0; i+gemmPN <= len(src); i += gemmPN {
		copy(dst[i/gemmPN*dstride:i/gemmPN*dstride+gemmPN], src[i:i+gemmPN])
	}
}

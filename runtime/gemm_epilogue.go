package runtime

import "math"

var gemmInf = float32(math.Inf(1))

// gemmEpilogue is what an sgemmJob does to C[b] after the product, per element (i, j):
//
//	C(i, j) = act(C(i, j) + rowBias[ro(b) + i] + colBias[j] + res[b](i, j))
//
// each term only when set. ro(b) is (b % rowMod) * rowStride when rowMod > 1 and 0 otherwise:
// Conv's per-output-channel bias is rowBias with rowMod = groups and rowStride = channels per
// group; Gemm's bias of shape [n] is colBias. res is a view like the job's c (res.cs must be
// 1), e.g. FusedConv's Z or a residual input. act is the fused activation (gemm_activation.go).
// The job applies it at its last K block, on each micro-tile right after the kernel wrote it,
// so C is not read again in a separate pass.
type gemmEpilogue struct {
	rowBias           []float32
	rowMod, rowStride int
	colBias           []float32
	res               gemmMat
	act               activation
}

// active reports whether the epilogue does anything.
func (e *gemmEpilogue) active() bool {
	return e.rowBias != nil || e.colBias != nil || e.res.data != nil || e.act.kind != actNone
}

// apply runs the epilogue on the mr x nr block of C[b] at (i0, j0), which c starts at.
func (e *gemmEpilogue) apply(c []float32, ldc, b, i0, j0, mr, nr int) {
	ro := i0
	if e.rowMod > 1 {
		ro += b % e.rowMod * e.rowStride
	}
	var cb, res []float32
	if e.colBias != nil {
		cb = e.colBias[j0 : j0+nr]
	}
	if e.res.data != nil {
		res = e.res.data[e.res.off(b)+i0*e.res.rs+j0:]
	}
	for r := 0; r < mr; r++ {
		row := c[r*ldc : r*ldc+nr]
		var bias float32
		if e.rowBias != nil {
			bias = e.rowBias[ro+r]
		}
		switch {
		case res != nil:
			rr := res[r*e.res.rs : r*e.res.rs+nr]
			if cb != nil {
				for q := range row {
					row[q] += bias + cb[q] + rr[q]
				}
			} else {
				for q := range row {
					row[q] += bias + rr[q]
				}
			}
		case cb != nil && e.rowBias == nil:
			// A Linear layer's bias: the vector add, then the columns it leaves.
			for q := arithVec(BinaryAdd, row, row, cb); q < len(row); q++ {
				row[q] += cb[q]
			}
		case cb != nil:
			for q := range row {
				row[q] += bias + cb[q]
			}
		case e.rowBias != nil:
			if e.act.kind == actRelu {
				// The commonest case, Conv + bias + Relu, in one pass.
				clampAffine(row, 1, bias, 0, gemmInf)
				continue
			}
			for q := range row {
				row[q] += bias
			}
		}
		if e.act.kind != actNone {
			actRun(&e.act, row)
		}
	}
}

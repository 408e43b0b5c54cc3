package runtime

// Kernel families, fastest last; sgemmBestPath is the fastest the CPU and the build support.
const (
	gemmPathGo = iota
	gemmPathAVX2
	gemmPathAVX512
)

// sgemmPath is the kernel family sgemmBlock runs. It is sgemmBestPath unless a test forces a
// slower one to check it against the reference.
var sgemmPath = sgemmBestPath

// sgemmBlock computes the mc x nc block C (+)= A * B over depth kc from packed panels: A in
// panels of gemmPM rows starting aps elements apart in pa, B in panels of gemmPN columns
// starting bps elements apart in pb, each holding kc depth steps. c starts at the block's
// first element, tmp has room for gemmTmp values, and ep, if not nil, is applied to the block
// (of batch b, at (i0, j0) in C[b]) as it is written.
func sgemmBlock(kc, mc, nc int, pa []float32, aps int, pb []float32, bps int, c []float32, ldc int, store bool, tmp []float32, ep *gemmEpilogue, b, i0, j0 int) {
	switch sgemmPath {
	case gemmPathAVX512:
		sgemmBlockAVX512(kc, mc, nc, pa, aps, 0, pb, bps, c, ldc, store, ep, b, i0, j0)
	case gemmPathAVX2:
		sgemmBlockAVX2(kc, mc, nc, pa, aps, pb, bps, c, ldc, store, tmp, ep, b, i0, j0)
	default:
		sgemmBlockGo(kc, mc, nc, pa, aps, pb, bps, c, ldc, store, tmp, ep, b, i0, j0)
	}
}

// sgemmBlockGo is sgemmBlock with the Go 2x4 kernel, run on 2x4 pieces of the panels. Pieces
// that end past the block are computed into tmp (the panels' padding is zero) and copied.
func sgemmBlockGo(kc, mc, nc int, pa []float32, aps int, pb []float32, bps int, c []float32, ldc int, store bool, tmp []float32, ep *gemmEpilogue, b, i0, j0 int) {
	const mr2, nr4 = 2, 4
	for ir := 0; ir < mc; ir += mr2 {
		mr := min(mr2, mc-ir)
		ap := pa[ir/gemmPM*aps+ir%gemmPM:]
		for jr := 0; jr < nc; jr += nr4 {
			nr := min(nr4, nc-jr)
			bp := pb[jr/gemmPN*bps+jr%gemmPN:]
			co := ir*ldc + jr
			if mr == mr2 && nr == nr4 {
				sgemmKernel2x4Go(kc, ap, bp, c[co:], ldc, store)
				continue
			}
			sgemmKernel2x4Go(kc, ap, bp, tmp, nr4, true)
			gmCopyTile(c[co:], ldc, tmp, nr4, mr, nr, store)
		}
		if ep != nil {
			ep.apply(c[ir*ldc:], ldc, b, i0+ir, j0, mr, nc)
		}
	}
}

// gmCopyTile stores (or adds) the mr x nr block t (row stride ldt) into c (row stride ldc).
func gmCopyTile(c []float32, ldc int, t []float32, ldt, mr, nr int, store bool) {
	for r := 0; r < mr; r++ {
		row := c[r*ldc : r*ldc+nr]
		src := t[r*ldt : r*ldt+nr]
		if store {
			copy(row, src)
			continue
		}
		for q := range row {
			row[q] += src[q]
		}
	}
}

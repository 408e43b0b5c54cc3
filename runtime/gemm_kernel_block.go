package runtime

// sgemmBlock2x4 computes rows i0..i1 and columns j0..j1 (i0 a multiple of gemmMR, j0 of
// gemmNR) of the block C (+)= A * B over depth kc from the packed panels pa (rows in panels of
// gemmMR) and pb (columns in panels of gemmNR), one 2x4 micro-kernel call at a time: what the
// tile loop of gemm.go does. Blocks that end inside a panel go through tmp (gemmMR*gemmNR).
func sgemmBlock2x4(kc int, pa, pb, c []float32, ldc int, store bool, tmp []float32, i0, i1, j0, j1 int) {
	for jr := j0; jr < j1; jr += gemmNR {
		nr := min(gemmNR, j1-jr)
		bp := pb[jr*kc : jr*kc+gemmNR*kc]
		for ir := i0; ir < i1; ir += gemmMR {
			mr := min(gemmMR, i1-ir)
			ap := pa[ir*kc : ir*kc+gemmMR*kc]
			co := ir*ldc + jr
			if mr == gemmMR && nr == gemmNR {
				sgemmKernel2x4(kc, ap, bp, c[co:], ldc, store)
				continue
			}
			sgemmKernel2x4(kc, ap, bp, tmp, gemmNR, true)
			for r := 0; r < mr; r++ {
				row := c[co+r*ldc : co+r*ldc+nr]
				t := tmp[r*gemmNR : r*gemmNR+nr]
				if store {
					copy(row, t)
				} else {
					for q := range row {
						row[q] += t[q]
					}
				}
			}
		}
	}
}

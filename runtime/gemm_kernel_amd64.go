//go:build amd64 && !purego

package runtime

// On amd64 the micro-kernel is written in assembly (gemm_kernel_amd64.s) for CPUs with AVX2
// and FMA, chosen once at start-up; other CPUs run the Go kernel (gemm_kernel*.go). The build
// tag purego selects the Go kernel everywhere.

// sgemmHasAVX2FMA reports whether the CPU and the OS support AVX2 and FMA (the OS must save
// the YMM registers, which XCR0 says).
var sgemmHasAVX2FMA = cpuHasAVX2FMA()

func cpuHasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // SSE and AVX state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

// cpuid executes CPUID with the given leaf and subleaf.
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv0 reads extended control register 0 (XCR0).
func xgetbv0() (eax, edx uint32)

// sgemmKernel2x4AVX2 is sgemmKernel2x4 in assembly: c points at the block's first element, the
// second row starts ldc elements later, and ap and bp hold kc >= 1 steps.
//
//go:noescape
func sgemmKernel2x4AVX2(kc int, ap, bp, c *float32, ldc int, store bool)

// sgemmKernel2x4 computes the 2x4 block c = (or +=) ap * bp over depth kc, ap being a packed
// A panel (kc x 2) and bp a packed B panel (kc x 4).
func sgemmKernel2x4(kc int, ap, bp, c []float32, ldc int, store bool) {
	if !sgemmHasAVX2FMA {
		sgemmKernel2x4Go(kc, ap, bp, c, ldc, store)
		return
	}
	_ = ap[gemmMR*kc-1]
	_ = bp[gemmNR*kc-1]
	_ = c[ldc+3]
	_ = c[3]
	sgemmKernel2x4AVX2(kc, &ap[0], &bp[0], &c[0], ldc, store)
}

// sgemmKernel6x16AVX2 computes the 6x16 block c = (or +=) A * B over depth kc >= 1 from three
// consecutive packed A panels at ap and four consecutive packed B panels at bp.
//
//go:noescape
func sgemmKernel6x16AVX2(kc int, ap, bp, c *float32, ldc int, store bool)

// sgemmBlock computes the mc x nc block C (+)= A * B over depth kc from the packed panels pa
// (rows in panels of gemmMR) and pb (columns in panels of gemmNR); c starts at the block's
// first element and tmp has room for gemmMR*gemmNR values. With AVX2 and FMA it runs the 6x16
// kernel over groups of three A panels and four B panels and the 2x4 kernel on what is left.
func sgemmBlock(kc, mc, nc int, pa, pb, c []float32, ldc int, store bool, tmp []float32) {
	if !sgemmHasAVX2FMA || kc == 0 {
		sgemmBlock2x4(kc, pa, pb, c, ldc, store, tmp, 0, mc, 0, nc)
		return
	}
	const mr6, nr16 = 3 * gemmMR, 4 * gemmNR
	// Rows and columns covered by whole groups of panels (the last panels may be partly
	// padding, which the kernel multiplies like the rest and the copy below leaves out).
	rows := (mc + gemmMR - 1) / gemmMR / 3 * mr6
	cols := (nc + gemmNR - 1) / gemmNR / 4 * nr16
	var t [mr6 * nr16]float32
	for jr := 0; jr < cols; jr += nr16 {
		bp := pb[jr*kc : (jr+nr16)*kc]
		nr := min(nr16, nc-jr)
		for ir := 0; ir < rows; ir += mr6 {
			ap := pa[ir*kc : (ir+mr6)*kc]
			mr := min(mr6, mc-ir)
			if mr == mr6 && nr == nr16 {
				_ = c[(ir+mr6-1)*ldc+jr+nr16-1]
				sgemmKernel6x16AVX2(kc, &ap[0], &bp[0], &c[ir*ldc+jr], ldc, store)
				continue
			}
			sgemmKernel6x16AVX2(kc, &ap[0], &bp[0], &t[0], nr16, true)
			for r := 0; r < mr; r++ {
				row := c[(ir+r)*ldc+jr : (ir+r)*ldc+jr+nr]
				src := t[r*nr16 : r*nr16+nr]
				if store {
					copy(row, src)
				} else {
					for q := range row {
						row[q] += src[q]
					}
				}
			}
		}
	}
	rows, cols = min(rows, mc), min(cols, nc)
	sgemmBlock2x4(kc, pa, pb, c, ldc, store, tmp, 0, rows, cols, nc)
	sgemmBlock2x4(kc, pa, pb, c, ldc, store, tmp, rows, mc, 0, nc)
}

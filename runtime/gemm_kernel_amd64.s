//go:build amd64 && !purego

#include "textflag.h"

// The AVX2/FMA sgemm micro-kernel: a 6x16 block of C from six adjacent rows of a packed A
// panel (gemmPM = 12 floats per depth step, of which it reads six) and one packed B panel
// (gemmPN = 16 floats per step). Per step, two YMM registers hold the sixteen B values and each
// of the six A values is broadcast from memory; twelve accumulators hold the 6x16 block, which
// leaves the two FMA pipes the bottleneck. The AVX-512 kernels are in
// gemm_kernel_avx512_amd64.s.

// ROW6x16 adds the A value at aaddr times the B registers to a row's accumulators.
#define ROW6x16(aaddr, acc0, acc1) \
	VBROADCASTSS aaddr, Y14; \
	VFMADD231PS  Y12, Y14, acc0; \
	VFMADD231PS  Y13, Y14, acc1

// STORE6x16 and ACC6x16 write a row at BX (or add it to what is there) and move BX to the next
// row.
#define STORE6x16(acc0, acc1) \
	VMOVUPS acc0, (BX); \
	VMOVUPS acc1, 32(BX); \
	ADDQ    R8, BX

#define ACC6x16(acc0, acc1) \
	VADDPS  (BX), acc0, acc0; \
	VADDPS  32(BX), acc1, acc1; \
	VMOVUPS acc0, (BX); \
	VMOVUPS acc1, 32(BX); \
	ADDQ    R8, BX

// func sgemmKernel6x16AVX2(kc int, ap, bp, c *float32, ldc int, store bool)
TEXT ·sgemmKernel6x16AVX2(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ c+24(FP), BX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

loop6x16:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	ROW6x16((SI), Y0, Y1)
	ROW6x16(4(SI), Y2, Y3)
	ROW6x16(8(SI), Y4, Y5)
	ROW6x16(12(SI), Y6, Y7)
	ROW6x16(16(SI), Y8, Y9)
	ROW6x16(20(SI), Y10, Y11)
	ADDQ $48, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop6x16

	MOVBLZX store+40(FP), AX
	TESTL   AX, AX
	JZ      accumulate6x16
	STORE6x16(Y0, Y1)
	STORE6x16(Y2, Y3)
	STORE6x16(Y4, Y5)
	STORE6x16(Y6, Y7)
	STORE6x16(Y8, Y9)
	STORE6x16(Y10, Y11)
	VZEROUPPER
	RET

accumulate6x16:
	ACC6x16(Y0, Y1)
	ACC6x16(Y2, Y3)
	ACC6x16(Y4, Y5)
	ACC6x16(Y6, Y7)
	ACC6x16(Y8, Y9)
	ACC6x16(Y10, Y11)
	VZEROUPPER
	RET

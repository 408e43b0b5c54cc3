//go:build amd64 && !purego

#include "textflag.h"

// The AVX2/FMA sgemm micro-kernel for the 2x4 tile of gemm.go's packing: A panels hold two
// rows per depth step, B panels four columns. A YMM register holds B for two consecutive steps
// (8 floats, one load); the A values of those steps are broadcast into the matching halves by
// one 16-byte broadcast and one in-lane permute per row. Eight accumulators (two rows, four
// pairs of steps) cover the FMA latency; the halves and the pairs are summed at the end.

// Permute controls: element i of the result takes element ctrl[i] of its own 128-bit lane.
// A lane holds a[p][0], a[p][1], a[p+1][0], a[p+1][1]; the low lane's result is used for step
// p and the high lane's for step p+1.
DATA sgemmPermRow0<>+0(SB)/4, $0
DATA sgemmPermRow0<>+4(SB)/4, $0
DATA sgemmPermRow0<>+8(SB)/4, $0
DATA sgemmPermRow0<>+12(SB)/4, $0
DATA sgemmPermRow0<>+16(SB)/4, $2
DATA sgemmPermRow0<>+20(SB)/4, $2
DATA sgemmPermRow0<>+24(SB)/4, $2
DATA sgemmPermRow0<>+28(SB)/4, $2
GLOBL sgemmPermRow0<>(SB), RODATA|NOPTR, $32

DATA sgemmPermRow1<>+0(SB)/4, $1
DATA sgemmPermRow1<>+4(SB)/4, $1
DATA sgemmPermRow1<>+8(SB)/4, $1
DATA sgemmPermRow1<>+12(SB)/4, $1
DATA sgemmPermRow1<>+16(SB)/4, $3
DATA sgemmPermRow1<>+20(SB)/4, $3
DATA sgemmPermRow1<>+24(SB)/4, $3
DATA sgemmPermRow1<>+28(SB)/4, $3
GLOBL sgemmPermRow1<>(SB), RODATA|NOPTR, $32

// PAIR accumulates steps p, p+1 (A at a+aoff, B at b+boff) into rows' accumulators r0, r1.
#define PAIR(aoff, boff, r0, r1) \
	VBROADCASTF128 aoff(SI), Y8; \
	VMOVUPS        boff(DI), Y11; \
	VPERMILPS      Y12, Y8, Y9; \
	VPERMILPS      Y13, Y8, Y10; \
	VFMADD231PS    Y11, Y9, r0; \
	VFMADD231PS    Y11, Y10, r1

// func sgemmKernel2x4AVX2(kc int, ap, bp, c *float32, ldc int, store bool)
TEXT ·sgemmKernel2x4AVX2(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VMOVUPS sgemmPermRow0<>(SB), Y12
	VMOVUPS sgemmPermRow1<>(SB), Y13
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VXORPS  Y4, Y4, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7

	// Eight steps per iteration.
	MOVQ CX, BX
	SHRQ $3, BX
	JZ   pairs

loop8:
	PAIR(0, 0, Y0, Y4)
	PAIR(16, 32, Y1, Y5)
	PAIR(32, 64, Y2, Y6)
	PAIR(48, 96, Y3, Y7)
	ADDQ $64, SI
	ADDQ $128, DI
	DECQ BX
	JNZ  loop8

pairs:
	// Remaining pairs of steps.
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $1, BX
	JZ   reduce

loop2:
	PAIR(0, 0, Y0, Y4)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ BX
	JNZ  loop2

reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VADDPS       Y5, Y4, Y4
	VADDPS       Y7, Y6, Y6
	VADDPS       Y6, Y4, Y4
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VEXTRACTF128 $1, Y4, X5
	VADDPS       X5, X4, X4

	// A last odd step.
	TESTQ $1, CX
	JZ    output
	VBROADCASTSS (SI), X8
	VBROADCASTSS 4(SI), X9
	VMOVUPS      (DI), X11
	VFMADD231PS  X11, X8, X0
	VFMADD231PS  X11, X9, X4

output:
	MOVBLZX store+40(FP), AX
	TESTL   AX, AX
	JNZ     write
	VADDPS  (DX), X0, X0
	VADDPS  (DX)(R8*1), X4, X4

write:
	VMOVUPS X0, (DX)
	VMOVUPS X4, (DX)(R8*1)
	VZEROUPPER
	RET

// The 6x16 kernel reads three A panels (six rows) and four B panels (sixteen columns) of the
// same packing, so it needs no packing of its own: per depth step, two YMM registers hold the
// sixteen B values (each two 16-byte loads) and each of the six A values is broadcast from
// memory; twelve accumulators hold the 6x16 block. Loads and one insert per eight columns
// leave the two FMA pipes the bottleneck.

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
	MOVQ CX, R9
	SHLQ $3, R9                // A panel: kc steps of 2 floats
	MOVQ CX, R10
	SHLQ $4, R10               // B panel: kc steps of 4 floats
	LEAQ (R10)(R10*2), R11

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
	VMOVUPS     (DI), X12
	VINSERTF128 $1, (DI)(R10*1), Y12, Y12
	VMOVUPS     (DI)(R10*2), X13
	VINSERTF128 $1, (DI)(R11*1), Y13, Y13
	ROW6x16((SI), Y0, Y1)
	ROW6x16(4(SI), Y2, Y3)
	ROW6x16((SI)(R9*1), Y4, Y5)
	ROW6x16(4(SI)(R9*1), Y6, Y7)
	ROW6x16((SI)(R9*2), Y8, Y9)
	ROW6x16(4(SI)(R9*2), Y10, Y11)
	ADDQ        $8, SI
	ADDQ        $16, DI
	DECQ        CX
	JNZ         loop6x16

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

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

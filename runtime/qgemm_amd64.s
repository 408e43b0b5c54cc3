//go:build amd64 && !purego

#include "textflag.h"

// QGQUANTSETUP loads the quantizers' arguments: a in SI, n/16 in CX, dst in DI, the scale,
// zero point, 0 and 255 broadcast in Z3-Z6.
#define QGQUANTSETUP \
	MOVQ         a+0(FP), SI; \
	MOVQ         n+8(FP), CX; \
	VBROADCASTSS scale+16(FP), Z3; \
	MOVL         zp+20(FP), AX; \
	VPBROADCASTD AX, Z4; \
	MOVQ         dst+24(FP), DI; \
	VPXORD       Z5, Z5, Z5; \
	MOVL         $255, AX; \
	VPBROADCASTD AX, Z6; \
	SHRQ         $4, CX

// QGQUANT16 quantizes the 16 floats at SI into the 16 bytes of X1.
#define QGQUANT16 \
	VMOVUPS          (SI), Z0; \
	VDIVPS           Z3, Z0, Z0; \
	VCVTPS2DQ.RN_SAE Z0, Z0; \
	VPADDD           Z4, Z0, Z0; \
	VPMAXSD          Z5, Z0, Z0; \
	VPMINSD          Z6, Z0, Z0; \
	VPMOVDB          Z0, X1

// The AVX2 quantizers and ranges (qgHasAVX2), for the AVX2 and AVX-VNNI kernel families: n is
// a multiple of 8 (their Go wrappers take the rest); VCVTPS2DQ rounds to nearest even, Go's
// MXCSR setting.

// QG8BYTES packs the 8 int32 of Y0, clamped to [0, 255] by Y5 and Y6, into the low 8 bytes of
// X0.
#define QG8BYTES \
	VPMAXSD      Y5, Y0, Y0; \
	VPMINSD      Y6, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSDW    X1, X0, X0; \
	VPACKUSWB    X0, X0, X0

// QGSETUPAVX2 loads the quantizers' arguments as QGQUANTSETUP does, on ymm: a in SI, n/8 in
// CX, dst in DI, the scale, zero point, 0 and 255 broadcast in Y3-Y6.
#define QGSETUPAVX2 \
	MOVQ         a+0(FP), SI; \
	MOVQ         n+8(FP), CX; \
	VBROADCASTSS scale+16(FP), Y3; \
	VPBROADCASTD zp+20(FP), Y4; \
	MOVQ         dst+24(FP), DI; \
	VPXOR        Y5, Y5, Y5; \
	MOVL         $255, AX; \
	MOVD         AX, X6; \
	VPBROADCASTD X6, Y6; \
	SHRQ         $3, CX

// QGROWSTORE dequantizes one panel's 16 accumulators (acc, at byte off of the column vectors)
// of the one-row kernel and stores them: (acc - corr) * mul + bias; for A quantized per row
// (R13 != 0) the row's zero point (Z17) times the column sums (R12) is subtracted first and
// its scale (Z19) applied before mul. The jumps count instructions.
#define QGROWSTORE(off, acc) \
	TESTQ        R13, R13; \
	JZ           7(PC); \
	VPMULLD      off(R12), Z17, Z18; \
	VPSUBD       Z18, acc, acc; \
	VPSUBD       off(R9), acc, acc; \
	VCVTDQ2PS    acc, acc; \
	VMULPS       Z19, acc, acc; \
	JMP          3(PC); \
	VPSUBD       off(R9), acc, acc; \
	VCVTDQ2PS    acc, acc; \
	VMOVUPS      off(R10), Z18; \
	VFMADD213PS  off(R11), Z18, acc; \
	VMOVUPS      acc, off(DI)

// QGREDUCEMINMAX reduces the 8 lanes of Y0 to their minimum and those of Y1 to their maximum,
// stored as the results lo and hi.
#define QGREDUCEMINMAX \
	VEXTRACTF128 $1, Y0, X2; \
	VMINPS       X2, X0, X0; \
	VEXTRACTF128 $1, Y1, X3; \
	VMAXPS       X3, X1, X1; \
	VPERMILPS    $0x4E, X0, X2; \
	VMINPS       X2, X0, X0; \
	VPERMILPS    $0x4E, X1, X3; \
	VMAXPS       X3, X1, X1; \
	VPERMILPS    $0xB1, X0, X2; \
	VMINPS       X2, X0, X0; \
	VPERMILPS    $0xB1, X1, X3; \
	VMAXPS       X3, X1, X1; \
	MOVSS        X0, lo+16(FP); \
	MOVSS        X1, hi+20(FP)

// QG4X16SETUP loads the 4x16 kernels' arguments (kg in CX, ap in SI, bp in DI, acc in BX) and
// zeroes their accumulators Y0-Y7; QG4X16STORE stores them into acc, rows 32 values apart.
#define QG4X16SETUP \
	MOVQ  kg+0(FP), CX; \
	MOVQ  ap+8(FP), SI; \
	MOVQ  bp+16(FP), DI; \
	MOVQ  acc+24(FP), BX; \
	VPXOR Y0, Y0, Y0; \
	VPXOR Y1, Y1, Y1; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y3, Y3, Y3; \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7

#define QG4X16STORE \
	VMOVDQU Y0, 0(BX); \
	VMOVDQU Y1, 32(BX); \
	VMOVDQU Y2, 128(BX); \
	VMOVDQU Y3, 160(BX); \
	VMOVDQU Y4, 256(BX); \
	VMOVDQU Y5, 288(BX); \
	VMOVDQU Y6, 384(BX); \
	VMOVDQU Y7, 416(BX); \
	VZEROUPPER; \
	RET

// AVXVNNIROW broadcasts row r's four A bytes (at aoff(SI)) into Y10 and adds them times both B
// registers (Y8, Y9) into the row's two accumulators: VEX VPDPBUSD written as bytes (see
// qgemmKernelAVXVNNI), the accumulators named by the ModRM bytes m0 and m1.
#define AVXVNNIROW(aoff, m0, m1) \
	VPBROADCASTD aoff(SI), Y10; \
	BYTE $0xC4; BYTE $0xC2; BYTE $0x2D; BYTE $0x50; BYTE m0; \
	BYTE $0xC4; BYTE $0xC2; BYTE $0x2D; BYTE $0x50; BYTE m1

// The quantized product's micro-kernels (qgemm.go). Both read the packed A panel (8 rows, 4
// consecutive u8 depths of a row per 4 bytes, 32 bytes a group) and packed B panels (16
// columns, 4 consecutive s8 depths per column, 64 bytes a group).

// VNNIROW adds row r's four A bytes times both B registers to the row's accumulators.
#define VNNIROW(aoff, bc, acc0, acc1) \
	VPBROADCASTD aoff(SI), bc; \
	VPDPBUSD     Z16, bc, acc0; \
	VPDPBUSD     Z17, bc, acc1

// VNNISTORE dequantizes a row in registers (acc - corr) * mul + bias and stores it at BX.
#define VNNISTORE(acc0, acc1) \
	VPSUBD      Z16, acc0, acc0; \
	VPSUBD      Z17, acc1, acc1; \
	VCVTDQ2PS   acc0, acc0; \
	VCVTDQ2PS   acc1, acc1; \
	VFMADD213PS Z20, Z18, acc0; \
	VFMADD213PS Z21, Z19, acc1; \
	VMOVUPS     acc0, (BX); \
	VMOVUPS     acc1, 64(BX); \
	ADDQ        R8, BX

// VNNISTORERS is VNNISTORE for A quantized per row: the converted row is first multiplied by
// its scale (at DX + soff).
#define VNNISTORERS(soff, acc0, acc1) \
	VPSUBD       Z16, acc0, acc0; \
	VPSUBD       Z17, acc1, acc1; \
	VCVTDQ2PS    acc0, acc0; \
	VCVTDQ2PS    acc1, acc1; \
	VBROADCASTSS soff(DX), Z24; \
	VMULPS       Z24, acc0, acc0; \
	VMULPS       Z24, acc1, acc1; \
	VFMADD213PS  Z20, Z18, acc0; \
	VFMADD213PS  Z21, Z19, acc1; \
	VMOVUPS      acc0, (BX); \
	VMOVUPS      acc1, 64(BX); \
	ADDQ         R8, BX

// VNNIZP subtracts row r's zero point (at AX) times B's column sums (Z22, Z23) from the row's
// accumulators, for A quantized per row.
#define VNNIZP(roff, acc0, acc1) \
	VPBROADCASTD roff(AX), Z24; \
	VPMULLD      Z22, Z24, Z25; \
	VPMULLD      Z23, Z24, Z24; \
	VPSUBD       Z25, acc0, acc0; \
	VPSUBD       Z24, acc1, acc1

// VNNIOFF adds row r's sum (at AX) times B's column offsets (Z22, Z23) to the row's
// accumulators, for shifted B (qgEpilogue.off).
#define VNNIOFF(roff, acc0, acc1) \
	VPBROADCASTD roff(AX), Z24; \
	VPMULLD      Z22, Z24, Z25; \
	VPMULLD      Z23, Z24, Z24; \
	VPADDD       Z25, acc0, acc0; \
	VPADDD       Z24, acc1, acc1

// func qgemmKernelVNNI(kg int, ap, bp *byte, bps int, c *float32, ldc int, corr *int32, mul, bias *float32, rs, off, rzp *int32, rsc *float32, cs *int32)
// rs nil: no offsets; otherwise rs holds the 8 rows' sums and off the 32 columns' offsets.
// rzp nil: A quantized per tensor; otherwise rzp and rsc hold the 8 rows' zero points and
// scales, cs the 32 columns' sums of the true B.
TEXT ·qgemmKernelVNNI(SB), NOSPLIT, $0-112
	MOVQ kg+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ bps+24(FP), R9
	MOVQ c+32(FP), BX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVQ corr+48(FP), R10
	MOVQ mul+56(FP), R11
	MOVQ bias+64(FP), R12
	LEAQ (DI)(R9*1), R13
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

loopVNNI:
	VMOVDQU32 (DI), Z16
	VMOVDQU32 (R13), Z17
	VNNIROW(0, Z18, Z0, Z1)
	VNNIROW(4, Z19, Z2, Z3)
	VNNIROW(8, Z20, Z4, Z5)
	VNNIROW(12, Z21, Z6, Z7)
	VNNIROW(16, Z22, Z8, Z9)
	VNNIROW(20, Z23, Z10, Z11)
	VNNIROW(24, Z24, Z12, Z13)
	VNNIROW(28, Z25, Z14, Z15)
	ADDQ $32, SI
	ADDQ $64, DI
	ADDQ $64, R13
	DECQ CX
	JNZ  loopVNNI

	MOVQ  rs+72(FP), AX
	TESTQ AX, AX
	JZ    storeVNNI
	MOVQ      off+80(FP), DX
	VMOVDQU32 (DX), Z22
	VMOVDQU32 64(DX), Z23
	VNNIOFF(0, Z0, Z1)
	VNNIOFF(4, Z2, Z3)
	VNNIOFF(8, Z4, Z5)
	VNNIOFF(12, Z6, Z7)
	VNNIOFF(16, Z8, Z9)
	VNNIOFF(20, Z10, Z11)
	VNNIOFF(24, Z12, Z13)
	VNNIOFF(28, Z14, Z15)

storeVNNI:
	VMOVDQU32 (R10), Z16
	VMOVDQU32 64(R10), Z17
	VMOVUPS   (R11), Z18
	VMOVUPS   64(R11), Z19
	VMOVUPS   (R12), Z20
	VMOVUPS   64(R12), Z21
	MOVQ      rzp+88(FP), AX
	TESTQ     AX, AX
	JNZ       rowsVNNI
	VNNISTORE(Z0, Z1)
	VNNISTORE(Z2, Z3)
	VNNISTORE(Z4, Z5)
	VNNISTORE(Z6, Z7)
	VNNISTORE(Z8, Z9)
	VNNISTORE(Z10, Z11)
	VNNISTORE(Z12, Z13)
	VNNISTORE(Z14, Z15)
	VZEROUPPER
	RET

rowsVNNI:
	MOVQ      cs+104(FP), DX
	VMOVDQU32 (DX), Z22
	VMOVDQU32 64(DX), Z23
	VNNIZP(0, Z0, Z1)
	VNNIZP(4, Z2, Z3)
	VNNIZP(8, Z4, Z5)
	VNNIZP(12, Z6, Z7)
	VNNIZP(16, Z8, Z9)
	VNNIZP(20, Z10, Z11)
	VNNIZP(24, Z12, Z13)
	VNNIZP(28, Z14, Z15)
	MOVQ      rsc+96(FP), DX
	VNNISTORERS(0, Z0, Z1)
	VNNISTORERS(4, Z2, Z3)
	VNNISTORERS(8, Z4, Z5)
	VNNISTORERS(12, Z6, Z7)
	VNNISTORERS(16, Z8, Z9)
	VNNISTORERS(20, Z10, Z11)
	VNNISTORERS(24, Z12, Z13)
	VNNISTORERS(28, Z14, Z15)
	VZEROUPPER
	RET

// AVX2ROW adds row r's four A bytes times the B registers to the row's accumulators:
// VPMADDUBSW makes int16 sums of adjacent u8*s8 pairs (exact only for pair-safe B, see
// qgemm.go), VPMADDWD by ones adds adjacent int16 into int32.
#define AVX2ROW(aoff, acc0, acc1) \
	VPBROADCASTD aoff(SI), Y10; \
	VPMADDUBSW   Y8, Y10, Y11; \
	VPMADDUBSW   Y9, Y10, Y12; \
	VPMADDWD     Y15, Y11, Y11; \
	VPMADDWD     Y15, Y12, Y12; \
	VPADDD       Y11, acc0, acc0; \
	VPADDD       Y12, acc1, acc1

// func qgemmKernelAVX2(kg int, ap, bp *byte, acc *int32)
// acc receives a 4x16 int32 block with rows 32 values apart.
TEXT ·qgemmKernelAVX2(SB), NOSPLIT, $0-32
	QG4X16SETUP
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $15, Y15, Y15

loopAVX2:
	VMOVDQU (DI), Y8
	VMOVDQU 32(DI), Y9
	AVX2ROW(0, Y0, Y1)
	AVX2ROW(4, Y2, Y3)
	AVX2ROW(8, Y4, Y5)
	AVX2ROW(12, Y6, Y7)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loopAVX2

	QG4X16STORE

// func qgemmKernelAVXVNNI(kg int, ap, bp *byte, acc *int32)
// qgemmKernelAVX2 with AVX-VNNI's VPDPBUSD on ymm, which multiplies 4 u8 by 4 s8 and adds them
// into an int32 lane without an int16 step, so it never saturates. The assembler encodes
// VPDPBUSD as EVEX (AVX512_VNNI) only, so the VEX form is written out as bytes: C4, then
// R̄X̄B̄ 00010 (map 0F38; B̄ = 0 for Y8 and Y9), then W0, vvvv = ~10 (Y10, A's unsigned bytes),
// L1 (256 bits), pp 01 (66), opcode 50, and ModRM 11 dst src (B's signed bytes).
TEXT ·qgemmKernelAVXVNNI(SB), NOSPLIT, $0-32
	QG4X16SETUP

loopAVXVNNI:
	VMOVDQU (DI), Y8
	VMOVDQU 32(DI), Y9
	AVXVNNIROW(0, $0xC0, $0xC9)  // VPDPBUSD Y8, Y10, Y0; VPDPBUSD Y9, Y10, Y1
	AVXVNNIROW(4, $0xD0, $0xD9)  // into Y2, Y3
	AVXVNNIROW(8, $0xE0, $0xE9)  // into Y4, Y5
	AVXVNNIROW(12, $0xF0, $0xF9) // into Y6, Y7
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loopAVXVNNI

	QG4X16STORE

// func qgMinMaxAVX512(a *float32, n int) (lo, hi float32)
// The minimum and maximum of a[:n] and 0. Lanes past n are loaded as 0, which changes nothing.
TEXT ·qgMinMaxAVX512(SB), NOSPLIT, $0-24
	MOVQ   a+0(FP), SI
	MOVQ   n+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

loopMinMax:
	CMPQ    CX, $16
	JL      tailMinMax
	VMOVUPS (SI), Z2
	VMINPS  Z2, Z0, Z0
	VMAXPS  Z2, Z1, Z1
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     loopMinMax

tailMinMax:
	TESTQ   CX, CX
	JZ      reduceMinMax
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K1
	VMOVUPS.Z (SI), K1, Z2
	VMINPS  Z2, Z0, Z0
	VMAXPS  Z2, Z1, Z1

reduceMinMax:
	VEXTRACTF64X4 $1, Z0, Y2
	VMINPS        Y2, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y3
	VMAXPS        Y3, Y1, Y1
	QGREDUCEMINMAX
	VZEROUPPER
	RET

// func qgQuantizeRowAVX512(a *float32, n int, scale float32, zp int32, dst *byte)
// Quantizes n (a multiple of 16) values as qgQuantizeRowGo does: the division, rounding to
// nearest even, the zero point added and the result clamped to [0, 255]; each group of four
// bytes goes to its A panel group, 32 bytes after the last.
TEXT ·qgQuantizeRowAVX512(SB), NOSPLIT, $0-32
	QGQUANTSETUP
	JZ           doneQuantize

loopQuantize:
	QGQUANT16
	VMOVD            X1, (DI)
	VPEXTRD          $1, X1, 32(DI)
	VPEXTRD          $2, X1, 64(DI)
	VPEXTRD          $3, X1, 96(DI)
	ADDQ             $64, SI
	ADDQ             $128, DI
	DECQ             CX
	JNZ              loopQuantize

doneQuantize:
	VZEROUPPER
	RET

// func qgQuantizeAVX512(a *float32, n int, scale float32, zp int32, dst *byte)
// Quantizes n (a multiple of 16) values as qgQuantizeRowAVX512 does, into n consecutive bytes.
TEXT ·qgQuantizeAVX512(SB), NOSPLIT, $0-32
	QGQUANTSETUP
	JZ           doneQuantizeFlat

loopQuantizeFlat:
	QGQUANT16
	VMOVDQU          X1, (DI)
	ADDQ             $64, SI
	ADDQ             $16, DI
	DECQ             CX
	JNZ              loopQuantizeFlat

doneQuantizeFlat:
	VZEROUPPER
	RET

// qcIota is 0..15 as int32, the lanes of qcColumnAVX512's gather.
DATA qcIota<>+0(SB)/4, $0
DATA qcIota<>+4(SB)/4, $1
DATA qcIota<>+8(SB)/4, $2
DATA qcIota<>+12(SB)/4, $3
DATA qcIota<>+16(SB)/4, $4
DATA qcIota<>+20(SB)/4, $5
DATA qcIota<>+24(SB)/4, $6
DATA qcIota<>+28(SB)/4, $7
DATA qcIota<>+32(SB)/4, $8
DATA qcIota<>+36(SB)/4, $9
DATA qcIota<>+40(SB)/4, $10
DATA qcIota<>+44(SB)/4, $11
DATA qcIota<>+48(SB)/4, $12
DATA qcIota<>+52(SB)/4, $13
DATA qcIota<>+56(SB)/4, $14
DATA qcIota<>+60(SB)/4, $15
GLOBL qcIota<>(SB), RODATA|NOPTR, $64

// func qcColumnAVX512(dst, src *float32, ld, n int)
// Copies dst[q] = src[q*ld] for q < n (a multiple of 16), 16 at a time with VGATHERDPS.
TEXT ·qcColumnAVX512(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         ld+16(FP), AX
	MOVQ         n+24(FP), CX
	VPBROADCASTD AX, Z1
	VPMULLD      qcIota<>(SB), Z1, Z1
	SHLQ         $6, AX
	SHRQ         $4, CX
	JZ           doneColumn

loopColumn:
	KXNORW     K1, K1, K1
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS    Z0, (DI)
	ADDQ       AX, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        loopColumn

doneColumn:
	VZEROUPPER
	RET

// func qgRowSumsVNNI(ap *byte, kg int, rs *int32)
// Sums each of the 8 rows of an A panel of kg >= 1 groups (32 bytes each: 4 bytes a row) into
// rs: VPDPBUSD by bytes of ones adds a row's four bytes into its int32 lane, two groups a zmm.
TEXT ·qgRowSumsVNNI(SB), NOSPLIT, $0-24
	MOVQ         ap+0(FP), SI
	MOVQ         kg+8(FP), CX
	MOVQ         rs+16(FP), DI
	MOVL         $0x01010101, AX
	VPBROADCASTD AX, Z1
	VPXORD       Z0, Z0, Z0
	VPXORD       Z2, Z2, Z2

loopRowSums:
	CMPQ      CX, $2
	JL        tailRowSums
	VMOVDQU32 (SI), Z3
	VPDPBUSD  Z1, Z3, Z0
	ADDQ      $64, SI
	SUBQ      $2, CX
	JMP       loopRowSums

tailRowSums:
	TESTQ    CX, CX
	JZ       doneRowSums
	VMOVDQU  (SI), Y3
	VPDPBUSD Y1, Y3, Y2

doneRowSums:
	VEXTRACTI64X4 $1, Z0, Y3
	VPADDD        Y3, Y0, Y0
	VPADDD        Y2, Y0, Y0
	VMOVDQU       Y0, (DI)
	VZEROUPPER
	RET

// func qcGroupsSSE(dst, src *byte, ld, n int)
// Writes n groups of an A panel (32 bytes each: 8 rows by 4 depths, row-major in the group)
// from a depth-major matrix: group g takes 8 bytes (rows) from each of the depths 4g..4g+3 at
// src + depth*ld. Two byte unpacks pair the depths, two word unpacks make the rows (SSE2).
TEXT ·qcGroupsSSE(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), AX
	MOVQ n+24(FP), CX
	LEAQ (AX)(AX*2), BX
	MOVQ AX, DX
	SHLQ $2, DX
	TESTQ CX, CX
	JZ   doneGroups

loopGroups:
	MOVQ      (SI), X0
	MOVQ      (SI)(AX*1), X1
	MOVQ      (SI)(AX*2), X2
	MOVQ      (SI)(BX*1), X3
	PUNPCKLBW X1, X0
	PUNPCKLBW X3, X2
	MOVOU     X0, X4
	PUNPCKLWL X2, X0
	PUNPCKHWL X2, X4
	MOVOU     X0, (DI)
	MOVOU     X4, 16(DI)
	ADDQ      DX, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loopGroups

doneGroups:
	RET

// func qcTranspose8AVX(dst *float32, ldd int, src *float32, lds int)
// Writes the 8x8 block at src (row stride lds floats) transposed into dst (row stride ldd):
// dst[j*ldd+i] = src[i*lds+j]. Unpacks pair the rows, shuffles make quads, lane permutes
// join the halves (AVX).
TEXT ·qcTranspose8AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), AX
	SHLQ $2, DX
	SHLQ $2, AX
	LEAQ (AX)(AX*2), BX

	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	VMOVUPS (SI)(BX*1), Y3
	LEAQ    (SI)(AX*4), SI
	VMOVUPS (SI), Y4
	VMOVUPS (SI)(AX*1), Y5
	VMOVUPS (SI)(AX*2), Y6
	VMOVUPS (SI)(BX*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (DX)(DX*2), CX
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(CX*1)
	LEAQ    (DI)(DX*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(DX*1)
	VMOVUPS Y14, (DI)(DX*2)
	VMOVUPS Y15, (DI)(CX*1)
	VZEROUPPER
	RET

// func qgMinMaxPlaneAVX512(a, lo, hi *float32, n int)
// lo[i] = min(lo[i], a[i]) and hi[i] = max(hi[i], a[i]) for i < n, a multiple of 16. A NaN in
// a leaves lo and hi as they are (VMINPS and VMAXPS return their second source on a NaN).
TEXT ·qgMinMaxPlaneAVX512(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ lo+8(FP), DI
	MOVQ hi+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $4, CX
	JZ   doneMinMaxPlane

loopMinMaxPlane:
	VMOVUPS (SI), Z0
	VMOVUPS (DI), Z1
	VMOVUPS (DX), Z2
	VMINPS  Z1, Z0, Z1
	VMAXPS  Z2, Z0, Z2
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, (DX)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	DECQ    CX
	JNZ     loopMinMaxPlane

doneMinMaxPlane:
	VZEROUPPER
	RET

// func qgQuantizePlaneAVX512(a, scale *float32, zp *int32, dst *byte, n int)
// dst[i] = clamp(round_even(a[i] / scale[i]) + zp[i], 0, 255) for i < n, a multiple of 16.
TEXT ·qgQuantizePlaneAVX512(SB), NOSPLIT, $0-40
	MOVQ   a+0(FP), SI
	MOVQ   scale+8(FP), R8
	MOVQ   zp+16(FP), R9
	MOVQ   dst+24(FP), DI
	MOVQ   n+32(FP), CX
	VPXORD Z5, Z5, Z5
	MOVL   $255, AX
	VPBROADCASTD AX, Z6
	SHRQ   $4, CX
	JZ     doneQuantizePlane

loopQuantizePlane:
	VMOVUPS          (SI), Z0
	VDIVPS           (R8), Z0, Z0
	VCVTPS2DQ.RN_SAE Z0, Z0
	VPADDD           (R9), Z0, Z0
	VPMAXSD          Z5, Z0, Z0
	VPMINSD          Z6, Z0, Z0
	VPMOVDB          Z0, X1
	VMOVDQU          X1, (DI)
	ADDQ             $64, SI
	ADDQ             $64, R8
	ADDQ             $64, R9
	ADDQ             $16, DI
	DECQ             CX
	JNZ              loopQuantizePlane

doneQuantizePlane:
	VZEROUPPER
	RET

// func qgStoreAVX2(acc *int32, c *float32, ldc int, corr *int32, mul, bias *float32, rs, off, rzp *int32, rsc *float32, cs *int32)
// qgStoreGo for 8 rows of 16 columns in AVX2 (and FMA): acc's rows are 32 int32 apart, the
// column vectors (corr, mul, bias, off, cs) hold the 16 columns, rs, rzp and rsc the 8 rows;
// rs nil: no offsets; rzp nil: A quantized per tensor.
TEXT ·qgStoreAVX2(SB), NOSPLIT, $0-88
	MOVQ    acc+0(FP), SI
	MOVQ    c+8(FP), DI
	MOVQ    ldc+16(FP), R8
	SHLQ    $2, R8
	MOVQ    corr+24(FP), R9
	MOVQ    mul+32(FP), R10
	MOVQ    bias+40(FP), R11
	MOVQ    rs+48(FP), R12
	MOVQ    off+56(FP), R13
	MOVQ    rzp+64(FP), AX
	MOVQ    rsc+72(FP), BX
	MOVQ    cs+80(FP), DX
	VMOVDQU (R9), Y2
	VMOVDQU 32(R9), Y3
	VMOVUPS (R10), Y4
	VMOVUPS 32(R10), Y5
	VMOVUPS (R11), Y6
	VMOVUPS 32(R11), Y7
	TESTQ   R12, R12
	JZ      noOffStoreAVX2
	VMOVDQU (R13), Y8
	VMOVDQU 32(R13), Y9

noOffStoreAVX2:
	TESTQ   AX, AX
	JZ      rowsReadyStoreAVX2
	VMOVDQU (DX), Y10
	VMOVDQU 32(DX), Y11

rowsReadyStoreAVX2:
	MOVQ $8, CX

loopStoreAVX2:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VPSUBD  Y2, Y0, Y0
	VPSUBD  Y3, Y1, Y1
	TESTQ   R12, R12
	JZ      zpStoreAVX2
	VPBROADCASTD (R12), Y12
	VPMULLD      Y8, Y12, Y13
	VPADDD       Y13, Y0, Y0
	VPMULLD      Y9, Y12, Y13
	VPADDD       Y13, Y1, Y1
	ADDQ         $4, R12

zpStoreAVX2:
	TESTQ AX, AX
	JZ    floatStoreAVX2
	VPBROADCASTD (AX), Y12
	VPMULLD      Y10, Y12, Y13
	VPSUBD       Y13, Y0, Y0
	VPMULLD      Y11, Y12, Y13
	VPSUBD       Y13, Y1, Y1
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VBROADCASTSS (BX), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	ADDQ         $4, AX
	ADDQ         $4, BX
	JMP          fmaStoreAVX2

floatStoreAVX2:
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1

fmaStoreAVX2:
	VFMADD213PS Y6, Y4, Y0
	VFMADD213PS Y7, Y5, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	ADDQ        $128, SI
	ADDQ        R8, DI
	DECQ        CX
	JNZ         loopStoreAVX2
	VZEROUPPER
	RET

// func qgMinMaxAVX2(a *float32, n int) (lo, hi float32)
// min(a[:n], 0) and max(a[:n], 0); a NaN is skipped.
TEXT ·qgMinMaxAVX2(SB), NOSPLIT, $0-24
	MOVQ  a+0(FP), SI
	MOVQ  n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SHRQ  $3, CX
	JZ    reduceMinMaxAVX2

loopMinMaxAVX2:
	VMOVUPS (SI), Y2
	VMINPS  Y0, Y2, Y0
	VMAXPS  Y1, Y2, Y1
	ADDQ    $32, SI
	DECQ    CX
	JNZ     loopMinMaxAVX2

reduceMinMaxAVX2:
	QGREDUCEMINMAX
	VZEROUPPER
	RET

// func qgQuantizeRowAVX2(a *float32, n int, scale float32, zp int32, dst *byte)
// qgQuantizeRowGo: depths 4g..4g+3 go to dst[32g:], one A panel row.
TEXT ·qgQuantizeRowAVX2(SB), NOSPLIT, $0-32
	QGSETUPAVX2
	JZ doneQuantizeRowAVX2

loopQuantizeRowAVX2:
	VMOVUPS    (SI), Y0
	VDIVPS     Y3, Y0, Y0
	VCVTPS2DQ  Y0, Y0
	VPADDD     Y4, Y0, Y0
	QG8BYTES
	VMOVD      X0, (DI)
	VPEXTRD    $1, X0, 32(DI)
	ADDQ       $32, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        loopQuantizeRowAVX2

doneQuantizeRowAVX2:
	VZEROUPPER
	RET

// func qgQuantizeAVX2(a *float32, n int, scale float32, zp int32, dst *byte)
// qgQuantizeGo: one byte per value.
TEXT ·qgQuantizeAVX2(SB), NOSPLIT, $0-32
	QGSETUPAVX2
	JZ doneQuantizeAVX2

loopQuantizeAVX2:
	VMOVUPS   (SI), Y0
	VDIVPS    Y3, Y0, Y0
	VCVTPS2DQ Y0, Y0
	VPADDD    Y4, Y0, Y0
	QG8BYTES
	VMOVQ     X0, (DI)
	ADDQ      $32, SI
	ADDQ      $8, DI
	DECQ      CX
	JNZ       loopQuantizeAVX2

doneQuantizeAVX2:
	VZEROUPPER
	RET

// func qgMinMaxPlaneAVX2(a, lo, hi *float32, n int)
// qgMinMaxPlaneAVX512 on ymm.
TEXT ·qgMinMaxPlaneAVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ lo+8(FP), DI
	MOVQ hi+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   doneMinMaxPlaneAVX2

loopMinMaxPlaneAVX2:
	VMOVUPS (SI), Y0
	VMINPS  (DI), Y0, Y1
	VMAXPS  (DX), Y0, Y2
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     loopMinMaxPlaneAVX2

doneMinMaxPlaneAVX2:
	VZEROUPPER
	RET

// func qgQuantizePlaneAVX2(a, scale *float32, zp *int32, dst *byte, n int)
// qgQuantizePlaneAVX512 on ymm.
TEXT ·qgQuantizePlaneAVX2(SB), NOSPLIT, $0-40
	MOVQ  a+0(FP), SI
	MOVQ  scale+8(FP), R8
	MOVQ  zp+16(FP), R9
	MOVQ  dst+24(FP), DI
	MOVQ  n+32(FP), CX
	VPXOR Y5, Y5, Y5
	MOVL  $255, AX
	MOVD  AX, X6
	VPBROADCASTD X6, Y6
	SHRQ  $3, CX
	JZ    doneQuantizePlaneAVX2

loopQuantizePlaneAVX2:
	VMOVUPS   (SI), Y0
	VDIVPS    (R8), Y0, Y0
	VCVTPS2DQ Y0, Y0
	VPADDD    (R9), Y0, Y0
	QG8BYTES
	VMOVQ     X0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, R8
	ADDQ      $32, R9
	ADDQ      $8, DI
	DECQ      CX
	JNZ       loopQuantizePlaneAVX2

doneQuantizePlaneAVX2:
	VZEROUPPER
	RET

// func qgemmRowVNNI(kg int, ap, bp *byte, bps int, c *float32, corr *int32, mul, bias *float32, zp int32, scale float32, cs *int32, rows int)
// One row of A (ap: its bytes of an A panel, 32 bytes a group) by eight B panels (128
// columns, bps bytes apart) over kg >= 1 groups, with the epilogue: eight independent
// accumulators where the 8-row kernel would spend seven of its eight rows on padding. rows
// != 0: A is quantized per row, with zero point zp and scale, and cs holds the columns' sums.
TEXT ·qgemmRowVNNI(SB), NOSPLIT, $0-88
	MOVQ kg+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ bps+24(FP), R8
	LEAQ (DI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), BX
	LEAQ (BX)(R8*1), DX
	XORQ AX, AX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

loopRowVNNI:
	VPBROADCASTD (SI), Z16
	VPDPBUSD     (DI)(AX*1), Z16, Z0
	VPDPBUSD     (R9)(AX*1), Z16, Z1
	VPDPBUSD     (R10)(AX*1), Z16, Z2
	VPDPBUSD     (R11)(AX*1), Z16, Z3
	VPDPBUSD     (R12)(AX*1), Z16, Z4
	VPDPBUSD     (R13)(AX*1), Z16, Z5
	VPDPBUSD     (BX)(AX*1), Z16, Z6
	VPDPBUSD     (DX)(AX*1), Z16, Z7
	ADDQ         $32, SI
	ADDQ         $64, AX
	DECQ         CX
	JNZ          loopRowVNNI

	MOVQ         c+32(FP), DI
	MOVQ         corr+40(FP), R9
	MOVQ         mul+48(FP), R10
	MOVQ         bias+56(FP), R11
	MOVQ         cs+72(FP), R12
	MOVQ         rows+80(FP), R13
	MOVL         zp+64(FP), AX
	VPBROADCASTD AX, Z17
	VBROADCASTSS scale+68(FP), Z19
	QGROWSTORE(0, Z0)
	QGROWSTORE(64, Z1)
	QGROWSTORE(128, Z2)
	QGROWSTORE(192, Z3)
	QGROWSTORE(256, Z4)
	QGROWSTORE(320, Z5)
	QGROWSTORE(384, Z6)
	QGROWSTORE(448, Z7)
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// MASK16 sets mask k to the low min(max(n, 0), 16) lanes (n is left as it was).
#define MASK16(n, k) \
	MOVQ n, CX \
	XORQ R14, R14 \
	CMPQ CX, $0 \
	CMOVQLT R14, CX \
	MOVQ $16, R14 \
	CMPQ CX, R14 \
	CMOVQGT R14, CX \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, k

// ROWMAX folds the 32 columns of row r at R12 (masked by K1, K2; -Inf past them) into Z0, Z1,
// the accumulator second so that NaNs never win.
#define ROWMAX(r) \
	VMOVAPS Z31, Z8 \
	VMOVUPS (r)(R12*1), K1, Z8 \
	VMAXPS Z0, Z8, Z0 \
	VMOVAPS Z31, Z9 \
	VMOVUPS 64(r)(R12*1), K2, Z9 \
	VMAXPS Z1, Z9, Z1

// The even and odd lanes of two vectors (VPERMT2PS indexes: 16 and up is the second).
DATA plMax3Evens<>+0(SB)/4, $0
DATA plMax3Evens<>+4(SB)/4, $2
DATA plMax3Evens<>+8(SB)/4, $4
DATA plMax3Evens<>+12(SB)/4, $6
DATA plMax3Evens<>+16(SB)/4, $8
DATA plMax3Evens<>+20(SB)/4, $10
DATA plMax3Evens<>+24(SB)/4, $12
DATA plMax3Evens<>+28(SB)/4, $14
DATA plMax3Evens<>+32(SB)/4, $16
DATA plMax3Evens<>+36(SB)/4, $18
DATA plMax3Evens<>+40(SB)/4, $20
DATA plMax3Evens<>+44(SB)/4, $22
DATA plMax3Evens<>+48(SB)/4, $24
DATA plMax3Evens<>+52(SB)/4, $26
DATA plMax3Evens<>+56(SB)/4, $28
DATA plMax3Evens<>+60(SB)/4, $30
GLOBL plMax3Evens<>(SB), RODATA|NOPTR, $64

// func plMax3s2RowAVX512(dst *float32, ow int, r0, r1, r2 *float32, w int)
//
// dst[x] = max over rows r0..r2 and columns 2x-1, 2x, 2x+1 (those in [0, w)) for x < ow: one
// output row of a 3x3 stride-2 max pooling padded by one on the left. Per 16 outputs: the
// column maxima of 32 input columns (masked loads past w read -Inf), their even and odd lanes
// (VPERMT2PS) and the odd lanes moved up by one with the previous block's last (VALIGND).
// NaNs never win: each maximum takes the accumulator as its second source.
TEXT ·plMax3s2RowAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ow+8(FP), DX
	MOVQ r0+16(FP), R8
	MOVQ r1+24(FP), R9
	MOVQ r2+32(FP), R10
	MOVQ w+40(FP), R11
	MOVL $0xff800000, AX
	MOVL AX, X0
	VBROADCASTSS X0, Z31
	VMOVUPS plMax3Evens<>(SB), Z28
	MOVL $1, AX
	VPBROADCASTD AX, Z29
	VPADDD Z29, Z28, Z29 // the odd lanes' indexes
	VMOVAPS Z31, Z30     // the previous block's odd lanes: column -1 is padding
	XORQ BX, BX          // outputs done
	XORQ R12, R12        // byte offset of input column 2*BX

loop:
	// Masks: K1, K2 the valid input columns of the two vectors, K3 the outputs.
	MOVQ BX, R13
	SHLQ $1, R13
	NEGQ R13
	ADDQ R11, R13 // input columns left
	MASK16(R13, K1)
	SUBQ $16, R13
	MASK16(R13, K2)
	MOVQ DX, R13
	SUBQ BX, R13
	MASK16(R13, K3)

	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	ROWMAX(R8)
	ROWMAX(R9)
	ROWMAX(R10)

	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z28, Z4 // columns 2x
	VMOVAPS Z0, Z5
	VPERMT2PS Z1, Z29, Z5 // columns 2x+1
	VALIGND $15, Z30, Z5, Z6 // columns 2x-1
	VMOVAPS Z5, Z30
	VMAXPS Z4, Z5, Z4
	VMAXPS Z4, Z6, Z4
	VMOVUPS Z4, K3, (DI)(BX*4)
	ADDQ $16, BX
	ADDQ $128, R12
	CMPQ BX, DX
	JLT loop
	VZEROUPPER
	RET

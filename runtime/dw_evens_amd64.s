//go:build amd64 && !purego

#include "textflag.h"

// dst[i] = src[2*i] for i < n, n a multiple of 16 (AVX-512) or 8 (AVX2); src is read up to
// 2*n: the stride-2 column split of the depthwise and pooling buffers (dwGeom.fill).

// Lane i of the AVX-512 permutation takes lane 2*i of the two source vectors.
DATA dwEvenIdx<>+0(SB)/4, $0
DATA dwEvenIdx<>+4(SB)/4, $2
DATA dwEvenIdx<>+8(SB)/4, $4
DATA dwEvenIdx<>+12(SB)/4, $6
DATA dwEvenIdx<>+16(SB)/4, $8
DATA dwEvenIdx<>+20(SB)/4, $10
DATA dwEvenIdx<>+24(SB)/4, $12
DATA dwEvenIdx<>+28(SB)/4, $14
DATA dwEvenIdx<>+32(SB)/4, $16
DATA dwEvenIdx<>+36(SB)/4, $18
DATA dwEvenIdx<>+40(SB)/4, $20
DATA dwEvenIdx<>+44(SB)/4, $22
DATA dwEvenIdx<>+48(SB)/4, $24
DATA dwEvenIdx<>+52(SB)/4, $26
DATA dwEvenIdx<>+56(SB)/4, $28
DATA dwEvenIdx<>+60(SB)/4, $30
GLOBL dwEvenIdx<>(SB), RODATA|NOPTR, $64

// func dwEvensAVX512(dst, src *float32, n int)
TEXT ·dwEvensAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ dwEvensAVX512done
	VMOVDQU32 dwEvenIdx<>(SB), Z2
dwEvensAVX512loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VPERMT2PS Z1, Z2, Z0
	VMOVUPS Z0, (DI)
	ADDQ $128, SI
	ADDQ $64, DI
	DECQ CX
	JNZ dwEvensAVX512loop
	VZEROUPPER
dwEvensAVX512done:
	RET

// func dwEvensAVX2(dst, src *float32, n int)
TEXT ·dwEvensAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ dwEvensAVX2done
dwEvensAVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	// Per 128-bit lane a0 a2 b0 b2, then the middle quadwords swapped: a0 a2 a4 a6 b0 b2 b4 b6.
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ dwEvensAVX2loop
	VZEROUPPER
dwEvensAVX2done:
	RET

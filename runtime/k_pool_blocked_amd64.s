//go:build amd64 && !purego

#include "textflag.h"

// func plBlkMaxAVX512(d, src *float32, offs *int, nt, n, step int) bool
// For n output pixels (step floats apart in src, 16 apart in d): the maximum of the nt vectors
// at src+offs[t], from -Inf with the accumulator second so that NaNs never win; reports whether
// any output lane is -Inf (then the caller looks again: a window of NaNs gives NaN).
TEXT ·plBlkMaxAVX512(SB), NOSPLIT, $0-49
	MOVQ d+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ nt+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ step+40(FP), R10
	SHLQ $2, R10
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z31
	KXORW K2, K2, K2

plBlkPix:
	VMOVAPS Z31, Z0
	XORQ BX, BX

plBlkTap:
	MOVQ    (R8)(BX*8), AX
	VMOVUPS (SI)(AX*4), Z1
	VMAXPS  Z0, Z1, Z0
	INCQ    BX
	CMPQ    BX, R9
	JLT     plBlkTap
	VMOVUPS Z0, (DI)
	VCMPPS  $0, Z31, Z0, K1
	KORW    K1, K2, K2
	ADDQ    $64, DI
	ADDQ    R10, SI
	DECQ    CX
	JNZ     plBlkPix
	KORTESTW K2, K2
	SETNE    AL
	MOVB     AL, ret+48(FP)
	VZEROUPPER
	RET

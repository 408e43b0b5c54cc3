//go:build amd64 && !purego

#include "textflag.h"

// func cvGatherRows(dst, src *float32, offs *int, rows, base, width int)
// Row r of dst (width floats, width a positive multiple of 4) is a copy of the width floats at
// src[offs[r]+base]: the rows of an im2col panel. SSE moves, 16 bytes at a time.
TEXT ·cvGatherRows(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ rows+24(FP), CX
	MOVQ base+32(FP), R9
	MOVQ width+40(FP), R10
	SHLQ $2, R10
	TESTQ CX, CX
	JZ   done

row:
	MOVQ (R8), AX
	ADDQ R9, AX
	LEAQ (SI)(AX*4), AX
	XORQ BX, BX

chunk:
	MOVUPS (AX)(BX*1), X0
	MOVUPS X0, (DI)(BX*1)
	ADDQ   $16, BX
	CMPQ   BX, R10
	JLT    chunk
	ADDQ   R10, DI
	ADDQ   $8, R8
	DECQ   CX
	JNZ    row

done:
	RET

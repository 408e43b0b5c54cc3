//go:build amd64 && !purego

#include "textflag.h"

// func gmScatter16AVX(dst *float32, dstride int, src *float32, n int)
TEXT ·gmScatter16AVX(SB), NOSPLIT, $0-32
	MOVQ  dst+0(FP), DI
	MOVQ  dstride+8(FP), DX
	SHLQ  $2, DX
	MOVQ  src+16(FP), SI
	MOVQ  n+24(FP), CX
	TESTQ CX, CX
	JZ    done

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    DX, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func gmWiden16AVX(dst, src *float32, kc int)
// One B panel of gemmPN columns from four consecutive panels of gemmNR columns (kc steps each).
TEXT ·gmWiden16AVX(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  kc+16(FP), CX
	MOVQ  CX, R8
	SHLQ  $4, R8               // a narrow panel: kc steps of 4 floats
	LEAQ  (R8)(R8*2), R9
	TESTQ CX, CX
	JZ    wdone

wloop:
	VMOVUPS (SI), X0
	VMOVUPS (SI)(R8*1), X1
	VMOVUPS (SI)(R8*2), X2
	VMOVUPS (SI)(R9*1), X3
	VMOVUPS X0, (DI)
	VMOVUPS X1, 16(DI)
	VMOVUPS X2, 32(DI)
	VMOVUPS X3, 48(DI)
	ADDQ    $16, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     wloop

wdone:
	RET

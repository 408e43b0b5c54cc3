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

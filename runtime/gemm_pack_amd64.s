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

// func gmPackPanelAVX(d, src *float32, rs, n int)
// Packs 8*n depth steps of a panel of gemmPM = 12 rows, row r at src + r*rs floats, into d as
// d[p*12 + r]: per 8 steps, rows 0-7 by an 8x8 register transpose (unpack, shuffle, lane
// permute) stored as 8 floats a step, rows 8-11 by a 4x8 one stored as 4.
TEXT ·gmPackPanelAVX(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rs+16(FP), DX
	SHLQ $2, DX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   ppdone
	LEAQ (DX)(DX*2), BX   // 3 rows
	LEAQ (SI)(DX*4), R8   // row 4
	LEAQ (R8)(DX*4), R9   // row 8

pploop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(DX*1), Y1
	VMOVUPS (SI)(DX*2), Y2
	VMOVUPS (SI)(BX*1), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R8)(DX*1), Y5
	VMOVUPS (R8)(DX*2), Y6
	VMOVUPS (R8)(BX*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VSHUFPS $0x44, Y10, Y8, Y0 // rows 0-3 of steps 0 | 4
	VSHUFPS $0xEE, Y10, Y8, Y1 // 1 | 5
	VSHUFPS $0x44, Y11, Y9, Y2 // 2 | 6
	VSHUFPS $0xEE, Y11, Y9, Y3 // 3 | 7
	VUNPCKLPS Y5, Y4, Y8
	VUNPCKHPS Y5, Y4, Y9
	VUNPCKLPS Y7, Y6, Y10
	VUNPCKHPS Y7, Y6, Y11
	VSHUFPS $0x44, Y10, Y8, Y4 // rows 4-7
	VSHUFPS $0xEE, Y10, Y8, Y5
	VSHUFPS $0x44, Y11, Y9, Y6
	VSHUFPS $0xEE, Y11, Y9, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x31, Y4, Y0, Y9
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 192(DI)
	VPERM2F128 $0x20, Y5, Y1, Y8
	VPERM2F128 $0x31, Y5, Y1, Y9
	VMOVUPS Y8, 48(DI)
	VMOVUPS Y9, 240(DI)
	VPERM2F128 $0x20, Y6, Y2, Y8
	VPERM2F128 $0x31, Y6, Y2, Y9
	VMOVUPS Y8, 96(DI)
	VMOVUPS Y9, 288(DI)
	VPERM2F128 $0x20, Y7, Y3, Y8
	VPERM2F128 $0x31, Y7, Y3, Y9
	VMOVUPS Y8, 144(DI)
	VMOVUPS Y9, 336(DI)
	VMOVUPS (R9), Y0
	VMOVUPS (R9)(DX*1), Y1
	VMOVUPS (R9)(DX*2), Y2
	VMOVUPS (R9)(BX*1), Y3
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VSHUFPS $0x44, Y10, Y8, Y0 // rows 8-11 of steps 0 | 4
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VMOVUPS X0, 32(DI)
	VEXTRACTF128 $1, Y0, 224(DI)
	VMOVUPS X1, 80(DI)
	VEXTRACTF128 $1, Y1, 272(DI)
	VMOVUPS X2, 128(DI)
	VEXTRACTF128 $1, Y2, 320(DI)
	VMOVUPS X3, 176(DI)
	VEXTRACTF128 $1, Y3, 368(DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $384, DI
	DECQ CX
	JNZ  pploop

ppdone:
	VZEROUPPER
	RET

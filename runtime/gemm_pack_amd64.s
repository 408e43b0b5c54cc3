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

// LOAD4T loads 8 floats from each of four rows, base + 0, 1, 2 and 3 rows (DX bytes, BX = 3*DX),
// and transposes each 128-bit lane: a, b, c, d become the rows' values at steps 0|4, 1|5, 2|6
// and 3|7. Y8-Y11 are scratch.
#define LOAD4T(base, a, b, c, d) \
	VMOVUPS   (base), a \
	VMOVUPS   (base)(DX*1), b \
	VMOVUPS   (base)(DX*2), c \
	VMOVUPS   (base)(BX*1), d \
	VUNPCKLPS b, a, Y8 \
	VUNPCKHPS b, a, Y9 \
	VUNPCKLPS d, c, Y10 \
	VUNPCKHPS d, c, Y11 \
	VSHUFPS   $0x44, Y10, Y8, a \
	VSHUFPS   $0xEE, Y10, Y8, b \
	VSHUFPS   $0x44, Y11, Y9, c \
	VSHUFPS   $0xEE, Y11, Y9, d

// STORE8 stores rows 0-3 (lo) and 4-7 (hi) of steps s and s+4 as 8 floats at DI + off and
// DI + off + 192 (a step is 12 floats, 48 bytes).
#define STORE8(lo, hi, off) \
	VPERM2F128 $0x20, hi, lo, Y8 \
	VPERM2F128 $0x31, hi, lo, Y9 \
	VMOVUPS    Y8, off(DI) \
	VMOVUPS    Y9, off+192(DI)

// STORE4 stores rows 8-11 of steps s and s+4 (the lanes of y, x its low half) at DI + off and
// DI + off + 192.
#define STORE4(y, x, off) \
	VMOVUPS      x, off(DI) \
	VEXTRACTF128 $1, y, off+192(DI)

// func gmPackPanelAVX(d, src *float32, rs, n int)
// Packs 8*n depth steps of a panel of gemmPM = 12 rows, row r at src + r*rs floats, into d as
// d[p*12 + r]: per 8 steps, rows 0-7 by an 8x8 register transpose (unpack, shuffle, lane
// permute) stored as 8 floats a step, rows 8-11 by a 4x8 one stored as 4.
TEXT ·gmPackPanelAVX(SB), NOSPLIT, $0-32
	MOVQ  d+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  rs+16(FP), DX
	SHLQ  $2, DX
	MOVQ  n+24(FP), CX
	TESTQ CX, CX
	JZ    ppdone
	LEAQ  (DX)(DX*2), BX // 3 rows
	LEAQ  (SI)(DX*4), R8 // row 4
	LEAQ  (R8)(DX*4), R9 // row 8

pploop:
	LOAD4T(SI, Y0, Y1, Y2, Y3)
	LOAD4T(R8, Y4, Y5, Y6, Y7)
	STORE8(Y0, Y4, 0)
	STORE8(Y1, Y5, 48)
	STORE8(Y2, Y6, 96)
	STORE8(Y3, Y7, 144)
	LOAD4T(R9, Y0, Y1, Y2, Y3)
	STORE4(Y0, X0, 32)
	STORE4(Y1, X1, 80)
	STORE4(Y2, X2, 128)
	STORE4(Y3, X3, 176)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $384, DI
	DECQ CX
	JNZ  pploop

ppdone:
	VZEROUPPER
	RET

// STORE8B stores columns 0-3 (lo) and 4-7 (hi) of depth steps s and s+4, times alpha (Y12), as
// 8 floats at DI + off and DI + off + 256 (a step of a B panel is 16 floats, 64 bytes).
#define STORE8B(lo, hi, off) \
	VPERM2F128 $0x20, hi, lo, Y8 \
	VPERM2F128 $0x31, hi, lo, Y9 \
	VMULPS     Y12, Y8, Y8 \
	VMULPS     Y12, Y9, Y9 \
	VMOVUPS    Y8, off(DI) \
	VMOVUPS    Y9, off+256(DI)

// func gmPackBTAVX(d, src *float32, cs int, alpha float32, n int)
// Packs 8*n depth steps of a B panel of gemmPN = 16 columns whose column c is contiguous along
// the depth at src + c*cs floats (a transposed B), times alpha, into d as d[p*16 + c]: per 8
// steps, columns 0-7 and 8-15 by two 8x8 register transposes (LOAD4T, STORE8B).
TEXT ·gmPackBTAVX(SB), NOSPLIT, $0-40
	MOVQ         d+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         cs+16(FP), DX
	SHLQ         $2, DX
	VBROADCASTSS alpha+24(FP), Y12
	MOVQ         n+32(FP), CX
	TESTQ        CX, CX
	JZ           btdone
	LEAQ         (DX)(DX*2), BX // 3 columns
	LEAQ         (SI)(DX*4), R8 // column 4
	LEAQ         (R8)(DX*4), R9 // column 8
	LEAQ         (R9)(DX*4), R10 // column 12

btloop:
	LOAD4T(SI, Y0, Y1, Y2, Y3)
	LOAD4T(R8, Y4, Y5, Y6, Y7)
	STORE8B(Y0, Y4, 0)
	STORE8B(Y1, Y5, 64)
	STORE8B(Y2, Y6, 128)
	STORE8B(Y3, Y7, 192)
	LOAD4T(R9, Y0, Y1, Y2, Y3)
	LOAD4T(R10, Y4, Y5, Y6, Y7)
	STORE8B(Y0, Y4, 32)
	STORE8B(Y1, Y5, 96)
	STORE8B(Y2, Y6, 160)
	STORE8B(Y3, Y7, 224)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $512, DI
	DECQ CX
	JNZ  btloop

btdone:
	VZEROUPPER
	RET

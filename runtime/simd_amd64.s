//go:build amd64 && !purego

#include "textflag.h"

// Vector loops for the hot elementwise and depthwise paths, for CPUs with AVX2 and FMA (the
// callers check sgemmHasAVX2FMA). n counts float32 elements and is a multiple of 8; the
// callers do the tail in Go. Max and min take the value as their second source, which the
// instructions return when either source is NaN, so NaN propagates as in the Go loops.

// func clampAffineAVX2(s *float32, n int, a, b, lo, hi float32)
// s[i] = min(max(a*s[i]+b, lo), hi)
TEXT ·clampAffineAVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS a+16(FP), Y1
	VBROADCASTSS b+20(FP), Y2
	VBROADCASTSS lo+24(FP), Y3
	VBROADCASTSS hi+28(FP), Y4
	SHRQ         $3, CX
	JZ           clampDone

clampLoop:
	VMOVUPS     (DI), Y0
	VFMADD213PS Y2, Y1, Y0
	VMAXPS      Y0, Y3, Y0
	VMINPS      Y0, Y4, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         clampLoop

clampDone:
	VZEROUPPER
	RET

// func hardSwishAVX2(s *float32, n int, a, b float32)
// s[i] = s[i] * min(max(a*s[i]+b, 0), 1)
TEXT ·hardSwishAVX2(SB), NOSPLIT, $0-24
	MOVQ         s+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS a+16(FP), Y1
	VBROADCASTSS b+20(FP), Y2
	VXORPS       Y3, Y3, Y3
	MOVL         $0x3f800000, AX
	MOVL         AX, X4
	VBROADCASTSS X4, Y4
	SHRQ         $3, CX
	JZ           hswDone

hswLoop:
	VMOVUPS     (DI), Y0
	VMOVAPS     Y0, Y5
	VFMADD213PS Y2, Y1, Y5
	VMAXPS      Y5, Y3, Y5
	VMINPS      Y5, Y4, Y5
	VMULPS      Y5, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         hswLoop

hswDone:
	VZEROUPPER
	RET

// func axpyTapsAVX2(d *float32, n int, in *float32, dx int, w *float32, k int)
// d[i] += w[0]*in[i] + w[1]*in[i+dx] + ... + w[k-1]*in[i+(k-1)*dx], k >= 1.
// Blocks of 32 outputs keep four independent accumulators, so the FMA chain of one block
// does not wait on its own latency; blocks of 8 take what is left.
TEXT ·axpyTapsAVX2(SB), NOSPLIT, $0-48
	MOVQ d+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ in+16(FP), SI
	MOVQ dx+24(FP), DX
	SHLQ $2, DX
	MOVQ w+32(FP), R8
	MOVQ k+40(FP), R9
	MOVQ CX, BX
	SHRQ $5, BX
	JZ   taps8

block32:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y2
	VMOVUPS 64(DI), Y3
	VMOVUPS 96(DI), Y4
	MOVQ    SI, R10
	MOVQ    R8, R11
	MOVQ    R9, R12

tap32:
	VBROADCASTSS (R11), Y1
	VFMADD231PS  (R10), Y1, Y0
	VFMADD231PS  32(R10), Y1, Y2
	VFMADD231PS  64(R10), Y1, Y3
	VFMADD231PS  96(R10), Y1, Y4
	ADDQ         DX, R10
	ADDQ         $4, R11
	DECQ         R12
	JNZ          tap32
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y2, 32(DI)
	VMOVUPS      Y3, 64(DI)
	VMOVUPS      Y4, 96(DI)
	ADDQ         $128, DI
	ADDQ         $128, SI
	DECQ         BX
	JNZ          block32

taps8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   tapsDone

block8:
	VMOVUPS (DI), Y0
	MOVQ    SI, R10
	MOVQ    R8, R11
	MOVQ    R9, R12

tap8:
	VBROADCASTSS (R11), Y1
	VFMADD231PS  (R10), Y1, Y0
	ADDQ         DX, R10
	ADDQ         $4, R11
	DECQ         R12
	JNZ          tap8
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	DECQ         CX
	JNZ          block8

tapsDone:
	VZEROUPPER
	RET

// func arithAVX2(op int, d, a, b *float32, n int)
// d[i] = a[i] op b[i] for op 0 add, 1 sub, 2 mul, 3 div.
TEXT ·arithAVX2(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ   arithDone
	CMPQ AX, $1
	JEQ  subLoop
	CMPQ AX, $2
	JEQ  mulLoop
	CMPQ AX, $3
	JEQ  divLoop

addLoop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addLoop
	JMP     arithDone

subLoop:
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     subLoop
	JMP     arithDone

mulLoop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     mulLoop
	JMP     arithDone

divLoop:
	VMOVUPS (SI), Y0
	VDIVPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     divLoop

arithDone:
	VZEROUPPER
	RET

// SUM_Y0_Y1_TO_X0 adds the eight float64 lanes of Y0 and Y1 into the low lane of X0.
#define SUM_Y0_Y1_TO_X0 \
	VADDPD       Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD       X1, X0, X0 \
	VUNPCKHPD    X0, X0, X1 \
	VADDSD       X1, X0, X0

// func sumF64AVX2(s *float32, n int) float64
// The sum of s[0:n] accumulated in float64, as nmMeanVar's Go loop does.
TEXT ·sumF64AVX2(SB), NOSPLIT, $0-24
	MOVQ   s+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	SHRQ   $3, CX
	JZ     sumF64Done

sumF64Loop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VADDPD    Y2, Y0, Y0
	VADDPD    Y3, Y1, Y1
	ADDQ      $32, SI
	DECQ      CX
	JNZ       sumF64Loop

sumF64Done:
	SUM_Y0_Y1_TO_X0
	VZEROUPPER
	MOVSD        X0, ret+16(FP)
	RET

// func sqDevF64AVX2(s *float32, n int, mean float64) float64
// The sum of (s[i]-mean)^2 over s[0:n] in float64.
TEXT ·sqDevF64AVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Y4
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	SHRQ         $3, CX
	JZ           sqDevDone

sqDevLoop:
	VCVTPS2PD   (SI), Y2
	VCVTPS2PD   16(SI), Y3
	VSUBPD      Y4, Y2, Y2
	VSUBPD      Y4, Y3, Y3
	VFMADD231PD Y2, Y2, Y0
	VFMADD231PD Y3, Y3, Y1
	ADDQ        $32, SI
	DECQ        CX
	JNZ         sqDevLoop

sqDevDone:
	SUM_Y0_Y1_TO_X0
	VZEROUPPER
	MOVSD        X0, ret+24(FP)
	RET

// func normRowAVX2(d, s, sc, bs *float32, n int, m, iv float32)
// d[i] = (s[i]-m)*iv*sc[i] + bs[i] (without "+ bs[i]" when bs is nil), rounded after each
// operation as the Go loop is, so both give the same bits.
TEXT ·normRowAVX2(SB), NOSPLIT, $0-48
	MOVQ         d+0(FP), DI
	MOVQ         s+8(FP), SI
	MOVQ         sc+16(FP), R9
	MOVQ         bs+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSS m+40(FP), Y4
	VBROADCASTSS iv+44(FP), Y5
	SHRQ         $3, CX
	JZ           normDone
	TESTQ        R8, R8
	JZ           normNoBias

normLoop:
	VMOVUPS (SI), Y0
	VSUBPS  Y4, Y0, Y0
	VMULPS  Y5, Y0, Y0
	VMULPS  (R9), Y0, Y0
	VADDPS  (R8), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R9
	ADDQ    $32, R8
	DECQ    CX
	JNZ     normLoop
	JMP     normDone

normNoBias:
	VMOVUPS (SI), Y0
	VSUBPS  Y4, Y0, Y0
	VMULPS  Y5, Y0, Y0
	VMULPS  (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R9
	DECQ    CX
	JNZ     normNoBias

normDone:
	VZEROUPPER
	RET

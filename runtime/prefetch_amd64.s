//go:build amd64 && !purego

#include "textflag.h"

// func prefetchL2(p *float32, n int)
// Asks for the n bytes at p (rounded out to whole cache lines) to be brought into L2.
TEXT ·prefetchL2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	ADDQ SI, CX
loop:
	CMPQ SI, CX
	JAE  done
	PREFETCHT1 (SI)
	ADDQ $64, SI
	JMP  loop
done:
	RET

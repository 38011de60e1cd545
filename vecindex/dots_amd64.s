//go:build amd64 && !purego

#include "textflag.h"

// func dotsInt8AVX2(q *int16, rows *int8, stride, n int, out *int32)
//
// out[i] = q · row i, for n rows of stride int8s (stride a multiple of 32).
// The query comes already widened to int16, so only the rows are
// sign-extended (VPMOVSXBW, the one instruction of the loop that competes
// for the shuffle port); VPMADDWD multiplies and adds pairs into int32.
// Rows go two at a time, so each load of the query serves both.
TEXT ·dotsInt8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), R8

pairs:
	CMPQ  CX, $2
	JL    single
	LEAQ  (DI)(BX*1), R9
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ  AX, AX

pairloop:
	VPMOVSXBW (DI)(AX*1), Y4
	VPMOVSXBW 16(DI)(AX*1), Y5
	VPMOVSXBW (R9)(AX*1), Y6
	VPMOVSXBW 16(R9)(AX*1), Y7
	VMOVDQU   (SI)(AX*2), Y8
	VMOVDQU   32(SI)(AX*2), Y9
	VPMADDWD  Y8, Y4, Y4
	VPMADDWD  Y9, Y5, Y5
	VPMADDWD  Y8, Y6, Y6
	VPMADDWD  Y9, Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $32, AX
	CMPQ      AX, BX
	JL        pairloop

	VPADDD       Y1, Y0, Y0
	VPADDD       Y3, Y2, Y2
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VEXTRACTI128 $1, Y2, X3
	VPADDD       X3, X2, X2
	VPHADDD      X2, X0, X0 // [a0+a1, a2+a3, b0+b1, b2+b3]
	VPSHUFD      $0xd8, X0, X0 // [a01, b01, a23, b23]
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0 // [a, b, a, b]
	VMOVQ        X0, (R8)
	ADDQ         $8, R8
	LEAQ         (R9)(BX*1), DI
	SUBQ         $2, CX
	JMP          pairs

single:
	TESTQ CX, CX
	JE    done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ  AX, AX

singleloop:
	VPMOVSXBW (DI)(AX*1), Y4
	VPMOVSXBW 16(DI)(AX*1), Y5
	VPMADDWD  (SI)(AX*2), Y4, Y4
	VPMADDWD  32(SI)(AX*2), Y5, Y5
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	ADDQ      $32, AX
	CMPQ      AX, BX
	JL        singleloop

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, (R8)

done:
	VZEROUPPER
	RET

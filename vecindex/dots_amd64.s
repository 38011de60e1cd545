//go:build amd64 && !purego

#include "textflag.h"

// func dotsInt8AVX2(q, rows *int8, stride, n int, out *int32)
//
// For each of n rows of stride int8s (stride a multiple of 32): sign-extend
// 16 bytes of the query and of the row to int16 (VPMOVSXBW), multiply and add
// pairs into int32 (VPMADDWD), accumulate in two registers, then sum the
// lanes into out[i].
TEXT ·dotsInt8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), R8
	TESTQ CX, CX
	JE   done

row:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ  AX, AX

inner:
	VPMOVSXBW (SI)(AX*1), Y2
	VPMOVSXBW (DI)(AX*1), Y3
	VPMADDWD  Y2, Y3, Y3
	VPADDD    Y3, Y0, Y0
	VPMOVSXBW 16(SI)(AX*1), Y4
	VPMOVSXBW 16(DI)(AX*1), Y5
	VPMADDWD  Y4, Y5, Y5
	VPADDD    Y5, Y1, Y1
	ADDQ      $32, AX
	CMPQ      AX, BX
	JL        inner

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, (R8)
	ADDQ         $4, R8
	ADDQ         BX, DI
	DECQ         CX
	JNZ          row

done:
	VZEROUPPER
	RET

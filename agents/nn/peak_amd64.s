//go:build amd64 && !purego

#include "textflag.h"

// FMA peak loops: 16 independent accumulators (enough to hide a 4-cycle
// latency on two FMA ports), multiplicands in two spare registers, all
// zero so no denormals occur. One iteration is 16 FMAs.

#define FMA16(op, m0, m1, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15) \
	op m0, m1, r0; op m0, m1, r1; op m0, m1, r2; op m0, m1, r3; \
	op m0, m1, r4; op m0, m1, r5; op m0, m1, r6; op m0, m1, r7; \
	op m0, m1, r8; op m0, m1, r9; op m0, m1, r10; op m0, m1, r11; \
	op m0, m1, r12; op m0, m1, r13; op m0, m1, r14; op m0, m1, r15

#define ZEROZ \
	VPXORQ Z0, Z0, Z0; VMOVAPD Z0, Z1; VMOVAPD Z0, Z2; VMOVAPD Z0, Z3; \
	VMOVAPD Z0, Z4; VMOVAPD Z0, Z5; VMOVAPD Z0, Z6; VMOVAPD Z0, Z7; \
	VMOVAPD Z0, Z8; VMOVAPD Z0, Z9; VMOVAPD Z0, Z10; VMOVAPD Z0, Z11; \
	VMOVAPD Z0, Z12; VMOVAPD Z0, Z13; VMOVAPD Z0, Z14; VMOVAPD Z0, Z15; \
	VMOVAPD Z0, Z16; VMOVAPD Z0, Z17

#define ZEROY \
	VXORPD Y0, Y0, Y0; VMOVAPD Y0, Y1; VMOVAPD Y0, Y2; VMOVAPD Y0, Y3; \
	VMOVAPD Y0, Y4; VMOVAPD Y0, Y5; VMOVAPD Y0, Y6; VMOVAPD Y0, Y7; \
	VMOVAPD Y0, Y8; VMOVAPD Y0, Y9; VMOVAPD Y0, Y10; VMOVAPD Y0, Y11; \
	VMOVAPD Y0, Y12; VMOVAPD Y0, Y13; VMOVAPD Y0, Y14; VMOVAPD Y0, Y15

// func fmaLoop512s(n int)
TEXT ·fmaLoop512s(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	ZEROZ
	TESTQ CX, CX
	JLE  done512s
loop512s:
	FMA16(VFMADD231PS, Z16, Z17, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	DECQ CX
	JNZ  loop512s
done512s:
	VZEROUPPER
	RET

// func fmaLoop512d(n int)
TEXT ·fmaLoop512d(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	ZEROZ
	TESTQ CX, CX
	JLE  done512d
loop512d:
	FMA16(VFMADD231PD, Z16, Z17, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	DECQ CX
	JNZ  loop512d
done512d:
	VZEROUPPER
	RET

// The YMM loops use 14 accumulators and Y14, Y15 as multiplicands; the
// 16-FMA iteration repeats two accumulators.

// func fmaLoop256s(n int)
TEXT ·fmaLoop256s(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	ZEROY
	TESTQ CX, CX
	JLE  done256s
loop256s:
	FMA16(VFMADD231PS, Y14, Y15, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y0, Y1)
	DECQ CX
	JNZ  loop256s
done256s:
	VZEROUPPER
	RET

// func fmaLoop256d(n int)
TEXT ·fmaLoop256d(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	ZEROY
	TESTQ CX, CX
	JLE  done256d
loop256d:
	FMA16(VFMADD231PD, Y14, Y15, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y0, Y1)
	DECQ CX
	JNZ  loop256d
done256d:
	VZEROUPPER
	RET

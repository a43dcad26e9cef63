//go:build amd64 && !purego

#include "textflag.h"

// The float32 kernels run with subnormals flushed to zero (MXCSR FTZ, bit
// 15, and DAZ, bit 6) for the call only: float32 products that meet
// subnormal inputs or results otherwise take microcode assists, 120×
// slower (measured), which training in float32 reaches (e.g. the one-shot
// games). FLUSH_SUBNORMALS saves the caller's MXCSR in the frame's 8 bytes
// (the kernel's frame must be $8) and sets the bits; RESTORE_MXCSR puts it
// back before RET. It clobbers AX.
#define FLUSH_SUBNORMALS \
	STMXCSR mxcsr-8(SP) \
	MOVL    mxcsr-8(SP), AX \
	ORL     $0x8040, AX \
	MOVL    AX, ftz-4(SP) \
	LDMXCSR ftz-4(SP)

#define RESTORE_MXCSR LDMXCSR mxcsr-8(SP)

// Register-blocked float64 micro-kernels for gemm_amd64.go.
//
// Both kernels compute, for one block of MR rows of c and npanels panels of
// NR columns,
//
//	c[i, p·NR+v] = init + Σ_j a[i·sar + j·saj] · P[p·pstride + j·ldp + v]
//
// with i < MR, j < k, v < NR (only v < the valid width of the last panel,
// given by mask, is loaded from P and stored to c). init is 0 (mode 0),
// bias[p·NR+v] (mode 1) or the old c (mode 2); with mode bit 4 set the
// sums pass through the ReLU before the store (by the sign bit, as
// ReLU.Forward does: sign set → +0). Only rows lo ≤ i < hi of c are loaded
// or stored; the others are computed and dropped. If db is not nil,
// db[p·NR+v] += Σ_j P[j, v] as well. Strides are in elements.

// ---------------------------------------------------------------- AVX-512
// MR = 8 rows, NR = 16 columns (two ZMM per row, 16 accumulators Z0–Z15).
// mask is the 16-bit lane mask of the last panel (K1 = low 8, K2 = high 8
// bits); a last panel with at most 8 valid columns runs a half-width loop.
// P loads are masked, so P needs no padding past its valid columns.

// func kern512(c *float64, ldc int, a *float64, sar, saj int, p *float64, ldp, pstride, k, npanels, mask int, bias, db *float64, mode, lo, hi int)
TEXT ·kern512(SB), NOSPLIT, $0-128
	XORQ R15, R15 // panel index

panel512:
	// Lane masks: all ones except on the last panel.
	MOVL $0xffff, AX
	MOVQ npanels+72(FP), BX
	DECQ BX
	CMPQ R15, BX
	JNE  setmask512
	MOVQ mask+80(FP), AX
setmask512:
	KMOVW AX, K1
	SHRL  $8, AX
	KMOVW AX, K2

	// C block pointers: DX = row 0, DI = row 5; R12 = ldc bytes, R13 = 3·ldc.
	MOVQ R15, AX
	SHLQ $7, AX                   // panel byte offset (16·8)
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	MOVQ ldc+8(FP), R12
	SHLQ $3, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (DX)(R12*4), DI
	ADDQ R12, DI

	MOVQ mode+104(FP), BX
	ANDQ $3, BX
	CMPQ BX, $2
	JEQ  initc512
	CMPQ BX, $1
	JEQ  initbias512
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	JMP  bcastinit512
initbias512:
	MOVQ bias+88(FP), BX
	ADDQ AX, BX
	VMOVUPD.Z (BX), K1, Z0
	VMOVUPD.Z 64(BX), K2, Z1
bcastinit512:
	VMOVAPD Z0, Z2
	VMOVAPD Z1, Z3
	VMOVAPD Z0, Z4
	VMOVAPD Z1, Z5
	VMOVAPD Z0, Z6
	VMOVAPD Z1, Z7
	VMOVAPD Z0, Z8
	VMOVAPD Z1, Z9
	VMOVAPD Z0, Z10
	VMOVAPD Z1, Z11
	VMOVAPD Z0, Z12
	VMOVAPD Z1, Z13
	VMOVAPD Z0, Z14
	VMOVAPD Z1, Z15
	JMP  kstart512

#define LDROW512(ii, addr, addr64, za, zb, skip) \
	VPXORQ za, za, za; \
	VPXORQ zb, zb, zb; \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMOVUPD.Z addr, K1, za; \
	VMOVUPD.Z addr64, K2, zb; \
skip:

initc512:
	LDROW512(0, (DX), 64(DX), Z0, Z1, lc0)
	LDROW512(1, (DX)(R12*1), 64(DX)(R12*1), Z2, Z3, lc1)
	LDROW512(2, (DX)(R12*2), 64(DX)(R12*2), Z4, Z5, lc2)
	LDROW512(3, (DX)(R13*1), 64(DX)(R13*1), Z6, Z7, lc3)
	LDROW512(4, (DX)(R12*4), 64(DX)(R12*4), Z8, Z9, lc4)
	LDROW512(5, (DI), 64(DI), Z10, Z11, lc5)
	LDROW512(6, (DI)(R12*1), 64(DI)(R12*1), Z12, Z13, lc6)
	LDROW512(7, (DI)(R12*2), 64(DI)(R12*2), Z14, Z15, lc7)

kstart512:
	// A rows: SI = row 0, R10 = row 5, R8 = sar bytes, R9 = 3·sar.
	MOVQ a+16(FP), SI
	MOVQ sar+24(FP), R8
	SHLQ $3, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	MOVQ saj+32(FP), BX
	SHLQ $3, BX
	// P: R11 = panel start, R14 = ldp bytes.
	MOVQ pstride+56(FP), R11
	IMULQ R15, R11
	SHLQ $3, R11
	ADDQ p+40(FP), R11
	MOVQ ldp+48(FP), R14
	SHLQ $3, R14
#define KSTEP512 \
	VMOVUPD.Z (R11), K1, Z16; \
	VMOVUPD.Z 64(R11), K2, Z17; \
	VBROADCASTSD (SI), Z18; \
	VBROADCASTSD (SI)(R8*1), Z19; \
	VBROADCASTSD (SI)(R8*2), Z20; \
	VBROADCASTSD (SI)(R9*1), Z21; \
	VFMADD231PD Z16, Z18, Z0; \
	VFMADD231PD Z17, Z18, Z1; \
	VFMADD231PD Z16, Z19, Z2; \
	VFMADD231PD Z17, Z19, Z3; \
	VBROADCASTSD (SI)(R8*4), Z22; \
	VBROADCASTSD (R10), Z23; \
	VFMADD231PD Z16, Z20, Z4; \
	VFMADD231PD Z17, Z20, Z5; \
	VFMADD231PD Z16, Z21, Z6; \
	VFMADD231PD Z17, Z21, Z7; \
	VBROADCASTSD (R10)(R8*1), Z24; \
	VBROADCASTSD (R10)(R8*2), Z25; \
	VFMADD231PD Z16, Z22, Z8; \
	VFMADD231PD Z17, Z22, Z9; \
	VFMADD231PD Z16, Z23, Z10; \
	VFMADD231PD Z17, Z23, Z11; \
	VFMADD231PD Z16, Z24, Z12; \
	VFMADD231PD Z17, Z24, Z13; \
	VFMADD231PD Z16, Z25, Z14; \
	VFMADD231PD Z17, Z25, Z15; \
	ADDQ BX, SI; \
	ADDQ BX, R10; \
	ADDQ R14, R11

#define KSTEP512H \
	VMOVUPD.Z (R11), K1, Z16; \
	VBROADCASTSD (SI), Z18; \
	VBROADCASTSD (SI)(R8*1), Z19; \
	VBROADCASTSD (SI)(R8*2), Z20; \
	VBROADCASTSD (SI)(R9*1), Z21; \
	VFMADD231PD Z16, Z18, Z0; \
	VFMADD231PD Z16, Z19, Z2; \
	VBROADCASTSD (SI)(R8*4), Z22; \
	VBROADCASTSD (R10), Z23; \
	VFMADD231PD Z16, Z20, Z4; \
	VFMADD231PD Z16, Z21, Z6; \
	VBROADCASTSD (R10)(R8*1), Z24; \
	VBROADCASTSD (R10)(R8*2), Z25; \
	VFMADD231PD Z16, Z22, Z8; \
	VFMADD231PD Z16, Z23, Z10; \
	VFMADD231PD Z16, Z24, Z12; \
	VFMADD231PD Z16, Z25, Z14; \
	ADDQ BX, SI; \
	ADDQ BX, R10; \
	ADDQ R14, R11

	MOVQ k+64(FP), CX
	MOVQ db+96(FP), AX
	TESTQ AX, AX
	JZ   nodb512
	// Column sums of P go to Z26:Z27 as well.
	MOVQ R15, DX
	SHLQ $7, DX
	ADDQ DX, AX
	VMOVUPD.Z (AX), K1, Z26
	VMOVUPD.Z 64(AX), K2, Z27
nodb512:
	// A last panel with at most 8 valid columns needs only its first ZMM.
	MOVQ npanels+72(FP), DX
	DECQ DX
	CMPQ R15, DX
	JNE  full512
	MOVQ mask+80(FP), DX
	CMPQ DX, $0xff
	JHI  full512
	VPXORQ Z17, Z17, Z17
	TESTQ AX, AX
	JNZ  halfdb512
halfloop512:
	KSTEP512H
	DECQ CX
	JNZ  halfloop512
	JMP  store512
halfdb512:
	KSTEP512H
	VADDPD Z16, Z26, Z26
	DECQ CX
	JNZ  halfdb512
	JMP  storedb512

full512:
	TESTQ AX, AX
	JNZ  kloopdb512
kloop512:
	KSTEP512
	DECQ CX
	JNZ  kloop512
	JMP  store512
kloopdb512:
	KSTEP512
	VADDPD Z16, Z26, Z26
	VADDPD Z17, Z27, Z27
	DECQ CX
	JNZ  kloopdb512
storedb512:
	VMOVUPD Z26, K1, (AX)
	VMOVUPD Z27, K2, 64(AX)

store512:
	// ReLU by the sign bit: Z30 = all ones where negative, z &^= Z30.
#define RELU512(z) VPSRAQ $63, z, Z30; VPANDNQ z, Z30, z
	MOVQ mode+104(FP), BX
	TESTQ $4, BX
	JZ   norelu512
	RELU512(Z0)
	RELU512(Z1)
	RELU512(Z2)
	RELU512(Z3)
	RELU512(Z4)
	RELU512(Z5)
	RELU512(Z6)
	RELU512(Z7)
	RELU512(Z8)
	RELU512(Z9)
	RELU512(Z10)
	RELU512(Z11)
	RELU512(Z12)
	RELU512(Z13)
	RELU512(Z14)
	RELU512(Z15)
norelu512:
	MOVQ R15, AX
	SHLQ $7, AX
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	LEAQ (DX)(R12*4), DI
	ADDQ R12, DI

#define STROW512(ii, addr, addr64, za, zb, skip) \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMOVUPD za, K1, addr; \
	VMOVUPD zb, K2, addr64; \
skip:

	STROW512(0, (DX), 64(DX), Z0, Z1, st0)
	STROW512(1, (DX)(R12*1), 64(DX)(R12*1), Z2, Z3, st1)
	STROW512(2, (DX)(R12*2), 64(DX)(R12*2), Z4, Z5, st2)
	STROW512(3, (DX)(R13*1), 64(DX)(R13*1), Z6, Z7, st3)
	STROW512(4, (DX)(R12*4), 64(DX)(R12*4), Z8, Z9, st4)
	STROW512(5, (DI), 64(DI), Z10, Z11, st5)
	STROW512(6, (DI)(R12*1), 64(DI)(R12*1), Z12, Z13, st6)
	STROW512(7, (DI)(R12*2), 64(DI)(R12*2), Z14, Z15, st7)

	INCQ R15
	CMPQ R15, npanels+72(FP)
	JLT  panel512
	VZEROUPPER
	RET

// ------------------------------------------------------------------ AVX2
// MR = 4 rows, NR = 8 columns (two YMM per row, 8 accumulators Y0–Y7).
// mask points to two YMM lane masks (all-ones lanes are valid) used for the
// last panel; full panels use plain loads and stores.

// func kern256(c *float64, ldc int, a *float64, sar, saj int, p *float64, ldp, pstride, k, npanels int, mask *int64, bias, db *float64, mode, lo, hi int)
TEXT ·kern256(SB), NOSPLIT, $0-128
	XORQ R15, R15 // panel index

panel256:
	// Y12:Y13 = lane masks (all ones except on the last panel).
	VPCMPEQQ Y12, Y12, Y12
	VPCMPEQQ Y13, Y13, Y13
	MOVQ npanels+72(FP), BX
	DECQ BX
	CMPQ R15, BX
	JNE  setmask256
	MOVQ mask+80(FP), AX
	VMOVDQU (AX), Y12
	VMOVDQU 32(AX), Y13
setmask256:

	MOVQ R15, AX
	SHLQ $6, AX                   // panel byte offset (8·8)
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	MOVQ ldc+8(FP), R12
	SHLQ $3, R12
	LEAQ (R12)(R12*2), R13

	MOVQ mode+104(FP), BX
	ANDQ $3, BX
	CMPQ BX, $2
	JEQ  initc256
	CMPQ BX, $1
	JEQ  initbias256
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	JMP  bcastinit256
initbias256:
	MOVQ bias+88(FP), BX
	ADDQ AX, BX
	VMASKMOVPD (BX), Y12, Y0
	VMASKMOVPD 32(BX), Y13, Y1
bcastinit256:
	VMOVAPD Y0, Y2
	VMOVAPD Y1, Y3
	VMOVAPD Y0, Y4
	VMOVAPD Y1, Y5
	VMOVAPD Y0, Y6
	VMOVAPD Y1, Y7
	JMP  kstart256

#define LDROW256(ii, addr, addr32, ya, yb, skip) \
	VXORPD ya, ya, ya; \
	VXORPD yb, yb, yb; \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMASKMOVPD addr, Y12, ya; \
	VMASKMOVPD addr32, Y13, yb; \
skip:

initc256:
	LDROW256(0, (DX), 32(DX), Y0, Y1, lq0)
	LDROW256(1, (DX)(R12*1), 32(DX)(R12*1), Y2, Y3, lq1)
	LDROW256(2, (DX)(R12*2), 32(DX)(R12*2), Y4, Y5, lq2)
	LDROW256(3, (DX)(R13*1), 32(DX)(R13*1), Y6, Y7, lq3)

kstart256:
	MOVQ a+16(FP), SI
	MOVQ sar+24(FP), R8
	SHLQ $3, R8
	LEAQ (R8)(R8*2), R9
	MOVQ saj+32(FP), BX
	SHLQ $3, BX
	MOVQ pstride+56(FP), R11
	IMULQ R15, R11
	SHLQ $3, R11
	ADDQ p+40(FP), R11
	MOVQ ldp+48(FP), R14
	SHLQ $3, R14
	MOVQ k+64(FP), CX
	MOVQ db+96(FP), AX
	TESTQ AX, AX
	JZ   nodb256
	MOVQ R15, DI
	SHLQ $6, DI
	ADDQ DI, AX
	VMASKMOVPD (AX), Y12, Y14
	VMASKMOVPD 32(AX), Y13, Y15
nodb256:
	// Full panels use plain loads of P, the last one masked loads.
	MOVQ npanels+72(FP), DI
	DECQ DI
	CMPQ R15, DI
	JEQ  masked256

#define KSTEP256(LOADP) \
	LOADP; \
	VBROADCASTSD (SI), Y10; \
	VBROADCASTSD (SI)(R8*1), Y11; \
	VFMADD231PD Y8, Y10, Y0; \
	VFMADD231PD Y9, Y10, Y1; \
	VFMADD231PD Y8, Y11, Y2; \
	VFMADD231PD Y9, Y11, Y3; \
	VBROADCASTSD (SI)(R8*2), Y10; \
	VBROADCASTSD (SI)(R9*1), Y11; \
	VFMADD231PD Y8, Y10, Y4; \
	VFMADD231PD Y9, Y10, Y5; \
	VFMADD231PD Y8, Y11, Y6; \
	VFMADD231PD Y9, Y11, Y7; \
	ADDQ BX, SI; \
	ADDQ R14, R11

#define LOADFULL VMOVUPD (R11), Y8; VMOVUPD 32(R11), Y9
#define LOADMASK VMASKMOVPD (R11), Y12, Y8; VMASKMOVPD 32(R11), Y13, Y9

	TESTQ AX, AX
	JNZ  fulldb256
fullloop256:
	KSTEP256(LOADFULL)
	DECQ CX
	JNZ  fullloop256
	JMP  store256
fulldb256:
	KSTEP256(LOADFULL)
	VADDPD Y8, Y14, Y14
	VADDPD Y9, Y15, Y15
	DECQ CX
	JNZ  fulldb256
	JMP  storedb256

masked256:
	TESTQ AX, AX
	JNZ  maskdb256
maskloop256:
	KSTEP256(LOADMASK)
	DECQ CX
	JNZ  maskloop256
	JMP  store256
maskdb256:
	KSTEP256(LOADMASK)
	VADDPD Y8, Y14, Y14
	VADDPD Y9, Y15, Y15
	DECQ CX
	JNZ  maskdb256

storedb256:
	VMASKMOVPD Y14, Y12, (AX)
	VMASKMOVPD Y15, Y13, 32(AX)

store256:
	// ReLU by the sign bit: Y9 = all ones where 0 > y as an integer.
#define RELU256(y) VPCMPGTQ y, Y8, Y9; VPANDN y, Y9, y
	MOVQ mode+104(FP), BX
	TESTQ $4, BX
	JZ   norelu256
	VPXOR Y8, Y8, Y8
	RELU256(Y0)
	RELU256(Y1)
	RELU256(Y2)
	RELU256(Y3)
	RELU256(Y4)
	RELU256(Y5)
	RELU256(Y6)
	RELU256(Y7)
norelu256:
#define STROW256(ii, addr, addr32, ya, yb, skip) \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMASKMOVPD ya, Y12, addr; \
	VMASKMOVPD yb, Y13, addr32; \
skip:

	STROW256(0, (DX), 32(DX), Y0, Y1, sq0)
	STROW256(1, (DX)(R12*1), 32(DX)(R12*1), Y2, Y3, sq1)
	STROW256(2, (DX)(R12*2), 32(DX)(R12*2), Y4, Y5, sq2)
	STROW256(3, (DX)(R13*1), 32(DX)(R13*1), Y6, Y7, sq3)

	INCQ R15
	CMPQ R15, npanels+72(FP)
	JLT  panel256
	VZEROUPPER
	RET

// ====================================================== float32 kernels
// The same kernels instruction for instruction in float32 (PS for PD,
// 4-byte elements): the register blocks keep their rows and registers and
// double their columns.

// ------------------------------------------------------- AVX-512, float32
// MR = 8 rows, NR = 32 columns (two ZMM of 16 lanes per row, 16
// accumulators Z0–Z15). mask is the 32-bit lane mask of the last panel
// (K1 = low 16, K2 = high 16 bits); a last panel with at most 16 valid
// columns runs a half-width loop. P loads are masked, so P needs no padding
// past its valid columns.

// func kern512s(c *float32, ldc int, a *float32, sar, saj int, p *float32, ldp, pstride, k, npanels, mask int, bias, db *float32, mode, lo, hi int)
TEXT ·kern512s(SB), NOSPLIT, $8-128
	FLUSH_SUBNORMALS
	XORQ R15, R15 // panel index

panel512s:
	// Lane masks: all ones except on the last panel.
	MOVL $0xffffffff, AX
	MOVQ npanels+72(FP), BX
	DECQ BX
	CMPQ R15, BX
	JNE  setmask512s
	MOVQ mask+80(FP), AX
setmask512s:
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2

	// C block pointers: DX = row 0, DI = row 5; R12 = ldc bytes, R13 = 3·ldc.
	MOVQ R15, AX
	SHLQ $7, AX                   // panel byte offset (32·4)
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	MOVQ ldc+8(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (DX)(R12*4), DI
	ADDQ R12, DI

	MOVQ mode+104(FP), BX
	ANDQ $3, BX
	CMPQ BX, $2
	JEQ  initc512s
	CMPQ BX, $1
	JEQ  initbias512s
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	JMP  bcastinit512s
initbias512s:
	MOVQ bias+88(FP), BX
	ADDQ AX, BX
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
bcastinit512s:
	VMOVAPS Z0, Z2
	VMOVAPS Z1, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z1, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z1, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z1, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z1, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z1, Z15
	JMP  kstart512s

#define LDROW512S(ii, addr, addr64, za, zb, skip) \
	VPXORQ za, za, za; \
	VPXORQ zb, zb, zb; \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMOVUPS.Z addr, K1, za; \
	VMOVUPS.Z addr64, K2, zb; \
skip:

initc512s:
	LDROW512S(0, (DX), 64(DX), Z0, Z1, lc0s)
	LDROW512S(1, (DX)(R12*1), 64(DX)(R12*1), Z2, Z3, lc1s)
	LDROW512S(2, (DX)(R12*2), 64(DX)(R12*2), Z4, Z5, lc2s)
	LDROW512S(3, (DX)(R13*1), 64(DX)(R13*1), Z6, Z7, lc3s)
	LDROW512S(4, (DX)(R12*4), 64(DX)(R12*4), Z8, Z9, lc4s)
	LDROW512S(5, (DI), 64(DI), Z10, Z11, lc5s)
	LDROW512S(6, (DI)(R12*1), 64(DI)(R12*1), Z12, Z13, lc6s)
	LDROW512S(7, (DI)(R12*2), 64(DI)(R12*2), Z14, Z15, lc7s)

kstart512s:
	// A rows: SI = row 0, R10 = row 5, R8 = sar bytes, R9 = 3·sar.
	MOVQ a+16(FP), SI
	MOVQ sar+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	MOVQ saj+32(FP), BX
	SHLQ $2, BX
	// P: R11 = panel start, R14 = ldp bytes.
	MOVQ pstride+56(FP), R11
	IMULQ R15, R11
	SHLQ $2, R11
	ADDQ p+40(FP), R11
	MOVQ ldp+48(FP), R14
	SHLQ $2, R14
#define KSTEP512S \
	VMOVUPS.Z (R11), K1, Z16; \
	VMOVUPS.Z 64(R11), K2, Z17; \
	VBROADCASTSS (SI), Z18; \
	VBROADCASTSS (SI)(R8*1), Z19; \
	VBROADCASTSS (SI)(R8*2), Z20; \
	VBROADCASTSS (SI)(R9*1), Z21; \
	VFMADD231PS Z16, Z18, Z0; \
	VFMADD231PS Z17, Z18, Z1; \
	VFMADD231PS Z16, Z19, Z2; \
	VFMADD231PS Z17, Z19, Z3; \
	VBROADCASTSS (SI)(R8*4), Z22; \
	VBROADCASTSS (R10), Z23; \
	VFMADD231PS Z16, Z20, Z4; \
	VFMADD231PS Z17, Z20, Z5; \
	VFMADD231PS Z16, Z21, Z6; \
	VFMADD231PS Z17, Z21, Z7; \
	VBROADCASTSS (R10)(R8*1), Z24; \
	VBROADCASTSS (R10)(R8*2), Z25; \
	VFMADD231PS Z16, Z22, Z8; \
	VFMADD231PS Z17, Z22, Z9; \
	VFMADD231PS Z16, Z23, Z10; \
	VFMADD231PS Z17, Z23, Z11; \
	VFMADD231PS Z16, Z24, Z12; \
	VFMADD231PS Z17, Z24, Z13; \
	VFMADD231PS Z16, Z25, Z14; \
	VFMADD231PS Z17, Z25, Z15; \
	ADDQ BX, SI; \
	ADDQ BX, R10; \
	ADDQ R14, R11

#define KSTEP512HS \
	VMOVUPS.Z (R11), K1, Z16; \
	VBROADCASTSS (SI), Z18; \
	VBROADCASTSS (SI)(R8*1), Z19; \
	VBROADCASTSS (SI)(R8*2), Z20; \
	VBROADCASTSS (SI)(R9*1), Z21; \
	VFMADD231PS Z16, Z18, Z0; \
	VFMADD231PS Z16, Z19, Z2; \
	VBROADCASTSS (SI)(R8*4), Z22; \
	VBROADCASTSS (R10), Z23; \
	VFMADD231PS Z16, Z20, Z4; \
	VFMADD231PS Z16, Z21, Z6; \
	VBROADCASTSS (R10)(R8*1), Z24; \
	VBROADCASTSS (R10)(R8*2), Z25; \
	VFMADD231PS Z16, Z22, Z8; \
	VFMADD231PS Z16, Z23, Z10; \
	VFMADD231PS Z16, Z24, Z12; \
	VFMADD231PS Z16, Z25, Z14; \
	ADDQ BX, SI; \
	ADDQ BX, R10; \
	ADDQ R14, R11

	MOVQ k+64(FP), CX
	MOVQ db+96(FP), AX
	TESTQ AX, AX
	JZ   nodb512s
	// Column sums of P go to Z26:Z27 as well.
	MOVQ R15, DX
	SHLQ $7, DX
	ADDQ DX, AX
	VMOVUPS.Z (AX), K1, Z26
	VMOVUPS.Z 64(AX), K2, Z27
nodb512s:
	// A last panel with at most 16 valid columns needs only its first ZMM.
	MOVQ npanels+72(FP), DX
	DECQ DX
	CMPQ R15, DX
	JNE  full512s
	MOVQ mask+80(FP), DX
	CMPQ DX, $0xffff
	JHI  full512s
	VPXORQ Z17, Z17, Z17
	TESTQ AX, AX
	JNZ  halfdb512s
halfloop512s:
	KSTEP512HS
	DECQ CX
	JNZ  halfloop512s
	JMP  store512s
halfdb512s:
	KSTEP512HS
	VADDPS Z16, Z26, Z26
	DECQ CX
	JNZ  halfdb512s
	JMP  storedb512s

full512s:
	TESTQ AX, AX
	JNZ  kloopdb512s
kloop512s:
	KSTEP512S
	DECQ CX
	JNZ  kloop512s
	JMP  store512s
kloopdb512s:
	KSTEP512S
	VADDPS Z16, Z26, Z26
	VADDPS Z17, Z27, Z27
	DECQ CX
	JNZ  kloopdb512s
storedb512s:
	VMOVUPS Z26, K1, (AX)
	VMOVUPS Z27, K2, 64(AX)

store512s:
	// ReLU by the sign bit: Z30 = all ones where negative, z &^= Z30.
#define RELU512S(z) VPSRAD $31, z, Z30; VPANDND z, Z30, z
	MOVQ mode+104(FP), BX
	TESTQ $4, BX
	JZ   norelu512s
	RELU512S(Z0)
	RELU512S(Z1)
	RELU512S(Z2)
	RELU512S(Z3)
	RELU512S(Z4)
	RELU512S(Z5)
	RELU512S(Z6)
	RELU512S(Z7)
	RELU512S(Z8)
	RELU512S(Z9)
	RELU512S(Z10)
	RELU512S(Z11)
	RELU512S(Z12)
	RELU512S(Z13)
	RELU512S(Z14)
	RELU512S(Z15)
norelu512s:
	MOVQ R15, AX
	SHLQ $7, AX
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	LEAQ (DX)(R12*4), DI
	ADDQ R12, DI

#define STROW512S(ii, addr, addr64, za, zb, skip) \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMOVUPS za, K1, addr; \
	VMOVUPS zb, K2, addr64; \
skip:

	STROW512S(0, (DX), 64(DX), Z0, Z1, st0s)
	STROW512S(1, (DX)(R12*1), 64(DX)(R12*1), Z2, Z3, st1s)
	STROW512S(2, (DX)(R12*2), 64(DX)(R12*2), Z4, Z5, st2s)
	STROW512S(3, (DX)(R13*1), 64(DX)(R13*1), Z6, Z7, st3s)
	STROW512S(4, (DX)(R12*4), 64(DX)(R12*4), Z8, Z9, st4s)
	STROW512S(5, (DI), 64(DI), Z10, Z11, st5s)
	STROW512S(6, (DI)(R12*1), 64(DI)(R12*1), Z12, Z13, st6s)
	STROW512S(7, (DI)(R12*2), 64(DI)(R12*2), Z14, Z15, st7s)

	INCQ R15
	CMPQ R15, npanels+72(FP)
	JLT  panel512s
	VZEROUPPER
	RESTORE_MXCSR
	RET

// ---------------------------------------------------------- AVX2, float32
// MR = 4 rows, NR = 16 columns (two YMM of 8 lanes per row, 8 accumulators
// Y0–Y7). mask points to two YMM lane masks (all-ones lanes are valid) used
// for the last panel; full panels use plain loads and stores.

// func kern256s(c *float32, ldc int, a *float32, sar, saj int, p *float32, ldp, pstride, k, npanels int, mask *int32, bias, db *float32, mode, lo, hi int)
TEXT ·kern256s(SB), NOSPLIT, $8-128
	FLUSH_SUBNORMALS
	XORQ R15, R15 // panel index

panel256s:
	// Y12:Y13 = lane masks (all ones except on the last panel).
	VPCMPEQQ Y12, Y12, Y12
	VPCMPEQQ Y13, Y13, Y13
	MOVQ npanels+72(FP), BX
	DECQ BX
	CMPQ R15, BX
	JNE  setmask256s
	MOVQ mask+80(FP), AX
	VMOVDQU (AX), Y12
	VMOVDQU 32(AX), Y13
setmask256s:

	MOVQ R15, AX
	SHLQ $6, AX                   // panel byte offset (16·4)
	MOVQ c+0(FP), DX
	ADDQ AX, DX
	MOVQ ldc+8(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13

	MOVQ mode+104(FP), BX
	ANDQ $3, BX
	CMPQ BX, $2
	JEQ  initc256s
	CMPQ BX, $1
	JEQ  initbias256s
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	JMP  bcastinit256s
initbias256s:
	MOVQ bias+88(FP), BX
	ADDQ AX, BX
	VMASKMOVPS (BX), Y12, Y0
	VMASKMOVPS 32(BX), Y13, Y1
bcastinit256s:
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	JMP  kstart256s

#define LDROW256S(ii, addr, addr32, ya, yb, skip) \
	VXORPS ya, ya, ya; \
	VXORPS yb, yb, yb; \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMASKMOVPS addr, Y12, ya; \
	VMASKMOVPS addr32, Y13, yb; \
skip:

initc256s:
	LDROW256S(0, (DX), 32(DX), Y0, Y1, lq0s)
	LDROW256S(1, (DX)(R12*1), 32(DX)(R12*1), Y2, Y3, lq1s)
	LDROW256S(2, (DX)(R12*2), 32(DX)(R12*2), Y4, Y5, lq2s)
	LDROW256S(3, (DX)(R13*1), 32(DX)(R13*1), Y6, Y7, lq3s)

kstart256s:
	MOVQ a+16(FP), SI
	MOVQ sar+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ saj+32(FP), BX
	SHLQ $2, BX
	MOVQ pstride+56(FP), R11
	IMULQ R15, R11
	SHLQ $2, R11
	ADDQ p+40(FP), R11
	MOVQ ldp+48(FP), R14
	SHLQ $2, R14
	MOVQ k+64(FP), CX
	MOVQ db+96(FP), AX
	TESTQ AX, AX
	JZ   nodb256s
	MOVQ R15, DI
	SHLQ $6, DI
	ADDQ DI, AX
	VMASKMOVPS (AX), Y12, Y14
	VMASKMOVPS 32(AX), Y13, Y15
nodb256s:
	// Full panels use plain loads of P, the last one masked loads.
	MOVQ npanels+72(FP), DI
	DECQ DI
	CMPQ R15, DI
	JEQ  masked256s

#define KSTEP256S(LOADP) \
	LOADP; \
	VBROADCASTSS (SI), Y10; \
	VBROADCASTSS (SI)(R8*1), Y11; \
	VFMADD231PS Y8, Y10, Y0; \
	VFMADD231PS Y9, Y10, Y1; \
	VFMADD231PS Y8, Y11, Y2; \
	VFMADD231PS Y9, Y11, Y3; \
	VBROADCASTSS (SI)(R8*2), Y10; \
	VBROADCASTSS (SI)(R9*1), Y11; \
	VFMADD231PS Y8, Y10, Y4; \
	VFMADD231PS Y9, Y10, Y5; \
	VFMADD231PS Y8, Y11, Y6; \
	VFMADD231PS Y9, Y11, Y7; \
	ADDQ BX, SI; \
	ADDQ R14, R11

#define LOADFULLS VMOVUPS (R11), Y8; VMOVUPS 32(R11), Y9
#define LOADMASKS VMASKMOVPS (R11), Y12, Y8; VMASKMOVPS 32(R11), Y13, Y9

	TESTQ AX, AX
	JNZ  fulldb256s
fullloop256s:
	KSTEP256S(LOADFULLS)
	DECQ CX
	JNZ  fullloop256s
	JMP  store256s
fulldb256s:
	KSTEP256S(LOADFULLS)
	VADDPS Y8, Y14, Y14
	VADDPS Y9, Y15, Y15
	DECQ CX
	JNZ  fulldb256s
	JMP  storedb256s

masked256s:
	TESTQ AX, AX
	JNZ  maskdb256s
maskloop256s:
	KSTEP256S(LOADMASKS)
	DECQ CX
	JNZ  maskloop256s
	JMP  store256s
maskdb256s:
	KSTEP256S(LOADMASKS)
	VADDPS Y8, Y14, Y14
	VADDPS Y9, Y15, Y15
	DECQ CX
	JNZ  maskdb256s

storedb256s:
	VMASKMOVPS Y14, Y12, (AX)
	VMASKMOVPS Y15, Y13, 32(AX)

store256s:
	// ReLU by the sign bit: Y9 = all ones where negative, y &^= Y9.
#define RELU256S(y) VPSRAD $31, y, Y9; VPANDN y, Y9, y
	MOVQ mode+104(FP), BX
	TESTQ $4, BX
	JZ   norelu256s
	RELU256S(Y0)
	RELU256S(Y1)
	RELU256S(Y2)
	RELU256S(Y3)
	RELU256S(Y4)
	RELU256S(Y5)
	RELU256S(Y6)
	RELU256S(Y7)
norelu256s:
#define STROW256S(ii, addr, addr32, ya, yb, skip) \
	CMPQ lo+112(FP), $ii; \
	JGT  skip; \
	CMPQ hi+120(FP), $ii; \
	JLE  skip; \
	VMASKMOVPS ya, Y12, addr; \
	VMASKMOVPS yb, Y13, addr32; \
skip:

	STROW256S(0, (DX), 32(DX), Y0, Y1, sq0s)
	STROW256S(1, (DX)(R12*1), 32(DX)(R12*1), Y2, Y3, sq1s)
	STROW256S(2, (DX)(R12*2), 32(DX)(R12*2), Y4, Y5, sq2s)
	STROW256S(3, (DX)(R13*1), 32(DX)(R13*1), Y6, Y7, sq3s)

	INCQ R15
	CMPQ R15, npanels+72(FP)
	JLT  panel256s
	VZEROUPPER
	RESTORE_MXCSR
	RET

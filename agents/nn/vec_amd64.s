//go:build amd64 && !purego

#include "textflag.h"

// Vector kernels for the non-product loops of the layers (vec_amd64.go):
// rows of a set against one vector (dot products, weighted sums, scaled
// copies), a float32 exp with a running sum, the ReLU and its mask, and
// float64 → float32 conversion. Each comes in AVX-512F (ZMM, tails by K
// masks) and AVX2+FMA (YMM, tails by VMASKMOV masks or left to Go) forms,
// float64 and float32 (suffix s). Strides and counts are in elements.
//
// Only the dot products (and the exp's sum) sum in a different order from
// the Go loops; weighted sums and scaled copies use separate multiplies and
// adds in the Go loops' order, so they are bit for bit the Go loops.

// Lane sums of the accumulator Z0 or Y0 into X0.
#define HSUM256S \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVSHDUP    X0, X1; \
	VADDSS       X1, X0, X0

#define HSUM256D \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPD       X1, X0, X0; \
	VUNPCKHPD    X0, X0, X1; \
	VADDSD       X1, X0, X0

#define HSUM512S \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS        Y1, Y0, Y0; \
	HSUM256S

#define HSUM512D \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPD        Y1, Y0, Y0; \
	HSUM256D

// ------------------------------------------------------------ dot products
// out[j] = Σ_i y[i]·x[j·d+i] for j < n (n ≥ 1): full vectors of d, then the
// masked tail (mask 0 or nil: none), one FMA accumulator per row.
//
// func dotRows512[s](out, y, x *T, n, d, full, mask int)
#define DOTROWS512(NAME, SZ, ES, MOVU, MOVUZ, FMA, HSUM, MOVS) \
TEXT NAME(SB), NOSPLIT, $0-56; \
	MOVQ  out+0(FP), DI; \
	MOVQ  y+8(FP), SI; \
	MOVQ  x+16(FP), DX; \
	MOVQ  n+24(FP), CX; \
	MOVQ  d+32(FP), R9; \
	SHLQ  $SZ, R9; \
	MOVQ  full+40(FP), R8; \
	MOVQ  mask+48(FP), AX; \
	KMOVW AX, K1; \
row: \
	VPXORD Z0, Z0, Z0; \
	XORQ   BX, BX; \
	MOVQ   R8, R10; \
	TESTQ  R10, R10; \
	JZ     tail; \
vec: \
	MOVU (SI)(BX*1), Z1; \
	FMA  (DX)(BX*1), Z1, Z0; \
	ADDQ $64, BX; \
	DECQ R10; \
	JNZ  vec; \
tail: \
	TESTQ AX, AX; \
	JZ    sum; \
	MOVUZ (SI)(BX*1), K1, Z1; \
	MOVUZ (DX)(BX*1), K1, Z2; \
	FMA   Z2, Z1, Z0; \
sum: \
	HSUM; \
	MOVS X0, (DI); \
	ADDQ $ES, DI; \
	ADDQ R9, DX; \
	DECQ CX; \
	JNZ  row; \
	VZEROUPPER; \
	RET

DOTROWS512(·dotRows512s, 2, 4, VMOVUPS, VMOVUPS.Z, VFMADD231PS, HSUM512S, VMOVSS)
DOTROWS512(·dotRows512, 3, 8, VMOVUPD, VMOVUPD.Z, VFMADD231PD, HSUM512D, VMOVSD)

// func dotRows256[s](out, y, x *T, n, d, full int, mask *intN)
#define DOTROWS256(NAME, SZ, ES, MOVU, MASKMOV, FMA, HSUM, MOVS) \
TEXT NAME(SB), NOSPLIT, $0-56; \
	MOVQ  out+0(FP), DI; \
	MOVQ  y+8(FP), SI; \
	MOVQ  x+16(FP), DX; \
	MOVQ  n+24(FP), CX; \
	MOVQ  d+32(FP), R9; \
	SHLQ  $SZ, R9; \
	MOVQ  full+40(FP), R8; \
	MOVQ  mask+48(FP), AX; \
	TESTQ AX, AX; \
	JZ    row; \
	VMOVDQU (AX), Y15; \
row: \
	VXORPS Y0, Y0, Y0; \
	XORQ   BX, BX; \
	MOVQ   R8, R10; \
	TESTQ  R10, R10; \
	JZ     tail; \
vec: \
	MOVU (SI)(BX*1), Y1; \
	FMA  (DX)(BX*1), Y1, Y0; \
	ADDQ $32, BX; \
	DECQ R10; \
	JNZ  vec; \
tail: \
	TESTQ AX, AX; \
	JZ    sum; \
	MASKMOV (SI)(BX*1), Y15, Y1; \
	MASKMOV (DX)(BX*1), Y15, Y2; \
	FMA     Y2, Y1, Y0; \
sum: \
	HSUM; \
	MOVS X0, (DI); \
	ADDQ $ES, DI; \
	ADDQ R9, DX; \
	DECQ CX; \
	JNZ  row; \
	VZEROUPPER; \
	RET

DOTROWS256(·dotRows256s, 2, 4, VMOVUPS, VMASKMOVPS, VFMADD231PS, HSUM256S, VMOVSS)
DOTROWS256(·dotRows256, 3, 8, VMOVUPD, VMASKMOVPD, VFMADD231PD, HSUM256D, VMOVSD)

// ----------------------------------------------------------- weighted sums
// For each of items ≥ 1 sets (out, c and x advancing by d, cstride and
// xstride elements), out[i] = Σ_j c[j]·x[j·d+i] for i < d (n ≥ 1), rows
// with c[j] = ±0 skipped
// (tested on the bits, so NaN weights are not skipped), products added in
// the order of j: four vectors of columns at a time, then two, then one
// (up to three passes over the rows; more accumulators hide the adds'
// latency), then the masked tail.
//
// func axpyRows512[s](out, c, x *T, n, d, full, mask, items, cstride, xstride int)
#define AXPYSTEP512(LDB, SHLB, BCAST, skip) \
	LDB   (R11), R14; \
	SHLB  $1, R14; \
	JZ    skip; \
	BCAST (R11), Z4

#define AXPYROWS512(NAME, SZ, ES, MOVU, MOVUZ, MUL, ADD, BCAST, LDB, SHLB) \
TEXT NAME(SB), NOSPLIT, $0-80; \
	MOVQ  out+0(FP), DI; \
	MOVQ  c+8(FP), SI; \
	MOVQ  x+16(FP), DX; \
	MOVQ  n+24(FP), CX; \
	MOVQ  d+32(FP), R9; \
	SHLQ  $SZ, R9; \
	MOVQ  items+56(FP), R15; \
	MOVQ  mask+48(FP), AX; \
	KMOVW AX, K1; \
item: \
	MOVQ  full+40(FP), R10; \
	XORQ  BX, BX; \
group: \
	CMPQ   R10, $4; \
	JLT    pair; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
g4row: \
	AXPYSTEP512(LDB, SHLB, BCAST, g4skip); \
	MUL (R12), Z4, Z5; \
	ADD Z5, Z0, Z0; \
	MUL 64(R12), Z4, Z6; \
	ADD Z6, Z1, Z1; \
	MUL 128(R12), Z4, Z7; \
	ADD Z7, Z2, Z2; \
	MUL 192(R12), Z4, Z8; \
	ADD Z8, Z3, Z3; \
g4skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  g4row; \
	MOVU Z0, (DI)(BX*1); \
	MOVU Z1, 64(DI)(BX*1); \
	MOVU Z2, 128(DI)(BX*1); \
	MOVU Z3, 192(DI)(BX*1); \
	ADDQ $256, BX; \
	SUBQ $4, R10; \
	JMP  group; \
pair: \
	CMPQ   R10, $2; \
	JLT    single; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
g2row: \
	AXPYSTEP512(LDB, SHLB, BCAST, g2skip); \
	MUL (R12), Z4, Z5; \
	ADD Z5, Z0, Z0; \
	MUL 64(R12), Z4, Z6; \
	ADD Z6, Z1, Z1; \
g2skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  g2row; \
	MOVU Z0, (DI)(BX*1); \
	MOVU Z1, 64(DI)(BX*1); \
	ADDQ $128, BX; \
	SUBQ $2, R10; \
single: \
	TESTQ  R10, R10; \
	JZ     tail; \
	VPXORD Z0, Z0, Z0; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
s1row: \
	AXPYSTEP512(LDB, SHLB, BCAST, s1skip); \
	MUL (R12), Z4, Z5; \
	ADD Z5, Z0, Z0; \
s1skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  s1row; \
	MOVU Z0, (DI)(BX*1); \
	ADDQ $64, BX; \
	DECQ R10; \
	JMP  single; \
tail: \
	TESTQ  AX, AX; \
	JZ     done; \
	VPXORD Z0, Z0, Z0; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
t1row: \
	AXPYSTEP512(LDB, SHLB, BCAST, t1skip); \
	MOVUZ (R12), K1, Z5; \
	MUL   Z5, Z4, Z5; \
	ADD   Z5, Z0, Z0; \
t1skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  t1row; \
	MOVU Z0, K1, (DI)(BX*1); \
done: \
	ADDQ R9, DI; \
	MOVQ cstride+64(FP), R11; \
	SHLQ $SZ, R11; \
	ADDQ R11, SI; \
	MOVQ xstride+72(FP), R11; \
	SHLQ $SZ, R11; \
	ADDQ R11, DX; \
	DECQ R15; \
	JNZ  item; \
	VZEROUPPER; \
	RET

AXPYROWS512(·axpyRows512s, 2, 4, VMOVUPS, VMOVUPS.Z, VMULPS, VADDPS, VBROADCASTSS, MOVL, SHLL)
AXPYROWS512(·axpyRows512, 3, 8, VMOVUPD, VMOVUPD.Z, VMULPD, VADDPD, VBROADCASTSD, MOVQ, SHLQ)

// func axpyRows256[s](out, c, x *T, n, d, full int, mask *intN, items, cstride, xstride int)
#define AXPYSTEP256(LDB, SHLB, BCAST, skip) \
	LDB   (R11), R14; \
	SHLB  $1, R14; \
	JZ    skip; \
	BCAST (R11), Y4

#define AXPYROWS256(NAME, SZ, ES, MOVU, MASKMOV, MUL, ADD, BCAST, LDB, SHLB) \
TEXT NAME(SB), NOSPLIT, $0-80; \
	MOVQ  out+0(FP), DI; \
	MOVQ  c+8(FP), SI; \
	MOVQ  x+16(FP), DX; \
	MOVQ  n+24(FP), CX; \
	MOVQ  d+32(FP), R9; \
	SHLQ  $SZ, R9; \
	MOVQ  items+56(FP), R15; \
	MOVQ  mask+48(FP), AX; \
	TESTQ AX, AX; \
	JZ    start; \
	VMOVDQU (AX), Y15; \
start: \
item: \
	MOVQ  full+40(FP), R10; \
	XORQ  BX, BX; \
group: \
	CMPQ   R10, $4; \
	JLT    pair; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
g4row: \
	AXPYSTEP256(LDB, SHLB, BCAST, g4skip); \
	MUL (R12), Y4, Y5; \
	ADD Y5, Y0, Y0; \
	MUL 32(R12), Y4, Y6; \
	ADD Y6, Y1, Y1; \
	MUL 64(R12), Y4, Y7; \
	ADD Y7, Y2, Y2; \
	MUL 96(R12), Y4, Y8; \
	ADD Y8, Y3, Y3; \
g4skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  g4row; \
	MOVU Y0, (DI)(BX*1); \
	MOVU Y1, 32(DI)(BX*1); \
	MOVU Y2, 64(DI)(BX*1); \
	MOVU Y3, 96(DI)(BX*1); \
	ADDQ $128, BX; \
	SUBQ $4, R10; \
	JMP  group; \
pair: \
	CMPQ   R10, $2; \
	JLT    single; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
g2row: \
	AXPYSTEP256(LDB, SHLB, BCAST, g2skip); \
	MUL (R12), Y4, Y5; \
	ADD Y5, Y0, Y0; \
	MUL 32(R12), Y4, Y6; \
	ADD Y6, Y1, Y1; \
g2skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  g2row; \
	MOVU Y0, (DI)(BX*1); \
	MOVU Y1, 32(DI)(BX*1); \
	ADDQ $64, BX; \
	SUBQ $2, R10; \
single: \
	TESTQ  R10, R10; \
	JZ     tail; \
	VXORPS Y0, Y0, Y0; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
s1row: \
	AXPYSTEP256(LDB, SHLB, BCAST, s1skip); \
	MUL (R12), Y4, Y5; \
	ADD Y5, Y0, Y0; \
s1skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  s1row; \
	MOVU Y0, (DI)(BX*1); \
	ADDQ $32, BX; \
	DECQ R10; \
	JMP  single; \
tail: \
	TESTQ  AX, AX; \
	JZ     done; \
	VXORPS Y0, Y0, Y0; \
	MOVQ   SI, R11; \
	LEAQ   (DX)(BX*1), R12; \
	MOVQ   CX, R13; \
t1row: \
	AXPYSTEP256(LDB, SHLB, BCAST, t1skip); \
	MASKMOV (R12), Y15, Y5; \
	MUL     Y5, Y4, Y5; \
	ADD     Y5, Y0, Y0; \
t1skip: \
	ADDQ $ES, R11; \
	ADDQ R9, R12; \
	DECQ R13; \
	JNZ  t1row; \
	MASKMOV Y0, Y15, (DI)(BX*1); \
done: \
	ADDQ R9, DI; \
	MOVQ cstride+64(FP), R11; \
	SHLQ $SZ, R11; \
	ADDQ R11, SI; \
	MOVQ xstride+72(FP), R11; \
	SHLQ $SZ, R11; \
	ADDQ R11, DX; \
	DECQ R15; \
	JNZ  item; \
	VZEROUPPER; \
	RET

AXPYROWS256(·axpyRows256s, 2, 4, VMOVUPS, VMASKMOVPS, VMULPS, VADDPS, VBROADCASTSS, MOVL, SHLL)
AXPYROWS256(·axpyRows256, 3, 8, VMOVUPD, VMASKMOVPD, VMULPD, VADDPD, VBROADCASTSD, MOVQ, SHLQ)

// ----------------------------------------------------------- scaled copies
// out[j·d+i] = c[j]·y[i] for j < n (n ≥ 1); with zeroes set, a row whose
// c[j] is ±0 is stored as +0 instead.
//
// func scaleRows512[s](out, c, y *T, n, d, full, mask int, zeroes bool)
#define SCALEROWS512(NAME, SZ, ES, MOVU, MOVUZ, MUL, BCAST, LDB, SHLB) \
TEXT NAME(SB), NOSPLIT, $0-57; \
	MOVQ    out+0(FP), DI; \
	MOVQ    c+8(FP), SI; \
	MOVQ    y+16(FP), DX; \
	MOVQ    n+24(FP), CX; \
	MOVQ    d+32(FP), R9; \
	SHLQ    $SZ, R9; \
	MOVQ    full+40(FP), R8; \
	MOVQ    mask+48(FP), AX; \
	KMOVW   AX, K1; \
	MOVBQZX zeroes+56(FP), R13; \
	VPXORD  Z6, Z6, Z6; \
row: \
	BCAST (SI), Z4; \
	XORQ  BX, BX; \
	MOVQ  R8, R10; \
	TESTQ R13, R13; \
	JZ    mul; \
	LDB   (SI), R14; \
	SHLB  $1, R14; \
	JNZ   mul; \
	TESTQ R10, R10; \
	JZ    ztail; \
zvec: \
	MOVU Z6, (DI)(BX*1); \
	ADDQ $64, BX; \
	DECQ R10; \
	JNZ  zvec; \
ztail: \
	TESTQ AX, AX; \
	JZ    next; \
	MOVU  Z6, K1, (DI)(BX*1); \
	JMP   next; \
mul: \
	TESTQ R10, R10; \
	JZ    mtail; \
mvec: \
	MUL  (DX)(BX*1), Z4, Z5; \
	MOVU Z5, (DI)(BX*1); \
	ADDQ $64, BX; \
	DECQ R10; \
	JNZ  mvec; \
mtail: \
	TESTQ AX, AX; \
	JZ    next; \
	MOVUZ (DX)(BX*1), K1, Z5; \
	MUL   Z5, Z4, Z5; \
	MOVU  Z5, K1, (DI)(BX*1); \
next: \
	ADDQ $ES, SI; \
	ADDQ R9, DI; \
	DECQ CX; \
	JNZ  row; \
	VZEROUPPER; \
	RET

SCALEROWS512(·scaleRows512s, 2, 4, VMOVUPS, VMOVUPS.Z, VMULPS, VBROADCASTSS, MOVL, SHLL)
SCALEROWS512(·scaleRows512, 3, 8, VMOVUPD, VMOVUPD.Z, VMULPD, VBROADCASTSD, MOVQ, SHLQ)

// func scaleRows256[s](out, c, y *T, n, d, full int, mask *intN, zeroes bool)
#define SCALEROWS256(NAME, SZ, ES, MOVU, MASKMOV, MUL, BCAST, LDB, SHLB) \
TEXT NAME(SB), NOSPLIT, $0-57; \
	MOVQ    out+0(FP), DI; \
	MOVQ    c+8(FP), SI; \
	MOVQ    y+16(FP), DX; \
	MOVQ    n+24(FP), CX; \
	MOVQ    d+32(FP), R9; \
	SHLQ    $SZ, R9; \
	MOVQ    full+40(FP), R8; \
	MOVQ    mask+48(FP), AX; \
	TESTQ   AX, AX; \
	JZ      start; \
	VMOVDQU (AX), Y15; \
start: \
	MOVBQZX zeroes+56(FP), R13; \
	VXORPS  Y6, Y6, Y6; \
row: \
	BCAST (SI), Y4; \
	XORQ  BX, BX; \
	MOVQ  R8, R10; \
	TESTQ R13, R13; \
	JZ    mul; \
	LDB   (SI), R14; \
	SHLB  $1, R14; \
	JNZ   mul; \
	TESTQ R10, R10; \
	JZ    ztail; \
zvec: \
	MOVU Y6, (DI)(BX*1); \
	ADDQ $32, BX; \
	DECQ R10; \
	JNZ  zvec; \
ztail: \
	TESTQ   AX, AX; \
	JZ      next; \
	MASKMOV Y6, Y15, (DI)(BX*1); \
	JMP     next; \
mul: \
	TESTQ R10, R10; \
	JZ    mtail; \
mvec: \
	MUL  (DX)(BX*1), Y4, Y5; \
	MOVU Y5, (DI)(BX*1); \
	ADDQ $32, BX; \
	DECQ R10; \
	JNZ  mvec; \
mtail: \
	TESTQ   AX, AX; \
	JZ      next; \
	MASKMOV (DX)(BX*1), Y15, Y5; \
	MUL     Y5, Y4, Y5; \
	MASKMOV Y5, Y15, (DI)(BX*1); \
next: \
	ADDQ $ES, SI; \
	ADDQ R9, DI; \
	DECQ CX; \
	JNZ  row; \
	VZEROUPPER; \
	RET

SCALEROWS256(·scaleRows256s, 2, 4, VMOVUPS, VMASKMOVPS, VMULPS, VBROADCASTSS, MOVL, SHLL)
SCALEROWS256(·scaleRows256, 3, 8, VMOVUPD, VMASKMOVPD, VMULPD, VBROADCASTSD, MOVQ, SHLQ)

// ----------------------------------------------------------------- exp
// x[i] = exp(x[i] − shift) in float32, returning Σ_i x[i] (lane sums, then
// across lanes). Cephes' expf: x clamped to [lo, hi] (NaN passes through,
// as the second operand of MAXPS/MINPS), n = round(x·log2 e), r = x − n·C1
// − n·C2, p = 1 + r + r²·P(r) with P of degree 5, times 2^n applied as
// 2^⌊n/2⌋ · 2^(n−⌊n/2⌋) so that both factors are normal and the product
// rounds once, into the subnormals too. Both levels run the same operations
// (with FMAs), so the values agree bit for bit; only the sum's order
// differs.
// 0: lo (−110: exp rounds to +0 below)
DATA expc<>+0(SB)/4, $0xc2dc0000
DATA expc<>+4(SB)/4, $0xc2dc0000
DATA expc<>+8(SB)/4, $0xc2dc0000
DATA expc<>+12(SB)/4, $0xc2dc0000
DATA expc<>+16(SB)/4, $0xc2dc0000
DATA expc<>+20(SB)/4, $0xc2dc0000
DATA expc<>+24(SB)/4, $0xc2dc0000
DATA expc<>+28(SB)/4, $0xc2dc0000
// 32: hi (89: exp overflows to +Inf above)
DATA expc<>+32(SB)/4, $0x42b20000
DATA expc<>+36(SB)/4, $0x42b20000
DATA expc<>+40(SB)/4, $0x42b20000
DATA expc<>+44(SB)/4, $0x42b20000
DATA expc<>+48(SB)/4, $0x42b20000
DATA expc<>+52(SB)/4, $0x42b20000
DATA expc<>+56(SB)/4, $0x42b20000
DATA expc<>+60(SB)/4, $0x42b20000
// 64: log2(e)
DATA expc<>+64(SB)/4, $0x3fb8aa3b
DATA expc<>+68(SB)/4, $0x3fb8aa3b
DATA expc<>+72(SB)/4, $0x3fb8aa3b
DATA expc<>+76(SB)/4, $0x3fb8aa3b
DATA expc<>+80(SB)/4, $0x3fb8aa3b
DATA expc<>+84(SB)/4, $0x3fb8aa3b
DATA expc<>+88(SB)/4, $0x3fb8aa3b
DATA expc<>+92(SB)/4, $0x3fb8aa3b
// 96: C1 = ln 2 high part
DATA expc<>+96(SB)/4, $0x3f318000
DATA expc<>+100(SB)/4, $0x3f318000
DATA expc<>+104(SB)/4, $0x3f318000
DATA expc<>+108(SB)/4, $0x3f318000
DATA expc<>+112(SB)/4, $0x3f318000
DATA expc<>+116(SB)/4, $0x3f318000
DATA expc<>+120(SB)/4, $0x3f318000
DATA expc<>+124(SB)/4, $0x3f318000
// 128: C2 = ln 2 − C1
DATA expc<>+128(SB)/4, $0xb95e8083
DATA expc<>+132(SB)/4, $0xb95e8083
DATA expc<>+136(SB)/4, $0xb95e8083
DATA expc<>+140(SB)/4, $0xb95e8083
DATA expc<>+144(SB)/4, $0xb95e8083
DATA expc<>+148(SB)/4, $0xb95e8083
DATA expc<>+152(SB)/4, $0xb95e8083
DATA expc<>+156(SB)/4, $0xb95e8083
// 160: p0
DATA expc<>+160(SB)/4, $0x39506967
DATA expc<>+164(SB)/4, $0x39506967
DATA expc<>+168(SB)/4, $0x39506967
DATA expc<>+172(SB)/4, $0x39506967
DATA expc<>+176(SB)/4, $0x39506967
DATA expc<>+180(SB)/4, $0x39506967
DATA expc<>+184(SB)/4, $0x39506967
DATA expc<>+188(SB)/4, $0x39506967
// 192: p1
DATA expc<>+192(SB)/4, $0x3ab743ce
DATA expc<>+196(SB)/4, $0x3ab743ce
DATA expc<>+200(SB)/4, $0x3ab743ce
DATA expc<>+204(SB)/4, $0x3ab743ce
DATA expc<>+208(SB)/4, $0x3ab743ce
DATA expc<>+212(SB)/4, $0x3ab743ce
DATA expc<>+216(SB)/4, $0x3ab743ce
DATA expc<>+220(SB)/4, $0x3ab743ce
// 224: p2
DATA expc<>+224(SB)/4, $0x3c088908
DATA expc<>+228(SB)/4, $0x3c088908
DATA expc<>+232(SB)/4, $0x3c088908
DATA expc<>+236(SB)/4, $0x3c088908
DATA expc<>+240(SB)/4, $0x3c088908
DATA expc<>+244(SB)/4, $0x3c088908
DATA expc<>+248(SB)/4, $0x3c088908
DATA expc<>+252(SB)/4, $0x3c088908
// 256: p3
DATA expc<>+256(SB)/4, $0x3d2aa9c1
DATA expc<>+260(SB)/4, $0x3d2aa9c1
DATA expc<>+264(SB)/4, $0x3d2aa9c1
DATA expc<>+268(SB)/4, $0x3d2aa9c1
DATA expc<>+272(SB)/4, $0x3d2aa9c1
DATA expc<>+276(SB)/4, $0x3d2aa9c1
DATA expc<>+280(SB)/4, $0x3d2aa9c1
DATA expc<>+284(SB)/4, $0x3d2aa9c1
// 288: p4
DATA expc<>+288(SB)/4, $0x3e2aaaaa
DATA expc<>+292(SB)/4, $0x3e2aaaaa
DATA expc<>+296(SB)/4, $0x3e2aaaaa
DATA expc<>+300(SB)/4, $0x3e2aaaaa
DATA expc<>+304(SB)/4, $0x3e2aaaaa
DATA expc<>+308(SB)/4, $0x3e2aaaaa
DATA expc<>+312(SB)/4, $0x3e2aaaaa
DATA expc<>+316(SB)/4, $0x3e2aaaaa
// 320: p5
DATA expc<>+320(SB)/4, $0x3f000000
DATA expc<>+324(SB)/4, $0x3f000000
DATA expc<>+328(SB)/4, $0x3f000000
DATA expc<>+332(SB)/4, $0x3f000000
DATA expc<>+336(SB)/4, $0x3f000000
DATA expc<>+340(SB)/4, $0x3f000000
DATA expc<>+344(SB)/4, $0x3f000000
DATA expc<>+348(SB)/4, $0x3f000000
// 352: 1
DATA expc<>+352(SB)/4, $0x3f800000
DATA expc<>+356(SB)/4, $0x3f800000
DATA expc<>+360(SB)/4, $0x3f800000
DATA expc<>+364(SB)/4, $0x3f800000
DATA expc<>+368(SB)/4, $0x3f800000
DATA expc<>+372(SB)/4, $0x3f800000
DATA expc<>+376(SB)/4, $0x3f800000
DATA expc<>+380(SB)/4, $0x3f800000
// 384: 127 (int32 exponent bias)
DATA expc<>+384(SB)/4, $0x7f
DATA expc<>+388(SB)/4, $0x7f
DATA expc<>+392(SB)/4, $0x7f
DATA expc<>+396(SB)/4, $0x7f
DATA expc<>+400(SB)/4, $0x7f
DATA expc<>+404(SB)/4, $0x7f
DATA expc<>+408(SB)/4, $0x7f
DATA expc<>+412(SB)/4, $0x7f
GLOBL expc<>(SB), RODATA|NOPTR, $416

// EXP512 maps Z0 to exp(Z0 − shift), with temporaries Z1–Z4.
#define EXP512 \
	VSUBPS       Z16, Z0, Z0; \
	VMAXPS       Z0, Z17, Z0; \
	VMINPS       Z0, Z18, Z0; \
	VMULPS       Z19, Z0, Z1; \
	VCVTPS2DQ    Z1, Z2; \
	VCVTDQ2PS    Z2, Z1; \
	VFNMADD231PS Z20, Z1, Z0; \
	VFNMADD231PS Z21, Z1, Z0; \
	VMOVAPS      Z22, Z3; \
	VFMADD213PS  Z23, Z0, Z3; \
	VFMADD213PS  Z24, Z0, Z3; \
	VFMADD213PS  Z25, Z0, Z3; \
	VFMADD213PS  Z26, Z0, Z3; \
	VFMADD213PS  Z27, Z0, Z3; \
	VMULPS       Z0, Z0, Z4; \
	VFMADD213PS  Z0, Z4, Z3; \
	VADDPS       Z28, Z3, Z3; \
	VPSRAD       $1, Z2, Z4; \
	VPSUBD       Z4, Z2, Z2; \
	VPADDD       Z29, Z4, Z4; \
	VPSLLD       $23, Z4, Z4; \
	VPADDD       Z29, Z2, Z2; \
	VPSLLD       $23, Z2, Z2; \
	VMULPS       Z4, Z3, Z3; \
	VMULPS       Z2, Z3, Z0

// func expShift512s(x *float32, n int, shift float32) (sum float32)
TEXT ·expShift512s(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS shift+16(FP), Z16
	VBROADCASTSS expc<>+0(SB), Z17
	VBROADCASTSS expc<>+32(SB), Z18
	VBROADCASTSS expc<>+64(SB), Z19
	VBROADCASTSS expc<>+96(SB), Z20
	VBROADCASTSS expc<>+128(SB), Z21
	VBROADCASTSS expc<>+160(SB), Z22
	VBROADCASTSS expc<>+192(SB), Z23
	VBROADCASTSS expc<>+224(SB), Z24
	VBROADCASTSS expc<>+256(SB), Z25
	VBROADCASTSS expc<>+288(SB), Z26
	VBROADCASTSS expc<>+320(SB), Z27
	VBROADCASTSS expc<>+352(SB), Z28
	VPBROADCASTD expc<>+384(SB), Z29
	VPXORD       Z15, Z15, Z15

expvec512:
	CMPQ    CX, $16
	JLT     exptail512
	VMOVUPS (DI), Z0
	EXP512
	VMOVUPS Z0, (DI)
	VADDPS  Z0, Z15, Z15
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     expvec512

exptail512:
	TESTQ     CX, CX
	JZ        expsum512
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPS.Z (DI), K1, Z0
	EXP512
	VMOVUPS   Z0, K1, (DI)
	VADDPS    Z0, Z15, K1, Z15

expsum512:
	VMOVAPS Z15, Z0
	HSUM512S
	VMOVSS  X0, sum+24(FP)
	VZEROUPPER
	RET

// EXP256 maps Y0 to exp(Y0 − shift), with temporaries Y1–Y4; the
// polynomial's coefficients are read from memory.
#define EXP256 \
	VSUBPS       Y7, Y0, Y0; \
	VMAXPS       Y0, Y8, Y0; \
	VMINPS       Y0, Y9, Y0; \
	VMULPS       Y10, Y0, Y1; \
	VCVTPS2DQ    Y1, Y2; \
	VCVTDQ2PS    Y2, Y1; \
	VFNMADD231PS Y11, Y1, Y0; \
	VFNMADD231PS Y12, Y1, Y0; \
	VMOVUPS      expc<>+160(SB), Y3; \
	VFMADD213PS  expc<>+192(SB), Y0, Y3; \
	VFMADD213PS  expc<>+224(SB), Y0, Y3; \
	VFMADD213PS  expc<>+256(SB), Y0, Y3; \
	VFMADD213PS  expc<>+288(SB), Y0, Y3; \
	VFMADD213PS  expc<>+320(SB), Y0, Y3; \
	VMULPS       Y0, Y0, Y4; \
	VFMADD213PS  Y0, Y4, Y3; \
	VADDPS       Y13, Y3, Y3; \
	VPSRAD       $1, Y2, Y4; \
	VPSUBD       Y4, Y2, Y2; \
	VPADDD       Y14, Y4, Y4; \
	VPSLLD       $23, Y4, Y4; \
	VPADDD       Y14, Y2, Y2; \
	VPSLLD       $23, Y2, Y2; \
	VMULPS       Y4, Y3, Y3; \
	VMULPS       Y2, Y3, Y0

// func expShift256s(x *float32, n int, shift float32) (sum float32)
TEXT ·expShift256s(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS shift+16(FP), Y7
	VMOVUPS      expc<>+0(SB), Y8
	VMOVUPS      expc<>+32(SB), Y9
	VMOVUPS      expc<>+64(SB), Y10
	VMOVUPS      expc<>+96(SB), Y11
	VMOVUPS      expc<>+128(SB), Y12
	VMOVUPS      expc<>+352(SB), Y13
	VMOVUPS      expc<>+384(SB), Y14
	VXORPS       Y6, Y6, Y6

expvec256:
	CMPQ    CX, $8
	JLT     exptail256
	VMOVUPS (DI), Y0
	EXP256
	VMOVUPS Y0, (DI)
	VADDPS  Y0, Y6, Y6
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     expvec256

exptail256:
	TESTQ      CX, CX
	JZ         expsum256
	LEAQ       ·maskTab32+64(SB), AX
	SHLQ       $2, CX
	SUBQ       CX, AX
	VMOVDQU    (AX), Y15
	VMASKMOVPS (DI), Y15, Y0
	EXP256
	VMASKMOVPS Y0, Y15, (DI)
	VANDPS     Y15, Y0, Y0
	VADDPS     Y0, Y6, Y6

expsum256:
	VMOVAPS Y6, Y0
	HSUM256S
	VMOVSS  X0, sum+24(FP)
	VZEROUPPER
	RET

// ------------------------------------------------------------------ ReLU
// dst[i] = src[i] with the sign bit clear, +0 with it set (reluInto's
// rule). AVX-512: all n elements, the tail masked; AVX2: nvec whole
// vectors, the tail left to Go.
//
// func relu512[s](dst, src *T, n int)
#define RELU512(NAME, L, MOVDQU, MOVDQUZ, PSRA, SH, PANDN) \
TEXT NAME(SB), NOSPLIT, $0-24; \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
loop: \
	CMPQ   CX, $L; \
	JLT    tail; \
	MOVDQU (SI), Z0; \
	PSRA   $SH, Z0, Z1; \
	PANDN  Z0, Z1, Z1; \
	MOVDQU Z1, (DI); \
	ADDQ   $64, SI; \
	ADDQ   $64, DI; \
	SUBQ   $L, CX; \
	JMP    loop; \
tail: \
	TESTQ   CX, CX; \
	JZ      done; \
	MOVQ    $1, AX; \
	SHLQ    CX, AX; \
	DECQ    AX; \
	KMOVW   AX, K1; \
	MOVDQUZ (SI), K1, Z0; \
	PSRA    $SH, Z0, Z1; \
	PANDN   Z0, Z1, Z1; \
	MOVDQU  Z1, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

RELU512(·relu512s, 16, VMOVDQU32, VMOVDQU32.Z, VPSRAD, 31, VPANDND)
RELU512(·relu512, 8, VMOVDQU64, VMOVDQU64.Z, VPSRAQ, 63, VPANDNQ)

// func relu256s(dst, src *float32, nvec int)
TEXT ·relu256s(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  nvec+16(FP), CX
	TESTQ CX, CX
	JZ    relu256sdone

relu256sloop:
	VMOVDQU (SI), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y1
	VMOVDQU Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     relu256sloop

relu256sdone:
	VZEROUPPER
	RET

// func relu256(dst, src *float64, nvec int)
TEXT ·relu256(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  nvec+16(FP), CX
	VPXOR Y2, Y2, Y2
	TESTQ CX, CX
	JZ    relu256done

relu256loop:
	VMOVDQU  (SI), Y0
	VPCMPGTQ Y0, Y2, Y1
	VPANDN   Y0, Y1, Y1
	VMOVDQU  Y1, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DI
	DECQ     CX
	JNZ      relu256loop

relu256done:
	VZEROUPPER
	RET

// ------------------------------------------------------------- ReLU mask
// dx[i] = dy[i] where the bits of y[i] are not all zero, +0 elsewhere
// (reluMask's rule).
//
// func reluMask512[s](dx, dy, y *T, n int)
#define RELUMASK512(NAME, L, MOVDQU, MOVDQUZ, PTESTM) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dx+0(FP), DI; \
	MOVQ dy+8(FP), SI; \
	MOVQ y+16(FP), DX; \
	MOVQ n+24(FP), CX; \
loop: \
	CMPQ    CX, $L; \
	JLT     tail; \
	MOVDQU  (DX), Z0; \
	PTESTM  Z0, Z0, K2; \
	MOVDQUZ (SI), K2, Z1; \
	MOVDQU  Z1, (DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	ADDQ    $64, DX; \
	SUBQ    $L, CX; \
	JMP     loop; \
tail: \
	TESTQ   CX, CX; \
	JZ      done; \
	MOVQ    $1, AX; \
	SHLQ    CX, AX; \
	DECQ    AX; \
	KMOVW   AX, K1; \
	MOVDQUZ (DX), K1, Z0; \
	PTESTM  Z0, Z0, K2; \
	MOVDQUZ (SI), K2, Z1; \
	MOVDQU  Z1, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

RELUMASK512(·reluMask512s, 16, VMOVDQU32, VMOVDQU32.Z, VPTESTMD)
RELUMASK512(·reluMask512, 8, VMOVDQU64, VMOVDQU64.Z, VPTESTMQ)

// func reluMask256[s](dx, dy, y *T, nvec int)
#define RELUMASK256(NAME, PCMPEQ) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ  dx+0(FP), DI; \
	MOVQ  dy+8(FP), SI; \
	MOVQ  y+16(FP), DX; \
	MOVQ  nvec+24(FP), CX; \
	VPXOR Y2, Y2, Y2; \
	TESTQ CX, CX; \
	JZ    done; \
loop: \
	VMOVDQU (DX), Y0; \
	PCMPEQ  Y2, Y0, Y1; \
	VPANDN  (SI), Y1, Y1; \
	VMOVDQU Y1, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	ADDQ    $32, DX; \
	DECQ    CX; \
	JNZ     loop; \
done: \
	VZEROUPPER; \
	RET

RELUMASK256(·reluMask256s, VPCMPEQD)
RELUMASK256(·reluMask256, VPCMPEQQ)

// ------------------------------------------------------------ conversion
// dst[i] = float32(src[i]), rounded to nearest even as Go's conversion
// (CVTPD2PS under the default MXCSR).
//
// func convert512(dst *float32, src *float64, n int)
TEXT ·convert512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

cvt512loop:
	CMPQ          CX, $16
	JLT           cvt512tail
	VMOVUPD       (SI), Z0
	VMOVUPD       64(SI), Z1
	VCVTPD2PS     Z0, Y0
	VCVTPD2PS     Z1, Y1
	VINSERTF64X4  $1, Y1, Z0, Z0
	VMOVUPS       Z0, (DI)
	ADDQ          $128, SI
	ADDQ          $64, DI
	SUBQ          $16, CX
	JMP           cvt512loop

cvt512tail:
	TESTQ         CX, CX
	JZ            cvt512done
	MOVQ          $1, AX
	SHLQ          CX, AX
	DECQ          AX
	KMOVW         AX, K3
	KMOVW         AX, K1
	SHRQ          $8, AX
	KMOVW         AX, K2
	VMOVUPD.Z     (SI), K1, Z0
	VMOVUPD.Z     64(SI), K2, Z1
	VCVTPD2PS     Z0, Y0
	VCVTPD2PS     Z1, Y1
	VINSERTF64X4  $1, Y1, Z0, Z0
	VMOVUPS       Z0, K3, (DI)

cvt512done:
	VZEROUPPER
	RET

// func convert256(dst *float32, src *float64, nvec int) — nvec blocks of 8
TEXT ·convert256(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  nvec+16(FP), CX
	TESTQ CX, CX
	JZ    cvt256done

cvt256loop:
	VCVTPD2PSY (SI), X0
	VCVTPD2PSY 32(SI), X1
	VMOVUPS    X0, (DI)
	VMOVUPS    X1, 16(DI)
	ADDQ       $64, SI
	ADDQ       $32, DI
	DECQ       CX
	JNZ        cvt256loop

cvt256done:
	VZEROUPPER
	RET

//go:build amd64 && !purego

package nn

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Kernel sets, chosen once from the CPU features (tests may switch them).
// Each level has a float64 and a float32 kernel with the same register
// block in rows and in registers; float32 registers hold twice the lanes.
const (
	levelGo     = iota // plain Go loops (gemm.go)
	levelAVX2          // kern256 (4×8 blocks of c) and kern256s (4×16): AVX2 + FMA
	levelAVX512        // kern512 (8×16 blocks of c) and kern512s (8×32): AVX-512F
)

var gemmLevel = detectGemmLevel()

func detectGemmLevel() int {
	switch {
	case cpu.X86.HasAVX512F:
		return levelAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return levelAVX2
	}
	return levelGo
}

// gemmLevelName reports the kernel set in use.
func gemmLevelName() string {
	return [...]string{"go", "avx2+fma", "avx512f"}[gemmLevel]
}

// The kernels (gemm_amd64.s) compute one block of mr rows of c over
// npanels panels of nr columns; see the comment there. All strides are in
// elements; the caller guarantees every access is in bounds. kern512 and
// kern256 are float64, kern512s and kern256s float32.
//
//go:noescape
func kern512(c *float64, ldc int, a *float64, sar, saj int, p *float64, ldp, pstride, k, npanels, mask int, bias, db *float64, mode, lo, hi int)

//go:noescape
func kern256(c *float64, ldc int, a *float64, sar, saj int, p *float64, ldp, pstride, k, npanels int, mask *int64, bias, db *float64, mode, lo, hi int)

//go:noescape
func kern512s(c *float32, ldc int, a *float32, sar, saj int, p *float32, ldp, pstride, k, npanels, mask int, bias, db *float32, mode, lo, hi int)

//go:noescape
func kern256s(c *float32, ldc int, a *float32, sar, saj int, p *float32, ldp, pstride, k, npanels int, mask *int32, bias, db *float32, mode, lo, hi int)

// Kernel modes: how the accumulators start (the low two bits), and whether
// the ReLU is applied before the store.
const (
	modeZero = 0 // c = a·P
	modeBias = 1 // c = bias + a·P
	modeAcc  = 2 // c += a·P
	modeReLU = 4 // flag: c = max(0, …), by the sign-bit rule of ReLU.Forward
)

// maskTab[8-m:][:8] has its first m lanes set: the AVX2 masks of a last
// float64 panel with m valid columns; maskTab32[16-m:][:16] the same for
// float32.
var (
	maskTab   = [16]int64{-1, -1, -1, -1, -1, -1, -1, -1}
	maskTab32 = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
)

const (
	smallPack = 2048 // packed-operand buffers on the stack, in elements
	bigPack   = 8192
	rowChunk  = 192 // rows per pass of addATB, so x and dy stay in cache
)

// kernGeom returns the rows and columns of one register block.
func kernGeom[T Float](lvl int) (mr, nr int) {
	mr, nr = 4, 8
	if lvl == levelAVX512 {
		mr, nr = 8, 16
	}
	if is32[T]() {
		nr *= 2
	}
	return mr, nr
}

// kern calls the kernel of level lvl and element type T with valid
// columns in its last panel. It is a direct call (not a func value) so
// that stack buffers passed in do not escape.
func kern[T Float](lvl int, c *T, ldc int, a *T, sar, saj int, p *T, ldp, pstride, k, npanels, valid int, bias, db *T, mode, lo, hi int) {
	if is32[T]() {
		if lvl == levelAVX512 {
			kern512s(as32[T](c), ldc, as32[T](a), sar, saj, as32[T](p), ldp, pstride, k, npanels, 1<<valid-1, as32[T](bias), as32[T](db), mode, lo, hi)
			return
		}
		kern256s(as32[T](c), ldc, as32[T](a), sar, saj, as32[T](p), ldp, pstride, k, npanels, &maskTab32[16-valid], as32[T](bias), as32[T](db), mode, lo, hi)
		return
	}
	if lvl == levelAVX512 {
		kern512(as64[T](c), ldc, as64[T](a), sar, saj, as64[T](p), ldp, pstride, k, npanels, 1<<valid-1, as64[T](bias), as64[T](db), mode, lo, hi)
		return
	}
	kern256(as64[T](c), ldc, as64[T](a), sar, saj, as64[T](p), ldp, pstride, k, npanels, &maskTab[8-valid], as64[T](bias), as64[T](db), mode, lo, hi)
}

// as32 and as64 view an element pointer as the kernel's type (the caller
// has checked the size).
func as32[T Float](x *T) *float32 { return (*float32)(unsafe.Pointer(x)) }
func as64[T Float](x *T) *float64 { return (*float64)(unsafe.Pointer(x)) }

// simdMulABt does mulABt (with the ReLU if relu) with the SIMD kernels and
// reports whether it did. b is packed into column panels (nr columns of bᵀ
// side by side, zero padded) in a stack buffer; the row tail is handled by
// recomputing an overlapping full block and storing only its new rows.
// Fewer rows than one block, or k too large for the buffer, are left to
// the Go loops.
func simdMulABt[T Float](c, a, b, bias []T, rows, n, k int, relu bool) bool {
	lvl := gemmLevel
	if lvl == levelGo {
		return false
	}
	mr, nr := kernGeom[T](lvl)
	if rows < mr || k*nr > bigPack {
		return false
	}
	_, _, _ = c[rows*n-1], a[rows*k-1], b[n*k-1]
	if bias != nil {
		_ = bias[n-1]
	}
	if np := (n + nr - 1) / nr; np*nr*k <= smallPack {
		var buf [smallPack]T
		mulABtPacked(buf[:], lvl, c, a, b, bias, rows, n, k, relu)
	} else {
		var buf [bigPack]T
		mulABtPacked(buf[:], lvl, c, a, b, bias, rows, n, k, relu)
	}
	return true
}

func mulABtPacked[T Float](buf []T, lvl int, c, a, b, bias []T, rows, n, k int, relu bool) {
	mr, nr := kernGeom[T](lvl)
	np := (n + nr - 1) / nr
	group := len(buf) / (nr * k) // panels packed at a time
	mode := modeZero
	if bias != nil {
		mode = modeBias
	}
	if relu {
		mode |= modeReLU
	}
	for p0 := 0; p0 < np; p0 += group {
		p1 := min(p0+group, np)
		packPanels(buf, b, n, k, nr, p0, p1)
		valid := nr
		if p1 == np {
			valid = n - (np-1)*nr
		}
		var bp *T
		if bias != nil {
			bp = &bias[p0*nr]
		}
		for r0 := 0; r0 < rows; r0 += mr {
			start, lo := r0, 0
			if r0+mr > rows {
				start = rows - mr
				lo = r0 - start
			}
			kern(lvl, &c[start*n+p0*nr], n, &a[start*k], k, 1, &buf[0], nr, nr*k, k, p1-p0, valid, bp, nil, mode, lo, mr)
		}
	}
}

// packPanels writes panels p0 ≤ p < p1 of bᵀ (b is n×k) into buf: panel p
// at (p−p0)·nr·k holds bᵀ[j, p·nr+v] at j·nr+v, zero for columns ≥ n.
func packPanels[T Float](buf, b []T, n, k, nr, p0, p1 int) {
	for p := p0; p < p1; p++ {
		dst := buf[(p-p0)*nr*k : (p-p0+1)*nr*k]
		for v := range nr {
			o := p*nr + v
			if o >= n {
				for j := range k {
					dst[j*nr+v] = 0
				}
				continue
			}
			for j, w := range b[o*k : o*k+k] {
				dst[j*nr+v] = w
			}
		}
	}
}

// simdAddATB does addATB with the SIMD kernels and reports whether it did.
// dwt (in×out) is the c of the kernel, xᵀ its a (rows of xᵀ are columns of
// x) and dy its P, read in place; the bias gradient is summed alongside
// the first block of rows of dwt. rows is split into chunks that stay in
// cache. Fewer than one block of inputs is left to the Go loops.
func simdAddATB[T Float](dwt, db, x, dy []T, rows, in, out int) bool {
	lvl := gemmLevel
	if lvl == levelGo {
		return false
	}
	mr, nr := kernGeom[T](lvl)
	if in < mr {
		return false
	}
	_, _, _ = dwt[in*out-1], x[rows*in-1], dy[rows*out-1]
	var dbp *T
	if db != nil {
		_ = db[out-1]
		dbp = &db[0]
	}
	np := (out + nr - 1) / nr
	valid := out - (np-1)*nr
	for r0 := 0; r0 < rows; r0 += rowChunk {
		kc := min(rowChunk, rows-r0)
		for i0 := 0; i0 < in; i0 += mr {
			start, lo := i0, 0
			if i0+mr > in {
				start = in - mr
				lo = i0 - start
			}
			var d *T
			if i0 == 0 {
				d = dbp
			}
			kern(lvl, &dwt[start*out], out, &x[r0*in+start], 1, in, &dy[r0*out], out, nr, kc, np, valid, nil, d, modeAcc, lo, mr)
		}
	}
	return true
}

// gemmLevels lists the kernel sets this CPU can run (for tests).
func gemmLevels() []int {
	levels := []int{levelGo}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		levels = append(levels, levelAVX2)
	}
	if cpu.X86.HasAVX512F {
		levels = append(levels, levelAVX512)
	}
	return levels
}

//go:build amd64 && !purego

package nn

// The vector kernels of vec_amd64.s. Row kernels take the number of whole
// vectors in a row (full) and the lane mask of its tail: a bit mask for
// AVX-512 (0: no tail), a pointer into maskTab or maskTab32 for AVX2 (nil:
// no tail). All need n ≥ 1 and d ≥ 1; the wrappers below check the
// lengths, so every access is in bounds.

//go:noescape
func dotRows512s(out, y, x *float32, n, d, full, mask int)

//go:noescape
func dotRows512(out, y, x *float64, n, d, full, mask int)

//go:noescape
func dotRows256s(out, y, x *float32, n, d, full int, mask *int32)

//go:noescape
func dotRows256(out, y, x *float64, n, d, full int, mask *int64)

//go:noescape
func axpyRows512s(out, c, x *float32, n, d, full, mask, items, cstride, xstride int)

//go:noescape
func axpyRows512(out, c, x *float64, n, d, full, mask, items, cstride, xstride int)

//go:noescape
func axpyRows256s(out, c, x *float32, n, d, full int, mask *int32, items, cstride, xstride int)

//go:noescape
func axpyRows256(out, c, x *float64, n, d, full int, mask *int64, items, cstride, xstride int)

//go:noescape
func scaleRows512s(out, c, y *float32, n, d, full, mask int, zeroes bool)

//go:noescape
func scaleRows512(out, c, y *float64, n, d, full, mask int, zeroes bool)

//go:noescape
func scaleRows256s(out, c, y *float32, n, d, full int, mask *int32, zeroes bool)

//go:noescape
func scaleRows256(out, c, y *float64, n, d, full int, mask *int64, zeroes bool)

//go:noescape
func expShift512s(x *float32, n int, shift float32) (sum float32)

//go:noescape
func expShift256s(x *float32, n int, shift float32) (sum float32)

//go:noescape
func relu512s(dst, src *float32, n int)

//go:noescape
func relu512(dst, src *float64, n int)

//go:noescape
func relu256s(dst, src *float32, nvec int)

//go:noescape
func relu256(dst, src *float64, nvec int)

//go:noescape
func reluMask512s(dx, dy, y *float32, n int)

//go:noescape
func reluMask512(dx, dy, y *float64, n int)

//go:noescape
func reluMask256s(dx, dy, y *float32, nvec int)

//go:noescape
func reluMask256(dx, dy, y *float64, nvec int)

//go:noescape
func convert512(dst *float32, src *float64, n int)

//go:noescape
func convert256(dst *float32, src *float64, nvec int)

// rowGeom returns the whole vectors of a row of width d at level lvl and
// the tail's lane count.
func rowGeom[T Float](lvl, d int) (full, rem int) {
	shift := uint(2) // log2 of the lanes, so no division
	if lvl == levelAVX512 {
		shift++
	}
	if is32[T]() {
		shift++
	}
	return d >> shift, d & (1<<shift - 1)
}

// tailMask32 and tailMask64 return the AVX2 mask of a tail of rem lanes,
// or nil for none.
func tailMask32(rem int) *int32 {
	if rem == 0 {
		return nil
	}
	return &maskTab32[16-rem]
}

func tailMask64(rem int) *int64 {
	if rem == 0 {
		return nil
	}
	return &maskTab[8-rem]
}

func simdDotRows[T Float](out, y, x []T, n, d int) bool {
	lvl := gemmLevel
	if lvl == levelGo || n < 1 || d < 1 {
		return false
	}
	_, _, _ = out[n-1], y[d-1], x[n*d-1]
	full, rem := rowGeom[T](lvl, d)
	switch {
	case is32[T]() && lvl == levelAVX512:
		dotRows512s(as32(&out[0]), as32(&y[0]), as32(&x[0]), n, d, full, 1<<rem-1)
	case is32[T]():
		dotRows256s(as32(&out[0]), as32(&y[0]), as32(&x[0]), n, d, full, tailMask32(rem))
	case lvl == levelAVX512:
		dotRows512(as64(&out[0]), as64(&y[0]), as64(&x[0]), n, d, full, 1<<rem-1)
	default:
		dotRows256(as64(&out[0]), as64(&y[0]), as64(&x[0]), n, d, full, tailMask64(rem))
	}
	return true
}

func simdAxpyRows[T Float](out, c, x []T, n, d, items, cstride, xstride int) bool {
	lvl := gemmLevel
	if lvl == levelGo || n < 1 || d < 1 || items < 1 || cstride < 0 || xstride < 0 {
		return false
	}
	_, _, _ = out[items*d-1], c[(items-1)*cstride+n-1], x[(items-1)*xstride+n*d-1]
	full, rem := rowGeom[T](lvl, d)
	switch {
	case is32[T]() && lvl == levelAVX512:
		axpyRows512s(as32(&out[0]), as32(&c[0]), as32(&x[0]), n, d, full, 1<<rem-1, items, cstride, xstride)
	case is32[T]():
		axpyRows256s(as32(&out[0]), as32(&c[0]), as32(&x[0]), n, d, full, tailMask32(rem), items, cstride, xstride)
	case lvl == levelAVX512:
		axpyRows512(as64(&out[0]), as64(&c[0]), as64(&x[0]), n, d, full, 1<<rem-1, items, cstride, xstride)
	default:
		axpyRows256(as64(&out[0]), as64(&c[0]), as64(&x[0]), n, d, full, tailMask64(rem), items, cstride, xstride)
	}
	return true
}

func simdScaleRows[T Float](out, c, y []T, n, d int, zeroes bool) bool {
	lvl := gemmLevel
	if lvl == levelGo || n < 1 || d < 1 {
		return false
	}
	_, _, _ = out[n*d-1], c[n-1], y[d-1]
	full, rem := rowGeom[T](lvl, d)
	switch {
	case is32[T]() && lvl == levelAVX512:
		scaleRows512s(as32(&out[0]), as32(&c[0]), as32(&y[0]), n, d, full, 1<<rem-1, zeroes)
	case is32[T]():
		scaleRows256s(as32(&out[0]), as32(&c[0]), as32(&y[0]), n, d, full, tailMask32(rem), zeroes)
	case lvl == levelAVX512:
		scaleRows512(as64(&out[0]), as64(&c[0]), as64(&y[0]), n, d, full, 1<<rem-1, zeroes)
	default:
		scaleRows256(as64(&out[0]), as64(&c[0]), as64(&y[0]), n, d, full, tailMask64(rem), zeroes)
	}
	return true
}

func simdExpShift32(x []float32, shift float32) (float32, bool) {
	switch {
	case gemmLevel == levelGo:
		return 0, false
	case len(x) == 0:
		return 0, true
	case gemmLevel == levelAVX512:
		return expShift512s(&x[0], len(x), shift), true
	}
	return expShift256s(&x[0], len(x), shift), true
}

// simdReLU, simdReLUMask and simdConvert return how many leading elements
// they did; the caller does the rest in Go.
func simdReLU[T Float](dst, src []T) int {
	lvl, n := gemmLevel, len(src)
	if lvl == levelGo || n == 0 {
		return 0
	}
	_ = dst[n-1]
	switch {
	case is32[T]() && lvl == levelAVX512:
		relu512s(as32(&dst[0]), as32(&src[0]), n)
		return n
	case is32[T]():
		relu256s(as32(&dst[0]), as32(&src[0]), n/8)
		return n &^ 7
	case lvl == levelAVX512:
		relu512(as64(&dst[0]), as64(&src[0]), n)
		return n
	}
	relu256(as64(&dst[0]), as64(&src[0]), n/4)
	return n &^ 3
}

func simdReLUMask[T Float](dx, dy, y []T) int {
	lvl, n := gemmLevel, len(dy)
	if lvl == levelGo || n == 0 {
		return 0
	}
	_, _ = dx[n-1], y[n-1]
	switch {
	case is32[T]() && lvl == levelAVX512:
		reluMask512s(as32(&dx[0]), as32(&dy[0]), as32(&y[0]), n)
		return n
	case is32[T]():
		reluMask256s(as32(&dx[0]), as32(&dy[0]), as32(&y[0]), n/8)
		return n &^ 7
	case lvl == levelAVX512:
		reluMask512(as64(&dx[0]), as64(&dy[0]), as64(&y[0]), n)
		return n
	}
	reluMask256(as64(&dx[0]), as64(&dy[0]), as64(&y[0]), n/4)
	return n &^ 3
}

func simdConvert(dst []float32, src []float64) int {
	lvl, n := gemmLevel, len(src)
	if lvl == levelGo || n == 0 {
		return 0
	}
	_ = dst[n-1]
	if lvl == levelAVX512 {
		convert512(&dst[0], &src[0], n)
		return n
	}
	convert256(&dst[0], &src[0], n/8)
	return n &^ 7
}

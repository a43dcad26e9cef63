package nn

import (
	"math"
	"unsafe"
)

// Vector kernels for the loops of the layers that are not matrix products:
// a set of n rows of width d against one vector (the attention's scores
// and its gradients, the aggregation, the head mixing), exp over a
// contiguous buffer for the softmaxes, the ReLU and its mask, and
// float64 → float32 conversion. Each dispatches to the SIMD kernels of
// vec_amd64.go/.s at the product kernels' level (gemmLevel: AVX-512 or
// AVX2+FMA, chosen at start-up; tests and benchmarks may switch it) and
// otherwise runs the plain Go loop below, which is the only path on other
// architectures and with the purego build tag.
//
// Bits. The weighted sums (axpyRows), scaled copies (scaleRows), ReLU, mask
// and conversion give the Go loops' results bit for bit at every level: the
// kernels multiply and add separately, in the same order. The dot products
// (dotRows) sum lanes in parallel with fused multiply-adds, so they differ
// from the Go loop in the last bits (deterministically, for a given level).
// In float32, expShift uses a polynomial exp (vec_amd64.s): at most 1 ulp
// from the correctly rounded value on 2²⁴ sampled inputs over its whole
// range (TestExpShift32Accuracy, which allows 2); in float64 it keeps
// math.Exp.

// dotRows sets out[j] = Σ_i y[i]·x[j·d+i] for j < n: y has length d and x
// holds n rows of width d.
func dotRows[T Float](out, y, x []T, n, d int) {
	if simdDotRows(out, y, x, n, d) {
		return
	}
	dotRowsGo(out, y, x, n, d)
}

// axpyRows sets out[i] = Σ_j c[j]·x[j·d+i] for i < d, summing over j < n
// in order and skipping the rows whose c[j] is ±0 (so that an absent
// entity's values, whatever they hold, add nothing).
func axpyRows[T Float](out, c, x []T, n, d int) {
	axpyRowsBatch(out, c, x, n, d, 1, 0, 0)
}

// axpyRowsBatch does axpyRows for items sets in one call: set s sums the n
// rows of width d at x[s·xstride:] with the weights at c[s·cstride:] into
// out[s·d:(s+1)·d]. One call per batch (the aggregation) or per batch item
// (the head mixing, whose rows share one z) saves the per-call cost that
// dominates sets of a few short rows.
func axpyRowsBatch[T Float](out, c, x []T, n, d, items, cstride, xstride int) {
	if simdAxpyRows(out, c, x, n, d, items, cstride, xstride) {
		return
	}
	for s := range items {
		axpyRowsGo(out[s*d:(s+1)*d], c[s*cstride:], x[s*xstride:], n, d)
	}
}

// scaleRows sets out[j·d+i] = c[j]·y[i] for j < n, i < d. With zeroes, a
// row whose c[j] is ±0 is set to +0 instead (the attention's gradient
// skips such rows).
func scaleRows[T Float](out, c, y []T, n, d int, zeroes bool) {
	if simdScaleRows(out, c, y, n, d, zeroes) {
		return
	}
	scaleRowsGo(out, c, y, n, d, zeroes)
}

// expShift sets x[i] = exp(x[i] − shift) and returns Σ_i x[i]. In float64
// (and at the Go level) each value is math.Exp rounded to T and the sum
// runs in order; in float32 with SIMD both are vectorised.
func expShift[T Float](x []T, shift T) T {
	if is32[T]() {
		if s, ok := simdExpShift32(asF32(x), float32(shift)); ok {
			return T(s)
		}
	}
	return expShiftGo(x, shift)
}

func dotRowsGo[T Float](out, y, x []T, n, d int) {
	y = y[:d]
	for j := range out[:n] {
		xj := x[j*d : j*d+d]
		xj = xj[:len(y)]
		var s T
		for i, v := range y {
			s += v * xj[i]
		}
		out[j] = s
	}
}

func axpyRowsGo[T Float](out, c, x []T, n, d int) {
	out = out[:d]
	zero(out)
	for j, cj := range c[:n] {
		if cj == 0 {
			continue
		}
		xj := x[j*d : j*d+d]
		xj = xj[:len(out)]
		for i := range out {
			out[i] += cj * xj[i]
		}
	}
}

func scaleRowsGo[T Float](out, c, y []T, n, d int, zeroes bool) {
	y = y[:d]
	for j, cj := range c[:n] {
		o := out[j*d : j*d+d]
		if zeroes && cj == 0 {
			zero(o)
			continue
		}
		o = o[:len(y)]
		for i, v := range y {
			o[i] = cj * v
		}
	}
}

func expShiftGo[T Float](x []T, shift T) T {
	var sum T
	for i, v := range x {
		e := T(math.Exp(float64(v - shift))) // exp(−Inf) = 0
		x[i] = e
		sum += e
	}
	return sum
}

// reluGo is reluInto's Go loop.
func reluGo[T Float](dst, src []T) {
	if is32[T]() {
		d, s := bits32(dst), bits32(src)
		d = d[:len(s)]
		for i, b := range s {
			// All ones when the sign bit is set.
			d[i] = b &^ uint32(int32(b)>>31)
		}
		return
	}
	d, s := bits64(dst), bits64(src)
	d = d[:len(s)]
	for i, b := range s {
		d[i] = b &^ uint64(int64(b)>>63)
	}
}

// reluMaskGo is reluMask's Go loop.
func reluMaskGo[T Float](dx, dy, y []T) {
	if is32[T]() {
		d, g, o := bits32(dx), bits32(dy), bits32(y)
		d, o = d[:len(g)], o[:len(g)]
		for i, b := range o {
			// Keep dy where the bits are non-zero.
			d[i] = g[i] & -((b | -b) >> 31)
		}
		return
	}
	d, g, o := bits64(dx), bits64(dy), bits64(y)
	d, o = d[:len(g)], o[:len(g)]
	for i, b := range o {
		d[i] = g[i] & -((b | -b) >> 63)
	}
}

// ConvertFloat64 sets dst[i] = float32(src[i]) for i < len(dst), rounded
// to nearest even exactly as Go's conversion rounds, with the SIMD kernels
// where the CPU has them. Code that feeds float64 data (replayed
// observations) to float32 networks uses it for the per-batch gather. It
// panics if src is shorter than dst.
func ConvertFloat64(dst []float32, src []float64) {
	src = src[:len(dst)]
	done := simdConvert(dst, src)
	for i, v := range src[done:] {
		dst[done+i] = float32(v)
	}
}

// asF32 and asF64 view a []T as the kernel's element type (the caller has
// checked the size).
func asF32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func asF64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

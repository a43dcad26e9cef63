package nn

// The matrix products of a Linear layer over a batch of rows, in float64
// or float32 (one generic source; the element type picks the kernels). All
// matrices are dense and row-major. mulABt, mulABtReLU and addATB dispatch
// to the SIMD kernels of gemm_amd64.go/.s (AVX-512 or AVX2+FMA, chosen at
// start-up from the CPU features; float32 kernels have twice the lanes)
// when they apply, and otherwise to the plain Go loops mulABtGo and
// addATBGo below, blocked over four rows (7–10 GFLOP/s on one core). The
// pure-Go path is the only one on other architectures and with the purego
// build tag. The SIMD kernels sum in a different order and use fused
// multiply-adds, so results differ from the Go loops in the last bits; for
// a given binary and CPU they are deterministic.

// mulABt computes
//
//	c[r,o] = bias[o] + Σ_j a[r,j]·b[o,j]
//
// for r < rows and o < n, with a rows×k, b n×k and c rows×n. A nil bias is
// treated as zero.
func mulABt[T Float](c, a, b, bias []T, rows, n, k int) {
	if simdMulABt(c, a, b, bias, rows, n, k, false) {
		return
	}
	mulABtGo(c, a, b, bias, rows, n, k)
}

// mulABtReLU is mulABt followed by the ReLU, fused into the product's
// store:
//
//	c[r,o] = max(0, bias[o] + Σ_j a[r,j]·b[o,j])
//
// bit for bit what ReLU.Forward gives on mulABt's output (every value with
// the sign bit set, −0 and negative NaNs included, becomes +0), without a
// second pass over c.
func mulABtReLU[T Float](c, a, b, bias []T, rows, n, k int) {
	if simdMulABt(c, a, b, bias, rows, n, k, true) {
		return
	}
	mulABtGo(c, a, b, bias, rows, n, k)
	reluInto(c[:rows*n], c[:rows*n])
}

// addATB accumulates, with x rows×in and dy rows×out,
//
//	dwt[i,o] += Σ_r x[r,i]·dy[r,o]
//	db[o]    += Σ_r dy[r,o]
//
// where dwt is in×out, the transpose of a weight gradient.
func addATB[T Float](dwt, db, x, dy []T, rows, in, out int) {
	if simdAddATB(dwt, db, x, dy, rows, in, out) {
		return
	}
	addATBGo(dwt, db, x, dy, rows, in, out)
}

// mulABtGo is mulABt in plain Go: it computes
//
//	c[r,o] = bias[o] + Σ_j a[r,j]·b[o,j]
//
// for r < rows and o < n, with a rows×k, b n×k and c rows×n. A nil bias is
// treated as zero.
func mulABtGo[T Float](c, a, b, bias []T, rows, n, k int) {
	r := 0
	for ; r+4 <= rows; r += 4 {
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a2 := a[(r+2)*k : (r+2)*k+k]
		a3 := a[(r+3)*k : (r+3)*k+k]
		a1 = a1[:len(a0)]
		a2 = a2[:len(a0)]
		a3 = a3[:len(a0)]
		c0 := c[r*n : r*n+n]
		c1 := c[(r+1)*n : (r+1)*n+n]
		c2 := c[(r+2)*n : (r+2)*n+n]
		c3 := c[(r+3)*n : (r+3)*n+n]
		c1 = c1[:len(c0)]
		c2 = c2[:len(c0)]
		c3 = c3[:len(c0)]
		for o := range c0 {
			w := b[o*k : o*k+k]
			w = w[:len(a0)]
			var s0, s1, s2, s3 T
			for j, u := range w {
				s0 += a0[j] * u
				s1 += a1[j] * u
				s2 += a2[j] * u
				s3 += a3[j] * u
			}
			if bias != nil {
				s0 += bias[o]
				s1 += bias[o]
				s2 += bias[o]
				s3 += bias[o]
			}
			c0[o], c1[o], c2[o], c3[o] = s0, s1, s2, s3
		}
	}
	for ; r < rows; r++ {
		ar := a[r*k : r*k+k]
		cr := c[r*n : r*n+n]
		for o := range cr {
			w := b[o*k : o*k+k]
			w = w[:len(ar)]
			var s T
			for j, u := range w {
				s += ar[j] * u
			}
			if bias != nil {
				s += bias[o]
			}
			cr[o] = s
		}
	}
}

// addATBGo is addATB in plain Go: it accumulates, with x rows×in and dy
// rows×out,
//
//	dwt[i,o] += Σ_r x[r,i]·dy[r,o]
//	db[o]    += Σ_r dy[r,o]
//
// where dwt is in×out, the transpose of a weight gradient.
func addATBGo[T Float](dwt, db, x, dy []T, rows, in, out int) {
	r := 0
	for ; r+4 <= rows; r += 4 {
		d0 := dy[r*out : r*out+out]
		d1 := dy[(r+1)*out : (r+1)*out+out]
		d2 := dy[(r+2)*out : (r+2)*out+out]
		d3 := dy[(r+3)*out : (r+3)*out+out]
		d1 = d1[:len(d0)]
		d2 = d2[:len(d0)]
		d3 = d3[:len(d0)]
		x0 := x[r*in : r*in+in]
		x1 := x[(r+1)*in : (r+1)*in+in]
		x2 := x[(r+2)*in : (r+2)*in+in]
		x3 := x[(r+3)*in : (r+3)*in+in]
		for i := range in {
			a0, a1, a2, a3 := x0[i], x1[i], x2[i], x3[i]
			g := dwt[i*out : i*out+out]
			g = g[:len(d0)]
			for j := range g {
				g[j] += a0*d0[j] + a1*d1[j] + a2*d2[j] + a3*d3[j]
			}
		}
		db := db[:len(d0)]
		for j := range db {
			db[j] += d0[j] + d1[j] + d2[j] + d3[j]
		}
	}
	for ; r < rows; r++ {
		d := dy[r*out : r*out+out]
		xr := x[r*in : r*in+in]
		for i, a := range xr {
			g := dwt[i*out : i*out+out]
			g = g[:len(d)]
			for j, v := range d {
				g[j] += a * v
			}
		}
		db := db[:len(d)]
		for j, v := range d {
			db[j] += v
		}
	}
}

// transpose writes the rows×cols matrix a into dst as cols×rows.
func transpose[T Float](dst, a []T, rows, cols int) {
	for i := range rows {
		for j, v := range a[i*cols : i*cols+cols] {
			dst[j*rows+i] = v
		}
	}
}

// grow returns buf resliced to length n, reallocating only when its
// capacity is too small. Caches grow to the largest size seen and are then
// reused, which keeps steady-state passes free of allocations.
func grow[T Float](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// zero sets every element of s to 0.
func zero[T Float](s []T) {
	for i := range s {
		s[i] = 0
	}
}

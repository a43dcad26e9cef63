package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the vector kernels at every level this CPU has ("go" is the
// old Go loops, kept reachable by the level switch), at MRA's shapes: a
// batch of 1024 agents, sets of n = 2 … 47 others, the relation net's
// attention over heads of width 16, the critic's entity attention (keys
// 32 = 2·CriticKey, values 64) and the classifier's and policy's
// aggregation of values of width 64.

const vecBenchBatch = 1024

var vecBenchSets = []int{2, 5, 11, 23, 47}

// withBenchLevels runs f once per kernel set available on this CPU.
func withBenchLevels(b *testing.B, f func(b *testing.B)) {
	old := gemmLevel
	defer func() { gemmLevel = old }()
	for _, l := range gemmLevels() {
		gemmLevel = l
		b.Run(gemmLevelName(), f)
	}
}

func BenchmarkEntityAttention(b *testing.B) {
	b.Run("float64", benchEntityAttention[float64])
	b.Run("float32", benchEntityAttention[float32])
}

// benchEntityAttention times a forward and backward pass of the critic's
// entity attention (key width 32, value width 64).
func benchEntityAttention[T Float](b *testing.B) {
	for _, n := range vecBenchSets {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		q, k := randT[T](rng, vecBenchBatch*32), randT[T](rng, vecBenchBatch*n*32)
		v, de := randT[T](rng, vecBenchBatch*n*64), randT[T](rng, vecBenchBatch*64)
		ea := NewEntityAttentionOf[T](32, 64, 0.125)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			withBenchLevels(b, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ea.Forward(n, q, k, v, nil)
					ea.Backward(de, nil)
				}
			})
		})
	}
}

func BenchmarkRelationAttention(b *testing.B) {
	b.Run("float64", benchRelationAttention[float64])
	b.Run("float32", benchRelationAttention[float32])
}

// benchRelationAttention times a forward and backward pass of the relation
// net's attention weights over heads of width 16, a third of the entities
// absent.
func benchRelationAttention[T Float](b *testing.B) {
	for _, n := range vecBenchSets {
		rng := rand.New(rand.NewPCG(2, uint64(n)))
		q, k := randT[T](rng, vecBenchBatch*16), randT[T](rng, vecBenchBatch*n*16)
		dw := randT[T](rng, vecBenchBatch*n)
		present := make([]bool, vecBenchBatch*n)
		for i := range present {
			present[i] = i%3 != 2
		}
		a := AttentionOf[T]{Dim: 16, Scale: 0.125}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			withBenchLevels(b, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					a.Forward(n, q, k, present)
					a.Backward(dw)
				}
			})
		})
	}
}

// BenchmarkAggregateGranularity compares the aggregation's forward and
// backward (values of width 64) with the kernels called once per batch
// item for all n rows (as Aggregate does) and once per row.
func BenchmarkAggregateGranularity(b *testing.B) {
	b.Run("float32", benchAggregateGranularity[float32])
	b.Run("float64", benchAggregateGranularity[float64])
}

func benchAggregateGranularity[T Float](b *testing.B) {
	const d = 64
	for _, n := range vecBenchSets {
		rng := rand.New(rand.NewPCG(3, uint64(n)))
		w, v := randT[T](rng, vecBenchBatch*n), randT[T](rng, vecBenchBatch*n*d)
		de := randT[T](rng, vecBenchBatch*d)
		out, dw, dv := make([]T, vecBenchBatch*d), make([]T, vecBenchBatch*n), make([]T, vecBenchBatch*n*d)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			withBenchLevels(b, func(b *testing.B) {
				b.Run("per-item", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						for i := range vecBenchBatch {
							axpyRows(out[i*d:i*d+d], w[i*n:i*n+n], v[i*n*d:(i+1)*n*d], n, d)
							dotRows(dw[i*n:i*n+n], de[i*d:i*d+d], v[i*n*d:(i+1)*n*d], n, d)
							scaleRows(dv[i*n*d:(i+1)*n*d], w[i*n:i*n+n], de[i*d:i*d+d], n, d, false)
						}
					}
				})
				b.Run("per-row", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						for i := range vecBenchBatch {
							e := out[i*d : i*d+d]
							zero(e)
							var tmp [d]T
							for j := range n {
								r := i*n + j
								// e += w_j·v_j as a one-row sum into tmp.
								axpyRows(tmp[:], w[r:r+1], v[r*d:(r+1)*d], 1, d)
								for k := range e {
									e[k] += tmp[k]
								}
								dotRows(dw[r:r+1], de[i*d:i*d+d], v[r*d:(r+1)*d], 1, d)
								scaleRows(dv[r*d:(r+1)*d], w[r:r+1], de[i*d:i*d+d], 1, d, false)
							}
						}
					}
				})
			})
		})
	}
}

// BenchmarkVecElementwise times the float32 exp, ReLU, ReLU mask and
// float64 → float32 conversion on buffers of 1024·32 elements (a hidden
// layer's activations), in elements per nanosecond.
func BenchmarkVecElementwise(b *testing.B) {
	const size = vecBenchBatch * 32
	rng := rand.New(rand.NewPCG(4, 4))
	x32, y32, d32 := randT[float32](rng, size), make([]float32, size), randT[float32](rng, size)
	x64, y64, d64 := randT[float64](rng, size), make([]float64, size), randT[float64](rng, size)
	elems := func(b *testing.B) {
		b.ReportMetric(float64(size)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
	}
	withBenchLevels(b, func(b *testing.B) {
		b.Run("exp/float32", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				copy(y32, x32)
				expShift(y32, 0)
			}
			elems(b)
		})
		b.Run("relu/float32", func(b *testing.B) {
			for b.Loop() {
				reluInto(y32, x32)
			}
			elems(b)
		})
		b.Run("relu/float64", func(b *testing.B) {
			for b.Loop() {
				reluInto(y64, x64)
			}
			elems(b)
		})
		b.Run("mask/float32", func(b *testing.B) {
			reluInto(y32, x32)
			for b.Loop() {
				reluMask(d32, x32, y32)
			}
			elems(b)
		})
		b.Run("mask/float64", func(b *testing.B) {
			reluInto(y64, x64)
			for b.Loop() {
				reluMask(d64, x64, y64)
			}
			elems(b)
		})
		b.Run("convert", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ConvertFloat64(y32, x64)
			}
			elems(b)
		})
	})
}

// BenchmarkRowKernels times each row kernel alone on 64 batch items that
// stay in cache (ns per batch item), at MRA's widths.
func BenchmarkRowKernels(b *testing.B) {
	b.Run("float32", benchRowKernels[float32])
	b.Run("float64", benchRowKernels[float64])
}

func benchRowKernels[T Float](b *testing.B) {
	const items = 64
	for _, d := range []int{16, 32, 64} {
		for _, n := range []int{2, 5, 23} {
			rng := rand.New(rand.NewPCG(5, uint64(n*d)))
			y, x, c := randT[T](rng, items*d), randT[T](rng, items*n*d), randT[T](rng, items*n)
			out, outN := make([]T, items*n*d), make([]T, items*n)
			perItem := func(b *testing.B) {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
			}
			b.Run(fmt.Sprintf("d=%d/n=%d", d, n), func(b *testing.B) {
				withBenchLevels(b, func(b *testing.B) {
					b.Run("dot", func(b *testing.B) {
						for b.Loop() {
							for i := range items {
								dotRows(outN[i*n:i*n+n], y[i*d:i*d+d], x[i*n*d:(i+1)*n*d], n, d)
							}
						}
						perItem(b)
					})
					b.Run("axpy", func(b *testing.B) {
						for b.Loop() {
							for i := range items {
								axpyRows(out[i*d:i*d+d], c[i*n:i*n+n], x[i*n*d:(i+1)*n*d], n, d)
							}
						}
						perItem(b)
					})
					b.Run("scale", func(b *testing.B) {
						for b.Loop() {
							for i := range items {
								scaleRows(out[i*n*d:(i+1)*n*d], c[i*n:i*n+n], y[i*d:i*d+d], n, d, false)
							}
						}
						perItem(b)
					})
				})
			})
		}
	}
}

// BenchmarkHeadMix times the relation net's head mixing (6 heads of 16,
// one-hot z as MRA's latent) forward and backward over 1024 items of n
// members.
func BenchmarkHeadMix(b *testing.B) {
	b.Run("float32", benchHeadMix[float32])
	b.Run("float64", benchHeadMix[float64])
}

func benchHeadMix[T Float](b *testing.B) {
	const heads, dim = 6, 16
	for _, n := range []int{1, 5, 23} {
		rng := rand.New(rand.NewPCG(6, uint64(n)))
		x, dy := randT[T](rng, vecBenchBatch*n*heads*dim), randT[T](rng, vecBenchBatch*n*dim)
		z := make([]T, vecBenchBatch*heads)
		for i := range vecBenchBatch {
			z[i*heads+rng.IntN(heads)] = 1
		}
		h := HeadMixOf[T]{Heads: heads, Dim: dim}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			withBenchLevels(b, func(b *testing.B) {
				b.Run("forward", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						h.Forward(n, x, z)
					}
				})
				b.Run("backward", func(b *testing.B) {
					b.ReportAllocs()
					h.Forward(n, x, z)
					for b.Loop() {
						h.Backward(dy)
					}
				})
			})
		})
	}
}

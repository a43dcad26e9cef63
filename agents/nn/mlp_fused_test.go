package nn

import (
	"math/rand/v2"
	"testing"
)

// TestMLPFusedReLU checks that the MLP's fused bias + ReLU gives the same
// bits as its Linear layers and ReLUs run one after the other, forward
// and backward (output, input gradient, parameter gradients), at every
// kernel set, on MRA's key network shape and an odd one.
func TestMLPFusedReLU(t *testing.T) {
	withLevels(t, func(t *testing.T) {
		for _, sizes := range [][]int{{22, 32, 96}, {5, 7, 3, 9}} {
			rng := rand.New(rand.NewPCG(16, 16))
			fused := NewMLP(NewReLU, sizes...)
			plain := NewMLP(NewReLU, sizes...)
			n := fused.NumParams()
			params := randT[float64](rng, n)
			g1, g2 := make([]float64, n), make([]float64, n)
			fused.SetParams(params, g1)
			plain.SetParams(params, g2)
			for _, rows := range []int{1, 9, 1000} {
				x := randT[float64](rng, rows*sizes[0])
				dy := randT[float64](rng, rows*fused.Out())

				y1 := append([]float64(nil), fused.Forward(x)...)
				dx1 := append([]float64(nil), fused.Backward(dy)...)

				h := x
				for i, l := range plain.Layers {
					h = l.Forward(h)
					if i < len(plain.Activations) {
						h = plain.Activations[i].Forward(h)
					}
				}
				y2 := h
				dx2 := plain.Backward(dy)
				for _, c := range []struct {
					name string
					a, b []float64
				}{{"y", y1, y2}, {"dx", dx1, dx2}, {"grad", g1, g2}} {
					if !equalSlices(c.a, c.b) {
						t.Fatalf("sizes %v rows %d: fused %s differs from Linear then ReLU", sizes, rows, c.name)
					}
				}
			}
		}
	})
}

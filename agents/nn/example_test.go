package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// This example builds MRA's relation net for one agent that sees three
// others, one of them dead, selects attention head 2 with a one-hot z and
// prints the relation graph g, then backpropagates a loss on g.
func ExampleRelationNet() {
	rng := rand.New(rand.NewPCG(1, 2))
	rn := nn.NewRelationNet(22, 32, 6, 16) // key_self and query_others: 22→32→96, 6 heads × 16
	p := nn.NewParams(rn)
	nn.XavierNormal(rng, p.Value, p.Layout)

	const batch, others = 1, 3
	self := make([]float64, batch*22)
	obs := make([]float64, batch*others*22)
	for i := range self {
		self[i] = rng.NormFloat64()
	}
	for i := range obs {
		obs[i] = rng.NormFloat64()
	}
	z := []float64{0, 0, 1, 0, 0, 0}
	present := []bool{true, false, true}

	g := rn.Forward(others, self, obs, z, present)
	fmt.Printf("g = [%.4f %.4f %.4f]\n", g[0], g[1], g[2])

	p.ZeroGrad()
	_, _, dz := rn.Backward([]float64{1, 0, 0}) // ∂g₀/∂·
	fmt.Println("parameters:", len(p.Value), "segments:", len(p.Layout.Layers), "len(dz):", len(dz))
	// Output:
	// g = [0.4766 0.0000 0.5234]
	// parameters: 7808 segments: 4 len(dz): 6
}

package meta_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/mrasim/mrasim/league/meta"
)

// ExampleZeroSumNash solves rock–paper–scissors: both players mix the three
// strategies uniformly, the game is worth 0, and neither side can exploit
// the other.
func ExampleZeroSumNash() {
	a := mat.NewDense(3, 3, []float64{
		0, -1, 1, // rock against rock, paper, scissors
		1, 0, -1, // paper
		-1, 1, 0, // scissors
	})
	row, col, value, err := meta.ZeroSumNash(a)
	if err != nil {
		panic(err)
	}
	exploitability, err := meta.Exploitability(a, row, col)
	if err != nil {
		panic(err)
	}
	// Round-off may leave the value at ±1e-17; print it as 0.
	if math.Abs(value) < 1e-12 {
		value = 0
	}
	fmt.Printf("row    %.4f\n", row)
	fmt.Printf("column %.4f\n", col)
	fmt.Printf("value %.4f, exploitability %.4f\n", value, exploitability)
	// Output:
	// row    [0.3333 0.3333 0.3333]
	// column [0.3333 0.3333 0.3333]
	// value 0.0000, exploitability 0.0000
}

// ExampleAlphaRank ranks three league entries that beat each other in a
// cycle, plus a fourth that loses to everyone: α-Rank splits the mass over
// the cycle and gives the weak entry none.
func ExampleAlphaRank() {
	table := mat.NewDense(4, 4, []float64{
		0, -1, 1, 1,
		1, 0, -1, 1,
		-1, 1, 0, 1,
		-1, -1, -1, 0,
	})
	res, err := meta.AlphaRank([]*mat.Dense{table}, nil) // m = 50, α = 100
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", res.Stationary)
	// Output:
	// [0.3333 0.3333 0.3333 0.0000]
}

// ExampleEloFit rates three entries from their win rates against each
// other; the table is consistent with a 200-point ladder.
func ExampleEloFit() {
	e := meta.EloExpected(1700, 1500) // ≈ 0.76: a 200-point favourite
	scores := mat.NewDense(3, 3, []float64{
		0, e, meta.EloExpected(1700, 1300),
		1 - e, 0, e,
		1 - meta.EloExpected(1700, 1300), 1 - e, 0,
	})
	ratings, err := meta.EloFit(scores)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f\n", ratings)
	// Output:
	// [1700.0 1500.0 1300.0]
}

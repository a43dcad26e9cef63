package matrix_test

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
)

// Example computes the NashConv of the volunteer's dilemma at five players,
// first at the symmetric mixed equilibrium and then when everybody
// volunteers, where each of the five could save the cost c = 0.5.
func Example() {
	g, err := env.Make(matrix.VolunteerName, map[string]any{"benefit": 1.0, "cost": 0.5}, env.Population{{Count: 5}})
	if err != nil {
		panic(err)
	}
	mp := g.(env.MixedPayoffs)

	p := matrix.VolunteerEquilibrium(5, 1, 0.5)
	atEquilibrium, _ := matrix.NashConv(mp, g.Spec(), matrix.BinaryProfile(5, p))
	allVolunteer, improvements := matrix.NashConv(mp, g.Spec(), matrix.BinaryProfile(5, 1))

	fmt.Printf("p* = %.4f, P(nobody volunteers) = %.4f\n", p, matrix.VolunteerNobodyProbability(5, 1, 0.5))
	fmt.Printf("NashConv at p*: %.9f\n", atEquilibrium)
	fmt.Printf("NashConv when all volunteer: %.2f %v\n", allVolunteer, improvements)
	// Output:
	// p* = 0.1591, P(nobody volunteers) = 0.4204
	// NashConv at p*: 0.000000000
	// NashConv when all volunteer: 2.50 [0.5 0.5 0.5 0.5 0.5]
}

// ExampleElFarolEquilibrium prints the symmetric equilibrium attendance
// probability of the El Farol bar at 60% capacity as the population grows.
func ExampleElFarolEquilibrium() {
	for _, n := range []int{5, 10, 100} {
		c := matrix.ElFarolCapacity(n, 0.6)
		fmt.Printf("n = %3d, C = %2d: p* = %.4f\n", n, c, matrix.ElFarolEquilibrium(n, c, 1, -1))
	}
	// Output:
	// n =   5, C =  3: p* = 0.6143
	// n =  10, C =  6: p* = 0.6069
	// n = 100, C = 60: p* = 0.6007
}

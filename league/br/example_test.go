package br_test

import (
	"fmt"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
	"github.com/mrasim/mrasim/league/br"
)

// ExampleTrain estimates one agent's NashConv term in the volunteer's
// dilemma when everybody volunteers: the agent gains the cost c = 0.5 by
// ignoring instead.
func ExampleTrain() {
	newGame := func() (env.Game, error) { return matrix.NewVolunteer(3, 1, 0.5) }
	res, err := br.Train(newGame, always{A: 1}, 0, nil, br.Config{Episodes: 800, TestEpisodes: 500}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("chosen %v: value %.3f, baseline %.3f, gain %.3f ± %.3f\n", res.Chosen, res.Test.Value, res.Test.Baseline, res.Gain, res.GainCI95)
	// Output: chosen true: value 1.000, baseline 0.500, gain 0.500 ± 0.000
}

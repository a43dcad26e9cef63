package mra_test

import (
	"testing"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
)

// mustGame makes game name with params at population pop.
func mustGame(t testing.TB, name string, params map[string]any, pop string) env.Game {
	t.Helper()
	p, err := env.ParsePopulation(pop)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make(name, params, p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

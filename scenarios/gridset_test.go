package scenarios_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/mra"
	"github.com/mrasim/mrasim/scenarios"
)

// TestGridSet checks --set on a grid: each override is applied to every
// scenario file, as if written there, before the runs are built; the
// grid's algorithm tables and [eval] still override the scenarios; keys
// the grid sets for every run are refused, naming the --set and the grid
// key that would win; a bad value is checked as in the scenario file.
func TestGridSet(t *testing.T) {
	read := files(map[string]string{"line.toml": lineScenario})
	ladder := strings.Replace(goodGrid, `scenarios = ["line.toml"]`, "scenarios = [\"line.toml\"]\nladder = [24, 48]", 1)
	noSplit := strings.Replace(goodGrid, "seen = [2, 3]\nunseen = [6]\n", "", 1)
	for _, tc := range []struct {
		name, grid string
		sets       []string
		// run checks the runs of an accepted grid: per algorithm label,
		// the training episodes and latents every seed must have.
		episodes, latents map[string]int
		evalEpisodes      int
		want              string // the only problem; "" when accepted
	}{
		{name: "none", grid: goodGrid, episodes: map[string]int{"mra": 12, "single": 24, "k1": 24}, latents: map[string]int{"mra": 2, "single": 6, "k1": 1}, evalEpisodes: 9},
		{name: "a training key the grid leaves to the scenario", grid: goodGrid, sets: []string{"train.episodes=40"},
			episodes: map[string]int{"mra": 12, "single": 40, "k1": 40}, latents: map[string]int{"mra": 2, "single": 6, "k1": 1}, evalEpisodes: 9},
		{name: "an algo key some algorithms set", grid: goodGrid, sets: []string{"algo.latents=3"},
			episodes: map[string]int{"mra": 12, "single": 24, "k1": 24}, latents: map[string]int{"mra": 2, "single": 3, "k1": 1}, evalEpisodes: 9},
		{name: "an eval key the grid leaves to the scenario", grid: goodGrid, sets: []string{"eval.adapt_steps=0"},
			episodes: map[string]int{"mra": 12, "single": 24, "k1": 24}, latents: map[string]int{"mra": 2, "single": 6, "k1": 1}, evalEpisodes: 9},
		{name: "eval populations without seen and unseen", grid: noSplit, sets: []string{"eval.populations=[2, 4]"},
			episodes: map[string]int{"mra": 12, "single": 24, "k1": 24}, latents: map[string]int{"mra": 2, "single": 6, "k1": 1}, evalEpisodes: 9},
		{name: "an eval key the grid sets", grid: goodGrid, sets: []string{"eval.episodes=50"},
			want: "g.toml: --set eval.episodes=50: the grid's [eval] sets eval.episodes for every run, which overrides the scenarios: change it in the grid"},
		{name: "eval populations with seen and unseen", grid: goodGrid, sets: []string{"eval.populations=[2]"},
			want: "g.toml: --set eval.populations=[2]: the grid's eval.seen and eval.unseen set the evaluation populations: change them in the grid"},
		{name: "seed", grid: goodGrid, sets: []string{"seed=5"}, want: "g.toml: --set seed=5: the grid's seeds set every run's seed"},
		{name: "name", grid: goodGrid, sets: []string{"name=x"}, want: "g.toml: --set name=x: a scenario's name names its folder of runs: set it in the scenario file"},
		{name: "out", grid: goodGrid, sets: []string{"out=x"}, want: "g.toml: --set out=x: the sweep writes its runs under the grid's out or --out"},
		{name: "budget under a ladder", grid: ladder, sets: []string{"train.episodes=40"}, want: "g.toml: --set train.episodes=40: the grid's ladder sets every run's budget"},
		{name: "a key every algorithm sets", grid: strings.Replace(goodGrid, "[algorithms.single]\n", "[algorithms.single]\nlatents = 4\n", 1), sets: []string{"algo.latents=3"},
			want: "g.toml: --set algo.latents=3: every algorithm of the grid sets algo.latents (algorithms.LABEL.latents), which overrides the scenarios: change it in the grid"},
		{name: "a value out of range", grid: goodGrid, sets: []string{"train.episodes=0"},
			want: "line.toml: train.episodes: 0 is out of range: want an integer in [1, 1e+09] (from --set train.episodes=0)"},
		{name: "an unknown key", grid: goodGrid, sets: []string{"algo.latnets=2"}, want: `(from --set algo.latnets=2)`},
		{name: "no value", grid: goodGrid, sets: []string{"train.episodes"}, want: `g.toml: --set "train.episodes": want KEY=VALUE, such as train.episodes=960`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := scenarios.ParseGridSet("g.toml", []byte(tc.grid), read, tc.sets)
			if tc.want != "" {
				var list scenarios.ErrorList
				if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Error(), tc.want) {
					t.Fatalf("got  %v\nwant %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Runs) != 9 {
				t.Fatalf("%d runs, want 9", len(g.Runs))
			}
			for _, r := range g.Runs {
				s := r.Spec
				if s.Train.Episodes != tc.episodes[r.Algo] || s.Algo.(*mra.Config).Latents != tc.latents[r.Algo] || s.Eval.Episodes != tc.evalEpisodes || s.Seed != r.Seed {
					t.Errorf("run %s/seed-%d: episodes %d, latents %d, eval episodes %d, seed %d; want %d, %d, %d, %d",
						r.Algo, r.Seed, s.Train.Episodes, s.Algo.(*mra.Config).Latents, s.Eval.Episodes, s.Seed, tc.episodes[r.Algo], tc.latents[r.Algo], tc.evalEpisodes, r.Seed)
				}
				for _, set := range tc.sets {
					if set == "eval.adapt_steps=0" && s.Eval.AdaptSteps != 0 {
						t.Errorf("run %s/seed-%d: eval.adapt_steps %d, want 0", r.Algo, r.Seed, s.Eval.AdaptSteps)
					}
					if set == "eval.populations=[2, 4]" && (len(s.Eval.Populations) != 2 || s.Eval.Populations[1].Total() != 4) {
						t.Errorf("run %s/seed-%d: eval.populations %v, want [2 4]", r.Algo, r.Seed, s.Eval.Populations)
					}
				}
			}
			if tc.sets != nil && len(tc.sets) == 1 && tc.sets[0] == "eval.populations=[2, 4]" {
				sc := g.Scenarios[0]
				if len(sc.Seen) != 1 || sc.Seen[0].Total() != 2 || len(sc.Unseen) != 1 || sc.Unseen[0].Total() != 4 {
					t.Errorf("seen %v, unseen %v: want [2] and [4]", sc.Seen, sc.Unseen)
				}
			}
		})
	}
}

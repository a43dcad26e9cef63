package sweep_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/sweep"
)

// TestExecuteEvaluatesReferences checks that a scenario's reference
// policies are evaluated like random play — once per seed, on the seed's
// evaluation seed and baseline document, into OUT/sc/NAME/seed-S/eval at
// every ladder rung — that the job names the policy also when it travels
// to a worker, and that each becomes rows and paired comparisons after
// random play's.
func TestExecuteEvaluatesReferences(t *testing.T) {
	type seen struct {
		algo, ref, dir, run string
		seed, evalSeed      uint64
		source              string
	}
	record := func(got *[]seen) sweep.Handlers {
		h := (&fakeHandlers{}).handlers()
		eval := h.Eval
		h.Eval = func(j sweep.EvalJob) (sweep.EvalResult, error) {
			*got = append(*got, seen{j.Algo, j.Reference, j.Dir, j.RunDir, j.Seed, j.EvalSeed, string(j.Source)})
			return eval(j)
		}
		return h
	}
	for _, tc := range []struct {
		name   string
		runner jobs.Runner
		ship   bool
		rung   int
	}{
		{"in place", jobs.Local{Workers: 1}, false, 0},
		{"ladder rung", jobs.Local{Workers: 1}, false, 8},
		{"remote", remote{jobs.Local{Workers: 1}}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan()
			p.Out = t.TempDir()
			p.Rung = tc.rung
			p.References = []string{"still", "nearest"}
			p.Scenarios[0].References = p.References
			var got []seen
			h := record(&got)
			sweep.SetWorkerHandlers(func(context.Context) sweep.Handlers { return h })
			defer sweep.SetWorkerHandlers(nil)
			rep, err := sweep.Execute(p, sweep.Options{Runner: tc.runner, Handlers: h, Ship: tc.ship})
			if err != nil {
				t.Fatal(err)
			}
			refs := 0
			for _, j := range got {
				if j.algo != "still" && j.algo != "nearest" {
					if j.ref != "" {
						t.Errorf("job %+v names a reference", j)
					}
					continue
				}
				refs++
				k := slices.Index(p.Seeds, j.seed)
				dir := filepath.Join(p.Out, "sc", j.algo, fmt.Sprintf("seed-%d", j.seed), "eval")
				if tc.ship {
					dir = "" // the worker's own folder, not recorded here
				}
				if j.ref != j.algo || j.run != "" || j.evalSeed != sweep.EvalSeed(j.seed) || j.source != string(p.Scenarios[0].Baseline[k]) || (!tc.ship && j.dir != dir) {
					t.Errorf("reference job %+v", j)
				}
			}
			if refs != 2*len(p.Seeds) {
				t.Errorf("%d reference jobs, want 2 × %d seeds", refs, len(p.Seeds))
			}
			var algos []string
			for _, r := range rep.Rows {
				if !slices.Contains(algos, r.Algo) {
					algos = append(algos, r.Algo)
				}
			}
			if !slices.Equal(algos, []string{"mra", "single", "random", "still", "nearest"}) {
				t.Errorf("row algorithms %v", algos)
			}
			paired := 0
			for _, pr := range rep.Paired {
				if pr.Algo == "still" && pr.N == len(p.Seeds) {
					paired++
				}
			}
			if paired != 2 {
				t.Errorf("%d paired rows mra − still over every seed, want one per population", paired)
			}
			if !slices.Equal(rep.References, p.References) {
				t.Errorf("report references %v", rep.References)
			}
		})
	}
}

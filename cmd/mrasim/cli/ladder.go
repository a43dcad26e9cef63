package cli

import (
	stdcontext "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// A budget ladder (the grid's `ladder`): the sweep trains every run to
// each rung in turn — extending it from the previous rung exactly as
// train --resume --episodes does — and evaluates it at every rung into
// RUN/rungs/<EPISODES>/. After each rung, a small JSON record of every run
// evaluated there is written into the grid's ladder_record folder, which is
// meant to be committed: a rung recorded there is never trained or
// evaluated again, so losing a run folder costs only the rungs not yet
// recorded (the next one retrains the run from scratch, which gives the
// same networks as extending it).

// rungPlans returns the plan of every rung of g's ladder, in order, with
// the runs' budgets and documents at that rung and every run listed.
func rungPlans(g *scenarios.Grid, out string) ([]*sweep.Plan, error) {
	scen := map[string]scenarios.GridScenario{}
	for _, sc := range g.Scenarios {
		scen[sc.Name] = sc
	}
	var plans []*sweep.Plan
	for _, rung := range g.Ladder {
		p := planOf(g)
		if out != "" {
			p.Out = out
		}
		p.Rung = rung
		for i, r := range g.Runs {
			episodes := scenarios.RungEpisodes(scen[r.Scenario], r, rung)
			src, err := scenarios.WithEpisodes(r.Source, episodes)
			if err != nil {
				return nil, fmt.Errorf("run %s at rung %d: %w", p.Runs[i].Name(), rung, err)
			}
			p.Runs[i].Source, p.Runs[i].Episodes = src, episodes
			p.Runs[i].File = fmt.Sprintf("%s (%s/%s/seed-%d, rung %d)", g.File, r.Scenario, r.Algo, r.Seed, rung)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// recordPath is the committed record of run r at plan p's rung.
func recordPath(g *scenarios.Grid, r sweep.Run, rung int) string {
	return filepath.Join(g.LadderRecord, r.Scenario, r.Algo, fmt.Sprintf("seed-%d", r.Seed), fmt.Sprintf("rung-%d.json", rung))
}

// RungRecord is the committed summary of one run's evaluation at one rung
// of a ladder.
type RungRecord struct {
	Grid     string `json:"grid"`
	Scenario string `json:"scenario"`
	Algo     string `json:"algo"`
	AlgoName string `json:"algo_name"`
	Seed     uint64 `json:"seed"`
	Rung     int    `json:"rung"`     // the ladder's rung (episodes per population of the scenario)
	Episodes int    `json:"episodes"` // the run's budget there: episodes per training population
	// Training's last log interval: the MI estimate, the classifier's
	// accuracy, the prior's entropy per training population and the
	// gradient and attention diagnostics of the modes (absent where the
	// algorithm has none).
	MIEstimate         *float64                 `json:"mi_estimate,omitempty"`
	ClassifierAccuracy *float64                 `json:"classifier_accuracy,omitempty"`
	PriorEntropy       map[string]float64       `json:"prior_entropy,omitempty"`
	ModeDiagnostics    *learner.ModeDiagnostics `json:"mode_diagnostics,omitempty"`
	// Outcomes are the run's evaluation numbers per population, as the
	// sweep aggregates them; Modes the mode diagnostics per population.
	Outcomes []sweep.Outcome                    `json:"outcomes"`
	Modes    map[string]*league.ModeDiagnostics `json:"modes,omitempty"`
}

// writeRecord writes run r's record at rung from its run and rung
// folders.
func writeRecord(g *scenarios.Grid, p *sweep.Plan, r sweep.Run) error {
	dir := p.EvalDir(r.Scenario, r.Algo, r.Seed)
	var cache evalCache
	data, err := fsutil.ReadRegular(filepath.Join(dir, sweepEvalFile), 1<<30)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &cache); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, sweepEvalFile), err)
	}
	rec := RungRecord{Grid: g.Name, Scenario: r.Scenario, Algo: r.Algo, AlgoName: r.AlgoName, Seed: r.Seed, Rung: p.Rung, Episodes: r.Episodes, Outcomes: cache.Result.Outcomes}
	if line := lastLine(filepath.Join(p.RunDir(r.Scenario, r.Algo, r.Seed), runMetrics)); line != "" {
		var m struct {
			MI           *float64                 `json:"mi_estimate"`
			Accuracy     *float64                 `json:"classifier_accuracy"`
			PriorEntropy map[string]float64       `json:"prior_entropy"`
			Modes        *learner.ModeDiagnostics `json:"mode_diagnostics"`
		}
		if err := json.Unmarshal([]byte(line), &m); err == nil {
			rec.MIEstimate, rec.ClassifierAccuracy, rec.PriorEntropy = m.MI, m.Accuracy, m.PriorEntropy
			rec.ModeDiagnostics = m.Modes
		}
	}
	rec.Modes = readModes(filepath.Join(dir, "results.json"))
	path := recordPath(g, r, p.Rung)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	})
}

// readModes returns the mode diagnostics per population of a league's
// results.json, nil when it has none or cannot be read. An undefined
// value there (null: the spread of one mode, an interval of fewer than 2
// episodes) is read as NaN, never as 0.
func readModes(path string) map[string]*league.ModeDiagnostics {
	data, err := fsutil.ReadRegular(path, 1<<30)
	if err != nil {
		return nil
	}
	var res struct {
		Results []struct {
			Name       string                  `json:"name"`
			Population string                  `json:"population"`
			Modes      *league.ModeDiagnostics `json:"modes"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil
	}
	var out map[string]*league.ModeDiagnostics
	for _, x := range res.Results {
		if x.Modes != nil {
			if out == nil {
				out = map[string]*league.ModeDiagnostics{}
			}
			out[x.Population] = x.Modes
		}
	}
	return out
}

// listLadder prints, per run, the state of every rung: recorded,
// evaluated, trained, or to do.
func (c *context) listLadder(g *scenarios.Grid, plans []*sweep.Plan) {
	rungs := make([]string, len(plans))
	for i, p := range plans {
		rungs[i] = fmt.Sprint(p.Rung)
	}
	fmt.Fprintf(c.stdout, "ladder: rungs %s episodes per population; records in %s\n", strings.Join(rungs, ", "), g.LadderRecord)
	for i, r := range plans[0].Runs {
		var states []string
		trained := 0
		var done sweep.TrainResult
		if data, err := fsutil.ReadRegular(filepath.Join(plans[0].RunDir(r.Scenario, r.Algo, r.Seed), sweepTrained), 1<<20); err == nil && json.Unmarshal(data, &done) == nil && done.Finished {
			trained = done.Budget
		}
		for _, p := range plans {
			rr := p.Runs[i]
			state := "to do"
			switch {
			case exists(recordPath(g, rr, p.Rung)):
				state = "recorded"
			case exists(filepath.Join(p.EvalDir(rr.Scenario, rr.Algo, rr.Seed), sweepEvalFile)):
				state = "evaluated"
			case trained == rr.Episodes:
				state = "trained"
			case trained > rr.Episodes:
				state = "passed, not recorded"
			}
			states = append(states, fmt.Sprintf("%d: %s", rr.Episodes, state))
		}
		fmt.Fprintf(c.stdout, "  %-40s %s\n", r.Name(), strings.Join(states, "; "))
	}
}

// runLadder runs the rungs of g in order (see the comment above) and
// writes each rung's sweep report into OUT/rungs/<EPISODES>/. again is
// the command that continues it.
func (c *context) runLadder(ctx stdcontext.Context, g *scenarios.Grid, plans []*sweep.Plan, set sweepSettings, again string) error {
	var lastMD []byte
	for _, full := range plans {
		p := *full
		p.Runs = nil
		for _, r := range full.Runs {
			if !exists(recordPath(g, r, full.Rung)) {
				p.Runs = append(p.Runs, r)
			}
		}
		if len(p.Runs) == 0 {
			fmt.Fprintf(c.stderr, "rung %d: every run is recorded in %s\n", p.Rung, g.LadderRecord)
			continue
		}
		fmt.Fprintf(c.stderr, "rung %d: %d runs to train and evaluate\n", p.Rung, len(p.Runs))
		rep, err := c.sweep(ctx, &p, set)
		switch {
		case errors.Is(err, sweep.ErrUnfinished):
			return &exitError{code: ExitOK, err: fmt.Errorf("interrupted at rung %d: %w\nCheckpoints and the rungs recorded so far are written; continue with:\n  %s", p.Rung, err, again)}
		case err != nil && (rep == nil || !errors.Is(err, sweep.ErrFailed)):
			return failed(fmt.Errorf("rung %d: %w", p.Rung, err))
		}
		var errs errorLines
		if err != nil {
			errs = append(errs, fmt.Errorf("rung %d: %w", p.Rung, err))
		}
		c.reportSweep(rep)
		recorded := 0
		for i, r := range p.Runs {
			if rep.Runs[i].Error != "" {
				continue
			}
			if err := writeRecord(g, &p, r); err != nil {
				errs = append(errs, fmt.Errorf("rung %d: recording %s: %w", p.Rung, r.Name(), err))
				continue
			}
			recorded++
		}
		dir := filepath.Join(p.Out, "rungs", fmt.Sprint(p.Rung))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return failed(append(errs, err))
		}
		written, err := writeSweepReport(rep, dir)
		if err != nil {
			return failed(append(errs, err))
		}
		fmt.Fprintf(c.stderr, "rung %d: %d runs recorded in %s; wrote %s\n", p.Rung, recorded, g.LadderRecord, strings.Join(written, ", "))
		lastMD, _ = fsutil.ReadRegular(filepath.Join(dir, "sweep.md"), 1<<30)
		if len(errs) > 0 {
			return failed(errs) // a later rung would extend runs whose rung failed
		}
	}
	c.stdout.Write(lastMD)
	return nil
}

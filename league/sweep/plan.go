package sweep

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/league/jobs"
)

// AlgoRandom labels uniform random play in a sweep's runs and reports.
const AlgoRandom = "random"

// Plan is a sweep: every run of its grid and how they are evaluated.
type Plan struct {
	Name       string
	Out        string   // folder of the runs and the report
	Seeds      []uint64 // training seeds, in report order
	Scenarios  []Scenario
	Algorithms []string // algorithm labels, in report order
	Runs       []Run    // scenario × algorithm × seed
	Random     bool     // also evaluate uniform random play per scenario and seed
	// References are the names of the scripted reference policies
	// evaluated beside the algorithms (each scenario's Scenario.References,
	// in first-seen order): report columns after random play.
	References []string
	// Rung, when positive, is the ladder rung this plan trains to (its
	// runs' budgets): trained runs are evaluated into
	// RUN/rungs/<Rung>/ instead of RUN/eval (see EvalDir).
	Rung int
}

// Scenario is one scenario of a plan.
type Scenario struct {
	Name string
	Game string
	File string
	// Seen and Unseen are the evaluation populations' labels: training
	// populations of some algorithm, and of none.
	Seen, Unseen []string
	// Baseline is, per seed (in Plan.Seeds' order), the scenario document
	// that evaluates random play and the references.
	Baseline [][]byte
	// References are the scripted reference policies of the scenario's
	// game (env.ScriptedPolicies) evaluated per seed like random play, on
	// the same evaluation seeds as the runs: each one's label is the
	// policy's name and its folder OUT/<scenario>/<name>/seed-<seed>/eval.
	References []string
}

// Run is one training run of a plan.
type Run struct {
	Scenario    string
	Algo        string // the algorithm's label
	AlgoName    string // the algorithm it runs (mra, single, …)
	Seed        uint64
	File        string   // names Source in messages
	Source      []byte   // the run's scenario document
	Episodes    int      // its budget: episodes per training population
	Populations []string // its training populations
}

// Name is scenario/algorithm/seed-S.
func (r Run) Name() string { return r.Scenario + "/" + r.Algo + "/" + seedDir(r.Seed) }

func seedDir(seed uint64) string { return fmt.Sprintf("seed-%d", seed) }

// RunDir is the folder of a run: OUT/<scenario>/<algorithm>/seed-<seed>.
func (p *Plan) RunDir(scenario, algo string, seed uint64) string {
	return filepath.Join(p.Out, scenario, algo, seedDir(seed))
}

// EvalDir is the folder of a run's evaluation report, inside the run's:
// RUN/eval, or RUN/rungs/<Rung> on a ladder rung (random play and the
// references, which do not train, keep RUN/eval at every rung).
func (p *Plan) EvalDir(scenario, algo string, seed uint64) string {
	if p.Rung > 0 && !p.Untrained(algo) {
		return filepath.Join(p.RunDir(scenario, algo, seed), "rungs", fmt.Sprint(p.Rung))
	}
	return filepath.Join(p.RunDir(scenario, algo, seed), "eval")
}

// Untrained reports whether algo labels a column that does not train:
// random play or one of the plan's references.
func (p *Plan) Untrained(algo string) bool {
	return algo == AlgoRandom || slices.Contains(p.References, algo)
}

// evalStream is the stream of env.SubSeed that gives a run's evaluation
// seed: evaluations play on seeds held out from training.
const evalStream = 0x5eed_e7a1

// EvalSeed returns the root seed of the evaluation of the runs trained with
// seed: derived from it, distinct from every training stream, and the same
// for every algorithm and random play at that seed (common random numbers).
func EvalSeed(seed uint64) uint64 { return env.SubSeed(seed, evalStream) }

// Options say how a plan is executed.
type Options struct {
	Runner   jobs.Runner // default jobs.Local{}
	Handlers Handlers
	Workers  int // goroutines inside each job (game copies, league jobs); results do not depend on it
	// StopAt, when > 0, stops every training job after that many episodes
	// per population (see TrainJob.StopAt).
	StopAt int
	// Stopped, if not nil, is asked before each job: when it reports true
	// (the user interrupted the sweep) jobs not yet started are skipped.
	Stopped  func() bool
	Progress func(phase string, done, n int) // after each finished job; may be nil
	// Ship sends the run folders with the jobs and writes back the folders
	// they produced, through the runner's blobs (it must then be a
	// jobs.BlobRunner): for runners whose workers do not share this
	// file system (league/natsrun). Results do not depend on it.
	Ship bool
	// Context, when not nil, ends the runner's wait when it is done (an
	// interrupted sweep): jobs without a result count as not started.
	Context context.Context
}

// ErrUnfinished is wrapped by Execute's error when some runs did not finish
// training (interrupted or stopped by Options.StopAt): running the sweep
// again resumes them.
var ErrUnfinished = errors.New("sweep: runs not finished")

// ErrFailed is wrapped by Execute's error when jobs failed: the report
// then aggregates the runs that did not fail and lists the failures.
var ErrFailed = errors.New("sweep: jobs failed")

// Execute trains every run of the plan that is not finished, then
// evaluates every finished run (and random play) whose evaluation is not
// done, and aggregates the report. Jobs go through o.Runner; every job is a
// serialised TrainJob or EvalJob given to o.Handlers.
//
// When some runs are left unfinished (interrupted, or Options.StopAt) it
// evaluates nothing and returns what training did with an error wrapping
// ErrUnfinished. Failed jobs do not stop the others: the report aggregates
// what succeeded, names the failures (RunSummary.Error, Report.Failures)
// and comes with an error wrapping ErrFailed.
func Execute(p *Plan, o Options) (*Report, error) {
	runner := o.Runner
	if runner == nil {
		runner = jobs.Local{}
	}
	rep := &Report{Name: p.Name, Seeds: p.Seeds, Algorithms: p.Algorithms, Random: p.Random, References: p.References}
	for _, sc := range p.Scenarios {
		rep.Scenarios = append(rep.Scenarios, ScenarioSummary{Name: sc.Name, Game: sc.Game, File: sc.File, Seen: sc.Seen, Unseen: sc.Unseen})
	}

	// Training.
	trainJobs := make([]TrainJob, len(p.Runs))
	for i, r := range p.Runs {
		trainJobs[i] = TrainJob{Run: r.Name(), File: r.File, Source: r.Source, Dir: p.RunDir(r.Scenario, r.Algo, r.Seed), StopAt: o.StopAt, Workers: o.Workers}
	}
	trained := make([]TrainResult, len(trainJobs))
	trainErrs, stopped := runAll(runner, o, "train", KindTrain, len(trainJobs),
		func(i int) (string, any, any) { return trainJobs[i].Run, trainJobs[i], &trained[i] },
		func(i int) folders { return folders{run: trainJobs[i].Dir} })
	var unfinished []string
	for i, r := range p.Runs {
		rep.Runs = append(rep.Runs, RunSummary{
			Scenario: r.Scenario, Algo: r.Algo, AlgoName: r.AlgoName, Seed: r.Seed, Dir: trainJobs[i].Dir, Populations: r.Populations,
			Episodes: trained[i].Episodes, Budget: r.Episodes, Finished: trained[i].Finished, Resumed: trained[i].Resumed, Skipped: trained[i].Skipped,
			TrainSeconds: trained[i].WallSeconds,
		})
		if trainErrs[i] != nil {
			rep.Runs[i].Error = trainErrs[i].Error()
			rep.Failures = append(rep.Failures, trainErrs[i].Error())
		} else if !trained[i].Finished {
			unfinished = append(unfinished, r.Name())
		}
	}
	if stopped || len(unfinished) > 0 {
		err := fmt.Errorf("%w: %s", ErrUnfinished, strings.Join(unfinished, ", "))
		if stopped {
			err = fmt.Errorf("%w: the sweep was interrupted", ErrUnfinished)
		}
		if len(rep.Failures) > 0 {
			err = fmt.Errorf("%w; and %w:\n%s", err, ErrFailed, strings.Join(rep.Failures, "\n"))
		}
		return rep, err
	}

	// Evaluation: every finished run, then random play and the references
	// per scenario and seed, on the runs' evaluation seeds.
	var evalJobs []EvalJob
	var evalRun []int // the run of each evaluation job; -1 for random play and references
	for i, r := range p.Runs {
		if trainErrs[i] != nil {
			continue
		}
		evalRun = append(evalRun, i)
		evalJobs = append(evalJobs, EvalJob{Scenario: r.Scenario, Algo: r.Algo, Seed: r.Seed, File: r.File, Source: r.Source,
			RunDir: trainJobs[i].Dir, Dir: p.EvalDir(r.Scenario, r.Algo, r.Seed), EvalSeed: EvalSeed(r.Seed), Workers: o.Workers})
	}
	if p.Random {
		for _, sc := range p.Scenarios {
			for k, seed := range p.Seeds {
				evalRun = append(evalRun, -1)
				evalJobs = append(evalJobs, EvalJob{Scenario: sc.Name, Algo: AlgoRandom, Seed: seed, File: sc.File, Source: sc.Baseline[k],
					Dir: p.EvalDir(sc.Name, AlgoRandom, seed), EvalSeed: EvalSeed(seed), Workers: o.Workers})
			}
		}
	}
	for _, sc := range p.Scenarios {
		for _, ref := range sc.References {
			for k, seed := range p.Seeds {
				evalRun = append(evalRun, -1)
				evalJobs = append(evalJobs, EvalJob{Scenario: sc.Name, Algo: ref, Reference: ref, Seed: seed, File: sc.File, Source: sc.Baseline[k],
					Dir: p.EvalDir(sc.Name, ref, seed), EvalSeed: EvalSeed(seed), Workers: o.Workers})
			}
		}
	}
	evaluated := make([]EvalResult, len(evalJobs))
	evalErrs, stopped := runAll(runner, o, "eval", KindEval, len(evalJobs), func(i int) (string, any, any) {
		j := evalJobs[i]
		return j.Scenario + "/" + j.Algo + "/" + seedDir(j.Seed), j, &evaluated[i]
	}, func(i int) folders { return folders{run: evalJobs[i].RunDir, dir: evalJobs[i].Dir} })
	if stopped {
		return rep, fmt.Errorf("%w: the sweep was interrupted before every evaluation started", ErrUnfinished)
	}
	var outcomes []Outcome
	for i, e := range evaluated {
		if evalErrs[i] != nil {
			rep.Failures = append(rep.Failures, evalErrs[i].Error())
			if k := evalRun[i]; k >= 0 {
				rep.Runs[k].Error = evalErrs[i].Error()
			}
			continue
		}
		outcomes = append(outcomes, e.Outcomes...)
		if k := evalRun[i]; k >= 0 {
			rep.Runs[k].EvalSeconds, rep.Runs[k].EvalReused = e.WallSeconds, e.Skipped
		}
	}
	rep.Rows = Aggregate(p, outcomes)
	if len(p.Algorithms) > 0 {
		rep.Paired = Pair(rep.Rows, p.Algorithms[0])
	}
	if len(rep.Failures) > 0 {
		return rep, fmt.Errorf("%w:\n%s", ErrFailed, strings.Join(rep.Failures, "\n"))
	}
	return rep, nil
}

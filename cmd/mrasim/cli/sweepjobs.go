package cli

import (
	"bufio"
	"bytes"
	stdcontext "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// The jobs of a sweep: training one run and evaluating one run, run by
// the sweep command itself or by mrasim worker for another process's
// sweep.

// Files a sweep adds to run folders.
const (
	sweepTrained  = "sweep-train.json" // the TrainResult of a finished run
	sweepTrainLog = "train.log"        // what training printed
	sweepEvalFile = "sweep-eval.json"  // in the eval folder: the job's identity and its EvalResult
)

func init() {
	// mrasim worker runs the sweep jobs other processes submit, each within
	// the worker's memory budget.
	sweep.SetWorkerHandlers(func(ctx stdcontext.Context) sweep.Handlers {
		b := budgetOf(ctx)
		return sweep.Handlers{
			Train: func(j sweep.TrainJob) (sweep.TrainResult, error) { return trainJob(ctx, j, b) },
			Eval:  func(j sweep.EvalJob) (sweep.EvalResult, error) { return evalJob(ctx, j, b) },
		}
	})
}

// trainJob trains one run of a sweep: nothing when the run is finished,
// from its checkpoint when one exists, from scratch otherwise. A run folder
// holding another scenario's run is refused, never overwritten. With a
// budget (a worker's), the run's memory is reserved from it before
// anything is allocated. Input that can never train (a scenario that does
// not parse, a folder of another run, a run larger than the budget) is
// refused (jobs.ErrRefused): a worker fails it once.
func trainJob(ctx stdcontext.Context, j sweep.TrainJob, budget *memoryBudget) (sweep.TrainResult, error) {
	res := sweep.TrainResult{Run: j.Run}
	s, err := scenarios.Parse(j.File, j.Source)
	if err != nil {
		return res, refused(err)
	}
	res.Budget = s.Train.Episodes
	_, statErr := os.Stat(filepath.Join(j.Dir, runCheckpoint))
	resume := statErr == nil
	if resume {
		saved, err := fsutil.ReadRegular(filepath.Join(j.Dir, runScenario), scenarios.MaxFileSize)
		if err != nil {
			return res, err
		}
		a, errA := scenarios.TrainingIdentity(saved)
		b, errB := scenarios.TrainingIdentity(j.Source)
		if err := errors.Join(errA, errB); err != nil {
			return res, refused(fmt.Errorf("%s: %w", j.Dir, err))
		}
		if !bytes.Equal(a, b) {
			return res, refused(fmt.Errorf("%s holds a run trained from another scenario (its %s differs from the grid's outside [eval]): move it away or choose another out", j.Dir, runScenario))
		}
		var done sweep.TrainResult
		if data, err := fsutil.ReadRegular(filepath.Join(j.Dir, sweepTrained), 1<<20); err == nil && json.Unmarshal(data, &done) == nil && done.Finished {
			switch {
			case done.Budget == s.Train.Episodes:
				done.Skipped, done.Resumed = true, false
				return done, nil
			case done.Budget > s.Train.Episodes:
				return res, refused(fmt.Errorf("%s has trained %d episodes per population, more than the %d asked: a sweep extends runs, never shortens them; move it away or ask for at least %d", j.Dir, done.Budget, s.Train.Episodes, done.Budget))
			}
			// A larger budget: the run is extended, as train --resume --episodes does.
		}
	}
	if ctx.Err() != nil {
		return res, nil // interrupted before it started: unfinished
	}
	partial := j.StopAt > 0 && j.StopAt < s.Train.Episodes
	if partial {
		s.Train.Episodes = j.StopAt
	}
	if budget != nil {
		est, err := estimateTrain(s, j.Dir, resume, j.Workers)
		if err != nil {
			return res, refused(err)
		}
		release, err := budget.reserve(ctx, est, "run "+j.Run)
		if err != nil {
			return res, err
		}
		defer release()
	}
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		return res, err
	}
	logPath := filepath.Join(j.Dir, sweepTrainLog)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return res, err
	}
	defer log.Close()
	lock, _, err := runlock.Acquire(j.Dir)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", j.Dir, err)
	}
	defer lock.Release()
	sub := &context{prog: "mrasim", stdout: log, stderr: log}
	// The sweep sets the budget itself (StopAt), so a resume takes it as given.
	err = sub.train(s, j.Source, j.Dir, resume, true, j.Workers, true, lock)
	if code := sub.exit("train", nil, err); code != ExitOK {
		err := fmt.Errorf("training failed (exit %d): %s", code, lastLine(logPath))
		if code == ExitUsage { // bad input: the same on every worker
			err = refused(err)
		}
		return res, err
	}
	last, err := lastMetrics(filepath.Join(j.Dir, runMetrics))
	if err != nil {
		return res, err
	}
	res.Episodes, res.WallSeconds, res.Resumed = last.Episode, last.WallSeconds, resume
	res.Finished = !partial && ctx.Err() == nil
	if res.Finished {
		if err := checkpoint.WriteAtomic(filepath.Join(j.Dir, sweepTrained), func(w io.Writer) error {
			return json.NewEncoder(w).Encode(res)
		}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// lastMetrics returns the last line of a run's metrics.jsonl (the zero
// value when it has none).
func lastMetrics(path string) (m struct {
	Episode     int     `json:"episode"`
	WallSeconds float64 `json:"wall_seconds"`
}, err error) {
	line := lastLine(path)
	if line == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// lastLine returns the last non-empty line of a text file ("" if none).
func lastLine(path string) string {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			last = t
		}
	}
	return last
}

// evalCache is what an evaluation folder keeps of its job, to reuse the
// result when the same evaluation is asked again.
type evalCache struct {
	Source    []byte           `json:"source"`
	EvalSeed  uint64           `json:"eval_seed"`
	Reference string           `json:"reference,omitempty"` // the scripted policy evaluated, if any
	Result    sweep.EvalResult `json:"result"`
}

// evalJob evaluates one run of a sweep (or random play, or one of the
// game's scripted reference policies, alone) with the league at
// the populations of the job's [eval] table, writes the league's report
// into the job's folder and returns the run's outcomes. An identical
// evaluation done before is reused.
//
// With a budget (a worker's), the evaluation's memory is reserved from it
// before anything is allocated; input that can never be evaluated is
// refused (jobs.ErrRefused), as in trainJob.
func evalJob(ctx stdcontext.Context, j sweep.EvalJob, budget *memoryBudget) (sweep.EvalResult, error) {
	start := time.Now()
	cachePath := filepath.Join(j.Dir, sweepEvalFile)
	if data, err := fsutil.ReadRegular(cachePath, 1<<30); err == nil {
		var c evalCache
		if json.Unmarshal(data, &c) == nil && bytes.Equal(c.Source, j.Source) && c.EvalSeed == j.EvalSeed && c.Reference == j.Reference {
			c.Result.Skipped, c.Result.WallSeconds = true, 0
			return c.Result, nil
		}
	}
	s, err := scenarios.Parse(j.File, j.Source)
	if err != nil {
		return sweep.EvalResult{}, refused(err)
	}
	var entry league.Entry = league.Random{}
	switch {
	case j.Reference != "" && j.RunDir != "":
		return sweep.EvalResult{}, refused(fmt.Errorf("the evaluation of %s/%s/seed-%d names both a run and the reference policy %q: a job evaluates one", j.Scenario, j.Algo, j.Seed, j.Reference))
	case j.Reference != "":
		refs, err := league.References(s.Game.Name, s.Game.Params, s.Eval.Populations[0])
		if err != nil {
			return sweep.EvalResult{}, refused(err)
		}
		if !slices.ContainsFunc(refs, func(e league.Entry) bool { return e.Name() == j.Reference }) {
			return sweep.EvalResult{}, refused(fmt.Errorf("game %s offers no scripted reference policy %q", s.Game.Name, j.Reference))
		}
		entry = league.Reference{Game: s.Game.Name, Params: s.Game.Params, Script: j.Reference}
	case j.RunDir != "":
		// The run must be at the budget this evaluation is for: a run
		// extended since (a later ladder rung) can no longer be evaluated
		// at an earlier one.
		var done sweep.TrainResult
		if data, err := fsutil.ReadRegular(filepath.Join(j.RunDir, sweepTrained), 1<<20); err == nil && json.Unmarshal(data, &done) == nil && done.Budget != s.Train.Episodes {
			return sweep.EvalResult{}, refused(fmt.Errorf("%s is trained to %d episodes per population, and this evaluation is of %d: an extended run cannot be evaluated at a smaller budget", j.RunDir, done.Budget, s.Train.Episodes))
		}
		_, run, err := loadRun(j.RunDir)
		if err != nil {
			return sweep.EvalResult{}, refused(err)
		}
		run.Label = j.Algo
		entry = run
	}
	opts := league.Options{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Eval.Populations, Episodes: s.Eval.Episodes, Seed: j.EvalSeed,
		AdaptSteps: s.Eval.AdaptSteps, AdaptEpisodes: s.Eval.AdaptEpisodes,
		NashConv: s.Eval.NashConv, BR: brBudget(s.Eval),
		Runner: jobs.Local{Workers: j.Workers},
	}
	if opts.BR.Episodes == 0 && opts.NashConv == league.ModeAuto {
		opts.NashConv = league.ModeExactWhereGiven // no best responses: exact values only, where the game gives them
	}
	if budget != nil {
		est, err := memest.Eval(memest.EvalOptions{
			Game: opts.Game, Params: opts.Params, Populations: opts.Populations, Entries: 1,
			Latents: maxLatents([]league.Entry{entry}), AdaptEpisodes: adaptEpisodes(opts), Adapt: adaptMemory([]league.Entry{entry}), BRBatch: brBatch(opts), Workers: max(j.Workers, 1),
		})
		if err != nil {
			return sweep.EvalResult{}, refused(err)
		}
		release, err := budget.reserve(ctx, est, fmt.Sprintf("the evaluation of %s/%s/seed-%d", j.Scenario, j.Algo, j.Seed))
		if err != nil {
			return sweep.EvalResult{}, err
		}
		defer release()
	}
	rep, err := league.Play([]league.Entry{entry}, opts)
	if err != nil {
		return sweep.EvalResult{}, err
	}
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		return sweep.EvalResult{}, err
	}
	title := fmt.Sprintf("mrasim league: %s, %s, seed %d", j.Scenario, j.Algo, j.Seed)
	for _, w := range []struct {
		name string
		fn   func(string) error
	}{
		{"report.md", func(p string) error { return rep.WriteMarkdown(p, title) }},
		{"results.csv", rep.WriteCSV},
		{"results.json", rep.WriteJSON},
	} {
		if err := w.fn(filepath.Join(j.Dir, w.name)); err != nil {
			return sweep.EvalResult{}, err
		}
	}
	if _, err := rep.WriteFigures(j.Dir); err != nil {
		return sweep.EvalResult{}, err
	}
	res := sweep.EvalResult{Outcomes: sweep.Outcomes(rep, entry.Name(), j.Scenario, j.Algo, j.Seed), WallSeconds: time.Since(start).Seconds()}
	err = checkpoint.WriteAtomic(cachePath, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(evalCache{Source: j.Source, EvalSeed: j.EvalSeed, Reference: j.Reference, Result: res})
	})
	return res, err
}

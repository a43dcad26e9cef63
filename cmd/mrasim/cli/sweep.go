package cli

import (
	"bufio"
	"bytes"
	stdcontext "context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// Files a sweep adds to run folders.
const (
	sweepTrained  = "sweep-train.json" // the TrainResult of a finished run
	sweepTrainLog = "train.log"        // what training printed
	sweepEvalFile = "sweep-eval.json"  // in the eval folder: the job's identity and its EvalResult
)

func runSweep(c *context, args []string) int {
	fs := c.newFlags("sweep", "FILE [flags]",
		"Runs the experiment grid FILE: trains every scenario × algorithm × seed into\n"+
			"OUT/<scenario>/<algorithm>/seed-<seed>/ (skipping finished runs, resuming interrupted\n"+
			"ones exactly), evaluates every run with the league, and writes OUT/sweep.md, sweep.csv,\n"+
			"sweep.json and plots: per algorithm and population the mean over seeds with a 95%\n"+
			"Student-t interval across seeds. Ctrl-C checkpoints the runs in training and exits 0;\n"+
			"running the same command again continues.")
	out := fs.String("out", "", "folder of the runs and the report (default: the grid's out)")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "runs trained or evaluated at once (results do not depend on it)")
	workers := fs.Int("workers", 1, "goroutines inside each run: game copies in training, league jobs in evaluation\n(results do not depend on it)")
	dry := fs.Bool("dry-run", false, "check the grid and list its runs, their state and memory; run nothing")
	maxMemory := fs.String("max-memory", "", maxMemoryUsage+"\n(per run, and for the runs trained at once; with --nats each worker checks its own)")
	quiet := fs.Bool("quiet", false, "no progress display")
	nf := addNATSFlags(fs, "run the jobs on `URL`'s workers (mrasim worker) instead of this machine's cores; run folders travel through the server; see --creds, --tls-ca")
	files, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintf(c.stderr, "mrasim sweep: want one grid file, got %d arguments\n", len(files))
		fs.Usage()
		return ExitUsage
	}
	if *jobs < 1 || *workers < 1 {
		fmt.Fprintf(c.stderr, "mrasim sweep: --jobs %d and --workers %d: want ≥ 1\n", *jobs, *workers)
		return ExitUsage
	}
	g, err := scenarios.LoadGrid(files[0])
	if err != nil {
		c.reportScenarioError(err)
		return ExitUsage
	}
	plan := planOf(g)
	if *out != "" {
		plan.Out = *out
	}
	if *nf.url != "" && flagSet(fs, "jobs") {
		fmt.Fprintf(c.stderr, "mrasim sweep: --jobs %d has no effect with --nats: the workers run the jobs (mrasim worker --concurrency sets how many each runs at once)\n", *jobs)
		return ExitUsage
	}
	// Every run's memory is estimated before anything is allocated.
	limit, limitSource, err := memoryLimit(*maxMemory)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitUsage
	}
	ests, err := planMemory(plan, *workers)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitUsage
	}
	if *nf.url != "" {
		limit, limitSource = 0, "with --nats each worker checks its own memory"
	}
	fit, refusals := fitMemory(plan, ests, limit, *jobs)
	if *dry {
		c.listRuns(plan, ests)
	}
	c.reportMemory(plan, ests, limit, limitSource, *jobs, fit, refusals)
	if len(refusals) > 0 {
		return ExitUsage
	}
	if *dry {
		return ExitOK
	}
	*jobs = fit
	// One sweep per folder: two submitters (local or --nats) would both write
	// its runs and its report.
	if err := os.MkdirAll(plan.Out, 0o755); err != nil {
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitFailure
	}
	lock, _, err := runlock.Acquire(plan.Out)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitFailure
	}
	defer lock.Release()
	ctx, stop := signal.NotifyContext(stdcontext.Background(), trainSignals...)
	defer stop()
	fmt.Fprintf(c.stderr, "sweep %s: %d runs (%d scenarios × %d algorithms × %d seeds) into %s\n",
		plan.Name, len(plan.Runs), len(plan.Scenarios), len(plan.Algorithms), len(plan.Seeds), plan.Out)
	set := sweepSettings{jobs: *jobs, workers: *workers, quiet: *quiet}
	if *nf.url != "" {
		nc, code := nf.connect(c, "sweep")
		if nc == nil {
			return code
		}
		defer nc.Close()
		set.remote = &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings(), Log: c.stderr}
	}
	rep, err := c.sweep(ctx, plan, set)
	switch {
	case errors.Is(err, sweep.ErrUnfinished):
		fmt.Fprintf(c.stderr, "mrasim sweep: interrupted: %v\nCheckpoints are written; continue with:\n  mrasim sweep %s", err, files[0])
		if *out != "" {
			fmt.Fprintf(c.stderr, " --out %s", *out)
		}
		fmt.Fprintln(c.stderr)
		return ExitOK
	case err != nil && (rep == nil || !errors.Is(err, sweep.ErrFailed)):
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitFailure
	}
	code = ExitOK
	if err != nil { // some jobs failed: report the others, then fail
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		code = ExitFailure
	}
	var trained, resumed, skipped, reused int
	for _, r := range rep.Runs {
		switch {
		case r.Skipped:
			skipped++
		case r.Resumed:
			resumed++
		default:
			trained++
		}
		if r.EvalReused {
			reused++
		}
	}
	fmt.Fprintf(c.stderr, "runs: %d trained, %d resumed, %d finished before; %d evaluations reused\n", trained, resumed, skipped, reused)
	written, err := writeSweepReport(rep, plan.Out)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim sweep: %v\n", err)
		return ExitFailure
	}
	md, _ := fsutil.ReadRegular(filepath.Join(plan.Out, "sweep.md"), 1<<30)
	c.stdout.Write(md)
	fmt.Fprintf(c.stdout, "wrote %s\n", strings.Join(written, ", "))
	return code
}

// planOf turns a validated grid into the sweep's plan.
func planOf(g *scenarios.Grid) *sweep.Plan {
	labels := func(pops []env.Population) []string {
		out := make([]string, len(pops))
		for i, p := range pops {
			out[i] = p.String()
		}
		return out
	}
	p := &sweep.Plan{Name: g.Name, Out: g.Out, Seeds: g.Seeds, Algorithms: g.Algorithms, Random: g.Random}
	for _, sc := range g.Scenarios {
		p.Scenarios = append(p.Scenarios, sweep.Scenario{Name: sc.Name, Game: sc.Game, File: sc.File, Seen: labels(sc.Seen), Unseen: labels(sc.Unseen), Baseline: sc.Baseline})
	}
	for _, r := range g.Runs {
		p.Runs = append(p.Runs, sweep.Run{
			Scenario: r.Scenario, Algo: r.Algo, AlgoName: r.Spec.Algo.Algorithm(), Seed: r.Seed, Source: r.Source,
			File:     fmt.Sprintf("%s (%s/%s/seed-%d)", g.File, r.Scenario, r.Algo, r.Seed),
			Episodes: r.Spec.Train.Episodes, Populations: labels(r.Spec.Train.Populations),
		})
	}
	return p
}

// flagSet reports whether the command line set flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// sweepSettings are the command's knobs of one sweep.
type sweepSettings struct {
	jobs, workers int
	stopAt        int // train at most this many episodes per population (tests)
	quiet         bool
	// remote, when set, runs the jobs on its workers (sweep --nats); the
	// run folders travel through its blobs.
	remote *natsrun.Runner
}

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

// sweep executes a plan with this command's handlers on the local runner,
// or on set.remote's workers.
func (c *context) sweep(ctx stdcontext.Context, plan *sweep.Plan, set sweepSettings) (*sweep.Report, error) {
	var bar *progress.Reporter
	phase := ""
	opts := sweep.Options{
		Runner: jobs.Local{Workers: set.jobs},
		Handlers: sweep.Handlers{
			// The plan's memory was checked before the sweep started.
			Train: func(j sweep.TrainJob) (sweep.TrainResult, error) { return trainJob(ctx, j, nil) },
			Eval:  func(j sweep.EvalJob) (sweep.EvalResult, error) { return evalJob(ctx, j, nil) },
		},
		Workers: set.workers,
		StopAt:  set.stopAt,
		Stopped: func() bool { return ctx.Err() != nil },
		Context: ctx,
		Progress: func(p string, done, n int) {
			if p != phase {
				if bar != nil {
					bar.Finish()
				}
				phase = p
				bar = progress.New(progressOut(c.stderr, set.quiet), int64(n), p+" jobs")
			}
			var fields []progress.Field
			if set.remote != nil {
				fields = []progress.Field{{Name: "workers", Value: fmt.Sprint(set.remote.Workers())}}
			}
			bar.Set(int64(done), fields)
		},
	}
	if set.remote != nil {
		opts.Runner, opts.Ship = set.remote, true
	}
	rep, err := sweep.Execute(plan, opts)
	if bar != nil {
		bar.Finish()
	}
	return rep, err
}

// writeSweepReport writes sweep.md, sweep.csv, sweep-paired.csv, sweep.json and the plots
// into dir and returns the files written.
func writeSweepReport(rep *sweep.Report, dir string) ([]string, error) {
	var written []string
	for _, w := range []struct {
		name string
		fn   func(string) error
	}{{"sweep.md", rep.WriteMarkdown}, {"sweep.csv", rep.WriteCSV}, {"sweep-paired.csv", rep.WritePairedCSV}, {"sweep.json", rep.WriteJSON}} {
		path := filepath.Join(dir, w.name)
		if err := w.fn(path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	figs, err := rep.WriteFigures(dir)
	return append(written, figs...), err
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
			done.Skipped, done.Resumed = true, false
			return done, nil
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
	sub := &context{stdout: log, stderr: log}
	// The sweep sets the budget itself (StopAt), so a resume takes it as given.
	if code := sub.train(s, j.Source, j.Dir, resume, true, j.Workers, true, lock); code != ExitOK {
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
	Source   []byte           `json:"source"`
	EvalSeed uint64           `json:"eval_seed"`
	Result   sweep.EvalResult `json:"result"`
}

// evalJob evaluates one run of a sweep (or random play) with the league at
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
		if json.Unmarshal(data, &c) == nil && bytes.Equal(c.Source, j.Source) && c.EvalSeed == j.EvalSeed {
			c.Result.Skipped, c.Result.WallSeconds = true, 0
			return c.Result, nil
		}
	}
	s, err := scenarios.Parse(j.File, j.Source)
	if err != nil {
		return sweep.EvalResult{}, refused(err)
	}
	var entry league.Entry = league.Random{}
	if j.RunDir != "" {
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
			Latents: maxLatents([]league.Entry{entry}), AdaptEpisodes: adaptEpisodes(opts), BRBatch: brBatch(opts), Workers: max(j.Workers, 1),
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
		return json.NewEncoder(w).Encode(evalCache{Source: j.Source, EvalSeed: j.EvalSeed, Result: res})
	})
	return res, err
}

// planMemory estimates the training memory of every run of plan, in
// order, as train would (a run with a checkpoint in the precision it
// records), with workers goroutines each.
func planMemory(plan *sweep.Plan, workers int) ([]memest.Estimate, error) {
	ests := make([]memest.Estimate, len(plan.Runs))
	for i, r := range plan.Runs {
		s, err := scenarios.Parse(r.File, r.Source)
		if err != nil {
			return nil, err
		}
		dir := plan.RunDir(r.Scenario, r.Algo, r.Seed)
		if ests[i], err = estimateTrain(s, dir, exists(filepath.Join(dir, runCheckpoint)), workers); err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name(), err)
		}
	}
	return ests, nil
}

// fitMemory returns how many runs may train at once, at most jobs, so
// that the largest runs side by side stay within limit (0: no limit), and
// a refusal for every run that does not fit even alone.
func fitMemory(plan *sweep.Plan, ests []memest.Estimate, limit int64, jobs int) (fit int, refusals []string) {
	if limit <= 0 {
		return jobs, nil
	}
	totals := make([]int64, len(ests))
	for i, e := range ests {
		totals[i] = e.Total
		if err := memest.Check(e, limit, "run "+plan.Runs[i].Name()); err != nil {
			refusals = append(refusals, err.Error())
		}
	}
	sort.Slice(totals, func(i, k int) bool { return totals[i] > totals[k] })
	fit = max(1, min(jobs, len(totals)))
	for ; fit > 1; fit-- {
		var sum int64
		for _, t := range totals[:fit] {
			sum += t
		}
		if sum <= limit {
			break
		}
	}
	return fit, refusals
}

// reportMemory prints the largest run's estimate, the runs that do not
// fit and, when fewer runs than --jobs fit side by side, how many run at
// once.
func (c *context) reportMemory(plan *sweep.Plan, ests []memest.Estimate, limit int64, source string, jobs, fit int, refusals []string) {
	if len(ests) == 0 {
		return
	}
	big := 0
	for i, e := range ests {
		if e.Total > ests[big].Total {
			big = i
		}
	}
	lim := source
	if limit > 0 {
		lim = fmt.Sprintf("limit %s, %s", memest.Format(limit), source)
	}
	fmt.Fprintf(c.stderr, "memory: the largest run, %s, needs about %s (%s)\n", plan.Runs[big].Name(), memest.Format(ests[big].Total), lim)
	const shown = 5
	for i, r := range refusals {
		if i == shown {
			fmt.Fprintf(c.stderr, "mrasim sweep: and %d more runs need more memory than allowed\n", len(refusals)-shown)
			break
		}
		fmt.Fprintf(c.stderr, "mrasim sweep: %s\n", r)
	}
	if len(refusals) == 0 && fit < jobs && fit < len(ests) {
		fmt.Fprintf(c.stderr, "memory: training %d runs at once instead of %d to stay within %s (results do not depend on it)\n", fit, jobs, memest.Format(limit))
	}
}

// listRuns prints every run of a plan, its state on disk and its memory.
func (c *context) listRuns(plan *sweep.Plan, ests []memest.Estimate) {
	fmt.Fprintf(c.stdout, "sweep %s: %d runs into %s\n", plan.Name, len(plan.Runs), plan.Out)
	for i, r := range plan.Runs {
		dir := plan.RunDir(r.Scenario, r.Algo, r.Seed)
		state := "to train"
		switch {
		case exists(filepath.Join(plan.EvalDir(r.Scenario, r.Algo, r.Seed), sweepEvalFile)):
			state = "trained and evaluated"
		case exists(filepath.Join(dir, sweepTrained)):
			state = "trained"
		case exists(filepath.Join(dir, runCheckpoint)):
			state = "interrupted: will resume"
		}
		fmt.Fprintf(c.stdout, "  %-40s %-8s %d episodes per population at %s: %s, about %s\n", r.Name(), r.AlgoName, r.Episodes, strings.Join(r.Populations, " "), state, memest.Format(ests[i].Total))
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// estimateTrain estimates the memory of training s into dir as train
// does (resume: from its checkpoint, in the precision the run records).
func estimateTrain(s *scenarios.Scenario, dir string, resume bool, workers int) (memest.Estimate, error) {
	if err := resolveSettings(s, dir, resume); err != nil {
		return memest.Estimate{}, err
	}
	cfg, setup := trainConfig(s)
	setup.Workers = max(workers, 1)
	return memest.Train(cfg, setup)
}

package cli

import (
	stdcontext "context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// sweepCommand trains and evaluates an experiment grid.
var sweepCommand = &command{
	name:     "sweep",
	synopsis: "FILE [flags]",
	short:    "train and evaluate a grid of scenarios × algorithms × seeds; mean ± 95% interval across seeds",
	long: "Runs the experiment grid FILE: trains every scenario × algorithm × seed into\n" +
		"OUT/<scenario>/<algorithm>/seed-<seed>/ (skipping finished runs, resuming interrupted\n" +
		"ones exactly), evaluates every run with the league beside random play and the game's\n" +
		"scripted reference policies (eval.random, eval.references), and writes OUT/sweep.md, sweep.csv,\n" +
		"sweep.json and plots: per algorithm and population the mean over seeds with a 95%\n" +
		"Student-t interval across seeds. Ctrl-C checkpoints the runs in training and exits 0;\n" +
		"running the same command again continues. A larger train.episodes extends finished runs.\n" +
		"With a grid's ladder = [E1, E2, …], every run is trained to each rung in turn (extended\n" +
		"exactly), evaluated into RUN/rungs/<E>/, and recorded in the grid's ladder_record folder.",
	flags: declareSweepFlags,
}

// sweepFlags are sweep's flags.
type sweepFlags struct {
	fs             *flag.FlagSet
	out, maxMemory string
	jobs, workers  int
	sets           multiFlag
	dry, quiet     bool
	nats           natsFlags
}

func declareSweepFlags(fs *flag.FlagSet) runFunc {
	f := &sweepFlags{fs: fs}
	fs.StringVar(&f.out, "out", "", "folder of the runs and the report (default: the grid's out)")
	fs.IntVar(&f.jobs, "jobs", runtime.GOMAXPROCS(0), "runs trained or evaluated at once (results do not depend on it)")
	fs.IntVar(&f.workers, "workers", 1, "goroutines inside each run: game copies in training, league jobs in evaluation\n(results do not depend on it)")
	fs.BoolVar(&f.dry, "dry-run", false, "check the grid and list its runs, their state and memory; run nothing")
	fs.StringVar(&f.maxMemory, "max-memory", "", maxMemoryUsage+"\n(per run, and for the runs trained at once; with --nats each worker checks its own)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.Var(&f.sets, "set", sweepSetUsage)
	f.nats = addNATSFlags(fs, "run the jobs on `URL`'s workers (mrasim worker) instead of this machine's cores; run folders travel through the server; see --creds, --tls-ca")
	return f.run
}

// sweepSetUsage is the help of sweep's --set flag.
const sweepSetUsage = "override scenario key `KEY=VALUE` in every scenario of the grid (repeatable), checked as in the files:\n" +
	"train.episodes=48, algo.num_updates=40, eval.episodes=50; the grid's algorithm tables and [eval] still override\n" +
	"the scenarios (a key the grid sets for every run is refused); a changed training key trains new runs: give a new --out"

// run checks the grid and every run's memory, then trains and evaluates
// the runs and writes the report.
func (f *sweepFlags) run(c *context, files []string) error {
	if len(files) != 1 {
		return badUsage("want one grid file, got %d arguments", len(files))
	}
	if f.jobs < 1 || f.workers < 1 {
		return badInputf("--jobs %d and --workers %d: want ≥ 1", f.jobs, f.workers)
	}
	g, err := scenarios.LoadGridSet(files[0], f.sets)
	if err != nil {
		return badInput(err)
	}
	plan, err := planOf(g)
	if err != nil {
		return badInput(err)
	}
	if f.out != "" {
		plan.Out = f.out
	}
	var ladder []*sweep.Plan
	if len(g.Ladder) > 0 {
		if ladder, err = rungPlans(g, f.out); err != nil {
			return badInput(err)
		}
		plan = ladder[len(ladder)-1] // the largest budgets, for the memory check and the listing
	}
	remote := *f.nats.url != ""
	if remote && flagSet(f.fs, "jobs") {
		return badInputf("--jobs %d has no effect with --nats: the workers run the jobs (%s worker --concurrency sets how many each runs at once)", f.jobs, c.prog)
	}
	jobs, err := c.checkSweepMemory(plan, f.maxMemory, f.jobs, f.workers, remote, f.dry)
	if err == nil && f.dry && ladder != nil {
		c.listLadder(g, ladder)
	}
	if err != nil || f.dry {
		return err
	}
	// One sweep per folder: two submitters (local or --nats) would both write
	// its runs and its report.
	if err := os.MkdirAll(plan.Out, 0o755); err != nil {
		return failed(err)
	}
	lock, _, err := runlock.Acquire(plan.Out)
	if err != nil {
		return failed(err)
	}
	defer lock.Release()
	ctx, stop := signal.NotifyContext(stdcontext.Background(), trainSignals...)
	defer stop()
	fmt.Fprintf(c.stderr, "sweep %s: %d runs (%d scenarios × %d algorithms × %d seeds) into %s\n",
		plan.Name, len(plan.Runs), len(plan.Scenarios), len(plan.Algorithms), len(plan.Seeds), plan.Out)
	set := sweepSettings{jobs: jobs, workers: f.workers, quiet: f.quiet}
	if remote {
		nc, err := f.nats.connect("mrasim sweep")
		if err != nil {
			return err
		}
		defer nc.Close()
		set.remote = &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings(), Log: c.stderr}
	}
	again := continueCommand(c.prog, files[0], f.out, f.sets)
	if ladder != nil {
		return c.runLadder(ctx, g, ladder, set, again)
	}
	rep, err := c.sweep(ctx, plan, set)
	switch {
	case errors.Is(err, sweep.ErrUnfinished):
		return &exitError{code: ExitOK, err: fmt.Errorf("interrupted: %w\nCheckpoints are written; continue with:\n  %s", err, again)}
	case err != nil && (rep == nil || !errors.Is(err, sweep.ErrFailed)):
		return failed(err)
	}
	// With some jobs failed, the others are reported before the failure.
	c.reportSweep(rep)
	written, werr := writeSweepReport(rep, plan.Out)
	if werr != nil {
		if err != nil {
			return failed(errorLines{err, werr})
		}
		return failed(werr)
	}
	md, _ := fsutil.ReadRegular(filepath.Join(plan.Out, "sweep.md"), 1<<30)
	c.stdout.Write(md)
	fmt.Fprintf(c.stdout, "wrote %s\n", strings.Join(written, ", "))
	if err != nil {
		return failed(err)
	}
	return nil
}

// checkSweepMemory estimates every run's memory and returns how many runs
// may train at once (at most jobs), or an error refusing the runs that do
// not fit. With dry it also lists the runs.
func (c *context) checkSweepMemory(plan *sweep.Plan, maxMemory string, jobs, workers int, remote, dry bool) (int, error) {
	limit, limitSource, err := memoryLimit(maxMemory)
	if err != nil {
		return 0, badInput(err)
	}
	ests, err := planMemory(plan, workers)
	if err != nil {
		return 0, badInput(err)
	}
	if remote {
		limit, limitSource = 0, "with --nats each worker checks its own memory"
	}
	fit, refusals := fitMemory(plan, ests, limit, jobs)
	if dry {
		c.listRuns(plan, ests)
	}
	c.reportMemory(plan, ests, limit, limitSource, jobs, fit, len(refusals) > 0)
	if len(refusals) > 0 {
		const shown = 5
		var lines errorLines
		for i, r := range refusals {
			if i == shown {
				lines = append(lines, fmt.Errorf("and %d more runs need more memory than allowed", len(refusals)-shown))
				break
			}
			lines = append(lines, errors.New(r))
		}
		return 0, badInput(lines)
	}
	return fit, nil
}

// reportSweep prints how many runs were trained, resumed or finished
// before, and how many evaluations were reused.
func (c *context) reportSweep(rep *sweep.Report) {
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
}

// planOf turns a validated grid into the sweep's plan. With the grid's
// eval.references, every scenario evaluates its game's scripted reference
// policies beside random play; an algorithm label that names one of them
// is refused (their rows and folders would be one).
func planOf(g *scenarios.Grid) (*sweep.Plan, error) {
	labels := func(pops []env.Population) []string {
		out := make([]string, len(pops))
		for i, p := range pops {
			out[i] = p.String()
		}
		return out
	}
	p := &sweep.Plan{Name: g.Name, Out: g.Out, Seeds: g.Seeds, Algorithms: g.Algorithms, Random: g.Random}
	for _, sc := range g.Scenarios {
		ps := sweep.Scenario{Name: sc.Name, Game: sc.Game, File: sc.File, Seen: labels(sc.Seen), Unseen: labels(sc.Unseen), Baseline: sc.Baseline}
		if g.References && len(sc.Baseline) > 0 {
			refs, err := referenceNames(sc)
			if err != nil {
				return nil, err
			}
			for _, name := range refs {
				if slices.Contains(g.Algorithms, name) {
					return nil, fmt.Errorf("%s: algorithms.%s: the label is the name of %s's scripted reference policy, which eval.references adds: rename the algorithm or set eval.references = false", g.File, name, sc.Game)
				}
				if !slices.Contains(p.References, name) {
					p.References = append(p.References, name)
				}
			}
			ps.References = refs
		}
		p.Scenarios = append(p.Scenarios, ps)
	}
	for _, r := range g.Runs {
		p.Runs = append(p.Runs, sweep.Run{
			Scenario: r.Scenario, Algo: r.Algo, AlgoName: r.Spec.Algo.Algorithm(), Seed: r.Seed, Source: r.Source,
			File:     fmt.Sprintf("%s (%s/%s/seed-%d)", g.File, r.Scenario, r.Algo, r.Seed),
			Episodes: r.Spec.Train.Episodes, Populations: labels(r.Spec.Train.Populations),
		})
	}
	return p, nil
}

// referenceNames lists the scripted reference policies of a grid
// scenario's game with the parameters of its evaluation document, as eval
// plays them (league.References).
func referenceNames(sc scenarios.GridScenario) ([]string, error) {
	s, err := scenarios.Parse(sc.File, sc.Baseline[0])
	if err != nil {
		return nil, err
	}
	if len(s.Eval.Populations) == 0 {
		return nil, nil
	}
	refs, err := league.References(s.Game.Name, s.Game.Params, s.Eval.Populations[0])
	if err != nil {
		return nil, fmt.Errorf("scenario %s: reference policies: %w", sc.Name, err)
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name()
	}
	return names, nil
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

// writeSweepReport writes sweep.md, sweep.csv, sweep-paired.csv,
// sweep.json, curves.csv and the plots (the training curves from the
// runs' metrics.jsonl) into dir and returns the files written.
func writeSweepReport(rep *sweep.Report, dir string) ([]string, error) {
	rep.SetCurves(readCurveLogs)
	var written []string
	for _, w := range []struct {
		name string
		fn   func(string) error
	}{{"sweep.md", rep.WriteMarkdown}, {"sweep.csv", rep.WriteCSV}, {"sweep-paired.csv", rep.WritePairedCSV}, {"sweep.json", rep.WriteJSON}, {"curves.csv", rep.WriteCurvesCSV}} {
		path := filepath.Join(dir, w.name)
		if err := w.fn(path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	figs, err := rep.WriteFigures(dir)
	written = append(written, figs...)
	if err != nil {
		return written, err
	}
	figs, err = rep.WriteCurveFigures(dir)
	return append(written, figs...), err
}

// readCurveLogs reads a run's training curves from its metrics.jsonl:
// the mean reward per agent and step of every log line, by training
// population. Lines that do not decode (a line torn by a crash) are
// skipped, as resuming the run would drop them.
func readCurveLogs(run sweep.RunSummary) (map[string]sweep.CurveLog, error) {
	path := filepath.Join(run.Dir, runMetrics)
	data, err := fsutil.ReadRegular(path, 1<<30)
	if err != nil {
		return nil, err
	}
	out := map[string]sweep.CurveLog{}
	for line := range strings.SplitSeq(string(data), "\n") {
		var m struct {
			Episode        int                `json:"episode"`
			MeanStepReward map[string]float64 `json:"mean_step_reward"`
		}
		if strings.TrimSpace(line) == "" || json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		for pop, v := range m.MeanStepReward {
			c := out[pop]
			c.Episodes, c.Values = append(c.Episodes, m.Episode), append(c.Values, v)
			out[pop] = c
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no line with a mean_step_reward", path)
	}
	return out, nil
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

// reportMemory prints the largest run's estimate and, when fewer runs
// than --jobs fit side by side (and none is refused), how many run at
// once.
func (c *context) reportMemory(plan *sweep.Plan, ests []memest.Estimate, limit int64, source string, jobs, fit int, refused bool) {
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
	if !refused && fit < jobs && fit < len(ests) {
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
		mem := "about " + memest.Format(ests[i].Total)
		if ests[i].None != "" {
			mem = ests[i].None
		}
		fmt.Fprintf(c.stdout, "  %-40s %-8s %s per population at %s: %s, %s\n", r.Name(), r.AlgoName, plural(r.Episodes, "episode"), strings.Join(r.Populations, " "), state, mem)
	}
	c.listBaselines(plan)
}

// listBaselines prints, per scenario, the policies the sweep evaluates
// beside the runs without training them (random play, the game's scripted
// references) and how many evaluations of them are left to do.
func (c *context) listBaselines(plan *sweep.Plan) {
	for _, sc := range plan.Scenarios {
		names := slices.Clone(sc.References)
		if plan.Random {
			names = append([]string{sweep.AlgoRandom}, names...)
		}
		if len(names) == 0 {
			continue
		}
		todo := 0
		for _, name := range names {
			for _, seed := range plan.Seeds {
				if !exists(filepath.Join(plan.EvalDir(sc.Name, name, seed), sweepEvalFile)) {
					todo++
				}
			}
		}
		fmt.Fprintf(c.stdout, "  %s: also evaluated untrained, per seed at %s: %s (%d of %d evaluations to do)\n",
			sc.Name, strings.Join(append(slices.Clone(sc.Seen), sc.Unseen...), " "), strings.Join(names, ", "), todo, len(names)*len(plan.Seeds))
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

// continueCommand is the command that continues an interrupted sweep of
// grid file: the same --out and the same --set overrides, so that the
// runs it resumes have the documents they started with.
func continueCommand(prog, file, out string, sets []string) string {
	cmd := prog + " sweep " + shellQuote(file)
	if out != "" {
		cmd += " --out " + shellQuote(out)
	}
	for _, s := range sets {
		cmd += " --set " + shellQuote(s)
	}
	return cmd
}

// shellQuote returns s as one word of a POSIX shell: as it is when it
// holds only characters no shell treats specially, otherwise in single
// quotes (so that a printed command such as `--set eval.populations=[3, 6]`
// can be pasted back).
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,/=:+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package cli

import (
	"errors"
	"flag"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/br"
	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/natsrun"
	"github.com/mrasim/mrasim/scenarios"
)

func runEval(c *context, args []string) int {
	fs := c.newFlags("eval", "[flags]",
		"Plays trained runs, a random player and the game's reference policies at every evaluation\n"+
			"population (seen and unseen sizes), adapts MRA to unseen sizes, computes NashConv per\n"+
			"population (exact where the game gives exact payoffs; otherwise a lower bound from the\n"+
			"deviations found by trained and search best responses) and writes report.md,\n"+
			"results.csv, results.json and figures.")
	var runs, pops multiFlag
	fs.Var(&runs, "run", "a run folder to evaluate (repeat to build a league; default: the newest run under runs/)")
	scenarioFile := fs.String("scenario", "", "scenario whose [eval] table to use (default: the first run's copy)")
	fs.Var(&pops, "populations", "evaluation populations separated by spaces, e.g. \"3 6 12\" or \"adversaries=3,good=1 adversaries=6,good=2\"\n(default: the scenario's eval.populations)")
	adaptSteps := fs.Int("adapt-steps", -1, "first-order adaptation steps at unseen populations (default: eval.adapt_steps; 0 turns adaptation off)")
	episodes := fs.Int("episodes", 0, "evaluation episodes per population and line-up (default: eval.episodes)")
	brEpisodes := fs.Int("br-episodes", -1, "training episodes of each best response, before episodes_per_agent·N (default: eval.br.episodes; 0 skips estimates)")
	nashConv := fs.String("nashconv", "", "how to compute NashConv: auto (exact where the game gives it, best responses otherwise), exact, br (best responses\neverywhere, beside exact values to compare) or off (default: eval.nashconv, auto)")
	jsonOut := fs.String("json", "", "also write results.json to `FILE`")
	out := fs.String("out", "", "folder for the report (default: the first run's folder, eval-YYYYMMDD-HHMMSS)")
	seed := fs.Uint64("seed", 0, "root seed of the evaluation (default: the scenario's seed)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "jobs at once, ≥ 1 (results do not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress display")
	noRefs := fs.Bool("no-references", false, "do not play the game's scripted reference policies (stand still, nearest landmark, closed-form equilibrium, …) as entries")
	renders := fs.Bool("render", false, "also draw one episode per population and entry as render-ENTRY-POPULATION.gif, linked from report.md (particle games)")
	maxMemory := fs.String("max-memory", "", maxMemoryUsage)
	nf := addNATSFlags(fs, "run the jobs on `URL`'s workers (mrasim worker) instead of this machine's cores; see --creds, --tls-ca")
	rest, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "mrasim eval: unexpected argument %q (name runs with --run)\n", rest[0])
		return ExitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if code, ok := c.checkEvalFlags(runs, pops, set, *workers, *episodes); !ok {
		return code
	}
	limit, limitSource, err := memoryLimit(*maxMemory)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
		return ExitUsage
	}
	if len(runs) == 0 {
		dir, err := newestRunAnywhere(scenarios.DefaultOut)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
			return ExitUsage
		}
		runs = append(runs, dir)
	}
	var entries []league.Entry
	var first *scenarios.Scenario
	for _, dir := range runs {
		s, run, err := loadRun(dir)
		if err != nil {
			if list := (scenarios.ErrorList{}); errors.As(err, &list) {
				c.reportScenarioError(err)
			} else {
				fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
			}
			return ExitUsage
		}
		if first == nil {
			first = s
		} else if s.Game.Name != first.Game.Name {
			fmt.Fprintf(c.stderr, "mrasim eval: run %s plays %q, run %s plays %q: a league needs one game\n", dir, s.Game.Name, runs[0], first.Game.Name)
			return ExitUsage
		}
		entries = append(entries, run)
	}
	entries = append(entries, league.Random{})
	s := first
	if *scenarioFile != "" {
		var err error
		if s, err = scenarios.Load(*scenarioFile); err != nil {
			c.reportScenarioError(err)
			return ExitUsage
		}
		if s.Game.Name != first.Game.Name {
			fmt.Fprintf(c.stderr, "mrasim eval: --scenario plays %q, the runs %q\n", s.Game.Name, first.Game.Name)
			return ExitUsage
		}
	}
	if *renders {
		if err := checkRenders(s); err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: --render: %v\n", err)
			return ExitUsage
		}
	}
	opts := league.Options{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Eval.Populations, Episodes: s.Eval.Episodes, Seed: s.Seed,
		AdaptSteps: s.Eval.AdaptSteps, AdaptEpisodes: s.Eval.AdaptEpisodes,
		NashConv: s.Eval.NashConv, BR: brBudget(s.Eval),
		Runner: jobs.Local{Workers: *workers},
	}
	if len(pops) > 0 {
		reg, _ := env.Lookup(s.Game.Name)
		opts.Populations = nil
		listed := map[string]string{}
		for _, text := range strings.Fields(strings.Join(pops, " ")) {
			p, err := env.ParsePopulation(text)
			if err == nil {
				p, err = reg.Population(p)
			}
			if err == nil {
				_, err = reg.Make(s.Game.Params, p)
			}
			if err != nil {
				fmt.Fprintf(c.stderr, "mrasim eval: --populations %s: %v\n", text, err)
				return ExitUsage
			}
			if first, ok := listed[p.String()]; ok {
				fmt.Fprintf(c.stderr, "mrasim eval: --populations: %s and %s are the same population %v; list each once\n", first, text, p)
				return ExitUsage
			}
			listed[p.String()] = text
			opts.Populations = append(opts.Populations, p)
		}
	}
	if set["adapt-steps"] {
		if *adaptSteps < 0 {
			fmt.Fprintln(c.stderr, "mrasim eval: --adapt-steps must be ≥ 0")
			return ExitUsage
		}
		opts.AdaptSteps = *adaptSteps
	}
	if set["episodes"] {
		opts.Episodes = *episodes
	}
	if set["br-episodes"] {
		if *brEpisodes < 0 {
			fmt.Fprintln(c.stderr, "mrasim eval: --br-episodes must be ≥ 0")
			return ExitUsage
		}
		opts.BR.Episodes = *brEpisodes
	}
	if set["nashconv"] {
		if !slices.Contains(league.NashConvModes, *nashConv) {
			fmt.Fprintf(c.stderr, "mrasim eval: --nashconv %q: want one of %s\n", *nashConv, strings.Join(league.NashConvModes, ", "))
			return ExitUsage
		}
		opts.NashConv = *nashConv
	}
	if opts.BR.Episodes == 0 {
		// No best responses: exact values only, where the game gives them.
		if opts.NashConv == league.ModeBR {
			fmt.Fprintln(c.stderr, "mrasim eval: --nashconv br needs best-response episodes > 0")
			return ExitUsage
		}
		if opts.NashConv == league.ModeAuto {
			opts.NashConv = league.ModeExactWhereGiven
		}
	}
	if set["seed"] {
		opts.Seed = *seed
	}
	if !*noRefs {
		// The game's hand-written policies, references beside the runs.
		refs, err := league.References(opts.Game, opts.Params, opts.Populations[0])
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: reference policies: %v\n", err)
			return ExitUsage
		}
		entries = append(entries, refs...)
	}
	mo := memest.EvalOptions{
		Game: opts.Game, Params: opts.Params, Populations: opts.Populations, Entries: len(entries),
		Latents: maxLatents(entries), AdaptEpisodes: adaptEpisodes(opts), BRBatch: brBatch(opts), Workers: *workers,
	}
	// Run fewer jobs at once rather than more than the memory holds.
	if fit, err := memest.FitWorkers(mo, limit); err == nil && fit >= 1 && fit < *workers {
		fmt.Fprintf(c.stderr, "memory: running %d jobs at once instead of %d to stay within %s (results do not depend on it)\n", fit, *workers, memest.Format(limit))
		mo.Workers = fit
		opts.Runner = jobs.Local{Workers: fit}
	}
	est, err := memest.Eval(mo)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
		return ExitUsage
	}
	if err := checkMemory(c.stderr, est, limit, limitSource, "this evaluation"); err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
		return ExitUsage
	}
	// Outputs are checked before the work, not after it.
	dir, created, err := evalOutputDir(*out, runs[0])
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
		return ExitFailure
	}
	// An evaluation that does not finish leaves no empty report folder.
	defer func() {
		if created {
			os.Remove(dir) // only removes it while empty
		}
	}()
	if *jsonOut != "" {
		if err := checkWritable(*jsonOut); err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: --json: %v\n", err)
			return ExitFailure
		}
	}

	var remote *natsrun.Runner
	if *nf.url != "" {
		nc, code := nf.connect(c, "eval")
		if nc == nil {
			return code
		}
		defer nc.Close()
		remote = &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings(), Log: c.stderr}
		opts.Runner = remote
	}

	var bar *progress.Reporter
	// Jobs differ in size (a best response costs hundreds of evaluations):
	// on this machine the ETA follows the estimated work done, not the
	// count of jobs.
	var work atomic.Uint64 // math.Float64bits of the fraction done
	opts.ProgressWork = func(done float64) { work.Store(math.Float64bits(done)) }
	opts.Progress = func(done, n int) {
		if bar == nil {
			var po []progress.Option
			if remote == nil {
				po = append(po, progress.WithWorkETA())
			}
			bar = progress.New(progressOut(c.stderr, *quiet), int64(n), "jobs", po...)
		}
		if remote == nil {
			bar.SetWork(math.Float64frombits(work.Load()))
		}
		var fields []progress.Field
		if remote != nil {
			fields = []progress.Field{{Name: "workers", Value: fmt.Sprint(remote.Workers())}}
		}
		bar.Set(int64(done), fields)
	}
	fmt.Fprintf(c.stderr, "evaluating %d entries of %s at %d populations; report in %s\n", len(entries), s.Game.Name, len(opts.Populations), dir)
	rep, interrupted, err := playInterruptibly(entries, opts)
	if bar != nil {
		bar.Finish()
	}
	if interrupted {
		fmt.Fprintln(c.stderr, "\nmrasim eval: interrupted; stopped without writing a report")
		return ExitFailure
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(c.stdout, "%s\n\n", rep.BudgetText())
	for _, label := range rep.Labels() {
		rep.Table(c.stdout, label)
		fmt.Fprintln(c.stdout)
	}
	write := []struct {
		name string
		fn   func(string) error
	}{
		{"report.md", func(p string) error { return rep.WriteMarkdown(p, "mrasim league: "+s.Name) }},
		{"results.csv", rep.WriteCSV},
		{"results.json", rep.WriteJSON},
	}
	for _, w := range write {
		if err := w.fn(filepath.Join(dir, w.name)); err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
			return ExitFailure
		}
	}
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: %v\n", err)
			return ExitFailure
		}
	}
	figs, err := rep.WriteFigures(dir)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim eval: figures: %v\n", err)
		return ExitFailure
	}
	if *renders {
		files, err := writeRenders(dir, entries, opts)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim eval: --render: %v\n", err)
			return ExitFailure
		}
		figs = append(figs, files...)
	}
	fmt.Fprintf(c.stdout, "wrote %s, results.csv, results.json", filepath.Join(dir, "report.md"))
	for _, f := range figs {
		fmt.Fprintf(c.stdout, ", %s", filepath.Base(f))
	}
	fmt.Fprintln(c.stdout)
	return ExitOK
}

// brBudget maps the scenario's [eval.br] table to the league's settings.
func brBudget(e scenarios.Eval) league.BRBudget {
	b := e.BR
	return league.BRBudget{
		Config: br.Config{
			Episodes: e.BREpisodes, SelectEpisodes: b.SelectEpisodes, TestEpisodes: b.TestEpisodes,
			Batch: b.Batch, Epochs: b.Epochs, Minibatches: b.Minibatches, Hidden: b.Hidden, LR: b.LR, Optimizer: b.Optimizer,
			Clip: b.Clip, Gamma: b.Gamma, Lambda: b.Lambda, Entropy: b.Entropy, GradClip: b.GradClip, ValueWarmup: b.ValueWarmup,
			Search: b.Search, SearchRollouts: b.SearchRollouts, SearchHorizon: b.SearchHorizon, SearchDepth: b.SearchDepth, SearchBase: b.SearchBase,
			SearchMaxAgents: b.SearchMaxAgents, SearchHold: b.SearchHold,
		},
		EpisodesPerAgent: b.EpisodesPerAgent,
		FromScratch:      b.FromScratch,
	}
}

// brBatch is the number of episodes one best-response batch holds, or 0
// when the evaluation trains no best responses (for the memory estimate).
func brBatch(opts league.Options) int {
	if opts.BR.Episodes == 0 || opts.NashConv == league.ModeOff || opts.NashConv == league.ModeExact || opts.NashConv == league.ModeExactWhereGiven {
		return 0
	}
	if opts.BR.Batch > 0 {
		return opts.BR.Batch
	}
	return br.DefaultBatch
}

// loadRun reads a run folder: its scenario copy and its checkpoint.
func loadRun(dir string) (*scenarios.Scenario, *league.Run, error) {
	s, err := scenarios.Load(filepath.Join(dir, runScenario))
	if err != nil {
		return nil, nil, err
	}
	// The run as it was started (its --seed), and never an edited copy.
	if rec, ok, err := readRunRecord(dir); err != nil {
		return nil, nil, err
	} else if ok {
		if err := applyRecord(s, rec, dir, false); err != nil {
			return nil, nil, err
		}
	}
	state, _, err := checkpoint.ReadFile(filepath.Join(dir, runCheckpoint), checkpointKin, learner.StateVersion)
	if err != nil {
		return nil, nil, err
	}
	cfg, setup := trainConfig(s)
	run := &league.Run{Label: filepath.Base(filepath.Clean(dir)), Settings: cfg, Setup: setup, State: state}
	// Refuse now, not in the middle of the league, a checkpoint whose
	// networks do not load.
	if err := run.Check(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, runCheckpoint), err)
	}
	return s, run, nil
}

// newestRunAnywhere finds the most recently written checkpoint under root.
func newestRunAnywhere(root string) (string, error) {
	var best string
	var bestTime time.Time
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != runCheckpoint {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(bestTime) {
			best, bestTime = filepath.Dir(path), info.ModTime()
		}
		return nil
	})
	if best == "" {
		return "", fmt.Errorf("no run with a checkpoint under %s/; train one (mrasim train) or name one with --run", root)
	}
	return best, nil
}

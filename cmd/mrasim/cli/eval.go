package cli

import (
	"flag"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
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

// evalCommand plays runs against each other in a league.
var evalCommand = &command{
	name:     "eval",
	synopsis: "[flags]",
	short:    "play runs against each other at every population size; adaptation, NashConv, reports",
	long: "Plays trained runs, a random player and the game's reference policies at every evaluation\n" +
		"population (seen and unseen sizes), adapts MRA to unseen sizes, computes NashConv per\n" +
		"population (exact where the game gives exact payoffs; otherwise a lower bound from the\n" +
		"deviations found by trained and search best responses) and writes report.md,\n" +
		"results.csv, results.json and figures.",
	flags: declareEvalFlags,
}

// evalFlags are eval's flags.
type evalFlags struct {
	fs                               *flag.FlagSet
	runs, pops, sets                 multiFlag
	scenario                         string
	adaptSteps, episodes, brEpisodes int
	nashConv, jsonOut, out           string
	seed                             uint64
	workers                          int
	quiet, noRefs, renders           bool
	maxMemory                        string
	nats                             natsFlags
}

func declareEvalFlags(fs *flag.FlagSet) runFunc {
	f := &evalFlags{fs: fs}
	fs.Var(&f.runs, "run", "a run folder to evaluate (repeat to build a league; default: the newest run under runs/)")
	fs.StringVar(&f.scenario, "scenario", "", "scenario whose [eval] table to use (default: the first run's copy)")
	fs.Var(&f.pops, "populations", "evaluation populations separated by spaces, e.g. \"3 6 12\" or \"adversaries=3,good=1 adversaries=6,good=2\"\n(default: the scenario's eval.populations)")
	fs.IntVar(&f.adaptSteps, "adapt-steps", -1, "first-order adaptation steps at unseen populations (default: eval.adapt_steps; 0 turns adaptation off)")
	fs.IntVar(&f.episodes, "episodes", 0, "evaluation episodes per population and line-up (default: eval.episodes)")
	fs.IntVar(&f.brEpisodes, "br-episodes", -1, "training episodes of each best response, before episodes_per_agent·N (default: eval.br.episodes; 0 skips estimates)")
	fs.StringVar(&f.nashConv, "nashconv", "", "how to compute NashConv: auto (exact where the game gives it, best responses otherwise), exact, br (best responses\neverywhere, beside exact values to compare) or off (default: eval.nashconv, auto)")
	fs.StringVar(&f.jsonOut, "json", "", "also write results.json to `FILE`")
	fs.StringVar(&f.out, "out", "", "folder for the report (default: the first run's folder, eval-YYYYMMDD-HHMMSS)")
	fs.Uint64Var(&f.seed, "seed", 0, "root seed of the evaluation (default: the scenario's seed)")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "jobs at once, ≥ 1 (results do not depend on it)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.BoolVar(&f.noRefs, "no-references", false, "do not play the game's scripted reference policies (stand still, nearest landmark, closed-form equilibrium, …) as entries")
	fs.BoolVar(&f.renders, "render", false, "also draw one episode per population and entry as render-ENTRY-POPULATION.gif, linked from report.md (particle games)")
	fs.StringVar(&f.maxMemory, "max-memory", "", maxMemoryUsage)
	fs.Var(&f.sets, "set", evalSetUsage)
	f.nats = addNATSFlags(fs, "run the jobs on `URL`'s workers (mrasim worker) instead of this machine's cores; see --creds, --tls-ca")
	return f.run
}

// run checks everything before the work (flags, runs, populations,
// memory, the outputs), plays the league and writes the report.
func (f *evalFlags) run(c *context, rest []string) error {
	if len(rest) > 0 {
		return badInputf("unexpected argument %q (name runs with --run)", rest[0])
	}
	if err := f.check(); err != nil {
		return err
	}
	limit, limitSource, err := memoryLimit(f.maxMemory)
	if err != nil {
		return badInput(err)
	}
	entries, s, err := f.league()
	if err != nil {
		return err
	}
	if f.renders {
		if err := checkRenders(s); err != nil {
			return badInputf("--render: %w", err)
		}
	}
	opts, err := f.options(s)
	if err != nil {
		return err
	}
	if !f.noRefs {
		// The game's hand-written policies, references beside the runs.
		refs, err := league.References(opts.Game, opts.Params, opts.Populations[0])
		if err != nil {
			return badInputf("reference policies: %w", err)
		}
		entries = append(entries, refs...)
	}
	if err := c.fitEvalMemory(&opts, len(entries), maxLatents(entries), adaptMemory(entries), f.workers, limit, limitSource); err != nil {
		return err
	}
	// Outputs are checked before the work, not after it.
	dir, created, err := evalOutputDir(f.out, f.runs[0])
	if err != nil {
		return failed(err)
	}
	// An evaluation that does not finish leaves no empty report folder.
	defer func() {
		if created {
			os.Remove(dir) // only removes it while empty
		}
	}()
	if f.jsonOut != "" {
		if err := checkWritable(f.jsonOut); err != nil {
			return failedf("--json: %w", err)
		}
	}
	var remote *natsrun.Runner
	if *f.nats.url != "" {
		nc, err := f.nats.connect("mrasim eval")
		if err != nil {
			return err
		}
		defer nc.Close()
		remote = &natsrun.Runner{Conn: nc, Settings: natsrun.DefaultSettings(), Log: c.stderr}
		opts.Runner = remote
	}
	fmt.Fprintf(c.stderr, "evaluating %d entries of %s at %d populations; report in %s\n", len(entries), s.Game.Name, len(opts.Populations), dir)
	rep, err := c.playLeague(entries, opts, remote, f.quiet)
	if err != nil {
		return err
	}
	return c.writeEvalReport(rep, s.Name, dir, f.jsonOut, f.renders, entries, opts)
}

// league loads the runs of --run (the newest run under runs/ without
// one) and returns them with the random player as the league's entries,
// with the scenario whose [eval] table applies: --scenario or the first
// run's.
func (f *evalFlags) league() ([]league.Entry, *scenarios.Scenario, error) {
	if len(f.runs) == 0 {
		dir, err := newestRunAnywhere(scenarios.DefaultOut)
		if err != nil {
			return nil, nil, badInput(err)
		}
		f.runs = append(f.runs, dir)
	}
	var entries []league.Entry
	var first *scenarios.Scenario
	for i, dir := range f.runs {
		dir, err := resolveRun(dir)
		if err != nil {
			return nil, nil, badInput(err)
		}
		f.runs[i] = dir
		s, run, err := loadRun(dir)
		if err != nil {
			return nil, nil, badInput(scenarioProblems(err))
		}
		if first == nil {
			first = s
		} else if s.Game.Name != first.Game.Name {
			return nil, nil, badInputf("run %s plays %q, run %s plays %q: a league needs one game", dir, s.Game.Name, f.runs[0], first.Game.Name)
		}
		entries = append(entries, run)
	}
	entries = append(entries, league.Random{})
	s := first
	if f.scenario != "" {
		var err error
		if s, err = scenarios.Load(f.scenario); err != nil {
			return nil, nil, badInput(err)
		}
		if s.Game.Name != first.Game.Name {
			return nil, nil, badInputf("--scenario plays %q, the runs %q", s.Game.Name, first.Game.Name)
		}
	}
	if err := f.setEval(s); err != nil {
		return nil, nil, err
	}
	return entries, s, nil
}

// evalSetUsage is the help of eval's --set flag.
const evalSetUsage = "override an evaluation key `KEY=VALUE` of the scenario whose [eval] table applies (repeatable), checked as in the file:\n" +
	"eval.episodes=50, eval.populations=[3, 6, 12], eval.br.test_episodes=600; only eval.* keys (the runs fix the rest);\n" +
	"--populations, --episodes, --adapt-steps, --br-episodes, --nashconv and --seed override it"

// checkEvalSets refuses a --set of a key outside [eval] before any run is
// read: a run's game, training and algorithm are fixed by its checkpoint,
// so eval overrides only how the runs are evaluated.
func checkEvalSets(sets []string) error {
	for _, text := range sets {
		key, _, ok := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if ok && key != "" && key != "eval" && !strings.HasPrefix(key, "eval.") {
			return badInputf("--set %s: eval overrides only evaluation keys (eval.*, such as eval.episodes=50), not %s: a run's game, training and algorithm are fixed by its checkpoint; give %s to train", text, key, key)
		}
	}
	return nil
}

// setEval applies --set to the [eval] table of scenario s: the file s was
// read from (--scenario, or the first run's copy) is checked again with
// the overrides, exactly as the keys written in it would be, and its
// [eval] table replaces s's. Only [eval] keys can be set (checkEvalSets),
// so everything else of s, such as the seed the run record gave it, stays.
func (f *evalFlags) setEval(s *scenarios.Scenario) error {
	if len(f.sets) == 0 {
		return nil
	}
	file := f.scenario
	if file == "" {
		file = filepath.Join(f.runs[0], runScenario)
	}
	src, err := scenarios.ReadFile(file)
	if err != nil {
		return badInput(err)
	}
	over, _, err := scenarios.ParseSet(file, src, f.sets)
	if err != nil {
		return badInput(scenarioProblems(err))
	}
	s.Eval = over.Eval
	return nil
}

// options returns the league's options: scenario s's [eval] table with
// the flags that override it.
func (f *evalFlags) options(s *scenarios.Scenario) (league.Options, error) {
	opts := league.Options{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Eval.Populations, Episodes: s.Eval.Episodes, Seed: s.Seed,
		AdaptSteps: s.Eval.AdaptSteps, AdaptEpisodes: s.Eval.AdaptEpisodes,
		NashConv: s.Eval.NashConv, BR: brBudget(s.Eval),
		Runner: jobs.Local{Workers: f.workers},
	}
	if len(f.pops) > 0 {
		pops, err := evalPopulations(s, f.pops)
		if err != nil {
			return opts, err
		}
		opts.Populations = pops
	}
	opts.Populations = ascending(opts.Populations)
	set := func(name string) bool { return flagSet(f.fs, name) }
	if set("adapt-steps") {
		if f.adaptSteps < 0 {
			return opts, badInputf("--adapt-steps must be ≥ 0")
		}
		opts.AdaptSteps = f.adaptSteps
	}
	if set("episodes") {
		opts.Episodes = f.episodes
	}
	if set("br-episodes") {
		if f.brEpisodes < 0 {
			return opts, badInputf("--br-episodes must be ≥ 0")
		}
		opts.BR.Episodes = f.brEpisodes
	}
	if set("nashconv") {
		if !slices.Contains(league.NashConvModes, f.nashConv) {
			return opts, badInputf("--nashconv %q: want one of %s", f.nashConv, strings.Join(league.NashConvModes, ", "))
		}
		opts.NashConv = f.nashConv
	}
	if opts.BR.Episodes == 0 {
		// No best responses: exact values only, where the game gives them.
		if opts.NashConv == league.ModeBR {
			return opts, badInputf("--nashconv br needs best-response episodes > 0")
		}
		if opts.NashConv == league.ModeAuto {
			opts.NashConv = league.ModeExactWhereGiven
		}
	}
	if set("seed") {
		opts.Seed = f.seed
	}
	return opts, nil
}

// evalPopulations checks the populations of --populations (each listed
// once) against s's game.
func evalPopulations(s *scenarios.Scenario, flags []string) ([]env.Population, error) {
	reg, _ := env.Lookup(s.Game.Name)
	var pops []env.Population
	listed := map[string]string{}
	for _, text := range strings.Fields(strings.Join(flags, " ")) {
		p, err := env.ParsePopulation(text)
		if err == nil {
			p, err = reg.Population(p)
		}
		if err == nil {
			_, err = reg.Make(s.Game.Params, p)
		}
		if err != nil {
			return nil, badInputf("--populations %s: %w", text, err)
		}
		if first, ok := listed[p.String()]; ok {
			return nil, badInputf("--populations: %s and %s are the same population %v; list each once", first, text, p)
		}
		listed[p.String()] = text
		pops = append(pops, p)
	}
	return pops, nil
}

// fitEvalMemory checks the evaluation's memory against limit, running
// fewer jobs at once than workers (changing opts' runner) rather than
// more than the memory holds.
func (c *context) fitEvalMemory(opts *league.Options, entries, latents int, adapt learner.AdaptMemory, workers int, limit int64, limitSource string) error {
	mo := memest.EvalOptions{
		Game: opts.Game, Params: opts.Params, Populations: opts.Populations, Entries: entries,
		Latents: latents, AdaptEpisodes: adaptEpisodes(*opts), Adapt: adapt, BRBatch: brBatch(*opts), Workers: workers,
	}
	if fit, err := memest.FitWorkers(mo, limit); err == nil && fit >= 1 && fit < workers {
		fmt.Fprintf(c.stderr, "memory: running %d jobs at once instead of %d to stay within %s (results do not depend on it)\n", fit, workers, memest.Format(limit))
		mo.Workers = fit
		opts.Runner = jobs.Local{Workers: fit}
	}
	est, err := memest.Eval(mo)
	if err != nil {
		return badInput(err)
	}
	if err := checkMemory(c.stderr, est, limit, limitSource, "this evaluation"); err != nil {
		return badInput(err)
	}
	return nil
}

// playLeague plays the league with a progress display (naming the
// workers of remote, when the jobs run there); an interrupt stops it
// without a report.
func (c *context) playLeague(entries []league.Entry, opts league.Options, remote *natsrun.Runner, quiet bool) (*league.Report, error) {
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
			bar = progress.New(progressOut(c.stderr, quiet), int64(n), "jobs", po...)
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
	rep, interrupted, err := playInterruptibly(entries, opts)
	if bar != nil {
		bar.Finish()
	}
	if interrupted {
		fmt.Fprintln(c.stderr) // end the progress line
		return nil, failedf("interrupted; stopped without writing a report")
	}
	if err != nil {
		return nil, failed(err)
	}
	return rep, nil
}

// writeEvalReport prints the league's tables and writes report.md,
// results.csv, results.json and the figures into dir, results.json also
// to jsonOut when given, and with renders one GIF per population and
// entry.
func (c *context) writeEvalReport(rep *league.Report, name, dir, jsonOut string, renders bool, entries []league.Entry, opts league.Options) error {
	fmt.Fprintf(c.stdout, "%s\n\n", rep.BudgetText())
	for _, label := range rep.Labels() {
		rep.Table(c.stdout, label)
		fmt.Fprintln(c.stdout)
	}
	write := []struct {
		name string
		fn   func(string) error
	}{
		{"report.md", func(p string) error { return rep.WriteMarkdown(p, "mrasim league: "+name) }},
		{"results.csv", rep.WriteCSV},
		{"results.json", rep.WriteJSON},
	}
	for _, w := range write {
		if err := w.fn(filepath.Join(dir, w.name)); err != nil {
			return failed(err)
		}
	}
	if jsonOut != "" {
		if err := rep.WriteJSON(jsonOut); err != nil {
			return failed(err)
		}
	}
	figs, err := rep.WriteFigures(dir)
	if err != nil {
		return failedf("figures: %w", err)
	}
	if renders {
		files, err := writeRenders(dir, entries, opts)
		if err != nil {
			return failedf("--render: %w", err)
		}
		figs = append(figs, files...)
	}
	fmt.Fprintf(c.stdout, "wrote %s, results.csv, results.json", filepath.Join(dir, "report.md"))
	for _, f := range figs {
		fmt.Fprintf(c.stdout, ", %s", filepath.Base(f))
	}
	fmt.Fprintln(c.stdout)
	return nil
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
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return "", fmt.Errorf("no run folder %s/; train a run (mrasim train) or name one with --run", root)
	}
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

// ascending returns a copy of pops sorted by total size, smallest first
// (populations of one size keep their order), so that the table, report.md
// and results.json read 3, 4, 6, 9 whatever order the file lists them in.
func ascending(pops []env.Population) []env.Population {
	out := append([]env.Population(nil), pops...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Total() < out[j].Total() })
	return out
}

// latestRun is the name that --run takes for the newest run: "latest"
// (under runs/) or "FOLDER/latest" (under FOLDER), unless such a folder
// exists.
const latestRun = "latest"

// resolveRun returns the run folder that --run dir names: dir itself, or
// for "latest" and "FOLDER/latest" (when no such folder exists) the run
// with the newest checkpoint under runs/ or FOLDER.
func resolveRun(dir string) (string, error) {
	if filepath.Base(dir) != latestRun {
		return dir, nil
	}
	if _, err := os.Stat(dir); err == nil {
		return dir, nil // a folder really named latest
	}
	root := filepath.Dir(dir)
	if dir == latestRun {
		root = scenarios.DefaultOut
	}
	found, err := newestRunAnywhere(root)
	if err != nil {
		return "", fmt.Errorf("--run %s: %w", dir, err)
	}
	return found, nil
}

package cli

import (
	"bytes"
	stdcontext "context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/curves"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/scenarios"
)

// Files of a run folder.
const (
	runScenario   = "scenario.toml"
	runMetrics    = "metrics.jsonl"
	runCheckpoint = "checkpoint.mrasim"
	runCurves     = "curves.png"
	checkpointKin = "mra-run"
)

// trainSignals are the signals that stop training with a checkpoint. Tests
// may replace it.
var trainSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

func runTrain(c *context, args []string) int {
	fs := c.newFlags("train", "FILE [flags]",
		"Trains agents as scenario FILE says (algorithm, populations, budget) and writes a run\n"+
			"folder: a copy of the scenario, run.json, metrics.jsonl, checkpoint.mrasim and curves.png.\n"+
			"Ctrl-C writes a checkpoint and exits 0; --resume continues from it exactly. A second\n"+
			"Ctrl-C stops at once, keeping the last checkpoint.")
	out := fs.String("out", "", "run folder (default: OUT/NAME-YYYYMMDD-HHMMSS from the scenario's out and name;\nwith --resume: the newest run of the scenario under OUT)")
	resume := fs.Bool("resume", false, "continue the run in the run folder from its checkpoint")
	seed := fs.Uint64("seed", 0, "override the scenario's seed (not with --resume; the run records it)")
	episodes := fs.Int("episodes", 0, "override train.episodes, the episodes per training population, in [1, 1e9]")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "goroutines stepping game copies, ≥ 1 (results do not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress display")
	maxMemory := fs.String("max-memory", "", maxMemoryUsage)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (inspect with go tool pprof)")
	files, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintf(c.stderr, "mrasim train: want one scenario file, got %d arguments\n", len(files))
		fs.Usage()
		return ExitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *resume && set["seed"] {
		fmt.Fprintln(c.stderr, "mrasim train: --seed cannot change a run being resumed (the run keeps the seed it started with)")
		return ExitUsage
	}
	if set["episodes"] && (*episodes < 1 || *episodes > 1e9) {
		fmt.Fprintf(c.stderr, "mrasim train: --episodes %d: want an integer in [1, 1e9]\n", *episodes)
		return ExitUsage
	}
	if *workers < 1 {
		fmt.Fprintf(c.stderr, "mrasim train: --workers %d: want ≥ 1\n", *workers)
		return ExitUsage
	}
	limit, limitSource, err := memoryLimit(*maxMemory)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitUsage
	}
	src, err := scenarios.ReadFile(files[0])
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitUsage
	}
	s, err := scenarios.Parse(files[0], src)
	if err != nil {
		c.reportScenarioError(err)
		return ExitUsage
	}
	if set["seed"] {
		s.Seed = *seed
	}
	if set["episodes"] {
		s.Train.Episodes = *episodes
	}
	dir := *out
	if *resume {
		if dir == "" {
			if dir, err = newestRun(s); err != nil {
				fmt.Fprintf(c.stderr, "mrasim train: --resume: %v\n", err)
				return ExitUsage
			}
		}
		copyPath := filepath.Join(dir, runScenario)
		saved, err := fsutil.ReadRegular(copyPath, scenarios.MaxFileSize)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: --resume: %v\n", err)
			return ExitUsage
		}
		if !bytes.Equal(saved, src) {
			fmt.Fprintf(c.stderr, "mrasim train: --resume: %s differs from the run's copy %s; resume with the copy:\n  mrasim train %s --resume --out %s\n", files[0], copyPath, copyPath, dir)
			return ExitUsage
		}
		rec, ok, err := readRunRecord(dir)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: --resume: %v\n", err)
			return ExitUsage
		}
		if ok {
			if err := applyRecord(s, rec, dir, set["episodes"]); err != nil {
				fmt.Fprintf(c.stderr, "mrasim train: --resume: %v\n", err)
				return ExitUsage
			}
		}
	}
	if err := resolveSettings(s, dir, *resume); err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitUsage
	}
	cfg, setup := trainConfig(s)
	setup.Workers = *workers
	est, err := memest.Train(cfg, setup)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitUsage
	}
	if err := checkMemory(c.stderr, est, limit, limitSource, "this run"); err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitUsage
	}
	if !*resume {
		if dir == "" {
			dir, err = newRunDir(s.Out, s.Name, time.Now())
		} else {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
			return ExitFailure
		}
	}
	if *resume {
		// A finished run (or a budget below what is done) needs neither
		// the lock nor a trainer: a read-only run folder answers too. A
		// checkpoint that does not read is refused here, before the lock;
		// one that reads is read again under the lock by c.train.
		data, _, err := checkpoint.ReadFile(filepath.Join(dir, runCheckpoint), checkpointKin, learner.StateVersion)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
			return ExitUsage
		}
		if round, err := learner.StateRound(cfg, setup, data); err == nil {
			if code, stop := c.resumeDone(dir, round, set["episodes"], setup); stop {
				return code
			}
		}
	}
	lock, stale, err := runlock.Acquire(dir)
	if err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		var held *runlock.HeldError
		if errors.As(err, &held) {
			return ExitUsage
		}
		return ExitFailure
	}
	defer lock.Release()
	if stale {
		fmt.Fprintf(c.stderr, "%s: took over the lock of a process that is gone\n", dir)
	}
	if removed, err := checkpoint.RemoveTemps(dir); err != nil {
		fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
		return ExitFailure
	} else if len(removed) > 0 {
		fmt.Fprintf(c.stderr, "%s: removed %d temporary file(s) of an interrupted write: %s\n", dir, len(removed), strings.Join(removed, " "))
	}
	if !*resume {
		if _, err := os.Stat(filepath.Join(dir, runCheckpoint)); err == nil {
			fmt.Fprintf(c.stderr, "mrasim train: %s already holds a run; continue it with --resume or choose another --out\n", dir)
			return ExitUsage
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
			return ExitFailure
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: %v\n", err)
			return ExitFailure
		}
		defer pprof.StopCPUProfile()
	}
	return c.train(s, src, dir, *resume, set["episodes"], *workers, *quiet, lock)
}

// newestRun finds the newest run folder of scenario s under its out folder.
func newestRun(s *scenarios.Scenario) (string, error) {
	// The folder is listed and names compared as strings: out and name
	// are the user's and may hold glob characters.
	entries, _ := os.ReadDir(s.Out)
	var matches []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), s.Name+"-") {
			continue
		}
		dir := filepath.Join(s.Out, e.Name())
		if st, err := os.Lstat(filepath.Join(dir, runCheckpoint)); err == nil && st.Mode().IsRegular() {
			matches = append(matches, dir)
		}
	}
	if len(matches) == 0 {
		return "", fmt.Errorf("no run of %q with a checkpoint under %s; name one with --out", s.Name, s.Out)
	}
	// Names end in a time stamp and, for runs started in the same second, a suffix.
	sort.Slice(matches, func(i, j int) bool { return runDirOrder(matches[i], matches[j]) })
	return matches[len(matches)-1], nil
}

// trainConfig returns the scenario's algorithm settings and the trainer's
// setup.
func trainConfig(s *scenarios.Scenario) (learner.Settings, learner.Setup) {
	setup := learner.Setup{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Train.Populations, Seed: s.Seed,
		Episodes: s.Train.Episodes, ParallelEnvs: s.Train.ParallelEnvs, LogEvery: s.Train.LogEvery,
	}
	return s.Algo, setup
}

// resumeDone handles a resume that has nothing to train, given the rounds
// the checkpoint has played: a run whose budget is spent is finished (exit
// 0), and an --episodes below the episodes played is refused, since a
// run's budget cannot shrink. stop is false when there is training to do.
func (c *context) resumeDone(dir string, round int, episodesSet bool, setup learner.Setup) (code int, stop bool) {
	envs := setup.ParallelEnvs
	rounds := (setup.Episodes + envs - 1) / envs
	copyPath := filepath.Join(dir, runScenario)
	if episodesSet && rounds < round {
		fmt.Fprintf(c.stderr, "mrasim train: --episodes %d is below the %d episodes per population the run in %s has played; a budget cannot shrink: give more than %d to train longer, or leave --episodes out\n",
			setup.Episodes, round*envs, dir, round*envs)
		return ExitUsage, true
	}
	if round >= rounds {
		fmt.Fprintf(c.stdout, "the run in %s is finished: %d episodes per population, its whole budget; nothing to do.\nTo train longer, raise the budget:\n  mrasim train %s --resume --out %s --episodes N\n",
			dir, round*envs, copyPath, dir)
		return ExitOK, true
	}
	return 0, false
}

// osExit ends the process on a second interrupt; tests replace it.
var osExit = os.Exit

// stoppedForInterrupt is called once training has stopped for a first
// interrupt, before the final checkpoint is written. It does nothing; tests
// replace it to hold the run there until a second interrupt was handled, so
// that they never depend on how long a round takes or on when the trainer
// looks at its context.
var stoppedForInterrupt = func() {}

func (c *context) train(s *scenarios.Scenario, src []byte, dir string, resume, episodesSet bool, workers int, quiet bool, lock *runlock.Lock) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.stderr, "mrasim train: "+format+"\n", args...)
		return code
	}
	if err := resolveSettings(s, dir, resume); err != nil {
		return fail(ExitUsage, "%v", err)
	}
	cfg, setup := trainConfig(s)
	setup.Workers = workers
	t, err := learner.NewTrainer(cfg, setup)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	defer t.Close()
	ckpt := filepath.Join(dir, runCheckpoint)
	metricsPath := filepath.Join(dir, runMetrics)
	copyPath := filepath.Join(dir, runScenario)
	var history []learner.Metrics
	if resume {
		payload, _, err := checkpoint.ReadFile(ckpt, checkpointKin, learner.StateVersion)
		if err != nil {
			return fail(ExitUsage, "%v", err)
		}
		if err := t.LoadFrom(payload, dir); err != nil {
			return fail(ExitUsage, "%s: %v", ckpt, err)
		}
		if code, stop := c.resumeDone(dir, t.Round(), episodesSet, setup); stop {
			return code
		}
		var note string
		if history, note, err = trimMetrics(metricsPath, t.Episode()); err != nil {
			return fail(ExitFailure, "%v", err)
		}
		if note != "" {
			fmt.Fprintln(c.stderr, note)
		}
		if episodesSet {
			// Later resumes keep the new budget.
			if err := writeRunRecord(dir, recordOf(s)); err != nil {
				return fail(ExitFailure, "%v", err)
			}
		}
	} else {
		if err := checkpoint.WriteAtomic(copyPath, func(w io.Writer) error {
			_, err := w.Write(src)
			return err
		}); err != nil {
			return fail(ExitFailure, "%v", err)
		}
		if err := writeRunRecord(dir, recordOf(s)); err != nil {
			return fail(ExitFailure, "%v", err)
		}
		if err := os.WriteFile(metricsPath, nil, 0o644); err != nil {
			return fail(ExitFailure, "%v", err)
		}
	}
	mf, err := os.OpenFile(metricsPath, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fail(ExitFailure, "%v", err)
	}
	defer mf.Close()

	verb := "training"
	if resume {
		verb = "resuming at episode " + fmt.Sprint(t.Episode()) + ","
	}
	fmt.Fprintf(c.stderr, "%s %s on %s %s, %d episodes per population at %d parallel envs, seed %d; run folder %s\n",
		verb, cfg.Algorithm(), s.Game.Name, strings.Join(t.Labels(), " "), setup.Episodes, setup.ParallelEnvs, setup.Seed, dir)

	bar := progress.New(progressOut(c.stderr, quiet), int64(t.Rounds()*setup.ParallelEnvs), "episodes")
	var last learner.Metrics
	logf := func(m learner.Metrics) error {
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := mf.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("writing %s: %w", metricsPath, err)
		}
		history = append(history, m)
		last = m
		return nil
	}
	// saving is held while a checkpoint is written, so that a second
	// interrupt never stops the process in the middle of one.
	var saving sync.Mutex
	saved := -1   // episode of the last checkpoint written by this process
	over := false // the final checkpoint is written (set under saving)
	if resume {
		saved = t.Episode()
	}
	save := func() error {
		saving.Lock()
		defer saving.Unlock()
		// The replay buffers go to append-only segment files beside the
		// checkpoint (only what is new since the last one); segments the
		// new checkpoint no longer names are deleted once it is in place.
		if err := checkpoint.WriteFile(ckpt, checkpointKin, learner.StateVersion, func(w io.Writer) error {
			e := checkpoint.NewEncoder(w)
			return t.SaveTo(e, dir)
		}); err != nil {
			return err
		}
		if err := t.PruneSegments(dir); err != nil {
			return err
		}
		saved = t.Episode()
		return writeCurves(filepath.Join(dir, runCurves), s.Name, t.Labels(), history)
	}
	ctx, cancel := stdcontext.WithCancel(stdcontext.Background())
	defer cancel()
	ckptRounds := max(1, (s.Train.CheckpointEvery+setup.ParallelEnvs-1)/setup.ParallelEnvs)
	afterRound := func() error {
		bar.Set(int64(t.Episode()), progressFields(t.Labels(), last))
		if t.Round()%ckptRounds == 0 && t.Round() < t.Rounds() {
			return save()
		}
		return nil
	}

	// The first interrupt stops at the end of the round with a checkpoint;
	// a second one stops at once, once no checkpoint is being written.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, trainSignals...)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-sigs:
		case <-finished:
			return
		}
		fmt.Fprintln(c.stderr, "\nstopping: finishing the current round, then writing a checkpoint (interrupt again to stop at once and keep the last checkpoint)")
		cancel()
		select {
		case <-sigs:
		case <-finished:
			return
		}
		saving.Lock()
		defer saving.Unlock()
		if over {
			return // the run stopped on its own meanwhile, with its checkpoint
		}
		if saved < 0 {
			fmt.Fprintf(c.stderr, "stopped at once; no checkpoint had been written yet, so there is nothing to resume: start again with\n  mrasim train %s --out %s\n", copyPath, dir)
		} else if _, _, err := checkpoint.ReadFile(ckpt, checkpointKin, learner.StateVersion); err != nil {
			fmt.Fprintf(c.stderr, "stopped at once; the last checkpoint does not read back: %v\n", err)
		} else {
			fmt.Fprintf(c.stderr, "stopped at once; the checkpoint of episode %d is intact (checksum verified). Continue with:\n  mrasim train %s --resume --out %s\n", saved, copyPath, dir)
		}
		mf.Close()
		lock.Release()
		osExit(ExitFailure)
	}()
	runErr := t.Run(ctx, logf, afterRound)
	bar.Finish()
	interrupted := errors.Is(runErr, stdcontext.Canceled)
	if interrupted {
		stoppedForInterrupt()
	}
	if runErr != nil && !interrupted {
		return fail(ExitFailure, "%v", runErr)
	}
	err = save()
	saving.Lock()
	over = true
	saving.Unlock()
	if err != nil {
		return fail(ExitFailure, "writing the checkpoint: %v", err)
	}
	if interrupted {
		fmt.Fprintf(c.stderr, "interrupted after %d episodes per population; checkpoint written. Continue with:\n  mrasim train %s --resume --out %s\n",
			t.Episode(), copyPath, dir)
		return ExitOK
	}
	fmt.Fprintf(c.stdout, "trained %d episodes per population in %s; run folder %s\n", t.Episode(), formatSeconds(last.WallSeconds), dir)
	for _, l := range t.Labels() {
		fmt.Fprintf(c.stdout, "  %s: mean reward per agent and step %s (last interval)\n", l, fixed4(last.MeanStepReward[l]))
		if by := last.MeanStepRewardByType[l]; len(by) > 1 {
			for _, typ := range sortedKeys(by) {
				fmt.Fprintf(c.stdout, "    %s: %s\n", typ, fixed4(by[typ]))
			}
		}
	}
	return ExitOK
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func progressFields(labels []string, m learner.Metrics) []progress.Field {
	var out []progress.Field
	for _, l := range labels {
		if by := m.MeanStepRewardByType[l]; len(by) > 1 {
			// Types of opposed interests: one number each, never their mean.
			for _, typ := range sortedKeys(by) {
				out = append(out, progress.Field{Name: l + " " + typ, Value: fmt.Sprintf("%.3f", by[typ])})
			}
		} else if v, ok := m.MeanStepReward[l]; ok {
			out = append(out, progress.Field{Name: l, Value: fmt.Sprintf("%.3f", v)})
		}
	}
	if m.StepsPerSecond > 0 {
		out = append(out, progress.Field{Name: "env-steps/s", Value: progress.FormatRate(m.StepsPerSecond)})
	}
	return out
}

func formatSeconds(s float64) string {
	return progress.FormatDuration(time.Duration(s * float64(time.Second)))
}

// trimMetrics cuts metrics.jsonl back to the lines of the checkpoint's
// episode and returns them: the checkpoint is the source of truth. Every
// line that decodes and is at or before the checkpoint's episode is kept,
// in order; lines past it (a run stopped after logging but before
// checkpointing) go, and so do lines that do not decode (a line torn by a
// full disk or a crash during an append, or damaged in place), wherever
// they are. A missing file starts empty. note says what was dropped and
// why, for the user.
func trimMetrics(path string, episode int) (kept []learner.Metrics, note string, err error) {
	data, err := fsutil.ReadRegular(path, 1<<30)
	if errors.Is(err, os.ErrNotExist) {
		note = fmt.Sprintf("%s was missing; the curves start again from episode %d", path, episode)
		data, err = nil, nil
	}
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	var bad []string // numbers of the lines that do not decode
	after, torn := 0, false
	for n, rest := 1, data; len(rest) > 0; n++ {
		line, cut := rest, true
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest, cut = rest[:i], rest[i+1:], false
		} else {
			rest = nil // no newline: the append did not finish
		}
		var m learner.Metrics
		if cut || json.Unmarshal(line, &m) != nil {
			bad = append(bad, fmt.Sprint(n))
			torn = torn || cut
			continue
		}
		if m.Episode > episode {
			after++
			continue
		}
		kept = append(kept, m)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	var notes []string
	if len(bad) > 0 {
		lines := bad
		if len(lines) > 5 {
			lines = append(lines[:5:5], "…")
		}
		n := fmt.Sprintf("%s: dropped %d line(s) that do not decode (line %s)", path, len(bad), strings.Join(lines, ", "))
		if torn {
			n += "; the last was cut short, as a full disk or a crash leaves it"
		}
		notes = append(notes, n)
	}
	if after > 0 {
		notes = append(notes, fmt.Sprintf("%s: dropped %d line(s) after the checkpoint's episode %d", path, after, episode))
	}
	if note == "" {
		note = strings.Join(notes, "\n")
	}
	return kept, note, checkpoint.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// writeCurves plots the mean reward per agent and step of each training
// population against episodes.
func writeCurves(path, name string, labels []string, history []learner.Metrics) error {
	series := curveSeries(labels, history)
	if len(series) == 0 {
		return nil
	}
	return curves.Write(path, name, "episodes per population", "mean reward per agent and step", series)
}

// curveSeries is the curves of writeCurves: one per population, or one per
// population and type where a population has several types.
func curveSeries(labels []string, history []learner.Metrics) []curves.Series {
	var series []curves.Series
	for _, l := range labels {
		// A population of several types gets a curve per type: their
		// rewards may be opposed, and their mean would mean nothing.
		var types []string
		for _, m := range history {
			if by := m.MeanStepRewardByType[l]; len(by) > 1 {
				types = sortedKeys(by)
				break
			}
		}
		if len(types) == 0 {
			types = []string{""}
		}
		for _, typ := range types {
			var s curves.Series
			s.Label = l
			if typ != "" {
				s.Label = l + " " + typ
			}
			for _, m := range history {
				v, ok := m.MeanStepReward[l]
				if typ != "" {
					v, ok = m.MeanStepRewardByType[l][typ]
				}
				if ok {
					s.X = append(s.X, float64(m.Episode))
					s.Y = append(s.Y, v)
				}
			}
			if len(s.X) > 0 {
				series = append(series, s)
			}
		}
	}
	return series
}

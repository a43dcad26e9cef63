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
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/curves"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/mra"
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
			"folder: a copy of the scenario, metrics.jsonl, checkpoint.mrasim and curves.png.\n"+
			"Ctrl-C writes a checkpoint and exits 0; --resume continues from it exactly.")
	out := fs.String("out", "", "run folder (default: OUT/NAME-YYYYMMDD-HHMMSS from the scenario's out and name;\nwith --resume: the newest run of the scenario under OUT)")
	resume := fs.Bool("resume", false, "continue the run in the run folder from its checkpoint")
	seed := fs.Uint64("seed", 0, "override the scenario's seed (not with --resume)")
	episodes := fs.Int("episodes", 0, "override train.episodes, the episodes per training population")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "goroutines stepping game copies (results do not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress display")
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
		fmt.Fprintln(c.stderr, "mrasim train: --seed cannot change a run being resumed")
		return ExitUsage
	}
	if set["episodes"] && *episodes < 1 {
		fmt.Fprintf(c.stderr, "mrasim train: --episodes %d: want ≥ 1\n", *episodes)
		return ExitUsage
	}
	src, err := os.ReadFile(files[0])
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
		saved, err := os.ReadFile(copyPath)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim train: --resume: %v\n", err)
			return ExitUsage
		}
		if !bytes.Equal(saved, src) {
			fmt.Fprintf(c.stderr, "mrasim train: --resume: %s differs from the run's copy %s; resume with the copy:\n  mrasim train %s --resume --out %s\n", files[0], copyPath, copyPath, dir)
			return ExitUsage
		}
	} else {
		if dir == "" {
			dir = filepath.Join(s.Out, s.Name+"-"+time.Now().Format("20060102-150405"))
		}
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
	return c.train(s, src, dir, *resume, *workers, *quiet)
}

// newestRun finds the newest run folder of scenario s under its out folder.
func newestRun(s *scenarios.Scenario) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(s.Out, s.Name+"-*", runCheckpoint))
	if len(matches) == 0 {
		return "", fmt.Errorf("no run of %q with a checkpoint under %s; name one with --out", s.Name, s.Out)
	}
	sort.Strings(matches) // names end in a sortable timestamp
	return filepath.Dir(matches[len(matches)-1]), nil
}

// trainConfig turns the scenario's algorithm table into the trainer's
// configuration.
func trainConfig(s *scenarios.Scenario) (mra.Config, mra.Setup) {
	cfg := mra.DefaultConfig()
	a := s.Algo
	cfg.Algo = a.Name
	cfg.Gamma, cfg.PolicyLR, cfg.CriticLR, cfg.WeightDecay = a.Gamma, a.PolicyLR, a.CriticLR, a.WeightDecay
	cfg.BatchSize, cfg.BufferLength, cfg.StepsPerUpdate, cfg.NumUpdates = a.BatchSize, a.BufferLength, a.StepsPerUpdate, a.NumUpdates
	cfg.RewardScale, cfg.Latents, cfg.Resamples, cfg.GradClip = a.RewardScale, a.Latents, a.Resamples, a.GradClip
	cfg.PriorTemperature, cfg.Baseline, cfg.PerAgentCriticLoss, cfg.RecomputeNextGraph = a.PriorTemperature, a.Baseline, a.PerAgentCriticLoss, a.RecomputeNextGraph
	cfg.PolicySeesSelf, cfg.CriticSeesSelf = a.PolicySeesSelf, a.CriticSeesSelf
	cfg.MetaLR = a.MetaLR
	cfg.Tau = a.Tau
	setup := mra.Setup{
		Game: s.Game.Name, Params: s.Game.Params, Populations: s.Train.Populations, Seed: s.Seed,
		Episodes: s.Train.Episodes, ParallelEnvs: s.Train.ParallelEnvs, LogEvery: s.Train.LogEvery,
	}
	return cfg, setup
}

func (c *context) train(s *scenarios.Scenario, src []byte, dir string, resume bool, workers int, quiet bool) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.stderr, "mrasim train: "+format+"\n", args...)
		return code
	}
	cfg, setup := trainConfig(s)
	setup.Workers = workers
	t, err := mra.NewTrainer(cfg, setup)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	defer t.Close()
	ckpt := filepath.Join(dir, runCheckpoint)
	metricsPath := filepath.Join(dir, runMetrics)
	var history []mra.Metrics
	if resume {
		payload, _, err := checkpoint.ReadFile(ckpt, checkpointKin, mra.StateVersion)
		if err != nil {
			return fail(ExitUsage, "%v", err)
		}
		if err := t.Load(payload); err != nil {
			return fail(ExitUsage, "%s: %v", ckpt, err)
		}
		if history, err = trimMetrics(metricsPath, t.Episode()); err != nil {
			return fail(ExitFailure, "%v", err)
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fail(ExitFailure, "%v", err)
		}
		if err := checkpoint.WriteAtomic(filepath.Join(dir, runScenario), func(w io.Writer) error {
			_, err := w.Write(src)
			return err
		}); err != nil {
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
	fmt.Fprintf(c.stderr, "%s %s on %s %s, %d episodes per population at %d parallel envs; run folder %s\n",
		verb, cfg.Algo, s.Game.Name, strings.Join(t.Labels(), " "), setup.Episodes, setup.ParallelEnvs, dir)

	var opts []progress.Option
	if quiet {
		opts = append(opts, progress.WithTerminal(false), progress.WithInterval(24*time.Hour))
	}
	bar := progress.New(c.stderr, int64(t.Rounds()*setup.ParallelEnvs), "episodes", opts...)
	var last mra.Metrics
	logf := func(m mra.Metrics) error {
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
	save := func() error {
		if err := checkpoint.WriteFile(ckpt, checkpointKin, mra.StateVersion, func(w io.Writer) error {
			e := checkpoint.NewEncoder(w)
			t.Save(e)
			return e.Err()
		}); err != nil {
			return err
		}
		return writeCurves(filepath.Join(dir, runCurves), s.Name, t.Labels(), history)
	}
	ckptRounds := max(1, (s.Train.CheckpointEvery+setup.ParallelEnvs-1)/setup.ParallelEnvs)
	afterRound := func() error {
		bar.Set(int64(t.Episode()), progressFields(t.Labels(), last))
		if t.Round()%ckptRounds == 0 && t.Round() < t.Rounds() {
			return save()
		}
		return nil
	}

	ctx, stop := signal.NotifyContext(stdcontext.Background(), trainSignals...)
	defer stop()
	runErr := t.Run(ctx, logf, afterRound)
	bar.Finish()
	interrupted := errors.Is(runErr, stdcontext.Canceled)
	if runErr != nil && !interrupted {
		return fail(ExitFailure, "%v", runErr)
	}
	if err := save(); err != nil {
		return fail(ExitFailure, "writing the checkpoint: %v", err)
	}
	if interrupted {
		fmt.Fprintf(c.stderr, "interrupted after %d episodes per population; checkpoint written. Continue with:\n  mrasim train %s --resume --out %s\n",
			t.Episode(), filepath.Join(dir, runScenario), dir)
		return ExitOK
	}
	fmt.Fprintf(c.stdout, "trained %d episodes per population in %s; run folder %s\n", t.Episode(), formatSeconds(last.WallSeconds), dir)
	for _, l := range t.Labels() {
		fmt.Fprintf(c.stdout, "  %s: mean reward per agent and step %.4f (last interval)\n", l, last.MeanStepReward[l])
	}
	return ExitOK
}

func progressFields(labels []string, m mra.Metrics) []progress.Field {
	var out []progress.Field
	for _, l := range labels {
		if v, ok := m.MeanStepReward[l]; ok {
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

// trimMetrics keeps the metrics lines up to the checkpoint's episode (a run
// stopped after logging but before checkpointing logged past it) and
// returns them.
func trimMetrics(path string, episode int) ([]mra.Metrics, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kept []mra.Metrics
	var buf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var m mra.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if m.Episode > episode {
			break
		}
		kept = append(kept, m)
		buf.Write(sc.Bytes())
		buf.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return kept, checkpoint.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// writeCurves plots the mean reward per agent and step of each training
// population against episodes.
func writeCurves(path, name string, labels []string, history []mra.Metrics) error {
	var series []curves.Series
	for _, l := range labels {
		var s curves.Series
		s.Label = l
		for _, m := range history {
			if v, ok := m.MeanStepReward[l]; ok {
				s.X = append(s.X, float64(m.Episode))
				s.Y = append(s.Y, v)
			}
		}
		if len(s.X) > 0 {
			series = append(series, s)
		}
	}
	if len(series) == 0 {
		return nil
	}
	return curves.Write(path, name, "episodes per population", "mean reward per agent and step", series)
}

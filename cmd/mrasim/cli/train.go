package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/cmd/mrasim/internal/memest"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
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

// trainCommand trains agents as a scenario says.
var trainCommand = &command{
	name:     "train",
	synopsis: "FILE [flags]",
	short:    "train agents with MRA or a baseline as a scenario says; checkpoints, metrics, curves",
	long: "Trains agents as scenario FILE says (algorithm, populations, budget) and writes a run\n" +
		"folder: a copy of the scenario, run.json, metrics.jsonl, checkpoint.mrasim and curves.png.\n" +
		"Ctrl-C writes a checkpoint and exits 0; --resume continues from it exactly. A second\n" +
		"Ctrl-C stops at once, keeping the last checkpoint.",
	flags: declareTrainFlags,
}

// trainFlags are train's flags.
type trainFlags struct {
	fs                         *flag.FlagSet
	out, maxMemory, cpuProfile string
	resume, quiet              bool
	seed                       uint64
	episodes, workers          int
	sets                       multiFlag
}

func declareTrainFlags(fs *flag.FlagSet) runFunc {
	f := &trainFlags{fs: fs}
	fs.StringVar(&f.out, "out", "", "run folder (default: OUT/NAME-YYYYMMDD-HHMMSS from the scenario's out and name;\nwith --resume: the newest run of the scenario under OUT)")
	fs.BoolVar(&f.resume, "resume", false, "continue the run in the run folder from its checkpoint")
	fs.Uint64Var(&f.seed, "seed", 0, "override the scenario's seed (not with --resume; the run records it)")
	fs.IntVar(&f.episodes, "episodes", 0, "override train.episodes, the episodes per training population, in [1, 1e9]")
	fs.Var(&f.sets, "set", setUsage)
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "goroutines stepping game copies, ≥ 1 (results do not depend on it)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.StringVar(&f.maxMemory, "max-memory", "", maxMemoryUsage)
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (inspect with go tool pprof)")
	return f.run
}

// run checks the flags, the scenario and, with --resume, the run folder,
// estimates the run's memory, takes the folder's lock and trains.
func (f *trainFlags) run(c *context, files []string) error {
	if err := f.check(files); err != nil {
		return err
	}
	limit, limitSource, err := memoryLimit(f.maxMemory)
	if err != nil {
		return badInput(err)
	}
	src, s, err := f.scenario(files[0])
	if err != nil {
		return err
	}
	dir := f.out
	if f.resume {
		if dir, err = f.resumeFolder(c, files[0], src, s); err != nil {
			return err
		}
	}
	if err := resolveSettings(s, dir, f.resume); err != nil {
		return badInput(err)
	}
	cfg, setup := trainConfig(s)
	setup.Workers = f.workers
	est, err := memest.Train(cfg, setup)
	if err != nil {
		return badInput(err)
	}
	if err := checkMemory(c.stderr, est, limit, limitSource, "this run"); err != nil {
		return badInput(err)
	}
	if f.resume {
		// A finished run (or a budget below what is done) needs neither
		// the lock nor a trainer: a read-only run folder answers too. A
		// checkpoint that does not read is refused here, before the lock;
		// one that reads is read again under the lock by c.train.
		data, _, err := checkpoint.ReadFile(filepath.Join(dir, runCheckpoint), checkpointKin, learner.StateVersion)
		if err != nil {
			return badInput(err)
		}
		if round, err := learner.StateRound(cfg, setup, data); err == nil {
			if stop, err := c.resumeDone(dir, round, f.set("episodes"), setup); stop {
				return err
			}
		}
	} else if dir, err = newRunFolder(dir, s); err != nil {
		return failed(err)
	}
	lock, err := c.lockRunFolder(dir, f.resume)
	if err != nil {
		return err
	}
	defer lock.Release()
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return failed(err)
		}
		defer stop()
	}
	return c.train(s, src, dir, f.resume, f.set("episodes"), f.workers, f.quiet, lock)
}

// set reports whether the command line set flag name.
func (f *trainFlags) set(name string) bool { return flagSet(f.fs, name) }

// check refuses arguments and flags that do not go together or are out
// of range.
func (f *trainFlags) check(files []string) error {
	if len(files) != 1 {
		return badUsage("want one scenario file, got %d arguments", len(files))
	}
	if f.resume && f.set("seed") {
		return badInputf("--seed cannot change a run being resumed (the run keeps the seed it started with)")
	}
	if f.set("episodes") && (f.episodes < 1 || f.episodes > 1e9) {
		return badInputf("--episodes %d: want an integer in [1, 1e9]", f.episodes)
	}
	if f.workers < 1 {
		return badInputf("--workers %d: want ≥ 1", f.workers)
	}
	return nil
}

// scenario reads and checks the scenario file and applies the flags
// that override it (--set, --seed, --episodes). The source it returns is
// the effective scenario, which the run folder records.
func (f *trainFlags) scenario(file string) ([]byte, *scenarios.Scenario, error) {
	src, err := scenarios.ReadFile(file)
	if err != nil {
		return nil, nil, badInput(err)
	}
	s, src, err := scenarios.ParseSet(file, src, f.sets)
	if err != nil {
		return nil, nil, badInput(err)
	}
	if f.set("seed") {
		s.Seed = f.seed
	}
	if f.set("episodes") {
		s.Train.Episodes, s.Train.EpisodesDefault = f.episodes, false
	}
	return src, s, nil
}

// resumeFolder returns the run folder to resume (--out, or the newest
// run of s) after checking that its scenario copy is file's source src,
// and applies the run's record to s.
func (f *trainFlags) resumeFolder(c *context, file string, src []byte, s *scenarios.Scenario) (string, error) {
	dir := f.out
	if dir == "" {
		var err error
		if dir, err = newestRun(s); err != nil {
			return "", badInputf("--resume: %w", err)
		}
	}
	copyPath := filepath.Join(dir, runScenario)
	saved, err := fsutil.ReadRegular(copyPath, scenarios.MaxFileSize)
	if err != nil {
		return "", badInputf("--resume: %w", err)
	}
	if !bytes.Equal(saved, src) {
		return "", badInputf("--resume: %s differs from the run's copy %s; resume with the copy:\n  %s train %s --resume --out %s", file, copyPath, c.prog, copyPath, dir)
	}
	rec, ok, err := readRunRecord(dir)
	if err != nil {
		return "", badInputf("--resume: %w", err)
	}
	if ok {
		if err := applyRecord(s, rec, dir, f.set("episodes")); err != nil {
			return "", badInputf("--resume: %w", err)
		}
	}
	return dir, nil
}

// newRunFolder makes the folder of a new run: dir, or a new
// OUT/NAME-YYYYMMDD-HHMMSS from the scenario's out and name.
func newRunFolder(dir string, s *scenarios.Scenario) (string, error) {
	if dir == "" {
		return newRunDir(s.Out, s.Name, time.Now())
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// lockRunFolder takes the run folder's lock and removes the temporary
// files of an interrupted write. A new run refuses a folder that already
// holds one.
func (c *context) lockRunFolder(dir string, resume bool) (*runlock.Lock, error) {
	lock, stale, err := runlock.Acquire(dir)
	if err != nil {
		var held *runlock.HeldError
		if errors.As(err, &held) {
			return nil, badInput(err)
		}
		return nil, failed(err)
	}
	if stale {
		fmt.Fprintf(c.stderr, "%s: took over the lock of a process that is gone\n", dir)
	}
	if removed, err := checkpoint.RemoveTemps(dir); err != nil {
		lock.Release()
		return nil, failed(err)
	} else if len(removed) > 0 {
		fmt.Fprintf(c.stderr, "%s: removed %d temporary file(s) of an interrupted write: %s\n", dir, len(removed), strings.Join(removed, " "))
	}
	if !resume {
		if _, err := os.Stat(filepath.Join(dir, runCheckpoint)); err == nil {
			lock.Release()
			return nil, badInputf("%s already holds a run; continue it with --resume or choose another --out", dir)
		}
	}
	return lock, nil
}

// startCPUProfile writes a CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
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
		Curriculum: s.Train.Curriculum,
	}
	return s.Algo, setup
}

// resumeDone handles a resume that has nothing to train, given the rounds
// the checkpoint has played: a run whose budget is spent is finished (nil
// error), and an --episodes below the episodes played is refused, since a
// run's budget cannot shrink. stop is false when there is training to do.
func (c *context) resumeDone(dir string, round int, episodesSet bool, setup learner.Setup) (stop bool, err error) {
	envs := setup.ParallelEnvs
	rounds := (setup.Episodes + envs - 1) / envs
	copyPath := filepath.Join(dir, runScenario)
	if episodesSet && rounds < round {
		return true, badInputf("--episodes %d is below the %s per population the run in %s has played; a budget cannot shrink: give more than %d to train longer, or leave --episodes out",
			setup.Episodes, plural(round*envs, "episode"), dir, round*envs)
	}
	if round >= rounds {
		fmt.Fprintf(c.stdout, "the run in %s is finished: %s per population, its whole budget; nothing to do.\nTo train longer, raise the budget:\n  %s train %s --resume --out %s --episodes N\n",
			dir, plural(round*envs, "episode"), c.prog, copyPath, dir)
		return true, nil
	}
	return false, nil
}

package cli

import (
	stdcontext "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/progress"
	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/scenarios"
)

// osExit ends the process on a second interrupt; tests replace it.
var osExit = os.Exit

// stoppedForInterrupt is called once training has stopped for a first
// interrupt, before the final checkpoint is written. It does nothing; tests
// replace it to hold the run there until a second interrupt was handled, so
// that they never depend on how long a round takes or on when the trainer
// looks at its context.
var stoppedForInterrupt = func() {}

// train trains scenario s (whose file holds src) into run folder dir,
// from its checkpoint with resume, holding the folder's lock: it sets up
// the trainer and the folder, then plays the rounds with checkpoints and
// answers interrupts (see trainSession).
func (c *context) train(s *scenarios.Scenario, src []byte, dir string, resume, episodesSet bool, workers int, quiet bool, lock *runlock.Lock) error {
	if err := resolveSettings(s, dir, resume); err != nil {
		return badInput(err)
	}
	cfg, setup := trainConfig(s)
	setup.Workers = workers
	t, err := learner.NewTrainer(cfg, setup)
	if err != nil {
		return badInput(err)
	}
	defer t.Close()
	r := &trainSession{c: c, t: t, name: s.Name, dir: dir, lock: lock, saved: -1, s: s}
	if resume {
		stop, err := r.resume(s, episodesSet, setup)
		if stop || err != nil {
			return err
		}
		r.saved = t.Episode()
	} else if err := r.start(s, src); err != nil {
		return err
	}
	if r.metrics, err = os.OpenFile(r.path(runMetrics), os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return failed(err)
	}
	defer r.metrics.Close()

	verb := "training"
	if resume {
		verb = "resuming at episode " + fmt.Sprint(t.Episode()) + ","
	}
	fmt.Fprintf(c.stderr, "%s %s on %s %s, %s per population at %d parallel envs, seed %d; run folder %s\n",
		verb, cfg.Algorithm(), s.Game.Name, strings.Join(t.Labels(), " "), plural(setup.Episodes, "episode"), setup.ParallelEnvs, setup.Seed, dir)
	if s.Train.EpisodesDefault {
		fmt.Fprintf(c.stderr, "warning: %s sets no train.episodes, so the default of %s per population (the paper's budget) applies: a long run; give --episodes N or --set train.episodes=N for a shorter one\n",
			s.File, thousands(scenarios.DefaultEpisodes)+" episodes")
	}
	r.bar = progress.New(progressOut(c.stderr, quiet), int64(t.Rounds()*setup.ParallelEnvs), "episodes")
	ckptRounds := max(1, (s.Train.CheckpointEvery+setup.ParallelEnvs-1)/setup.ParallelEnvs)
	return r.run(ckptRounds)
}

// trainSession is one process's training of a run folder: the metrics it
// logs, the checkpoints it writes and the interrupts it answers.
type trainSession struct {
	c       *context
	t       *learner.Trainer
	name    string // the scenario's, for the curves
	dir     string
	s       *scenarios.Scenario // what was trained, for the next steps
	lock    *runlock.Lock
	metrics *os.File // metrics.jsonl, appended to
	bar     *progress.Reporter
	history []learner.Metrics // every line of metrics.jsonl, for the curves
	last    learner.Metrics

	// saving is held while a checkpoint is written, so that a second
	// interrupt never stops the process in the middle of one.
	saving sync.Mutex
	saved  int  // episode of the last checkpoint written by this process; -1: none
	over   bool // the final checkpoint is written (set under saving)
}

// path is the path of the run folder's file name.
func (r *trainSession) path(name string) string { return filepath.Join(r.dir, name) }

// start fills a new run folder: the scenario's copy, run.json and an
// empty metrics.jsonl.
func (r *trainSession) start(s *scenarios.Scenario, src []byte) error {
	if err := checkpoint.WriteAtomic(r.path(runScenario), func(w io.Writer) error {
		_, err := w.Write(src)
		return err
	}); err != nil {
		return failed(err)
	}
	if err := writeRunRecord(r.dir, recordOf(s)); err != nil {
		return failed(err)
	}
	if err := os.WriteFile(r.path(runMetrics), nil, 0o644); err != nil {
		return failed(err)
	}
	return nil
}

// resume loads the run folder's checkpoint into the trainer and cuts
// metrics.jsonl back to it; stop is true when there is nothing to train
// (see resumeDone). A new --episodes budget is recorded for later resumes.
func (r *trainSession) resume(s *scenarios.Scenario, episodesSet bool, setup learner.Setup) (stop bool, err error) {
	ckpt := r.path(runCheckpoint)
	payload, _, err := checkpoint.ReadFile(ckpt, checkpointKin, learner.StateVersion)
	if err != nil {
		return true, badInput(err)
	}
	if err := r.t.LoadFrom(payload, r.dir); err != nil {
		return true, badInputf("%s: %w", ckpt, err)
	}
	if stop, err := r.c.resumeDone(r.dir, r.t.Round(), episodesSet, setup); stop {
		return true, err
	}
	var note string
	if r.history, note, err = trimMetrics(r.path(runMetrics), r.t.Episode()); err != nil {
		return true, failed(err)
	}
	if note != "" {
		fmt.Fprintln(r.c.stderr, note)
	}
	if episodesSet {
		// Later resumes keep the new budget.
		if err := writeRunRecord(r.dir, recordOf(s)); err != nil {
			return true, failed(err)
		}
	}
	return false, nil
}

// run plays the rounds, logging metrics and writing a checkpoint every
// ckptRounds rounds, until the budget is spent or an interrupt stops it,
// then writes the final checkpoint and says so.
func (r *trainSession) run(ckptRounds int) error {
	ctx, cancel := stdcontext.WithCancel(stdcontext.Background())
	defer cancel()
	afterRound := func() error {
		r.bar.Set(int64(r.t.Episode()), progressFields(r.t.Labels(), r.last))
		if r.t.Round()%ckptRounds == 0 && r.t.Round() < r.t.Rounds() {
			return r.save()
		}
		return nil
	}
	defer r.watchSignals(cancel)()
	runErr := r.t.Run(ctx, r.log, afterRound)
	r.bar.Finish()
	interrupted := errors.Is(runErr, stdcontext.Canceled)
	if interrupted {
		stoppedForInterrupt()
	}
	if runErr != nil && !interrupted {
		return failed(runErr)
	}
	err := r.save()
	r.saving.Lock()
	r.over = true
	r.saving.Unlock()
	if err != nil {
		return failedf("writing the checkpoint: %w", err)
	}
	if interrupted {
		fmt.Fprintf(r.c.stderr, "interrupted after %s per population; checkpoint written. Continue with:\n  %s train %s --resume --out %s\n",
			plural(r.t.Episode(), "episode"), r.c.prog, r.path(runScenario), r.dir)
		return nil
	}
	r.report()
	return nil
}

// log appends a metrics line to metrics.jsonl and to the history.
func (r *trainSession) log(m learner.Metrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := r.metrics.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing %s: %w", r.path(runMetrics), err)
	}
	r.history = append(r.history, m)
	r.last = m
	return nil
}

// save writes a checkpoint and the curves.
func (r *trainSession) save() error {
	r.saving.Lock()
	defer r.saving.Unlock()
	// The replay buffers go to append-only segment files beside the
	// checkpoint (only what is new since the last one); segments the
	// new checkpoint no longer names are deleted once it is in place.
	if err := checkpoint.WriteFile(r.path(runCheckpoint), checkpointKin, learner.StateVersion, func(w io.Writer) error {
		e := checkpoint.NewEncoder(w)
		return r.t.SaveTo(e, r.dir)
	}); err != nil {
		return err
	}
	if err := r.t.PruneSegments(r.dir); err != nil {
		return err
	}
	r.saved = r.t.Episode()
	return writeCurves(r.path(runCurves), r.name, r.t.Labels(), r.history)
}

// watchSignals answers interrupts until the returned function is called:
// the first stops training (cancel) at the end of the round, with a
// checkpoint; a second stops the process at once, once no checkpoint is
// being written.
func (r *trainSession) watchSignals(cancel func()) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, trainSignals...)
	finished := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-finished:
			return
		}
		fmt.Fprintln(r.c.stderr, "\nstopping: finishing the current round, then writing a checkpoint (interrupt again to stop at once and keep the last checkpoint)")
		cancel()
		select {
		case <-sigs:
		case <-finished:
			return
		}
		r.stopAtOnce()
	}()
	return func() {
		close(finished)
		signal.Stop(sigs)
	}
}

// stopAtOnce ends the process on a second interrupt, saying what the
// last checkpoint holds, unless the run stopped on its own meanwhile.
func (r *trainSession) stopAtOnce() {
	r.saving.Lock()
	defer r.saving.Unlock()
	if r.over {
		return // the run stopped on its own meanwhile, with its checkpoint
	}
	c, copyPath := r.c, r.path(runScenario)
	if r.saved < 0 {
		fmt.Fprintf(c.stderr, "stopped at once; no checkpoint had been written yet, so there is nothing to resume: start again with\n  %s train %s --out %s\n", c.prog, copyPath, r.dir)
	} else if _, _, err := checkpoint.ReadFile(r.path(runCheckpoint), checkpointKin, learner.StateVersion); err != nil {
		fmt.Fprintf(c.stderr, "stopped at once; the last checkpoint does not read back: %v\n", err)
	} else {
		fmt.Fprintf(c.stderr, "stopped at once; the checkpoint of episode %d is intact (checksum verified). Continue with:\n  %s train %s --resume --out %s\n", r.saved, c.prog, copyPath, r.dir)
	}
	r.metrics.Close()
	r.lock.Release()
	osExit(ExitFailure)
}

// report prints what a finished run trained: the last interval's mean
// reward per agent and step of each population (and each type, where a
// population has several).
func (r *trainSession) report() {
	out, last := r.c.stdout, r.last
	fmt.Fprintf(out, "trained %s per population in %s; run folder %s\n", plural(r.t.Episode(), "episode"), formatSeconds(last.WallSeconds), r.dir)
	for _, l := range r.t.Labels() {
		fmt.Fprintf(out, "  %s: mean reward per agent and step %s (last interval)\n", l, fixed4(last.MeanStepReward[l]))
		if by := last.MeanStepRewardByType[l]; len(by) > 1 {
			for _, typ := range sortedKeys(by) {
				fmt.Fprintf(out, "    %s: %s\n", typ, fixed4(by[typ]))
			}
		}
	}
	if note := smokeNote(r.t.Episode()); note != "" {
		fmt.Fprintln(out, note)
	}
	fmt.Fprintf(out, "Next:\n  %s eval --run %s      # play it against the random player and references at every eval population\n", r.c.prog, r.dir)
	if checkRenders(r.s) == nil {
		fmt.Fprintf(out, "  %s render --run %s    # draw an episode as a GIF\n", r.c.prog, r.dir)
	}
}

// smokeBelow is the share of the paper's budget (DefaultEpisodes) below
// which a run is called a smoke test: it shows that training runs, not
// what the method learns.
const smokeBelow = 0.1

// smokeNote says that a budget of episodes per population is a smoke test,
// or "" when it is at least smokeBelow of the paper's.
func smokeNote(episodes int) string {
	share := float64(episodes) / scenarios.DefaultEpisodes
	if share >= smokeBelow {
		return ""
	}
	return fmt.Sprintf("%s per population is a smoke test: %s%% of the paper's %s; raise train.episodes (or give --episodes) to learn the task",
		plural(episodes, "episode"), strconv.FormatFloat(100*share, 'g', 2, 64), thousands(scenarios.DefaultEpisodes))
}

// thousands writes n with commas between groups of three digits: 80,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

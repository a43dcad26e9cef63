package cli

import (
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mrasim/mrasim/league"
)

// evalSignals are the signals that stop an evaluation. Tests may replace it.
var evalSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// check refuses eval flags that are out of range or repeat a run or
// population.
func (f *evalFlags) check() error {
	if f.workers < 1 {
		return badInputf("--workers %d: want ≥ 1", f.workers)
	}
	if err := checkEvalSets(f.sets); err != nil {
		return err
	}
	if flagSet(f.fs, "episodes") && (f.episodes < 1 || f.episodes > 1e9) {
		return badInputf("--episodes %d: want an integer in [1, 1e9]", f.episodes)
	}
	if flagSet(f.fs, "populations") && len(strings.Fields(strings.Join(f.pops, " "))) == 0 {
		return badInputf(`--populations %q: name at least one population, e.g. --populations "3 6 12"`, strings.Join(f.pops, " "))
	}
	paths, labels := map[string]string{}, map[string]string{}
	for _, r := range f.runs {
		abs, err := filepath.Abs(r)
		if err != nil {
			abs = filepath.Clean(r)
		}
		if first, ok := paths[abs]; ok {
			return badInputf("--run %s is given twice (also as %s); name each run once", r, first)
		}
		paths[abs] = r
		label := filepath.Base(filepath.Clean(r))
		if first, ok := labels[label]; ok {
			return badInputf("--run %s and --run %s have the same name %q, which names their rows in the report; rename or copy one", first, r, label)
		}
		labels[label] = r
	}
	return nil
}

// maxLatents is the largest latent count of the entries (1 for none).
func maxLatents(entries []league.Entry) int {
	k := 1
	for _, e := range entries {
		if r, ok := e.(*league.Run); ok {
			k = max(k, r.Settings.Schedule().Latents)
		}
	}
	return k
}

// adaptMemory is the largest adaptation shape the entries' algorithms
// register (learner.Algorithm.AdaptMemory).
func adaptMemory(entries []league.Entry) learner.AdaptMemory {
	var m learner.AdaptMemory
	for _, e := range entries {
		r, ok := e.(*league.Run)
		if !ok {
			continue
		}
		if a, err := learner.Lookup(r.Settings.Algorithm()); err == nil && a.AdaptMemory != nil {
			m.Copies = max(m.Copies, a.AdaptMemory.Copies)
			m.BytesPerRow = max(m.BytesPerRow, a.AdaptMemory.BytesPerRow)
		}
	}
	return m
}

// adaptEpisodes is the episodes per adaptation step, 0 without adaptation.
func adaptEpisodes(o league.Options) int {
	if o.AdaptSteps <= 0 {
		return 0
	}
	return o.AdaptEpisodes
}

// evalOutputDir makes the report folder before the work: out, or a new
// eval-YYYYMMDD-HHMMSS[-i] in the first run's folder. created says the
// folder is new, so that it can be removed if nothing is written to it.
func evalOutputDir(out, firstRun string) (dir string, created bool, err error) {
	if out == "" {
		dir, err := newRunDir(firstRun, "eval", time.Now())
		return dir, err == nil, err
	}
	if st, err := os.Stat(out); err == nil {
		if !st.IsDir() {
			return "", false, fmt.Errorf("--out %s: not a folder", out)
		}
		return out, false, checkWritable(filepath.Join(out, "results.json"))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", false, err
	}
	return out, true, nil
}

// checkWritable checks that a file can be written at path, without
// changing an existing one and without leaving a new one behind.
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		return f.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(path)
}

// playInterruptibly plays the league until it ends or a signal of
// evalSignals arrives (interrupted is then true and the league's goroutines
// are abandoned: the process is about to exit).
func playInterruptibly(entries []league.Entry, opts league.Options) (rep *league.Report, interrupted bool, err error) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, evalSignals...)
	defer signal.Stop(sigs)
	type result struct {
		rep *league.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := league.Play(entries, opts)
		done <- result{rep, err}
	}()
	select {
	case r := <-done:
		return r.rep, false, r.err
	case <-sigs:
		return nil, true, nil
	}
}

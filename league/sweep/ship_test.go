package sweep_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league/jobs"
	"github.com/mrasim/mrasim/league/sweep"
)

// remote is a runner whose jobs see nothing of the submitting process:
// it drops the batch's in-process values, as a runner that sends jobs to
// other machines does, so handlers come from SetWorkerHandlers and
// folders must travel as blobs.
type remote struct{ jobs.Local }

func (r remote) Run(ctx context.Context, b jobs.Batch, progress func(jobs.Progress)) (map[string][]byte, error) {
	b.Local = nil
	return r.Local.Run(ctx, b, progress)
}

// fileHandlers train by appending a line to the run folder's checkpoint
// (a resumed run continues it) and evaluate by reading the checkpoint back
// and writing a report into the evaluation folder: results depend on the
// folders' content, so a folder that did not travel shows.
func fileHandlers() sweep.Handlers {
	return sweep.Handlers{
		Train: func(j sweep.TrainJob) (sweep.TrainResult, error) {
			path := filepath.Join(j.Dir, "checkpoint")
			old, _ := os.ReadFile(path)
			if err := os.MkdirAll(j.Dir, 0o755); err != nil {
				return sweep.TrainResult{}, err
			}
			if err := os.WriteFile(path, append(old, j.Source...), 0o644); err != nil {
				return sweep.TrainResult{}, err
			}
			// A hidden file (the run lock) stays behind.
			os.WriteFile(filepath.Join(j.Dir, ".lock"), nil, 0o644)
			return sweep.TrainResult{Run: j.Run, Episodes: 10, Budget: 10, Finished: true, Resumed: len(old) > 0}, nil
		},
		Eval: func(j sweep.EvalJob) (sweep.EvalResult, error) {
			var ckpt []byte
			if j.RunDir != "" {
				var err error
				if ckpt, err = os.ReadFile(filepath.Join(j.RunDir, "checkpoint")); err != nil {
					return sweep.EvalResult{}, err
				}
			}
			if err := os.MkdirAll(filepath.Join(j.Dir, "sub"), 0o755); err != nil {
				return sweep.EvalResult{}, err
			}
			if err := os.WriteFile(filepath.Join(j.Dir, "sub", "report.md"), ckpt, 0o644); err != nil {
				return sweep.EvalResult{}, err
			}
			v := float64(len(ckpt)) + float64(j.EvalSeed%1000)
			return sweep.EvalResult{Outcomes: []sweep.Outcome{{Scenario: j.Scenario, Algo: j.Algo, Seed: j.Seed, Population: "walkers=2", Agents: 2, Values: map[string]float64{"return": v}}}}, nil
		},
	}
}

// TestExecuteShipsFolders runs a sweep three ways — in place, shipped
// through the blobs of a local runner, and shipped to "remote" jobs that
// get their handlers from SetWorkerHandlers — and checks that the run
// folders on disk and the report are the same, and that a second sweep
// resumes from the folders written back.
func TestExecuteShipsFolders(t *testing.T) {
	sweep.SetWorkerHandlers(func(context.Context) sweep.Handlers { return fileHandlers() })
	defer sweep.SetWorkerHandlers(nil)
	read := func(root string) map[string]string {
		files := map[string]string{}
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(path)
				rel, _ := filepath.Rel(root, path)
				files[filepath.ToSlash(rel)] = string(data)
			}
			return nil
		})
		return files
	}
	var first map[string]string
	var firstRows []sweep.Row
	for _, tc := range []struct {
		name   string
		runner jobs.Runner
		ship   bool
	}{
		{"in place", jobs.Local{Workers: 2}, false},
		{"shipped", jobs.Local{Workers: 2}, true},
		{"remote", remote{jobs.Local{Workers: 3}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan()
			p.Out = t.TempDir()
			for range 2 { // the second sweep resumes every run
				if _, err := sweep.Execute(p, sweep.Options{Runner: tc.runner, Handlers: fileHandlers(), Ship: tc.ship}); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := sweep.Execute(p, sweep.Options{Runner: tc.runner, Handlers: fileHandlers(), Ship: tc.ship})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Runs {
				if !r.Resumed {
					t.Errorf("run %s/%s/%d was not resumed from its folder", r.Scenario, r.Algo, r.Seed)
				}
			}
			files := read(p.Out)
			ckpt := files["sc/mra/seed-5/checkpoint"]
			if ckpt != "mra-5mra-5mra-5" || files["sc/mra/seed-5/eval/sub/report.md"] != ckpt {
				t.Errorf("checkpoint %q, report %q", ckpt, files["sc/mra/seed-5/eval/sub/report.md"])
			}
			if _, ok := files["sc/mra/seed-5/.lock"]; ok == tc.ship {
				t.Errorf("lock file shipped: %v", ok)
			}
			delete(files, "sc/mra/seed-5/.lock")
			for k := range files {
				if strings.HasSuffix(k, ".lock") {
					delete(files, k)
				}
			}
			if first == nil {
				first, firstRows = files, rep.Rows
				return
			}
			if !reflect.DeepEqual(files, first) {
				t.Errorf("folders differ from the in-place sweep:\n%v\n%v", files, first)
			}
			if !reflect.DeepEqual(rep.Rows, firstRows) {
				t.Error("rows differ from the in-place sweep")
			}
		})
	}
}

// TestExecuteShipNeedsBlobRunner checks that a runner that cannot hand
// back job outputs fails the jobs with a message saying so.
func TestExecuteShipNeedsBlobRunner(t *testing.T) {
	p := plan()
	p.Out = t.TempDir()
	_, err := sweep.Execute(p, sweep.Options{Runner: noBlobs{}, Handlers: fileHandlers(), Ship: true})
	if !errors.Is(err, sweep.ErrFailed) || !strings.Contains(err.Error(), "cannot hand back job outputs") {
		t.Errorf("got %v", err)
	}
}

type noBlobs struct{}

func (noBlobs) Run(ctx context.Context, b jobs.Batch, progress func(jobs.Progress)) (map[string][]byte, error) {
	return jobs.Local{}.Run(ctx, b, progress)
}

// TestWorkerRefusesHostPaths: a job arriving at a worker (no in-process
// values) that names a folder of its own — run in place (ship false), or
// shipped with a dir — is refused as a terminal failure, and nothing is
// written where it says.
func TestWorkerRefusesHostPaths(t *testing.T) {
	sweep.SetWorkerHandlers(func(context.Context) sweep.Handlers { return fileHandlers() })
	defer sweep.SetWorkerHandlers(nil)
	victim := filepath.Join(t.TempDir(), "victim")
	for _, tc := range []struct {
		name, kind, payload string
	}{
		{"train in place", sweep.KindTrain, `{"version":1,"job":{"run":"x","file":"x.toml","source":"","dir":"` + victim + `"}}`},
		{"train in place, no dir", sweep.KindTrain, `{"version":1,"job":{"run":"x","file":"x.toml","source":""},"ship":false}`},
		{"shipped train with a dir", sweep.KindTrain, `{"version":1,"job":{"run":"x","file":"x.toml","source":"","dir":"` + victim + `"},"ship":true}`},
		{"eval in place", sweep.KindEval, `{"version":1,"job":{"scenario":"s","algo":"a","file":"x.toml","source":"","dir":"` + victim + `"}}`},
		{"shipped eval with a dir", sweep.KindEval, `{"version":1,"job":{"scenario":"s","algo":"a","file":"x.toml","source":"","dir":"` + victim + `"},"ship":true}`},
		{"shipped eval with a run path", sweep.KindEval, `{"version":1,"job":{"scenario":"s","algo":"a","file":"x.toml","source":"","run_dir":"` + victim + `"},"ship":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobs.Handle(context.Background(), jobs.Env{}, jobs.Job{ID: "j", Kind: tc.kind, Payload: []byte(tc.payload)})
			if !errors.Is(err, jobs.ErrRefused) {
				t.Errorf("error %v, want a refusal", err)
			}
			if _, err := os.Stat(victim); !os.IsNotExist(err) {
				t.Errorf("the job wrote %s (%v)", victim, err)
			}
		})
	}
}

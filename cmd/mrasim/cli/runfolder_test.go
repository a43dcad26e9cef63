package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/runlock"
	"github.com/mrasim/mrasim/scenarios"
)

// segmentNames returns the replay segment files in run folder dir.
func segmentNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".seg") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestGlobCharactersInRunFolders: a run folder whose name holds glob
// characters trains and prunes its own replay segments only, never a
// sibling's that the name would match as a pattern.
func TestGlobCharactersInRunFolders(t *testing.T) {
	dir, scenario := tinyScenario(t)
	sibling := filepath.Join(dir, "exp1")
	if _, errOut, code := runCLI("train", scenario, "--out", sibling, "--quiet", "--episodes", "12"); code != ExitOK {
		t.Fatalf("train %s: code %d\n%s", sibling, code, errOut)
	}
	// Its last segment (episodes 8 … 12) has a name no run of 24
	// episodes checkpointed every 8 writes.
	before := segmentNames(t, sibling)
	if len(before) == 0 {
		t.Fatal("the sibling run wrote no replay segments")
	}
	for _, name := range []string{"exp?", "exp*", "a[1", "exp[0-9]"} {
		t.Run(name, func(t *testing.T) {
			run := filepath.Join(dir, name)
			if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "24"); code != ExitOK {
				t.Fatalf("train --out %s: code %d\n%s", run, code, errOut)
			}
			if len(segmentNames(t, run)) == 0 {
				t.Errorf("%s holds no replay segments", run)
			}
			if got := segmentNames(t, sibling); strings.Join(got, " ") != strings.Join(before, " ") {
				t.Errorf("training into %s changed the sibling's segments: %v, were %v", run, got, before)
			}
		})
	}
	if _, errOut, code := runCLI("train", filepath.Join(sibling, runScenario), "--resume", "--out", sibling, "--quiet", "--episodes", "16"); code != ExitOK {
		t.Fatalf("the sibling run does not resume: code %d\n%s", code, errOut)
	}
}

// TestNewestRunTakesPathsLiterally: --resume without --out finds the run
// under an out folder whose name holds glob characters, and only there.
func TestNewestRunTakesPathsLiterally(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct{ out, want string }{
		{"runs[1", "runs[1/x-20260101-000000"},
		{"runs?", "runs?/x-20260101-000000-2"},
		{"runs*", ""},
	} {
		t.Run(tc.out, func(t *testing.T) {
			out := filepath.Join(root, tc.out)
			os.MkdirAll(out, 0o755)
			if tc.want != "" {
				for _, d := range []string{filepath.Join(root, tc.want), filepath.Join(out, "x-20260101-000000")} {
					os.MkdirAll(d, 0o755)
					os.WriteFile(filepath.Join(d, runCheckpoint), nil, 0o644)
				}
			}
			// A sibling a pattern built from out would match.
			other := filepath.Join(root, "runs1", "x-20260102-000000")
			os.MkdirAll(other, 0o755)
			os.WriteFile(filepath.Join(other, runCheckpoint), nil, 0o644)
			s := &scenarios.Scenario{Name: "x", Out: out}
			got, err := newestRun(s)
			if tc.want == "" {
				if err == nil {
					t.Errorf("found %s in an out folder without runs", got)
				}
				return
			}
			if err != nil || got != filepath.Join(root, tc.want) {
				t.Errorf("newestRun = %q, %v; want %s", got, err, filepath.Join(root, tc.want))
			}
		})
	}
}

// copyRun copies the files of run folder src into a new folder and
// returns it.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// runWithin runs the command line args and fails the test when it has not
// ended after a generous deadline (a read blocked on a FIFO never does).
func runWithin(t *testing.T, fifo string, args ...string) (string, int) {
	t.Helper()
	type result struct {
		errOut string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, errOut, code := runCLI(args...)
		done <- result{errOut, code}
	}()
	select {
	case r := <-done:
		return r.errOut, r.code
	case <-time.After(60 * time.Second):
		// Let the blocked reader go so that the test binary ends.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatalf("%v: still running after 60 s", args)
		return "", 0
	}
}

// TestFIFOsInARunFolderAreRefused: a FIFO in place of any file of a run
// folder makes train --resume, eval and render stop at once with a message
// naming it, instead of waiting for a writer.
func TestFIFOsInARunFolderAreRefused(t *testing.T) {
	_, run := trainTiny(t)
	segs := segmentNames(t, run)
	if len(segs) == 0 {
		t.Fatal("no replay segments")
	}
	files := []string{runCheckpoint, runRecordFile, runScenario, runMetrics, segs[0]}
	for _, name := range files {
		for _, cmd := range []string{"resume", "eval", "render"} {
			// eval and render read no metrics or segments.
			if cmd != "resume" && (name == runMetrics || name == segs[0]) {
				continue
			}
			t.Run(name+"/"+cmd, func(t *testing.T) {
				dir := copyRun(t, run)
				path := filepath.Join(dir, name)
				scenario := filepath.Join(t.TempDir(), "tiny.toml")
				b, _ := os.ReadFile(filepath.Join(dir, runScenario))
				os.WriteFile(scenario, b, 0o644)
				os.Remove(path)
				if err := syscall.Mkfifo(path, 0o644); err != nil {
					t.Skipf("no FIFO here: %v", err)
				}
				var args []string
				switch cmd {
				case "resume":
					args = []string{"train", scenario, "--resume", "--out", dir, "--quiet", "--episodes", "12"}
				case "eval":
					args = []string{"eval", "--run", dir, "--quiet", "--out", t.TempDir()}
				case "render":
					args = []string{"render", "--run", dir}
				}
				errOut, code := runWithin(t, path, args...)
				if code == ExitOK || !strings.Contains(errOut, path) || !strings.Contains(errOut, "not a regular file") {
					t.Errorf("%v: code %d, want a refusal naming %s as not a regular file:\n%s", args, code, path, errOut)
				}
			})
		}
	}
}

// TestBadMetricsLineKeepsTheRest: a line that does not decode in the middle
// of metrics.jsonl costs that line only; resume keeps every valid line up
// to the checkpoint's episode and says what it dropped and why.
func TestBadMetricsLineKeepsTheRest(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(lines []string) []string
		want []float64 // episodes after resuming to 12
		note []string
	}{
		{"bad line in the middle", func(l []string) []string { return []string{l[0], `{"episode":4,"mean_st`, l[1]} },
			[]float64{4, 8, 12}, []string{"dropped 1 line(s) that do not decode (line 2)"}},
		{"garbage line first", func(l []string) []string { return []string{"\x00\x00\x00", l[0], l[1]} },
			[]float64{4, 8, 12}, []string{"dropped 1 line(s) that do not decode (line 1)"}},
		{"bad line and a line past the checkpoint", func(l []string) []string {
			return []string{l[0], "not json", l[1], `{"episode":12}`}
		}, []float64{4, 8, 12}, []string{"dropped 1 line(s) that do not decode (line 2)", "dropped 1 line(s) after the checkpoint's episode 8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, run := trainTiny(t)
			path := filepath.Join(run, runMetrics)
			whole, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSuffix(string(whole), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d metrics lines, want 2", len(lines))
			}
			os.WriteFile(path, []byte(strings.Join(tc.edit(lines), "\n")+"\n"), 0o644)
			_, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "12")
			if code != ExitOK {
				t.Fatalf("resume: code %d\n%s", code, errOut)
			}
			for _, n := range tc.note {
				if !strings.Contains(errOut, n) {
					t.Errorf("the note does not say %q:\n%s", n, errOut)
				}
			}
			if len(tc.note) == 1 && strings.Contains(errOut, "after the checkpoint") {
				t.Errorf("the note blames the checkpoint:\n%s", errOut)
			}
			var got []float64
			for _, m := range readMetrics(t, path) {
				got = append(got, m["episode"].(float64))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("episodes after resuming %v, want %v", got, tc.want)
			}
		})
	}
}

// TestForeignCheckpointIsRefused: eval and render refuse a checkpoint that
// another run wrote (here one of seed 5 copied into a run of seed 1), as
// resume does, naming the setting that differs.
func TestForeignCheckpointIsRefused(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	own, other := filepath.Join(dir, "seed1"), filepath.Join(dir, "seed5")
	for _, c := range []struct{ run, seed string }{{own, "1"}, {other, "5"}} {
		if _, errOut, code := runCLI("train", scenario, "--out", c.run, "--quiet", "--seed", c.seed); code != ExitOK {
			t.Fatalf("train --seed %s: code %d\n%s", c.seed, code, errOut)
		}
	}
	for _, name := range append(segmentNames(t, other), runCheckpoint) {
		b, err := os.ReadFile(filepath.Join(other, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(own, name), b, 0o644)
	}
	for _, args := range [][]string{
		{"eval", "--run", own, "--quiet", "--out", filepath.Join(dir, "report")},
		{"render", "--run", own, "--out", filepath.Join(dir, "x.gif")},
		{"train", filepath.Join(own, runScenario), "--resume", "--out", own, "--quiet", "--episodes", "16"},
	} {
		_, errOut, code := runCLI(args...)
		if code != ExitUsage || !strings.Contains(errOut, "the checkpoint is of a run with seed 5, this scenario has 1") {
			t.Errorf("%v: code %d, want %d and a message naming the seeds:\n%s", args, code, ExitUsage, errOut)
		}
	}
}

// TestRecordEditNamesTheKey: an edit of an [algo] setting in run.json is
// refused naming the key, its two values and both files, not dumping the
// tables or blaming the scenario copy alone.
func TestRecordEditNamesTheKey(t *testing.T) {
	_, run := trainTiny(t)
	path := filepath.Join(run, runRecordFile)
	b, _ := os.ReadFile(path)
	edited := strings.Replace(string(b), `"variant": "official"`, `"variant": "corrected"`, 1)
	if edited == string(b) {
		t.Fatalf("run.json has no official variant:\n%s", b)
	}
	os.WriteFile(path, []byte(edited), 0o644)
	want := `algo.variant is "official" in scenario.toml, "corrected" in run.json; one of them was edited after the run started`
	for _, args := range [][]string{
		{"train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", "12"},
		{"eval", "--run", run, "--episodes", "2", "--br-episodes", "0", "--quiet", "--out", filepath.Join(t.TempDir(), "rep")},
	} {
		_, errOut, code := runCLI(args...)
		if code != ExitUsage || !strings.Contains(errOut, want) || !strings.Contains(errOut, path) {
			t.Errorf("%s: code %d, want %d and %q naming %s:\n%s", args[0], code, ExitUsage, want, path, errOut)
		}
		if strings.Contains(errOut, "{") || len(errOut) > 600 {
			t.Errorf("%s: the message dumps the tables (%d bytes):\n%s", args[0], len(errOut), errOut)
		}
	}
}

func TestAlgoKey(t *testing.T) {
	for field, key := range map[string]string{
		"Variant": "variant", "PolicyLR": "pi_lr", "CriticLR": "q_lr", "BatchSize": "batch_size", "MetaLR": "meta_lr",
		"TargetActionAtObs": "target_action_at_obs", "Precision": "precision",
	} {
		if got := algoKey(field); got != key {
			t.Errorf("algoKey(%s) = %s, want %s", field, got, key)
		}
	}
}

// TestRenderSizeZeroIsRefused: --size 0 is out of range like any other
// size below 64, not a silent 480.
func TestRenderSizeZeroIsRefused(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	out := filepath.Join(dir, "x.gif")
	for _, size := range []string{"0", "-1", "63", "4097"} {
		_, errOut, code := runCLI("render", scenario, "--size", size, "--out", out)
		if code != ExitUsage || !strings.Contains(errOut, "size "+size+" pixels, want 64 … 4096") {
			t.Errorf("--size %s: code %d\n%s", size, code, errOut)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--size %s wrote %s", size, out)
			os.Remove(out)
		}
	}
}

// TestRolloutRefusesARepeatedPopulation: a population given twice (in any
// spelling) is refused, as eval refuses it; different ones are fine.
func TestRolloutRefusesARepeatedPopulation(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyResource), 0o644)
	for _, tc := range []struct {
		pops []string
		want string
	}{
		{[]string{"agents=3", "agents=3"}, "--population agents=3 and --population agents=3 are the same population"},
		{[]string{"agents=3", "agents=4", "3"}, "--population agents=3 and --population 3 are the same population"},
		{[]string{"agents=3", "agents=4"}, ""},
	} {
		args := []string{"rollout", scenario, "--episodes", "1"}
		for _, p := range tc.pops {
			args = append(args, "--population", p)
		}
		_, errOut, code := runCLI(args...)
		if tc.want == "" {
			if code != ExitOK {
				t.Errorf("%v: code %d\n%s", tc.pops, code, errOut)
			}
			continue
		}
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, want %d and %q:\n%s", tc.pops, code, ExitUsage, tc.want, errOut)
		}
	}
}

// TestFinishedRunResumesWithoutTheLock: resuming a finished run says so and
// exits 0 without taking the lock, so a read-only run folder, or one that
// another process holds, answers too.
func TestFinishedRunResumesWithoutTheLock(t *testing.T) {
	_, run := trainTiny(t)
	l, _, err := runlock.Acquire(run)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	out, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet")
	if code != ExitOK || !strings.Contains(out, "is finished: 8 episodes per population") {
		t.Errorf("resume of a finished run while the lock is held: code %d\n%s%s", code, out, errOut)
	}
	l.Release()
	if os.Geteuid() == 0 {
		return // root writes into read-only folders
	}
	os.Chmod(run, 0o555)
	defer os.Chmod(run, 0o755)
	out, errOut, code = runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet")
	if code != ExitOK || !strings.Contains(out, "is finished") {
		t.Errorf("resume of a finished run in a read-only folder: code %d\n%s%s", code, out, errOut)
	}
}

// TestEpisodesBelowWhatIsDoneIsRefused: --episodes below the episodes a run
// has played is refused with a message saying so, and changes nothing; a
// budget equal to what is done finds the run finished.
func TestEpisodesBelowWhatIsDoneIsRefused(t *testing.T) {
	_, run := trainTiny(t) // 8 episodes at 4 parallel envs
	record, _ := os.ReadFile(filepath.Join(run, runRecordFile))
	for _, tc := range []struct {
		episodes string
		code     int
		want     string
	}{
		{"4", ExitUsage, "--episodes 4 is below the 8 episodes per population the run in " + run + " has played"},
		{"1", ExitUsage, "--episodes 1 is below the 8 episodes"},
		{"8", ExitOK, "is finished: 8 episodes per population"},
		{"7", ExitOK, "is finished: 8 episodes per population"}, // 2 rounds of 4 as well
	} {
		out, errOut, code := runCLI("train", filepath.Join(run, runScenario), "--resume", "--out", run, "--quiet", "--episodes", tc.episodes)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("--episodes %s: code %d, want %d and %q:\n%s%s", tc.episodes, code, tc.code, tc.want, out, errOut)
		}
		if now, _ := os.ReadFile(filepath.Join(run, runRecordFile)); string(now) != string(record) {
			t.Errorf("--episodes %s changed run.json:\n%s", tc.episodes, now)
		}
	}
}

// TestSnakeKeys: a record of the days when run.json named settings by Go
// field names reads under the scenario's keys; a current one is unchanged.
func TestSnakeKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"Name":"mra","PolicyLR":0.001,"MetaLR":0.1}`, `{"meta_lr":0.1,"name":"mra","pi_lr":0.001}`},
		{`{"name":"mra","pi_lr":0.001}`, `{"name":"mra","pi_lr":0.001}`},
		{`not json`, `not json`},
	} {
		if got := string(snakeKeys([]byte(tc.in))); got != tc.want {
			t.Errorf("snakeKeys(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

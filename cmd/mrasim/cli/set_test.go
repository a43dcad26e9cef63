package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEvalSets(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want string // "" when accepted here (ParseSet checks the rest)
	}{
		{"eval.episodes=50", ""},
		{"eval.br.test_episodes=600", ""},
		{" eval.populations = [3, 6]", ""},
		{"eval={episodes = 5}", ""},
		{"train.episodes=5", "--set train.episodes=5: eval overrides only evaluation keys (eval.*, such as eval.episodes=50), not train.episodes: a run's game, training and algorithm are fixed by its checkpoint; give train.episodes to train"},
		{"algo.latents=1", "not algo.latents"},
		{"game.params.cost=0.3", "not game.params.cost"},
		{"seed=3", "not seed"},
		{"evaluation.x=1", "not evaluation.x"},
		{"eval.episodes", ""}, // no value: ParseSet says want KEY=VALUE
	} {
		err := checkEvalSets([]string{tc.set})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkEvalSets(%q) = %v, want %q", tc.set, err, tc.want)
		}
	}
}

// TestEvalSet checks eval --set on a trained run: an [eval] key of the
// run's scenario copy is overridden, checked as in the file (the message
// names the key, the value, what is allowed and the --set), and keys
// outside [eval] are refused before any run is read.
func TestEvalSet(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyTrain+"[eval]\npopulations = [2, 5]\nepisodes = 6\nadapt_steps = 1\nadapt_episodes = 2\nbr_episodes = 0\n"), 0o644)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	for i, tc := range []struct {
		sets    []string
		code    int
		want    []string
		notWant string
	}{
		{[]string{"eval.populations=[2, 4]", "eval.episodes=3"}, ExitOK, []string{"walkers=4", "Budget: 3 evaluation episodes"}, "walkers=5"},
		{[]string{"eval.episodes=0"}, ExitUsage, []string{"scenario.toml: eval.episodes: 0 is out of range: want an integer in [1, 1e+09] (from --set eval.episodes=0)"}, ""},
		{[]string{"eval.episdes=3"}, ExitUsage, []string{`eval.episdes: unknown key (did you mean "eval.episodes"?)`, "(from --set eval.episdes=3)"}, ""},
		{[]string{"eval.nashconv=maybe"}, ExitUsage, []string{`eval.nashconv: "maybe" is not allowed: want one of auto, exact, br, off (from --set eval.nashconv=maybe)`}, ""},
		{[]string{"train.episodes=5"}, ExitUsage, []string{"eval overrides only evaluation keys"}, ""},
		{[]string{"eval.populations=[2, 4]"}, ExitOK, []string{"walkers=2", "walkers=3"}, "walkers=4"}, // --populations wins over --set
	} {
		args := []string{"eval", "--run", run, "--quiet", "--out", filepath.Join(dir, "report", string(rune('a'+i)))}
		for _, s := range tc.sets {
			args = append(args, "--set", s)
		}
		if i == 5 {
			args = append(args, "--populations", "2 3")
		}
		out, errOut, code := runCLI(args...)
		if code != tc.code {
			t.Errorf("%v: code %d, want %d\n%s%s", tc.sets, code, tc.code, out, errOut)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out+errOut, w) {
				t.Errorf("%v: output lacks %q:\n%s%s", tc.sets, w, out, errOut)
			}
		}
		if tc.notWant != "" && strings.Contains(out, tc.notWant) {
			t.Errorf("%v: output has %q:\n%s", tc.sets, tc.notWant, out)
		}
	}
}

// TestSweepSet checks sweep --set: it changes every scenario of the grid
// (the runs' documents record it), a key the grid sets for every run is
// refused naming the --set, and a training key changed into the folder
// of finished runs is refused run by run.
func TestSweepSet(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(strings.Replace(sweepGrid, "seeds = [1, 2]", "seeds = [3]", 1)), 0o644)

	stdout, errOut, code := runCLI("sweep", grid, "--dry-run", "--set", "train.episodes=8", "--set", "algo.resamples=1")
	if code != ExitOK || !strings.Contains(stdout, "walk/mra/seed-3") || !strings.Contains(stdout, "8 episodes per population") {
		t.Errorf("dry run with --set: code %d\n%s%s", code, stdout, errOut)
	}
	for _, tc := range []struct{ set, want string }{
		{"eval.episodes=3", "--set eval.episodes=3: the grid's [eval] sets eval.episodes for every run, which overrides the scenarios: change it in the grid"},
		{"seed=9", "--set seed=9: the grid's seeds set every run's seed"},
		{"train.episodes=0", "walk.toml: train.episodes: 0 is out of range: want an integer in [1, 1e+09] (from --set train.episodes=0)"},
	} {
		_, errOut, code := runCLI("sweep", grid, "--out", filepath.Join(dir, "bad"), "--set", tc.set)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("--set %s: code %d, stderr:\n%s\nwant %s", tc.set, code, errOut, tc.want)
		}
		if exists(filepath.Join(dir, "bad")) {
			t.Errorf("--set %s: a refused sweep started runs", tc.set)
		}
	}

	out := filepath.Join(dir, "out")
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "1", "--set", "train.episodes=8"); code != ExitOK {
		t.Fatalf("sweep --set: code %d\n%s", code, errOut)
	}
	for _, run := range []string{"walk/mra/seed-3", "walk/single/seed-3"} {
		saved, err := os.ReadFile(filepath.Join(out, run, runScenario))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(saved), "episodes = 8") {
			t.Errorf("%s/%s does not record train.episodes = 8:\n%s", run, runScenario, saved)
		}
	}
	// The same overrides again: everything is finished, nothing retrained.
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--set", "train.episodes=8"); code != ExitOK || !strings.Contains(errOut, "0 trained, 0 resumed, 2 finished before") {
		t.Errorf("the same sweep again: code %d\n%s", code, errOut)
	}
	// Another training key into the same folder is refused run by run:
	// its runs would train other settings than the folders hold.
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--set", "train.episodes=8", "--set", "algo.batch_size=16"); code != ExitFailure || !strings.Contains(errOut, "holds a run trained from another scenario") {
		t.Errorf("another training key into the same folder: code %d\n%s", code, errOut)
	}
}

func TestContinueCommand(t *testing.T) {
	got := continueCommand("mrasim", "experiments/quick.toml", "/tmp/a b", []string{"train.episodes=48", "eval.populations=[3, 6]"})
	want := "mrasim sweep experiments/quick.toml --out '/tmp/a b' --set train.episodes=48 --set 'eval.populations=[3, 6]'"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"train.episodes=8":        "train.episodes=8",
		"eval.populations=[3, 6]": "'eval.populations=[3, 6]'",
		`game.params.x="it's"`:    `'game.params.x="it'\''s"'`,
		"":                        "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalRunsALeague trains two tiny runs of the line game (MRA and the
// single-population baseline) and evaluates them with the random player at
// a seen and an unseen size.
func TestEvalRunsALeague(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny.toml")
	os.WriteFile(scenario, []byte(tinyTrain+"[eval]\npopulations = [2, 5]\nepisodes = 6\nadapt_steps = 2\nadapt_episodes = 3\nbr_episodes = 30\n"), 0o644)
	single := filepath.Join(dir, "single.toml")
	os.WriteFile(single, []byte(strings.Replace(tinyTrain, `populations = ["walkers=2", "walkers=3"]`, `populations = ["walkers=2"]`, 1)+"name = \"single\"\n"), 0o644)
	runA, runB := filepath.Join(dir, "mra-run"), filepath.Join(dir, "single-run")
	if _, errOut, code := runCLI("train", scenario, "--out", runA, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	if _, errOut, code := runCLI("train", single, "--out", runB, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	out := filepath.Join(dir, "report")
	stdout, errOut, code := runCLI("eval", "--run", runA, "--run", runB, "--out", out, "--quiet", "--json", filepath.Join(dir, "extra.json"))
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, w := range []string{"walkers=2", "walkers=5", "mra-run", "single-run", "random", "(lower bound from the deviations found", "would find ≥", "adaptation, test episodes"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("eval output lacks %q:\n%s", w, stdout)
		}
	}
	for _, f := range []string{"report.md", "results.csv", "results.json", "nashconv.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Population string   `json:"population"`
			Name       string   `json:"name"`
			Algo       string   `json:"algo"`
			Seen       bool     `json:"seen"`
			Adapted    *float64 `json:"adapted_return_mean"`
			Method     string   `json:"nashconv_method"`
			NashConv   float64  `json:"nashconv"`
			Bound      *float64 `json:"nashconv_lower_bound"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2*3 {
		t.Fatalf("%d results, want 2 populations × 3 entries", len(rep.Results))
	}
	for _, r := range rep.Results {
		// MRA is adapted where it was not trained (walkers=5), nowhere else.
		wantAdapted := r.Algo == "mra" && r.Population == "walkers=5"
		if (r.Adapted != nil) != wantAdapted {
			t.Errorf("%s at %s: adapted %v, want adaptation %v", r.Name, r.Population, r.Adapted, wantAdapted)
		}
		if r.NashConv < 0 || (r.Bound != nil && r.Method == "lower bound from the deviations found" && r.NashConv != max(0, *r.Bound)) {
			t.Errorf("%s at %s: NashConv %v with lower bound %v: never negative, the lower bound clipped at 0", r.Name, r.Population, r.NashConv, r.Bound)
		}
		if r.Name == "mra-run" && r.Seen != (r.Population == "walkers=2") {
			t.Errorf("mra-run at %s: seen %v", r.Population, r.Seen)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 7 || !strings.HasPrefix(lines[0], "population,agents,name,algo,seen,return_mean,return_ci95") {
		t.Errorf("results.csv:\n%s", csv)
	}
}

func TestEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--run", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"eval", "stray"}, `unexpected argument "stray"`},
	} {
		_, errOut, code := runCLI(tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d\n%s", tc.args, code, errOut)
		}
	}
}

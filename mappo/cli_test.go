package mappo_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
)

const scenario = "../scenarios/resource-mappo.toml"

func mrasim(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	if code := cli.Main(args, &out, &errOut); code != cli.ExitOK {
		t.Fatalf("mrasim %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// lastMetrics returns the last line of a run's metrics.jsonl without its
// wall-clock fields.
func lastMetrics(t *testing.T, run string) map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		last = sc.Text()
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(last), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "wall_seconds")
	delete(m, "steps_per_second")
	return m
}

// TestMAPPOLearnsThroughTheCommand trains the shipped MAPPO scenario with
// `mrasim train` on a CI budget (240 episodes of each training
// population, stopped at 120 and resumed), checks that the resumed run
// ends where the uninterrupted one does, and evaluates it with `mrasim
// eval` on the evaluation's own episodes (seeds disjoint from training):
// at both training populations MAPPO's mean return must be above random
// play's with the two 95% intervals apart.
func TestMAPPOLearnsThroughTheCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about 10 s")
	}
	dir := t.TempDir()
	mrasim(t, "validate", scenario)
	// A value out of its range is refused with its position in the file.
	src, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(src), `pooling = "mean+logcount"`, `pooling = "max"     `, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e strings.Builder
	if code := cli.Main([]string{"validate", bad}, &o, &e); code != cli.ExitUsage || !strings.Contains(e.String(), "bad.toml:") || !strings.Contains(e.String(), "algo.pooling") {
		t.Errorf("validate of pooling = \"max\": exit %d\n%s", code, e.String())
	} else {
		t.Logf("refused: %s", strings.TrimSpace(e.String()))
	}
	whole := filepath.Join(dir, "whole")
	mrasim(t, "train", scenario, "--out", whole, "--quiet", "--episodes", "240")
	run := filepath.Join(dir, "run")
	mrasim(t, "train", scenario, "--out", run, "--quiet", "--episodes", "120")
	mrasim(t, "train", scenario, "--out", run, "--quiet", "--resume", "--episodes", "240")
	a, b := lastMetrics(t, whole), lastMetrics(t, run)
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	if string(aj) != string(bj) {
		t.Errorf("the resumed run ends with\n%s\nthe uninterrupted run with\n%s", bj, aj)
	}

	rep := filepath.Join(dir, "report")
	mrasim(t, "eval", "--run", run, "--out", rep, "--quiet", "--episodes", "400", "--br-episodes", "0", "--adapt-steps", "0", "--no-references")
	data, err := os.ReadFile(filepath.Join(rep, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Population string  `json:"population"`
			Algo       string  `json:"algo"`
			Mean       float64 `json:"return_mean"`
			CI95       float64 `json:"return_ci95"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	type entry struct{ mean, ci float64 }
	got := map[string]map[string]entry{}
	for _, r := range res.Results {
		if got[r.Population] == nil {
			got[r.Population] = map[string]entry{}
		}
		got[r.Population][r.Algo] = entry{r.Mean, r.CI95}
	}
	for _, pop := range []string{"agents=3", "agents=6"} {
		m, ok1 := got[pop]["mappo"]
		r, ok2 := got[pop]["random"]
		if !ok1 || !ok2 {
			t.Fatalf("%s: no mappo or random entry in %s", pop, data)
		}
		t.Logf("%s: mappo %.2f ± %.2f, random %.2f ± %.2f", pop, m.mean, m.ci, r.mean, r.ci)
		if m.mean-m.ci <= r.mean+r.ci {
			t.Errorf("%s: mappo %.2f ± %.2f is not above random play %.2f ± %.2f", pop, m.mean, m.ci, r.mean, r.ci)
		}
	}
}

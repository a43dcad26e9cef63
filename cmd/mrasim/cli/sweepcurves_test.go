package cli

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSweepTrainingCurves runs a two-seed sweep (mra at walkers=2 and 3,
// single at walkers=2 only) and checks every row of curves.csv against the
// mean and 95% t-interval computed by hand from the runs' metrics.jsonl;
// single appears only at its training population, and each training
// population has its figure.
func TestSweepTrainingCurves(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "walk.toml"), []byte(sweepScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(sweepGrid), 0o644)
	out := filepath.Join(dir, "out")
	stdout, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "2")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, f := range []string{"curves.csv", "walk-curves-walkers_2.png", "walk-curves-walkers_3.png"} {
		if !exists(filepath.Join(out, f)) {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(stdout, "## Training curves") || !strings.Contains(stdout, "`walk-curves-walkers_3.png`") || strings.Contains(stdout, "Left out of the curves") {
		t.Errorf("sweep.md's training-curve section:\n%s", stdout)
	}

	f, err := os.Open(filepath.Join(out, "curves.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "scenario,population,algo,episode,n,mean,ci95,values" {
		t.Fatalf("header %s", got)
	}

	// By hand: each run's mean_step_reward per population and episode.
	logged := map[string]float64{} // "algo seed pop episode" → value
	for _, algo := range []string{"mra", "single"} {
		for _, seed := range []int{1, 2} {
			for _, m := range readMetrics(t, filepath.Join(out, "walk", algo, fmt.Sprintf("seed-%d", seed), runMetrics)) {
				for pop, v := range m["mean_step_reward"].(map[string]any) {
					logged[fmt.Sprintf("%s %d %s %v", algo, seed, pop, m["episode"])] = v.(float64)
				}
			}
		}
	}
	const t975df1 = 12.706204736174707 // t(0.975; 1), from a table
	// Four log lines (log_every 4 of 16 episodes) per training population.
	want := map[string]int{"mra walkers=2": 4, "mra walkers=3": 4, "single walkers=2": 4}
	got := map[string]int{}
	for _, row := range rows[1:] {
		if row[0] != "walk" {
			t.Fatalf("row %v: scenario", row)
		}
		pop, algo, ep := row[1], row[2], row[3]
		got[algo+" "+pop]++
		a, okA := logged[fmt.Sprintf("%s 1 %s %s", algo, pop, ep)]
		b, okB := logged[fmt.Sprintf("%s 2 %s %s", algo, pop, ep)]
		if !okA || !okB {
			t.Fatalf("row %v: not logged by both seeds", row)
		}
		mean := (a + b) / 2
		sd := math.Abs(a-b) / math.Sqrt2
		ci := t975df1 * sd / math.Sqrt2
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("row %v: %v", row, err)
			}
			return v
		}
		close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-6*math.Max(1, math.Abs(y)) }
		vals := strings.Split(row[7], ";")
		if row[4] != "2" || len(vals) != 2 || !close(num(vals[0]), a) || !close(num(vals[1]), b) || !close(num(row[5]), mean) || !close(num(row[6]), ci) {
			t.Errorf("row %v: want n 2, mean %v, ci95 %v, values %v;%v", row, mean, ci, a, b)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows per curve %v, want %v (single trained at walkers=2 only)", got, want)
	}
}

// lastCurveEpisodes returns the last episode of each algorithm's curves in
// a curves.csv.
func lastCurveEpisodes(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]int{}
	for _, row := range rows[1:] {
		ep, err := strconv.Atoi(row[3])
		if err != nil {
			t.Fatalf("%s: row %v: %v", path, row, err)
		}
		last[row[2]] = max(last[row[2]], ep)
	}
	return last
}

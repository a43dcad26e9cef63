package cli

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/sweep"
	"github.com/mrasim/mrasim/scenarios"
)

// refScenario is a tiny volunteer's dilemma: a game with a scripted
// reference policy (its closed-form equilibrium) that trains in moments.
const refScenario = `name = "vol"
[game]
name = "volunteer"
[train]
populations = [2, 3]
episodes = 16
parallel_envs = 4
log_every = 8
checkpoint_every = 8
[algo]
batch_size = 16
steps_per_update = 8
num_updates = 1
buffer_length = 400
latents = 1
resamples = 1
`

// refGrid evaluates refScenario's MRA runs at seen and unseen sizes;
// REFS is replaced by the grid's eval.references line (or nothing).
const refGrid = `seeds = [1, 2]
scenarios = ["vol.toml"]
[algorithms.mra]
[eval]
seen = [2, 3]
unseen = [5]
episodes = 30
adapt_steps = 0
br_episodes = 0
REFS
`

// readSweepCSV reads sweep.csv (or sweep-paired.csv) as records under
// their header's names.
func readSweepCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestSweepReferences runs a sweep without reference policies, then the
// same sweep with eval.references left at its default: the finished runs
// are neither trained nor evaluated again, and every output gains the
// game's reference policy (volunteer's "equilibrium") as a column beside
// random play, evaluated per seed on the runs' evaluation seeds. Its
// numbers are those the league gives that reference alone on the same
// evaluation seed and [eval] (a league of that one entry, as mrasim eval
// plays it), and the paired differences against it are the per-seed
// differences of the rows.
func TestSweepReferences(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vol.toml"), []byte(refScenario), 0o644)
	grid := filepath.Join(dir, "grid.toml")
	out := filepath.Join(dir, "out")

	os.WriteFile(grid, []byte(strings.Replace(refGrid, "REFS", "references = false", 1)), 0o644)
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "2"); code != ExitOK {
		t.Fatalf("sweep without references: code %d\n%s", code, errOut)
	}
	for _, row := range readSweepCSV(t, filepath.Join(out, "sweep.csv")) {
		if row["algo"] != "mra" && row["algo"] != sweep.AlgoRandom {
			t.Fatalf("references = false: a row of %q", row["algo"])
		}
	}

	// The same grid as a finished sweep rerun by a binary that plays the
	// references by default.
	os.WriteFile(grid, []byte(strings.Replace(refGrid, "REFS", "", 1)), 0o644)
	_, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "2")
	if code != ExitOK {
		t.Fatalf("sweep rerun: code %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "runs: 0 trained, 0 resumed, 2 finished before; 2 evaluations reused") {
		t.Errorf("the rerun trained or evaluated runs again:\n%s", errOut)
	}

	const ref = "equilibrium"
	var rep sweep.Report
	data, err := os.ReadFile(filepath.Join(out, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.References, []string{ref}) {
		t.Errorf("sweep.json references %v, want [%s]", rep.References, ref)
	}

	g, want := leagueAloneResults(t, grid, ref)

	rows := readSweepCSV(t, filepath.Join(out, "sweep.csv"))
	got := 0
	for _, row := range rows {
		if row["algo"] != ref {
			continue
		}
		vals := strings.Split(row["values"], ";")
		if len(vals) != len(g.Seeds) || row["n"] != "2" || row["trained"] != "false" {
			t.Errorf("reference row %v", row)
			continue
		}
		for i, seed := range g.Seeds {
			r, ok := want[row["population"]][seed]
			if !ok {
				t.Fatalf("no league result at %s", row["population"])
			}
			w := r.ReturnMean
			if row["metric"] == "nashconv" {
				w = r.NashConv
			} else if row["metric"] != "return" {
				t.Errorf("reference row of metric %s", row["metric"])
				continue
			}
			if vals[i] != strconv.FormatFloat(w, 'g', 8, 64) {
				t.Errorf("%s %s seed %d: sweep %s, league alone %s", row["population"], row["metric"], seed, vals[i], strconv.FormatFloat(w, 'g', 8, 64))
			}
			got++
		}
	}
	if got != 3*2*2 { // populations × metrics × seeds
		t.Errorf("%d reference values, want 12:\n%v", got, rows)
	}
	// The seeds' values differ: each seed has its own evaluation seed.
	differ := false
	for _, r := range want {
		differ = differ || r[1].ReturnMean != r[2].ReturnMean
	}
	if !differ {
		t.Error("both seeds gave the reference the same returns")
	}

	checkPairedAgainst(t, out, ref, rows, g.Seeds)

	md, _ := os.ReadFile(filepath.Join(out, "sweep.md"))
	if !strings.Contains(string(md), "| population | split | mra | random | "+ref+" |") {
		t.Errorf("sweep.md has no %s column:\n%s", ref, md)
	}
	for _, seed := range []string{"seed-1", "seed-2"} {
		if !exists(filepath.Join(out, "vol", ref, seed, "eval", "results.json")) {
			t.Errorf("no evaluation folder of %s at %s", ref, seed)
		}
	}

	// An algorithm named like a reference is refused.
	os.WriteFile(grid, []byte(strings.Replace(strings.Replace(refGrid, "REFS", "", 1), "[algorithms.mra]", "[algorithms.equilibrium]\nname = \"mra\"", 1)), 0o644)
	if _, errOut, code := runCLI("sweep", grid, "--out", filepath.Join(dir, "other"), "--dry-run"); code != ExitUsage || !strings.Contains(errOut, "algorithms.equilibrium: the label is the name of volunteer's scripted reference policy") {
		t.Errorf("a label naming a reference: code %d\n%s", code, errOut)
	}
}

// leagueAloneResults returns what the league reports for reference ref
// alone on each seed's evaluation seed of grid: population → seed →
// result, with the grid.
func leagueAloneResults(t *testing.T, grid, ref string) (*scenarios.Grid, map[string]map[uint64]league.Result) {
	t.Helper()
	g, err := scenarios.LoadGrid(grid)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse("baseline", g.Scenarios[0].Baseline[0])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[uint64]league.Result{} // population → seed → result
	for _, seed := range g.Seeds {
		lr, err := league.Play([]league.Entry{league.Reference{Game: s.Game.Name, Params: s.Game.Params, Script: ref}}, league.Options{
			Game: s.Game.Name, Params: s.Game.Params, Populations: s.Eval.Populations, Episodes: s.Eval.Episodes,
			Seed: sweep.EvalSeed(seed), NashConv: league.ModeExactWhereGiven,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range lr.Results {
			if want[r.Label] == nil {
				want[r.Label] = map[uint64]league.Result{}
			}
			want[r.Label][seed] = r
		}
	}

	return g, want
}

// checkPairedAgainst checks sweep-paired.csv's mra − ref rows against the
// per-seed differences of the rows of sweep.csv.
func checkPairedAgainst(t *testing.T, out, ref string, rows []map[string]string, seeds []uint64) {
	t.Helper()
	byKey := map[string]map[string]string{}
	for _, row := range rows {
		byKey[row["algo"]+"|"+row["population"]+"|"+row["metric"]] = row
	}
	paired := 0
	for _, p := range readSweepCSV(t, filepath.Join(out, "sweep-paired.csv")) {
		if p["algo"] != ref || p["metric"] != "return" {
			continue
		}
		a := strings.Split(byKey["mra|"+p["population"]+"|return"]["values"], ";")
		b := strings.Split(byKey[ref+"|"+p["population"]+"|return"]["values"], ";")
		d := strings.Split(p["values"], ";")
		for i := range d {
			x, y, z := parse(t, a[i]), parse(t, b[i]), parse(t, d[i])
			if math.Abs(x-y-z) > 1e-7*max(1, math.Abs(x), math.Abs(y)) { // sweep.csv has 8 digits
				t.Errorf("paired %s seed %d: %v − %v ≠ %v", p["population"], seeds[i], x, y, z)
			}
		}
		paired++
	}
	if paired != 3 {
		t.Errorf("%d paired return rows against %s, want 3", paired, ref)
	}

}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestLadderRecordsReferences runs a two-rung ladder without references,
// then again with eval.random and eval.references at their defaults: no
// run is trained or evaluated again, and each rung record of the run
// gains random play's and the reference policy's outcomes at every
// evaluation population for the run's seed, the same at both rungs (they
// are evaluated once per seed, in their own folders, never at a rung),
// its own outcomes unchanged.
func TestLadderRecordsReferences(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vol.toml"), []byte(refScenario), 0o644)
	grid := filepath.Join(dir, "ladder.toml")
	ladder := strings.Replace(refGrid, "seeds = [1, 2]", "seeds = [1]\nladder = [8, 16]\nladder_record = \"record\"", 1)
	out := filepath.Join(dir, "out")
	read := func(rung string) RungRecord {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, "record", "vol", "mra", "seed-1", "rung-"+rung+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec RungRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}

	os.WriteFile(grid, []byte(strings.Replace(ladder, "REFS", "random = false\nreferences = false", 1)), 0o644)
	if _, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "1"); code != ExitOK {
		t.Fatalf("ladder: code %d\n%s", code, errOut)
	}
	before := map[string]RungRecord{}
	for _, rung := range []string{"8", "16"} {
		if before[rung] = read(rung); len(before[rung].References) != 0 {
			t.Fatalf("rung %s without references: %+v", rung, before[rung].References)
		}
	}

	os.WriteFile(grid, []byte(strings.Replace(ladder, "REFS", "", 1)), 0o644)
	_, errOut, code := runCLI("sweep", grid, "--out", out, "--quiet", "--jobs", "1")
	if code != ExitOK {
		t.Fatalf("ladder rerun: code %d\n%s", code, errOut)
	}
	for _, rung := range []string{"8", "16"} {
		if !strings.Contains(errOut, "rung "+rung+": every run is recorded") || !strings.Contains(errOut, "rung "+rung+": the references added to 1 records") {
			t.Errorf("rung %s was trained or evaluated again, or not patched:\n%s", rung, errOut)
		}
	}
	var refs [][]sweep.Outcome
	for _, rung := range []string{"8", "16"} {
		rec := read(rung)
		a, _ := json.Marshal(rec.Outcomes)
		b, _ := json.Marshal(before[rung].Outcomes)
		if string(a) != string(b) {
			t.Errorf("rung %s: the run's outcomes changed", rung)
		}
		have := map[string]int{}
		for _, o := range rec.References {
			if o.Seed != 1 || o.Trained {
				t.Errorf("rung %s: reference outcome %+v", rung, o)
			}
			if _, ok := o.Values["return"]; ok {
				have[o.Algo]++
			}
		}
		if have[sweep.AlgoRandom] != 3 || have["equilibrium"] != 3 {
			t.Errorf("rung %s: returns per reference %v, want 3 populations of random and equilibrium", rung, have)
		}
		refs = append(refs, rec.References)
	}
	a, _ := json.Marshal(refs[0])
	b, _ := json.Marshal(refs[1])
	if string(a) != string(b) {
		t.Errorf("the references differ between rungs:\n%s\n%s", a, b)
	}
	if exists(filepath.Join(out, "vol", "equilibrium", "seed-1", "rungs")) || !exists(filepath.Join(out, "vol", "equilibrium", "seed-1", "eval", sweepEvalFile)) {
		t.Error("the reference was not evaluated once into its eval folder")
	}

	// A fresh ladder with references from the start records them at once,
	// with the same numbers.
	fresh := filepath.Join(dir, "fresh.toml")
	os.WriteFile(fresh, []byte(strings.Replace(strings.Replace(ladder, "REFS", "", 1), `"record"`, `"record2"`, 1)), 0o644)
	if _, errOut, code := runCLI("sweep", fresh, "--out", filepath.Join(dir, "out2"), "--quiet", "--jobs", "1"); code != ExitOK {
		t.Fatalf("fresh ladder: code %d\n%s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "record2", "vol", "mra", "seed-1", "rung-16.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec RungRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if c, _ := json.Marshal(rec.References); string(c) != string(a) {
		t.Errorf("a fresh ladder records other references:\n%s\n%s", c, a)
	}
}

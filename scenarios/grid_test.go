package scenarios_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mrasim/mrasim/mra"
	"github.com/mrasim/mrasim/scenarios"
)

// lineScenario is the scenario file the grid tests read as "line.toml".
const lineScenario = `name = "walk"
[game]
name = "line"
[train]
populations = ["walkers=2", "walkers=3"]
episodes = 24
[eval]
populations = [2, 3, 5]
episodes = 7
`

const goodGrid = `name = "g"
seeds = [4, 1, 2]
scenarios = ["line.toml"]

[algorithms.mra]
latents = 2
[algorithms.mra.train]
episodes = 12

[algorithms.single]
[algorithms.single.train]
populations = [2]

[algorithms.k1]
name = "mra"
latents = 1

[eval]
seen = [2, 3]
unseen = [6]
episodes = 9
`

// files serves scenario files from memory for ParseGrid.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := m[filepath.Base(path)]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
}

func TestGridExpands(t *testing.T) {
	g, err := scenarios.ParseGrid("exp/g.toml", []byte(goodGrid), files(map[string]string{"line.toml": lineScenario}))
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "g" || g.Out != filepath.Join("sweeps", "g") || !g.Random || fmt.Sprint(g.Seeds) != "[4 1 2]" || fmt.Sprint(g.Algorithms) != "[mra single k1]" {
		t.Errorf("grid = %+v", g)
	}
	if len(g.Scenarios) != 1 || g.Scenarios[0].Name != "walk" || g.Scenarios[0].File != filepath.Join("exp", "line.toml") {
		t.Fatalf("scenarios = %+v", g.Scenarios)
	}
	sc := g.Scenarios[0]
	if fmt.Sprint(sc.Seen) != "[walkers=2 walkers=3]" || fmt.Sprint(sc.Unseen) != "[walkers=6]" || len(sc.Baseline) != 3 {
		t.Errorf("seen %v, unseen %v, %d baselines", sc.Seen, sc.Unseen, len(sc.Baseline))
	}
	if len(g.Runs) != 9 {
		t.Fatalf("%d runs, want 1 scenario × 3 algorithms × 3 seeds", len(g.Runs))
	}
	for i, tc := range []struct {
		algo, name string
		seed       uint64
		episodes   int
		latents    int
		pops       string
	}{
		{"mra", "mra", 4, 12, 2, "[walkers=2 walkers=3]"},
		{"mra", "mra", 1, 12, 2, "[walkers=2 walkers=3]"},
		{"mra", "mra", 2, 12, 2, "[walkers=2 walkers=3]"},
		{"single", "single", 4, 24, 6, "[walkers=2]"},
		{"single", "single", 1, 24, 6, "[walkers=2]"},
		{"single", "single", 2, 24, 6, "[walkers=2]"},
		{"k1", "mra", 4, 24, 1, "[walkers=2 walkers=3]"},
		{"k1", "mra", 1, 24, 1, "[walkers=2 walkers=3]"},
		{"k1", "mra", 2, 24, 1, "[walkers=2 walkers=3]"},
	} {
		r := g.Runs[i]
		s := r.Spec
		if r.Scenario != "walk" || r.Algo != tc.algo || r.Seed != tc.seed || s.Seed != tc.seed || s.Name != "walk" || s.Algo.(*mra.Config).Algo != tc.name ||
			s.Train.Episodes != tc.episodes || s.Algo.(*mra.Config).Latents != tc.latents || fmt.Sprint(s.Train.Populations) != tc.pops ||
			s.Eval.Episodes != 9 || fmt.Sprint(s.Eval.Populations) != "[walkers=2 walkers=3 walkers=6]" {
			t.Errorf("run %d: %+v, spec %+v", i, r, s)
		}
		// The document is a scenario file: it parses to the same spec.
		again, err := scenarios.Parse("again.toml", r.Source)
		if err != nil || *again.Algo.(*mra.Config) != *s.Algo.(*mra.Config) || again.Seed != s.Seed {
			t.Errorf("run %d: the document does not parse back: %v", i, err)
		}
	}
	// Evaluation settings are not part of a run's training identity.
	a, err := scenarios.TrainingIdentity(g.Runs[0].Source)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := scenarios.TrainingIdentity([]byte(strings.Replace(string(g.Runs[0].Source), "episodes = 9", "episodes = 99", 1)))
	c, _ := scenarios.TrainingIdentity(g.Runs[1].Source)
	if string(a) != string(b) || string(a) == string(c) {
		t.Errorf("training identity: eval change kept %v, seed change kept %v", string(a) == string(b), string(a) == string(c))
	}
	// Nor is the budget: a run may be extended to more episodes.
	longer, err := scenarios.WithEpisodes(g.Runs[0].Source, 1234)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := scenarios.TrainingIdentity(longer)
	if s, err := scenarios.Parse("longer.toml", longer); err != nil || s.Train.Episodes != 1234 || string(d) != string(a) {
		t.Errorf("WithEpisodes: %v, episodes %v, identity kept %v", err, s, string(d) == string(a))
	}
}

// TestGridDefaultsSplitEvalPopulations checks that without seen/unseen the
// scenario's eval.populations are split by whether any algorithm trains
// there.
func TestGridDefaultsSplitEvalPopulations(t *testing.T) {
	src := "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.single.train]\npopulations = [3]\n"
	g, err := scenarios.ParseGrid("g.toml", []byte(src), files(map[string]string{"line.toml": lineScenario}))
	if err != nil {
		t.Fatal(err)
	}
	sc := g.Scenarios[0]
	if fmt.Sprint(sc.Seen) != "[walkers=3]" || fmt.Sprint(sc.Unseen) != "[walkers=2 walkers=5]" || g.Out != filepath.Join("sweeps", "g") {
		t.Errorf("seen %v unseen %v out %s", sc.Seen, sc.Unseen, g.Out)
	}
}

func TestGridErrors(t *testing.T) {
	scen := map[string]string{"line.toml": lineScenario, "bad.toml": "[game]\nname = \"line\"\n[train]\npopulations = [2]\nepisodes = 0\n"}
	for _, tc := range []struct {
		name, src string
		want      []string // the exact messages, in order; one ending in "…" is a prefix (lists that grow with the schema)
	}{
		{"unknown key with suggestion", "seed = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n",
			[]string{`g.toml:1:1: seed: unknown key (did you mean "seeds"?); allowed at the top level: name, out, seeds, scenarios, algorithms, eval, ladder, ladder_record`,
				`g.toml: seeds: missing: list the training seeds, e.g. seeds = [1, 2, 3]`}},
		{"ladder not increasing", "seeds = [1]\nscenarios = [\"line.toml\"]\nladder = [8, 8]\n[algorithms.mra]\n",
			[]string{`g.toml:3:14: ladder[1]: 8 after 8: the rungs must increase`}},
		{"ladder rung not positive", "seeds = [1]\nscenarios = [\"line.toml\"]\nladder = [0]\n[algorithms.mra]\n",
			[]string{`g.toml:3:11: ladder[0]: got integer 0, want a positive number of episodes per training population`}},
		{"ladder not a list", "seeds = [1]\nscenarios = [\"line.toml\"]\nladder = 8\n[algorithms.mra]\n",
			[]string{`g.toml:3:1: ladder: got integer 8, want a non-empty array of increasing episode counts, e.g. ladder = [2880, 8640, 25920]`}},
		{"algo key misspelt", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\nlatent = 2\n",
			[]string{`g.toml:4:1: algorithms.mra.latent: unknown key (did you mean "algorithms.mra.latents"?); allowed in [algorithms.mra]: name, gamma, pi_lr, …`}},
		{"train key in the algorithm table", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\nparallel_envs = 2\n",
			[]string{`g.toml:4:1: algorithms.mra.parallel_envs: unknown key; "parallel_envs" belongs in [algorithms.LABEL.train]; allowed in [algorithms.mra]: name, gamma, pi_lr, …`}},
		{"eval populations", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n[eval]\npopulations = [2]\n",
			[]string{`g.toml:5:1: eval.populations: unknown key; allowed in [eval]: episodes, adapt_steps, …`}},
		{"out of range override", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\ngamma = 2.0\n",
			[]string{`g.toml:4:1: algorithms.mra.gamma: scenario walk, algorithm mra: algo.gamma: 2 is out of range: want a number in (0, 1]`}},
		{"label is not an algorithm", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.big]\nlatents = 8\n",
			[]string{`g.toml:3:2: algorithms.big.name: scenario walk, algorithm big: algo.name: "big" is not allowed: want one of maddpg, mappo, …`}},
		{"single with two populations", "seeds = [1, 2]\nscenarios = [\"line.toml\"]\n[algorithms.single]\n",
			[]string{`g.toml:3:2: algorithms.single.train.populations: scenario walk, algorithm single: train.populations: algo "single" trains at one population; 2 are listed`}},
		{"seeds", "seeds = [1, -2, 1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n",
			[]string{`g.toml:1:13: seeds[1]: got integer -2, want an integer ≥ 0`, `g.toml:1:17: seeds[2]: seed 1 is listed twice`}},
		{"unseen is trained", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n[eval]\nunseen = [3, 9]\n",
			[]string{`g.toml:5:11: eval.unseen[0]: population walkers=3 of scenario walk is a training population of algorithms.mra: list it in eval.seen`}},
		{"seen is not trained", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n[eval]\nseen = [2, 4]\n",
			[]string{`g.toml:5:12: eval.seen[1]: population walkers=4 of scenario walk is no algorithm's training population: list it in eval.unseen`}},
		{"bad population", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n[eval]\nseen = [2]\nunseen = [\"x=1\"]\n",
			[]string{`g.toml:6:11: eval.unseen[0]: game "line" refuses population "x=1": unknown agent type "x"; types: walkers (1–256)`}},
		{"missing scenario file", "seeds = [1]\nscenarios = [\"nope.toml\"]\n[algorithms.mra]\n",
			[]string{`g.toml:2:14: scenarios[0]: open nope.toml: file does not exist`}},
		{"bad scenario file", "seeds = [1]\nscenarios = [\"bad.toml\"]\n[algorithms.mra]\n",
			[]string{`bad.toml:5:1: train.episodes: 0 is out of range: want an integer in [1, 1e+09]`}},
		{"reserved label", "seeds = [1]\nscenarios = [\"line.toml\"]\n[algorithms.random]\n",
			[]string{`g.toml:3:2: algorithms.random: label "random" is reserved for uniform random play, which eval.random adds`}},
		{"no algorithms", "seeds = [1]\nscenarios = [\"line.toml\"]\n",
			[]string{`g.toml: algorithms: missing: add a table per algorithm, e.g. [algorithms.mra] and [algorithms.single] with train.populations = [3]`}},
		{"syntax", "seeds = [1\nscenarios = 3\n",
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.ParseGrid("g.toml", []byte(tc.src), files(scen))
			var list scenarios.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if tc.want == nil {
				if list[0].Line == 0 || list[0].File != "g.toml" {
					t.Errorf("syntax error without a position: %v", list[0])
				}
				return
			}
			var got []string
			for i, e := range list {
				msg := e.Error()
				if i < len(tc.want) {
					if prefix, ok := strings.CutSuffix(tc.want[i], "…"); ok && strings.HasPrefix(msg, prefix) {
						msg = tc.want[i]
					}
				}
				got = append(got, msg)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestGridLimits: a grid is held to the limits of a scenario file before
// it is decoded (a 32 KB table header took 13.7 s and 2.7 GB), and to
// limits on what it expands to.
func TestGridLimits(t *testing.T) {
	tooDeep := "tables nested more than 16 deep: each part of a table header or dotted key is a table"
	seeds := make([]string, scenarios.MaxGridRuns/2+1)
	for i := range seeds {
		seeds[i] = fmt.Sprint(i)
	}
	manySeeds := "seeds = [" + strings.Join(seeds, ", ") + "]\nscenarios = [\"line.toml\"]\n[algorithms.mra]\n[algorithms.single.train]\npopulations = [3]\n"
	// Every document of a run or baseline repeats the 900 KB `out`.
	bigScenario := "out = \"" + strings.Repeat("o", 900_000) + "\"\n" + lineScenario
	for _, tc := range []struct {
		name, src string
		want      string // the first problem
	}{
		{"header of 16000 parts", "[" + strings.Repeat("a.", 15999) + "a]\n", "g.toml:1:34: " + tooDeep},
		{"dotted key of 10000 parts", "seeds = [1]\n" + strings.Repeat("a.", 9999) + "a = 1\n", "g.toml:2:35: " + tooDeep},
		{"algorithm table too deep", "[algorithms.mra.train" + strings.Repeat(".a", 14) + "]\n", "g.toml:1:" + fmt.Sprint(1+len("algorithms.mra.train")+14*2) + ": " + tooDeep},
		{"nested arrays", "seeds = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", "g.toml:1:25: arrays and inline tables nested more than 16 deep"},
		{"over the size limit", "#" + strings.Repeat("x", scenarios.MaxFileSize), fmt.Sprintf("g.toml: %d bytes: a grid file may have at most %d", scenarios.MaxFileSize+1, scenarios.MaxFileSize)},
		{"too many runs", manySeeds, fmt.Sprintf("g.toml:1:1: seeds: 1 scenarios × 2 algorithms × %d seeds make %d runs: a grid may have at most %d", len(seeds), 2*len(seeds), scenarios.MaxGridRuns)},
		{"documents too large", "seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\nscenarios = [\"big.toml\"]\n[algorithms.mra]\n",
			"g.toml:2:1: scenarios: the scenario files and the run documents they make take more than 16 MB: a grid may use at most that (fewer seeds, algorithms or scenarios, or smaller scenario files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.ParseGrid("g.toml", []byte(tc.src), files(map[string]string{"line.toml": lineScenario, "big.toml": bigScenario}))
			var list scenarios.ErrorList
			if !errors.As(err, &list) || list[0].Error() != tc.want {
				t.Errorf("got  %.500v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestLoadGridRefusesNonRegularFiles: the grid and its scenarios are read
// as scenario files are: a FIFO is refused without blocking, a device
// without being read, and a large file after reading past the limit only.
func TestLoadGridRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, make([]byte, scenarios.MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	grid := func(scenario string) string {
		path := filepath.Join(dir, "g-"+filepath.Base(scenario)+".toml")
		os.WriteFile(path, []byte(fmt.Sprintf("seeds = [1]\nscenarios = [%q]\n[algorithms.mra]\n", scenario)), 0o644)
		return path
	}
	for _, tc := range []struct {
		name, grid string
		want       string
		regular    bool // the refusal is ErrNotRegular
	}{
		{"FIFO as the grid", fifo, "fifo.toml: not a regular file but a FIFO: want a TOML file", true},
		{"FIFO as a scenario", grid("fifo.toml"), "g-fifo.toml.toml:2:14: scenarios[0]: " + fifo + ": not a regular file but a FIFO: want a TOML file", true},
		{"device as a scenario", grid("/dev/zero"), "g-zero.toml:2:14: scenarios[0]: /dev/zero: not a regular file but a device: want a TOML file", true},
		{"folder as a scenario", grid("."), "g-..toml:2:14: scenarios[0]: " + dir + ": not a regular file but a folder: want a TOML file", true},
		{"large scenario", grid("big.toml"), "g-big.toml.toml:2:14: scenarios[0]: " + big + ": larger than 1048576 bytes, the limit for a scenario or grid file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := scenarios.LoadGrid(tc.grid); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				// Opening the FIFO blocked: unblock it with a writer that
				// closes at once (the reader then sees the end of the
				// file), and fail.
				if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					w.Close()
				}
				err = <-done
				t.Errorf("LoadGrid blocked on the FIFO")
			}
			msg := strings.TrimPrefix(fmt.Sprint(err), filepath.Dir(tc.grid)+"/")
			if msg != tc.want || errors.Is(err, scenarios.ErrNotRegular) != tc.regular {
				t.Errorf("got  %v\nwant %s (ErrNotRegular: %v)", err, tc.want, tc.regular)
			}
		})
	}
}

// TestShippedGrids loads every experiment grid of the repository.
func TestShippedGrids(t *testing.T) {
	grids, _ := filepath.Glob("../experiments/*.toml")
	if len(grids) == 0 {
		t.Fatal("no grids under experiments/")
	}
	for _, f := range grids {
		if _, err := scenarios.LoadGrid(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParseGrid checks that no grid, and no scenario it reads, makes the
// loader panic or print long problems, seeded with the shipped grids and
// the test grid; every path reads the fuzzed scenario.
func FuzzParseGrid(f *testing.F) {
	f.Add([]byte(goodGrid), []byte(lineScenario))
	grids, _ := filepath.Glob("../experiments/*.toml")
	for _, name := range grids {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, []byte(lineScenario))
		}
	}
	f.Add([]byte("seeds = [1]\nscenarios = [\"a\", 3]\n[algorithms.x.train]\npopulations = 3\n[algorithms.mra]\ntrain = 1\n[eval]\nseen = [[1]]\nrandom = 2\n"), []byte(lineScenario))
	// Dotted keys and headers, names and labels.
	f.Add([]byte("seeds = [1, 2]\nscenarios = [\"l.toml\"]\nalgorithms.mra.latents = 2\nalgorithms.mra.train.episodes = 3\n[algorithms.\"k.1\"]\nname = \"mra\"\n[eval]\nseen = [2, 3]\n"), []byte(lineScenario))
	f.Add([]byte("name = \".\"\nseeds = [1]\nscenarios = [\"l.toml\"]\n[algorithms."+strings.Repeat("a.", 16)+"b]\n"), []byte(strings.Replace(lineScenario, "walk", "x*", 1)))
	f.Add([]byte("seeds = [1]\nscenarios = [\"l.toml\"]\n[algorithms.mra]\n"), []byte("[game]\nname = \"line\"\n[train]\npopulations = [3]\n[algo]\n"+strings.Repeat("x.", 16)+"y = 1\n"))
	f.Fuzz(func(t *testing.T, src, scenario []byte) {
		read := func(string) ([]byte, error) { return scenario, nil }
		g, err := scenarios.ParseGrid("fuzz.toml", src, read)
		checkProblems(t, err)
		if err != nil {
			return
		}
		if len(g.Runs) != len(g.Scenarios)*len(g.Algorithms)*len(g.Seeds) || len(g.Runs) == 0 || len(g.Runs) > scenarios.MaxGridRuns {
			t.Fatalf("accepted a grid of %d runs: %d scenarios × %d algorithms × %d seeds", len(g.Runs), len(g.Scenarios), len(g.Algorithms), len(g.Seeds))
		}
		// Every run's document is a valid scenario file.
		for _, r := range g.Runs {
			if _, err := scenarios.Parse("run.toml", r.Source); err != nil {
				t.Fatalf("run %s/%s/%d: its document is refused: %v", r.Scenario, r.Algo, r.Seed, err)
			}
		}
	})
}

// TestRungEpisodes: a run trained with its scenario's budget gets the
// rung; one with its own keeps its ratio to the scenario's.
func TestRungEpisodes(t *testing.T) {
	sc := scenarios.GridScenario{Episodes: 480}
	for _, tc := range []struct {
		own, rung, want int
	}{{480, 2880, 2880}, {960, 2880, 5760}, {240, 25920, 12960}, {480, 1, 1}} {
		var run scenarios.GridRun
		run.Spec.Train.Episodes = tc.own
		if got := scenarios.RungEpisodes(sc, run, tc.rung); got != tc.want {
			t.Errorf("own %d at rung %d: %d episodes, want %d", tc.own, tc.rung, got, tc.want)
		}
	}
}

// TestGridReferencesKey reads eval.references: true unless the grid says
// false, a grid-only key that changes no run's document (so that turning
// it on over a finished sweep retrains nothing), and a boolean.
func TestGridReferencesKey(t *testing.T) {
	base, err := scenarios.ParseGrid("exp/g.toml", []byte(goodGrid), files(map[string]string{"line.toml": lineScenario}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, line string
		want       bool
		err        string
	}{
		{"default", "", true, ""},
		{"on", "references = true", true, ""},
		{"off", "references = false", false, ""},
		{"not a boolean", `references = "yes"`, false, "eval.references"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(goodGrid, "[eval]\n", "[eval]\n"+tc.line+"\n", 1)
			g, err := scenarios.ParseGrid("exp/g.toml", []byte(src), files(map[string]string{"line.toml": lineScenario}))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.References != tc.want {
				t.Errorf("References = %v, want %v", g.References, tc.want)
			}
			for i, r := range g.Runs {
				if !bytes.Equal(r.Source, base.Runs[i].Source) {
					t.Errorf("run %d: the key changed its document", i)
				}
			}
			for i, b := range g.Scenarios[0].Baseline {
				if !bytes.Equal(b, base.Scenarios[0].Baseline[i]) {
					t.Errorf("baseline %d: the key changed its document", i)
				}
			}
		})
	}
}

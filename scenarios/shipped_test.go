package scenarios_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/scenarios"
)

var (
	// resultsPageRe matches a results page named in a comment.
	resultsPageRe = regexp.MustCompile(`docs/results/\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md`)
	// docPathRe matches any repository file a comment names.
	docPathRe = regexp.MustCompile(`\b(?:docs|experiments|scenarios)/[A-Za-z0-9_./-]+\.(?:md|toml)\b`)
)

// headerComment returns the comment lines at the top of a scenario file,
// without their "# ", up to its first key or table.
func headerComment(src string) []string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") {
			break
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	return out
}

// resultsProblems checks a scenario file's header comment: it has a
// paragraph beginning "Results:" that names the docs/results page that
// measured (or chose) the file's configuration or says it was "not
// measured", and every repository file the header names exists (exists
// is given the path relative to the repository's root).
func resultsProblems(src string, exists func(path string) bool) []string {
	lines := headerComment(src)
	var para []string
	for i, l := range lines {
		if strings.HasPrefix(l, "Results:") {
			for _, m := range lines[i:] {
				if m == "" {
					break
				}
				para = append(para, m)
			}
			break
		}
	}
	var problems []string
	text := strings.Join(para, " ")
	switch {
	case len(para) == 0:
		problems = append(problems, `no "# Results:" paragraph in the header comment: name the docs/results page that measured this configuration, or say "not measured"`)
	case !resultsPageRe.MatchString(text) && !strings.Contains(text, "not measured"):
		problems = append(problems, `the "# Results:" paragraph names no docs/results/YYYY-MM-DD-slug.md page and does not say "not measured"`)
	}
	for _, p := range docPathRe.FindAllString(strings.Join(lines, "\n"), -1) {
		if !exists(p) {
			problems = append(problems, "the header names "+p+", which does not exist")
		}
	}
	return problems
}

func TestResultsProblems(t *testing.T) {
	exists := func(p string) bool { return p == "docs/results/2026-11-27-a.md" || p == "scenarios/volunteer.toml" }
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of each problem, in order
	}{
		{"a page", "# Game.\n#\n# Results: chosen in\n# docs/results/2026-11-27-a.md (seeds 1–3).\n#\n# mrasim train x\nname = \"x\"\n", nil},
		{"not measured", "# Results: not measured; see scenarios/volunteer.toml.\nname = \"x\"\n", nil},
		{"no paragraph", "# Game, measured in docs/results/2026-11-27-a.md.\nname = \"x\"\n", []string{`no "# Results:" paragraph`}},
		{"no page", "# Results: chosen by hand.\n[game]\n", []string{"names no docs/results"}},
		{"a missing page", "# Results: docs/results/2026-11-27-b.md.\n", []string{"docs/results/2026-11-27-b.md, which does not exist"}},
		{"a missing file elsewhere in the header", "# Like scenarios/gone.toml.\n#\n# Results: not measured.\n", []string{"scenarios/gone.toml, which does not exist"}},
		{"the paragraph after the header does not count", "name = \"x\"\n# Results: docs/results/2026-11-27-a.md\n", []string{`no "# Results:" paragraph`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resultsProblems(tc.src, exists)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %d problems %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestShippedScenariosNameTheirResults checks that every shipped scenario
// says which results page measured or chose its configuration (or that
// none did), and that the pages and files it names exist.
func TestShippedScenariosNameTheirResults(t *testing.T) {
	files, _ := filepath.Glob("*.toml")
	if len(files) == 0 {
		t.Fatal("no scenario files in scenarios/")
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join("..", p))
		return err == nil
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resultsProblems(string(src), exists) {
			t.Errorf("scenarios/%s: %s", f, p)
		}
	}
}

// TestShippedScenariosKeepTheMeasuredConfiguration pins each shipped
// scenario whose configuration a results page measured to the run of the
// grid that measured it: the game and its parameters, the training
// populations and budget, the evaluation budget and every algorithm
// setting. Changing the file without a new measurement fails here; a new
// measurement changes the grid named below and the file's Results comment.
func TestShippedScenariosKeepTheMeasuredConfiguration(t *testing.T) {
	for _, tc := range []struct {
		file     string // the shipped scenario
		grid     string // the grid that measured its configuration
		scenario string // the grid scenario's name
		algo     string // the grid's label of the measured algorithm
		page     string // the results page, which the file's comment names
	}{
		{"volunteer.toml", "../experiments/oneshot-count-confirm.toml", "volunteer-log", "mra-k1-u40", "docs/results/2026-11-27-oneshot-count-encoding.md"},
		{"elfarol.toml", "../experiments/oneshot-others.toml", "elfarol-log", "mra-k1-u40", "docs/results/2026-11-27-oneshot-count-encoding.md"},
		{"publicgoods.toml", "../experiments/oneshot-others.toml", "publicgoods-log", "mra-k1-u40", "docs/results/2026-11-27-oneshot-count-encoding.md"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, err := scenarios.Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			g, err := scenarios.LoadGrid(tc.grid)
			if err != nil {
				t.Fatal(err)
			}
			var run *scenarios.GridRun
			for i := range g.Runs {
				if r := &g.Runs[i]; r.Scenario == tc.scenario && r.Algo == tc.algo {
					run = r
					break
				}
			}
			if run == nil {
				t.Fatalf("%s has no run of scenario %s with algorithm %s", tc.grid, tc.scenario, tc.algo)
			}
			m := run.Spec
			for _, c := range []struct {
				key       string
				got, want any
			}{
				{"game.name", s.Game.Name, m.Game.Name},
				{"game.params", withoutZeroCapacity(s.Game.Params), m.Game.Params},
				{"train.populations", s.Train.Populations, m.Train.Populations},
				{"train.episodes", s.Train.Episodes, m.Train.Episodes},
				{"train.parallel_envs", s.Train.ParallelEnvs, m.Train.ParallelEnvs},
				{"eval.episodes", s.Eval.Episodes, m.Eval.Episodes},
				{"eval.adapt_steps", s.Eval.AdaptSteps, m.Eval.AdaptSteps},
				{"eval.adapt_episodes", s.Eval.AdaptEpisodes, m.Eval.AdaptEpisodes},
				{"eval.br_episodes", s.Eval.BREpisodes, m.Eval.BREpisodes},
				{"algo", s.Algo, m.Algo},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: %s = %+v, but the configuration %s measured (%s, %s) has %+v", tc.file, c.key, c.got, tc.page, tc.grid, tc.algo, c.want)
				}
			}
			src, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(headerComment(string(src)), " "), tc.page) {
				t.Errorf("%s: its header comment does not name %s", tc.file, tc.page)
			}
		})
	}
}

// withoutZeroCapacity drops El Farol's capacity = 0, the default the
// shipped file writes out and the measured scenario leaves unset.
func withoutZeroCapacity(params map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range params {
		if k == "capacity" && reflect.DeepEqual(v, int64(0)) {
			continue
		}
		out[k] = v
	}
	return out
}

package cli

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// TestValidateGridSaysSweep checks that validate on a sweep grid says how
// to check a grid instead of reporting the grid's keys as unknown.
func TestValidateGridSaysSweep(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.toml")
	os.WriteFile(grid, []byte(sweepGrid), 0o644)
	_, errOut, code := runCLI("validate", grid)
	if code != ExitUsage {
		t.Fatalf("code %d, want %d\n%s", code, ExitUsage, errOut)
	}
	want := "this is a grid: use `mrasim sweep " + grid + " --dry-run`"
	if !strings.Contains(errOut, want) || strings.Contains(errOut, "unknown key") {
		t.Errorf("stderr %q, want %q and no unknown key", errOut, want)
	}
}

// TestVersionLine checks --version's line with and without build
// information (a -buildvcs=false build has no VCS settings).
func TestVersionLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "mrasim unknown (commit unknown)"},
		{"no vcs", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "mrasim (devel) (commit unknown)"},
		{"vcs", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}}, true, "mrasim v0.3.0 (commit abc123)"},
		{"dirty", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}, true, "mrasim unknown (commit abc123+dirty)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionLine("mrasim", func() (*debug.BuildInfo, bool) { return tc.info, tc.ok })
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	out, errOut, code := runCLI("--version")
	if code != ExitOK || !strings.HasPrefix(out, "mrasim ") || !strings.Contains(out, "(commit ") {
		t.Errorf("--version: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestPlural checks the counts of messages: one episode, not "1 episodes".
func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 episodes"}, {1, "1 episode"}, {2, "2 episodes"}} {
		if got := plural(tc.n, "episode"); got != tc.want {
			t.Errorf("plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	_, scenario := tinyScenario(t)
	out, errOut, code := runCLI("rollout", scenario, "--episodes", "1")
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if strings.Contains(out+errOut, "1 episodes") || !strings.Contains(out+errOut, "1 episode ") {
		t.Errorf("rollout --episodes 1 output:\n%s%s", out, errOut)
	}
}

// TestEvalPopulationsAscending checks that eval lists populations by size
// whatever order the file gives them in.
func TestEvalPopulationsAscending(t *testing.T) {
	var pops []env.Population
	for _, n := range []int{3, 6, 4, 9} {
		pops = append(pops, env.Population{{Type: "walkers", Count: n}})
	}
	var got []int
	for _, p := range ascending(pops) {
		got = append(got, p.Total())
	}
	if want := []int{3, 4, 6, 9}; !equalInts(got, want) {
		t.Errorf("sizes %v, want %v", got, want)
	}
	if pops[1].Total() != 6 {
		t.Error("ascending changed its argument")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSetOverridesScenarioKeys checks --set on validate and train: an
// override is checked as the file's key, an unknown key is named, and the
// run folder records the effective scenario.
func TestSetOverridesScenarioKeys(t *testing.T) {
	dir, scenario := tinyScenario(t)
	for _, tc := range []struct {
		set  []string
		code int
		want string
	}{
		{[]string{"train.episodes=48"}, ExitOK, "ok " + scenario},
		{[]string{"train.episodes=0"}, ExitUsage, "train.episodes: "},
		{[]string{"train.episodes=0"}, ExitUsage, "(from --set train.episodes=0)"},
		{[]string{"train.episdes=48"}, ExitUsage, "train.episdes"},
		{[]string{"algo.batch_size=16", "eval.episodes=2"}, ExitOK, "ok " + scenario},
		{[]string{"train.episodes"}, ExitUsage, "want KEY=VALUE"},
		{[]string{"train.episodes=[1"}, ExitUsage, "is not a TOML value"},
	} {
		args := []string{"validate", scenario}
		for _, s := range tc.set {
			args = append(args, "--set", s)
		}
		out, errOut, code := runCLI(args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: code %d (want %d), output lacks %q:\n%s%s", tc.set, code, tc.code, tc.want, out, errOut)
		}
	}
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--set", "train.episodes=8", "--set", "seed=7"); code != ExitOK {
		t.Fatalf("train --set: code %d\n%s", code, errOut)
	}
	saved, err := os.ReadFile(filepath.Join(run, runScenario))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"episodes = 8", "seed = 7"} {
		if !strings.Contains(string(saved), w) {
			t.Errorf("%s lacks %q:\n%s", runScenario, w, saved)
		}
	}
}

// TestTrainEndsWithNextSteps checks that train ends with the eval and
// render commands of its run (render only for particle games) and calls a
// small budget a smoke test.
func TestTrainEndsWithNextSteps(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, src string
		render    bool
	}{
		{"resource", tinyResource, true},
		{"line", tinyTrain, false},
	} {
		scenario := filepath.Join(dir, tc.name+".toml")
		os.WriteFile(scenario, []byte(tc.src), 0o644)
		run := filepath.Join(dir, tc.name+"-run")
		out, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8")
		if code != ExitOK {
			t.Fatalf("%s: code %d\n%s", tc.name, code, errOut)
		}
		for _, w := range []string{"mrasim eval --run " + run, "8 episodes per population is a smoke test: 0.01% of the paper's 80,000"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.name, w, out)
			}
		}
		if got := strings.Contains(out, "mrasim render --run "+run); got != tc.render {
			t.Errorf("%s: render line shown %v, want %v:\n%s", tc.name, got, tc.render, out)
		}
	}
}

// TestSmokeNote checks which budgets are called smoke tests.
func TestSmokeNote(t *testing.T) {
	for _, tc := range []struct {
		episodes int
		want     string
	}{
		{480, "480 episodes per population is a smoke test: 0.6% of the paper's 80,000"},
		{1, "1 episode per population is a smoke test: 0.0013% of the paper's 80,000"},
		{8000, ""},
		{80000, ""},
	} {
		got := smokeNote(tc.episodes)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("smokeNote(%d) = %q, want %q…", tc.episodes, got, tc.want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 80000: "80,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestValidateEstimatesEpisodesAndTime checks that validate prints the
// budget and an estimated training time, and says when the 80,000-episode
// default applies.
func TestValidateEstimatesEpisodesAndTime(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.toml")
	os.WriteFile(set, []byte(tinyResource), 0o644)
	unset := filepath.Join(dir, "unset.toml")
	os.WriteFile(unset, []byte(strings.Replace(tinyResource, "episodes = 8\n", "", 1)), 0o644)
	out, errOut, code := runCLI("validate", set, unset)
	if code != ExitOK {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two lines:\n%s", out)
	}
	for i, want := range [][]string{
		{"8 episodes per population", "training an estimated ", "of CPU time", "measured CPU cost per agent-step", "of memory"},
		{"80000 episodes per population", "training an estimated ", "the paper's default of 80,000 applies", "of memory"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %q lacks %q", lines[i], w)
			}
		}
	}
	if strings.Contains(lines[0], "paper's default") {
		t.Errorf("a scenario with train.episodes is said to inherit the default: %q", lines[0])
	}
}

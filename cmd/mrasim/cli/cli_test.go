package cli_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/cmd/mrasim/cli"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

func init() { line.Register() }

func run(args ...string) (stdout, stderr string, code int) {
	var out, errOut strings.Builder
	code = cli.Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func write(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const good = `[game]
name = "line"
[train]
populations = ["walkers=2", 3]
`

func TestUsageAndHelp(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, cli.ExitUsage, "", "Usage:"},
		{[]string{"-h"}, cli.ExitOK, "Commands:", ""},
		{[]string{"frobnicate"}, cli.ExitUsage, "", `unknown command "frobnicate"`},
		{[]string{"envs", "-h"}, cli.ExitOK, "Usage: mrasim envs", ""},
		{[]string{"validate", "-h"}, cli.ExitOK, "Usage: mrasim validate FILE...", ""},
		{[]string{"rollout", "-h"}, cli.ExitOK, "-population", ""},
		{[]string{"rollout", "--bogus"}, cli.ExitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"validate"}, cli.ExitUsage, "", "name at least one scenario file"},
		{[]string{"rollout"}, cli.ExitUsage, "", "want one scenario file, got 0 arguments"},
		{[]string{"envs", "nosuchgame"}, cli.ExitUsage, "", `unknown game "nosuchgame"`},
	} {
		out, errOut, code := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.inStdout) || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("mrasim %v: code %d (want %d)\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
		}
	}
}

func TestEnvsListsGames(t *testing.T) {
	out, _, code := run("envs", "line")
	want := []string{
		"line — walkers on a line race to a goal cell and avoid a pit",
		"walkers", "1–256 agents",
		"length", "an integer in [3, 1000], default 8", "number of cells L",
	}
	for _, w := range want {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("envs output lacks %q:\n%s", w, out)
		}
	}
}

// TestValidateBadFiles is the done-when of the foundation issue: every kind
// of malformed scenario exits 2 with a message naming the file and the
// key or line, never a panic.
func TestValidateBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"syntax", "[game\nname = 1\n", "bad.toml:1:6: expected '.' or ']' to end table name, but got '\\n' instead"},
		{"unknown key", good + "epsiodes = 4\n", `bad.toml:5:1: train.epsiodes: unknown key (did you mean "train.episodes"?)`},
		{"out of range", good + "parallel_envs = 0\n", "bad.toml:5:1: train.parallel_envs: 0 is out of range: want an integer in [1, 4096]"},
		{"wrong type", good + "episodes = 1.5\n", "bad.toml:5:1: train.episodes: got float 1.5, want an integer in [1, 1e+09]"},
		{"unknown game", strings.Replace(good, `"line"`, `"lines"`, 1), `bad.toml:2:1: game.name: unknown game "lines" (did you mean "line"?)`},
		{"population refused", strings.Replace(good, "3]", "0]", 1), `bad.toml:4:29: train.populations[1]: game "line" refuses population "walkers=0": 0 agents of type "walkers", allowed 1 to 256`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, "bad.toml", tc.src)
			out, errOut, code := run("validate", path)
			if code != cli.ExitUsage || out != "" {
				t.Errorf("code %d, stdout %q; want 2 and nothing", code, out)
			}
			want := filepath.Join(filepath.Dir(path), tc.want)
			if !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr:\n%s\nwant it to start with\n%s", errOut, want)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace in output:\n%s", errOut)
			}
		})
	}
}

func TestValidateSeveral(t *testing.T) {
	ok := write(t, "ok.toml", good)
	bad := write(t, "bad.toml", good+"seed = -1\n")
	out, errOut, code := run("validate", ok, bad, ok)
	okLine := regexp.MustCompile(`^ok ` + regexp.QuoteMeta(ok) + ` \(80000 episodes per population, training an estimated [0-9hms]+ of CPU time .*; training needs about [0-9.]+ [KMG]iB of memory\)$`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != cli.ExitUsage || len(lines) != 2 || !okLine.MatchString(lines[0]) || lines[1] != lines[0] || !strings.Contains(errOut, "bad.toml") {
		t.Errorf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if _, errOut, code := run("validate", filepath.Join(t.TempDir(), "missing.toml")); code != cli.ExitUsage || !strings.Contains(errOut, "missing.toml: no such file") {
		t.Errorf("missing file: code %d, stderr %s", code, errOut)
	}
}

func TestRolloutWritesSteps(t *testing.T) {
	scenario := write(t, "s.toml", good+"[game.params]\nhorizon = 5\n")
	jsonl := filepath.Join(t.TempDir(), "steps.jsonl")
	out, errOut, code := run("rollout", scenario, "--episodes", "3", "--seed", "9", "--obs", "--out", jsonl)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, w := range []string{"seed 9", "population walkers=2: 3 episodes", "population walkers=3: 3 episodes", "walkers"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type record struct {
		Population string      `json:"population"`
		Episode    int         `json:"episode"`
		T          int         `json:"t"`
		Actions    []int       `json:"actions"`
		Rewards    []float64   `json:"rewards"`
		Terminated []bool      `json:"terminated"`
		Truncated  []bool      `json:"truncated"`
		Obs        [][]float64 `json:"obs"`
	}
	var recs []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v", len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	first := recs[0]
	if first.Population != "walkers=2" || first.T != 0 || first.Actions != nil || len(first.Obs) != 2 || len(first.Obs[0]) != 3+1 {
		t.Errorf("first record %+v, want the t=0 observation record of walkers=2", first)
	}
	// Every episode counts t up from 0 and ends done or at the horizon.
	for k := 1; k < len(recs); k++ {
		r, prev := recs[k], recs[k-1]
		if r.T != 0 && (r.T != prev.T+1 || r.Episode != prev.Episode || len(r.Actions) != len(r.Rewards)) {
			t.Fatalf("record %d %+v does not follow %+v", k, r, prev)
		}
		if r.T == 5 {
			for i := range r.Truncated {
				if !r.Truncated[i] && !r.Terminated[i] {
					t.Errorf("record %d: agent %d neither truncated nor terminated at the horizon", k, i)
				}
			}
		}
	}
	// Same seed, same file.
	again := filepath.Join(t.TempDir(), "again.jsonl")
	run("rollout", scenario, "--episodes", "3", "--seed", "9", "--obs", "--out", again)
	a, _ := os.ReadFile(jsonl)
	b, _ := os.ReadFile(again)
	if string(a) != string(b) {
		t.Error("the same seed gave a different rollout")
	}
}

func TestRolloutBadInput(t *testing.T) {
	scenario := write(t, "s.toml", good)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rollout", scenario, "--population", "walkers=999"}, cli.ExitUsage, `--population walkers=999: game "line" refuses population "walkers=999"`},
		{[]string{"rollout", scenario, "--population", "dogs=2"}, cli.ExitUsage, `unknown agent type "dogs"`},
		{[]string{"rollout", scenario, "--episodes", "0"}, cli.ExitUsage, "--episodes 0: want ≥ 1"},
		{[]string{"rollout", scenario, scenario}, cli.ExitUsage, "want one scenario file, got 2 arguments"},
		{[]string{"rollout", scenario, "--out", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl")}, cli.ExitFailure, "no such file or directory"},
	} {
		_, errOut, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d (want %d), stderr:\n%s", tc.args[2:], code, tc.code, errOut)
		}
	}
}

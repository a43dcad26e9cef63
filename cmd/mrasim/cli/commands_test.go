package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorPathsPrintThePrefixOnce runs an error path of every command,
// bad input (exit 2) and failure (exit 1), and checks that the command's
// prefix "mrasim NAME: " is printed exactly once, by Main, before the
// message, and nothing goes to stdout.
func TestErrorPathsPrintThePrefixOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file") // a regular file where a folder is wanted
	scenario := filepath.Join(dir, "tiny.toml")
	resource := filepath.Join(dir, "res.toml")
	grid := filepath.Join(dir, "grid.toml")
	for path, src := range map[string]string{
		file: "x", scenario: tinyTrain, resource: tinyResource, grid: sweepGrid,
		filepath.Join(dir, "walk.toml"): sweepScenario,
	} {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "4"); code != ExitOK {
		t.Fatalf("training the run to evaluate: code %d\n%s", code, errOut)
	}
	// A port where nothing listens: connecting is refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "nats://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		args []string
		code int
		want string // the message after the prefix
	}{
		{[]string{"envs", "nosuchgame"}, ExitUsage, `unknown game "nosuchgame"`},
		{[]string{"validate"}, ExitUsage, "name at least one scenario file"},
		{[]string{"validate", filepath.Join(dir, "missing.toml")}, ExitUsage, "open " + filepath.Join(dir, "missing.toml")},
		{[]string{"rollout", scenario, "--episodes", "0"}, ExitUsage, "--episodes 0: want ≥ 1"},
		{[]string{"rollout", scenario, "--out", filepath.Join(file, "steps.jsonl")}, ExitFailure, "open " + filepath.Join(file, "steps.jsonl")},
		{[]string{"train"}, ExitUsage, "want one scenario file, got 0 arguments"},
		{[]string{"train", scenario, "--workers", "0"}, ExitUsage, "--workers 0: want ≥ 1"},
		{[]string{"train", scenario, "--out", run, "--quiet"}, ExitUsage, run + " already holds a run"},
		{[]string{"train", scenario, "--out", filepath.Join(file, "run"), "--quiet"}, ExitFailure, "mkdir " + file},
		{[]string{"eval", "stray"}, ExitUsage, `unexpected argument "stray" (name runs with --run)`},
		{[]string{"eval", "--run", run, "--nashconv", "maybe"}, ExitUsage, `--nashconv "maybe": want one of`},
		{[]string{"eval", "--run", run, "--out", file}, ExitFailure, "--out " + file + ": not a folder"},
		{[]string{"render"}, ExitUsage, "want a scenario file or --run DIR"},
		{[]string{"render", resource, "--out", filepath.Join(dir, "no", "x.gif")}, ExitFailure, "--out " + filepath.Join(dir, "no", "x.gif") + ": the folder " + filepath.Join(dir, "no") + " does not exist"},
		{[]string{"export"}, ExitUsage, "want --run DIR"},
		{[]string{"export", "--run", run, "--population", "walkers=0"}, ExitUsage, "--population walkers=0: "},
		{[]string{"export", "--run", run, "--out", filepath.Join(file, "policy.npz")}, ExitFailure, ""},
		{[]string{"sweep"}, ExitUsage, "want one grid file, got 0 arguments"},
		{[]string{"sweep", grid, "--jobs", "0"}, ExitUsage, "--jobs 0 and --workers 1: want ≥ 1"},
		{[]string{"sweep", grid, "--out", filepath.Join(file, "out"), "--quiet"}, ExitFailure, "mkdir " + file},
		{[]string{"worker"}, ExitUsage, "--nats URL is required"},
		{[]string{"worker", "--nats", closed, "--token-file", filepath.Join(dir, "missing")}, ExitUsage, "--token-file: "},
		{[]string{"worker", "--nats", closed}, ExitFailure, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(tc.args...)
			prefix := "mrasim " + tc.args[0] + ": "
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, errOut)
			}
			if n := strings.Count(errOut, prefix); n != 1 {
				t.Errorf("%q printed %d times, want once:\n%s", prefix, n, errOut)
			}
			if !strings.Contains(errOut, prefix+tc.want) {
				t.Errorf("stderr lacks %q:\n%s", prefix+tc.want, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestScenarioProblemsPrintWithoutPrefix: a scenario file's problems
// print as file:line:col with the offending line, not after a prefix.
func TestScenarioProblemsPrintWithoutPrefix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(path, []byte(tinyTrain+"epsiodes = 4\n"), 0o644)
	for _, cmd := range []string{"validate", "rollout", "train", "render"} {
		_, errOut, code := runCLI(cmd, path)
		if code != ExitUsage || !strings.HasPrefix(errOut, path+":14:1: algo.epsiodes: unknown key") || strings.Contains(errOut, "mrasim "+cmd+":") {
			t.Errorf("%s: exit %d\n%s", cmd, code, errOut)
		}
	}
}

// TestProgName: messages name the program as it was started.
func TestProgName(t *testing.T) {
	for _, tc := range []struct{ arg0, want string }{
		{"/usr/local/bin/mrasim", "mrasim"},
		{"./customenv", "customenv"},
		{"customenv", "customenv"},
		{"", "mrasim"},
		{"/", "mrasim"},
	} {
		if got := progName(tc.arg0); got != tc.want {
			t.Errorf("progName(%q) = %q, want %q", tc.arg0, got, tc.want)
		}
	}
}

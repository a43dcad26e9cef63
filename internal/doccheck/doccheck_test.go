package doccheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's root, from this package's folder.
const root = "../.."

// docs lists README.md, experiments/README.md and every Markdown file under docs/.
func docs(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md"), filepath.Join(root, "experiments", "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSlug(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Quick start", "quick-start"},
		{"Two variants: `official` and `corrected`", "two-variants-official-and-corrected"},
		{"The paper's three environments at their training sizes, 3 seeds", "the-papers-three-environments-at-their-training-sizes-3-seeds"},
		{"One-shot: the volunteer's dilemma trained at {2, 3, 5}, 3 seeds", "one-shot-the-volunteers-dilemma-trained-at-2-3-5-3-seeds"},
		{"Scale-out on NATS JetStream", "scale-out-on-nats-jetstream"},
		{"A [linked](x.md) heading", "a-linked-heading"},
		{"snake_case and Ünïcode", "snake_case-and-ünïcode"},
	} {
		if got := Slug(c.in); got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("b.md", "# Title\n\n## Part\n\n## Part\n")
	a := write("a.md", "# A\n\n[ok](b.md#part-1) [ok](#a) [ok](https://x.invalid/#nothing) `[skip](nowhere.md)`\n"+
		"[missing file](c.md)\n[missing anchor](b.md#part-2)\n```\n[in code](gone.md)\n```\n[self](#b)\n")
	bad, err := Check([]string{a})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c.md: no such file", "b.md#part-2: no heading", "#b: no heading"}
	if len(bad) != len(want) {
		t.Fatalf("got %d problems %q, want %d", len(bad), bad, len(want))
	}
	for i, w := range want {
		if !strings.Contains(bad[i], w) {
			t.Errorf("problem %d = %q, want it to mention %q", i, bad[i], w)
		}
	}
}

// TestDocLinks checks every relative link and anchor of README.md and docs/.
func TestDocLinks(t *testing.T) {
	bad, err := Check(docs(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

func TestWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  bool
	}{
		{`mrasim eval --populations "3 6 9" --out x   # comment`, []string{"mrasim", "eval", "--populations", "3 6 9", "--out", "x"}, false},
		{`mrasim train a.toml | tee log`, nil, true},
		{`mrasim train $HOME`, nil, true},
		{`mrasim "open`, nil, true},
	} {
		got, err := Words(c.in)
		if (err != nil) != c.err || strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
			t.Errorf("Words(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

// tiny are the flags appended to each quick-start command so that CI runs it
// in seconds; Go's flag package keeps the last value of a repeated flag.
var tiny = map[string][]string{
	"train":  {"--episodes", "24", "--quiet"},
	"eval":   {"--episodes", "12", "--adapt-steps", "2", "--br-episodes", "0", "--quiet"},
	"render": {"--episodes", "1"},
}

// TestQuickStartRuns runs every command of the README's quick start, as
// written plus the tiny budgets above, with the binary named by
// MRASIM_QUICKSTART_BIN (.ci/run builds it and sets it), in a scratch folder
// that sees the repository's scenarios/. Without the variable it checks only
// that the quick start parses.
func TestQuickStartRuns(t *testing.T) {
	cmds, err := QuickStart(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var runs [][]string
	for _, c := range cmds {
		w, err := Words(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) < 2 || w[0] != "mrasim" {
			t.Fatalf("quick start line %q: every line must be an mrasim command", c)
		}
		seen[w[1]] = true
		runs = append(runs, append(w[1:], tiny[w[1]]...))
	}
	for _, want := range []string{"train", "eval", "render"} {
		if !seen[want] {
			t.Errorf("the quick start has no mrasim %s command", want)
		}
	}
	bin := os.Getenv("MRASIM_QUICKSTART_BIN")
	if bin == "" {
		t.Skip("MRASIM_QUICKSTART_BIN is not set: the quick start parses; .ci/run runs it")
	}
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "scenarios"), filepath.Join(dir, "scenarios")); err != nil {
		t.Fatal(err)
	}
	for _, args := range runs {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mrasim %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("mrasim %s: ok", strings.Join(args, " "))
	}
}

var (
	commandLineRe = regexp.MustCompile(`^\s{2,}([a-z]+)\s{2,}\S`)
	flagLineRe    = regexp.MustCompile(`^\s+--?([a-z][a-z0-9-]*)\b`)
)

// TestCommandTableHasEveryFlag checks that the README's command table has a
// row for every command `mrasim -h` lists and that the row names every flag
// `mrasim CMD -h` prints, so the table stays complete as the command line
// changes. It needs the binary (MRASIM_QUICKSTART_BIN, set by .ci/run).
func TestCommandTableHasEveryFlag(t *testing.T) {
	bin := os.Getenv("MRASIM_QUICKSTART_BIN")
	if bin == "" {
		t.Skip("MRASIM_QUICKSTART_BIN is not set; .ci/run runs this test")
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| `mrasim ") {
			f := strings.Fields(strings.TrimPrefix(l, "| `mrasim "))
			if len(f) > 0 {
				rows[strings.TrimSuffix(f[0], "`")] = l
			}
		}
	}
	help := func(args ...string) string {
		out, _ := exec.Command(bin, args...).CombinedOutput() // -h may exit 0 or 2; the text is what counts
		return string(out)
	}
	var cmds []string
	for _, l := range strings.Split(help("-h"), "\n") {
		if m := commandLineRe.FindStringSubmatch(l); m != nil {
			cmds = append(cmds, m[1])
		}
	}
	if len(cmds) == 0 {
		t.Fatalf("%s -h listed no commands", bin)
	}
	for _, c := range cmds {
		row, ok := rows[c]
		if !ok {
			t.Errorf("README's command table has no row for mrasim %s", c)
			continue
		}
		for _, l := range strings.Split(help(c, "-h"), "\n") {
			if m := flagLineRe.FindStringSubmatch(l); m != nil && m[1] != "h" && m[1] != "help" {
				if !strings.Contains(row, "--"+m[1]+"`") && !strings.Contains(row, "--"+m[1]+" ") &&
					!strings.Contains(row, "--"+m[1]+"]") && !strings.Contains(row, "--"+m[1]+")") {
					t.Errorf("README's row for mrasim %s does not name its flag --%s", c, m[1])
				}
			}
		}
	}
}

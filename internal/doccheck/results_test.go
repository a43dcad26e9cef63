package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// commitRe finds a commit named on a results page's Recorded line.
	commitRe = regexp.MustCompile("commit `[0-9a-f]{7,40}`")
	// gridNameRe finds the grid files a Grid line names in code spans.
	gridNameRe = regexp.MustCompile("`([A-Za-z0-9_./-]+\\.toml)`")
)

// resultPages lists docs/results/*.md without its README.
func resultPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "results", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pages {
		if filepath.Base(p) != "README.md" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/results has no page")
	}
	return out
}

// header returns the page's "- **Name:** text" lines by name.
func header(t *testing.T, page string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for _, l := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(l, "- **"); ok {
			if name, text, ok := strings.Cut(rest, ":**"); ok {
				if _, dup := h[name]; !dup {
					h[name] = strings.TrimSpace(text)
				}
			}
		}
	}
	return h
}

// TestResultPagesHeader checks that every results page gives what a reader
// needs to cite and reproduce it: its question, its grid file (or "none"
// and the commands), the commit that recorded it and its status (current,
// or superseded by another page). A grid named in a code span exists under
// experiments/ unless its clause says which commit has it.
func TestResultPagesHeader(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(root, "docs", "results", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range resultPages(t) {
		name := filepath.Base(page)
		h := header(t, page)
		for _, field := range []string{"Question", "Grid", "Recorded", "Status"} {
			if h[field] == "" {
				t.Errorf("%s: no \"- **%s:**\" line", name, field)
			}
		}
		if !commitRe.MatchString(h["Recorded"]) {
			t.Errorf("%s: the Recorded line names no commit (want commit `abc1234`): %q", name, h["Recorded"])
		}
		status := h["Status"]
		if status != "" && !strings.HasPrefix(status, "current") && !strings.HasPrefix(status, "superseded by [") {
			t.Errorf("%s: Status %q: want \"current…\" or \"superseded by [page](…)\"", name, status)
		}
		for _, clause := range strings.Split(h["Grid"], ";") {
			if strings.Contains(clause, "commit `") {
				continue // deleted grids, kept in history
			}
			for _, m := range gridNameRe.FindAllStringSubmatch(clause, -1) {
				p := m[1]
				if !strings.Contains(p, "/") {
					p = filepath.Join("experiments", p)
				}
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					t.Errorf("%s: the Grid line names %s, which does not exist (say which commit has it)", name, m[1])
				}
			}
		}
		if !strings.Contains(string(index), "("+name+")") {
			t.Errorf("docs/results/README.md does not list %s", name)
		}
	}
}

// TestResultPagesHeaderFails checks the test above can fail: a page
// without a commit or a status is caught by the same reading.
func TestResultPagesHeaderFails(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "2026-01-01-x.md")
	if err := os.WriteFile(page, []byte("# X\n\n- **Question:** q?\n- **Grid:** none\n- **Recorded:** 2026-01-01.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := header(t, page)
	if h["Status"] != "" || commitRe.MatchString(h["Recorded"]) {
		t.Fatalf("a page without status and commit reads as %q", h)
	}
}

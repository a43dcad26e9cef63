// Package doccheck checks the repository's Markdown documentation: that every
// relative link and #anchor in README.md and docs/ resolves, with GitHub's
// heading-anchor rules, and that the README's quick start is a runnable list of
// mrasim commands. Its tests run in CI, so a moved page or a renamed heading
// fails the build instead of leaving a dead link for a reader to find.
package doccheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// Link is one Markdown link or image reference found in a file.
type Link struct {
	File   string // the file the link is in
	Line   int    // 1-based line of the link
	Target string // the link's destination as written
}

var (
	headingRe = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	linkRe    = regexp.MustCompile(`!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeRe    = regexp.MustCompile("`[^`]*`")
	htmlRe    = regexp.MustCompile(`<[^>]*>`)
	mdLinkRe  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// Slug returns the anchor GitHub gives a heading's text: lower case, Markdown
// link syntax reduced to its text, HTML tags dropped, every character that is
// not a letter, digit, space, hyphen or underscore removed, spaces made
// hyphens. Repeats of a slug in one file get -1, -2, … (see Anchors).
func Slug(heading string) string {
	s := mdLinkRe.ReplaceAllString(heading, "$1")
	s = htmlRe.ReplaceAllString(s, "")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scan calls fn for every line of a Markdown file outside fenced code blocks.
func scan(path string, fn func(n int, line string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		t := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		fn(n, line)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// Anchors returns the set of #anchors a Markdown file's headings define, with
// GitHub's -1, -2, … suffixes for repeated headings.
func Anchors(path string) (map[string]bool, error) {
	set := map[string]bool{}
	count := map[string]int{}
	err := scan(path, func(_ int, line string) {
		m := headingRe.FindStringSubmatch(line)
		if m == nil {
			return
		}
		s := Slug(m[2])
		if c := count[s]; c > 0 {
			set[fmt.Sprintf("%s-%d", s, c)] = true
		} else {
			set[s] = true
		}
		count[s]++
	})
	return set, err
}

// Links returns every link and image destination of a Markdown file outside
// code blocks and inline code.
func Links(path string) ([]Link, error) {
	var out []Link
	err := scan(path, func(n int, line string) {
		line = codeRe.ReplaceAllString(line, "")
		for _, m := range linkRe.FindAllStringSubmatch(line, -1) {
			out = append(out, Link{File: path, Line: n, Target: m[1]})
		}
	})
	return out, err
}

// Check returns one message per link of the given Markdown files that does not
// resolve: a relative path that does not exist, or an #anchor that no heading
// of its target file defines. External links (a scheme such as https:) are
// not fetched.
func Check(files []string) ([]string, error) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(p string) (map[string]bool, error) {
		if a, ok := anchors[p]; ok {
			return a, nil
		}
		a, err := Anchors(p)
		anchors[p] = a
		return a, err
	}
	var bad []string
	for _, f := range files {
		links, err := Links(f)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			t := l.Target
			if strings.Contains(t, "://") || strings.HasPrefix(t, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(t, "#")
			target := f
			if path != "" {
				target = filepath.Join(filepath.Dir(f), filepath.FromSlash(path))
				if _, err := os.Stat(target); err != nil {
					bad = append(bad, fmt.Sprintf("%s:%d: %s: no such file %s", l.File, l.Line, t, target))
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			a, err := anchorsOf(target)
			if err != nil {
				return nil, err
			}
			if !a[frag] {
				bad = append(bad, fmt.Sprintf("%s:%d: %s: no heading of %s has the anchor #%s", l.File, l.Line, t, target, frag))
			}
		}
	}
	return bad, nil
}

// QuickStart returns the commands of the first sh code block after the
// README's "## Quick start" heading, one per line, comments and blank lines
// left out. It is an error if the section or its block is missing.
func QuickStart(readme string) ([]string, error) {
	data, err := os.ReadFile(readme)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", readme, err)
	}
	lines := strings.Split(string(data), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) != "## Quick start" {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("%s: no \"## Quick start\" section", readme)
	}
	for i < len(lines) && strings.TrimSpace(lines[i]) != "```sh" {
		if i > 0 && strings.HasPrefix(lines[i], "## ") && strings.TrimSpace(lines[i]) != "## Quick start" {
			return nil, fmt.Errorf("%s: the quick start has no ```sh block", readme)
		}
		i++
	}
	var cmds []string
	for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cmds = append(cmds, l)
	}
	if i == len(lines) {
		return nil, fmt.Errorf("%s: the quick start's sh block is not closed", readme)
	}
	return cmds, nil
}

// Words splits a command line as the shell does for the simple forms the
// quick start uses: words separated by blanks, double or single quotes
// grouping words, and a trailing comment after " #". Anything else a shell
// would interpret (pipes, variables, redirections) is an error, so the quick
// start stays runnable by this package as written.
func Words(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '#' && !in:
			return words, nil
		case strings.ContainsRune("|&;<>$`\\*?", r):
			return nil, fmt.Errorf("%q: character %q at %d needs a shell; the quick start allows plain words and quotes only", line, r, i)
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: unclosed quote", line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

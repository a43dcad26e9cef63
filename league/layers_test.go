package league_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestLeagueNamesNoAlgorithm checks that the league's packages reach
// trained runs only through agents/learner: none imports an algorithm
// package (mra, mappo), so an algorithm registered elsewhere plays like a built-in
// one.
func TestLeagueNamesNoAlgorithm(t *testing.T) {
	const module = "github.com/mrasim/mrasim/"
	for _, dir := range []string{".", "br", "meta", "sweep", "natsrun"} {
		ctx := build.Default
		ctx.UseAllFiles = true
		pkg, err := ctx.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if imp == module+"mra" || strings.HasPrefix(imp, module+"mra/") || imp == module+"mappo" {
				t.Errorf("league/%s imports %s: reach algorithms through agents/learner", dir, imp)
			}
		}
	}
}

package agents_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestLayersImportDown checks that the agents' layers import only what is
// below them: nn (the layers and the flat parameter layout) no other mrasim
// package, optim (the optimizer core) nothing of mrasim but nn, ppo (the PPO
// arithmetic every on-policy learner shares) nothing of mrasim, replay
// (encoding and buffers) only env and the checkpoint and file helpers,
// learner (the interface, registry and shared trainer) only env, agents,
// replay and the checkpoint framing, chunk (the parallel update's chunks
// and rows, shared by the algorithms) only nn and replay. An import
// upward would tie the layers to the optimizers, or the shared learning
// machinery to an algorithm.
func TestLayersImportDown(t *testing.T) {
	const module = "github.com/mrasim/mrasim/"
	for _, tc := range []struct {
		dir     string
		allowed []string
	}{
		{"nn", nil},
		{"optim", []string{module + "agents/nn"}},
		{"ppo", nil},
		{"replay", []string{module + "env", module + "internal/checkpoint", module + "internal/fsutil"}},
		{"learner", []string{module + "agents", module + "agents/replay", module + "env", module + "internal/checkpoint"}},
		{"chunk", []string{module + "agents/nn", module + "agents/replay"}},
	} {
		ctx := build.Default
		ctx.UseAllFiles = true // every architecture's files, not only this machine's
		pkg, err := ctx.ImportDir(tc.dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) && !slices.Contains(tc.allowed, imp) {
				t.Errorf("agents/%s imports %s; allowed from this module: %v", tc.dir, imp, tc.allowed)
			}
		}
	}
}

package cli

import (
	"math"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
)

// TestModeGradientSeries checks the gradient panel of curves.png: log10
// of each norm of the mode diagnostics, lines without diagnostics and
// norms that are not positive left out.
func TestModeGradientSeries(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	history := []learner.Metrics{
		{Episode: 4},
		{Episode: 8, Modes: &learner.ModeDiagnostics{ActorGrad: f(100), RelationDecay: f(0.001), MIGradActor: f(0)}},
		{Episode: 12, Modes: &learner.ModeDiagnostics{ActorGrad: f(10), MIGradActor: f(0.1), HeadSpread: f(0.5)}},
	}
	got := map[string][]float64{}
	for _, s := range modeGradientSeries(history) {
		got[s.Label] = append(s.X, s.Y...)
	}
	want := map[string][]float64{
		"actor loss ‖∂/∂θ‖":           {8, 12, 2, 1},
		"MI ‖∂/∂θ‖ (target policies)": {12, -1},
		"relation net weight decay":   {8, -3},
	}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for label, w := range want {
		g := got[label]
		if len(g) != len(w) {
			t.Fatalf("%s: %v, want %v", label, g, w)
		}
		for i := range w {
			if math.Abs(g[i]-w[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", label, g, w)
			}
		}
	}
}

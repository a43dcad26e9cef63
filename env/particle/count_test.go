package particle_test

import (
	"errors"
	"math"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// TestCountEncoding checks the count_feature entries of every particle game
// in each count encoding: n/10 per type by default and with "linear" (the
// observation as before the encoding could be chosen), ln n with "log", and
// every other number of the observation identical between the encodings.
func TestCountEncoding(t *testing.T) {
	for _, c := range []struct {
		game   string
		pop    env.Population
		at     int   // offset of the first count entry in every self block
		counts []int // the type counts the entries encode, in order
	}{
		{particle.ResourceName, one(7), 4 + 3*6, []int{7}},
		{particle.SpreadName, one(5), 4, []int{5}},
		{particle.TagName, two("adversaries", 3, "good", 2), 4, []int{3, 2}},
		{particle.TreasureName, two("collectors", 6, "deposits", 2), 6, []int{6, 2}},
		{particle.PacmanName, two("pacmen", 4, "ghosts", 3), 4, []int{4, 3}},
	} {
		obs := map[string][]float64{}
		var spec *env.Spec
		for _, enc := range []string{"", "linear", "log"} {
			raw := map[string]any{"count_feature": true}
			if enc != "" {
				raw["count_encoding"] = enc
			}
			g, err := env.Make(c.game, raw, c.pop)
			if err != nil {
				t.Fatalf("%s %v: %v", c.game, raw, err)
			}
			f := env.NewFrame(g.Spec())
			g.Reset(3, f)
			spec = g.Spec()
			obs[enc] = append([]float64(nil), f.Obs...)
			for i := range spec.NumAgents() {
				o := f.AgentObs(i)
				for k, n := range c.counts {
					want := float64(n) / 10
					if enc == "log" {
						want = math.Log(float64(n))
					}
					if got := o[c.at+k]; got != want {
						t.Errorf("%s count_encoding %q: agent %d count entry %d = %v, want exactly %v", c.game, enc, i, k, got, want)
					}
				}
			}
		}
		for k, v := range obs[""] {
			if obs["linear"][k] != v {
				t.Fatalf("%s: default and \"linear\" differ at obs[%d]: %v, %v", c.game, k, v, obs["linear"][k])
			}
		}
		diff := 0
		for k, v := range obs[""] {
			if obs["log"][k] != v {
				diff++
			}
		}
		if want := spec.NumAgents() * len(c.counts); diff != want {
			t.Errorf("%s: \"log\" changes %d numbers of the observation, want the %d count entries", c.game, diff, want)
		}
	}
}

// TestCountEncodingNeedsFeature checks that "log" without count_feature is
// refused rather than silently ignored.
func TestCountEncodingNeedsFeature(t *testing.T) {
	_, err := env.Make(particle.ResourceName, map[string]any{"count_encoding": "log"}, one(3))
	var pe *env.ParamError
	want := `game "resource" parameter "count_encoding": "log" encodes the count_feature entries, which are off; set count_feature = true or leave count_encoding out`
	if !errors.As(err, &pe) || err.Error() != want {
		t.Errorf("error %v, want the *env.ParamError %s", err, want)
	}
	if _, err := env.Make(particle.ResourceName, map[string]any{"count_encoding": "linear"}, one(3)); err != nil {
		t.Errorf("\"linear\" without the feature (the default): %v", err)
	}
}

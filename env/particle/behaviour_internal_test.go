package particle

import (
	"testing"

	"github.com/mrasim/mrasim/env"
)

// TestBehaviourStats places agents by hand and checks the statistics:
// resource gives the share of agents on each resource and on none, spread
// the share of landmarks covered.
func TestBehaviourStats(t *testing.T) {
	pop := env.Population{{Type: "agents", Count: 3}}
	params := func(name string) env.Params {
		reg, err := env.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := reg.Params(nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	rg, err := NewResource(params(ResourceName), pop)
	if err != nil {
		t.Fatal(err)
	}
	res := rg.(*Resource)
	sg, err := NewSpread(params(SpreadName), pop)
	if err != nil {
		t.Fatal(err)
	}
	spr := sg.(*Spread)
	// Resources 1..6 at x = 0, 1, …, 5; agents 0 and 1 on resource 6, agent 2 far away.
	for k := range res.l {
		res.w.PX[res.n+k], res.w.PY[res.n+k] = float64(k), 0
	}
	res.w.PX[0], res.w.PX[1], res.w.PX[2], res.w.PY[2] = 5, 5.01, 0, 10
	// Landmarks at x = 0, 1, 2; agents on landmarks 0 and 1.
	for l := range spr.n {
		spr.w.PX[spr.n+l], spr.w.PY[spr.n+l] = float64(l), 0
	}
	spr.w.PX[0], spr.w.PX[1], spr.w.PX[2], spr.w.PY[2] = 0, 1, 0, 10
	for _, tc := range []struct {
		name string
		g    env.BehaviourStats
		want []float64
	}{
		{"resource", res, []float64{0, 0, 0, 0, 0, 2.0 / 3, 1.0 / 3}},
		{"spread", spr, []float64{2.0 / 3}},
	} {
		names := tc.g.BehaviourNames()
		if len(names) != len(tc.want) {
			t.Fatalf("%s: %d names %q, want %d", tc.name, len(names), names, len(tc.want))
		}
		got := make([]float64, len(names))
		tc.g.Behaviour(got)
		for i := range got {
			if d := got[i] - tc.want[i]; d > 1e-12 || d < -1e-12 {
				t.Errorf("%s: %s = %v, want %v", tc.name, names[i], got[i], tc.want[i])
			}
		}
		if a := testing.AllocsPerRun(10, func() { tc.g.Behaviour(got) }); a != 0 {
			t.Errorf("%s: Behaviour allocates %v times", tc.name, a)
		}
	}
}

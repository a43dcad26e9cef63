package line_test

import (
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/envtest"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

func init() { line.Register() }

func TestConformance(t *testing.T) {
	for _, n := range []int{1, 2, 5, 64} {
		t.Run(env.Population{{Type: "walkers", Count: n}}.String(), func(t *testing.T) {
			envtest.Check(t, func() (env.Game, error) {
				return env.Make(line.Name, map[string]any{"length": int64(6)}, env.Population{{Count: n}})
			})
		})
	}
}

// TestRules walks one walker straight to the goal on a line of three cells
// and checks the outcome the rules give by hand: +1 and done when the pit is
// not in the way, −1 and dead when it is.
func TestRules(t *testing.T) {
	g, err := env.Make(line.Name, map[string]any{"length": int64(3)}, env.Population{{Count: 1}})
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(g.Spec())
	seen := map[bool]bool{}
	for seed := range uint64(40) {
		g.Reset(seed, f)
		o := f.AgentObs(0)
		pos, toGoal, toPit := int(o[0]*3+0.5), int(o[1]*3+0.5*sign(o[1])), int(o[2]*3+0.5*sign(o[2]))
		blocked := toPit*toGoal > 0 && abs(toPit) < abs(toGoal)
		action := 2 // right
		if toGoal < 0 {
			action = 1
		}
		for !f.Done() {
			g.Step([]int{action}, f)
		}
		wantReward, wantAlive, wantT := 1.0, true, abs(toGoal)
		if blocked {
			wantReward, wantAlive, wantT = -1, false, abs(toPit)
		}
		if f.Reward[0] != wantReward || f.Alive[0] != wantAlive || !f.Terminated[0] || f.T != wantT {
			t.Errorf("seed %d (start %d, goal %+d, pit %+d): reward %v alive %v terminated %v T %d; want %v %v true %d",
				seed, pos, toGoal, toPit, f.Reward[0], f.Alive[0], f.Terminated[0], f.T, wantReward, wantAlive, wantT)
		}
		seen[blocked] = true
	}
	if !seen[true] || !seen[false] {
		t.Fatalf("40 seeds did not cover both outcomes: %v", seen)
	}
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

func abs(x int) int { return max(x, -x) }

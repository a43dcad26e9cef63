package particle_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// goldenDir holds trajectories recorded from the original Python code; see
// its README.md for how they were made. These values must never change.
const goldenDir = "../../../shared/testdata/mpe"

// goldenTol is the largest absolute difference allowed between the port and
// the recorded trajectories.
const goldenTol = 1e-9

type goldenFile struct {
	Scenario string         `json:"scenario"`
	NAgents  int            `json:"n_agents"`
	Counts   map[string]int `json:"counts"`
	Runs     []struct {
		Seed    int `json:"seed"`
		Initial struct {
			AgentPos    [][2]float64 `json:"agent_p_pos"`
			AgentVel    [][2]float64 `json:"agent_p_vel"`
			LandmarkPos [][2]float64 `json:"landmark_p_pos"`
			Obs         [][]float64  `json:"obs"`
		} `json:"initial"`
		Steps []struct {
			T          int          `json:"t"`
			Actions    []int        `json:"actions"`
			Obs        [][]float64  `json:"obs"`
			Reward     []float64    `json:"reward"`
			RewardInd  []float64    `json:"reward_individual"`
			AgentPos   [][2]float64 `json:"agent_p_pos"`
			AgentVel   [][2]float64 `json:"agent_p_vel"`
			Terminated []bool       `json:"done"`
		} `json:"steps"`
	} `json:"runs"`
}

// worlder is implemented by every particle game.
type worlder interface {
	World() *particle.World
}

// goldenGame builds the game a file was recorded from, with its rewards
// shared or individual.
func goldenGame(t *testing.T, gf *goldenFile, shared bool) env.Game {
	t.Helper()
	var (
		g   env.Game
		err error
	)
	horizon := int64(len(gf.Runs[0].Steps))
	switch gf.Scenario {
	case "resource":
		g, err = env.Make(particle.ResourceName, map[string]any{"max_steps": horizon, "shared_reward": shared, "resources": int64(gf.Counts["landmarks"])},
			env.Population{{Count: gf.Counts["agents"]}})
	case "simple_spread":
		g, err = env.Make(particle.SpreadName, map[string]any{"max_steps": horizon, "shared_reward": shared},
			env.Population{{Count: gf.Counts["agents"]}})
	case "simple_tag":
		g, err = env.Make(particle.TagName, map[string]any{"max_steps": horizon, "obstacles": int64(gf.Counts["landmarks"])},
			env.Population{{Type: "adversaries", Count: gf.Counts["adversaries"]}, {Type: "good", Count: gf.Counts["good"]}})
	default:
		t.Fatalf("unknown scenario %q", gf.Scenario)
	}
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGolden replays every recorded trajectory from its recorded initial
// state and checks positions, velocities, flat observations and rewards at
// every step.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in %s (%v)", goldenDir, err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var gf goldenFile
			if err := json.Unmarshal(raw, &gf); err != nil {
				t.Fatal(err)
			}
			worst := map[string]float64{}
			for _, shared := range []bool{false, true} {
				if gf.Scenario == "simple_tag" && shared {
					continue // tag has one reward convention
				}
				replay(t, &gf, shared, worst)
			}
			t.Logf("%s: max abs error: pos %.3g vel %.3g obs %.3g reward %.3g",
				name, worst["pos"], worst["vel"], worst["obs"], worst["reward"])
		})
	}
}

func replay(t *testing.T, gf *goldenFile, shared bool, worst map[string]float64) {
	t.Helper()
	g := goldenGame(t, gf, shared)
	fo := g.(env.FlatObserver)
	w := g.(worlder).World()
	s := g.Spec()
	f := env.NewFrame(s)
	check := func(what, where string, got, want float64) {
		t.Helper()
		d := math.Abs(got - want)
		if !(d <= goldenTol) {
			t.Fatalf("%s: %s = %v, want %v (diff %.3g)", where, what, got, want, d)
		}
		key := what
		if i := strings.IndexByte(what, '['); i >= 0 {
			key = what[:i]
		}
		worst[key] = max(worst[key], d)
	}
	checkObs := func(where string, want [][]float64) {
		t.Helper()
		for i, wo := range want {
			got := make([]float64, fo.FlatLen(s.AgentType(i)))
			if len(got) != len(wo) {
				t.Fatalf("%s agent %d: flat observation length %d, want %d", where, i, len(got), len(wo))
			}
			fo.FlatObs(i, got)
			for k := range wo {
				check(fmt.Sprintf("obs[%d][%d]", i, k), where, got[k], wo[k])
			}
		}
	}
	for _, run := range gf.Runs {
		g.Reset(uint64(run.Seed), f)
		na := len(run.Initial.AgentPos)
		for i, p := range run.Initial.AgentPos {
			v := run.Initial.AgentVel[i]
			w.Place(i, p[0], p[1], v[0], v[1])
		}
		for l, p := range run.Initial.LandmarkPos {
			w.Place(na+l, p[0], p[1], 0, 0)
		}
		g.Observe(f)
		where := fmt.Sprintf("seed %d shared %v initial", run.Seed, shared)
		checkObs(where, run.Initial.Obs)
		for _, st := range run.Steps {
			g.Step(st.Actions, f)
			where := fmt.Sprintf("seed %d shared %v step %d", run.Seed, shared, st.T)
			if f.T != st.T {
				t.Fatalf("%s: T = %d", where, f.T)
			}
			for i := range na {
				check("pos", where, w.PX[i], st.AgentPos[i][0])
				check("pos", where, w.PY[i], st.AgentPos[i][1])
				check("vel", where, w.VX[i], st.AgentVel[i][0])
				check("vel", where, w.VY[i], st.AgentVel[i][1])
				want := st.RewardInd[i]
				if shared {
					want = st.Reward[i]
				}
				check(fmt.Sprintf("reward[%d]", i), where, f.Reward[i], want)
			}
			checkObs(where, st.Obs)
		}
		if !f.Done() {
			t.Errorf("seed %d: episode not done after %d steps", run.Seed, f.T)
		}
	}
}

package cli

import (
	"github.com/mrasim/mrasim/agents/learner"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrainTimeCountsUpdates: validate's training-time estimate counts the
// replay update cycles' work (cycles × num_updates × batch_size × agents
// gradient-step rows) beside the agent-steps, so it grows with num_updates
// as the formula says; a learner without replay updates (MAPPO) has no
// rows. Checked against measured runs (user time of `mrasim train FILE
// --episodes N [--set algo.num_updates=U]` on the shared 2-core machine at
// a load of 11–16, 2026-12-07): volunteer.toml, 6000 episodes, U = 40:
// estimated 27.5 s, measured 27.7 s (ratio estimated/measured 0.99; the
// estimate before counting updates was 8 s); U = 10: 7.9 s against 6.5 s
// (1.21); resource.toml, 240 episodes, U = 40: 19.8 s against 20.0 s
// (0.99). The test itself times nothing.
func TestTrainTimeCountsUpdates(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		sets       []string
		agentSteps float64 // episodes × agents × horizon over the training populations
		rows       float64 // cycles (episodes × horizon / steps_per_update) × num_updates × batch_size × agents
	}{
		{"volunteer, 10 updates", "volunteer.toml", []string{"algo.num_updates=10"}, 6000 * (2 + 3 + 5), 60 * 10 * 256 * (2 + 3 + 5)},
		{"volunteer, 40 updates", "volunteer.toml", nil, 6000 * (2 + 3 + 5), 60 * 40 * 256 * (2 + 3 + 5)},
		{"resource, 2 updates", "resource.toml", []string{"algo.num_updates=2"}, 480 * (3 + 6) * 20, 96 * 2 * 256 * (3 + 6)},
		{"resource, 10 updates", "resource.toml", nil, 480 * (3 + 6) * 20, 96 * 10 * 256 * (3 + 6)},
		{"maddpg", "resource-maddpg.toml", nil, 480 * (3 + 6) * 20, 96 * 10 * 256 * (3 + 6)},
		{"mappo: no replay updates", "resource-mappo.toml", nil, 960 * (3 + 6) * 20, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadSet("../../../scenarios/"+tc.file, tc.sets)
			if err != nil {
				t.Fatal(err)
			}
			steps, rows, err := trainWork(s)
			if err != nil {
				t.Fatal(err)
			}
			if steps != tc.agentSteps || rows != tc.rows {
				t.Errorf("work %v agent-steps, %v rows; want %v and %v", steps, rows, tc.agentSteps, tc.rows)
			}
			a, err := learner.Lookup(s.Algo.Algorithm())
			if err != nil || a.Cost == nil {
				t.Fatalf("%s registers no cost (%v)", s.Algo.Algorithm(), err)
			}
			got, ok, err := trainSeconds(s)
			if want := tc.agentSteps*a.Cost.StepSeconds + tc.rows*a.Cost.RowSeconds; err != nil || !ok || math.Abs(got-want) > 1e-9*want {
				t.Errorf("estimate %v s (%v, %v), want %v", got, ok, err, want)
			}
		})
	}
}

// TestValidateTimeGrowsWithUpdates: the time validate prints for the
// shipped volunteer scenario at num_updates = 40 is more than three times
// the one at 10 (the update work is most of it), where it once printed the
// same 8 s for both.
func TestValidateTimeGrowsWithUpdates(t *testing.T) {
	estimate := regexp.MustCompile(`training an estimated (?:(\d+)m)?(?:(\d+)s)? of CPU time`)
	seconds := func(updates string) float64 {
		out, errOut, code := runCLI("validate", "../../../scenarios/volunteer.toml", "--set", "algo.num_updates="+updates)
		if code != ExitOK {
			t.Fatalf("code %d\n%s", code, errOut)
		}
		m := estimate.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no estimate in %q", out)
		}
		min, _ := strconv.Atoi(m[1])
		sec, _ := strconv.Atoi(m[2])
		if m[1] == "" && m[2] == "" {
			t.Fatalf("no estimate in %q", out)
		}
		return float64(60*min + sec)
	}
	if lo, hi := seconds("10"), seconds("40"); !(hi > 3*lo) {
		t.Errorf("estimated %v s at 10 updates and %v s at 40: want more than 3×", lo, hi)
	}
}

// TestNoCostNoEstimate: an algorithm that registers no measured cost gets
// no time estimate, never another algorithm's.
func TestNoCostNoEstimate(t *testing.T) {
	const name = "test-no-cost"
	if _, err := learner.Lookup(name); err != nil {
		a, err := learner.Lookup("mra")
		if err != nil {
			t.Fatal(err)
		}
		a.Name, a.Cost = name, nil
		learner.Register(a)
	}
	s, err := loadSet("../../../scenarios/resource.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Algo = renamed{s.Algo, name}
	if _, ok, err := trainSeconds(s); ok || err != nil {
		t.Errorf("an estimate for an algorithm without a cost (%v)", err)
	}
	if note := trainTimeNote(s); !strings.Contains(note, "no time estimate: algorithm test-no-cost registers no measured cost") {
		t.Errorf("note %q", note)
	}
}

// renamed is settings reporting another algorithm's name.
type renamed struct {
	learner.Settings
	name string
}

func (r renamed) Algorithm() string { return r.name }

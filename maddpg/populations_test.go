package maddpg_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/cmd/mrasim/cli"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/maddpg"
)

// perPopulation returns smallSettings with one set of networks per
// training population.
func perPopulation() *maddpg.Settings {
	s := smallSettings()
	s.Sharing = maddpg.SharingPerPopulation
	return s
}

// TestPerPopulationWithOnePopulationIsShared: at one training population
// the per-population learner is the shared learner bit for bit (the same
// networks drawn from the same stream, the same episodes, updates and
// metrics).
func TestPerPopulationWithOnePopulationIsShared(t *testing.T) {
	pops := []string{"agents=3"}
	shared := learnertest.NewTrainer(t, smallSettings(), "resource", nil, pops, 32, 4, 2)
	want := learnertest.Run(t, shared)
	per := learnertest.NewTrainer(t, perPopulation(), "resource", nil, pops, 32, 4, 2)
	got := learnertest.Run(t, per)
	learnertest.SameMetrics(t, want, got)
	nets := maddpg.Nets(per.Learner())
	if len(nets) != 1 {
		t.Fatalf("%d sets of networks at one training population, want 1", len(nets))
	}
	if !bytes.Equal(maddpg.Trained(shared.Learner()).AppendState(nil), nets[0].AppendState(nil)) {
		t.Error("the per-population networks differ from the shared ones")
	}
	if want[len(want)-1].Updates == 0 {
		t.Fatal("no update cycle ran: the check is empty")
	}
}

// TestPerPopulationNetsStayIndependent: playing and updating only the
// 3-agent population leaves the 6-agent networks (parameters, targets,
// optimisers, random stream) exactly as they were built, while the
// 3-agent ones move; the two sets start from different draws.
func TestPerPopulationNetsStayIndependent(t *testing.T) {
	tr := learnertest.NewTrainer(t, perPopulation(), "resource", nil, []string{"agents=3", "agents=6"}, 64, 4, 1)
	nets := maddpg.Nets(tr.Learner())
	if len(nets) != 2 {
		t.Fatalf("%d sets of networks at two training populations, want 2", len(nets))
	}
	three, six := nets[0].AppendState(nil), nets[1].AppendState(nil)
	if bytes.Equal(three, six) {
		t.Error("the two populations' networks start equal")
	}
	for range 4 {
		if err := tr.PlayEpisodes(0); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Updates() == 0 {
		t.Fatal("no update cycle ran at 3 agents: the check is empty")
	}
	if bytes.Equal(nets[0].AppendState(nil), three) {
		t.Error("the 3-agent networks did not change after their updates")
	}
	if !bytes.Equal(nets[1].AppendState(nil), six) {
		t.Error("training at 3 agents changed the 6-agent networks")
	}
}

// TestPerPopulationResumeIsExact: 2k episodes in one go and k + save +
// load (with another number of workers) + k end with the same networks of
// every population and the same metrics.
func TestPerPopulationResumeIsExact(t *testing.T) {
	pops := []string{"agents=2", "agents=3"}
	cfg := perPopulation()
	whole := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 2)
	want := learnertest.Run(t, whole)
	first := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 2)
	got := learnertest.Run(t, first)
	state := learnertest.Save(t, first)
	second := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 32, 4, 1)
	if err := second.Load(state); err != nil {
		t.Fatal(err)
	}
	got = append(got, learnertest.Run(t, second)...)
	learnertest.SameMetrics(t, want, got)
	if !bytes.Equal(whole.Learner().AppendState(nil), second.Learner().AppendState(nil)) {
		t.Fatal("networks after 16 + resume + 16 episodes differ from 32 episodes in one go")
	}
	if want[len(want)-1].Updates == 0 {
		t.Fatal("no update cycle ran: the check is empty")
	}

	// A shared run's checkpoint is refused by a per-population trainer,
	// naming the difference, and a damaged state is refused.
	shared := learnertest.NewTrainer(t, smallSettings(), "resource", nil, pops, 16, 4, 1)
	learnertest.Run(t, shared)
	if err := second.Learner().SetState(shared.Learner().AppendState(nil)); !errors.Is(err, maddpg.ErrState) || !strings.Contains(err.Error(), "sharing") {
		t.Errorf("a shared state given to a per-population learner: %v", err)
	}
	good := second.Learner().AppendState(nil)
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 1
	if err := second.Learner().SetState(bad); !errors.Is(err, maddpg.ErrState) {
		t.Errorf("a damaged state: %v", err)
	}
	if !bytes.Equal(second.Learner().AppendState(nil), good) {
		t.Error("a refused state changed the learner")
	}
}

// TestPerPopulationPlayer: loaded for play, each training population's
// own networks play it, and an evaluation population it was not trained
// at is played by the nearest training population's networks (3 → the
// 2-agent ones on a tie between 2 and 4, 9 → the 4-agent ones).
func TestPerPopulationPlayer(t *testing.T) {
	cfg := perPopulation()
	pops := []string{"agents=2", "agents=4"}
	tr := learnertest.NewTrainer(t, cfg, "resource", nil, pops, 16, 4, 1)
	learnertest.Run(t, tr)
	setup := learner.Setup{Game: "resource", Seed: 7, Episodes: 16, ParallelEnvs: 4}
	for _, s := range pops {
		p, _ := env.ParsePopulation(s)
		setup.Populations = append(setup.Populations, p)
	}
	trained, err := learner.Load(cfg, setup, learnertest.Save(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	defer trained.Close()
	nets := maddpg.Nets(tr.Learner())
	for _, tc := range []struct {
		pop  string
		nets int
	}{{"agents=2", 0}, {"agents=4", 1}, {"agents=3", 0}, {"agents=9", 1}} {
		g := learnertest.MustGame(t, "resource", nil, tc.pop)
		p, err := trained.Player(g.Spec(), 11)
		if err != nil {
			t.Fatal(err)
		}
		want, err := maddpg.NewAgent(nets[tc.nets], g.Spec(), 11)
		if err != nil {
			t.Fatal(err)
		}
		f, n := env.NewFrame(g.Spec()), g.Spec().NumAgents()
		got, exp := make([]int, n), make([]int, n)
		same := true
		for ep := range 3 {
			g.Reset(uint64(ep), f)
			for !f.Done() {
				p.Act(f, got)
				want.Act(f, exp)
				if !slicesEqual(got, exp) {
					same = false
				}
				g.Step(got, f)
			}
		}
		if !same {
			t.Errorf("%s: the player does not play the networks of training population %s", tc.pop, pops[tc.nets])
		}
	}
	if _, err := maddpg.Load(*cfg, setup, learnertest.Save(t, tr)); err == nil || !strings.Contains(err.Error(), "learner.Load") {
		t.Errorf("maddpg.Load of a per-population run: %v, want a refusal pointing to learner.Load", err)
	}
}

func slicesEqual(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestSharingKey: the [algo] key through the command line. A value other
// than "shared" and "per_population" is refused with its place in the
// file; "shared" is the default and is recorded as the absent key, so a
// run's record (and with it the pinned outputs and old checkpoints) is
// the same as before the key existed; "per_population" trains, resumes and
// evaluates, at a training size and an unseen one.
func TestSharingKey(t *testing.T) {
	dir := t.TempDir()
	base := `[game]
name = "resource"
[train]
populations = ["agents=2", "agents=3"]
episodes = 16
parallel_envs = 4
log_every = 4
checkpoint_every = 8
[eval]
populations = [2, 5]
episodes = 6
br_episodes = 0
[algo]
name = "maddpg"
batch_size = 32
steps_per_update = 20
num_updates = 2
buffer_length = 2000
`
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cmd := func(args ...string) (string, string, int) {
		var out, errOut strings.Builder
		code := cli.Main(args, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	bad := write("bad.toml", base+`sharing = "per_size"`+"\n")
	if _, errOut, code := cmd("validate", bad); code != cli.ExitUsage || !strings.Contains(errOut, "bad.toml:19:1:") || !strings.Contains(errOut, "algo.sharing") || !strings.Contains(errOut, "per_population") {
		t.Errorf("sharing = \"per_size\": exit %d\n%s", code, errOut)
	}

	record := func(run string) map[string]any {
		data, err := os.ReadFile(filepath.Join(run, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Algo map[string]any `json:"algo"`
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		return rec.Algo
	}
	for _, tc := range []struct{ name, line string }{{"default", ""}, {"shared", `sharing = "shared"` + "\n"}} {
		run := filepath.Join(dir, tc.name)
		if _, errOut, code := cmd("train", write(tc.name+".toml", base+tc.line), "--out", run, "--quiet", "--episodes", "4"); code != cli.ExitOK {
			t.Fatalf("%s: %s", tc.name, errOut)
		}
		if v, ok := record(run)["sharing"]; ok {
			t.Errorf("%s: run.json records sharing = %v, want the key absent", tc.name, v)
		}
	}

	run := filepath.Join(dir, "per")
	scenario := write("per.toml", base+`sharing = "per_population"`+"\n")
	if _, errOut, code := cmd("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	if _, errOut, code := cmd("train", scenario, "--out", run, "--quiet", "--resume"); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	if v := record(run)["sharing"]; v != maddpg.SharingPerPopulation {
		t.Errorf("run.json records sharing = %v, want %q", v, maddpg.SharingPerPopulation)
	}
	out, errOut, code := cmd("eval", "--run", run, "--out", filepath.Join(dir, "report"), "--quiet")
	if code != cli.ExitOK {
		t.Fatalf("eval: %s", errOut)
	}
	for _, w := range []string{"agents=2", "agents=5", "maddpg"} {
		if !strings.Contains(out, w) {
			t.Errorf("eval output lacks %q:\n%s", w, out)
		}
	}
}

// TestMemoryCountsEverySet: the memory estimate counts one set of
// networks when shared and one per training population otherwise, and the
// same buffers, batches and activations in both.
func TestMemoryCountsEverySet(t *testing.T) {
	algo, err := learner.Lookup(maddpg.Name)
	if err != nil || algo.Memory == nil {
		t.Fatalf("maddpg registers no memory estimate (%v)", err)
	}
	setup := learner.Setup{Game: "resource", Episodes: 100, ParallelEnvs: 4}
	for _, s := range []string{"agents=3", "agents=6", "agents=12"} {
		p, _ := env.ParsePopulation(s)
		setup.Populations = append(setup.Populations, p)
	}
	nets := func(s *maddpg.Settings) (networks, rest int64) {
		items, err := algo.Memory(s, setup)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if strings.HasPrefix(it.What, "networks") {
				networks += it.Bytes
			} else {
				rest += it.Bytes
			}
		}
		return networks, rest
	}
	sharedNets, sharedRest := nets(smallSettings())
	perNets, perRest := nets(perPopulation())
	if sharedNets <= 0 || perNets != 3*sharedNets || perRest != sharedRest {
		t.Errorf("networks %d (shared) and %d (per population, want 3×), other items %d and %d (want equal)", sharedNets, perNets, sharedRest, perRest)
	}
}

package replay_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
)

func mustGame(t testing.TB, name string, params map[string]any, pop string) env.Game {
	t.Helper()
	p, err := env.ParsePopulation(pop)
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Make(name, params, p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestEncodingTag checks the uniform rows of a two-type game with three
// entity sets against the spec by hand: widths, one-hots, and which agent
// each entity row shows.
func TestEncodingTag(t *testing.T) {
	g := mustGame(t, "tag", map[string]any{"count_feature": true}, "adversaries=2,good=1")
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	// tag with the count feature: self 6; sets obstacles (2), adversaries (4), good (4).
	if f.Pad != 6 || len(f.Sets) != 3 || len(f.Types) != 2 || f.D != 6+3+2+1 || f.A != 5 {
		t.Fatalf("features %+v", f)
	}
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	// Adversary 0 sees 2 obstacles, 1 other adversary, 1 good agent: 4
	// rows; the good agent sees 2 obstacles and 2 adversaries: 4 rows.
	if enc.N != 3 || enc.E != 4 {
		t.Fatalf("N %d E %d, want 3 and 4", enc.N, enc.E)
	}
	wantAgentOf := []int{
		-1, -1, 1, 2, // adversary 0: obstacles, adversary 1, good 2
		-1, -1, 0, 2, // adversary 1
		-1, -1, 0, 1, // good 2: obstacles, adversaries 0 and 1
	}
	for i, w := range wantAgentOf {
		if enc.AgentOf[i] != w {
			t.Fatalf("AgentOf = %v, want %v", enc.AgentOf, wantAgentOf)
		}
	}
	fr := env.NewFrame(spec)
	g.Reset(3, fr)
	self := make([]float64, f.D)
	ents := make([]float64, enc.E*f.D)
	present := make([]bool, enc.E)
	const good = 2
	replay.Encode(enc, good, fr.AgentObs(good), fr.AgentEntityMask(good), self, ents, present)
	obs := fr.AgentObs(good)
	for c := range 6 {
		if self[c] != obs[c] {
			t.Fatalf("self[%d] = %v, want obs %v", c, self[c], obs[c])
		}
	}
	// Self row: no set one-hot, type one-hot "good" (index 1), flag 1.
	if self[6] != 0 || self[7] != 0 || self[8] != 0 || self[9] != 0 || self[10] != 1 || self[11] != 1 {
		t.Errorf("self row tail %v", self[6:])
	}
	// Row 2 is adversary 0: block of width 4 from the adversaries set,
	// padded, set one-hot at position 6+1.
	row := ents[2*f.D : 3*f.D]
	off := spec.Types[1].SetOffset(1)
	for c := range 4 {
		if row[c] != obs[off+c] {
			t.Errorf("row 2 col %d = %v, want %v", c, row[c], obs[off+c])
		}
	}
	if row[4] != 0 || row[5] != 0 || row[6] != 0 || row[7] != 1 || row[8] != 0 || row[11] != 0 {
		t.Errorf("row 2 = %v", row)
	}
	for e := range 4 {
		if !present[e] {
			t.Errorf("entity %d not present", e)
		}
	}
}

func TestEncodingPadsShorterLists(t *testing.T) {
	g := mustGame(t, "tag", nil, "adversaries=3,good=1")
	enc, err := replay.NewEncoding(replay.GameFeatures(g.Spec()), g.Spec())
	if err != nil {
		t.Fatal(err)
	}
	// Adversaries see 2+2+1 = 5 entities, the good agent 2+3 = 5: E = 5.
	// With 1 adversary and 2 good: adversary sees 2+0+2 = 4, good 2+1+1 = 4.
	if enc.E != 5 {
		t.Errorf("E = %d, want 5", enc.E)
	}
	g2 := mustGame(t, "pacman", nil, "pacmen=2,ghosts=1")
	f2 := replay.GameFeatures(g2.Spec())
	if _, err := replay.NewEncoding(f2, g.Spec()); err == nil {
		t.Error("a tag population was accepted by pacman features")
	}
}

func TestDescriptor(t *testing.T) {
	m := replay.Descriptor(env.Population{{Type: "a", Count: 3}, {Type: "b", Count: 12}})
	if len(m) != 2 || m[0] != 0.3 || m[1] != 1.2 {
		t.Errorf("Descriptor = %v", m)
	}
}

// TestBufferSampleAndNormalise fills a small buffer past its capacity and
// checks that samples come only from the kept transitions, that rewards are
// normalised by the kept ones' mean and std, and that rows match a direct
// encoding of the stored (float32-rounded) observations.
func TestBufferSampleAndNormalise(t *testing.T) {
	g := mustGame(t, "resource", nil, "agents=3")
	spec := g.Spec()
	enc, _ := replay.NewEncoding(replay.GameFeatures(spec), spec)
	buf := replay.NewBuffer(enc, 4, 2)
	prev, next := env.NewFrame(spec), env.NewFrame(spec)
	g.Reset(1, prev)
	graph := make([]float64, enc.N*enc.E)
	kept := map[int]bool{}
	b := replay.NewBatch(enc, 64, 2)
	for step := range 7 {
		actions := []int{step % 5, (step + 1) % 5, 2}
		next.CopyFrom(prev)
		g.Step(actions, next)
		// Tag each transition through agent 0's reward and action.
		next.Reward[0] = float64(step)
		next.Reward[1] = 2
		for i := range graph {
			graph[i] = float64(step) / 10
		}
		buf.Add(prev, actions, next, graph, []float64{1, 0, 0, 1, 1, 0})
		// Sampling between additions must not keep stale statistics
		// (Sample caches them until the next addition).
		buf.Sample(rand.New(rand.NewPCG(9, uint64(step))), b)
		if step >= 3 {
			kept[step] = true
		}
		prev.CopyFrom(next)
	}
	if buf.Len() != 4 {
		t.Fatalf("Len = %d, want 4", buf.Len())
	}
	buf.Sample(rand.New(rand.NewPCG(1, 2)), b)
	// Kept rewards of agent 0 are 3, 4, 5, 6: mean 4.5, std √1.25.
	seen := map[int]bool{}
	for k := range b.Size {
		step := int(b.Graph[k*enc.N*enc.E]*10 + 0.5)
		if !kept[step] {
			t.Fatalf("sample %d is step %d, which was evicted", k, step)
		}
		seen[step] = true
		want := (float64(step) - 4.5) / 1.118033988749895
		if d := b.Reward[k*enc.N] - want; d > 1e-12 || d < -1e-12 {
			t.Errorf("normalised reward %v, want %v", b.Reward[k*enc.N], want)
		}
		if b.Reward[k*enc.N+1] != 0 {
			t.Errorf("constant reward normalises to %v, want 0", b.Reward[k*enc.N+1])
		}
		if b.Action[k*enc.N] != step%5 {
			t.Errorf("action %d, want %d", b.Action[k*enc.N], step%5)
		}
	}
	if len(seen) != 4 {
		t.Errorf("64 samples hit %d of 4 transitions", len(seen))
	}
}

// TestPlainFeatures: the official layout of the resource game without the
// count feature is 22 wide (the official devide_obs rows, no tags), its
// rows are the raw blocks, and games with several types or sets refuse it.
func TestPlainFeatures(t *testing.T) {
	g := mustGame(t, "resource", map[string]any{"count_feature": false}, "agents=3")
	f, err := replay.PlainFeatures(g.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if !f.Plain || f.D != 22 || f.Pad != 22 {
		t.Fatalf("features %+v, want plain and 22 wide", f)
	}
	enc, err := replay.NewEncoding(f, g.Spec())
	if err != nil {
		t.Fatal(err)
	}
	fr := env.NewFrame(g.Spec())
	g.Reset(5, fr)
	self := make([]float64, f.D)
	ents := make([]float64, enc.E*f.D)
	present := make([]bool, enc.E)
	replay.Encode(enc, 1, fr.AgentObs(1), fr.AgentEntityMask(1), self, ents, present)
	obs := fr.AgentObs(1)
	for c := range 22 {
		if self[c] != obs[c] || ents[c] != obs[22+c] || ents[22+c] != obs[44+c] {
			t.Fatalf("column %d: rows %v %v %v, want the raw blocks %v %v %v", c, self[c], ents[c], ents[22+c], obs[c], obs[22+c], obs[44+c])
		}
	}
	withCount := mustGame(t, "resource", map[string]any{"count_feature": true}, "agents=3")
	if f, _ := replay.PlainFeatures(withCount.Spec()); f.D != 23 {
		t.Errorf("with the count feature the plain rows are %d wide, want 23", f.D)
	}
	if _, err := replay.PlainFeatures(mustGame(t, "tag", nil, "adversaries=2,good=1").Spec()); err == nil {
		t.Error("the tag game (two types, three sets) got untagged rows")
	}
}

// TestEncodingRefusesPopulationsWithoutEntities: a lone agent of a game
// whose only entities are the other agents observes nothing to attend to;
// MRA refuses it with a message instead of panicking in the relation net.
func TestEncodingRefusesPopulationsWithoutEntities(t *testing.T) {
	one, err := env.Make("spread", nil, env.Population{{Type: "agents", Count: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replay.NewEncoding(replay.GameFeatures(one.Spec()), one.Spec()); err != nil {
		t.Errorf("spread with 1 agent sees its landmark, yet: %v", err)
	}
	// resource's agents see only each other.
	lone, err := env.Make("resource", nil, env.Population{{Type: "agents", Count: 1}})
	if err != nil {
		t.Fatal(err)
	}
	spec := lone.Spec()
	_, err = replay.NewEncoding(replay.GameFeatures(spec), spec)
	if err == nil || !strings.Contains(err.Error(), "no agent observes any entity") {
		t.Errorf("error %v", err)
	}
}

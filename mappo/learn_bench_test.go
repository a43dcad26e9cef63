package mappo_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/mappo"
)

// BenchmarkLearn measures one MAPPO update (Learn) in each precision on
// the rollout of one round of the shipped scenario's shape: resource at 6
// agents, 12 copies, 20 steps (1,440 agent rows), the default settings
// (hidden 64, 10 epochs of one minibatch). The rollout is played once;
// every iteration learns on the same stored rollout from the learner's
// state after the previous iteration.
func BenchmarkLearn(b *testing.B) {
	for _, precision := range []string{mappo.PrecisionFloat64, mappo.PrecisionFloat32} {
		b.Run(precision, func(b *testing.B) { benchLearn(b, precision) })
	}
}

func benchLearn(b *testing.B, precision string) {
	const n, copies, steps = 6, 12, 20
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: n}})
	if err != nil {
		b.Fatal(err)
	}
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		b.Fatal(err)
	}
	s := mappo.Defaults(mappo.NameMAPPO)
	s.Precision = precision
	l := newLearner(b, s, f, rand.New(rand.NewPCG(1, 2)))
	rows := copies * n
	self, ents, present := make([]float64, rows*enc.D), make([]float64, rows*enc.E*enc.D), make([]bool, rows*enc.E)
	fr := env.NewFrame(spec)
	g.Reset(1, fr)
	for c := range copies {
		for i := range n {
			r := c*n + i
			replay.Encode(enc, i, fr.AgentObs(i), fr.AgentEntityMask(i), self[r*enc.D:(r+1)*enc.D], ents[r*enc.E*enc.D:(r+1)*enc.E*enc.D], present[r*enc.E:(r+1)*enc.E])
		}
	}
	actions, graph := make([]int, rows), make([]float64, rows*enc.E)
	reward, acted, over := make([]float64, rows), make([]bool, rows), make([]bool, copies)
	for i := range acted {
		acted[i] = true
	}
	rng := rand.New(rand.NewPCG(5, 6))
	play := func() {
		l.BeginEpisodes(0, nil, rng, nil)
		for k := range steps {
			for i := range reward {
				reward[i] = float64((i+k)%3) * 0.1
			}
			l.Act(enc, rows, self, ents, present, nil, rng, actions, graph)
			l.Observe(0, reward, acted, over)
		}
	}
	var st learner.Stats
	play()
	l.Learn(0, nil, rng, &st) // warm the scratch
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		play()
		b.StartTimer()
		l.Learn(0, nil, rng, &st)
	}
	if l.Err() != nil {
		b.Fatal(l.Err())
	}
}

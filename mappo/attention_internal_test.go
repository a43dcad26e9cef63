package mappo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// TestAttentionGraphIsTheActors: the graph a MAPPO player with encoder
// "attention" shows (mrasim render draws it) is the attention its actor
// acted with: for each agent, weights on the present entities only,
// summing to 1, equal to a softmax of the scaled dot products of the
// actor's own self and entity embeddings computed here from its layers.
// A Deep-Sets player offers no graph.
func TestAttentionGraphIsTheActors(t *testing.T) {
	for _, precision := range []string{PrecisionFloat64, PrecisionFloat32} {
		t.Run(precision, func(t *testing.T) {
			s := Defaults(NameMAPPO)
			s.Hidden, s.Encoder, s.Precision = 8, EncoderAttention, precision
			if precision == PrecisionFloat32 {
				checkAttentionGraph[float32](t, s)
			} else {
				checkAttentionGraph[float64](t, s)
			}
		})
	}
	f, _, _, _, _ := encoded(t, 3)
	l, err := New(Defaults(NameMAPPO), f, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
	p, err := l.Player(g.Spec(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(interface{ RelationGraph(int) []float64 }); ok {
		t.Error("a Deep-Sets player offers attention graphs")
	}
}

func checkAttentionGraph[T interface{ ~float32 | ~float64 }](t *testing.T, s Settings) {
	const n = 5
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: n}})
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	l, err := NewOf[T](s, f, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := l.Player(spec, 9)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := pol.(interface {
		Act(*env.Frame, []int)
		RelationGraph(int) []float64
	})
	if !ok {
		t.Fatal("an attention player offers no RelationGraph")
	}
	fr := env.NewFrame(spec)
	g.Reset(2, fr)
	actions := make([]int, n)
	if p.RelationGraph(0) != nil {
		t.Error("a graph before the first Act")
	}
	enc, _ := replay.NewEncoding(f, spec)
	e, d, h := enc.E, enc.D, s.Hidden
	self, ents, present := make([]float64, d), make([]float64, e*d), make([]bool, e)
	for step := range 3 {
		p.Act(fr, actions)
		for i := range n {
			graph := p.RelationGraph(i)
			replay.Encode(enc, i, fr.AgentObs(i), fr.AgentEntityMask(i), self, ents, present)
			// The actor's embeddings, from its own layers.
			actor := l.actors[enc.Type[i]].enc
			q := toFloat64(actor.self.Forward(toT[T](self)))
			k := toFloat64(actor.ent.Forward(toT[T](ents)))
			var sum float64
			scores := make([]float64, e)
			top := math.Inf(-1)
			for j := range e {
				if !present[j] {
					continue
				}
				for c := range h {
					scores[j] += q[c] * k[j*h+c]
				}
				scores[j] /= math.Sqrt(float64(h))
				top = max(top, scores[j])
			}
			var z float64
			for j := range e {
				if present[j] {
					z += math.Exp(scores[j] - top)
				}
			}
			tol := 1e-12
			if precisionOf[T]() == PrecisionFloat32 {
				tol = 1e-5
			}
			for j, w := range graph {
				want := 0.0
				if present[j] {
					want = math.Exp(scores[j]-top) / z
				}
				if math.Abs(w-want) > tol {
					t.Fatalf("step %d agent %d entity %d: graph %.12g, the actor's attention %.12g", step, i, j, w, want)
				}
				sum += w
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Errorf("step %d agent %d: weights sum to %v", step, i, sum)
			}
		}
		g.Step(actions, fr)
	}
}

func toT[T interface{ ~float32 | ~float64 }](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

func toFloat64[T interface{ ~float32 | ~float64 }](x []T) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

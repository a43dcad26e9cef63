package mappo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
)

// encoded returns the features of the resource game and rows encoded
// observations of its population of n agents after a few random steps.
func encoded(t *testing.T, n int) (replay.Features, *replay.Encoding, []float64, []float64, []bool) {
	t.Helper()
	g, err := env.Make(particle.ResourceName, nil, env.Population{{Count: n}})
	if err != nil {
		t.Fatal(err)
	}
	spec := g.Spec()
	f := replay.GameFeatures(spec)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	fr := env.NewFrame(spec)
	g.Reset(7, fr)
	rng := rand.New(rand.NewPCG(1, 1))
	acts := make([]int, n)
	for range 3 {
		for i := range acts {
			acts[i] = rng.IntN(spec.Type(i).NumActions)
		}
		g.Step(acts, fr)
	}
	e, d := enc.E, enc.D
	self, ents, present := make([]float64, n*d), make([]float64, n*e*d), make([]bool, n*e)
	for i := range n {
		replay.Encode(enc, i, fr.AgentObs(i), fr.AgentEntityMask(i), self[i*d:(i+1)*d], ents[i*e*d:(i+1)*e*d], present[i*e:(i+1)*e])
	}
	return f, enc, self, ents, present
}

// TestNetGradients checks the actor's and the centralised and
// independent values' parameter gradients (encoder, per-set count-aware
// pooling, global pooling, head) against central differences, in every
// encoder and pooling mode.
func TestNetGradients(t *testing.T) {
	f, enc, self, ents, present := encoded(t, 4)
	for _, combo := range [][2]string{{EncoderDeepSets, "mean"}, {EncoderDeepSets, "sum"}, {EncoderDeepSets, "mean+logcount"}, {EncoderAttention, "mean"}, {EncoderAttention, "sum"}, {EncoderAttention, "mean+logcount"}} {
		encoder, pooling := combo[0], combo[1]
		for _, tc := range []struct {
			name    string
			out     int
			central bool
		}{{"actor", f.Actions[0], false}, {"central value", 1, true}, {"independent value", 1, false}} {
			s := Defaults(NameMAPPO)
			s.Hidden, s.Encoder, s.Pooling = 6, encoder, pooling
			m := newNet[float64](f, &s, tc.out, tc.central, rand.New(rand.NewPCG(2, 3)))
			m.n = enc.N
			rows := enc.N
			rng := rand.New(rand.NewPCG(4, 5))
			c := make([]float64, rows*tc.out)
			for i := range c {
				c[i] = rng.NormFloat64()
			}
			loss := func() float64 {
				var s float64
				for i, v := range m.forward(rows, enc.E, self, ents, present) {
					s += c[i] * v
				}
				return s
			}
			m.params.ZeroGrad()
			loss()
			m.backward(c)
			grad := append([]float64(nil), m.params.Grad...)
			p := m.params.Value
			for k := 0; k < len(p); k += 1 + len(p)/60 {
				const h = 1e-6
				old := p[k]
				p[k] = old + h
				up := loss()
				p[k] = old - h
				dn := loss()
				p[k] = old
				num := (up - dn) / (2 * h)
				if math.Abs(num-grad[k]) > 1e-6*math.Max(1, math.Abs(num)) {
					t.Errorf("%s %s %s: parameter %d of %d: analytic %.9g, numeric %.9g", encoder, pooling, tc.name, k, len(p), grad[k], num)
					break
				}
			}
		}
	}
}

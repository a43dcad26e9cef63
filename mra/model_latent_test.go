package mra

import (
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// latentInputs are random LatentGrad arguments for copies copies of enc's
// population: about a quarter of the entity rows masked, row 1 with every
// entity row masked, soft latents inside the simplex, actions in range and
// weights of both signs with row 2 at weight 0.
type latentInputs struct {
	rows                 int
	self, ents, z, w, dz []float64
	present              []bool
	actions              []int
}

func randomLatentInputs(rng *rand.Rand, enc *replay.Encoding, copies, k int) *latentInputs {
	n, e, d := enc.N, enc.E, enc.D
	rows := copies * n
	in := &latentInputs{
		rows: rows, self: make([]float64, rows*d), ents: make([]float64, rows*e*d), z: make([]float64, rows*k),
		w: make([]float64, rows), dz: make([]float64, rows*k), present: make([]bool, rows*e), actions: make([]int, rows),
	}
	for _, x := range [][]float64{in.self, in.ents} {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
	}
	for i := range in.present {
		in.present[i] = rng.Float64() < 0.75 && i/e != 1
	}
	for r := range rows {
		l := make([]float64, k)
		for j := range l {
			l[j] = rng.NormFloat64()
		}
		nn.SoftmaxInto(in.z[r*k:(r+1)*k], l)
		in.actions[r] = rng.IntN(enc.Actions[enc.Type[r%n]])
		if r != 2 {
			in.w[r] = rng.NormFloat64()
		}
	}
	return in
}

// latentObjectiveByHand is Σ_r w_r·log π(a_r | o_r, g_φ(o_r, z_r)) from
// one-row forward passes of a fresh network instance (no type-major
// reordering).
func latentObjectiveByHand(m *Model, enc *replay.Encoding, in *latentInputs) float64 {
	n, e, d, k := enc.N, enc.E, enc.D, m.cfg.Latents
	h := m.newBoundNets(m.params, make([]float64, len(m.params)))
	var f float64
	for r := range in.rows {
		g := h.rel.Forward(e, in.self[r*d:(r+1)*d], in.ents[r*e*d:(r+1)*e*d], in.z[r*k:(r+1)*k], in.present[r*e:(r+1)*e])
		lp := h.policy[enc.Type[r%n]].forward(e, in.ents[r*e*d:(r+1)*e*d], g, in.present[r*e:(r+1)*e], in.self[r*d:(r+1)*d])
		f += in.w[r] * lp[in.actions[r]]
	}
	return f
}

// TestLatentGrad checks ∂F/∂z against central differences of F computed
// row by row, on one- and two-type populations with masks, a row with no
// present entity and a row of weight 0, and that nothing of the model
// changes; with and without PolicySeesSelf.
func TestLatentGrad(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     func(testing.TB) *env.Spec
		seesSelf bool
	}{{"one type", learnertest.TinySpec, false}, {"two types", learnertest.TagSpec, false},
		{"one type/policy-sees-self", learnertest.TinySpec, true}, {"two types/policy-sees-self", learnertest.TagSpec, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.PolicySeesSelf = tc.seesSelf
			m, enc := testModel(t, cfg, tc.spec(t), 2, 5)
			k := m.cfg.Latents
			in := randomLatentInputs(rand.New(rand.NewPCG(3, 4)), enc, 2, k)
			for i := range m.grad {
				m.grad[i] = float64(i%7) - 3 // whatever the training buffers hold must stay
			}
			state := m.AppendState(nil)
			grad0 := slices.Clone(m.grad)
			chunk0 := slices.Clone(m.chunkGrad[0])

			f := m.LatentGrad(enc, in.rows, in.self, in.ents, in.present, in.z, in.actions, in.w, in.dz)
			want := latentObjectiveByHand(m, enc, in)
			if math.Abs(f-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("F = %.15g, by hand %.15g", f, want)
			}
			for _, r := range []int{1, 2} {
				for j := range k {
					if in.dz[r*k+j] != 0 {
						t.Errorf("row %d: ∂F/∂z = %v, want 0 (no present entity / weight 0)", r, in.dz[r*k:(r+1)*k])
						break
					}
				}
			}
			learnertest.CheckGrad(t, "∂F/∂z", in.z, in.dz, func() float64 { return latentObjectiveByHand(m, enc, in) })

			if !slices.Equal(state, m.AppendState(nil)) || !slices.Equal(grad0, m.grad) || !slices.Equal(chunk0, m.chunkGrad[0]) {
				t.Error("LatentGrad changed the model's parameters, state or training gradients")
			}
			for _, v := range m.act.grad {
				if v != 0 {
					t.Fatal("the actor's scratch gradient was not cleared")
				}
			}
			if m.Err() != nil {
				t.Error(m.Err())
			}
		})
	}
}

// TestPlayerSetLatents checks that each type plays its own fixed latent
// (or draws from its modes for a nil entry) by replaying the player's
// draws and Act by hand from its seed, that SetLatents takes effect at the
// next frame even mid-episode and copies its argument, and that bad inputs
// are refused and change nothing.
func TestPlayerSetLatents(t *testing.T) {
	spec := learnertest.TagSpec(t)
	m, enc := testModel(t, tinyConfig(), spec, 2, 9)
	g, err := env.Make("tag", nil, spec.Population)
	if err != nil {
		t.Fatal(err)
	}
	f := env.NewFrame(spec)
	g.Reset(11, f)
	later := *f // the same observations one step into the episode
	later.T = 1
	n, e, d, k := enc.N, enc.E, enc.D, m.cfg.Latents
	prior := make([]float64, k)
	m.Prior(replay.Descriptor(spec.Population), prior)
	soft := []float64{0.2, 0.5, 0.3}
	hard := []float64{0, 0, 1}
	mixed := []float64{0.6, 0, 0.4}

	for _, tc := range []struct {
		name    string
		modes   [][]float64 // NewPlayer's
		perType [][]float64
	}{
		{"type 0 soft, type 1 prior", nil, [][]float64{soft, nil}},
		{"type 0 prior, type 1 hard", nil, [][]float64{nil, hard}},
		{"type 0 soft, type 1 its modes", [][]float64{nil, mixed}, [][]float64{soft, nil}},
		{"both fixed", nil, [][]float64{soft, hard}},
		{"prior", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const seed = 21
			p, err := NewPlayer(m, spec, tc.modes, seed)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int, n)
			p.Act(f, got) // an episode on the modes, then SetLatents mid-episode
			if err := p.SetLatents(tc.perType); err != nil {
				t.Fatal(err)
			}
			p.Act(&later, got)
			for i := range n {
				if tc.perType != nil && tc.perType[enc.Type[i]] != nil && !slices.Equal(p.Latent(i), tc.perType[enc.Type[i]]) {
					t.Errorf("agent %d plays %v at the frame after SetLatents, want its fixed %v", i, p.Latent(i), tc.perType[enc.Type[i]])
				}
			}
			p.Reseed(seed)
			p.Act(f, got)

			rng := rand.New(rand.NewPCG(seed, 0x706c6179))
			z := make([]float64, n*k)
			for i := range n {
				typ := enc.Type[i]
				switch {
				case tc.perType != nil && tc.perType[typ] != nil:
					copy(z[i*k:(i+1)*k], tc.perType[typ])
				case tc.modes != nil && tc.modes[typ] != nil:
					z[i*k+nn.Sample(rng, tc.modes[typ])] = 1
				default:
					z[i*k+nn.Sample(rng, prior)] = 1
				}
			}
			self, ents, present := make([]float64, n*d), make([]float64, n*e*d), make([]bool, n*e)
			for i := range n {
				replay.Encode(enc, i, f.AgentObs(i), f.AgentEntityMask(i), self[i*d:(i+1)*d], ents[i*e*d:(i+1)*e*d], present[i*e:(i+1)*e])
			}
			want, graph := make([]int, n), make([]float64, n*e)
			m.Act(enc, n, self, ents, present, z, rng, want, graph)
			if !slices.Equal(got, want) || !slices.Equal(p.z, z) || !slices.Equal(p.graph, graph) {
				t.Errorf("player played z %v graph %v actions %v, want z %v graph %v actions %v", p.z, p.graph, got, z, graph, want)
			}
			if n := testing.AllocsPerRun(20, func() { p.Act(f, got) }); n != 0 {
				t.Errorf("Act allocates %v times per call", n)
			}
		})
	}

	p, _ := NewPlayer(m, spec, nil, 1)
	arg := [][]float64{slices.Clone(soft), nil}
	if err := p.SetLatents(arg); err != nil {
		t.Fatal(err)
	}
	arg[0][0] = 0.9 // SetLatents copied it
	p.Act(f, make([]int, n))
	before := slices.Clone(p.z)
	for _, bad := range [][][]float64{
		{hard},                   // one type of two
		{hard, {0.5, 0.5}},       // wrong length
		{hard, {0.5, 0.6, -0.1}}, // negative
		{hard, {0.5, 0.6, 0.1}},  // sum ≠ 1
		{hard, {math.NaN(), 0.5, 0.5}},
		{nil, nil, nil},
	} {
		if err := p.SetLatents(bad); err == nil {
			t.Errorf("SetLatents(%v) accepted", bad)
		}
	}
	if len(p.fixed) != 2 || !slices.Equal(p.fixed[0], []float64{0.2, 0.5, 0.3}) || p.fixed[1] != nil || !p.drawn || !slices.Equal(p.z, before) {
		t.Errorf("refused SetLatents changed the player: fixed %v, drawn %v", p.fixed, p.drawn)
	}
}

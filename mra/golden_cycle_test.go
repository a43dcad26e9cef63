package mra

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// goldenCycle runs one update cycle on a golden case, the official variant
// changed by mutate (if not nil), and returns the number of mismatches.
// Quiet, mismatches are only counted. The stages run in the official
// order — rollout, critic, policies, relation net φ, target copy, prior ψ
// and classifier ω — each checking its recorded quantities.
func goldenCycle(t *testing.T, init *gInit, gc *gCase, mutate func(*Config), quiet bool) int {
	chk := &checker{t: t, quiet: quiet, maxRel: map[string]float64{}, maxAbs: map[string]float64{}}
	if !quiet {
		defer chk.logErrors(gc.Config.N)
	}
	r := newGoldenRun(t, chk, init, gc, mutate)
	defer r.m.Close()
	r.rollout()
	r.critic()
	r.policy()
	r.relation()
	r.targets()
	r.task()
	return chk.fails
}

// logErrors logs the largest relative and absolute error of each stage.
func (c *checker) logErrors(n int) {
	stages := make([]string, 0, len(c.maxRel))
	for s := range c.maxAbs {
		stages = append(stages, s)
	}
	sort.Strings(stages)
	for _, s := range stages {
		c.t.Logf("N=%d %-9s max relative error %.3g, max absolute error %.3g", n, s, c.maxRel[s], c.maxAbs[s])
	}
}

// goldenRun is one golden update cycle in progress: the model on the
// official parameters, the recorded batch in our layout and the recorded
// draws, with the helpers its stages share.
type goldenRun struct {
	t     *testing.T
	chk   *checker
	gc    *gCase
	cfg   Config
	enc   *replay.Encoding
	m     *Model
	b     *replay.Batch
	rs    chunk.Rows[float64] // the whole batch as one chunk's rows
	on    *nets[float64]      // networks on the model's parameters
	tn    *nets[float64]      // networks on its targets
	noise map[string]int      // recorded draw label → index in gc.Noise

	n, bs, kp, e, A int
}

// newGoldenRun builds the model of a golden case on the official
// parameters, encodes the recorded batch and injects the recorded draws.
func newGoldenRun(t *testing.T, chk *checker, init *gInit, gc *gCase, mutate func(*Config)) *goldenRun {
	r := &goldenRun{t: t, chk: chk, gc: gc, n: gc.Config.N, bs: gc.Config.B, kp: gc.Config.KP}
	// The official layout: resource game without the count feature,
	// untagged 22-wide rows.
	mkSpec := func(n int) *env.Spec {
		g, err := env.Make("resource", map[string]any{"count_feature": false}, env.Population{{Type: "agents", Count: n}})
		if err != nil {
			t.Fatal(err)
		}
		return g.Spec()
	}
	f, err := replay.PlainFeatures(mkSpec(3))
	if err != nil {
		t.Fatal(err)
	}
	if f.D != 22 {
		t.Fatalf("official layout is %d wide, want 22", f.D)
	}
	spec := mkSpec(r.n)
	r.enc, err = replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = DefaultConfig()
	if err := r.cfg.ApplyVariant(VariantOfficial); err != nil {
		t.Fatal(err)
	}
	r.cfg.BatchSize, r.cfg.BufferLength = r.bs, r.bs
	if mutate != nil {
		mutate(&r.cfg)
	}
	m, err := NewModel(r.cfg, f, [][]float64{{0.3}, {0.6}}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	m.SetWorkers(2)
	for g := range numGroups {
		copy(m.spanOf(g, m.params), officialVector(t, m, g, false, init.Params))
	}
	for _, g := range []int{groupCritic, groupPolicy} {
		copy(m.target[m.groups[g].lo:m.groups[g].hi], officialVector(t, m, g, true, init.Params))
	}
	r.encodeBatch()
	r.injectDraws()
	// An instance of the networks for the forward checks, on the model's
	// parameters and targets.
	r.on = m.newBoundNets(m.params, make([]float64, len(m.params)))
	r.tn = m.newBoundNets(m.target, make([]float64, len(m.target)))
	r.rs.Gather(r.b, 0, r.bs, true)
	r.e, r.A = r.enc.E, m.f.A
	return r
}

// encodeBatch fills r.b with the recorded batch through the
// official-layout encoding: agent i's observation is its self row then its
// N−1 other rows.
func (r *goldenRun) encodeBatch() {
	t, enc, n, bs := r.t, r.enc, r.n, r.bs
	e, d := enc.E, enc.D
	b := replay.NewBatch(enc, bs, r.cfg.Latents)
	gb := &r.gc.Batch
	encode := func(selfKey, othersKey string, self, ents []float64, mask []bool) {
		gs, gob := gb.tensor(t, selfKey).Values, gb.tensor(t, othersKey).Values
		obs := make([]float64, d*(1+e))
		present := make([]bool, e)
		for i := range e {
			present[i] = true
		}
		for s := range bs {
			for i := range n {
				copy(obs[:d], gs[(i*bs+s)*d:])
				copy(obs[d:], gob[(i*bs+s)*e*d:(i*bs+s+1)*e*d])
				r := s*n + i
				replay.Encode(enc, i, obs, present, self[r*d:(r+1)*d], ents[r*e*d:(r+1)*e*d], mask[r*e:(r+1)*e])
			}
		}
	}
	encode("obs_self", "obs_others", b.Self, b.Ents, b.Mask)
	encode("next_obs_self", "next_obs_others", b.NextSelf, b.NextEnts, b.NextMask)
	copy(b.Action, ints(batchMajorT(gb.tensor(t, "actions"), n, bs, 1)))
	copy(b.Reward, batchMajor(gb.tensor(t, "rewards").Values, n, bs, 1))
	copy(b.Done, batchMajor(gb.tensor(t, "dones").Values, n, bs, 1))
	copy(b.Graph, batchMajor(gb.tensor(t, "relations").Values, n, bs, e))
	for r := range b.Alive {
		b.Alive[r] = true
	}
	lz := gb.tensor(t, "latent_z").Values
	for s := range bs {
		copy(b.Latent[s*n*r.cfg.Latents:], lz)
	}
	r.b = b
}

// injectDraws makes the model use the recorded draws: Gumbel noise and
// categorical choices ((batch, agent) = our sample-major order).
func (r *goldenRun) injectDraws() {
	r.noise = map[string]int{}
	for k, nz := range r.gc.Noise {
		r.noise[nz.Label] = k
	}
	r.m.inj = &draws{}
	r.m.inj.act[drawCritic] = r.choice("critic.next_action")
	r.m.inj.act[drawPolicy] = r.choice("policy.action")
	r.m.inj.act[drawAStar] = r.choice("relation.a_star")
	r.m.inj.noise = [][]float64{r.gumbel("relation.z"), r.gumbel("relation.z_resample"), r.gumbel("task.z")}
	r.m.rec = &recording{}
}

// choice returns the recorded categorical choices of a draw.
func (r *goldenRun) choice(label string) []int {
	nz := r.gc.Noise[r.noise[label]]
	if nz.Kind != "categorical" {
		r.t.Fatalf("golden noise %q is %s", label, nz.Kind)
	}
	return ints(nz.Choice)
}

// gumbel returns the recorded Gumbel noise of a draw.
func (r *goldenRun) gumbel(label string) []float64 { return r.gc.Noise[r.noise[label]].G.Values }

// sampleCheck cross-checks the recorded choices of a draw against our
// sampler on the recorded uniforms.
func (r *goldenRun) sampleCheck(stage, label string, logp []float64, want []int) {
	r.t.Helper()
	u := r.gc.Noise[r.noise[label]].U.Values // (batch, agent)
	src := &fixedSource{u: append([]float64(nil), u...)}
	rng := rand.New(src)
	prob := make([]float64, r.A)
	got := make([]int, r.n*r.bs)
	for row := range r.n * r.bs {
		got[row] = sampleLogp(rng, logp[row*r.A:(row+1)*r.A], prob)
	}
	r.chk.cmpInts(stage, label+" (our sampler on the recorded uniforms)", got, want)
}

// policyForward returns logits (head output) and log π (rows×A).
func (r *goldenRun) policyForward(p *policyNet[float64], ents, g []float64) (logits, logp []float64) {
	logits = append([]float64(nil), p.head.Forward(p.embed(r.e, ents, g, nil))...)
	logp = append([]float64(nil), p.logp.Forward(logits)...)
	return
}

// probs returns exp of each log-probability.
func probs(lp []float64) []float64 {
	out := make([]float64, len(lp))
	for i, v := range lp {
		out[i] = math.Exp(v)
	}
	return out
}

// pick returns each row's log-probability of its action.
func (r *goldenRun) pick(lp []float64, act []int) []float64 {
	out := make([]float64, len(act))
	for row, a := range act {
		out[row] = lp[row*r.A+a]
	}
	return out
}

// am reorders sample-major rows of width w to the golden agent-major order.
func (r *goldenRun) am(x []float64, w int) []float64 { return agentMajor(x, r.n, r.bs, w) }

// embedding returns the critic's value embedding of each row.
func (r *goldenRun) embedding(cn *criticNet[float64]) []float64 {
	w := cn.v + cn.a
	out := make([]float64, r.n*r.bs*cn.v)
	for row := range r.n * r.bs {
		copy(out[row*cn.v:(row+1)*cn.v], cn.x[row*w:row*w+cn.v])
	}
	return out
}

// zrows gives each row its agent's latent of z (agents × k).
func (r *goldenRun) zrows(z []float64, k int) []float64 {
	out := make([]float64, r.n*r.bs*k)
	for row := range r.n * r.bs {
		i := r.rs.Agent[row]
		copy(out[row*k:], z[i*k:(i+1)*k])
	}
	return out
}

// chunkRecorded gathers a per-chunk recording (rec) into sample-major rows.
func (r *goldenRun) chunkRecorded(rec func(c int) []float64) []float64 {
	out := make([]float64, r.n*r.bs)
	for c := range chunk.Count {
		s0, s1 := chunk.Range(c, r.bs)
		var crs chunk.Rows[float64]
		crs.Layout(r.enc, s1-s0)
		for s := range s1 - s0 {
			for i := range r.n {
				out[(s0+s)*r.n+i] = rec(c)[crs.At[s*r.n+i]]
			}
		}
	}
	return out
}

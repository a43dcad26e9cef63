package mra

import (
	"encoding/json"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/env"
)

// The golden parity test loads the official code's parameters
// (../shared/testdata/mra-golden, recorded from shenao-zhang/MRA in
// float64; see its README) into our networks, feeds the recorded batch
// and every recorded draw through the seams of draws.go, runs one update
// cycle in the official variant — critic, policies, relation net φ,
// target copy, prior ψ and classifier ω — and compares every recorded
// quantity: forward values, each loss, the clip norms, each gradient and
// the parameters after each Adam step, at N = 3 and N = 6.
//
// Tolerance: |got − want| ≤ 1e-12 + 1e-9·|want| for every entry.

// goldenDir is where the golden data sits, relative to this package.
const goldenDir = "../../shared/testdata/mra-golden"

const (
	goldenRel = 1e-9
	goldenAbs = 1e-12
)

// officialLinears maps our parameter layout to the official parameter
// names: for each group, the official module path of every Linear (or
// kernel-1 Conv1d) layer in the order our layout holds them. Each layer
// contributes path.weight, (out, in) row-major as PyTorch stores it (no
// transpose; a Conv1d's (out, in, 1) is the same matrix), then path.bias.
//
//	critic:   key ← critic.obs_encode.key_self, query ← query_others,
//	          value ← value_others, MLP_c ← critic_v, MLP_s ← self_v,
//	          Q head ← post_fc
//	policy:   value ← agents.0.policy.obs_encode.value_others, head ← fc_act
//	relation: Key ← rel_net.obs_encode.key_self, Query ← query_others
//	prior:    ψ ← task_encode.encoder, ω ← task_predictor.fc1,
//	          v_ω ← task_predictor.obs_emb.value_others
//
// The targets (critic | policy) take the same names with "target_critic."
// and "agents.0.target_policy." (officialTargetName).
var officialLinears = [numGroups][]string{
	groupCritic: {
		"critic.obs_encode.key_self.0", "critic.obs_encode.key_self.2",
		"critic.obs_encode.query_others.0", "critic.obs_encode.query_others.2",
		"critic.obs_encode.value_others.0", "critic.obs_encode.value_others.2",
		"critic.critic_v.0", "critic.critic_v.2",
		"critic.self_v.0", "critic.self_v.2",
		"critic.post_fc.0",
	},
	groupPolicy: {
		"agents.0.policy.obs_encode.value_others.0", "agents.0.policy.obs_encode.value_others.2",
		"agents.0.policy.fc_act.0", "agents.0.policy.fc_act.2",
	},
	groupRelation: {
		"rel_net.obs_encode.key_self.0", "rel_net.obs_encode.key_self.2",
		"rel_net.obs_encode.query_others.0", "rel_net.obs_encode.query_others.2",
	},
	groupPrior: {
		"task_encode.encoder.0", "task_encode.encoder.2",
		"task_predictor.fc1.0", "task_predictor.fc1.2",
		"task_predictor.obs_emb.value_others.0", "task_predictor.obs_emb.value_others.2",
	},
}

// officialTargetName returns the official name of the target copy of an
// online critic or policy parameter.
func officialTargetName(name string) string {
	if rest, ok := strings.CutPrefix(name, "critic."); ok {
		return "target_critic." + rest
	}
	return strings.Replace(name, "agents.0.policy.", "agents.0.target_policy.", 1)
}

// gTensor is a recorded tensor or parameter.
type gTensor struct {
	Dims   []string  `json:"dims"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

type gClip struct {
	MaxNorm   float64 `json:"max_norm"`
	TotalNorm float64 `json:"total_norm"`
	Clipped   bool    `json:"clipped"`
}

// gStage is one stage record: tensors and scalars by key, plus the
// parameter maps.
type gStage struct {
	raw        map[string]json.RawMessage
	Grad       map[string]gTensor `json:"grad"`
	GradAtStep map[string]gTensor `json:"grad_at_step"`
	After      map[string]gTensor `json:"params_after"`
	Clips      []gClip            `json:"clip_calls"`
}

func (s *gStage) UnmarshalJSON(b []byte) error {
	type plain gStage
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	return json.Unmarshal(b, &s.raw)
}

type gCase struct {
	Config struct {
		N      int     `json:"n_agents"`
		B      int     `json:"batch_size"`
		M      float64 `json:"m"`
		TaskID int     `json:"task_id"`
		KP     int     `json:"resample_num"`
	} `json:"config"`
	Batch    gStage `json:"batch"`
	Rollout  gStage `json:"rollout"`
	Critic   gStage `json:"critic_update"`
	Policy   gStage `json:"policy_update"`
	Relation gStage `json:"relation_update"`
	Task     gStage `json:"task_update"`
	Noise    []struct {
		Label  string  `json:"label"`
		Kind   string  `json:"kind"`
		U      gTensor `json:"u"`
		G      gTensor `json:"g"`
		Choice gTensor `json:"choice"`
	} `json:"noise"`
}

type gInit struct {
	Params map[string]gTensor `json:"params"`
}

var goldenFiles = struct {
	sync.Mutex
	data map[string][]byte
}{data: map[string][]byte{}}

// readGolden decodes one golden file into v, reading each file once per
// test binary. A missing file fails the test with where it was looked for.
func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	goldenFiles.Lock()
	b, ok := goldenFiles.data[name]
	if !ok {
		var err error
		b, err = os.ReadFile(filepath.Join(goldenDir, name))
		if err != nil {
			goldenFiles.Unlock()
			abs, _ := filepath.Abs(goldenDir)
			t.Fatalf("golden parity data missing: %v (want the official MRA recording in %s, i.e. ../shared/testdata/mra-golden from the repo root)", err, abs)
		}
		goldenFiles.data[name] = b
	}
	goldenFiles.Unlock()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
}

// tensor returns the recorded tensor key of s.
func (s *gStage) tensor(t *testing.T, key string) gTensor {
	t.Helper()
	var x gTensor
	raw, ok := s.raw[key]
	if !ok {
		t.Fatalf("golden: no key %q", key)
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatalf("golden %q: %v", key, err)
	}
	return x
}

// scalar returns the recorded number key of s.
func (s *gStage) scalar(t *testing.T, key string) float64 {
	t.Helper()
	var x float64
	if err := json.Unmarshal(s.raw[key], &x); err != nil {
		t.Fatalf("golden scalar %q: %v", key, err)
	}
	return x
}

// ints returns a recorded integer tensor.
func ints(x gTensor) []int {
	out := make([]int, len(x.Values))
	for i, v := range x.Values {
		out[i] = int(v)
	}
	return out
}

// checker compares values and keeps the largest error of each stage.
type checker struct {
	t      *testing.T
	quiet  bool               // count mismatches without reporting them
	maxRel map[string]float64 // over entries with |want| ≥ 1e-8
	maxAbs map[string]float64
	fails  int
}

func (c *checker) cmp(stage, what string, got, want []float64) {
	c.t.Helper()
	if len(got) != len(want) {
		c.fail("%s %s: %d values, want %d", stage, what, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		d := math.Abs(g - w)
		if d > c.maxAbs[stage] || math.IsNaN(d) {
			c.maxAbs[stage] = d
		}
		if math.Abs(w) >= 1e-8 && d/math.Abs(w) > c.maxRel[stage] {
			c.maxRel[stage] = d / math.Abs(w)
		}
		if !(d <= goldenAbs+goldenRel*math.Abs(w)) {
			c.fail("%s %s[%d] = %.17g, want %.17g (|Δ| %.3g)", stage, what, i, g, w, d)
		}
	}
}

// fail counts a mismatch and reports the first 20 unless quiet.
func (c *checker) fail(format string, args ...any) {
	c.t.Helper()
	c.fails++
	if !c.quiet && c.fails <= 20 {
		c.t.Errorf(format, args...)
	}
}

func (c *checker) cmpInts(stage, what string, got, want []int) {
	c.t.Helper()
	for i := range want {
		if got[i] != want[i] {
			c.fail("%s %s[%d] = %d, want %d", stage, what, i, got[i], want[i])
			return
		}
	}
}

// fixedSource makes rand.Rand.Float64 return the recorded uniforms u (in
// [0, 1), multiples of 2⁻⁵³ as numpy draws them) in turn.
type fixedSource struct{ u []float64 }

func (f *fixedSource) Uint64() uint64 {
	v := f.u[0]
	f.u = f.u[1:]
	return uint64(v * (1 << 53)) // rand.Float64 keeps the low 53 bits
}

// agentMajor reorders a sample-major (s·N+i) rows×w array to the golden
// agent-major (i, s) order.
func agentMajor(x []float64, n, b, w int) []float64 {
	out := make([]float64, len(x))
	for s := range b {
		for i := range n {
			copy(out[(i*b+s)*w:(i*b+s+1)*w], x[(s*n+i)*w:(s*n+i+1)*w])
		}
	}
	return out
}

// batchMajor reorders an agent-major (i, s) array to sample-major rows.
func batchMajor(x []float64, n, b, w int) []float64 {
	out := make([]float64, len(x))
	for s := range b {
		for i := range n {
			copy(out[(s*n+i)*w:(s*n+i+1)*w], x[(i*b+s)*w:(i*b+s+1)*w])
		}
	}
	return out
}

// officialVector gathers the official parameters of group g (or its
// target copy) into our layout. It fails if a name is missing or the sizes
// do not add up to the group.
func officialVector(t *testing.T, m *Model, g int, target bool, params map[string]gTensor) []float64 {
	t.Helper()
	var v []float64
	for _, path := range officialLinears[g] {
		for _, suffix := range []string{".weight", ".bias"} {
			name := path + suffix
			if target {
				name = officialTargetName(name)
			}
			p, ok := params[name]
			if !ok {
				t.Fatalf("golden: no parameter %q", name)
			}
			v = append(v, p.Values...)
		}
	}
	if want := m.groups[g].hi - m.groups[g].lo; len(v) != want {
		t.Fatalf("golden: %s parameters map to %d values, the group has %d", groupNames[g], len(v), want)
	}
	return v
}

// stageVector is officialVector of a stage's grad or params_after map.
func stageVector(t *testing.T, m *Model, g int, params map[string]gTensor) []float64 {
	return officialVector(t, m, g, false, params)
}

func TestGoldenParity(t *testing.T) {
	var init gInit
	readGolden(t, "params_init.json", &init)
	for _, file := range []string{"case_n3.json", "case_n6.json"} {
		t.Run(strings.TrimSuffix(file, ".json"), func(t *testing.T) {
			var gc gCase
			readGolden(t, file, &gc)
			goldenCycle(t, &init, &gc, nil, false)
		})
	}
}

// TestGoldenParityDetects flips each quirk switch of the official variant
// in turn: the cycle must then disagree with the official recording
// somewhere, so that the parity test can fail.
func TestGoldenParityDetects(t *testing.T) {
	var init gInit
	readGolden(t, "params_init.json", &init)
	var gc gCase
	readGolden(t, "case_n3.json", &gc)
	for _, tc := range []struct {
		name string
		flip func(*Config)
	}{
		{"target action at o'", func(c *Config) { c.TargetActionAtObs = false }},
		{"no entropy at terminal o'", func(c *Config) { c.TerminalEntropy = false }},
		{"classifier pairs its own graph", func(c *Config) { c.ClassifierCrossPairing = false }},
		{"single clip of φ", func(c *Config) { c.DoubleClipRelation = false }},
		{"per-agent critic loss", func(c *Config) { c.PerAgentCriticLoss = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fails := goldenCycle(t, &init, &gc, tc.flip, true); fails == 0 {
				t.Errorf("the cycle still matches the official recording with %s", tc.name)
			}
		})
	}
}

// goldenCycle runs one update cycle on a golden case, the official variant
// changed by mutate (if not nil), and returns the number of mismatches.
// Quiet, mismatches are only counted.
func goldenCycle(t *testing.T, init *gInit, gc *gCase, mutate func(*Config), quiet bool) int {
	n, bs, kp := gc.Config.N, gc.Config.B, gc.Config.KP
	chk := &checker{t: t, quiet: quiet, maxRel: map[string]float64{}, maxAbs: map[string]float64{}}
	defer func() {
		if quiet {
			return
		}
		stages := make([]string, 0, len(chk.maxRel))
		for s := range chk.maxAbs {
			stages = append(stages, s)
		}
		sort.Strings(stages)
		for _, s := range stages {
			t.Logf("N=%d %-9s max relative error %.3g, max absolute error %.3g", n, s, chk.maxRel[s], chk.maxAbs[s])
		}
	}()

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
	spec := mkSpec(n)
	enc, err := replay.NewEncoding(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := cfg.ApplyVariant(VariantOfficial); err != nil {
		t.Fatal(err)
	}
	cfg.BatchSize, cfg.BufferLength = bs, bs
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := NewModel(cfg, f, [][]float64{{0.3}, {0.6}}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.SetWorkers(2)
	for g := range numGroups {
		copy(m.spanOf(g, m.params), officialVector(t, m, g, false, init.Params))
	}
	for _, g := range []int{groupCritic, groupPolicy} {
		copy(m.target[m.groups[g].lo:m.groups[g].hi], officialVector(t, m, g, true, init.Params))
	}

	// The batch, through the official-layout encoding: agent i's
	// observation is its self row then its N−1 other rows.
	e, d := enc.E, enc.D
	b := replay.NewBatch(enc, bs, cfg.Latents)
	gb := &gc.Batch
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
		copy(b.Latent[s*n*cfg.Latents:], lz)
	}

	// Recorded draws: Gumbel noise and categorical choices ((batch, agent)
	// = our sample-major order), each choice cross-checked against our
	// sampler on the recorded uniform.
	noise := map[string]int{}
	for k, nz := range gc.Noise {
		noise[nz.Label] = k
	}
	choice := func(label string) []int {
		nz := gc.Noise[noise[label]]
		if nz.Kind != "categorical" {
			t.Fatalf("golden noise %q is %s", label, nz.Kind)
		}
		return ints(nz.Choice)
	}
	gumbel := func(label string) []float64 { return gc.Noise[noise[label]].G.Values }
	m.inj = &draws{}
	m.inj.act[drawCritic] = choice("critic.next_action")
	m.inj.act[drawPolicy] = choice("policy.action")
	m.inj.act[drawAStar] = choice("relation.a_star")
	m.inj.noise = [][]float64{gumbel("relation.z"), gumbel("relation.z_resample"), gumbel("task.z")}
	m.rec = &recording{}

	// An instance of the networks for the forward checks, on the model's
	// parameters and targets.
	on := m.newBoundNets(m.params, make([]float64, len(m.params)))
	tn := m.newBoundNets(m.target, make([]float64, len(m.target)))
	var rs chunk.Rows[float64]
	rs.Gather(b, 0, bs, true)
	A := m.f.A
	sampleCheck := func(stage, label string, logp []float64, want []int) {
		t.Helper()
		u := gc.Noise[noise[label]].U.Values // (batch, agent)
		src := &fixedSource{u: append([]float64(nil), u...)}
		rng := rand.New(src)
		prob := make([]float64, A)
		got := make([]int, n*bs)
		for r := range n * bs {
			got[r] = sampleLogp(rng, logp[r*A:(r+1)*A], prob)
		}
		chk.cmpInts(stage, label+" (our sampler on the recorded uniforms)", got, want)
	}
	// policyForward returns logits (head output) and log π (rows×A).
	policyForward := func(p *policyNet[float64], ents, g []float64) (logits, logp []float64) {
		logits = append([]float64(nil), p.head.Forward(p.embed(e, ents, g, nil))...)
		logp = append([]float64(nil), p.logp.Forward(logits)...)
		return
	}
	probs := func(lp []float64) []float64 {
		out := make([]float64, len(lp))
		for i, v := range lp {
			out[i] = math.Exp(v)
		}
		return out
	}
	pick := func(lp []float64, act []int) []float64 {
		out := make([]float64, len(act))
		for r, a := range act {
			out[r] = lp[r*A+a]
		}
		return out
	}
	am := func(x []float64, w int) []float64 { return agentMajor(x, n, bs, w) }
	embedding := func(cn *criticNet[float64]) []float64 {
		w := cn.v + cn.a
		out := make([]float64, n*bs*cn.v)
		for r := range n * bs {
			copy(out[r*cn.v:(r+1)*cn.v], cn.x[r*w:r*w+cn.v])
		}
		return out
	}

	// Rollout: p(z|m), z, g, π and the actions of the stored batch.
	{
		ro := &gc.Rollout
		l := append([]float64(nil), m.priorLogits([]float64{gc.Config.M})...)
		chk.cmp("rollout", "prior_logits_over_4", l, ro.tensor(t, "prior_logits_over_4").Values)
		gs := nn.GumbelSoftmax{N: cfg.Latents, Temperature: 1}
		rep := make([]float64, n*cfg.Latents)
		for i := range n {
			copy(rep[i*cfg.Latents:], l)
		}
		z := append([]float64(nil), gs.ForwardNoise(rep, gumbel("rollout.z"))...)
		chk.cmp("rollout", "z_soft", gs.Soft(), ro.tensor(t, "z_soft").Values)
		chk.cmp("rollout", "z", z, ro.tensor(t, "z").Values)
		zr := make([]float64, n*bs*cfg.Latents)
		for r := range n * bs {
			i := rs.Agent[r]
			copy(zr[r*cfg.Latents:], z[i*cfg.Latents:(i+1)*cfg.Latents])
		}
		g := on.rel.Forward(e, rs.Self, rs.Ents, zr, rs.Mask)
		chk.cmp("rollout", "g", am(g, e), ro.tensor(t, "g").Values)
		logits, lp := policyForward(on.policy[0], rs.Ents, g)
		chk.cmp("rollout", "policy_logits", am(logits, A), ro.tensor(t, "policy_logits").Values)
		chk.cmp("rollout", "policy_probs", am(probs(lp), A), ro.tensor(t, "policy_probs").Values)
		sampleCheck("rollout", "rollout.action", lp, choice("rollout.action"))
		chk.cmpInts("rollout", "actions = batch.actions", b.Action, choice("rollout.action"))
	}

	// Critic: π⁻ at o (Q1), Q⁻ at o', y, Q, the loss, the clip, the
	// gradient and the Adam step.
	{
		st := &gc.Critic
		stage := "critic"
		logits, lp := policyForward(tn.policy[0], rs.Ents, rs.Graph)
		chk.cmp(stage, "target_policy_logits_at_obs", am(logits, A), st.tensor(t, "target_policy_logits_at_obs").Values)
		chk.cmp(stage, "target_policy_probs_at_obs", am(probs(lp), A), st.tensor(t, "target_policy_probs_at_obs").Values)
		next := choice("critic.next_action")
		sampleCheck(stage, "critic.next_action", lp, next)
		chk.cmp(stage, "next_log_pi", am(pick(lp, next), 1), st.tensor(t, "next_log_pi").Values)
		qh := tn.critic.forward(&rs, rs.NextSelf, rs.NextEnts, rs.NextMask, next, rs.Graph)
		chk.cmp(stage, "target_q_head_next", am(qh, A), st.tensor(t, "target_q_head_next").Values)
		chk.cmp(stage, "next_q", am(pick(qh, next), 1), st.tensor(t, "next_q").Values)
		chk.cmp(stage, "target_critic_attention_next", am(tn.critic.attn.Weights(), e), st.tensor(t, "target_critic_attention_next").Values)
		chk.cmp(stage, "target_critic_embedding_next", am(embedding(tn.critic), cfg.ValueDim), st.tensor(t, "target_critic_embedding_next").Values)
		qh = on.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, b.Action, rs.Graph)
		chk.cmp(stage, "q_head", am(qh, A), st.tensor(t, "q_head").Values)
		chk.cmp(stage, "q", am(pick(qh, b.Action), 1), st.tensor(t, "q").Values)
		chk.cmp(stage, "critic_attention", am(on.critic.attn.Weights(), e), st.tensor(t, "critic_attention").Values)
		chk.cmp(stage, "critic_embedding", am(embedding(on.critic), cfg.ValueDim), st.tensor(t, "critic_embedding").Values)

		loss := m.UpdateCritic(b)
		y := make([]float64, n*bs)
		for c := range chunk.Count {
			s0, s1 := chunk.Range(c, bs)
			var crs chunk.Rows[float64]
			crs.Layout(enc, s1-s0)
			for s := range s1 - s0 {
				for i := range n {
					y[(s0+s)*n+i] = m.rec.y[c][crs.At[s*n+i]]
				}
			}
		}
		chk.cmp(stage, "y", am(y, 1), st.tensor(t, "y").Values)
		chk.cmp(stage, "loss", []float64{loss}, []float64{st.scalar(t, "loss")})
		goldenStep(t, chk, stage, m, groupCritic, st)
	}

	// Policies: π at o, a, Q at (o, a, g) with the updated critic, the
	// stop-gradient coefficient, the loss and the step.
	{
		st := &gc.Policy
		stage := "policy"
		logits, lp := policyForward(on.policy[0], rs.Ents, rs.Graph)
		chk.cmp(stage, "policy_logits", am(logits, A), st.tensor(t, "policy_logits").Values)
		chk.cmp(stage, "policy_probs", am(probs(lp), A), st.tensor(t, "policy_probs").Values)
		act := choice("policy.action")
		sampleCheck(stage, "policy.action", lp, act)
		chk.cmp(stage, "log_pi", am(pick(lp, act), 1), st.tensor(t, "log_pi").Values)
		qh := on.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, act, rs.Graph)
		chk.cmp(stage, "q_head", am(qh, A), st.tensor(t, "q_head").Values)
		chk.cmp(stage, "q", am(pick(qh, act), 1), st.tensor(t, "q").Values)
		chk.cmp(stage, "critic_attention", am(on.critic.attn.Weights(), e), st.tensor(t, "critic_attention").Values)

		loss, ent := m.UpdatePolicies(b)
		coef := make([]float64, n*bs)
		for c := range chunk.Count {
			s0, s1 := chunk.Range(c, bs)
			var crs chunk.Rows[float64]
			crs.Layout(enc, s1-s0)
			for s := range s1 - s0 {
				for i := range n {
					coef[(s0+s)*n+i] = m.rec.coef[c][crs.At[s*n+i]]
				}
			}
		}
		chk.cmp(stage, "coefficient", am(coef, 1), st.tensor(t, "coefficient").Values)
		chk.cmp(stage, "loss", []float64{loss}, []float64{st.scalar(t, "loss")})
		chk.cmp(stage, "entropy_logged", []float64{ent}, []float64{st.scalar(t, "entropy_logged")})
		goldenStep(t, chk, stage, m, groupPolicy, st)
	}

	// Relation net φ: p_ψ, z and the resampled z_k, g and g_k, π⁻ at
	// each, a*, p0, Σpk, r_MI, the double clip and the step.
	{
		st := &gc.Relation
		stage := "relation"
		k := cfg.Latents
		l := append([]float64(nil), m.priorLogits([]float64{gc.Config.M})...)
		chk.cmp(stage, "prior_logits_over_4", l, st.tensor(t, "prior_logits_over_4").Values)
		lse := logSumExp(l)
		logp := make([]float64, k)
		for j := range k {
			logp[j] = l[j] - lse
		}
		chk.cmp(stage, "prior_log_probs", logp, st.tensor(t, "prior_log_probs").Values)
		before := append([]float64(nil), m.params...)

		rmi := m.UpdateRelation(b, []float64{gc.Config.M}, rand.New(rand.NewPCG(0, 0)))
		chk.cmp(stage, "z", m.latent.z0, st.tensor(t, "z").Values)
		chk.cmp(stage, "z_resample", m.latent.zk, st.tensor(t, "z_resample").Values)
		chk.cmp(stage, "z_resample_soft", m.gumbel.Soft(), st.tensor(t, "z_resample_soft").Values)
		chk.cmp(stage, "r_mi", []float64{rmi}, []float64{st.scalar(t, "r_mi")})
		chk.cmp(stage, "loss", []float64{-rmi}, []float64{st.scalar(t, "loss")})

		// Forward values at φ before its step, policy after its step,
		// target policy still at init.
		rel := m.newBoundNets(before, make([]float64, len(before))).rel
		zrows := func(z []float64) []float64 {
			out := make([]float64, n*bs*k)
			for r := range n * bs {
				i := rs.Agent[r]
				copy(out[r*k:], z[i*k:(i+1)*k])
			}
			return out
		}
		g0 := append([]float64(nil), rel.Forward(e, rs.Self, rs.Ents, zrows(m.latent.z0), rs.Mask)...)
		chk.cmp(stage, "g", am(g0, e), st.tensor(t, "g").Values)
		gk := make([]float64, n*bs*kp*e) // (agent, batch, resample, other) after am
		tpk := make([]float64, n*bs*kp*A)
		astar := choice("relation.a_star")
		sumPk := make([]float64, n*bs)
		for q := range kp {
			g := rel.Forward(e, rs.Self, rs.Ents, zrows(m.latent.zk[q*n*k:(q+1)*n*k]), rs.Mask)
			_, lpk := policyForward(tn.policy[0], rs.Ents, g)
			for r := range n * bs {
				copy(gk[(r*kp+q)*e:(r*kp+q+1)*e], g[r*e:(r+1)*e])
				copy(tpk[(r*kp+q)*A:(r*kp+q+1)*A], probs(lpk[r*A:(r+1)*A]))
				sumPk[r] += math.Exp(lpk[r*A+astar[r]])
			}
		}
		chk.cmp(stage, "g_resample", am(gk, kp*e), st.tensor(t, "g_resample").Values)
		chk.cmp(stage, "target_policy_probs_at_resample", am(tpk, kp*A), st.tensor(t, "target_policy_probs_at_resample").Values)
		tl, tlp := policyForward(tn.policy[0], rs.Ents, g0)
		chk.cmp(stage, "target_policy_logits_at_z", am(tl, A), st.tensor(t, "target_policy_logits_at_z").Values)
		chk.cmp(stage, "target_policy_probs_at_z", am(probs(tlp), A), st.tensor(t, "target_policy_probs_at_z").Values)
		pl, plp := policyForward(on.policy[0], rs.Ents, g0)
		chk.cmp(stage, "policy_logits_at_z", am(pl, A), st.tensor(t, "policy_logits_at_z").Values)
		chk.cmp(stage, "policy_probs_at_z", am(probs(plp), A), st.tensor(t, "policy_probs_at_z").Values)
		sampleCheck(stage, "relation.a_star", plp, astar)
		chk.cmp(stage, "p0", am(probs(pick(tlp, astar)), 1), st.tensor(t, "p0").Values)
		chk.cmp(stage, "sum_pk", am(sumPk, 1), st.tensor(t, "sum_pk").Values)
		goldenStep(t, chk, stage, m, groupRelation, st)
	}

	// Target copy (relation_marl.py:265-272): the targets become the
	// critic after its step and the policy after its step.
	m.SyncTargets()
	chk.cmp("targets", "critic", m.target[m.groups[groupCritic].lo:m.groups[groupCritic].hi], stageVector(t, m, groupCritic, gc.Critic.After))
	chk.cmp("targets", "policy", m.target[m.groups[groupPolicy].lo:m.groups[groupPolicy].hi], stageVector(t, m, groupPolicy, gc.Policy.After))

	// Prior ψ and classifier ω with its own value net: z, g in the
	// official layout, the cross-paired embedding (Q5), the logits, the CE,
	// ∂L/∂z, the gradient and the step.
	{
		st := &gc.Task
		stage := "task"
		k := cfg.Latents
		chk.cmp(stage, "prior_logits_over_4", m.priorLogits([]float64{gc.Config.M}), st.tensor(t, "prior_logits_over_4").Values)
		before := append([]float64(nil), m.params...)
		ce := m.UpdatePrior(b, gc.Config.TaskID, rand.New(rand.NewPCG(0, 0)))
		chk.cmp(stage, "z_soft", m.gumbel.Soft(), st.tensor(t, "z_soft").Values)
		chk.cmp(stage, "z", m.latent.z0, st.tensor(t, "z").Values)
		chk.cmp(stage, "loss", []float64{ce}, []float64{st.scalar(t, "loss")})
		chk.cmp(stage, "grad_z", m.latent.dz, st.tensor(t, "grad_z").Values)

		if !cfg.ClassifierCrossPairing {
			return chk.fails // the batch ran in chunks: no whole-batch scratch to read
		}
		// The whole batch ran on worker 0 (ClassifierCrossPairing):
		// its scratch holds [e ; z] per row in sample-major order, which is
		// the official (batch, agent) layout.
		x := m.work[0].pr.x
		w := cfg.ValueDim + k
		emb := make([]float64, n*bs*cfg.ValueDim)
		for r := range n * bs {
			copy(emb[r*cfg.ValueDim:], x[r*w:r*w+cfg.ValueDim])
		}
		chk.cmp(stage, "classifier_embedding", emb, st.tensor(t, "classifier_embedding").Values)
		pre := m.newBoundNets(before, make([]float64, len(before)))
		out := pre.cls.Forward(x[:n*bs*w])
		chk.cmp(stage, "classifier_logits_per_agent", out, st.tensor(t, "classifier_logits_per_agent").Values)
		nm := m.Games()
		logit := make([]float64, bs*nm)
		for s := range bs {
			for i := range n {
				for c := range nm {
					logit[s*nm+c] += out[(s*n+i)*nm+c]
				}
			}
		}
		chk.cmp(stage, "classifier_logits", logit, st.tensor(t, "classifier_logits").Values)
		g := pre.rel.Forward(e, rs.Self, rs.Ents, func() []float64 {
			out := make([]float64, n*bs*k)
			for r := range n * bs {
				copy(out[r*k:], m.latent.z0[rs.Agent[r]*k:(rs.Agent[r]+1)*k])
			}
			return out
		}(), rs.Mask)
		chk.cmp(stage, "g (batch, agent, other)", g, st.tensor(t, "g").Values)
		goldenStep(t, chk, stage, m, groupPrior, st)
	}
	return chk.fails
}

// batchMajorT reorders an agent-major integer tensor of width w.
func batchMajorT(x gTensor, n, b, w int) gTensor {
	x.Values = batchMajor(x.Values, n, b, w)
	return x
}

// goldenStep compares a stage's gradient before clipping, its clip calls,
// the gradient Adam received and the parameters after the step.
func goldenStep(t *testing.T, chk *checker, stage string, m *Model, g int, st *gStage) {
	t.Helper()
	chk.cmp(stage, "grad", m.inj.grad[g], stageVector(t, m, g, st.Grad))
	if len(st.Clips) > 0 {
		norms := make([]float64, len(st.Clips))
		for i, c := range st.Clips {
			norms[i] = c.TotalNorm
		}
		chk.cmp(stage, "clip norms", m.inj.norms[g], norms)
		chk.cmp(stage, "returned_grad_norm", m.inj.norms[g][max(0, len(m.inj.norms[g])-1):], []float64{st.scalar(t, "returned_grad_norm")})
	} else if len(m.inj.norms[g]) != 0 {
		chk.fail("%s: %d clip calls, the official code makes none", stage, len(m.inj.norms[g]))
	}
	if st.GradAtStep != nil {
		chk.cmp(stage, "grad_at_step", m.spanOf(g, m.grad), stageVector(t, m, g, st.GradAtStep))
	}
	chk.cmp(stage, "params_after", m.spanOf(g, m.params), stageVector(t, m, g, st.After))
	if err := m.Err(); err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
}

package mra

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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

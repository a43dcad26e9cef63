package mra

import (
	"bytes"
	"errors"
	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/learner/learnertest"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
)

// TestCriticSeesSelfInput checks the critic's input: with CriticSeesSelf
// the critic group grows by 2·D·Hidden weights (MLP_c and MLP_s take D more
// inputs) and nothing else changes size; with the key MLP zeroed (so the
// attention is uniform whatever the self row) Q moves with the self rows
// alone when the option is on, and not at all when it is off.
func TestCriticSeesSelfInput(t *testing.T) {
	for _, spec := range []struct {
		name string
		f    func(testing.TB) *env.Spec
	}{{"one-type", learnertest.TinySpec}, {"tag-two-types", learnertest.TagSpec}} {
		t.Run(spec.name, func(t *testing.T) {
			cfgOff := tinyConfig()
			cfgOn := cfgOff
			cfgOn.CriticSeesSelf = true
			off, enc := testModel(t, cfgOff, spec.f(t), 2, 161)
			on, _ := testModel(t, cfgOn, spec.f(t), 2, 161)
			if got, want := on.ParamGroups()[groupCritic].Len-off.ParamGroups()[groupCritic].Len, 2*enc.D*cfgOff.Hidden; got != want {
				t.Errorf("critic group grows by %d parameters, want 2·D·Hidden = %d", got, want)
			}
			for g := range numGroups {
				if g != groupCritic && on.ParamGroups()[g].Len != off.ParamGroups()[g].Len {
					t.Errorf("group %s changed size", groupNames[g])
				}
			}
			b := learnertest.RandomBatch(rand.New(rand.NewPCG(162, 162)), enc, 4, cfgOff.Latents)
			for _, tc := range []struct {
				m    *Model
				want bool // Q moves with the self rows
			}{{off, false}, {on, true}} {
				nets := tc.m.newBoundNets(tc.m.params, make([]float64, len(tc.m.params)))
				clear(tc.m.spanOf(groupCritic, tc.m.params)[:nets.critic.key.NumParams()])
				var rs chunk.Rows[float64]
				rs.Gather(b, 0, b.Size, false)
				base := slices.Clone(nets.critic.forward(&rs, rs.Self, rs.Ents, rs.Mask, rs.Action, rs.Graph))
				other := slices.Clone(rs.Self)
				for i := range other {
					other[i] += 0.5
				}
				moved := !slices.Equal(base, nets.critic.forward(&rs, other, rs.Ents, rs.Mask, rs.Action, rs.Graph))
				if moved != tc.want {
					t.Errorf("CriticSeesSelf %v: Q moves with the self rows (attention fixed): %v", tc.m.cfg.CriticSeesSelf, moved)
				}
			}
		})
	}
}

// TestCriticSeesSelfState checks the state records the option: a state
// saved with it on round-trips into a model with it on, and a model with
// it off refuses it by name (and the reverse), unchanged; with both
// options on in the state and only policy_sees_self in the model, only
// critic_sees_self is named.
func TestCriticSeesSelfState(t *testing.T) {
	cfgOn := tinyConfig()
	cfgOn.CriticSeesSelf = true
	on, enc := testModel(t, cfgOn, learnertest.TinySpec(t), 2, 171)
	b := learnertest.RandomBatch(rand.New(rand.NewPCG(172, 172)), enc, 9, cfgOn.Latents)
	cycle(on, b, rand.New(rand.NewPCG(1, 1)))
	stateOn := on.AppendState(nil)

	on2, _ := testModel(t, cfgOn, learnertest.TinySpec(t), 2, 999)
	if err := on2.SetState(stateOn); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(on2.AppendState(nil), stateOn) {
		t.Fatal("AppendState after SetState differs")
	}

	off, _ := testModel(t, tinyConfig(), learnertest.TinySpec(t), 2, 173)
	stateOff := off.AppendState(nil)
	cfgBoth := cfgOn
	cfgBoth.PolicySeesSelf = true
	both, _ := testModel(t, cfgBoth, learnertest.TinySpec(t), 2, 174)
	stateBoth := both.AppendState(nil)
	cfgPolicy := tinyConfig()
	cfgPolicy.PolicySeesSelf = true
	policy, _ := testModel(t, cfgPolicy, learnertest.TinySpec(t), 2, 175)
	for _, tc := range []struct {
		name string
		m    *Model
		data []byte
		want string
	}{
		{"on into off", off, stateOn, "critic_sees_self is on in the state, off in the model"},
		{"off into on", on2, stateOff, "critic_sees_self is off in the state, on in the model"},
		{"both into policy only", policy, stateBoth, "critic_sees_self is on in the state, off in the model (the networks differ"},
		{"critic only into both", both, stateOn, "policy_sees_self is off in the state, on in the model (the networks differ"},
	} {
		before := tc.m.AppendState(nil)
		err := tc.m.SetState(tc.data)
		if err == nil || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if !bytes.Equal(tc.m.AppendState(nil), before) {
			t.Errorf("%s: refused state changed the model", tc.name)
		}
	}
}

// TestCriticSeesSelfGoldenSees checks that the option-off digests of
// TestPolicySeesSelfOffGolden (which the default must still match) see
// CriticSeesSelf: with it on every case's digest differs, so the golden
// test would catch an option leaking into the default.
func TestCriticSeesSelfGoldenSees(t *testing.T) {
	want, ok := goldenOff[gemmKernel()]
	if !ok {
		t.Skipf("no golden digests for the %q matrix kernels", gemmKernel())
	}
	for _, tc := range goldenCases {
		cfg := tinyConfig()
		tc.cfg(&cfg)
		cfg.CriticSeesSelf = true
		if got := goldenDigest(t, tc.spec(t), cfg); got == want[tc.name] {
			t.Errorf("%s: CriticSeesSelf on gives the option-off digest: the check cannot fail", tc.name)
		}
	}
}

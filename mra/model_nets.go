package mra

import (
	"github.com/mrasim/mrasim/agents/nn"
)

// nets is one instance of MRA's networks: layers with their own caches,
// bound to a parameter vector laid out as Model.params (or to its
// critic | policies prefix, for targets). Several instances share one
// parameter vector: one per worker and one per actor.
type nets struct {
	critic *criticNet
	policy []*policyNet    // per agent type
	rel    *nn.RelationNet // φ
	prior  *nn.MLP         // ψ: m (H) → 3 → ReLU → ℓ (K)
	cls    *nn.MLP         // ω: [e ; z] (V+K) → 35 → ReLU → M logits
	// clsValue is the classifier's own entity value net v_ω
	// (D → Hidden → ReLU → ValueDim), trained by the cross-entropy with ω,
	// as the official TaskPred's obs_emb.value_others (task_net.py:56).
	clsValue *nn.MLP
	clsAgg   nn.Aggregate // e_i = Σ_j g_ij·v_ω(ent_ij)
}

// newNets returns an unbound instance.
func (m *Model) newNets() *nets {
	c := m.cfg
	n := &nets{
		critic: newCriticNet(c, m.f),
		rel:    nn.NewRelationNet(m.f.D, c.Hidden, c.Latents, c.HeadDim),
		prior:  nn.NewMLP(nn.NewReLU, len(m.f.Types), priorHidden, c.Latents),
		cls:    nn.NewMLP(nn.NewReLU, c.ValueDim+c.Latents, classifierHidden, len(m.games)),

		clsValue: nn.NewMLP(nn.NewReLU, m.f.D, c.Hidden, c.ValueDim),
		clsAgg:   nn.Aggregate{Dim: c.ValueDim},
	}
	for _, a := range m.f.Actions {
		n.policy = append(n.policy, newPolicyNet(c, m.f.D, a))
	}
	return n
}

// group returns the modules of parameter group g in layout order.
func (n *nets) group(g int) []nn.Module {
	switch g {
	case groupCritic:
		return n.critic.modules()
	case groupPolicy:
		var mods []nn.Module
		for _, p := range n.policy {
			mods = append(mods, p.value, p.head)
		}
		return mods
	case groupRelation:
		return []nn.Module{n.rel}
	default:
		return []nn.Module{n.prior, n.cls, n.clsValue}
	}
}

// bind binds the modules of every group that fits in value (the whole
// vector, or the critic | policies prefix of a target) to value and grad.
func (n *nets) bind(m *Model, value, grad []float64) {
	for g := range numGroups {
		s := m.groups[g]
		if s.hi > len(value) {
			return
		}
		off := s.lo
		for _, mod := range n.group(g) {
			k := mod.NumParams()
			mod.SetParams(value[off:off+k:off+k], grad[off:off+k:off+k])
			off += k
		}
	}
}

// newBoundNets returns an instance bound to value and grad.
func (m *Model) newBoundNets(value, grad []float64) *nets {
	n := m.newNets()
	n.bind(m, value, grad)
	return n
}

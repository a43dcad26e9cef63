package mra

import (
	"github.com/mrasim/mrasim/agents/nn"
)

// nets is one instance of MRA's networks: layers with their own caches,
// bound to a parameter vector laid out as Model.params (or to its
// critic | policies prefix, for targets). Several instances share one
// parameter vector: one per worker and one per actor.
type nets[T nn.Float] struct {
	critic *criticNet[T]
	policy []*policyNet[T]      // per agent type
	rel    *nn.RelationNetOf[T] // φ
	prior  *nn.MLPOf[T]         // ψ: m (H) → 3 → ReLU → ℓ (K)
	cls    *nn.MLPOf[T]         // ω: [e ; z] (V+K) → 35 → ReLU → M logits
	// clsValue is the classifier's own entity value net v_ω
	// (D → Hidden → ReLU → ValueDim), trained by the cross-entropy with ω,
	// as the official TaskPred's obs_emb.value_others (task_net.py:56).
	clsValue *nn.MLPOf[T]
	clsAgg   nn.AggregateOf[T] // e_i = Σ_j g_ij·v_ω(ent_ij)
}

// newNets returns an unbound instance.
func (m *ModelOf[T]) newNets() *nets[T] {
	c := m.cfg
	n := &nets[T]{
		critic: newCriticNet[T](c, m.f),
		rel:    nn.NewRelationNetOf[T](m.f.D, c.Hidden, c.Latents, c.HeadDim),
		prior:  nn.NewMLPOf(nn.NewReLUOf[T], len(m.f.Types), priorHidden, c.Latents),
		cls:    nn.NewMLPOf(nn.NewReLUOf[T], c.ValueDim+c.Latents, classifierHidden, len(m.games)),

		clsValue: nn.NewMLPOf(nn.NewReLUOf[T], m.f.D, c.Hidden, c.ValueDim),
		clsAgg:   nn.AggregateOf[T]{Dim: c.ValueDim},
	}
	for _, a := range m.f.Actions {
		n.policy = append(n.policy, newPolicyNet[T](c, m.f.D, a))
	}
	return n
}

// group returns the modules of parameter group g in layout order.
func (n *nets[T]) group(g int) []nn.ModuleOf[T] {
	switch g {
	case groupCritic:
		return n.critic.modules()
	case groupPolicy:
		var mods []nn.ModuleOf[T]
		for _, p := range n.policy {
			mods = append(mods, p.value, p.head)
		}
		return mods
	case groupRelation:
		return []nn.ModuleOf[T]{n.rel}
	default:
		return []nn.ModuleOf[T]{n.prior, n.cls, n.clsValue}
	}
}

// bind binds the modules of every group that fits in value (the whole
// vector, or the critic | policies prefix of a target) to value and grad.
func (n *nets[T]) bind(m *ModelOf[T], value, grad []T) {
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
func (m *ModelOf[T]) newBoundNets(value, grad []T) *nets[T] {
	n := m.newNets()
	n.bind(m, value, grad)
	return n
}

package mappo

import (
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
)

// ExportFormat names the layout of the MAPPO policy files mrasim export
// writes; the Python package's load_policy reads it.
const ExportFormat = "mrasim-mappo-policy/1"

// ExportPolicy implements learner.Exporter: each agent type's actor, as a
// numpy reimplementation computes its action probabilities (the Python
// package's mrasim/policy.py, MAPPOPolicy):
//
//	actor.T.self.L.W / .b   type T's self embedding φ_self, layer L (W is Out×In: y = W·x + b, ReLU between layers)
//	actor.T.ent.L.W / .b    type T's entity embedding φ_ent
//	actor.T.head.L.W / .b   type T's head, from the features to the logits
//
// For an agent of type T with encoded self row s and entity rows x_j
// (replay.Encode's layout: mrasim.load_policy's encode), with present_j
// its entity mask: a = φ_self(s), k_j = φ_ent(x_j); for each entity set
// (the set tag x_j[pad + set] > 0.5 of tagged rows; one set of every row
// when the features are "plain" or have no sets) with mask m_j = present_j
// ∧ (row j in the set) and count c = Σ m_j, the weights w_j are 1/c
// (encoder "deepsets") or the softmax over m of scale·a·k_j (encoder
// "attention"), the mean μ = Σ w_j·k_j and the set's features μ
// (pooling "mean"), c·μ ("sum") or [μ, ln(1 + c)] ("mean+logcount"),
// zeros (and ln 1 = 0) for an empty set. π = softmax(head([a | set 1 |
// … | set S])). A float32 run's parameters are exported exactly (widened
// to float64).
func (l *LearnerOf[T]) ExportPolicy() (learner.PolicyExport, error) {
	var out []learner.ExportArray
	mlp := func(prefix string, m *nn.MLPOf[T]) {
		for k, layer := range m.Layers {
			w, b := make([]float64, len(layer.W)), make([]float64, len(layer.B))
			for i, v := range layer.W {
				w[i] = float64(v)
			}
			for i, v := range layer.B {
				b[i] = float64(v)
			}
			out = append(out,
				learner.ExportArray{Name: fmt.Sprintf("%s.%d.W", prefix, k), Shape: []int{layer.Out, layer.In}, Data: w},
				learner.ExportArray{Name: fmt.Sprintf("%s.%d.b", prefix, k), Shape: []int{layer.Out}, Data: b})
		}
	}
	for t, a := range l.actors {
		mlp(fmt.Sprintf("actor.%d.self", t), a.enc.self)
		mlp(fmt.Sprintf("actor.%d.ent", t), a.enc.ent)
		mlp(fmt.Sprintf("actor.%d.head", t), a.head)
	}
	f, s := l.feats, l.s
	meta := map[string]any{
		"format":    ExportFormat,
		"algo":      s.Name,
		"hidden":    s.Hidden,
		"encoder":   s.Encoder,
		"pooling":   s.Pooling,
		"scale":     1 / math.Sqrt(float64(s.Hidden)),
		"precision": s.precision(),
		"tagged":    l.actors[0].enc.tagged,
		"features": map[string]any{
			"plain": f.Plain, "pad": f.Pad, "sets": f.Sets, "types": f.Types, "actions": f.Actions, "d": f.D, "a": f.A,
		},
	}
	return learner.PolicyExport{Meta: meta, Arrays: out}, nil
}

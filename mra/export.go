package mra

import (
	"fmt"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/nn"
)

// ExportFormat names the layout of the policy files mrasim export writes;
// the Python package's load_policy refuses any other.
const ExportFormat = "mrasim-mra-policy/1"

// Array is one named array of an exported policy (learner.ExportArray).
type Array = learner.ExportArray

// PolicyExport (learner.PolicyExport) is what a numpy reimplementation
// needs to compute a Player's action probabilities: the sizes (Meta, a
// JSON-ready value) and the weights of the acting networks (Arrays):
//
//	relation.key.L.W / .b     φ's key MLP, layer L (W is Out×In: y = W·x + b, ReLU between layers)
//	relation.query.L.W / .b   φ's query MLP
//	policy.T.value.L.W / .b   type T's entity value net
//	policy.T.head.L.W / .b    type T's head
//	prior.L.W / .b            the prior ψ over the K modes
//
// The forward pass is documented in the Python package (mrasim/policy.py)
// and is that of Player.ActionProbs: for each mode k the relation graph
// g = softmax over present entities of Scale·key_k(self)·query_k(ent_j),
// the embedding e = Σ_j g_j·value(ent_j), log π = log_softmax(head(e)) (or
// head([e ; self]) when the policy sees its own row), averaged over k with
// weights p(z = k | m) = softmax(prior(m) / PriorTemperature).
type PolicyExport = learner.PolicyExport

// ExportPolicy returns m's acting networks and prior for use outside Go.
func ExportPolicy(m *Model) PolicyExport {
	c, f, n := m.cfg, m.f, m.proto
	var out []Array
	mlp := func(prefix string, net *nn.MLP) {
		for l, layer := range net.Layers {
			out = append(out,
				Array{Name: fmt.Sprintf("%s.%d.W", prefix, l), Shape: []int{layer.Out, layer.In}, Data: append([]float64(nil), layer.W...)},
				Array{Name: fmt.Sprintf("%s.%d.b", prefix, l), Shape: []int{layer.Out}, Data: append([]float64(nil), layer.B...)})
		}
	}
	mlp("relation.key", n.rel.Key)
	mlp("relation.query", n.rel.Query)
	for t, p := range n.policy {
		mlp(fmt.Sprintf("policy.%d.value", t), p.value)
		mlp(fmt.Sprintf("policy.%d.head", t), p.head)
	}
	mlp("prior", n.prior)
	meta := map[string]any{
		"format":            ExportFormat,
		"algo":              c.Algo,
		"latents":           c.Latents,
		"head_dim":          c.HeadDim,
		"value_dim":         c.ValueDim,
		"hidden":            c.Hidden,
		"scale":             n.rel.Scale(),
		"prior_temperature": c.PriorTemperature,
		"policy_sees_self":  c.PolicySeesSelf,
		"features": map[string]any{
			"plain": f.Plain, "pad": f.Pad, "sets": f.Sets, "types": f.Types, "actions": f.Actions, "d": f.D, "a": f.A,
		},
	}
	return PolicyExport{Meta: meta, Arrays: out}
}

// ExportPolicy implements learner.Exporter: ExportPolicy of the networks.
func (t trained) ExportPolicy() (learner.PolicyExport, error) {
	// The format's forward pass (documented above, and the Python
	// package's) computes the official softmax pooling of the relation
	// graph only.
	if p := t.Model.cfg.relationPooling(); p != PoolingSoftmax {
		return learner.PolicyExport{}, fmt.Errorf("mra: the run pools with algo.relation_pooling = %q; the exported policy format (%s) computes the official %q pooling only", p, ExportFormat, PoolingSoftmax)
	}
	return ExportPolicy(t.Model), nil
}

package mra

import (
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/nn"
)

// initParams initialises the online networks from rng layer by layer as
// the official code does (Q7), in every
// variant:
//
//	critic key, query, value (its ObsEncode)   Xavier-normal W, b = 0
//	critic MLP_c, MLP_s, Q head (Conv1d)        PyTorch default: W, b ~ U(±1/√fan_in)
//	policy value net (its ObsEncode's Linear)   W, b ~ N(0, 0.1²)   (policies.py:19-26)
//	policy head (fc_act, Conv1d)                Xavier-normal W, b ~ U(±1/√fan_in)
//	relation net φ: key, query                  Xavier-normal W, b = 0
//	prior ψ, classifier ω                       PyTorch default (reset_para is never called)
//	classifier value net v_ω                    Xavier-normal W, b = 0
//
// With a scalar descriptor m > 0 and zero biases, every ψ hidden unit with
// a negative weight would be dead for every game; PyTorch's default biases
// avoid that.
func (m *ModelOf[T]) initParams(rng *rand.Rand) {
	n := m.proto
	xavier := func(mlps ...*nn.MLPOf[T]) {
		for _, mlp := range mlps {
			for _, l := range mlp.Layers {
				std := math.Sqrt(2 / float64(l.In+l.Out))
				for i := range l.W {
					l.W[i] = T(std * rng.NormFloat64())
				}
				clear(l.B)
			}
		}
	}
	uniform := func(x []T, a float64) {
		for i := range x {
			x[i] = T(a * (2*rng.Float64() - 1))
		}
	}
	torchDefault := func(ls ...*nn.LinearOf[T]) {
		for _, l := range ls {
			a := 1 / math.Sqrt(float64(l.In))
			uniform(l.W, a)
			uniform(l.B, a)
		}
	}
	layers := func(mlps ...*nn.MLPOf[T]) []*nn.LinearOf[T] {
		var out []*nn.LinearOf[T]
		for _, mlp := range mlps {
			out = append(out, mlp.Layers...)
		}
		return out
	}

	c := n.critic
	xavier(c.key, c.query, c.value)
	torchDefault(append(layers(c.c, c.s), c.head)...)
	for _, p := range n.policy {
		for _, l := range p.value.Layers {
			for i := range l.W {
				l.W[i] = T(0.1 * rng.NormFloat64())
			}
			for i := range l.B {
				l.B[i] = T(0.1 * rng.NormFloat64())
			}
		}
		xavier(p.head)
		for _, l := range p.head.Layers {
			uniform(l.B, 1/math.Sqrt(float64(l.In)))
		}
	}
	xavier(n.rel.Key, n.rel.Query)
	torchDefault(layers(n.prior, n.cls)...)
	xavier(n.clsValue)
}

package agents

import (
	"github.com/mrasim/mrasim/env"
)

// Observer is told about every frame of the episodes Play plays: the first
// frame of each episode (with actions nil) and the frame after every step
// (with the actions that led to it). Returning an error stops play.
type Observer func(episode int, f *env.Frame, actions []int) error

// Play plays episodes of g with policy p. Episode k starts from
// env.SubSeed(seed, k). It returns each episode's undiscounted return per
// agent (returns[k][i]) and the episode lengths, or the first error obs
// returned. obs may be nil.
func Play(g env.Game, p Policy, seed uint64, episodes int, obs Observer) (returns [][]float64, lengths []int, err error) {
	spec := g.Spec()
	f := env.NewFrame(spec)
	actions := make([]int, spec.NumAgents())
	for k := range episodes {
		g.Reset(env.SubSeed(seed, uint64(k)), f)
		if obs != nil {
			if err := obs(k, f, nil); err != nil {
				return returns, lengths, err
			}
		}
		ret := make([]float64, spec.NumAgents())
		for !f.Done() {
			p.Act(f, actions)
			g.Step(actions, f)
			for i, r := range f.Reward {
				ret[i] += r
			}
			if obs != nil {
				if err := obs(k, f, actions); err != nil {
					return returns, lengths, err
				}
			}
		}
		returns = append(returns, ret)
		lengths = append(lengths, f.T)
	}
	return returns, lengths, nil
}

package league

import (
	"fmt"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
)

// Entry is a player of the league: something that can act for all agents
// of any population of the game.
type Entry interface {
	Name() string
	Algo() string
	// Policy returns a fresh policy for spec's population drawing from
	// seed. Policies of one entry may be used concurrently.
	Policy(spec *env.Spec, seed uint64) (agents.Policy, error)
}

// Random is the built-in entry that plays uniformly among legal actions.
type Random struct{}

// Name implements Entry.
func (Random) Name() string { return "random" }

// Algo implements Entry.
func (Random) Algo() string { return "random" }

// Policy implements Entry.
func (Random) Policy(_ *env.Spec, seed uint64) (agents.Policy, error) {
	return agents.NewRandom(seed), nil
}

// Run is a trained run: the networks of its checkpoint and what built them.
// Each Policy call loads its own copy of the networks, so policies can play
// concurrently.
type Run struct {
	Label    string           // how reports name it, e.g. the run folder's name
	Settings learner.Settings // the run's algorithm and hyper-parameters
	Setup    learner.Setup    // the run's game, training populations and seed
	State    []byte           // the trainer state of its checkpoint (learner.Trainer.Save)
}

// Name implements Entry.
func (r *Run) Name() string { return r.Label }

// Algo implements Entry.
func (r *Run) Algo() string { return r.Settings.Algorithm() }

// Load loads a fresh copy of the run's networks.
func (r *Run) Load() (learner.Trained, error) {
	m, err := learner.Load(r.Settings, r.Setup, r.State)
	if err != nil {
		return nil, fmt.Errorf("league: run %s: %w", r.Label, err)
	}
	return m, nil
}

// Check loads the run's networks once, so that a checkpoint whose networks
// do not load is refused before any play.
func (r *Run) Check() error {
	m, err := r.Load()
	if err != nil {
		return err
	}
	m.Close()
	return nil
}

// Policy implements Entry: the trained networks' Player (for MRA, agents
// with one-hot latents drawn from the prior p(z|m) of spec's population,
// zero-shot at unseen sizes).
func (r *Run) Policy(spec *env.Spec, seed uint64) (agents.Policy, error) {
	m, err := r.Load()
	if err != nil {
		return nil, err
	}
	return m.Player(spec, seed)
}

// markov reports whether the run's settings say it plays a Markov policy
// (learner settings with a Markov method), and whether they say at all.
func (r *Run) markov() (markov, known bool) {
	m, ok := r.Settings.(interface{ Markov() bool })
	if !ok {
		return false, false
	}
	return m.Markov(), true
}

// adaptive reports whether the run's algorithm adapts at unseen
// populations (learner.Adaptive).
func (r *Run) adaptive() bool {
	a, ok := r.Settings.(learner.Adaptive)
	return ok && a.Adapts()
}

// TrainedAt reports whether pop is one of the run's training populations.
func (r *Run) TrainedAt(pop env.Population) bool {
	for _, p := range r.Setup.Populations {
		if p.Equal(pop) {
			return true
		}
	}
	return false
}

// lineup plays the agents of type k with policies[k].
type lineup struct {
	spec     *env.Spec
	policies []agents.Policy
	scratch  []int
}

func newLineup(spec *env.Spec, policies []agents.Policy) *lineup {
	return &lineup{spec: spec, policies: policies, scratch: make([]int, spec.NumAgents())}
}

// Act implements agents.Policy: every policy sees the frame (they may keep
// per-episode state), and each type's agents take their policy's actions.
func (l *lineup) Act(f *env.Frame, actions []int) {
	for k, p := range l.policies {
		copy(l.scratch, actions)
		p.Act(f, l.scratch)
		first := l.spec.FirstAgent(k)
		copy(actions[first:first+l.spec.Types[k].Count], l.scratch[first:])
	}
}

// ActionProbs implements agents.Distribution when every policy does.
func (l *lineup) ActionProbs(f *env.Frame, i int, dst []float64) {
	l.policies[l.spec.AgentType(i)].(agents.Distribution).ActionProbs(f, i, dst)
}

// markov reports whether every policy is Markov (its action distribution
// depends on the current frame only): the built-in random player, a policy
// saying so through a Markov method, or a policy of a one-shot game.
func (l *lineup) markov() bool {
	for _, p := range l.policies {
		switch p := p.(type) {
		case *agents.Random:
		case interface{ Markov() bool }:
			if !p.Markov() {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Reseed implements br.Reseeder when every policy does: each type's
// policy is reseeded from its own stream of seed.
func (l *lineup) Reseed(seed uint64) {
	for k, p := range l.policies {
		if r, ok := p.(interface{ Reseed(uint64) }); ok {
			r.Reseed(env.SubSeed(seed, uint64(k)))
		}
	}
}

func (l *lineup) exact() bool {
	for _, p := range l.policies {
		if _, ok := p.(agents.Distribution); !ok {
			return false
		}
	}
	return true
}

// Reference is the entry that plays one of a game's hand-written policies
// (env.ScriptedPolicies: stand still, go to the nearest landmark, a
// closed-form equilibrium) for every agent: a reference that shows where
// "good" play lies beside the learned entries, with returns and NashConv
// like any entry. It is never a candidate inside the best-response
// estimator.
type Reference struct {
	Game   string         // the registered game
	Params map[string]any // its parameters
	Script string         // the policy's name, one of the game's Scripted()
}

// AlgoScripted is the Algo of Reference entries.
const AlgoScripted = "scripted"

// References returns the reference entries of game with params: one per
// scripted policy the game offers at population pop (none when it offers
// none).
func References(game string, params map[string]any, pop env.Population) ([]Entry, error) {
	g, err := env.Make(game, params, pop)
	if err != nil {
		return nil, err
	}
	sp, ok := g.(env.ScriptedPolicies)
	if !ok {
		return nil, nil
	}
	var out []Entry
	for _, name := range sp.Scripted() {
		out = append(out, Reference{Game: game, Params: params, Script: name})
	}
	return out, nil
}

// Name implements Entry.
func (r Reference) Name() string { return r.Script }

// Algo implements Entry.
func (r Reference) Algo() string { return AlgoScripted }

// Policy implements Entry: the game's scripted policy at spec's
// population, which implements br.Reseeder, agents.Forker (for the search
// response's rollouts) and, where the game's policy gives exact action
// probabilities, agents.Distribution.
func (r Reference) Policy(spec *env.Spec, seed uint64) (agents.Policy, error) {
	g, err := env.Make(r.Game, r.Params, spec.Population)
	if err != nil {
		return nil, err
	}
	sp, ok := g.(env.ScriptedPolicies)
	if !ok {
		return nil, fmt.Errorf("league: game %s offers no scripted policies", r.Game)
	}
	actor, err := sp.ScriptedPolicy(r.Script, seed)
	if err != nil {
		return nil, fmt.Errorf("league: %w", err)
	}
	p := &referencePolicy{actor: actor, game: sp, script: r.Script}
	if _, ok := actor.(agents.Distribution); ok {
		return &referenceDistribution{p}, nil
	}
	return p, nil
}

// referencePolicy is a game's scripted policy as the league plays it.
type referencePolicy struct {
	actor  env.ScriptedActor
	game   env.ScriptedPolicies
	script string
}

func (p *referencePolicy) Act(f *env.Frame, actions []int) { p.actor.Act(f, actions) }

// Reseed implements br.Reseeder (scripted policies without random numbers
// ignore it).
func (p *referencePolicy) Reseed(seed uint64) {
	if r, ok := p.actor.(interface{ Reseed(uint64) }); ok {
		r.Reseed(seed)
	}
}

// Markov reports that a scripted policy decides from the current frame
// alone.
func (p *referencePolicy) Markov() bool { return true }

// Fork implements agents.Forker with fresh instances of the policy.
func (p *referencePolicy) Fork(copies int) agents.Copies {
	ps := make([]*referencePolicy, copies)
	for k := range ps {
		a, err := p.game.ScriptedPolicy(p.script, uint64(k))
		if err != nil {
			panic(fmt.Sprintf("league: scripted policy %q refused a second instance: %v", p.script, err))
		}
		ps[k] = &referencePolicy{actor: a, game: p.game, script: p.script}
	}
	return agents.CopiesOf(ps)
}

// referenceDistribution is a referencePolicy with exact action
// probabilities.
type referenceDistribution struct{ *referencePolicy }

func (p *referenceDistribution) ActionProbs(f *env.Frame, i int, dst []float64) {
	p.actor.(agents.Distribution).ActionProbs(f, i, dst)
}

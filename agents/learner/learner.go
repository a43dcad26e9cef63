package learner

import (
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Settings are an algorithm's hyper-parameters, in the algorithm's own
// type. The shared machinery reads them only through these methods.
type Settings interface {
	// Algorithm returns the registered name of the algorithm the settings
	// are for: the key of the registry, of checkpoints and of reports.
	Algorithm() string
	// Schedule returns what the shared trainer needs to drive the
	// algorithm: the replay buffer and the update schedule.
	Schedule() Schedule
	// Check refuses settings that are wrong on their own or for setup
	// (an algorithm that trains at one population given several), with an
	// error naming the setting and what is allowed.
	Check(setup Setup) error
}

// Schedule is the part of an algorithm's settings the shared trainer
// acts on: the replay buffer of each training population and when an
// update cycle runs. Latents is the width of the latent each agent acts
// with (1 for algorithms without latents); the buffers store it.
type Schedule struct {
	BatchSize      int    // transitions per sampled minibatch
	BufferLength   int    // replay buffer capacity per training population
	StepsPerUpdate int    // environment steps between update cycles
	Latents        int    // K, the width of an agent's latent (≥ 1)
	Replay         string // replay.ModeAuto, ModeStates or ModeObservations ("" is auto)
	// GradientSteps is the gradient steps of an update cycle on sampled
	// minibatches (num_updates), 0 for a learner without replay updates.
	// The trainer does not read it: estimates of the training time do
	// (mrasim validate).
	GradientSteps int
}

// Build is what an algorithm's constructor gets from the trainer (or from
// Load): the encoding widths of the game, the descriptor of each training
// population in order, and the random stream initial parameters are drawn
// from.
type Build struct {
	Features    replay.Features
	Descriptors [][]float64
	RNG         *rand.Rand
}

// Learner is what the shared trainer asks of an algorithm's networks. The
// trainer owns the games, the replay buffers and the random streams; the
// learner owns its parameters and optimizers. Calls come from one
// goroutine; a learner may use its own workers inside a call.
//
// Each episode round of a training population k, the trainer calls
// BeginEpisodes once, then Act at every step for all copies' agents, and
// Update whenever the schedule's step count is crossed with a batch's worth
// of transitions stored; after every population it checks Err. A learner
// never sees a game: only encoded rows (replay.Encode) and batches.
type Learner interface {
	// BeginEpisodes draws what the agents of training population k keep
	// for the episode (their latents, Schedule.Latents each, N·K in all)
	// into z from rng. desc is the population's descriptor. A learner
	// without latents leaves z and rng alone.
	BeginEpisodes(k int, desc []float64, rng *rand.Rand, z []float64)
	// Act chooses actions for rows agent rows of enc's population: self
	// (rows·D), ents (rows·E·D) and present (rows·E) are the encoded
	// observations, z (rows·K) the latents. It writes actions (rows) and
	// the relation graph each agent acted with (rows·E; zeros for a
	// learner without one), drawing from rng.
	Act(enc *replay.Encoding, rows int, self, ents []float64, present []bool, z []float64, rng *rand.Rand, actions []int, graph []float64)
	// Update runs one update cycle on training population k: it samples
	// minibatches of buf into b with rng and adds its statistics to st.
	Update(k int, desc []float64, buf *replay.Buffer, b *replay.Batch, rng *rand.Rand, st *Stats)
	// Err returns the first error an update met (a non-finite gradient);
	// the trainer stops with it.
	Err() error
	// AppendState appends the learner's state (parameters, optimizers,
	// random streams) to dst; SetState restores it into a learner built
	// with the same settings and Build, or returns an error and leaves the
	// learner unchanged.
	AppendState(dst []byte) []byte
	SetState(data []byte) error
	// Close stops the learner's workers.
	Close()
}

// Meta is the optional ability of a learner that trains every population
// for several rounds from common parameters and then combines them
// (Reptile). The trainer calls BeginRound before the populations,
// BeginPopulation and EndPopulation around each population's InnerRounds
// rounds, and EndRound after the last population.
type Meta interface {
	InnerRounds() int
	BeginRound()
	BeginPopulation() error
	EndPopulation()
	EndRound(populations int) error
}

// OnPolicy is the optional ability of a learner that learns from the
// episodes it has just played instead of from replay (PPO and its
// multi-agent forms). The trainer then stores no transitions for it and
// runs no replay update cycles: after every step of population k's
// copies it reports what the step gave (Observe), and once every copy's
// episode of the round is over it calls Learn, which counts as one update
// cycle. The learner keeps what it needs of each step from its own Act
// calls. Nothing of a round's rollout outlives Learn, so a learner's
// checkpoint (taken between rounds) holds no rollout.
type OnPolicy interface {
	// Observe reports the step the learner last acted on: reward (rows:
	// copies × agents) is each agent's reward for it, acted (rows) whether
	// the agent was alive in a copy still playing (rows where it is false
	// were not played: their action is void), and over (copies) whether
	// the copy's episode is over after the step.
	Observe(k int, reward []float64, acted, over []bool)
	// Learn updates the learner on the episodes population k has just
	// played, drawing minibatches from rng, and adds its statistics to st.
	Learn(k int, desc []float64, rng *rand.Rand, st *Stats)
}

// Stats are the sums of an interval's update statistics, which the
// trainer turns into Metrics. A learner adds what it computes and leaves
// the rest.
type Stats struct {
	Critic, Policy, Entropy, MI, CE Sum
	Accuracy                        Sum // the game classifier's accuracy on its batches
	Modes                           ModeSums
}

// ModeSums are the sums of a learner's mode diagnostics, one value per
// update round each (a round's mean over its gradient steps), for a
// learner whose latent modes are kept apart by a mutual-information term
// (MRA; docs/algorithms/mra.md, "Mode diagnostics"). A learner adds the
// ones it measures.
type ModeSums struct {
	ActorGrad      Sum // ‖∂(actor loss)/∂θ‖, the policies' gradient
	MIGradActor    Sum // ‖∂(MI estimate)/∂θ‖, the policies' gradient of the MI term
	MIGradRelation Sum // ‖∂(MI estimate)/∂φ‖, the relation net's gradient of the MI term
	RelationGrad   Sum // the relation net's gradient norm as its loss gives it, before clipping
	RelationDecay  Sum // weight decay × ‖φ‖, the L2 term Adam adds to the relation net's gradient
	HeadSpread     Sum // how differently the modes' attention heads attend (mean pairwise total variation)
}

// sums returns the sums in a fixed order (checkpoint layout).
func (m *ModeSums) sums() []*Sum {
	return []*Sum{&m.ActorGrad, &m.MIGradActor, &m.MIGradRelation, &m.RelationGrad, &m.RelationDecay, &m.HeadSpread}
}

// Sum is a running sum and count.
type Sum struct {
	Total float64
	N     int
}

// Add adds v.
func (s *Sum) Add(v float64) { s.Total += v; s.N++ }

// Mean returns the mean of the values added (0 without any).
func (s *Sum) Mean() float64 {
	if s.N == 0 {
		return 0
	}
	return s.Total / float64(s.N)
}

// Trained is a learner's networks loaded from a checkpoint to be played:
// what the league, renders and evaluation use. Policies it returns may play
// concurrently.
type Trained interface {
	// Player returns a policy acting for every agent of spec's population
	// (seen in training or not), drawing from seed.
	Player(spec *env.Spec, seed uint64) (agents.Policy, error)
	// Close stops the networks' workers.
	Close()
}

// Package toylearner is a learning algorithm written outside mrasim's
// algorithm packages, to show (and test) how a user plugs one in:
// implement learner.Learner and learner.Trained, give the settings a type
// implementing learner.Settings, and register them with learner.Register.
//
// The toy keeps one value per action (the running mean of the rewards the
// action earned, over every agent) and acts by a softmax over the values.
// It learns little; it exercises every part of the interface.
package toylearner

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"
	"github.com/mrasim/mrasim/env"
)

// Name is the name the algorithm registers under.
const Name = "toy"

// maxActions bounds the actions the toy keeps a value for; actions beyond
// it are never chosen.
const maxActions = 16

// Settings are the toy's hyper-parameters.
type Settings struct {
	LR           float64 `json:"lr"`            // step size of the running means, in (0, 1]
	Temperature  float64 `json:"temperature"`   // softmax temperature of acting, > 0
	BatchSize    int     `json:"batch_size"`    // transitions per sampled batch
	BufferLength int     `json:"buffer_length"` // replay capacity per population
	Steps        int     `json:"steps_per_update"`
}

// Defaults returns the toy's default settings.
func Defaults() Settings {
	return Settings{LR: 0.1, Temperature: 0.5, BatchSize: 16, BufferLength: 500, Steps: 20}
}

// Algorithm implements learner.Settings.
func (s Settings) Algorithm() string { return Name }

// Schedule implements learner.Settings.
func (s Settings) Schedule() learner.Schedule {
	return learner.Schedule{BatchSize: s.BatchSize, BufferLength: s.BufferLength, StepsPerUpdate: s.Steps, Latents: 1}
}

// Check implements learner.Settings.
func (s Settings) Check(learner.Setup) error {
	switch {
	case !(s.LR > 0 && s.LR <= 1):
		return fmt.Errorf("toylearner: lr %v, want a number in (0, 1]", s.LR)
	case !(s.Temperature > 0):
		return fmt.Errorf("toylearner: temperature %v, want > 0", s.Temperature)
	case s.BatchSize < 1 || s.BufferLength < s.BatchSize || s.Steps < 1:
		return fmt.Errorf("toylearner: batch_size %d, buffer_length %d, steps_per_update %d: want 1 ≤ batch_size ≤ buffer_length and steps_per_update ≥ 1", s.BatchSize, s.BufferLength, s.Steps)
	}
	return nil
}

// Register adds the toy to mrasim's algorithm registry.
func Register() {
	learner.Register(learner.Algorithm{
		Name:    Name,
		Summary: "a running mean of rewards per action, for tests and as an example",
		New: func(s learner.Settings, _ learner.Build) (learner.Learner, error) {
			return &Toy{s: s.(Settings)}, nil
		},
		Load: func(s learner.Settings, _ learner.Build, state []byte) (learner.Trained, error) {
			t := &Toy{s: s.(Settings)}
			if err := t.SetState(state); err != nil {
				return nil, err
			}
			return t, nil
		},
		DecodeJSON: func(data []byte) (learner.Settings, error) {
			s := Defaults()
			err := json.Unmarshal(data, &s)
			return s, err
		},
		Keys: []string{"lr", "temperature", "batch_size", "buffer_length", "steps_per_update"},
		Decode: func(k learner.Keys, _ learner.Setup) learner.Settings {
			s := Defaults()
			k.Float("lr", &s.LR, 0, 1, true, false)
			k.Float("temperature", &s.Temperature, 0, math.Inf(1), true, true)
			k.Int("batch_size", &s.BatchSize, 1, 1<<20)
			k.Int("buffer_length", &s.BufferLength, 1, 1e8)
			k.Int("steps_per_update", &s.Steps, 1, 1e9)
			if s.BatchSize > s.BufferLength {
				k.Fail("batch_size", "", "batch_size %d is larger than buffer_length %d", s.BatchSize, s.BufferLength)
			}
			return s
		},
	})
}

// Toy is the toy learner and its trained form.
type Toy struct {
	s     Settings
	value [maxActions]float64
	probs [maxActions]float64 // acting scratch
}

// BeginEpisodes implements learner.Learner: no latents.
func (*Toy) BeginEpisodes(int, []float64, *rand.Rand, []float64) {}

// Act implements learner.Learner.
func (t *Toy) Act(enc *replay.Encoding, rows int, _, _ []float64, _ []bool, _ []float64, rng *rand.Rand, actions []int, graph []float64) {
	clear(graph[:rows*enc.E])
	for r := range rows {
		n := min(enc.Spec.Types[enc.Type[r%enc.N]].NumActions, maxActions)
		actions[r] = t.draw(n, rng)
	}
}

// draw returns an action among the first n by the softmax of the values.
func (t *Toy) draw(n int, rng *rand.Rand) int {
	hi := math.Inf(-1)
	for a := range n {
		hi = max(hi, t.value[a])
	}
	var total float64
	for a := range n {
		t.probs[a] = math.Exp((t.value[a] - hi) / t.s.Temperature)
		total += t.probs[a]
	}
	u := rng.Float64() * total
	for a := range n - 1 {
		if u < t.probs[a] {
			return a
		}
		u -= t.probs[a]
	}
	return n - 1
}

// Update implements learner.Learner: one batch, every live agent's reward
// moves its action's value.
func (t *Toy) Update(_ int, _ []float64, buf *replay.Buffer, b *replay.Batch, rng *rand.Rand, st *learner.Stats) {
	buf.Sample(rng, b)
	var sq float64
	for r, a := range b.Action {
		if !b.Alive[r] || a >= maxActions {
			continue
		}
		d := b.Reward[r] - t.value[a]
		sq += d * d
		t.value[a] += t.s.LR * d
	}
	st.Critic.Add(sq / float64(len(b.Action)))
}

// Err implements learner.Learner.
func (*Toy) Err() error { return nil }

// AppendState implements learner.Learner.
func (t *Toy) AppendState(dst []byte) []byte {
	for _, v := range t.value {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

// SetState implements learner.Learner.
func (t *Toy) SetState(data []byte) error {
	if len(data) != 8*maxActions {
		return fmt.Errorf("toylearner: state of %d bytes, want %d", len(data), 8*maxActions)
	}
	for a := range t.value {
		t.value[a] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*a:]))
	}
	return nil
}

// Close implements learner.Learner.
func (*Toy) Close() {}

// Player implements learner.Trained: every agent draws from the softmax
// of the values.
func (t *Toy) Player(spec *env.Spec, seed uint64) (agents.Policy, error) {
	p := &player{toy: *t, spec: spec}
	p.Reseed(seed)
	return p, nil
}

type player struct {
	toy  Toy
	spec *env.Spec
	rng  *rand.Rand
}

// Reseed restarts the player's draws from seed.
func (p *player) Reseed(seed uint64) { p.rng = rand.New(rand.NewPCG(seed, 0x746f79)) }

// Act implements agents.Policy.
func (p *player) Act(_ *env.Frame, actions []int) {
	for i := range actions {
		actions[i] = p.toy.draw(min(p.spec.Type(i).NumActions, maxActions), p.rng)
	}
}

package mra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mrasim/mrasim/agents/chunk"

	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// Model state format, little-endian:
//
//	"MRAMODEL" | version uint32 | options uint64 (version 2 only)
//	| shape: D, A, H, A_0 … A_{H−1}, K, Hidden, HeadDim, ValueDim, CriticKey, M (uint64 each)
//	| descriptors: M·H float64
//	| params: count uint64, float64 …  | targets: count uint64, float64 …
//	| 3 + H optimizer states (critic, the policy of each type, relation,
//	  prior): length uint64, bytes
//	| the model's random stream: length uint64, bytes
//	| CRC-32 (IEEE) of everything before, uint32
//
// Floats are stored as their IEEE-754 bits, so a round trip is bit-exact.
// A float32 model (Config.Precision) stores its float32 values as float64
// (exact) and sets the option bit optFloat32, so its state round-trips bit
// for bit and a model of the other precision refuses it.
//
// Version 1 has no options word: it is what a model with every option bit
// clear writes (the official architecture, the format before the options
// existed). A model with an option bit set writes version 2 and its options
// (stateOption bits), which must match the reading model's.
const (
	stateMagic          = "MRAMODEL"
	stateVersion        = 1
	stateVersionOptions = 2
)

// Options that change the networks' architecture, recorded in the state.
const (
	optPolicySeesSelf uint64 = 1 << iota // Config.PolicySeesSelf
	optCriticSeesSelf                    // Config.CriticSeesSelf
	optFloat32                           // Config.Precision = "float32"
)

// optionNames names the option bits in the scenario's words.
var optionNames = []string{"policy_sees_self", "critic_sees_self", "precision"}

// options returns the model's option bits.
func (m *ModelOf[T]) options() uint64 {
	var o uint64
	if m.cfg.PolicySeesSelf {
		o |= optPolicySeesSelf
	}
	if m.cfg.CriticSeesSelf {
		o |= optCriticSeesSelf
	}
	if !chunk.Is64[T]() {
		o |= optFloat32
	}
	return o
}

// ErrState is wrapped by every error SetState returns.
var ErrState = errors.New("mra: bad model state")

// AppendState appends the model's complete state to b and returns the
// extended slice: every parameter, the targets, the four optimizers' states
// and the model's own random stream, so that a model restored with SetState
// continues bit for bit. The body is written with internal/checkpoint's
// Encoder (counts and lengths as uint64, floats as their bits): the bytes
// of the hand-written framing before it, pinned by TestLearnerStateGolden.
func (m *ModelOf[T]) AppendState(b []byte) []byte {
	header := []byte(stateMagic)
	if opts := m.options(); opts != 0 {
		header = binary.LittleEndian.AppendUint32(header, stateVersionOptions)
		header = binary.LittleEndian.AppendUint64(header, opts)
	} else {
		header = binary.LittleEndian.AppendUint32(header, stateVersion)
	}
	return checkpoint.AppendFramed(b, header, func(e *checkpoint.Encoder) {
		for _, v := range m.shape() {
			e.Uint64(uint64(v))
		}
		for _, d := range m.games {
			for _, v := range d {
				e.Float64(float64(v))
			}
		}
		e.Float64s(m.float64s(m.params))
		e.Float64s(m.float64s(m.target))
		for _, o := range m.optimizers() {
			s, err := o.MarshalState()
			if err != nil {
				panic(err) // Adam's MarshalState never fails
			}
			e.Bytes(s)
		}
		s, err := m.rng.MarshalBinary()
		if err != nil {
			panic(err) // PCG's MarshalBinary never fails
		}
		e.Bytes(s)
	})
}

// float64s returns a copy of x as float64s (a float32 model's values
// widen exactly).
func (m *ModelOf[T]) float64s(x []T) []float64 {
	out := make([]float64, len(x))
	chunk.Widen(out, x)
	return out
}

// SetState restores a state written by AppendState of a model with the same
// shapes and training games. On error, which wraps ErrState and names what
// differs or is damaged, the model is unchanged.
func (m *ModelOf[T]) SetState(data []byte) error {
	v, body, err := checkpoint.ReadFramed(data, stateMagic, "model state")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	var options uint64
	switch v {
	case stateVersionOptions:
		if len(body) < 8 {
			return fmt.Errorf("%w: truncated state", ErrState)
		}
		options = binary.LittleEndian.Uint64(body)
		body = body[8:]
	case stateVersion:
	default:
		return fmt.Errorf("%w: version %d, want %d or %d", ErrState, v, stateVersion, stateVersionOptions)
	}
	if want := m.options(); options != want {
		return fmt.Errorf("%w: %s", ErrState, optionsDiff(options, want))
	}
	d := checkpoint.NewDecoder(body)
	if err := m.checkShape(d); err != nil {
		return err
	}
	params := d.Float64s()
	if d.Err() == nil && len(params) != len(m.params) {
		return fmt.Errorf("%w: %d parameters in the state, the model has %d", ErrState, len(params), len(m.params))
	}
	target := d.Float64s()
	if d.Err() == nil && len(target) != len(m.target) {
		return fmt.Errorf("%w: %d target parameters in the state, the model has %d", ErrState, len(target), len(m.target))
	}
	cur := m.optimizers()
	opts := make([]*optim.AdamOf[T], len(cur))
	for i := range cur {
		s := d.Bytes()
		if d.Err() != nil {
			break
		}
		o, err := m.newAdam(m.optimizerLR(i), m.optimizerDim(i))
		if err != nil {
			return err
		}
		if err := o.UnmarshalState(s); err != nil {
			return fmt.Errorf("%w: %s optimizer: %w", ErrState, m.optimizerName(i), err)
		}
		opts[i] = o
	}
	pcg, err := checkpoint.ReadStateTail(d, params)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	chunk.Convert(m.params, params)
	chunk.Convert(m.target, target)
	m.setOptimizers(opts)
	*m.rng = pcg
	m.err = nil
	return nil
}

// checkShape reads the shape and the training games' descriptors of a
// state and compares them with the model's.
func (m *ModelOf[T]) checkShape(d *checkpoint.Decoder) error {
	names := m.shapeNames()
	for i, want := range m.shape() {
		if got := d.Uint64(); d.Err() == nil && got != uint64(want) {
			return fmt.Errorf("%w: %s is %d in the state, the model has %d", ErrState, names[i], got, want)
		}
	}
	for g, desc := range m.games {
		got := make([]float64, len(desc))
		for k := range got {
			got[k] = d.Float64()
		}
		for k := range got {
			if d.Err() == nil && math.Float64bits(got[k]) != math.Float64bits(float64(desc[k])) {
				return fmt.Errorf("%w: training game %d has descriptor %v in the state, the model has %v", ErrState, g, got, desc)
			}
		}
	}
	return nil
}

// shape returns the sizes a state must match, named by shapeNames.
func (m *ModelOf[T]) shape() []int {
	c := m.cfg
	s := []int{m.f.D, m.f.A, len(m.f.Types)}
	s = append(s, m.f.Actions...)
	return append(s, c.Latents, c.Hidden, c.HeadDim, c.ValueDim, c.CriticKey, len(m.games))
}

func (m *ModelOf[T]) shapeNames() []string {
	s := []string{"row width D", "max actions A", "number of types H"}
	for _, t := range m.f.Types {
		s = append(s, fmt.Sprintf("actions of type %q", t))
	}
	return append(s, "latents K", "hidden width", "head width", "value width", "critic key width", "number of training games M")
}

// newAdam returns an Adam over d parameters at learning rate lr with weight
// decay WeightDecay (torch's coupled L2).
func (m *ModelOf[T]) newAdam(lr float64, d int) (*optim.AdamOf[T], error) {
	ac := optim.DefaultAdam()
	ac.LR = optim.Constant(lr)
	ac.WeightDecay = m.cfg.WeightDecay
	o, err := optim.NewAdamOf[T](d, ac)
	if err != nil {
		return nil, fmt.Errorf("mra: optimizer: %w", err)
	}
	return o, nil
}

// optimizers returns the Adams in state order: critic, the policy of each
// type, relation, prior.
func (m *ModelOf[T]) optimizers() []*optim.AdamOf[T] {
	out := []*optim.AdamOf[T]{m.opt[groupCritic]}
	out = append(out, m.typeOpt...)
	return append(out, m.opt[groupRelation], m.opt[groupPrior])
}

// setOptimizers installs Adams given in the order of optimizers.
func (m *ModelOf[T]) setOptimizers(o []*optim.AdamOf[T]) {
	h := len(m.typeOpt)
	m.opt[groupCritic] = o[0]
	m.typeOpt = o[1 : 1+h : 1+h]
	m.opt[groupRelation], m.opt[groupPrior] = o[1+h], o[2+h]
}

// optimizerLR and optimizerName give the learning rate (pi_lr for the
// policies and φ, q_lr for the critic and ψ, ω) and the name of optimizer
// i in the order of optimizers.
func (m *ModelOf[T]) optimizerLR(i int) float64 {
	if i == 0 || i == len(m.typeOpt)+2 {
		return m.cfg.CriticLR
	}
	return m.cfg.PolicyLR
}

func (m *ModelOf[T]) optimizerName(i int) string {
	h := len(m.typeSpan)
	switch {
	case i == 0:
		return "critic"
	case i <= h:
		return fmt.Sprintf("policy of type %q", m.f.Types[i-1])
	case i == h+1:
		return "relation"
	}
	return "prior"
}

// optimizerDim returns the number of parameters optimizer i (in the order
// of optimizers) steps.
func (m *ModelOf[T]) optimizerDim(i int) int {
	h := len(m.typeSpan)
	sp := m.groups[groupPrior]
	switch {
	case i == 0:
		sp = m.groups[groupCritic]
	case i <= h:
		sp = m.typeSpan[i-1]
	case i == h+1:
		sp = m.groups[groupRelation]
	}
	return sp.hi - sp.lo
}

// resetOptimizers gives every group fresh Adam states.
func (m *ModelOf[T]) resetOptimizers() error {
	h := len(m.typeSpan)
	m.typeOpt = make([]*optim.AdamOf[T], h)
	o := make([]*optim.AdamOf[T], h+3)
	for i := range o {
		a, err := m.newAdam(m.optimizerLR(i), m.optimizerDim(i))
		if err != nil {
			return fmt.Errorf("mra: %s optimizer: %w", m.optimizerName(i), err)
		}
		o[i] = a
	}
	m.setOptimizers(o)
	return nil
}

// clearOptimizers gives every group fresh Adam states in place (zero
// moments and step count, as resetOptimizers's new ones start), without
// allocating: Reptile does it at every population of every meta-round.
func (m *ModelOf[T]) clearOptimizers() {
	m.opt[groupCritic].Reset()
	for _, o := range m.typeOpt {
		o.Reset()
	}
	m.opt[groupRelation].Reset()
	m.opt[groupPrior].Reset()
}

// optionsDiff describes how the option bits of a state differ from the
// model's.
func optionsDiff(state, model uint64) string {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	var parts []string
	precision := func(o uint64) string {
		if o&optFloat32 != 0 {
			return PrecisionFloat32
		}
		return PrecisionFloat64
	}
	for i, name := range optionNames {
		bit := uint64(1) << i
		if bit == optFloat32 && state&bit != model&bit {
			parts = append(parts, fmt.Sprintf("the state was trained with algo.precision = %q, the model is %q: resume under the precision the run started with", precision(state), precision(model)))
			continue
		}
		if state&bit != model&bit {
			parts = append(parts, fmt.Sprintf("%s is %s in the state, %s in the model", name, onOff(state&bit != 0), onOff(model&bit != 0)))
		}
	}
	if unknown := state &^ (1<<len(optionNames) - 1); unknown != 0 {
		parts = append(parts, fmt.Sprintf("unknown options %#x in the state", unknown))
	}
	return strings.Join(parts, "; ") + " (the networks differ: build the model with the run's config)"
}

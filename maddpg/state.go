package maddpg

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mrasim/mrasim/agents/optim"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// ErrState is wrapped by the errors of SetState: the state is not a
// MADDPG state of these networks, or it is damaged.
var ErrState = errors.New("maddpg: bad state")

// MADDPG state format, little-endian: a frame around a body that
// internal/checkpoint's Encoder writes (counts and lengths as uint64):
//
//	"MADDPGST" | version uint32
//	| shape: D, A, H, A_0 … A_{H−1}, Hidden, ValueDim, CriticKey (Uint64 each)
//	| params (Float64s) | targets (Float64s)
//	| 2 optimizer states, critic then actor (Bytes)
//	| the random stream (Bytes)
//	| CRC-32 (IEEE) of everything before, uint32
//
// These are the bytes of the hand-written framing it replaced (pinned by
// TestLearnerStateGolden), so states written before still load.
const (
	stateMagic   = "MADDPGST"
	stateVersion = 1
)

func (m *MADDPG) shape() ([]int, []string) {
	c := m.cfg
	s := []int{m.f.D, m.f.A, len(m.f.Types)}
	names := []string{"row width D", "max actions A", "number of types H"}
	for k, a := range m.f.Actions {
		s = append(s, a)
		names = append(names, fmt.Sprintf("actions of type %q", m.f.Types[k]))
	}
	s = append(s, c.Hidden, c.ValueDim, c.CriticKey)
	return s, append(names, "hidden width", "value width", "key width")
}

// AppendState appends MADDPG's complete state to b: parameters, targets,
// both optimizers and the random stream, so that a restored learner
// continues bit for bit.
func (m *MADDPG) AppendState(b []byte) []byte {
	header := binary.LittleEndian.AppendUint32([]byte(stateMagic), stateVersion)
	return checkpoint.AppendFramed(b, header, func(e *checkpoint.Encoder) {
		s, _ := m.shape()
		for _, v := range s {
			e.Uint64(uint64(v))
		}
		e.Float64s(m.params)
		e.Float64s(m.target)
		for _, o := range m.opt {
			st, err := o.MarshalState()
			if err != nil {
				panic(err) // Adam's MarshalState never fails
			}
			e.Bytes(st)
		}
		st, err := m.pcg.MarshalBinary()
		if err != nil {
			panic(err) // PCG's MarshalBinary never fails
		}
		e.Bytes(st)
	})
}

// SetState restores a state written by AppendState of a learner with the
// same shapes. On error, which wraps ErrState and names what differs or is
// damaged, the learner is unchanged.
func (m *MADDPG) SetState(data []byte) error {
	v, body, err := checkpoint.ReadFramed(data, stateMagic, "maddpg state")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	if v != stateVersion {
		return fmt.Errorf("%w: maddpg state version %d, want %d", ErrState, v, stateVersion)
	}
	d := checkpoint.NewDecoder(body)
	shape, names := m.shape()
	for i, want := range shape {
		if got := d.Uint64(); d.Err() == nil && got != uint64(want) {
			return fmt.Errorf("%w: %s is %d in the state, the networks have %d", ErrState, names[i], got, want)
		}
	}
	params := d.Float64s()
	if d.Err() == nil && len(params) != len(m.params) {
		return fmt.Errorf("%w: %d parameters in the state, the networks have %d", ErrState, len(params), len(m.params))
	}
	target := d.Float64s()
	if d.Err() == nil && len(target) != len(m.target) {
		return fmt.Errorf("%w: %d target parameters in the state, the networks have %d", ErrState, len(target), len(m.target))
	}
	var opts [numGroups]*optim.Adam
	for g := range numGroups {
		s := d.Bytes()
		if d.Err() != nil {
			break
		}
		o, err := m.newOptimizer(g)
		if err != nil {
			return err
		}
		if err := o.UnmarshalState(s); err != nil {
			return fmt.Errorf("%w: %s optimizer: %w", ErrState, groupNames[g], err)
		}
		opts[g] = o
	}
	pcg, err := checkpoint.ReadStateTail(d, params)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	copy(m.params, params)
	copy(m.target, target)
	m.opt = opts
	*m.pcg = pcg
	m.err = nil
	return nil
}

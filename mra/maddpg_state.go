package mra

import (
	"encoding/binary"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"hash/crc32"
	"math"
	"math/rand/v2"

	"github.com/mrasim/mrasim/agents/optim"
)

// MADDPG state format, little-endian:
//
//	"MADDPGST" | version uint32
//	| shape: D, A, H, A_0 … A_{H−1}, Hidden, ValueDim, CriticKey (uint64 each)
//	| params: count uint64, float64 …  | targets: count uint64, float64 …
//	| 2 optimizer states (critic, actor): length uint64, bytes
//	| the random stream: length uint64, bytes
//	| CRC-32 (IEEE) of everything before, uint32
const (
	ddpgStateMagic   = "MADDPGST"
	ddpgStateVersion = 1
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
	start := len(b)
	b = append(b, ddpgStateMagic...)
	b = binary.LittleEndian.AppendUint32(b, ddpgStateVersion)
	s, _ := m.shape()
	for _, v := range s {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.params)))
	b = appendFloats(b, m.params)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.target)))
	b = appendFloats(b, m.target)
	for _, o := range m.opt {
		st, err := o.MarshalState()
		if err != nil {
			panic(err) // Adam's MarshalState never fails
		}
		b = appendBytes(b, st)
	}
	st, err := m.pcg.MarshalBinary()
	if err != nil {
		panic(err) // PCG's MarshalBinary never fails
	}
	b = appendBytes(b, st)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// SetState restores a state written by AppendState of a learner with the
// same shapes. On error, which wraps ErrState and names what differs or is
// damaged, the learner is unchanged.
func (m *MADDPG) SetState(data []byte) error {
	if len(data) < len(ddpgStateMagic)+8 || string(data[:len(ddpgStateMagic)]) != ddpgStateMagic {
		return fmt.Errorf("%w: not a maddpg state", ErrState)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return fmt.Errorf("%w: checksum mismatch (corrupted)", ErrState)
	}
	r := stateReader{b: body[len(ddpgStateMagic):]}
	if v := r.u32(); r.err == nil && v != ddpgStateVersion {
		return fmt.Errorf("%w: maddpg state version %d, want %d", ErrState, v, ddpgStateVersion)
	}
	shape, names := m.shape()
	for i, want := range shape {
		if got := r.u64(); r.err == nil && got != uint64(want) {
			return fmt.Errorf("%w: %s is %d in the state, the networks have %d", ErrState, names[i], got, want)
		}
	}
	if n := r.u64(); r.err == nil && n != uint64(len(m.params)) {
		return fmt.Errorf("%w: %d parameters in the state, the networks have %d", ErrState, n, len(m.params))
	}
	params := r.floats(len(m.params))
	if n := r.u64(); r.err == nil && n != uint64(len(m.target)) {
		return fmt.Errorf("%w: %d target parameters in the state, the networks have %d", ErrState, n, len(m.target))
	}
	target := r.floats(len(m.target))
	var opts [ddpgGroups]*optim.Adam
	for g := range ddpgGroups {
		s := r.bytes()
		if r.err != nil {
			break
		}
		o, err := m.newOptimizer(g)
		if err != nil {
			return err
		}
		if err := o.UnmarshalState(s); err != nil {
			return fmt.Errorf("%w: maddpg %s optimizer: %w", ErrState, ddpgGroupNames[g], err)
		}
		opts[g] = o
	}
	rs := r.bytes()
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrState, r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrState, len(r.b))
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(rs); err != nil {
		return fmt.Errorf("%w: random stream: %w", ErrState, err)
	}
	for _, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: non-finite parameter", ErrState)
		}
	}
	copy(m.params, params)
	copy(m.target, target)
	m.opt = opts
	*m.pcg = pcg
	m.err = nil
	return nil
}

// LoadMADDPG reads MADDPG's networks out of a trainer state written by
// learner.Trainer.Save of a maddpg run, without building the games or the
// replay buffers, for evaluation. cfg and setup must be those of the run.
func LoadMADDPG(cfg Config, setup learner.Setup, data []byte) (*MADDPG, error) {
	if cfg.Algo != AlgoMADDPG {
		return nil, fmt.Errorf("mra: LoadMADDPG of a run of algorithm %q", cfg.Algo)
	}
	state, b, err := learner.LearnerState(cfg, setup, data)
	if err != nil {
		return nil, err
	}
	t, err := loadMADDPG(cfg, b, state)
	if err != nil {
		return nil, err
	}
	return t.(*MADDPG), nil
}

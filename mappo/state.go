package mappo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// stateMagic opens a MAPPO state, with its version.
const stateMagic = "mappo-state-1"

// AppendState implements learner.Learner: the networks' parameters, the
// optimizers' states and the value normalisation. The rollout is never
// part of it (a checkpoint is taken between rounds, after Learn).
func (l *Learner) AppendState(dst []byte) []byte {
	dst = append(dst, stateMagic...)
	nets := append(append([]*net(nil), l.actors...), l.critic)
	for i, m := range nets {
		dst = appendFloats(dst, m.params.Value)
		st, err := l.opts[i].MarshalState()
		if err != nil {
			panic(fmt.Sprintf("mappo: optimizer state: %v", err)) // Adam's state always marshals
		}
		dst = binary.LittleEndian.AppendUint64(dst, uint64(len(st)))
		dst = append(dst, st...)
	}
	return appendFloats(dst, []float64{l.vn.mean, l.vn.meanSq, l.vn.debias})
}

// SetState implements learner.Learner: it restores an AppendState of a
// learner of the same settings and features, or returns an error and
// leaves l unchanged.
func (l *Learner) SetState(data []byte) error {
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return errors.New("mappo: the state is not a MAPPO state (or of another version)")
	}
	data = data[len(stateMagic):]
	nets := append(append([]*net(nil), l.actors...), l.critic)
	params := make([][]float64, len(nets))
	opts := make([][]byte, len(nets))
	var err error
	for i, m := range nets {
		if params[i], data, err = readFloats(data, len(m.params.Value)); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
		if len(data) < 8 {
			return fmt.Errorf("mappo: network %d: the optimizer state is missing", i)
		}
		k := binary.LittleEndian.Uint64(data)
		if k > uint64(len(data)-8) {
			return fmt.Errorf("mappo: network %d: optimizer state of %d bytes, %d left", i, k, len(data)-8)
		}
		opts[i], data = data[8:8+k], data[8+k:]
	}
	vn, data, err := readFloats(data, 3)
	if err != nil {
		return fmt.Errorf("mappo: value normalisation: %w", err)
	}
	if len(data) != 0 {
		return fmt.Errorf("mappo: %d bytes after the state", len(data))
	}
	// Check every optimizer state on a copy before changing anything.
	for i := range nets {
		probe := *l.opts[i]
		if err := probe.UnmarshalState(opts[i]); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
	}
	for i, m := range nets {
		copy(m.params.Value, params[i])
		if err := l.opts[i].UnmarshalState(opts[i]); err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
	}
	l.vn.mean, l.vn.meanSq, l.vn.debias = vn[0], vn[1], vn[2]
	return nil
}

func appendFloats(dst []byte, x []float64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(x)))
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

func readFloats(data []byte, n int) ([]float64, []byte, error) {
	if len(data) < 8 || binary.LittleEndian.Uint64(data) != uint64(n) || len(data)-8 < 8*n {
		return nil, nil, fmt.Errorf("want %d numbers", n)
	}
	data = data[8:]
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out, data[8*n:], nil
}

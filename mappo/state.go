package mappo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mrasim/mrasim/agents/chunk"
	"github.com/mrasim/mrasim/agents/nn"
	"github.com/mrasim/mrasim/agents/optim"
)

// stateMagic opens a float64 MAPPO state, with its version;
// stateMagic32 a float32 one. The numbers of either are written as
// float64 (a float32 widens exactly, so a float32 state round-trips bit
// for bit).
const (
	stateMagic   = "mappo-state-1"
	stateMagic32 = "mappo-state-f32-1"
)

// magicOf returns the magic of states of a learner of element type T.
func magicOf[T nn.Float]() string {
	if precisionOf[T]() == PrecisionFloat32 {
		return stateMagic32
	}
	return stateMagic
}

// nets returns the learner's networks in state order: the actors, then
// the value function.
func (l *LearnerOf[T]) nets() []*net[T] { return append(append([]*net[T](nil), l.actors...), l.critic) }

// AppendState implements learner.Learner: the networks' parameters, the
// optimizers' states and the value normalisation. The rollout is never
// part of it (a checkpoint is taken between rounds, after Learn).
func (l *LearnerOf[T]) AppendState(dst []byte) []byte {
	dst = append(dst, magicOf[T]()...)
	for i, m := range l.nets() {
		dst = appendFloats(dst, m.params.Value)
		st, err := l.opts[i].adam.MarshalState()
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
// leaves l unchanged. A state of the other precision is refused, naming
// both.
func (l *LearnerOf[T]) SetState(data []byte) error {
	magic := magicOf[T]()
	if !bytes.HasPrefix(data, []byte(magic)) {
		for _, other := range []struct{ magic, precision string }{{stateMagic32, PrecisionFloat32}, {stateMagic, PrecisionFloat64}} {
			if other.magic != magic && bytes.HasPrefix(data, []byte(other.magic)) {
				return fmt.Errorf("mappo: the state was trained with algo.precision = %q, the learner is %q: a run resumes and plays only in the precision it started with", other.precision, precisionOf[T]())
			}
		}
		return errors.New("mappo: the state is not a MAPPO state (or of another version)")
	}
	data = data[len(magic):]
	nets := l.nets()
	params := make([][]float64, len(nets))
	opts := make([]*optim.AdamOf[T], len(nets))
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
		// Restore into a fresh optimizer, so that a bad state changes
		// nothing.
		if opts[i], err = optim.NewAdamOf[T](len(m.params.Value), l.opts[i].cfg); err == nil {
			err = opts[i].UnmarshalState(data[8 : 8+k])
		}
		if err != nil {
			return fmt.Errorf("mappo: network %d: %w", i, err)
		}
		data = data[8+k:]
	}
	vn, data, err := readFloats(data, 3)
	if err != nil {
		return fmt.Errorf("mappo: value normalisation: %w", err)
	}
	if len(data) != 0 {
		return fmt.Errorf("mappo: %d bytes after the state", len(data))
	}
	for i, m := range nets {
		chunk.Convert(m.params.Value, params[i])
		l.opts[i].adam = opts[i]
	}
	l.vn.mean, l.vn.meanSq, l.vn.debias = vn[0], vn[1], vn[2]
	return nil
}

// appendFloats appends len(x) and x's values as float64.
func appendFloats[T nn.Float](dst []byte, x []T) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(x)))
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(v)))
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

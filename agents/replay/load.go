package replay

import (
	"fmt"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// Load reads a buffer section of any version: a negative marker
// (version 3, replay_io.go) or the version 2 layout, which starts with the
// number of transitions held and holds observations (a state-mode buffer
// becomes an observation-mode one to take it).
func (b *Buffer) Load(d *checkpoint.Decoder, dir string) error {
	first := d.Int()
	if err := d.Err(); err != nil {
		return err
	}
	switch first {
	case markInline:
		return b.loadInline(d)
	case markSegmented:
		return b.loadSegmented(d, dir)
	}
	if b.st != nil {
		// Version 2 buffers hold observations, which cannot be turned
		// back into game states: the resumed run keeps an observation
		// buffer (training is the same bit for bit).
		b.Close()
		*b = *NewBuffer(b.Enc, b.Capacity, b.k)
	}
	return b.loadV2(d, first)
}

// loadV2 restores a version 2 buffer (slot order, observations), into
// fresh storage so that a damaged state leaves the buffer as it was.
func (b *Buffer) loadV2(d *checkpoint.Decoder, length int) error {
	n, en := b.Enc.N, b.Enc.E
	next := d.Int()
	if err := d.Err(); err != nil {
		return err
	}
	if length < 0 || length > b.Capacity || next < 0 || next >= b.Capacity || (length < b.Capacity && next != length) {
		return fmt.Errorf("replay: replay buffer of %d transitions (next %d) does not fit a capacity of %d", length, next, b.Capacity)
	}
	fresh := &Buffer{Enc: b.Enc, Capacity: b.Capacity, obsLen: b.obsLen, entLen: b.entLen, k: b.k, mean: b.mean, std: b.std}
	if length > 0 {
		fresh.grow(length - 1)
	}
	check := func(what string, got, want int) error {
		if err := d.Err(); err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("replay: replay buffer holds %d %s where %d were expected", got, what, want)
		}
		return nil
	}
	f32 := func(dst []float32, what string, size int) error {
		v := d.Float32s()
		if err := check(what, len(v), size); err != nil {
			return err
		}
		copy(dst, v)
		return nil
	}
	flags := func(dst []bool, what string, size int) error {
		v := d.Bytes()
		if err := check(what, len(v), size); err != nil {
			return err
		}
		for i, x := range v {
			dst[i] = x == 1
		}
		return nil
	}
	if err := f32(fresh.obs, "observations", length*b.obsLen); err != nil {
		return err
	}
	if err := f32(fresh.nextObs, "next observations", length*b.obsLen); err != nil {
		return err
	}
	if err := flags(fresh.ents, "entity flags", length*b.entLen); err != nil {
		return err
	}
	if err := flags(fresh.nextEnts, "next entity flags", length*b.entLen); err != nil {
		return err
	}
	actions := d.Ints()
	if err := check("actions", len(actions), length*n); err != nil {
		return err
	}
	for i, a := range actions {
		fresh.action[i] = int32(a)
	}
	rewards := d.Float64s()
	if err := check("rewards", len(rewards), length*n); err != nil {
		return err
	}
	copy(fresh.reward, rewards)
	if err := flags(fresh.done, "done flags", length*n); err != nil {
		return err
	}
	if err := flags(fresh.alive, "alive flags", length*n); err != nil {
		return err
	}
	if err := f32(fresh.graph, "relation weights", length*n*en); err != nil {
		return err
	}
	lats := d.Float32s()
	if err := check("latents", len(lats), length*n*b.k); err != nil {
		return err
	}
	// Deduplicate in time order: oldest slot first.
	w := n * b.k
	for j := range length {
		s := j
		if length == b.Capacity {
			s = (next + j) % b.Capacity
		}
		fresh.len, fresh.next = j, s // setLatentOf finds the oldest slot from them
		setLatentOf(fresh, s, lats[s*w:(s+1)*w])
	}
	fresh.len, fresh.next = length, next
	fresh.total = int64(length)
	if length == b.Capacity {
		fresh.total = int64(b.Capacity + next)
	}
	*b = *fresh
	return nil
}

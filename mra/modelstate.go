package mra

import (
	"fmt"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// ModelState returns the leading part of a trainer state (Trainer.Save)
// that LoadModel reads: the run's identity and its networks, without the
// replay buffers and optimiser state that follow. LoadModel gives the same
// model from either; a league that only plays a run sends this part to
// other machines (it is a small fraction of a state whose buffers hold
// tens of MB).
func ModelState(data []byte) ([]byte, error) {
	d := checkpoint.NewDecoder(data)
	readIdentity(d)
	d.Bytes()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("mra: reading the networks: %w", err)
	}
	return data[:len(data)-d.Remaining()], nil
}

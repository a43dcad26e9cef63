package br_test

import (
	"fmt"
	"hash/fnv"
	"math"
	"testing"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/league/br"
)

// TestTrainPinned pins a best response's training bit for bit: the
// learning curve, the tested gain and a hash of the trained parameters of
// a short run in resource occupation, with every PPO option that changes
// the arithmetic (value warm-up, entropy, several epochs and minibatches
// with a folded tail). The PPO arithmetic lives in agents/ppo, shared with
// the multi-agent learners; the pins were taken before it moved there, so
// a change to the shared core that changes the best response's numbers
// fails here.
func TestTrainPinned(t *testing.T) {
	newGame := func() (env.Game, error) {
		return env.Make(particle.ResourceName, nil, env.Population{{Count: 3}})
	}
	cfg := br.Config{Episodes: 48, Batch: 8, Epochs: 3, Minibatches: 7, Hidden: 16, SelectEpisodes: 4, TestEpisodes: 6, ValueWarmup: 1}
	res, err := br.Train(newGame, agents.NewRandom(11), 0, nil, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a()
	for _, v := range res.Net.Params() {
		fmt.Fprintf(h, "%x,", math.Float64bits(v))
	}
	got := fmt.Sprintf("curve %v test gain %v params %x", res.Curve, res.Test.Gain, h.Sum64())
	const want = "curve [16 3.75 20.4375 5.875 11.0625 7.6875] test gain -6.458333333333333 params 4582f02267eaf544"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

package br_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/league/br"
)

// TestPower measures the learner's power in the resource game: the gain
// found against uniformly random others at N = 3, 6 and 24 with the
// league's default budget (1000 + 50·N training episodes, 100 selection and
// 300 test episodes). It is an experiment (tens of seconds), run only when
// MRASIM_POWER is set; MRASIM_POWER_EPISODES, _LR, _ENTROPY and _N ("3 6")
// override the budget, learning rate, entropy bonus and sizes:
//
//	MRASIM_POWER=1 go test ./league/br -run TestPower -v
func TestPower(t *testing.T) {
	if os.Getenv("MRASIM_POWER") == "" {
		t.Skip("set MRASIM_POWER=1 to measure the learner's power")
	}
	cfg := br.DefaultConfig()
	if v, err := strconv.Atoi(os.Getenv("MRASIM_POWER_EPISODES")); err == nil {
		cfg.Episodes = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("MRASIM_POWER_LR"), 64); err == nil {
		cfg.LR = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("MRASIM_POWER_ENTROPY"), 64); err == nil {
		cfg.Entropy = v
	}
	ns := []int{3, 6, 24}
	if v := os.Getenv("MRASIM_POWER_N"); v != "" {
		ns = nil
		for _, f := range strings.Fields(v) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			ns = append(ns, n)
		}
	}
	base := cfg.Episodes
	for _, n := range ns {
		if os.Getenv("MRASIM_POWER_EPISODES") == "" {
			cfg.Episodes = base + 50*n // the league's default budget: episodes + episodes_per_agent·N
		}
		newGame := func() (env.Game, error) { return env.Make(particle.ResourceName, nil, env.Population{{Count: n}}) }
		start := time.Now()
		res, err := br.Train(newGame, agents.NewRandom(11), 0, nil, cfg, 4)
		if err != nil {
			t.Fatal(err)
		}
		k := max(1, len(res.Curve)/10)
		t.Logf("N=%d, %d episodes: gain %.3f ± %.3f over %d test episodes (value %.3f, baseline %.3f; chosen %v); training return %.3f → %.3f; %v",
			n, cfg.Episodes, res.Gain, res.GainCI95, res.Test.Episodes, res.Test.Value, res.Test.Baseline, res.Chosen,
			mean(res.Curve[:k]), mean(res.Curve[len(res.Curve)-k:]), time.Since(start).Round(time.Millisecond))
	}
}

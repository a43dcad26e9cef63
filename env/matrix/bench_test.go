package matrix_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
)

var benchGames = []string{matrix.PublicGoodsName, matrix.VolunteerName, matrix.ElFarolName, matrix.MinorityName}

// BenchmarkBatch measures one env.Batch.Step over 12 copies of a game,
// stepped by one goroutine. The games last one step, so the batch resets
// every copy on every other call: an op alternates between a step and a
// reset of all 12 copies.
func BenchmarkBatch(b *testing.B) {
	const copies = 12
	for _, name := range benchGames {
		for _, n := range []int{5, 65} {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				games := make([]env.Game, copies)
				for e := range games {
					games[e] = build(b, name, nil, n)
				}
				batch, err := env.NewBatch(games, 1)
				if err != nil {
					b.Fatal(err)
				}
				defer batch.Close()
				batch.Reset(1)
				for e := range copies {
					for i := range batch.Actions(e) {
						batch.Actions(e)[i] = (i + e) % 2
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					batch.Step()
				}
			})
		}
	}
}

// BenchmarkActionValues measures one ActionValues call, the expected payoff
// of each action of one player against a random heterogeneous profile of
// the n−1 others.
func BenchmarkActionValues(b *testing.B) {
	for _, n := range []int{9, 65, 513} {
		for _, name := range benchGames {
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				g := build(b, name, nil, n)
				profile := randomProfile(rand.New(rand.NewPCG(1, 2)), n, 2, 0)
				dst := make([]float64, 2)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					g.ActionValues(profile, i, dst)
					i = (i + 1) % n
				}
			})
		}
	}
}

// BenchmarkNashConv measures NashConv of a symmetric profile: n calls of
// ActionValues plus the checks of the profile.
func BenchmarkNashConv(b *testing.B) {
	for _, n := range []int{9, 65} {
		b.Run(fmt.Sprintf("n=%d/%s", n, matrix.MinorityName), func(b *testing.B) {
			g := build(b, matrix.MinorityName, nil, n)
			profile := matrix.BinaryProfile(n, 0.5)
			b.ReportAllocs()
			for b.Loop() {
				matrix.NashConv(g, g.Spec(), profile)
			}
		})
	}
}

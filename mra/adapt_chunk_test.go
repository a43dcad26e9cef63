package mra

import (
	"github.com/mrasim/mrasim/agents/replay"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

// TestLatentGradientInChunks: the adaptation gradient computed in chunks of
// one step's rows equals the one computed over every row at once, and the
// chunks allocate a fraction of the memory.
func TestLatentGradientInChunks(t *testing.T) {
	if _, err := env.Lookup(line.Name); err != nil {
		line.Register()
	}
	newGame := func() (env.Game, error) {
		return env.Make(line.Name, map[string]any{"length": 8, "horizon": 10}, env.Population{{Type: "walkers", Count: 12}})
	}
	g, err := newGame()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(tinyConfig(), replay.GameFeatures(g.Spec()), [][]float64{{0.2}, {1.2}}, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultAdaptConfig()
	cfg.ParallelEnvs = 4
	k := m.cfg.Latents
	z := [][]float64{make([]float64, k)}
	for j := range z[0] {
		z[0][j] = 1 / float64(k)
	}
	grad := func(chunkRows int) ([]float64, uint64) {
		old := latentChunkRows
		latentChunkRows = chunkRows
		defer func() { latentChunkRows = old }()
		ad, err := newAdapter(m, newGame, cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		var tr trace
		ad.play(16, z, 5, &tr)
		out := make([]float64, k)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ad.latentGradient(&tr, 16, z, out)
		runtime.ReadMemStats(&after)
		return out, after.TotalAlloc - before.TotalAlloc
	}
	whole, wholeBytes := grad(math.MaxInt)
	chunked, chunkBytes := grad(1) // one block (one step of one episode) per call
	for j := range whole {
		if d := math.Abs(whole[j] - chunked[j]); d > 1e-9*math.Abs(whole[j]) {
			t.Errorf("∂/∂ℓ[%d]: %v in chunks, %v at once", j, chunked[j], whole[j])
		}
	}
	if whole[0] == 0 && whole[1] == 0 {
		t.Fatal("zero gradient: the test proves nothing")
	}
	t.Logf("allocated %d bytes at once, %d in chunks; gradients %v and %v", wholeBytes, chunkBytes, whole, chunked)
	if chunkBytes*4 > wholeBytes {
		t.Errorf("chunks allocated %d bytes, at once %d: want a fraction", chunkBytes, wholeBytes)
	}
}

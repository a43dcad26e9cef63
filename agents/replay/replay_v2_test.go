package replay

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// saveV2 is the buffer layout of trainer state version 2 (slot order,
// observations), kept here to show such checkpoints still load.
func (b *Buffer) saveV2(e *checkpoint.Encoder) {
	n, en := b.Enc.N, b.Enc.E
	bools := func(bs []bool) {
		p := make([]byte, len(bs))
		for i, v := range bs {
			p[i] = boolByte(v)
		}
		e.Bytes(p)
	}
	e.Int(b.len)
	e.Int(b.next)
	e.Float32s(b.obs[:b.len*b.obsLen])
	e.Float32s(b.nextObs[:b.len*b.obsLen])
	bools(b.ents[:b.len*b.entLen])
	bools(b.nextEnts[:b.len*b.entLen])
	actions := make([]int, b.len*n)
	for i := range actions {
		actions[i] = int(b.action[i])
	}
	e.Ints(actions)
	e.Float64s(b.reward[:b.len*n])
	bools(b.done[:b.len*n])
	bools(b.alive[:b.len*n])
	e.Float32s(b.graph[:b.len*n*en])
	var lats []float32
	for s := range b.len {
		lats = append(lats, b.lat.entry(b.latIdx[s])...)
	}
	e.Float32s(lats)
}

// TestVersion2BufferLoads writes a wrapped observation buffer in the
// version 2 layout and checks that it loads into a buffer that samples the
// same batches and keeps adding where the original would, and that a
// state-mode buffer takes it by becoming an observation-mode one.
func TestVersion2BufferLoads(t *testing.T) {
	reg, _ := env.Lookup("resource")
	pop, _ := env.ParsePopulation("agents=3")
	g, err := reg.Make(nil, pop)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoding(GameFeatures(g.Spec()), g.Spec())
	if err != nil {
		t.Fatal(err)
	}
	const capacity, latents = 50, 2
	orig := NewBuffer(enc, capacity, latents)
	prev, next := env.NewFrame(g.Spec()), env.NewFrame(g.Spec())
	actions := []int{1, 2, 3}
	graph, z := make([]float64, 3*enc.E), []float64{1, 0, 0, 1, 1, 0}
	g.Reset(1, next)
	for step := range 73 {
		z[step%6] = float64(step / 7) // a new latent every 7 steps
		if next.Done() {
			g.Reset(uint64(step), next)
		}
		prev.CopyFrom(next)
		g.Step(actions, next)
		orig.Add(prev, actions, next, graph, z)
	}
	var buf bytes.Buffer
	orig.saveV2(checkpoint.NewEncoder(&buf))

	loaded := NewBuffer(enc, capacity, latents)
	if err := loaded.Load(checkpoint.NewDecoder(buf.Bytes()), ""); err != nil {
		t.Fatal(err)
	}
	g.Step(actions, next)
	for _, b := range []*Buffer{orig, loaded} {
		b.Add(prev, actions, next, graph, z)
	}
	a, b := NewBatch(enc, 40, latents), NewBatch(enc, 40, latents)
	orig.Sample(rand.New(rand.NewPCG(3, 4)), a)
	loaded.Sample(rand.New(rand.NewPCG(3, 4)), b)
	if !slices.Equal(a.Self, b.Self) || !slices.Equal(a.NextEnts, b.NextEnts) || !slices.Equal(a.Reward, b.Reward) || !slices.Equal(a.Action, b.Action) || !slices.Equal(a.Latent, b.Latent) {
		t.Fatal("a version 2 buffer loads into one that samples other batches")
	}

	st, err := NewStateBuffer(enc, capacity, latents, []env.Game{g}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Load(checkpoint.NewDecoder(buf.Bytes()), ""); err != nil {
		t.Fatal(err)
	}
	if st.Mode() != ModeObservations || st.Len() != capacity {
		t.Fatalf("a state buffer took version 2 data as a %s buffer of %d", st.Mode(), st.Len())
	}
}

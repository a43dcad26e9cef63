package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// segmentSeeds fills a small buffer of resource games in mode (episodes of
// 6 steps from 2 interleaved copies, wrapping the buffer), saves segments
// twice as a run's checkpoints do, and returns the buffer and the segment
// files' payloads.
func segmentSeeds(tb testing.TB, mode string) (*Buffer, [][]byte) {
	tb.Helper()
	const copies, latents, capacity = 2, 2, 60
	pop := env.Population{{Type: "agents", Count: 3}}
	mk := func() env.Game {
		g, err := env.Make("resource", map[string]any{"max_steps": 6}, pop)
		if err != nil {
			tb.Fatal(err)
		}
		return g
	}
	games := []env.Game{mk(), mk()}
	enc, err := NewEncoding(GameFeatures(games[0].Spec()), games[0].Spec())
	if err != nil {
		tb.Fatal(err)
	}
	b := NewBuffer(enc, capacity, latents)
	if mode == ModeStates {
		if b, err = NewStateBuffer(enc, capacity, latents, []env.Game{mk()}, copies); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(b.Close)
	dir := tb.TempDir()
	prev, next := make([]*env.Frame, copies), make([]*env.Frame, copies)
	for c := range copies {
		prev[c], next[c] = env.NewFrame(games[c].Spec()), env.NewFrame(games[c].Spec())
	}
	n := enc.N
	actions, graph, z := make([]int, n), make([]float64, n*enc.E), make([]float64, n*latents)
	for ep := range 12 {
		z[ep%len(z)] = float64(ep)
		b.Detach()
		for c := range copies {
			games[c].Reset(uint64(ep*copies+c), next[c])
		}
		for step := range 6 {
			for c := range copies {
				prev[c].CopyFrom(next[c])
				for i := range actions {
					actions[i] = (step + i + c) % 5
				}
				b.BeginStep(c, games[c], prev[c])
				games[c].Step(actions, next[c])
				b.Record(c, games[c], prev[c], actions, next[c], graph, z)
			}
		}
		if ep == 4 || ep == 11 {
			if err := b.SaveSegmented(checkpoint.NewEncoder(discard{}), dir, "replay-0"); err != nil {
				tb.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var segs [][]byte
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".seg") {
			p, _, err := checkpoint.ReadFile(filepath.Join(dir, e.Name()), SegmentKind, SegmentVersion)
			if err != nil {
				tb.Fatal(err)
			}
			segs = append(segs, p)
		}
	}
	if len(segs) < 2 {
		tb.Fatalf("%d segment files, want some", len(segs))
	}
	return b, segs
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// FuzzReplaySegment reads arbitrary segment payloads (seeded with real
// ones) into a buffer shaped as the one that wrote them, in both replay
// modes: never a panic, and never an allocation from a count in the data.
func FuzzReplaySegment(f *testing.F) {
	bufs := map[bool]*Buffer{}
	for _, states := range []bool{true, false} {
		mode := ModeObservations
		if states {
			mode = ModeStates
		}
		b, segs := segmentSeeds(f, mode)
		bufs[states] = b
		for _, s := range segs {
			f.Add(s, states)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, states bool) {
		b := bufs[states]
		h := header{mode: b.Mode(), total: b.total, length: b.len, next: b.next}
		if b.st != nil {
			h.recLen, h.seq, h.recsFrom = b.st.recLen, b.st.seq, b.recordsFrom()
		}
		fresh := b.fresh(h)
		d := checkpoint.NewDecoder(data)
		if err := fresh.readBody(d); err == nil {
			_ = d.Done()
		}
	})
}

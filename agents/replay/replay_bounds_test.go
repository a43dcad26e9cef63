package replay

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
)

// TestClaimedStateRecordsAreBounded: a buffer section whose header claims
// more game-state records than its transitions can refer to is refused
// before the record ring is allocated.
func TestClaimedStateRecordsAreBounded(t *testing.T) {
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
	b, err := NewStateBuffer(enc, 50, 2, []env.Game{g}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, tc := range []struct {
		name          string
		length, total int
		seq, recsFrom uint64
		ok            bool
	}{
		{"empty", 0, 0, 0, 0, true},
		{"a claim of 2^46 records", 0, 0, 1 << 46, 0, false},
		{"one record too many", 10, 10, 2*(10+2) + 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := checkpoint.NewEncoder(&buf)
			e.Int(markInline)
			e.String(ModeStates)
			e.Uint64(uint64(tc.total))
			e.Int(tc.length)
			e.Int(tc.total % 50)
			e.Int(b.st.recLen)
			e.Uint64(tc.seq)
			e.Uint64(tc.recsFrom)
			e.Uint64(0) // no transitions
			e.Uint64(0)
			e.Uint64(0) // no records
			e.Uint64(0)
			err := b.Load(checkpoint.NewDecoder(buf.Bytes()), "")
			if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "game states")) {
				t.Errorf("error %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestStateBufferClosesAtOnce: a state buffer closed right after it is
// made (a trainer whose checkpoint is refused) stops its workers without
// a panic, however late they start.
func TestStateBufferClosesAtOnce(t *testing.T) {
	reg, _ := env.Lookup("resource")
	pop, _ := env.ParsePopulation("agents=3")
	var games []env.Game
	for range 4 {
		g, err := reg.Make(nil, pop)
		if err != nil {
			t.Fatal(err)
		}
		games = append(games, g)
	}
	enc, err := NewEncoding(GameFeatures(games[0].Spec()), games[0].Spec())
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		b, err := NewStateBuffer(enc, 50, 2, games, 2)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
}

// TestNegativeRecordRangeIsRefused: a replay body whose state records
// start before 0 is refused, in either mode (an observation buffer has no
// records to index and used to dereference nil).
func TestNegativeRecordRangeIsRefused(t *testing.T) {
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
	states, err := NewStateBuffer(enc, 50, 2, []env.Game{g}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer states.Close()
	for _, b := range []*Buffer{NewBuffer(enc, 50, 2), states} {
		t.Run(b.Mode(), func(t *testing.T) {
			h := header{mode: b.Mode()}
			if b.st != nil {
				h.recLen = b.st.recLen
			}
			var buf bytes.Buffer
			e := checkpoint.NewEncoder(&buf)
			e.Uint64(0) // no transitions
			e.Uint64(0)
			e.Uint64(^uint64(0)) // records -1 … 0
			e.Uint64(0)
			e.Bytes(nil)
			err := b.fresh(h).readBody(checkpoint.NewDecoder(buf.Bytes()))
			if err == nil || !strings.Contains(err.Error(), "records -1 … 0") {
				t.Errorf("error %v, want a refusal of records -1 … 0", err)
			}
		})
	}
}

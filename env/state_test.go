package env_test

import (
	"errors"
	"testing"

	"github.com/mrasim/mrasim/env"
)

func TestStateRoundTrip(t *testing.T) {
	w := env.NewStateWriter([]byte("prefix"), "t/v1")
	w.Int(-7)
	w.Float64(0.1)
	w.Bool(true)
	w.Floats([]float64{1, 2.5})
	w.Bools([]bool{false, true})
	w.Bytes([]byte{9, 8})
	b := w.Finish()
	r := env.NewStateReader(b[len("prefix"):], "t/v1")
	fs, bs := make([]float64, 2), make([]bool, 2)
	i, f, ok := r.Int(), r.Float64(), r.Bool()
	r.Floats(fs)
	r.Bools(bs)
	p := r.Bytes()
	if err := r.Err(true); err != nil {
		t.Fatal(err)
	}
	if i != -7 || f != 0.1 || !ok || fs[1] != 2.5 || !bs[1] || bs[0] || len(p) != 2 || p[1] != 8 {
		t.Errorf("read back %v %v %v %v %v %v", i, f, ok, fs, bs, p)
	}
}

func TestStateReaderRefuses(t *testing.T) {
	good := func() []byte {
		w := env.NewStateWriter(nil, "t/v1")
		w.Floats([]float64{1, 2, 3})
		return w.Finish()
	}
	flip := good()
	flip[5] ^= 1
	other := env.NewStateWriter(nil, "u/v1")
	other.Floats([]float64{1, 2, 3})
	for _, tc := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"empty", nil, 3},
		{"flipped bit", flip, 3},
		{"other tag", other.Finish(), 3},
		{"wrong length", good(), 4},
		{"left over", good(), -1},
	} {
		r := env.NewStateReader(tc.b, "t/v1")
		if tc.n >= 0 {
			r.Floats(make([]float64, tc.n))
		}
		if err := r.Err(true); !errors.Is(err, env.ErrState) {
			t.Errorf("%s: error %v, want one wrapping ErrState", tc.name, err)
		}
	}
}

// FuzzStateReader feeds arbitrary bytes to a reader: it must never panic.
func FuzzStateReader(f *testing.F) {
	w := env.NewStateWriter(nil, "t/v1")
	w.Floats([]float64{1, 2})
	w.Bytes([]byte("abc"))
	f.Add(w.Finish())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := env.NewStateReader(b, "t/v1")
		r.Floats(make([]float64, 2))
		r.Bytes()
		r.Bools(make([]bool, 1))
		_ = r.Err(true)
	})
}

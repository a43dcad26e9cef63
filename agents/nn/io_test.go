package nn_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 1))
	for _, n := range []int{0, 1, 17, 1000} {
		p := randn(rng, n)
		var buf bytes.Buffer
		if err := nn.Save(&buf, p); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, n)
		if err := nn.Load(&buf, got); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := range p {
			if got[i] != p[i] {
				t.Fatalf("n=%d: got[%d] = %g, want %g", n, i, got[i], p[i])
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	p := []float64{1, -2, 3.5}
	good := nn.MarshalParams(p)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	nan := nn.MarshalParams([]float64{1, math.NaN(), 3})
	for _, tc := range []struct {
		name string
		data []byte
		dst  int
		want error
	}{
		{"empty", nil, 3, nn.ErrFormat},
		{"bad magic", flip(0), 3, nn.ErrFormat},
		{"bad version", flip(8), 3, nn.ErrVersion},
		{"too few wanted", good, 2, nn.ErrLength},
		{"too many wanted", good, 4, nn.ErrLength},
		{"truncated", good[:len(good)-5], 3, nn.ErrFormat},
		{"corrupt value", flip(25), 3, nn.ErrChecksum},
		{"corrupt checksum", flip(len(good) - 1), 3, nn.ErrChecksum},
		{"trailing bytes", append(bytes.Clone(good), 0), 3, nn.ErrFormat},
		{"non-finite", nan, 3, nn.ErrNonFinite},
	} {
		dst := make([]float64, tc.dst)
		for i := range dst {
			dst[i] = 42
		}
		err := nn.UnmarshalParams(tc.data, dst)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		if tc.name != "trailing bytes" {
			for _, v := range dst {
				if v != 42 {
					t.Errorf("%s: dst modified on error", tc.name)
					break
				}
			}
		}
	}
}

// FuzzLoadParams checks that Load never panics and that whatever it
// accepts saves back to the same bytes.
func FuzzLoadParams(f *testing.F) {
	f.Add(nn.MarshalParams([]float64{1, 2, 3}), 3)
	f.Add(nn.MarshalParams(nil), 0)
	f.Add(nn.MarshalParams([]float64{0.5}), 2)
	f.Add([]byte("MRASIMNN"), 1)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > 1<<12 {
			return
		}
		dst := make([]float64, n)
		r := bytes.NewReader(data)
		if err := nn.Load(r, dst); err != nil {
			return
		}
		used := data[:len(data)-r.Len()]
		if got := nn.MarshalParams(dst); !bytes.Equal(got, used) {
			t.Fatalf("accepted %x, re-saved as %x", used, got)
		}
	})
}

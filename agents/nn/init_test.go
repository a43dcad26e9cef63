package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/nn"
)

func TestInitialisers(t *testing.T) {
	m := nn.NewMLP(nn.NewReLU, 200, 300, 100)
	p := nn.NewParams(m)
	for _, tc := range []struct {
		name string
		init func(*rand.Rand, []float64, nn.Layout)
		vari func(s nn.Segment) float64
	}{
		{"XavierNormal", nn.XavierNormal, func(s nn.Segment) float64 { return 2 / float64(s.Rows+s.Cols) }},
		{"XavierUniform", nn.XavierUniform, func(s nn.Segment) float64 { return 2 / float64(s.Rows+s.Cols) }},
		{"HeNormal", nn.HeNormal, func(s nn.Segment) float64 { return 2 / float64(s.Cols) }},
		{"HeUniform", nn.HeUniform, func(s nn.Segment) float64 { return 2 / float64(s.Cols) }},
	} {
		for i := range p.Value {
			p.Value[i] = 1
		}
		tc.init(rand.New(rand.NewPCG(40, 1)), p.Value, p.Layout)
		for _, s := range p.Layout.Layers {
			w := s.Weights(p.Value)
			var mean, sq float64
			for _, v := range w {
				mean += v
				sq += v * v
			}
			n := float64(len(w))
			mean /= n
			vr := sq/n - mean*mean
			want := tc.vari(s)
			// The sample variance of n draws has relative sd ≤ √(2/n).
			if math.Abs(vr-want) > 5*math.Sqrt(2/n)*want || math.Abs(mean) > 5*math.Sqrt(want/n) {
				t.Errorf("%s %d×%d: mean %g variance %g, want 0 and %g", tc.name, s.Rows, s.Cols, mean, vr, want)
			}
			for _, v := range s.Bias(p.Value) {
				if v != 0 {
					t.Fatalf("%s: bias %g, want 0", tc.name, v)
				}
			}
		}
		// Same seed, same parameters.
		q := make([]float64, len(p.Value))
		tc.init(rand.New(rand.NewPCG(40, 1)), q, p.Layout)
		for i := range q {
			if q[i] != p.Value[i] {
				t.Fatalf("%s not reproducible from its seed", tc.name)
			}
		}
	}
}

func TestLayout(t *testing.T) {
	rn := nn.NewRelationNet(22, 32, 6, 16)
	head := nn.NewMLP(nn.NewReLU, 64, 32, 5)
	p := nn.NewParams(rn, head)
	want := []nn.Segment{
		{Offset: 0, Rows: 32, Cols: 22, HasBias: true},
		{Offset: 736, Rows: 96, Cols: 32, HasBias: true},
		{Offset: 3904, Rows: 32, Cols: 22, HasBias: true},
		{Offset: 4640, Rows: 96, Cols: 32, HasBias: true},
		{Offset: 7808, Rows: 32, Cols: 64, HasBias: true},
		{Offset: 9888, Rows: 5, Cols: 32, HasBias: true},
	}
	if len(p.Layout.Layers) != len(want) {
		t.Fatalf("layout %v, want %v", p.Layout.Layers, want)
	}
	for i, s := range p.Layout.Layers {
		if s != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, s, want[i])
		}
	}
	if p.Layout.Len() != len(p.Value) || len(p.Value) != 10053 {
		t.Errorf("layout length %d, params %d, want 10053", p.Layout.Len(), len(p.Value))
	}
	// The views alias the flat vector: W[o,i] at Offset + o·Cols + i, bias last.
	l := head.Layers[1]
	s := p.Layout.Layers[5]
	p.Value[s.Offset+2*s.Cols+7] = 9
	p.Value[s.Offset+s.Rows*s.Cols+3] = -4
	if l.W[2*32+7] != 9 || l.B[3] != -4 {
		t.Error("layer views do not alias the flat parameter vector as documented")
	}
}

func TestLayoutValidate(t *testing.T) {
	seg := func(off, rows, cols int, bias bool) nn.Segment {
		return nn.Segment{Offset: off, Rows: rows, Cols: cols, HasBias: bias}
	}
	for _, tc := range []struct {
		name string
		segs []nn.Segment
		d    int
		want string // substring of the error, "" for a valid layout
	}{
		{"empty", nil, 0, ""},
		{"tiled", []nn.Segment{seg(0, 2, 3, true), seg(8, 1, 2, false)}, 10, ""},
		{"gap and tail", []nn.Segment{seg(1, 2, 2, false), seg(6, 1, 1, false)}, 9, ""},
		{"negative offset", []nn.Segment{seg(-1, 2, 2, false)}, 9, "need offset ≥ 0"},
		{"zero rows", []nn.Segment{seg(0, 0, 2, false)}, 9, "need offset ≥ 0"},
		{"overlap", []nn.Segment{seg(0, 2, 2, true), seg(5, 1, 1, false)}, 9, "inside the previous segment"},
		{"past the end", []nn.Segment{seg(0, 2, 3, true)}, 7, "past the 7 parameters"},
	} {
		err := nn.Layout{Layers: tc.segs}.Validate(tc.d)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate(%d) = %v, want nil", tc.name, tc.d, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Validate(%d) = %v, want an error containing %q", tc.name, tc.d, err, tc.want)
		}
	}
}

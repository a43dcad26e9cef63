package matrix_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/matrix"
)

// observations builds game at n players with raw parameters and returns every
// player's observation after Reset.
func observations(t *testing.T, name string, raw map[string]any, n int) [][]float64 {
	t.Helper()
	g, err := env.Make(name, raw, env.Population{{Count: n}})
	if err != nil {
		t.Fatalf("%s %v at n = %d: %v", name, raw, n, err)
	}
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	out := make([][]float64, n)
	for i := range n {
		out[i] = append([]float64(nil), f.AgentObs(i)...)
	}
	return out
}

// TestCountEncodingSelfBlock checks the exact self block of every game of
// the package in each count encoding, and that the default is today's
// observation bit for bit: n/10 then 1/n as the games computed them before
// the encoding could be chosen, identical to an explicit "linear".
func TestCountEncodingSelfBlock(t *testing.T) {
	multiplier := 1.6 // a variable: r/n divided at run time, as the game does
	for _, c := range []struct {
		game   string
		raw    map[string]any
		n      int
		params []float64 // the self block after [count, 1/n]
	}{
		{matrix.VolunteerName, map[string]any{"benefit": 2.0, "cost": 0.5}, 16, []float64{0.25, 2}},
		{matrix.VolunteerName, nil, 3, []float64{0.5, 1}},
		{matrix.PublicGoodsName, map[string]any{"endowment": 2.0, "multiplier": multiplier}, 7, []float64{multiplier / 7, 2}},
		{matrix.ElFarolName, nil, 10, []float64{0.6, 1, -1}},
		{matrix.MinorityName, nil, 9, nil},
		{matrix.RepeatedVolunteerName, map[string]any{"rounds": 4}, 5, []float64{0.5, 1, 0, 0, 1}},
	} {
		for _, enc := range []struct {
			name  string // "" leaves the parameter unset
			count float64
		}{
			{"", float64(c.n) / 10},
			{"linear", float64(c.n) / 10},
			{"log", math.Log(float64(c.n))},
		} {
			raw := map[string]any{}
			for k, v := range c.raw {
				raw[k] = v
			}
			if enc.name != "" {
				raw["count_encoding"] = enc.name
			}
			want := append([]float64{enc.count, 1 / float64(c.n)}, c.params...)
			for i, o := range observations(t, c.game, raw, c.n) {
				for k, w := range want {
					if o[k] != w {
						t.Errorf("%s n = %d count_encoding %q: player %d self[%d] = %v, want exactly %v", c.game, c.n, enc.name, i, k, o[k], w)
					}
				}
				for k, v := range o[len(want):] {
					if v != 1 {
						t.Errorf("%s n = %d count_encoding %q: player %d entity %d = %v, want 1", c.game, c.n, enc.name, i, k, v)
					}
				}
			}
		}
	}
}

// TestCountEncodingRefused checks that a count encoding the games do not
// know is refused naming the key, the value and the allowed values.
func TestCountEncodingRefused(t *testing.T) {
	for _, c := range []struct {
		raw  any
		want string
	}{
		{"ln", `game "volunteer" parameter "count_encoding": got "ln", want one of "linear", "log"`},
		{"lgo", `game "volunteer" parameter "count_encoding": got "lgo", want one of "linear", "log" (did you mean "log"?)`},
		{"Linear", `game "volunteer" parameter "count_encoding": got "Linear", want one of "linear", "log" (did you mean "linear"?)`},
		{int64(1), `game "volunteer" parameter "count_encoding": got 1 (int64), want one of "linear", "log"`},
		{true, `game "volunteer" parameter "count_encoding": got true (bool), want one of "linear", "log"`},
	} {
		_, err := env.Make(matrix.VolunteerName, map[string]any{"count_encoding": c.raw}, env.Population{{Count: 3}})
		var pe *env.ParamError
		if err == nil || err.Error() != c.want || !errors.As(err, &pe) || pe.Param != "count_encoding" {
			t.Errorf("count_encoding = %v: error %v, want the *env.ParamError %s", c.raw, err, c.want)
		}
	}
	if _, err := matrix.NewVolunteer(3, 1, 0.5, matrix.WithCountEncoding(2)); err == nil || !strings.Contains(err.Error(), "count encoding 2") {
		t.Errorf("NewVolunteer with encoding 2: error %v, want one naming count encoding 2", err)
	}
	if _, err := matrix.NewRepeatedVolunteer(3, 1, 0.5, 2, matrix.WithCountEncoding(-1)); err == nil || !strings.Contains(err.Error(), "count encoding -1") {
		t.Errorf("NewRepeatedVolunteer with encoding -1: error %v, want one naming count encoding -1", err)
	}
}

// TestCountEncodingDocumented checks the parameter as `mrasim envs` shows
// it, for every game of the package.
func TestCountEncodingDocumented(t *testing.T) {
	for _, name := range []string{matrix.VolunteerName, matrix.PublicGoodsName, matrix.ElFarolName, matrix.MinorityName, matrix.RepeatedVolunteerName} {
		r, err := env.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range r.Doc.Params {
			if p.Name != "count_encoding" {
				continue
			}
			found = true
			if p.Allowed() != `one of "linear", "log"` || p.DefaultString() != `"linear"` || p.Kind.String() != "string" {
				t.Errorf("%s: count_encoding allows %s, default %s, kind %s", name, p.Allowed(), p.DefaultString(), p.Kind)
			}
		}
		if !found {
			t.Errorf("%s documents no count_encoding parameter", name)
		}
	}
	if env.CountLinear.String() != "linear" || env.CountLog.String() != "log" || env.CountEncoding(5).String() != "CountEncoding(5)" {
		t.Errorf("names %q %q %q", env.CountLinear, env.CountLog, env.CountEncoding(5))
	}
}

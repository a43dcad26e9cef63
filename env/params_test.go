package env_test

import (
	"fmt"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/examples/customenv/line"
)

// shapeParam is an Enum parameter of the game "line-shaped", registered by
// TestEnumParam: line's constructor with one more, unused, parameter.
var shapeParam = env.Param{Name: "shape", Kind: env.Enum, Values: []string{"flat", "steep", "round"}, Default: 1, Doc: "a test enum"}

// shapes are the shape indices line-shaped's constructor was given, in order.
var shapes []int

func init() {
	env.Register("line-shaped", func(p env.Params, pop env.Population) (env.Game, error) {
		shapes = append(shapes, p.Enum("shape"))
		return line.New(p, pop)
	}, env.Doc{
		Summary: "line with a shape",
		Types:   []env.TypeDoc{{Name: "walkers", Min: 1, Max: 4}},
		Params: []env.Param{
			{Name: "length", Kind: env.Int, Default: 5, Min: 3, Max: 1000},
			{Name: "horizon", Kind: env.Int, Default: 12, Min: 1, Max: 10000},
			shapeParam,
		},
	})
}

// TestEnumParam checks an Enum parameter: its documentation, its default,
// the index Params.Enum gives for each value, and the refusals.
func TestEnumParam(t *testing.T) {
	if got := shapeParam.Allowed(); got != `one of "flat", "steep", "round"` {
		t.Errorf("Allowed = %s", got)
	}
	if got := shapeParam.DefaultString(); got != `"steep"` {
		t.Errorf("DefaultString = %s", got)
	}
	pop := env.Population{{Count: 2}}
	shapes = nil
	for _, raw := range []map[string]any{nil, {"shape": "flat"}, {"shape": "steep"}, {"shape": "round"}} {
		if _, err := env.Make("line-shaped", raw, pop); err != nil {
			t.Fatalf("%v: %v", raw, err)
		}
	}
	if fmt.Sprint(shapes) != "[1 0 1 2]" {
		t.Errorf("shapes seen %v, want [1 0 1 2] (the default steep, then flat, steep, round)", shapes)
	}
	for _, c := range []struct {
		raw  any
		want string
	}{
		{"rund", `game "line-shaped" parameter "shape": got "rund", want one of "flat", "steep", "round" (did you mean "round"?)`},
		{"", `game "line-shaped" parameter "shape": got "", want one of "flat", "steep", "round"`},
		{1.0, `game "line-shaped" parameter "shape": got 1 (float64), want one of "flat", "steep", "round"`},
	} {
		if _, err := env.Make("line-shaped", map[string]any{"shape": c.raw}, pop); err == nil || err.Error() != c.want {
			t.Errorf("shape = %#v: error %v, want %s", c.raw, err, c.want)
		}
	}
	// A string for a number parameter is still refused as before.
	if _, err := env.Make("line-shaped", map[string]any{"length": "flat"}, pop); err == nil || err.Error() != `game "line-shaped" parameter "length": got flat (string), want an integer in [3, 1000]` {
		t.Errorf("length = \"flat\": error %v", err)
	}
}

// TestRegisterRefusesBadEnum checks that Register panics on an Enum
// without values or with a default outside them, and on values given to
// another kind.
func TestRegisterRefusesBadEnum(t *testing.T) {
	for i, p := range []env.Param{
		{Name: "e", Kind: env.Enum},
		{Name: "e", Kind: env.Enum, Values: []string{"a", "b"}, Default: 2},
		{Name: "e", Kind: env.Enum, Values: []string{"a", "b"}, Default: -1},
		{Name: "e", Kind: env.Enum, Values: []string{"a", "b"}, Default: 0.5},
		{Name: "e", Kind: env.Int, Values: []string{"a"}, Max: 3},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: Register accepted %+v", i, p)
				}
			}()
			env.Register(fmt.Sprintf("bad-enum-%d", i), line.New, env.Doc{
				Types:  []env.TypeDoc{{Name: "walkers", Min: 1, Max: 4}},
				Params: []env.Param{p},
			})
		}()
	}
}

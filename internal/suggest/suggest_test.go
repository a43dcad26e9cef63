package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"episodes", "episodes", 0},
		{"epsiodes", "episodes", 1}, // swap
		{"seed", "sed", 1},
		{"kitten", "sitting", 3},
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"episodes", "populations", "seed", "parallel_envs"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"epsiodes", "episodes", true},
		{"populaton", "populations", true},
		{"sede", "seed", true},
		{"horizon", "", false},
		{"x", "", false},
	} {
		got, ok := Closest(tc.name, names)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

package chunk

import (
	"sync/atomic"
	"testing"
)

// TestDriver: Run runs every chunk exactly once at any number of workers,
// makes one worker state per worker, and SetWorkers clamps to 1 … Count;
// First makes worker 0 when there is none.
func TestDriver(t *testing.T) {
	for _, tc := range []struct{ set, want int }{{0, 1}, {1, 1}, {3, 3}, {Count + 5, Count}} {
		var made atomic.Int64
		var ran [Count]atomic.Int64
		d := NewDriver(func() int { return int(made.Add(1)) }, func(w, c int) { ran[c].Add(1) })
		d.SetWorkers(tc.set)
		if d.Workers != tc.want {
			t.Fatalf("SetWorkers(%d): %d workers, want %d", tc.set, d.Workers, tc.want)
		}
		for range 3 {
			d.Run()
		}
		d.Close()
		for c := range Count {
			if n := ran[c].Load(); n != 3 {
				t.Errorf("%d workers: chunk %d ran %d times in 3 runs", tc.want, c, n)
			}
		}
		if len(d.Work) != tc.want || made.Load() != int64(tc.want) {
			t.Errorf("%d workers: %d states, %d made", tc.want, len(d.Work), made.Load())
		}
	}
	d := NewDriver(func() string { return "w0" }, func(int, int) {})
	if got := d.First(); got != "w0" || len(d.Work) != 1 {
		t.Errorf("First = %q with %d states, want w0 and 1", got, len(d.Work))
	}
}

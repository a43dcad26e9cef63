package progress_test

import (
	"math"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/progress"
)

func TestETA(t *testing.T) {
	for _, tc := range []struct {
		elapsed     time.Duration
		done, total int64
		want        time.Duration
		ok          bool
	}{
		{10 * time.Second, 1, 4, 30 * time.Second, true},
		{12300 * time.Millisecond, 240, 1740, 76875 * time.Millisecond, true},
		{time.Minute, 1, 61, time.Hour, true},
		{time.Minute, 0, 10, 0, false},
		{time.Minute, 5, 0, 0, false},
		{time.Minute, 5, -1, 0, false},
		{time.Minute, 10, 10, 0, true},
		{time.Minute, 11, 10, 0, true},
		{1000 * time.Hour, 1, math.MaxInt64, time.Duration(math.MaxInt64), true},
	} {
		got, ok := progress.ETA(tc.elapsed, tc.done, tc.total)
		if ok != tc.ok || (got-tc.want).Abs() > time.Microsecond {
			t.Errorf("ETA(%v, %d, %d) = %v, %v; want %v, %v", tc.elapsed, tc.done, tc.total, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{500 * time.Millisecond, "1s"},
		{42 * time.Second, "42s"},
		{59499 * time.Millisecond, "59s"},
		{59500 * time.Millisecond, "1m00s"},
		{89 * time.Second, "1m29s"},
		{time.Hour - time.Second, "59m59s"},
		{time.Hour, "1h00m"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h05m"},
		{24 * time.Hour, "1d00h"},
		{79*time.Hour + 30*time.Minute, "3d07h"},
	} {
		if got := progress.FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		want string
	}{
		{0, "0.00"},
		{0.254, "0.25"},
		{9.99, "9.99"},
		{9.996, "10.0"},
		{12.46, "12.5"},
		{99.4, "99.4"},
		{99.5, "100"},
		{999.4, "999"},
		{3412.4, "3,412"},
		{999999.6, "1,000,000"},
		{1_250_000, "1,250,000"},
		{-1, "-"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	} {
		if got := progress.FormatRate(tc.r); got != tc.want {
			t.Errorf("FormatRate(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestRate(t *testing.T) {
	if got := progress.Rate(3412, 2*time.Second); got != 1706 {
		t.Errorf("Rate = %v, want 1706", got)
	}
	if got := progress.Rate(5, 0); got != 0 {
		t.Errorf("Rate over no time = %v, want 0", got)
	}
}

func TestLine(t *testing.T) {
	fields := []progress.Field{{"agents=3", "0.512"}, {"agents=6", "0.433"}, {"env-steps/s", "3,412"}}
	for _, tc := range []struct {
		elapsed     time.Duration
		done, total int64
		fields      []progress.Field
		want        string
	}{
		{12300 * time.Millisecond, 240, 1740, fields,
			"[  12.3s] episodes 240/1740 (13.8%)  agents=3 0.512  agents=6 0.433  env-steps/s 3,412  ETA 1m17s"},
		{0, 0, 1740, nil, "[   0.0s] episodes 0/1740 (0.0%)  ETA ?"},
		{3725 * time.Second, 1740, 1740, fields[:1], "[3725.0s] episodes 1740/1740 (100.0%)  agents=3 0.512  done"},
		{5 * time.Second, 17, 0, nil, "[   5.0s] episodes 17"},
	} {
		if got := progress.Line(tc.elapsed, tc.done, tc.total, "episodes", tc.fields); got != tc.want {
			t.Errorf("Line\n got %q\nwant %q", got, tc.want)
		}
	}
}

package progress_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mrasim/mrasim/internal/progress"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func f(name, value string) []progress.Field { return []progress.Field{{Name: name, Value: value}} }

func TestPlainThrottling(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := progress.New(&out, 100, "episodes", progress.WithClock(clk.now), progress.WithInterval(10*time.Second))

	clk.advance(time.Second)
	r.Set(1, f("agents=3", "0.100")) // first update: prints
	clk.advance(4 * time.Second)
	r.Set(5, f("agents=3", "0.200")) // 4 s after the last line: held
	clk.advance(5 * time.Second)
	r.Set(10, f("agents=3", "0.300")) // 9 s: held
	clk.advance(time.Second)
	r.Set(20, f("agents=3", "0.400")) // 10 s: prints
	clk.advance(3 * time.Second)
	r.Set(26, f("agents=3", "0.500")) // held, printed by Finish
	clk.advance(2 * time.Second)
	r.Finish()
	r.Set(99, nil) // after Finish: ignored
	r.Finish()

	want := "" +
		"[   1.0s] episodes 1/100 (1.0%)  agents=3 0.100  ETA 1m39s\n" +
		"[  11.0s] episodes 20/100 (20.0%)  agents=3 0.400  ETA 44s\n" +
		"[  16.0s] episodes 26/100 (26.0%)  agents=3 0.500  ETA 46s\n"
	if got := out.String(); got != want {
		t.Errorf("output\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlainFinalAlwaysPrints(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := progress.New(&out, 10, "episodes", progress.WithClock(clk.now), progress.WithTerminal(false))
	r.Set(2, nil)
	clk.advance(2 * time.Second)
	r.Set(10, nil) // reaching the total prints despite the interval
	clk.advance(time.Second)
	r.Set(10, nil) // already printed, interval not passed: held, and not new
	r.Finish()     // nothing new to print
	want := "" +
		"[   0.0s] episodes 2/10 (20.0%)  ETA 0s\n" +
		"[   2.0s] episodes 10/10 (100.0%)  done\n"
	if got := out.String(); got != want {
		t.Errorf("output\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlainFinishWithoutSet(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := progress.New(&out, 0, "matches", progress.WithClock(clk.now))
	clk.advance(1500 * time.Millisecond)
	r.Finish()
	if got, want := out.String(), "[   1.5s] matches 0\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestPlainFinishAfterPrintedState(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := progress.New(&out, 10, "episodes", progress.WithClock(clk.now))
	r.Set(3, nil)
	r.Finish() // nothing new since the last line
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines, want 1:\n%s", n, out.String())
	}
}

func TestFieldsAreCopied(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := progress.New(&out, 10, "episodes", progress.WithClock(clk.now))
	r.Set(1, nil)
	fields := f("agents=3", "0.1")
	r.Set(2, fields) // held
	fields[0].Value = "changed by the caller"
	r.Finish()
	if !strings.Contains(out.String(), "agents=3 0.1  ") {
		t.Errorf("the reporter kept the caller's slice:\n%s", out.String())
	}
}

func TestBarMode(t *testing.T) {
	var out bytes.Buffer
	r := progress.New(&out, 50, "episodes", progress.WithTerminal(true))
	r.Set(20, f("agents=3", "0.512"))
	r.Set(50, f("agents=3", "0.600"))
	r.Finish()
	s := out.String()
	for _, want := range []string{"50/50", "agents=3 0.600", "episodes/s", "100%"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar output lacks %q:\n%q", want, s)
		}
	}
	if strings.Contains(s, "[   ") {
		t.Errorf("bar mode printed plain lines:\n%q", s)
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("bar output does not end on a new line: %q", s)
	}
}

func TestBarStoppedEarly(t *testing.T) {
	var out bytes.Buffer
	r := progress.New(&out, 50, "episodes", progress.WithTerminal(true))
	r.Set(20, nil)
	r.Set(80, nil) // past the total: clamped, no panic
	r.Finish()
	if !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("output does not end on a new line: %q", out.String())
	}
}

func TestDetectsNonTerminal(t *testing.T) {
	// A regular file is not a terminal: plain lines.
	file, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r := progress.New(file, 4, "episodes")
	r.Set(1, nil)
	r.Finish()
	b, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "[") || !strings.Contains(string(b), "episodes 1/4 (25.0%)") {
		t.Errorf("file output %q is not a plain line", b)
	}
}

func TestConcurrentSet(t *testing.T) {
	// Run with -race: Set and Finish may be called from several goroutines.
	var out bytes.Buffer
	r := progress.New(&out, 1000, "episodes", progress.WithTerminal(false), progress.WithInterval(0))
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 250 {
				r.Set(int64(g*250+i), f("g", "x"))
			}
		}()
	}
	for range 4 {
		<-done
	}
	r.Finish()
	if n := strings.Count(out.String(), "\n"); n != 1000 {
		t.Errorf("%d lines with a zero interval, want one per update (1000)", n)
	}
}

// TestWorkETA: jobs of different sizes. Two small jobs of three finish in
// 67 s of an evaluation whose big third job makes it last 199 s: the ETA
// from the count of jobs (33 s) is far off, the ETA from the fraction of
// the work done (67/199 of it) is right.
func TestWorkETA(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := progress.New(&out, 3, "jobs", progress.WithClock(clk.now), progress.WithTerminal(false), progress.WithWorkETA())
	clk.advance(67 * time.Second)
	r.SetWork(67.0 / 199)
	r.Set(2, nil)
	line := strings.TrimSpace(out.String())
	if !strings.HasSuffix(line, "ETA 2m12s") {
		t.Errorf("line %q, want the ETA from the work done, 2m12s (132 s left of 199 s)", line)
	}
}

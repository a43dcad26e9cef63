// Package progress shows the progress of a long job, such as training or a
// league evaluation: a live progress bar when the output is a terminal, and
// plain, throttled log lines otherwise (a log file, CI, a pipe), so logs stay
// short and readable.
//
// A Reporter is told how many units are done and a few named values to show
// (returns per population, steps per second); it formats them, estimates the
// time left, and decides when to print. The formatting helpers ETA,
// FormatDuration and FormatRate are deterministic and usable on their own.
//
// The package is not a logger and not a metrics store: it keeps only the
// latest state, drops intermediate updates on purpose, and ignores write
// errors (progress output is best effort). Metrics to keep belong in the
// run's metrics.jsonl.
package progress

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// DefaultInterval is the least time between two plain log lines.
const DefaultInterval = 10 * time.Second

// Field is one named value shown after the count, such as
// Field{"agents=3", "0.512"} or Field{"env-steps/s", "3,412"}.
type Field struct {
	Name  string
	Value string
}

// Option configures a Reporter.
type Option func(*config)

type config struct {
	interval time.Duration
	now      func() time.Time
	terminal *bool
	workETA  bool
}

// WithInterval sets the least time between two plain log lines (default
// DefaultInterval). The first and the final line print regardless. It has no
// effect on the terminal bar.
func WithInterval(d time.Duration) Option { return func(c *config) { c.interval = d } }

// WithClock makes the Reporter read the time from now instead of time.Now,
// for tests of plain mode. The terminal bar keeps its own clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTerminal forces the terminal bar (true) or plain lines (false) instead
// of detecting whether the writer is a terminal, for example to honour a
// --no-progress-bar flag.
func WithTerminal(on bool) Option { return func(c *config) { c.terminal = &on } }

// Reporter reports the progress of a job of a known number of units. Its
// methods are safe for concurrent use.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	total    int64
	label    string
	interval time.Duration
	now      func() time.Time
	start    time.Time
	bar      *progressbar.ProgressBar // nil in plain mode

	done   int64
	fields []Field
	// work is the fraction of the job's work done, when the units differ
	// in size (SetWork); −1 when unknown, and the ETA follows the units.
	work    float64
	workETA bool      // WithWorkETA: the bar shows the ETA from the work, not its own
	last    time.Time // when the last plain line printed

	shownDone   int64   // the state of the last plain line
	shownFields []Field // (a held update equal to it is not pending)
	printed     bool    // a plain line has printed
	pending     bool    // the latest state has not printed
	finished    bool
}

// New returns a Reporter writing to w for a job of total units named label
// (e.g. "episodes"); total ≤ 0 means unknown. When w is an *os.File on a
// terminal (or WithTerminal(true) is given), it draws a progress bar with the
// count, the rate, the elapsed time and the time left, followed by the
// fields; otherwise it prints plain lines such as
//
//	[  12.3s] episodes 240/1740 (13.8%)  agents=3 0.512  env-steps/s 3,412  ETA 1m17s
//
// The clock starts when New returns.
func New(w io.Writer, total int64, label string, opts ...Option) *Reporter {
	c := config{interval: DefaultInterval, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	r := &Reporter{w: w, total: total, label: label, interval: c.interval, now: c.now, work: -1, workETA: c.workETA}
	r.start = r.now()
	isTerm := isTerminal(w)
	if c.terminal != nil {
		isTerm = *c.terminal
	}
	if isTerm {
		r.bar = newBar(w, total, label, !c.workETA)
	}
	return r
}

// WithWorkETA says the units differ in size: the time left is estimated
// from the fraction of the work done, which SetWork reports, rather than
// from the count of units (a bar then shows that estimate instead of its
// own).
func WithWorkETA() Option { return func(c *config) { c.workETA = true } }

// SetWork records that the fraction done ∈ [0, 1] of the job's work is
// finished, for the time left when units differ in size (WithWorkETA):
//
//	ETA = elapsed · (1 − done) / done.
//
// It prints nothing itself; the next Set does.
func (r *Reporter) SetWork(done float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.work = min(max(done, 0), 1)
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newBar(w io.Writer, total int64, label string, predict bool) *progressbar.ProgressBar {
	max := total
	if max <= 0 {
		max = -1 // a spinner
	}
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(label),
		progressbar.OptionSetPredictTime(predict),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// Set records that done units are finished and the fields to show, and
// prints when due: on a terminal the bar redraws (at most ten times a
// second); in plain mode a line prints on the first call, when done reaches
// the total, and otherwise when the interval has passed since the last line.
// fields is copied. Calls after Finish do nothing.
func (r *Reporter) Set(done int64, fields []Field) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	reached := r.total > 0 && done >= r.total && r.done < r.total
	r.done = done
	r.fields = append(r.fields[:0], fields...)
	if r.bar != nil {
		desc := joinFields(r.fields, " ")
		if r.workETA {
			desc = strings.TrimSpace(desc + "  " + workETA(r.now().Sub(r.start), r.work))
		}
		r.bar.Describe(desc)
		if r.total > 0 {
			done = min(done, r.total) // the bar refuses counts past its maximum
		}
		r.bar.Set64(max(done, 0))
		return
	}
	now := r.now()
	if !r.printed || reached || now.Sub(r.last) >= r.interval {
		r.print(now)
		return
	}
	r.pending = done != r.shownDone || !slices.Equal(r.fields, r.shownFields)
}

// Finish ends the report: in plain mode it prints the latest state if it has
// not printed yet; on a terminal it leaves the bar as it stands and moves to
// a new line. Later calls of Set and Finish do nothing.
func (r *Reporter) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	if r.bar != nil {
		if !r.bar.IsFinished() {
			r.bar.Exit() // prints the newline through OnCompletion
		}
		return
	}
	if r.pending || !r.printed {
		r.print(r.now())
	}
}

// print writes the plain line of the current state at time now.
func (r *Reporter) print(now time.Time) {
	line := Line(now.Sub(r.start), r.done, r.total, r.label, r.fields)
	if r.workETA && r.total > 0 && r.done < r.total {
		// Replace the count's ETA by the work's.
		if i := strings.LastIndex(line, "  ETA "); i >= 0 {
			line = line[:i] + "  " + workETA(now.Sub(r.start), r.work)
		}
	}
	fmt.Fprintln(r.w, line)
	r.last = now
	r.shownDone = r.done
	r.shownFields = append(r.shownFields[:0], r.fields...)
	r.printed = true
	r.pending = false
}

// Line formats the plain progress line of done of total units named label
// after elapsed, with the fields between the count and the time left:
//
//	[  12.3s] episodes 240/1740 (13.8%)  agents=3 0.512  ETA 1m17s
//
// The line ends in "ETA ?" before any unit is done and in "done" once done
// reaches total; with an unknown total (≤ 0) it shows the count alone and no
// ETA.
func Line(elapsed time.Duration, done, total int64, label string, fields []Field) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%6.1fs] %s ", elapsed.Seconds(), label)
	if total > 0 {
		fmt.Fprintf(&b, "%d/%d (%.1f%%)", done, total, 100*float64(done)/float64(total))
	} else {
		fmt.Fprintf(&b, "%d", done)
	}
	if len(fields) > 0 {
		b.WriteString("  ")
		b.WriteString(joinFields(fields, " "))
	}
	if total > 0 {
		switch eta, ok := ETA(elapsed, done, total); {
		case done >= total:
			b.WriteString("  done")
		case ok:
			b.WriteString("  ETA " + FormatDuration(eta))
		default:
			b.WriteString("  ETA ?")
		}
	}
	return b.String()
}

// joinFields formats fields as "name<sep>value", two spaces apart.
func joinFields(fields []Field, sep string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Name + sep + f.Value
	}
	return strings.Join(parts, "  ")
}

// workETA formats the time left when the fraction work of the work took
// elapsed: "ETA ?" before any work is done, when it is unknown (< 0), or
// in the first second (a job that finished at once says nothing yet).
func workETA(elapsed time.Duration, work float64) string {
	if !(work > 0) || elapsed < time.Second {
		return "ETA ?"
	}
	if work >= 1 {
		return "ETA 0s"
	}
	return "ETA " + FormatDuration(time.Duration(float64(elapsed)*(1-work)/work))
}

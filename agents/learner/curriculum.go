package learner

import (
	"fmt"
	"math"
	"sort"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// The size curriculum, after EPC (Long et al., "Evolutionary Population
// Curriculum for Scaling Multi-Agent Reinforcement Learning", ICLR 2020):
// training starts at the smallest training population and adds the next
// larger one whenever the return has stopped rising, keeping every
// population already added. It is the trainer's, not an algorithm's: any
// learner trains under it, and it decides only which populations a round
// plays.

// Curriculum modes (Curriculum.Mode).
const (
	// CurriculumNone plays every training population from the first
	// round (the default).
	CurriculumNone = "none"
	// CurriculumDoubling starts at the smallest training population and
	// adds the next larger one when the return has stopped rising.
	CurriculumDoubling = "doubling"
)

// CurriculumModes lists the accepted Curriculum.Mode values.
var CurriculumModes = []string{CurriculumNone, CurriculumDoubling}

// Defaults of the curriculum's keys.
const (
	DefaultCurriculumWindow    = 10
	DefaultCurriculumThreshold = 0.01
)

// Curriculum is a run's size curriculum (the [train] keys curriculum,
// curriculum_window and curriculum_threshold).
//
// Under CurriculumDoubling the training populations are ordered by their
// number of agents (ties in the scenario's order); the run starts with the
// first, and a stage is the rounds since the last population was added.
// After each round of a stage the trainer records r, the mean reward per
// agent and step of the stage's newest population in that round (the
// mean_step_reward a metrics line of one round shows: the return per
// agent divided by the episode's length). With W = Window, once the stage
// has L ≥ 2W rounds the return has stopped rising when the mean of its
// last W values is not more than Threshold × |the mean of the W values
// before them| above that mean:
//
//	mean(r[L−W:L]) − mean(r[L−2W:L−W]) ≤ Threshold · |mean(r[L−2W:L−W])|
//
// The next larger population is then added for the following round, and a
// new stage begins. The budget is counted in rounds, as without a
// curriculum: a population added later plays fewer episodes.
type Curriculum struct {
	Mode      string  // CurriculumNone ("" too) or CurriculumDoubling
	Window    int     // W, rounds of each mean (≥ 1)
	Threshold float64 // relative rise that counts as rising (≥ 0)
}

// On reports whether the curriculum changes anything.
func (c Curriculum) On() bool { return c.Mode == CurriculumDoubling }

// Check refuses a mode, window or threshold out of range, naming the key.
func (c Curriculum) Check() error {
	switch {
	case c.Mode != "" && c.Mode != CurriculumNone && c.Mode != CurriculumDoubling:
		return fmt.Errorf("learner: train.curriculum = %q, want %q or %q", c.Mode, CurriculumNone, CurriculumDoubling)
	case c.On() && (c.Window < 1 || c.Window > 1e6):
		return fmt.Errorf("learner: train.curriculum_window = %d, want an integer in [1, 1000000]", c.Window)
	case c.On() && !(c.Threshold >= 0 && c.Threshold <= 100):
		return fmt.Errorf("learner: train.curriculum_threshold = %v, want a number in [0, 100]", c.Threshold)
	}
	return nil
}

// CurriculumStep is one population's entry into a curriculum: the rounds
// played when it was added (0 for the first) and its label.
type CurriculumStep struct {
	Round      int
	Population string
}

// curriculum is a trainer's curriculum state.
type curriculum struct {
	cfg     Curriculum
	order   []int            // training population indices, smallest first
	active  []bool           // per training population: it plays
	added   []CurriculumStep // in order of addition
	history []float64        // the stage's returns r, at most the last 2W
}

// newCurriculum returns the curriculum over populations of the given
// sizes (numbers of agents); every population is active without one.
func newCurriculum(cfg Curriculum, sizes []int, labels []string) *curriculum {
	c := &curriculum{cfg: cfg, active: make([]bool, len(sizes))}
	c.order = make([]int, len(sizes))
	for i := range c.order {
		c.order[i] = i
	}
	sort.SliceStable(c.order, func(a, b int) bool { return sizes[c.order[a]] < sizes[c.order[b]] })
	if !cfg.On() {
		for i := range c.active {
			c.active[i] = true
		}
		return c
	}
	c.active[c.order[0]] = true
	c.added = []CurriculumStep{{0, labels[c.order[0]]}}
	return c
}

// newest returns the index of the population added last.
func (c *curriculum) newest() int { return c.order[len(c.added)-1] }

// count returns how many populations play.
func (c *curriculum) count() int {
	if !c.cfg.On() {
		return len(c.active)
	}
	return len(c.added)
}

// observe records the newest population's return r of the round just
// played (rounds played in all, that round included) and adds the next
// population when the return has stopped rising.
func (c *curriculum) observe(r float64, rounds int, labels []string) {
	if !c.cfg.On() || len(c.added) == len(c.order) {
		return
	}
	w := c.cfg.Window
	c.history = append(c.history, r)
	if len(c.history) > 2*w {
		c.history = append(c.history[:0], c.history[len(c.history)-2*w:]...)
	}
	if len(c.history) < 2*w || !stoppedRising(c.history, w, c.cfg.Threshold) {
		return
	}
	next := c.order[len(c.added)]
	c.active[next] = true
	c.added = append(c.added, CurriculumStep{rounds, labels[next]})
	c.history = c.history[:0]
}

// stoppedRising reports the curriculum's rule on h, the last 2w returns
// of a stage: the mean of the last w is not more than threshold × |the
// mean of the w before| above that mean.
func stoppedRising(h []float64, w int, threshold float64) bool {
	var before, recent float64
	for _, v := range h[:w] {
		before += v
	}
	for _, v := range h[w : 2*w] {
		recent += v
	}
	before /= float64(w)
	recent /= float64(w)
	return recent-before <= threshold*math.Abs(before)
}

// labels returns the labels of the active populations, in the order they
// were added.
func (c *curriculum) labels() []string {
	out := make([]string, len(c.added))
	for i, s := range c.added {
		out[i] = s.Population
	}
	return out
}

// save writes the curriculum's settings and state (only for a run with a
// curriculum, so that a run without one keeps its checkpoints).
func (c *curriculum) save(e *checkpoint.Encoder) {
	e.String(c.cfg.Mode)
	e.Int(c.cfg.Window)
	e.Float64(c.cfg.Threshold)
	e.Int(len(c.added))
	for _, s := range c.added {
		e.Int(s.Round)
	}
	e.Float64s(c.history)
}

// load reads what save wrote into a copy of c and returns it, refusing a
// state of other curriculum settings by name.
func (c *curriculum) load(d *checkpoint.Decoder, labels []string) (*curriculum, error) {
	mode, window, threshold := d.String(), d.Int(), d.Float64()
	if err := d.Err(); err != nil {
		return nil, err
	}
	switch {
	case mode != c.cfg.Mode:
		return nil, fmt.Errorf("learner: the checkpoint is of a run with train.curriculum %q, this scenario has %q", mode, c.cfg.Mode)
	case window != c.cfg.Window:
		return nil, fmt.Errorf("learner: the checkpoint is of a run with train.curriculum_window %d, this scenario has %d", window, c.cfg.Window)
	case threshold != c.cfg.Threshold:
		return nil, fmt.Errorf("learner: the checkpoint is of a run with train.curriculum_threshold %v, this scenario has %v", threshold, c.cfg.Threshold)
	}
	n := d.Int()
	if d.Err() == nil && (n < 1 || n > len(c.order)) {
		return nil, fmt.Errorf("learner: the checkpoint's curriculum has added %d populations, the run has %d", n, len(c.order))
	}
	out := &curriculum{cfg: c.cfg, order: c.order, active: make([]bool, len(c.active))}
	for j := range max(n, 0) {
		k := c.order[j]
		out.active[k] = true
		out.added = append(out.added, CurriculumStep{d.Int(), labels[k]})
	}
	out.history = d.Float64s()
	if err := d.Err(); err != nil {
		return nil, err
	}
	if len(out.history) > 2*c.cfg.Window {
		return nil, fmt.Errorf("learner: the checkpoint's curriculum holds %d returns, at most %d are kept", len(out.history), 2*c.cfg.Window)
	}
	return out, nil
}

package learner

import (
	"slices"
	"strings"
	"testing"
)

// TestCurriculumSchedule feeds the curriculum sequences of returns and
// checks the rounds at which each population is added, worked out by
// hand from the rule in Curriculum's documentation.
func TestCurriculumSchedule(t *testing.T) {
	labels := []string{"n=8", "n=2", "n=4"} // sizes 8, 2, 4: the order is 2, 4, 8
	sizes := []int{8, 2, 4}
	for _, tc := range []struct {
		name      string
		window    int
		threshold float64
		returns   []float64
		want      []CurriculumStep
	}{
		{
			// W = 2: rounds 1–4 compare mean(3, 4) = 3.5 with mean(1, 2) =
			// 1.5 (rising); round 5: 4 vs 2.5; round 6: 4 vs 3.5, a rise of
			// 0.5 > 0.1·3.5; round 7: 4 vs 4, stopped: n=4 joins after 7
			// rounds. Its stage starts afresh: rounds 8–11 hold 5, 5, 5, 5:
			// stopped after round 11.
			"rise then plateau", 2, 0.1,
			[]float64{1, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 9, 9},
			[]CurriculumStep{{0, "n=2"}, {7, "n=4"}, {11, "n=8"}},
		},
		{
			// A rise of 5% is below the 10% threshold: stopped at the first
			// comparison (round 4), and again 4 rounds later.
			"slow rise", 2, 0.1,
			[]float64{1, 1, 1.05, 1.05, 1.1, 1.1, 1.15, 1.15},
			[]CurriculumStep{{0, "n=2"}, {4, "n=4"}, {8, "n=8"}},
		},
		{
			// Negative returns: the threshold scales with |mean|. −2 → −1
			// rises by 1 > 0.1·2; −1 → −0.95 rises by 0.05 ≤ 0.1.
			"negative returns", 1, 0.1,
			[]float64{-2, -1, -0.95, -3},
			[]CurriculumStep{{0, "n=2"}, {3, "n=4"}},
		},
		{
			"never stops rising", 1, 0,
			[]float64{1, 2, 3, 4, 5},
			[]CurriculumStep{{0, "n=2"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCurriculum(Curriculum{Mode: CurriculumDoubling, Window: tc.window, Threshold: tc.threshold}, sizes, labels)
			for round, r := range tc.returns {
				c.observe(r, round+1, labels)
			}
			if !slices.Equal(c.added, tc.want) {
				t.Errorf("added %v, want %v", c.added, tc.want)
			}
			for k, l := range labels {
				if c.active[k] != slices.ContainsFunc(tc.want, func(s CurriculumStep) bool { return s.Population == l }) {
					t.Errorf("%s active = %v", l, c.active[k])
				}
			}
		})
	}
	if c := newCurriculum(Curriculum{Mode: CurriculumNone}, sizes, labels); c.count() != 3 || !c.active[0] || !c.active[1] || !c.active[2] {
		t.Errorf("without a curriculum: active %v", c.active)
	}
}

// TestCurriculumCheck refuses each key out of range, naming it.
func TestCurriculumCheck(t *testing.T) {
	for _, tc := range []struct {
		c    Curriculum
		want string
	}{
		{Curriculum{Mode: "linear"}, `train.curriculum = "linear"`},
		{Curriculum{Mode: CurriculumDoubling, Window: 0}, "train.curriculum_window = 0"},
		{Curriculum{Mode: CurriculumDoubling, Window: 2, Threshold: -1}, "train.curriculum_threshold = -1"},
	} {
		if err := tc.c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc.c, err, tc.want)
		}
	}
	for _, c := range []Curriculum{{}, {Mode: CurriculumNone}, {Mode: CurriculumDoubling, Window: 1, Threshold: 0}} {
		if err := c.Check(); err != nil {
			t.Errorf("%+v refused: %v", c, err)
		}
	}
}

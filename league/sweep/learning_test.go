package sweep_test

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league/sweep"
)

// curveReport is a report of scenario sc: mra at walkers=2 and 3 on seeds
// 5, 1 and 2, single at walkers=2 on the same seeds, budget 12 episodes.
func curveReport() *sweep.Report {
	r := &sweep.Report{Seeds: []uint64{5, 1, 2}, Algorithms: []string{"mra", "single"},
		Scenarios: []sweep.ScenarioSummary{{Name: "sc", Seen: []string{"walkers=2", "walkers=3"}}}}
	for _, a := range r.Algorithms {
		pops := []string{"walkers=2", "walkers=3"}
		if a == "single" {
			pops = pops[:1]
		}
		for _, s := range r.Seeds {
			r.Runs = append(r.Runs, sweep.RunSummary{Scenario: "sc", Algo: a, Seed: s, Populations: pops, Budget: 12})
		}
	}
	return r
}

// TestSetCurvesAligns: runs of one algorithm that logged different
// episodes are averaged on the episodes all of them logged, and the rest
// is named; an algorithm appears only at its training populations, points
// past a run's budget are left out, and one seed gives no interval.
func TestSetCurvesAligns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		logs  map[string]map[uint64]sweep.CurveLog // algo → seed → walkers=2 curve
		want  map[string][]int                     // "algo pop" → episodes
		notes []string
	}{
		{name: "aligned",
			logs: map[string]map[uint64]sweep.CurveLog{
				"mra":    {5: {[]int{4, 8, 12}, []float64{1, 2, 3}}, 1: {[]int{4, 8, 12}, []float64{3, 4, 5}}, 2: {[]int{4, 8, 12}, []float64{2, 3, 4}}},
				"single": {5: {[]int{6, 12}, []float64{1, 1}}, 1: {[]int{6, 12}, []float64{1, 1}}, 2: {[]int{6, 12}, []float64{1, 1}}},
			},
			want: map[string][]int{"mra walkers=2": {4, 8, 12}, "single walkers=2": {6, 12}, "mra walkers=3": {4, 8, 12}}},
		{name: "misaligned",
			// Seed 1 logged every 4 episodes, the others every 6 (and seed 2
			// past its budget): only 12 is common; 4, 6 and 8 are left out.
			logs: map[string]map[uint64]sweep.CurveLog{
				"mra":    {5: {[]int{6, 12}, []float64{1, 3}}, 1: {[]int{4, 8, 12}, []float64{3, 4, 5}}, 2: {[]int{6, 12, 18}, []float64{2, 4, 9}}},
				"single": {5: {[]int{6}, []float64{1}}, 1: {[]int{12}, []float64{1}}, 2: {[]int{6}, []float64{1}}},
			},
			want: map[string][]int{"mra walkers=2": {12}, "mra walkers=3": {4, 8, 12}},
			notes: []string{"sc/mra at walkers=2: its runs logged different episodes; the curve keeps the 1 every run logged (up to episode 12) and leaves out 3 logged by only some",
				"sc/single at walkers=2: its 3 runs share no logged episode, so it has no curve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curveReport()
			r.SetCurves(func(run sweep.RunSummary) (map[string]sweep.CurveLog, error) {
				out := map[string]sweep.CurveLog{"walkers=2": tc.logs[run.Algo][run.Seed]}
				if run.Algo == "mra" {
					out["walkers=3"] = sweep.CurveLog{Episodes: []int{4, 8, 12}, Values: []float64{0, 0, float64(run.Seed)}}
				}
				return out, nil
			})
			got := map[string][]int{}
			for _, p := range r.Curves {
				got[p.Algo+" "+p.Population] = append(got[p.Algo+" "+p.Population], p.Episode)
				if p.N != 3 || !reflect.DeepEqual(p.Seeds, []uint64{5, 1, 2}) {
					t.Errorf("point %+v: want the three seeds in the report's order", p)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("episodes %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(r.CurveNotes, tc.notes) {
				t.Errorf("notes %q, want %q", r.CurveNotes, tc.notes)
			}
			// The mra point at walkers=2, episode 12: by hand.
			for _, p := range r.Curves {
				if p.Algo == "mra" && p.Population == "walkers=2" && p.Episode == 12 {
					var vals []float64
					for _, seed := range []uint64{5, 1, 2} {
						l := tc.logs["mra"][seed]
						vals = append(vals, l.Values[slices.Index(l.Episodes, 12)])
					}
					mean := (vals[0] + vals[1] + vals[2]) / 3
					var ss float64
					for _, v := range vals {
						ss += (v - mean) * (v - mean)
					}
					ci := 4.302652729911275 * math.Sqrt(ss/2) / math.Sqrt(3) // t(0.975; 2)
					if !reflect.DeepEqual(p.Values, vals) || math.Abs(p.Mean-mean) > 1e-12 || math.Abs(p.CI95-ci) > 1e-9 {
						t.Errorf("point %+v: want values %v, mean %v, ci95 %v", p, vals, mean, ci)
					}
				}
			}
		})
	}
}

// TestSetCurvesLeavesOutFailedAndUnreadRuns: a failed run is not read, a
// run whose curves cannot be read is left out with a note, and a single
// seed's curve has no interval (an empty ci95 in curves.csv).
func TestSetCurvesLeavesOutFailedAndUnreadRuns(t *testing.T) {
	r := curveReport()
	for i := range r.Runs {
		switch {
		case r.Runs[i].Algo == "mra" && r.Runs[i].Seed == 5:
			r.Runs[i].Error = "train sc/mra/seed-5: boom"
		case r.Runs[i].Algo == "mra" && r.Runs[i].Seed == 2:
			r.Runs[i].Dir = "unreadable"
		}
	}
	var read []string
	r.SetCurves(func(run sweep.RunSummary) (map[string]sweep.CurveLog, error) {
		read = append(read, run.Algo+" "+run.Dir)
		if run.Dir == "unreadable" {
			return nil, errors.New("metrics.jsonl: no such file")
		}
		return map[string]sweep.CurveLog{"walkers=2": {Episodes: []int{12}, Values: []float64{float64(run.Seed)}}}, nil
	})
	if len(read) != 5 {
		t.Errorf("read %q: want every run but the failed one", read)
	}
	want := []string{"sc/mra/seed-2: no training curve: metrics.jsonl: no such file", "sc/mra/seed-1: no training curve logged at walkers=3"}
	if !reflect.DeepEqual(r.CurveNotes, want) {
		t.Errorf("notes %q, want %q", r.CurveNotes, want)
	}
	path := filepath.Join(t.TempDir(), "curves.csv")
	if err := r.WriteCurvesCSV(path); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(rows))
	for i, row := range rows {
		got[i] = strings.Join(row, ",")
	}
	// single: seeds 5, 1, 2 → mean 8/3, t(0.975; 2)·sd/√3 with sd = √(((5−8/3)² + (1−8/3)² + (2−8/3)²)/2).
	wantRows := []string{"scenario,population,algo,episode,n,mean,ci95,values", "sc,walkers=2,mra,12,1,1,,1", "sc,walkers=2,single,12,3,2.6666667,5.171145,5;1;2"}
	if !reflect.DeepEqual(got, wantRows) {
		t.Errorf("curves.csv\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}
	files, err := r.WriteCurveFigures(t.TempDir())
	if err != nil || len(files) != 1 || filepath.Base(files[0]) != "sc-curves-walkers_2.png" {
		t.Errorf("figures %v, %v", files, err)
	}
}

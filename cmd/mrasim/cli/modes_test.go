package cli

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/league/sweep"
)

// TestTrainLogsModeDiagnostics: an MRA run logs the classifier's accuracy
// and the prior's entropy per training population in metrics.jsonl (in
// [0, 1] and [0, ln K]) and its gradient and attention diagnostics
// (mode_diagnostics: the MI ones and head_tv only with K > 1), and draws
// them in a second and a third panel of curves.png; with one latent (the
// K = 1 control) the entropy is 0.
func TestTrainLogsModeDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		latents int
	}{{"K=3", 3}, {"K=1", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			scenario := filepath.Join(dir, "tiny.toml")
			os.WriteFile(scenario, []byte(tinyTrain+"latents = "+string(rune('0'+tc.latents))+"\n"), 0o644)
			run := filepath.Join(dir, "run")
			if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "12"); code != ExitOK {
				t.Fatalf("code %d\n%s", code, errOut)
			}
			ms := readMetrics(t, filepath.Join(run, runMetrics))
			last := ms[len(ms)-1]
			acc, ok := last["classifier_accuracy"].(float64)
			if !ok || acc < 0 || acc > 1 {
				t.Errorf("classifier_accuracy = %v, want a fraction", last["classifier_accuracy"])
			}
			ent, _ := last["prior_entropy"].(map[string]any)
			for _, pop := range []string{"walkers=2", "walkers=3"} {
				h, ok := ent[pop].(float64)
				if !ok || h < 0 || h > math.Log(float64(tc.latents))+1e-12 {
					t.Errorf("prior_entropy[%s] = %v, want within [0, ln %d]", pop, ent[pop], tc.latents)
				}
			}
			diag, _ := last["mode_diagnostics"].(map[string]any)
			for _, key := range []string{"actor_grad", "mi_grad_actor", "mi_grad_relation", "relation_grad", "relation_decay", "head_tv"} {
				v, ok := diag[key].(float64)
				if want := key == "actor_grad" || tc.latents > 1; ok != want || ok && !(v > 0) {
					t.Errorf("mode_diagnostics.%s = %v (present %v), want present %v and > 0", key, diag[key], ok, want)
				}
			}
			if tv, _ := diag["head_tv"].(float64); tv > 1 {
				t.Errorf("mode_diagnostics.head_tv = %v, want at most 1", tv)
			}
			f, err := os.Open(filepath.Join(run, runCurves))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cfg, err := png.DecodeConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Height != 1440 {
				t.Errorf("curves.png is %d pixels tall, want three panels (1440)", cfg.Height)
			}
		})
	}
}

// TestOneLatentEndToEnd: the K = 1 control trains, evaluates at a seen
// and an unseen size (one mode: nothing to adapt) and reports its single
// mode, whose spread is undefined: "n/a (one mode)" without the "same
// return" line, null in results.json, and no mode_spread for the sweep.
func TestOneLatentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "k1.toml")
	os.WriteFile(scenario, []byte(tinyTrain+"latents = 1\n[eval]\npopulations = [2, 5]\nepisodes = 4\nadapt_steps = 1\nadapt_episodes = 2\nbr_episodes = 8\nnashconv = \"off\"\n"), 0o644)
	run := filepath.Join(dir, "run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatalf("train: code %d\n%s", code, errOut)
	}
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--resume", "--episodes", "12"); code != ExitOK {
		t.Fatalf("resume: code %d\n%s", code, errOut)
	}
	out := filepath.Join(dir, "report")
	stdout, errOut, code := runCLI("eval", "--run", run, "--out", out, "--quiet")
	if code != ExitOK {
		t.Fatalf("eval: code %d\n%s", code, errOut)
	}
	if !strings.Contains(stdout, "walkers=5") || !strings.Contains(stdout, "modes: best − worst") {
		t.Errorf("eval output lacks the unseen size or the modes line:\n%s", stdout)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(string(md), "K = 1 modes") {
		t.Errorf("report.md lacks the mode diagnostics:\n%s", md)
	}
	if !strings.Contains(string(md), "best − worst n/a (one mode)") || strings.Contains(string(md), "same return") {
		t.Errorf("report.md gives one mode a spread:\n%s", md)
	}
	if !strings.Contains(stdout, "modes: best − worst n/a (one mode)") {
		t.Errorf("eval output gives one mode a spread:\n%s", stdout)
	}
	var rep struct {
		Results []struct {
			Name  string `json:"name"`
			Modes *struct {
				Prior []float64 `json:"prior"`
				Modes []struct {
					Mean float64 `json:"mean"`
				} `json:"modes"`
			} `json:"modes"`
		} `json:"results"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range rep.Results {
		if r.Name == "run" {
			found++
		}
		if r.Name == "run" && (r.Modes == nil || len(r.Modes.Modes) != 1 || len(r.Modes.Prior) != 1 || r.Modes.Prior[0] != 1) {
			t.Errorf("results.json modes of the K = 1 run: %+v, want one mode of prior 1", r.Modes)
		}
	}
	if found != 2 {
		t.Errorf("results.json holds the run at %d populations, want 2", found)
	}
	var full league.Report
	if err := json.Unmarshal(data, &full); err != nil {
		t.Fatal(err)
	}
	for _, r := range full.Results {
		if r.Entry == "run" && (r.Modes == nil || !math.IsNaN(r.Modes.Spread.Mean) || !math.IsNaN(r.Modes.Spread.CI95)) {
			t.Errorf("results.json spread of the K = 1 run at %s: %+v, want null (NaN)", r.Label, r.Modes)
		}
	}
	for _, o := range sweep.Outcomes(&full, "run", "k1", "mra", 1) {
		if v, ok := o.Values["mode_spread"]; ok {
			t.Errorf("the sweep's mode_spread of the K = 1 run at %s is %v, want absent", o.Population, v)
		}
	}
}

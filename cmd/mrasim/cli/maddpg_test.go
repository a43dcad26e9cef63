package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMADDPGEndToEnd trains a tiny MADDPG run of the line game from a
// scenario, resumes it to a larger budget and evaluates it in the league
// beside the random player, at a seen and an unseen size.
func TestMADDPGEndToEnd(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "tiny-maddpg.toml")
	src := strings.Replace(tinyTrain, "[algo]\n", "[algo]\nname = \"maddpg\"\ntau = 0.05\ngrad_clip = 0.5\n", 1) +
		"[eval]\npopulations = [2, 5]\nepisodes = 6\nbr_episodes = 0\n"
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "maddpg-run")
	if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "8"); code != ExitOK {
		t.Fatal(errOut)
	}
	stdout, errOut, code := runCLI("train", filepath.Join(run, "scenario.toml"), "--out", run, "--resume", "--quiet", "--episodes", "16")
	if code != ExitOK || !strings.Contains(stdout, "trained 16 episodes") {
		t.Fatalf("resume: code %d\n%s\n%s", code, stdout, errOut)
	}
	if n := len(readMetrics(t, filepath.Join(run, "metrics.jsonl"))); n != 4 {
		t.Errorf("%d metrics lines after 8 + 8 episodes logged every 4, want 4", n)
	}
	stdout, errOut, code = runCLI("eval", "--run", run, "--out", filepath.Join(dir, "report"), "--quiet")
	if code != ExitOK {
		t.Fatalf("eval: code %d\n%s", code, errOut)
	}
	// br_episodes = 0: the budget line says no best response is trained.
	for _, w := range []string{"walkers=2", "walkers=5", "maddpg-run", "maddpg", "random", "best responses: none trained."} {
		if !strings.Contains(stdout, w) {
			t.Errorf("eval output lacks %q:\n%s", w, stdout)
		}
	}
}

// TestMADDPGOldRecordResumes: the run.json of a maddpg run started when
// MADDPG shared MRA's settings type records MRA's keys beside MADDPG's,
// in the scenario's keys (as main wrote them before MADDPG got its own
// package) or in Go field names (older still). Such a run resumes and
// evaluates: the keys MADDPG does not read never changed what it trained.
// An edited key MADDPG reads is still refused.
func TestMADDPGOldRecordResumes(t *testing.T) {
	mraKeys := `"reward_scale": 30, "latents": 6, "resamples": 5, "variant": "official", "prior_temperature": 4, "baseline": false, "per_agent_critic_loss": false, "recompute_next_graph": false, "policy_sees_self": false, "critic_sees_self": false, "target_action_at_obs": true, "terminal_entropy": true, "classifier_cross_pairing": true, "double_clip_relation": true, "meta_lr": 0.1, "inner_cycles": 1`
	for _, tc := range []struct {
		name, algo, refused string
	}{
		{"scenario keys", `{"name": "maddpg", "gamma": 0.95, "pi_lr": 0.0003, "q_lr": 0.0003, "weight_decay": 0.0003, "batch_size": 32, "buffer_length": 2000, "steps_per_update": 20, "num_updates": 2, "grad_clip": 10, "tau": 0.01, "precision": "float64", ` + mraKeys + `}`, ""},
		{"Go field names", `{"Name": "maddpg", "Gamma": 0.95, "PolicyLR": 0.0003, "CriticLR": 0.0003, "WeightDecay": 0.0003, "BatchSize": 32, "BufferLength": 2000, "StepsPerUpdate": 20, "NumUpdates": 2, "RewardScale": 30, "Latents": 6, "Resamples": 5, "GradClip": 10, "Variant": "official", "PriorTemperature": 4, "MetaLR": 0.1, "InnerCycles": 1, "Tau": 0.01}`, ""},
		{"edited tau", `{"name": "maddpg", "gamma": 0.95, "pi_lr": 0.0003, "q_lr": 0.0003, "weight_decay": 0.0003, "batch_size": 32, "buffer_length": 2000, "steps_per_update": 20, "num_updates": 2, "grad_clip": 10, "tau": 0.02, "precision": "float64", ` + mraKeys + `}`, "algo.tau is 0.01 in scenario.toml, 0.02 in run.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			scenario := filepath.Join(dir, "tiny-maddpg.toml")
			src := strings.Replace(tinyTrain, "[algo]\n", "[algo]\nname = \"maddpg\"\n", 1) + "[eval]\npopulations = [2]\nepisodes = 2\nbr_episodes = 0\n"
			if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			run := filepath.Join(dir, "run")
			if _, errOut, code := runCLI("train", scenario, "--out", run, "--quiet", "--episodes", "4"); code != ExitOK {
				t.Fatal(errOut)
			}
			record := filepath.Join(run, runRecordFile)
			var r map[string]json.RawMessage
			data, err := os.ReadFile(record)
			if err == nil {
				err = json.Unmarshal(data, &r)
			}
			if err != nil {
				t.Fatal(err)
			}
			r["algo"] = json.RawMessage(tc.algo)
			data, _ = json.Marshal(r)
			if err := os.WriteFile(record, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := runCLI("train", filepath.Join(run, "scenario.toml"), "--out", run, "--resume", "--quiet", "--episodes", "8")
			if tc.refused != "" {
				if code == ExitOK || !strings.Contains(errOut, tc.refused) {
					t.Fatalf("resume: code %d, want a refusal saying %q:\n%s", code, tc.refused, errOut)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("resume: code %d\n%s", code, errOut)
			}
			if _, errOut, code := runCLI("eval", "--run", run, "--out", filepath.Join(dir, "report"), "--quiet"); code != ExitOK {
				t.Fatalf("eval: code %d\n%s", code, errOut)
			}
		})
	}
}

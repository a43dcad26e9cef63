package memest

import (
	"os"
	"strings"
	"testing"

	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/agents/replay"

	"github.com/mrasim/mrasim/env"
	_ "github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/mra"
)

func pop(t *testing.T, s string) env.Population {
	t.Helper()
	p, err := env.ParsePopulation(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainEstimateOfTheIssue: population 256 of resource with the default
// settings, the case that crashed with a 13.9 GB allocation. The gradient
// batch's entity rows alone are 2·B·N·E·D float64s, from the encoding.
func TestTrainEstimateOfTheIssue(t *testing.T) {
	p := pop(t, "agents=256")
	cfg := mra.DefaultConfig()
	setup := learner.Setup{Game: "resource", Populations: []env.Population{p}, Seed: 1, Episodes: 80000, ParallelEnvs: 12, LogEvery: 96}
	est, err := Train(cfg, setup)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := env.Make("resource", nil, p)
	enc, err := replay.NewEncoding(replay.GameFeatures(g.Spec()), g.Spec())
	if err != nil {
		t.Fatal(err)
	}
	ents := int64(2 * cfg.BatchSize * enc.N * enc.E * enc.D * 8)
	if est.Total < ents || ents < 10<<30 {
		t.Errorf("estimate %s, the batch's entity rows alone %s", Format(est.Total), Format(ents))
	}
	if err := Check(est, 8<<30, "this run"); err == nil || !strings.Contains(err.Error(), "this run needs about") || !strings.Contains(err.Error(), "more than the 8.0 GiB allowed") {
		t.Errorf("Check: %v", err)
	}
	t.Logf("N = 256: %s (largest %s %s)", Format(est.Total), est.Largest().What, Format(est.Largest().Bytes))
}

func TestEvalEstimateGrowsWithAdaptation(t *testing.T) {
	o := EvalOptions{Game: "resource", Populations: []env.Population{pop(t, "agents=64")}, Entries: 2, Latents: 6, Workers: 4}
	play, err := Eval(o)
	if err != nil {
		t.Fatal(err)
	}
	o.AdaptEpisodes = 12
	// Entries whose algorithms register no adaptation shape add nothing.
	if none, _ := Eval(o); none.Total != play.Total {
		t.Errorf("adaptation without an entry that adapts: %s, playing %s", Format(none.Total), Format(play.Total))
	}
	o.Adapt = mraAdapt
	adapt, _ := Eval(o)
	if adapt.Total <= play.Total || !strings.Contains(adapt.Largest().What, "adaptation") {
		t.Errorf("playing %s, adapting %s (%s)", Format(play.Total), Format(adapt.Total), adapt.Largest().What)
	}
	t.Logf("eval at N = 64 with adaptation: %s", Format(adapt.Total))
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"512", 512, ""}, {"8GiB", 8 << 30, ""}, {"8G", 8 << 30, ""}, {"512MB", 512 << 20, ""}, {"2.5 GiB", 5 << 29, ""},
		{"1k", 1024, ""}, {"", 0, "empty"}, {"lots", 0, "want a positive number"}, {"3 parsecs", 0, "unknown unit"}, {"-1G", 0, "positive"},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) = %d, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for b, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 13 << 30: "13.0 GiB"} {
		if got := Format(b); got != want {
			t.Errorf("Format(%d) = %q, want %q", b, got, want)
		}
	}
	if b, ok := parseMeminfo([]byte("MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n")); !ok || b != 8000000<<10 {
		t.Errorf("parseMeminfo = %d, %v", b, ok)
	}
	if _, ok := parseMeminfo([]byte("MemTotal: 1 kB\n")); ok {
		t.Error("parseMeminfo without MemAvailable says ok")
	}
}

func TestFitWorkers(t *testing.T) {
	o := EvalOptions{Game: "resource", Populations: []env.Population{pop(t, "agents=64"), pop(t, "agents=32")}, Entries: 2, Latents: 6, AdaptEpisodes: 12, Adapt: mraAdapt, Workers: 4}
	job, _, err := evalJob(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int64
		want  int
	}{
		{0, 4}, {Overhead + 4*job, 4}, {Overhead + 4*job - 1, 3}, {Overhead + 2*job, 2}, {Overhead + job, 1}, {Overhead + job - 1, 0},
	} {
		if got, _ := FitWorkers(o, tc.limit); got != tc.want {
			t.Errorf("limit %s: %d workers, want %d", Format(tc.limit), got, tc.want)
		}
	}
}

// TestAvailable: the available memory is the least of MemAvailable, the
// room under RLIMIT_AS and the room under every memory limit of the
// process's cgroups and their ancestors; unlimited or missing figures do
// not count.
func TestAvailable(t *testing.T) {
	const gib = int64(1) << 30
	meminfo := "MemTotal: 33554432 kB\nMemAvailable: 16777216 kB\n" // 16 GiB available
	v2 := "0::/user.slice/job\n"
	for _, tc := range []struct {
		name   string
		files  map[string]string
		as     uint64 // RLIMIT_AS; 0: unlimited
		want   int64
		source string
		ok     bool
	}{
		{"nothing readable", nil, 0, 0, "", false},
		{"meminfo only", map[string]string{"/proc/meminfo": meminfo}, 0, 16 * gib, SourceMemAvailable, true},
		{"ulimit -v", map[string]string{"/proc/meminfo": meminfo, "/proc/self/status": "Name: x\nVmSize:  1048576 kB\n"}, 4 << 30, 3 * gib, SourceRlimitAS, true},
		{"ulimit -v above the memory", map[string]string{"/proc/meminfo": meminfo}, 64 << 30, 16 * gib, SourceMemAvailable, true},
		{"v2 memory.max", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": v2,
			"/sys/fs/cgroup/user.slice/job/memory.max":     "6442450944\n", // 6 GiB
			"/sys/fs/cgroup/user.slice/job/memory.current": "2147483648\n", // 2 GiB used
			"/sys/fs/cgroup/user.slice/job/memory.stat":    "anon 1073741824\ninactive_file 1073741824\n",
		}, 0, 5 * gib, SourceCgroup, true},
		{"v2 max at the leaf, a limit above", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": v2,
			"/sys/fs/cgroup/user.slice/job/memory.max": "max\n",
			"/sys/fs/cgroup/user.slice/memory.max":     "2147483648\n",
		}, 0, 2 * gib, SourceCgroup, true},
		{"v2 in a namespace (root path)", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": "0::/\n",
			"/sys/fs/cgroup/memory.max": "6000000000\n",
		}, 0, 6000000000, SourceCgroup, true},
		{"v2 without limits", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": v2,
			"/sys/fs/cgroup/user.slice/job/memory.max": "max\n",
		}, 0, 16 * gib, SourceMemAvailable, true},
		{"v2 beside v1 (hybrid)", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": "4:memory:/\n0::/job\n",
			"/sys/fs/cgroup/unified/job/memory.max": "1073741824\n",
		}, 0, gib, SourceCgroup, true},
		{"v1 unlimited", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": "4:memory:/docker/abc\n",
			"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0, 16 * gib, SourceMemAvailable, true},
		{"v1 limit", map[string]string{
			"/proc/meminfo": meminfo, "/proc/self/cgroup": "5:cpu,memory:/docker/abc\n",
			"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "4294967296\n",
			"/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": "1073741824\n",
			"/sys/fs/cgroup/memory/docker/abc/memory.stat":           "inactive_file 5\ntotal_inactive_file 0\n",
		}, 0, 3 * gib, SourceCgroup, true},
		{"garbage", map[string]string{
			"/proc/meminfo": "MemAvailable: lots\n", "/proc/self/cgroup": "0::/x\n",
			"/sys/fs/cgroup/x/memory.max": "-5\n",
		}, 0, 0, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(name string) ([]byte, error) {
				if s, ok := tc.files[name]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			as := func() (uint64, bool) { return tc.as, tc.as != 0 }
			got, source, ok := available(read, as)
			if got != tc.want || ok != tc.ok || !strings.HasPrefix(source, tc.source) {
				t.Errorf("available = %s, %q, %v; want %s, %q, %v", Format(got), source, ok, Format(tc.want), tc.source, tc.ok)
			}
		})
	}
}

// mraAdapt is the adaptation shape MRA registers (mra's
// learner.Algorithm.AdaptMemory: 12 copies, 4 KiB per entity row).
var mraAdapt = learner.AdaptMemory{Copies: 12, BytesPerRow: 4 << 10}

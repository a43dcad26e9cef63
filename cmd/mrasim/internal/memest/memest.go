// Package memest estimates the memory a training run or an evaluation will
// need before anything large is allocated, so that a size the scenario check
// accepts but the machine cannot hold is refused with a clear message
// instead of ending in the Go runtime's "fatal error: out of memory".
//
// A training run's estimate is its algorithm's own (learner.Algorithm.
// Memory: each algorithm counts its big blocks from the shapes of the
// game's encoding, most through learner.ReplayMemory) plus a fixed
// allowance for small things (learner.MemoryOverhead); an algorithm that
// registers none gets an estimate that says so. An evaluation's estimate
// counts the traces of adaptation and best-response training and the game
// frames of its largest job. Both are upper-end estimates of the peak,
// not measurements. Package memest also reads the memory available to the
// process and formats and parses sizes.
package memest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/mrasim/mrasim/agents/learner"

	"golang.org/x/sys/unix"

	"github.com/mrasim/mrasim/env"
)

// Overhead is the allowance for the Go runtime, the networks, their
// optimiser state and bookkeeping (learner.MemoryOverhead).
const Overhead = learner.MemoryOverhead

// LatentChunkRows is the most entity rows an adaptation gradient takes at
// once (mra's latentChunkRows).
const LatentChunkRows = 1 << 15

// Item is one block of an estimate (the registry's type, so that an
// algorithm's own estimate is made of the same items).
type Item = learner.MemoryItem

// Estimate is the memory a command will need at its peak.
type Estimate struct {
	Items []Item // the largest blocks, by population
	Total int64  // their sum plus Overhead
	// None, when not empty, says that there is no estimate (the
	// algorithm offers none); Items and Total are then empty, and the
	// figure is not checked against a limit.
	None string
}

func (e *Estimate) add(what string, b int64) {
	e.Items = append(e.Items, Item{What: what, Bytes: b})
	e.Total += b
}

// Largest returns the largest item.
func (e Estimate) Largest() Item {
	var best Item
	for _, it := range e.Items {
		if it.Bytes > best.Bytes {
			best = it
		}
	}
	return best
}

// NoEstimate returns the message of an estimate an algorithm does not
// offer.
func NoEstimate(algo string) string { return "no estimate for algorithm " + algo }

// Train estimates the memory of a training run of settings s: the
// algorithm's registered Memory plus Overhead. An algorithm without one
// gets an Estimate whose None says so.
func Train(s learner.Settings, setup learner.Setup) (Estimate, error) {
	algo, err := learner.Lookup(s.Algorithm())
	if err != nil {
		return Estimate{}, err
	}
	if algo.Memory == nil {
		return Estimate{None: NoEstimate(algo.Name)}, nil
	}
	items, err := algo.Memory(s, setup)
	if err != nil {
		return Estimate{}, fmt.Errorf("memory estimate of %s: %w", algo.Name, err)
	}
	var est Estimate
	for _, it := range items {
		est.add(it.What, it.Bytes)
	}
	est.Total += Overhead
	return est, nil
}

// EvalOptions is what Eval needs to know of an evaluation.
type EvalOptions struct {
	Game          string
	Params        map[string]any
	Populations   []env.Population
	Entries       int // entries of the league, the random player included
	Latents       int // the largest latent count K of the entries
	AdaptEpisodes int // episodes per adaptation step (0: no adaptation)
	// Adapt is the largest adaptation shape of the entries
	// (learner.Algorithm.AdaptMemory; zero when none adapts).
	Adapt   learner.AdaptMemory
	BRBatch int // episodes of one best-response (PPO) batch; 0: no best responses
	Workers int // jobs at once
}

// Eval estimates the memory of an evaluation: the largest job (playing,
// adapting or training a best response at one population) times the jobs
// that run at once.
func Eval(o EvalOptions) (Estimate, error) {
	var est Estimate
	job, what, err := evalJob(o)
	if err != nil {
		return est, err
	}
	at := int64(atOnce(o, o.Workers))
	est.add(fmt.Sprintf("%s (×%d jobs at once)", what, at), mul(at, job))
	est.Total += Overhead
	return est, nil
}

// atOnce is how many jobs run at once with the given workers.
func atOnce(o EvalOptions, workers int) int {
	return max(1, min(workers, len(o.Populations)*max(o.Entries, 1)))
}

// FitWorkers returns the most jobs at once, at most o.Workers, whose
// estimate stays within limit (0: no limit), so that an evaluation too
// large to run its jobs side by side runs fewer of them at once instead of
// being refused (results do not depend on the number of workers). It
// returns 0 when even one job does not fit.
func FitWorkers(o EvalOptions, limit int64) (int, error) {
	job, _, err := evalJob(o)
	if err != nil {
		return 0, err
	}
	w := atOnce(o, o.Workers)
	if limit <= 0 {
		return w, nil
	}
	for w > 0 && mul(int64(w), job)+Overhead > limit {
		w--
	}
	return w, nil
}

// PlayCopies is the game copies an evaluation job is counted to step at
// once when it plays (the league's batch of 12 episodes).
const PlayCopies = 12

// evalJob is the memory of the largest job of an evaluation.
func evalJob(o EvalOptions) (int64, string, error) {
	k := int64(max(o.Latents, 1))
	var largest int64
	var what string
	for _, pop := range o.Populations {
		s, err := learner.ShapeOf(o.Game, o.Params, pop)
		if err != nil {
			return 0, "", err
		}
		copies := int64(max(PlayCopies, o.Adapt.Copies))
		play := mul(copies, 2*s.FrameBytes()) + s.ActingBytes(copies*s.N, k)
		job, kind := play, "playing"
		// A trace keeps every step of a batch of episodes: encoded rows,
		// latents, actions, rewards (×2 for the growth of its slices).
		trace := func(episodes int64) int64 {
			return 2 * mul(episodes*s.Horizon*s.N, s.D*8+s.E*s.D*8+s.E+k*8+8+1+8)
		}
		if o.AdaptEpisodes > 0 && o.Adapt.BytesPerRow > 0 {
			rows := min(int64(o.AdaptEpisodes)*s.Horizon*s.N*s.E, LatentChunkRows)
			if b := play + trace(int64(o.AdaptEpisodes)) + mul(rows, o.Adapt.BytesPerRow); b > job {
				job, kind = b, "adaptation"
			}
		}
		if o.BRBatch > 0 {
			if b := play + trace(int64(o.BRBatch)); b > job {
				job, kind = b, "best response"
			}
		}
		if job > largest {
			largest, what = job, pop.String()+": "+kind
		}
	}
	return largest, what, nil
}

// mul multiplies sizes, saturating instead of overflowing.
func mul(a, b int64) int64 { return learner.MulBytes(a, b) }

// Available returns the memory a new run of this process can use: the
// least of three figures, and which one it is.
//
//   - the machine's available memory, MemAvailable of /proc/meminfo (what
//     it can give without swapping);
//   - the address space left under RLIMIT_AS (`ulimit -v`): the limit less
//     this process's current size, VmSize of /proc/self/status;
//   - the room left under the memory limit of this process's cgroup and of
//     each of its ancestors: memory.max (cgroup v2; "max" is no limit) or
//     memory.limit_in_bytes (v1), less what the group uses now
//     (memory.current or memory.usage_in_bytes) but counting its inactive
//     file cache (memory.stat), which the kernel reclaims before it kills.
//
// A figure that cannot be read (no such file, an unlimited value) does not
// count. ok is false when none can be read.
func Available() (bytes int64, source string, ok bool) {
	return available(os.ReadFile, addressSpaceLimit)
}

// addressSpaceLimit returns RLIMIT_AS's soft limit; ok is false when there
// is none.
func addressSpaceLimit() (uint64, bool) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &r); err != nil || r.Cur == unix.RLIM_INFINITY {
		return 0, false
	}
	return r.Cur, true
}

// Sources of Available's figure.
const (
	SourceMemAvailable = "the available memory (MemAvailable)"
	SourceRlimitAS     = "the address space left under RLIMIT_AS (ulimit -v)"
	SourceCgroup       = "the room left under the cgroup's memory limit"
)

// available is Available reading files with read and RLIMIT_AS with
// asLimit.
func available(read func(string) ([]byte, error), asLimit func() (uint64, bool)) (bytes int64, source string, ok bool) {
	consider := func(b int64, src string) {
		if b < 0 {
			b = 0
		}
		if !ok || b < bytes {
			bytes, source, ok = b, src, true
		}
	}
	if data, err := read("/proc/meminfo"); err == nil {
		if b, found := parseMeminfo(data); found {
			consider(b, SourceMemAvailable)
		}
	}
	if lim, found := asLimit(); found {
		used := int64(0)
		if data, err := read("/proc/self/status"); err == nil {
			used, _ = parseKB(data, "VmSize:")
		}
		consider(clampInt64(lim)-used, SourceRlimitAS)
	}
	if data, err := read("/proc/self/cgroup"); err == nil {
		if b, found := cgroupRoom(read, data); found {
			consider(b, SourceCgroup+" ("+cgroupSource+")")
		}
	}
	return bytes, source, ok
}

// cgroupSource names the files cgroupRoom reads, for messages.
const cgroupSource = "memory.max or memory.limit_in_bytes under /sys/fs/cgroup"

// cgroupRoom returns the least room left under the memory limits of the
// cgroups that /proc/self/cgroup (data) names and their ancestors; found
// is false when no group has a limit.
func cgroupRoom(read func(string) ([]byte, error), data []byte) (room int64, found bool) {
	take := func(r int64) {
		if !found || r < room {
			room, found = r, true
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		var roots []string
		var v2 bool
		switch {
		case parts[0] == "0" && parts[1] == "":
			// v2: mounted at /sys/fs/cgroup, or at …/unified beside v1.
			roots, v2 = []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}, true
		case hasController(parts[1], "memory"):
			roots = []string{"/sys/fs/cgroup/memory"}
		default:
			continue
		}
		for _, root := range roots {
			for dir := parts[2]; ; dir = path.Dir(dir) {
				if r, ok := groupRoom(read, path.Join(root, dir), v2); ok {
					take(r)
				}
				if dir == "/" {
					break
				}
			}
		}
	}
	return room, found
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// unlimitedV1 is where cgroup v1 writes "no limit": a page-rounded
// LLONG_MAX. Anything from here up is no limit.
const unlimitedV1 = 1 << 62

// groupRoom returns the room left under the memory limit of the cgroup
// folder dir; ok is false when it has no limit or none can be read.
func groupRoom(read func(string) ([]byte, error), dir string, v2 bool) (room int64, ok bool) {
	limitFile, usageFile, inactiveKey := "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"
	if v2 {
		limitFile, usageFile, inactiveKey = "memory.max", "memory.current", "inactive_file"
	}
	data, err := read(path.Join(dir, limitFile))
	if err != nil {
		return 0, false
	}
	text := strings.TrimSpace(string(data))
	if text == "max" {
		return 0, false
	}
	limit, err := strconv.ParseInt(text, 10, 64)
	if err != nil || limit < 0 || limit >= unlimitedV1 {
		return 0, false
	}
	var usage, inactive int64
	if data, err := read(path.Join(dir, usageFile)); err == nil {
		usage, _ = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	}
	if data, err := read(path.Join(dir, "memory.stat")); err == nil {
		inactive = statValue(data, inactiveKey)
	}
	inactive = min(inactive, usage)
	return min(limit, max(0, limit-usage+inactive)), true
}

// statValue returns the value of key in a memory.stat file (0 if absent).
func statValue(data []byte, key string) int64 {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

func clampInt64(u uint64) int64 {
	if u > 1<<62 {
		return 1 << 62
	}
	return int64(u)
}

func parseMeminfo(data []byte) (int64, bool) {
	return parseKB(data, "MemAvailable:")
}

// parseKB returns the value, in bytes, of a "Key: N kB" line of a
// /proc file.
func parseKB(data []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == key {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb < 0 {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// Format writes a size in binary units: "512 B", "3.4 MiB", "13.9 GiB".
func Format(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTP"[exp])
}

// Parse reads a size such as "8GiB", "8G", "512MB", "2.5 GiB" or a plain
// number of bytes. Units are binary (K = 1024) whether or not written with
// an i.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size")
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	x, err := strconv.ParseFloat(t[:i], 64)
	if err != nil || x <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with an optional unit (B, KiB, MiB, GiB, TiB)", s)
	}
	unit := strings.ToUpper(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	sh, ok := shift[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit; want B, KiB, MiB, GiB or TiB", s)
	}
	v := x * float64(int64(1)<<sh)
	if v >= 1<<62 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// Check returns an error when est is above limit, naming the largest block
// and how to proceed.
func Check(est Estimate, limit int64, what string) error {
	if limit <= 0 || est.None != "" || est.Total <= limit {
		return nil
	}
	big := est.Largest()
	return fmt.Errorf("%s needs about %s of memory, more than the %s allowed (largest block: %s, %s); "+
		"use smaller populations, algo.batch_size, algo.buffer_length or train.parallel_envs, or raise --max-memory if the machine has the memory",
		what, Format(est.Total), Format(limit), big.What, Format(big.Bytes))
}

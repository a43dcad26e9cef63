package cli

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/mrasim/mrasim/internal/memest"
)

// maxMemoryUsage is the help text of --max-memory.
const maxMemoryUsage = "refuse to start when the estimated memory need is above `SIZE` (e.g. 8GiB, 512MiB;\ndefault: the available memory, the least of MemAvailable, the room under RLIMIT_AS (ulimit -v)\nand under the cgroup's memory.max; 0: no limit)"

// availableMemory is memest.Available; tests replace it.
var availableMemory = memest.Available

// memoryLimit turns the --max-memory flag into bytes (0: no limit) and
// says where the limit comes from.
func memoryLimit(flag string) (int64, string, error) {
	if flag == "" {
		if b, source, ok := availableMemory(); ok {
			return b, source, nil
		}
		return 0, "no limit: the available memory is unknown", nil
	}
	if flag == "0" {
		return 0, "no limit", nil
	}
	b, err := memest.Parse(flag)
	if err != nil {
		return 0, "", fmt.Errorf("--max-memory: %w", err)
	}
	return b, "--max-memory", nil
}

// checkMemory prints the estimate and returns an error when it is above
// the limit. Under the limit it also sets the Go runtime's soft memory
// limit to it, so the collector works harder before the limit is reached.
func checkMemory(w io.Writer, est memest.Estimate, limit int64, source, what string) error {
	if limit > 0 {
		fmt.Fprintf(w, "memory: about %s needed (limit %s, %s)\n", memest.Format(est.Total), memest.Format(limit), source)
	} else {
		fmt.Fprintf(w, "memory: about %s needed (%s)\n", memest.Format(est.Total), source)
	}
	if err := memest.Check(est, limit, what); err != nil {
		return err
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return nil
}

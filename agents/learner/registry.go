package learner

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Algorithm is what an algorithm registers: its name and how to build its
// learner for training (New) and its networks for play (Load). The shared
// machinery — trainer, checkpoints, resume, league, sweep, CLI — reaches an
// algorithm only through its Algorithm and the interfaces of this package.
type Algorithm struct {
	// Name is the key of scenario files ([algo] name), checkpoints and
	// reports.
	Name string
	// Summary is one line for listings.
	Summary string
	// New builds a fresh learner for settings s (whose Algorithm is Name)
	// from b. It may assume s passed Check.
	New func(s Settings, b Build) (Learner, error)
	// Load builds the networks of a learner of settings s from b and
	// restores them from state (a Learner.AppendState), to be played.
	Load func(s Settings, b Build, state []byte) (Trained, error)
	// DecodeJSON reads settings of this algorithm from their JSON form
	// (json.Marshal of the Settings), as run records and jobs sent to other
	// processes carry them; keys it does not find keep their defaults.
	DecodeJSON func(data []byte) (Settings, error)
	// Keys are the keys of a scenario's [algo] table the algorithm reads,
	// besides name; any other is refused as unknown.
	Keys []string
	// Decode returns the settings of a scenario's [algo] table: the
	// defaults, with every key the table sets read through k (which
	// reports problems). setup holds the game and the training
	// populations, for checks across tables.
	Decode func(k Keys, setup Setup) Settings
	// Memory, when not nil, estimates the large allocations of a training
	// run of settings s (whose Algorithm is Name) under setup, before any
	// is made, so that the CLI can refuse a run the machine cannot hold.
	// Without it the CLI says it has no estimate for the algorithm rather
	// than print a figure of another algorithm's shapes.
	Memory func(s Settings, setup Setup) ([]MemoryItem, error)
	// Cost, when not nil, is the algorithm's measured CPU cost of
	// training, from which mrasim validate estimates a run's time. Without
	// it the CLI gives no time estimate rather than another algorithm's.
	Cost *TrainCost
	// AdaptMemory, when not nil, is what adapting a trained entry to an
	// unseen population (Adapter) holds at once, for the evaluation's
	// memory estimate; nil for an algorithm that does not adapt.
	AdaptMemory *AdaptMemory
}

// AdaptMemory is the shape of an algorithm's adaptation for memory
// estimates: the game copies it plays at once and the bytes of its
// networks' activations and gradients per entity row of a batch.
type AdaptMemory struct {
	Copies      int
	BytesPerRow int64
}

// TrainCost is an algorithm's measured training cost in CPU seconds, in
// two parts: acting and stepping the games, per agent-step (one agent
// acting in one step of one episode), and the replay update cycles, per
// row of a gradient step (one agent of one sampled transition: update
// cycles × Schedule.GradientSteps × Schedule.BatchSize × agents; 0 for an
// on-policy learner, whose learning is in the cost of an agent-step).
// Measured tells where the figures come from (scenario, machine, date),
// for the documentation of the estimate.
type TrainCost struct {
	StepSeconds, RowSeconds float64
	Measured                string
}

// MemoryItem is one large allocation of a memory estimate: what it is and
// its bytes at the run's peak.
type MemoryItem struct {
	What  string
	Bytes int64
}

var registry = struct {
	sync.RWMutex
	algos map[string]Algorithm
	order []string // names in registration order
}{algos: map[string]Algorithm{}}

// Register makes an algorithm available by name to the trainer, the
// league and scenario files. Built-in algorithms register in their
// package's init (the command blank-imports them); a user's program
// registers its own before running the CLI. Register panics if the name
// is empty or taken or a constructor is missing: those are programming
// errors.
func Register(a Algorithm) {
	if a.Name == "" || a.New == nil || a.Load == nil || a.DecodeJSON == nil || a.Decode == nil {
		panic("learner: Register needs a name, New, Load, DecodeJSON and Decode")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, taken := registry.algos[a.Name]; taken {
		panic("learner: algorithm " + a.Name + " registered twice")
	}
	registry.algos[a.Name] = a
	registry.order = append(registry.order, a.Name)
}

// Registered returns the registered algorithms, sorted by name.
func Registered() []Algorithm {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Algorithm, 0, len(registry.algos))
	for _, a := range registry.algos {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the registered algorithms' names in registration order
// (the built-in ones first), as scenario errors list them.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	return append([]string(nil), registry.order...)
}

// AllKeys returns every key any registered algorithm reads from [algo],
// name first, then in registration order: the keys a grid's [algorithms.LABEL] table may
// set before its algorithm is known.
func AllKeys() []string {
	seen := map[string]bool{"name": true}
	out := []string{"name"}
	for _, name := range Names() {
		a, _ := Lookup(name)
		for _, k := range a.Keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Lookup returns the algorithm registered as name, or an error listing the
// registered ones.
func Lookup(name string) (Algorithm, error) {
	registry.RLock()
	a, ok := registry.algos[name]
	registry.RUnlock()
	if ok {
		return a, nil
	}
	var known []string
	for _, a := range Registered() {
		known = append(known, a.Name)
	}
	return Algorithm{}, fmt.Errorf("learner: unknown algorithm %q; registered: %s", name, strings.Join(known, ", "))
}

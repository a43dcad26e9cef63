package sweep

import (
	"encoding/json"
	"fmt"
)

// Job kinds, as a runner that dispatches serialised jobs names them.
const (
	KindTrain = "sweep.train"
	KindEval  = "sweep.eval"
)

// TrainJob trains one run into its folder. It depends on nothing but its
// fields: the handler builds everything from Source.
type TrainJob struct {
	Run    string `json:"run"`    // the run's name, scenario/algorithm/seed-S, for messages
	File   string `json:"file"`   // names Source in error messages
	Source []byte `json:"source"` // the run's scenario document (its seed included)
	// Dir is the run folder. A shipped job (sent to a worker) names
	// none: the worker trains in a folder of its own work folder.
	Dir string `json:"dir"`
	// StopAt, when > 0 and below the budget, stops this job after that
	// many episodes per population with a checkpoint, leaving the run
	// unfinished for a later job to resume (time slices; tests).
	StopAt  int `json:"stop_at,omitempty"`
	Workers int `json:"workers"` // goroutines stepping game copies; results do not depend on it
}

// TrainResult is what a TrainJob did.
type TrainResult struct {
	Run         string  `json:"run"`
	Episodes    int     `json:"episodes"` // episodes per training population played so far
	Budget      int     `json:"budget"`   // the run's episodes per training population
	Finished    bool    `json:"finished"` // the budget is spent
	Skipped     bool    `json:"skipped"`  // it was already finished: nothing was done
	Resumed     bool    `json:"resumed"`  // it continued from a checkpoint
	WallSeconds float64 `json:"wall_seconds"`
}

// EvalJob evaluates one run, or when RunDir is empty uniform random play
// or the game's scripted reference policy Reference, with the league, at
// the evaluation populations of Source's [eval] table.
type EvalJob struct {
	Scenario string `json:"scenario"`
	Algo     string `json:"algo"` // the algorithm's label (AlgoRandom for random play, the policy's name for a reference)
	Seed     uint64 `json:"seed"` // the run's training seed
	File     string `json:"file"`
	Source   []byte `json:"source"` // the scenario document whose [game] and [eval] to use
	// RunDir is the trained run; "" for random play. A shipped job says
	// "run" (its files travel with it) and Dir is empty: a worker makes
	// both folders in its own work folder.
	RunDir   string `json:"run_dir"`
	Dir      string `json:"dir"` // the folder of the evaluation's own report
	EvalSeed uint64 `json:"eval_seed"`
	Workers  int    `json:"workers"` // league jobs at once; results do not depend on it
	// Reference, when not empty, names the game's scripted policy
	// (env.ScriptedPolicies) this job evaluates instead of random play;
	// RunDir is then empty.
	Reference string `json:"reference,omitempty"`
}

// EvalResult is what an EvalJob measured.
type EvalResult struct {
	Outcomes    []Outcome `json:"outcomes"`
	Skipped     bool      `json:"skipped"` // an identical evaluation was already done
	WallSeconds float64   `json:"wall_seconds"`
}

// Handlers are the worker's side of a sweep: what trains and what evaluates
// one run. The command line provides them.
type Handlers struct {
	Train func(TrainJob) (TrainResult, error)
	Eval  func(EvalJob) (EvalResult, error)
}

// Handle runs one serialised job of the given kind and returns its
// serialised result: what a worker does with a job it receives.
func (h Handlers) Handle(kind string, payload []byte) ([]byte, error) {
	switch kind {
	case KindTrain:
		var j TrainJob
		if err := json.Unmarshal(payload, &j); err != nil {
			return nil, fmt.Errorf("sweep: %s job: %w", kind, err)
		}
		r, err := h.Train(j)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	case KindEval:
		var j EvalJob
		if err := json.Unmarshal(payload, &j); err != nil {
			return nil, fmt.Errorf("sweep: %s job: %w", kind, err)
		}
		r, err := h.Eval(j)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	}
	return nil, fmt.Errorf("sweep: unknown job kind %q", kind)
}

// call sends job through its serialised form to h, as a remote worker
// would receive it, and decodes the result into res.
func call(h Handlers, kind string, job, res any) error {
	payload, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("sweep: %s job: %w", kind, err)
	}
	out, err := h.Handle(kind, payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, res); err != nil {
		return fmt.Errorf("sweep: %s result: %w", kind, err)
	}
	return nil
}

package league

// The glue between the league's own jobs (Job, JobResult in league.go) and the
// serialisable jobs of package league/jobs. It is kept in this file so that a change
// to the league's jobs touches league.go's job list and outputs and, here,
// only handleEval's call of runJob:
//
//   - A league is a plan: its Options (the fields that are not funcs, as
//     JSON by field name) and its entries (built-in players by name, runs
//     as their config and setup with the networks of their checkpoint state
//     (learner.ModelState) referenced by SHA-256). The plan is one blob; each run's state is another, so a run
//     shared by several leagues travels once.
//   - League job i is the jobs.Job payload {plan sum, i}: a worker decodes the
//     plan once per process (plans below), lists the jobs again with
//     schedule and runs job i with runJob, exactly as jobs.Local does in the
//     submitting process (where the plan is handed over as an in-process
//     value and never decoded). Each job carries its seed, so results are
//     the same wherever a job runs.
//   - A job's output (JobResult) crosses as gob (encodeOut), which keeps
//     NaN, ±Inf and every float64 bit (JSON cannot carry NaN); jobs.Local goes
//     through the same bytes.
//   - Adaptations that several jobs need are recomputed by each process
//     from their own seed (choiceSeed) and cached per plan (plan.choices),
//     so a worker gets the same adaptation as the submitter.
//
// league.go's side is two calls in Play: schedule (the job list, which
// depends on nothing but entries and opts) and runJobs (below).

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mrasim/mrasim/agents/learner"
	"reflect"
	"sort"
	"sync"

	"github.com/mrasim/mrasim/league/jobs"
)

// KindEval is the job kind of a league's evaluation, adaptation and
// best-response jobs.
const KindEval = "league.eval"

// planVersion is the layout version of plans and payloads of KindEval.
const planVersion = 1

func init() { jobs.Register(KindEval, handleEval) }

// submitterOnly lists Options fields that are funcs which do not change
// results and stay with the submitter; any other func field set makes a
// plan non-portable.
var submitterOnly = map[string]bool{"Progress": true, "ProgressWork": true}

type planWire struct {
	Version     int                        `json:"version"`
	Options     map[string]json.RawMessage `json:"options"`
	Entries     []entryWire                `json:"entries"`
	NotPortable string                     `json:"not_portable,omitempty"` // why only this process can run the plan
}

type entryWire struct {
	Kind     string          `json:"kind"` // "random", "reference" (Label: the script) or "run"
	Label    string          `json:"label,omitempty"`
	Algo     string          `json:"algo,omitempty"`     // the run's registered algorithm
	Settings json.RawMessage `json:"settings,omitempty"` // its settings (learner.Algorithm.DecodeJSON reads them)
	Setup    *learner.Setup  `json:"setup,omitempty"`
	State    string          `json:"state,omitempty"` // SHA-256 of the run's networks (learner.ModelState)
}

type evalPayload struct {
	Version int    `json:"version"`
	Plan    string `json:"plan"`
	Index   int    `json:"index"`
}

// plan is a decoded (or in-process) league: what runs its jobs.
type plan struct {
	entries  []Entry
	s        *scheduled   // the jobs, and the options with defaults filled in
	choices  *choiceCache // the adaptations this process computed for the plan's jobs
	finished func(i int)  // in the submitting process: job i has run (for the work done); nil elsewhere
}

func jobID(i int) string { return fmt.Sprintf("league-%d", i) }

// runJobs runs a league's jobs through s.opts.Runner and returns their
// outputs in job order, or the failures.
func runJobs(entries []Entry, s *scheduled) ([]JobResult, error) {
	opts := s.opts
	planBlob, blobs, err := encodePlan(entries, opts)
	if err != nil {
		return nil, err
	}
	sum := jobs.BlobSum(planBlob)
	blobs[sum] = planBlob
	pl := &plan{entries: entries, s: s, choices: newChoiceCache()}
	if opts.ProgressWork != nil {
		costs := make([]float64, len(s.jobs))
		var total, done float64
		for i, j := range s.jobs {
			costs[i] = jobCost(s, j)
			total += costs[i]
		}
		var mu sync.Mutex
		pl.finished = func(i int) {
			mu.Lock()
			defer mu.Unlock()
			done += costs[i]
			opts.ProgressWork(done / total)
		}
	}
	b := jobs.Batch{Blobs: blobs, Local: map[string]any{sum: pl}}
	for i := range s.jobs {
		payload, _ := json.Marshal(evalPayload{Version: planVersion, Plan: sum, Index: i})
		b.Jobs = append(b.Jobs, jobs.Job{ID: jobID(i), Kind: KindEval, Payload: payload})
	}
	runner := opts.Runner
	if runner == nil {
		runner = jobs.Local{}
	}
	var progress func(jobs.Progress)
	if opts.Progress != nil {
		progress = func(p jobs.Progress) { opts.Progress(p.Done, p.Total) }
	}
	results, err := runner.Run(context.Background(), b, progress)
	if err != nil {
		return nil, fmt.Errorf("league: %w", err)
	}
	out := make([]JobResult, len(s.jobs))
	for i := range out {
		data, ok := results[jobID(i)]
		if !ok {
			return nil, fmt.Errorf("league: the runner returned no result for job %s", jobID(i))
		}
		if out[i], err = decodeOut(data); err != nil {
			return nil, fmt.Errorf("league: job %s: %w", jobID(i), err)
		}
	}
	return out, nil
}

// handleEval is the Handler of KindEval.
func handleEval(ctx context.Context, env jobs.Env, payload []byte) ([]byte, error) {
	var p evalPayload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, jobs.Refusef("%s payload: %v", KindEval, err)
	}
	if p.Version != planVersion {
		return nil, jobs.Refusef("%s payload version %d, this worker reads version %d", KindEval, p.Version, planVersion)
	}
	var pl *plan
	if v, ok := env.Local(p.Plan); ok {
		pl = v.(*plan)
	} else {
		var err error
		if pl, err = plans.get(ctx, env, p.Plan); err != nil {
			return nil, err
		}
	}
	if p.Index < 0 || p.Index >= len(pl.s.jobs) {
		return nil, jobs.Refusef("job index %d, the plan has %d jobs", p.Index, len(pl.s.jobs))
	}
	o := runJob(pl.s.reg, pl.entries, pl.s.specs, pl.s.exact, pl.s.opts, pl.s.jobs[p.Index], pl.choices)
	if pl.finished != nil {
		pl.finished(p.Index)
	}
	if o.Err != "" {
		return nil, errors.New(o.Err)
	}
	return encodeOut(o)
}

// encodePlan encodes a league's plan and returns it with the blobs it
// refers to (the runs' states).
func encodePlan(entries []Entry, opts Options) ([]byte, map[string][]byte, error) {
	w := planWire{Version: planVersion, Options: map[string]json.RawMessage{}}
	blobs := map[string][]byte{}
	notPortable := func(why string) {
		if w.NotPortable == "" {
			w.NotPortable = why
		}
	}
	v := reflect.ValueOf(opts)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		switch f.Type.Kind() {
		case reflect.Func:
			if !v.Field(i).IsNil() && !submitterOnly[f.Name] {
				notPortable("Options." + f.Name + " is a func, which cannot be sent")
			}
			continue
		case reflect.Interface:
			continue // the Runner
		}
		raw, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return nil, nil, fmt.Errorf("league: option %s cannot be encoded: %w", f.Name, err)
		}
		w.Options[f.Name] = raw
	}
	for _, e := range entries {
		switch e := e.(type) {
		case Random:
			w.Entries = append(w.Entries, entryWire{Kind: "random"})
		case Reference:
			if e.Game != opts.Game {
				notPortable(fmt.Sprintf("reference %q plays game %s, the league %s", e.Script, e.Game, opts.Game))
			}
			w.Entries = append(w.Entries, entryWire{Kind: "reference", Label: e.Script})
		case *Run:
			// Only the networks travel (learner.ModelState), not the replay
			// buffers that make a checkpoint tens of MB.
			state, err := learner.ModelState(e.State)
			if err != nil {
				return nil, nil, fmt.Errorf("league: run %s: %w", e.Label, err)
			}
			sum := jobs.BlobSum(state)
			blobs[sum] = state
			settings, err := json.Marshal(e.Settings)
			if err != nil {
				return nil, nil, fmt.Errorf("league: run %s: settings: %w", e.Label, err)
			}
			setup := e.Setup
			w.Entries = append(w.Entries, entryWire{Kind: "run", Label: e.Label, Algo: e.Settings.Algorithm(), Settings: settings, Setup: &setup, State: sum})
		default:
			notPortable(fmt.Sprintf("entry %q is a %T, which cannot be sent", e.Name(), e))
			w.Entries = append(w.Entries, entryWire{Kind: "opaque", Label: e.Name()})
		}
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, nil, fmt.Errorf("league: encoding the plan: %w", err)
	}
	return data, blobs, nil
}

// decodePlan decodes and validates a plan blob: everything a worker must
// refuse (an unknown version or option, a non-portable plan, a game,
// population or checkpoint that does not load) is refused here, before
// any job runs.
func decodePlan(ctx context.Context, env jobs.Env, data []byte) (*plan, error) {
	var w planWire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, jobs.Refusef("plan: %v", err)
	}
	if w.Version != planVersion {
		return nil, jobs.Refusef("plan version %d, this worker reads version %d", w.Version, planVersion)
	}
	if w.NotPortable != "" {
		return nil, jobs.Refusef("the plan runs only in the submitting process: %s", w.NotPortable)
	}
	pl := &plan{choices: newChoiceCache()}
	var opts Options
	ov := reflect.ValueOf(&opts).Elem()
	names := make([]string, 0, len(w.Options))
	for name := range w.Options {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := ov.Type().FieldByName(name)
		if !ok || f.Type.Kind() == reflect.Func || f.Type.Kind() == reflect.Interface {
			return nil, jobs.Refusef("plan: unknown option %q (the submitter is newer than this worker?)", name)
		}
		od := json.NewDecoder(bytes.NewReader(w.Options[name]))
		od.DisallowUnknownFields()
		if err := od.Decode(ov.FieldByIndex(f.Index).Addr().Interface()); err != nil {
			return nil, jobs.Refusef("plan: option %s: %v", name, err)
		}
	}
	for i, e := range w.Entries {
		switch e.Kind {
		case "random":
			pl.entries = append(pl.entries, Random{})
		case "reference":
			pl.entries = append(pl.entries, Reference{Game: opts.Game, Params: opts.Params, Script: e.Label})
		case "run":
			if e.Settings == nil || e.Setup == nil {
				return nil, jobs.Refusef("plan: entry %d (%s) lacks its settings or setup", i, e.Label)
			}
			algo, err := learner.Lookup(e.Algo)
			if err != nil {
				return nil, jobs.Refusef("plan: entry %d (%s): %v", i, e.Label, err)
			}
			settings, err := algo.DecodeJSON(e.Settings)
			if err != nil {
				return nil, jobs.Refusef("plan: entry %d (%s): %v", i, e.Label, err)
			}
			state, err := env.Blob(ctx, e.State)
			if err != nil {
				return nil, fmt.Errorf("plan: entry %s: %w", e.Label, err)
			}
			run := &Run{Label: e.Label, Settings: settings, Setup: *e.Setup, State: state}
			m, err := run.Load()
			if err != nil {
				return nil, jobs.Refusef("plan: %v", err)
			}
			m.Close()
			pl.entries = append(pl.entries, run)
		default:
			return nil, jobs.Refusef("plan: entry %d has kind %q; want random, reference or run", i, e.Kind)
		}
	}
	s, err := schedule(pl.entries, opts)
	if err != nil {
		return nil, jobs.Refusef("plan does not validate: %v", err)
	}
	pl.s = s
	return pl, nil
}

// planCache keeps the plans a worker process decoded, so that its jobs of
// one league decode the plan and load the checkpoints once.
type planCache struct {
	mu sync.Mutex
	m  map[string]*planSlot
}

type planSlot struct {
	ready chan struct{}
	p     *plan
	err   error
}

// maxPlans bounds the plans a worker keeps (a few leagues at once).
const maxPlans = 8

var plans = planCache{m: map[string]*planSlot{}}

func (c *planCache) get(ctx context.Context, env jobs.Env, sum string) (*plan, error) {
	c.mu.Lock()
	slot, ok := c.m[sum]
	if !ok {
		if len(c.m) >= maxPlans {
			for k, s := range c.m {
				select {
				case <-s.ready:
					delete(c.m, k)
				default:
				}
				if len(c.m) < maxPlans {
					break
				}
			}
		}
		slot = &planSlot{ready: make(chan struct{})}
		c.m[sum] = slot
		c.mu.Unlock()
		data, err := env.Blob(ctx, sum)
		if err == nil {
			slot.p, err = decodePlan(ctx, env, data)
		}
		slot.err = err
		close(slot.ready)
		if err != nil && !errors.Is(err, jobs.ErrRefused) {
			c.mu.Lock()
			delete(c.m, sum) // a passing failure (the network): the next job tries again
			c.mu.Unlock()
		}
		return slot.p, slot.err
	}
	c.mu.Unlock()
	select {
	case <-slot.ready:
		return slot.p, slot.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// encodeOut encodes a job's output as gob, which keeps NaN, ±Inf and every
// float64 bit.
func encodeOut(o JobResult) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(o); err != nil {
		return nil, fmt.Errorf("league: encoding a job output: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeOut(data []byte) (JobResult, error) {
	var o JobResult
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&o); err != nil {
		return JobResult{}, fmt.Errorf("decoding a job output: %w", err)
	}
	return o, nil
}

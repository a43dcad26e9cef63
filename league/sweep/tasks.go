package sweep

// A sweep's jobs in serialised form (jobs.Job of kinds KindTrain and
// KindEval), so that any jobs.Runner runs them: Local in this process,
// or workers on other machines (league/natsrun, mrasim worker).
//
// In this process (Options.Ship false) a job runs in place, on the run
// folders of the plan, with the Handlers of Options. Sent away
// (Options.Ship true) the worker may not share the submitter's file
// system, so folders travel through the runner's blobs: a job carries the
// files of the folders it reads (relative path → SHA-256, content in
// Batch.Blobs), the worker writes them into a temporary folder, runs its
// handler there, stores the files of the folder it wrote with jobs.Env.Put
// and names them in its result; the submitter reads them back
// (jobs.BlobRunner), verifies their sums and writes them into the run
// folders of the plan. Results are the same either way: every job depends
// on nothing but its payload.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/league/jobs"
)

func init() {
	jobs.Register(KindTrain, func(ctx context.Context, env jobs.Env, payload []byte) ([]byte, error) {
		return handleJob(ctx, env, KindTrain, payload)
	})
	jobs.Register(KindEval, func(ctx context.Context, env jobs.Env, payload []byte) ([]byte, error) {
		return handleJob(ctx, env, KindEval, payload)
	})
}

var (
	workerMu       sync.RWMutex
	workerHandlers func(ctx context.Context) Handlers
)

// SetWorkerHandlers sets the handlers that run sweep jobs arriving at a
// worker of this process (jobs sent by another process, which cannot hand
// over its own Handlers), given each job's context. The command line sets
// them in its init, so that `mrasim worker` runs sweep jobs.
func SetWorkerHandlers(h func(ctx context.Context) Handlers) {
	workerMu.Lock()
	defer workerMu.Unlock()
	workerHandlers = h
}

// localKey names the submitter's in-process values in Batch.Local.
const localKey = "sweep.local"

// local is what the submitting process hands its own jobs.
type local struct {
	h       Handlers
	stopped func() bool
	skipped atomic.Int64 // jobs not run because the sweep was stopped: progress does not count them as done
}

// payloadVersion is the layout version of jobPayload and jobResult:
// version 2 added EvalJob.Reference. A worker reads versions 1 and 2 (a
// version 1 job never names a reference); a worker that reads only
// version 1 refuses version 2 jobs rather than evaluating random play
// where a reference was asked.
const payloadVersion = 2

// jobPayload is a sweep job as it crosses machines.
type jobPayload struct {
	Version int             `json:"version"`
	Job     json.RawMessage `json:"job"` // a TrainJob or an EvalJob
	// Ship says the worker may not share the submitter's file system: the
	// folders below travel as blobs and the job's output folder comes back
	// as blobs (jobResult.Files).
	Ship bool `json:"ship,omitempty"`
	// RunFiles are the run folder's files (relative path → SHA-256): for
	// training, the folder to continue or skip; for evaluation, the
	// trained run (without its eval folder).
	RunFiles map[string]string `json:"run_files,omitempty"`
	// DirFiles are the evaluation folder's files (an earlier evaluation
	// the handler may reuse).
	DirFiles map[string]string `json:"dir_files,omitempty"`
}

// jobResult is a sweep job's answer.
type jobResult struct {
	Stopped bool            `json:"stopped,omitempty"` // skipped: the sweep was stopped before it started
	Result  json.RawMessage `json:"result,omitempty"`  // a TrainResult or an EvalResult
	// Files is, when shipped, the folder the job wrote (training: the run
	// folder; evaluation: the evaluation folder), relative path → SHA-256
	// of content stored with jobs.Env.Put.
	Files map[string]string `json:"files,omitempty"`
}

// handleJob is the jobs.Handler of KindTrain and KindEval.
func handleJob(ctx context.Context, env jobs.Env, kind string, payload []byte) ([]byte, error) {
	var p jobPayload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, jobs.Refusef("%s payload: %v", kind, err)
	}
	if p.Version != payloadVersion && p.Version != 1 {
		return nil, jobs.Refusef("%s payload version %d, this worker reads versions 1 and %d", kind, p.Version, payloadVersion)
	}
	var h Handlers
	if v, ok := env.Local(localKey); ok {
		l := v.(*local)
		if l.stopped != nil && l.stopped() {
			l.skipped.Add(1)
			return json.Marshal(jobResult{Stopped: true})
		}
		h = l.h
	} else {
		workerMu.RLock()
		wh := workerHandlers
		workerMu.RUnlock()
		if wh == nil {
			return nil, jobs.Refusef("this worker has no sweep handlers (the mrasim command sets them)")
		}
		h = wh(ctx)
		// A job from another process: the worker writes only under its
		// own work folder, never where a payload says.
		if !p.Ship {
			return nil, jobs.Refusef("%s job: it does not ship its folders, so it names folders of the submitter's machine; a worker runs only jobs whose folders travel with them (sweep --nats sends such jobs)", kind)
		}
	}
	if !p.Ship {
		out, err := h.Handle(kind, p.Job)
		if err != nil {
			return nil, err
		}
		return json.Marshal(jobResult{Result: out})
	}

	tmp, err := os.MkdirTemp("", "mrasim-sweep-")
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer os.RemoveAll(tmp)
	runDir, evalDir := filepath.Join(tmp, "run"), filepath.Join(tmp, "eval")
	if err := unpack(ctx, env, p.RunFiles, runDir); err != nil {
		return nil, err
	}
	if err := unpack(ctx, env, p.DirFiles, evalDir); err != nil {
		return nil, err
	}
	var job []byte
	outDir := runDir
	switch kind {
	case KindTrain:
		var j TrainJob
		if err := json.Unmarshal(p.Job, &j); err != nil {
			return nil, jobs.Refusef("%s job: %v", kind, err)
		}
		if j.Dir != "" {
			return nil, jobs.Refusef("%s job: a shipped job names the folder %q; its folder is the one the worker makes, so a payload names none", kind, j.Dir)
		}
		j.Dir = runDir
		job, err = json.Marshal(j)
	default:
		var j EvalJob
		if err := json.Unmarshal(p.Job, &j); err != nil {
			return nil, jobs.Refusef("%s job: %v", kind, err)
		}
		if j.Dir != "" || (j.RunDir != "" && j.RunDir != shippedRun) {
			return nil, jobs.Refusef("%s job: a shipped job names the folders %q and %q; its folders are the ones the worker makes, so a payload names none (run_dir is %q for a trained run, empty for random play and references)", kind, j.Dir, j.RunDir, shippedRun)
		}
		if j.RunDir != "" {
			j.RunDir = runDir
		}
		j.Dir, outDir = evalDir, evalDir
		job, err = json.Marshal(j)
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %s job: %w", kind, err)
	}
	out, err := h.Handle(kind, job)
	if err != nil {
		return nil, err
	}
	files, err := packOut(ctx, env, outDir)
	if err != nil {
		return nil, err
	}
	env.Alive()
	return json.Marshal(jobResult{Result: out, Files: files})
}

// shippedRun is EvalJob.RunDir in a shipped job that evaluates a trained
// run (the run's files travel in RunFiles): a name, not a path.
const shippedRun = "run"

// maxShippedFile bounds one file of a folder that travels with a job: far
// above any checkpoint or replay segment, it only keeps a file that grows
// without end from being read.
const maxShippedFile = 1 << 40

// withoutHostPaths returns a shipped job's document with the submitter's
// folders taken out: a worker makes its own folders, and a payload never
// carries a path of the submitter's machine.
func withoutHostPaths(kind string, raw []byte) ([]byte, error) {
	if kind == KindTrain {
		var j TrainJob
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, err
		}
		j.Dir = ""
		return json.Marshal(j)
	}
	var j EvalJob
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j.RunDir != "" {
		j.RunDir = shippedRun
	}
	j.Dir = ""
	return json.Marshal(j)
}

// listFiles lists the files of dir that travel, by slash-separated
// relative path: regular files, not hidden ones (the run lock), none under
// the folder skip. A missing dir has none.
func listFiles(dir, skip string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if skip != "" && path == skip {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}

// pack adds the files of dir (but not those under skip) to blobs and
// returns their sums by relative path (nil for a missing or empty folder).
func pack(dir, skip string, blobs map[string][]byte) (map[string]string, error) {
	if dir == "" {
		return nil, nil
	}
	names, err := listFiles(dir, skip)
	if err != nil {
		return nil, fmt.Errorf("sweep: reading %s: %w", dir, err)
	}
	var files map[string]string
	for _, name := range names {
		data, err := fsutil.ReadRegular(filepath.Join(dir, filepath.FromSlash(name)), maxShippedFile)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		sum := jobs.BlobSum(data)
		blobs[sum] = data
		if files == nil {
			files = map[string]string{}
		}
		files[name] = sum
	}
	return files, nil
}

// packOut stores the files of dir with env.Put (a worker's output folder).
func packOut(ctx context.Context, env jobs.Env, dir string) (map[string]string, error) {
	names, err := listFiles(dir, "")
	if err != nil {
		return nil, fmt.Errorf("sweep: reading %s: %w", dir, err)
	}
	files := map[string]string{}
	for _, name := range names {
		data, err := fsutil.ReadRegular(filepath.Join(dir, filepath.FromSlash(name)), maxShippedFile)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		sum, err := env.Put(ctx, data)
		if err != nil {
			return nil, fmt.Errorf("sweep: storing %s: %w", name, err)
		}
		files[name] = sum
		env.Alive()
	}
	return files, nil
}

// localName checks that a shipped file name stays inside its folder.
func localName(name string) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return jobs.Refusef("file name %q leaves its folder", name)
	}
	return nil
}

// unpack writes shipped files, verified, into dir (a worker's side).
func unpack(ctx context.Context, env jobs.Env, files map[string]string, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for name, sum := range files {
		if err := localName(name); err != nil {
			return err
		}
		data, err := env.Blob(ctx, sum)
		if err != nil {
			return fmt.Errorf("sweep: file %s: %w", name, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	return nil
}

// receive writes a shipped job's output files into dir (the submitter's
// side), reading them back from the runner and verifying their sums.
func receive(ctx context.Context, runner jobs.Runner, files map[string]string, dir string) error {
	if len(files) == 0 {
		return nil
	}
	br, ok := runner.(jobs.BlobRunner)
	if !ok {
		return fmt.Errorf("sweep: the runner %T cannot hand back job outputs (it is no jobs.BlobRunner)", runner)
	}
	for name, sum := range files {
		if err := localName(name); err != nil {
			return err
		}
		data, err := br.Blob(ctx, sum)
		if err != nil {
			return fmt.Errorf("sweep: file %s: %w", name, err)
		}
		if got := jobs.BlobSum(data); got != sum {
			return fmt.Errorf("sweep: file %s: checksum mismatch (content hashes to %s, want %s)", name, got, sum)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if err := checkpoint.WriteAtomic(path, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return fmt.Errorf("sweep: writing %s: %w", path, err)
		}
	}
	return nil
}

// folders are the folders of a job on the submitter's disk: run is read
// (and written, training), dir written (evaluation).
type folders struct{ run, dir string }

// runAll runs n jobs of one kind through the runner as jobs.Job values and
// returns each job's error (naming the job) and whether some jobs were
// skipped because the sweep was stopped.
func runAll(runner jobs.Runner, o Options, phase, kind string, n int, job func(i int) (name string, job, res any), where func(i int) folders) (errs []error, stopped bool) {
	errs = make([]error, n)
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	loc := &local{h: o.Handlers, stopped: o.Stopped}
	b := jobs.Batch{Blobs: map[string][]byte{}, Local: map[string]any{localKey: loc}}
	names := make([]string, n)
	ids := map[string]int{}
	for i := range n {
		name, j, _ := job(i)
		names[i] = name
		raw, err := json.Marshal(j)
		if err != nil {
			errs[i] = fmt.Errorf("%s %s: %w", phase, name, err)
			continue
		}
		p := jobPayload{Version: payloadVersion, Job: raw, Ship: o.Ship}
		if o.Ship {
			if p.Job, err = withoutHostPaths(kind, raw); err != nil {
				errs[i] = fmt.Errorf("%s %s: %w", phase, name, err)
				continue
			}
			f := where(i)
			if kind == KindTrain {
				p.RunFiles, err = pack(f.run, filepath.Join(f.run, "eval"), b.Blobs)
			} else {
				p.RunFiles, err = pack(f.run, f.dir, b.Blobs)
				if err == nil {
					p.DirFiles, err = pack(f.dir, "", b.Blobs)
				}
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s %s: %w", phase, name, err)
				continue
			}
		}
		payload, err := json.Marshal(p)
		if err != nil {
			errs[i] = fmt.Errorf("%s %s: %w", phase, name, err)
			continue
		}
		id := fmt.Sprintf("%s-%d", strings.ReplaceAll(kind, ".", "-"), i)
		ids[id] = i
		b.Jobs = append(b.Jobs, jobs.Job{ID: id, Kind: kind, Payload: payload})
	}
	var progress func(jobs.Progress)
	if o.Progress != nil {
		progress = func(p jobs.Progress) { o.Progress(phase, max(0, p.Done-int(loc.skipped.Load())), p.Total) }
	}
	results, runErr := runner.Run(ctx, b, progress)
	// Failures of single jobs are *jobs.Error; anything else fails them all.
	var other []error
	for _, err := range flatten(runErr) {
		var te *jobs.Error
		if errors.As(err, &te) {
			if i, ok := ids[te.ID]; ok {
				if ctx.Err() != nil && errors.Is(te.Err, ctx.Err()) {
					stopped = true // not started: the sweep was interrupted
					continue
				}
				errs[i] = fmt.Errorf("%s %s: %w", phase, names[i], te.Err)
				continue
			}
		}
		other = append(other, err)
	}
	for id, i := range ids {
		if errs[i] != nil {
			continue
		}
		data, ok := results[id]
		if !ok {
			if len(other) > 0 && ctx.Err() == nil {
				errs[i] = fmt.Errorf("%s %s: %w", phase, names[i], errors.Join(other...))
			} else {
				stopped = true // the sweep was interrupted before the job finished
			}
			continue
		}
		var r jobResult
		if err := json.Unmarshal(data, &r); err != nil {
			errs[i] = fmt.Errorf("%s %s: sweep: %s result: %w", phase, names[i], kind, err)
			continue
		}
		if r.Stopped {
			stopped = true
			continue
		}
		_, _, res := job(i)
		if err := json.Unmarshal(r.Result, res); err != nil {
			errs[i] = fmt.Errorf("%s %s: sweep: %s result: %w", phase, names[i], kind, err)
			continue
		}
		if o.Ship {
			f := where(i)
			dir := f.run
			if kind == KindEval {
				dir = f.dir
			}
			if err := receive(ctx, runner, r.Files, dir); err != nil {
				errs[i] = fmt.Errorf("%s %s: %w", phase, names[i], err)
			}
		}
	}
	return errs, stopped
}

// flatten lists the errors errors.Join put together.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

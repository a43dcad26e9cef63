package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/agents/learner"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/npz"
)

// exportCheckFrames is how many frames export records, with the Go
// player's action probabilities, for a reimplementation to check itself.
const exportCheckFrames = 32

// exportCommand writes a run's policy networks for Python.
var exportCommand = &command{
	name:     "export",
	synopsis: "--run DIR [--out FILE.npz] [flags]",
	short:    "write a trained run's policy networks as a numpy .npz for mrasim.load_policy in Python",
	long: "Writes a trained run's policy networks as a numpy .npz archive, for mrasim.load_policy in Python\n" +
		"(numpy only): for MRA-family runs (mra, single, reptile) the relation net φ, each agent type's\n" +
		"policy and the prior p(z|m) over the latent modes; for MAPPO and IPPO runs each agent type's\n" +
		"actor (its entity encoder and head); with their sizes in meta.json. It also records frames of\n" +
		"the run's own player at one population with the Go player's action probabilities (check.*),\n" +
		"which the Python package compares itself against. Algorithms that offer no export (maddpg) are\n" +
		"refused.",
	flags: func(fs *flag.FlagSet) runFunc {
		f := &exportFlags{}
		fs.StringVar(&f.runDir, "run", "", "the run folder to export (required)")
		fs.StringVar(&f.out, "out", "", "the archive to write (default: DIR/policy.npz)")
		fs.StringVar(&f.pop, "population", "", "the population of the recorded check frames, such as `agents=6` (default: the first training population)")
		fs.Uint64Var(&f.seed, "seed", 1, "seed of the recorded check episodes")
		return f.run
	},
}

// exportFlags are export's flags.
type exportFlags struct {
	runDir, out, pop string
	seed             uint64
}

func (f *exportFlags) run(c *context, rest []string) error {
	switch {
	case len(rest) > 0:
		return badInputf("unexpected arguments %q: give the run with --run DIR", rest)
	case f.runDir == "":
		return badUsage("want --run DIR")
	}
	dir, err := resolveRun(f.runDir)
	if err != nil {
		return badInput(err)
	}
	f.runDir = dir
	s, run, err := loadRun(f.runDir)
	if err != nil {
		return badInput(scenarioProblems(err))
	}
	reg, _ := env.Lookup(s.Game.Name) // checked by Load
	population := s.Train.Populations[0]
	if f.pop != "" {
		p, err := env.ParsePopulation(f.pop)
		if err == nil {
			p, err = reg.Population(p)
		}
		if err != nil {
			return badInputf("--population %s: %w", f.pop, err)
		}
		population = p
	}
	game, err := reg.Make(s.Game.Params, population)
	if err != nil {
		return badInputf("--population %v: %w", population, err)
	}
	trained, err := learner.Load(run.Settings, run.Setup, run.State)
	if err != nil {
		return failed(err)
	}
	defer trained.Close()
	// Export writes the networks of algorithms that offer it
	// (learner.Exporter), whatever other algorithms are registered.
	exporter, ok := trained.(learner.Exporter)
	if !ok {
		return badInputf("--run %s is a %s run; its algorithm offers no export (learner.Exporter)", f.runDir, run.Settings.Algorithm())
	}
	policy, err := trained.Player(game.Spec(), env.SubSeed(f.seed, math.MaxUint64))
	if err != nil {
		return badInputf("--population %v: %w", population, err)
	}
	if _, ok := policy.(agents.Distribution); !ok {
		return failedf("the %s player gives no action probabilities to check the export against", run.Settings.Algorithm())
	}
	exp, err := exporter.ExportPolicy()
	if err != nil {
		return badInputf("--run %s: %w", f.runDir, err)
	}
	exp.Meta["game"] = s.Game.Name
	exp.Meta["params"] = s.Game.Params
	exp.Meta["run"] = filepath.Base(filepath.Clean(f.runDir))
	var pops []string
	for _, p := range s.Train.Populations {
		pops = append(pops, p.String())
	}
	exp.Meta["populations"] = pops
	check, err := recordCheck(game, policy, f.seed)
	if err != nil {
		return failed(err)
	}
	target := f.out
	if target == "" {
		target = filepath.Join(f.runDir, "policy.npz")
	}
	err = checkpoint.WriteAtomic(target, func(w io.Writer) error { return writePolicy(w, exp, check) })
	if err != nil {
		return failed(err)
	}
	modes := ""
	if k, ok := exp.Meta["latents"].(int); ok {
		modes = fmt.Sprintf(", %d latent modes", k)
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s policy of game %s (%d arrays%s), with %d check frames at %v\n",
		target, run.Settings.Algorithm(), s.Game.Name, len(exp.Arrays), modes, check.frames, population)
	return nil
}

// checkFrames are frames the Go player met, with its action probabilities.
type checkFrames struct {
	spec       *env.Spec
	frames     int
	n, w, e, a int
	obs        []float64 // frames×N×W, each agent's observation padded to W
	mask       []bool    // frames×N×E entity masks
	probs      []float64 // frames×N×A, Player.ActionProbs (zero past an agent's actions)
}

// recordCheck plays the player until exportCheckFrames frames in which
// agents act are recorded.
// p must be an agents.Distribution.
func recordCheck(g env.Game, p agents.Policy, seed uint64) (*checkFrames, error) {
	spec := g.Spec()
	ck := &checkFrames{spec: spec, n: spec.NumAgents()}
	for k := range spec.Types {
		t := &spec.Types[k]
		ck.w, ck.e, ck.a = max(ck.w, t.ObsLen()), max(ck.e, t.Entities()), max(ck.a, t.NumActions)
	}
	errEnough := errors.New("enough frames")
	record := func(_ int, f *env.Frame, _ []int) error {
		if f.Done() {
			return nil
		}
		base := len(ck.probs)
		ck.obs = append(ck.obs, make([]float64, ck.n*ck.w)...)
		ck.mask = append(ck.mask, make([]bool, ck.n*ck.e)...)
		ck.probs = append(ck.probs, make([]float64, ck.n*ck.a)...)
		for i := range ck.n {
			copy(ck.obs[ck.frames*ck.n*ck.w+i*ck.w:], f.AgentObs(i))
			copy(ck.mask[ck.frames*ck.n*ck.e+i*ck.e:], f.AgentEntityMask(i))
			p.(agents.Distribution).ActionProbs(f, i, ck.probs[base+i*ck.a:base+i*ck.a+spec.Type(i).NumActions])
		}
		ck.frames++
		if ck.frames == exportCheckFrames {
			return errEnough
		}
		return nil
	}
	_, _, err := agents.Play(g, p, seed, exportCheckFrames, record)
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return ck, nil
}

// writePolicy writes the archive: meta.json, the networks and the check
// frames.
func writePolicy(w io.Writer, exp learner.PolicyExport, ck *checkFrames) error {
	meta, err := json.Marshal(exp.Meta)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	spec, err := json.Marshal(ck.spec)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	z := npz.NewWriter(w)
	steps := []error{z.Bytes("meta.json", meta), z.Bytes("check.spec.json", spec)}
	for _, a := range exp.Arrays {
		steps = append(steps, z.Float64(a.Name, a.Shape, a.Data))
	}
	steps = append(steps,
		z.Float64("check.obs", []int{ck.frames, ck.n, ck.w}, ck.obs),
		z.Bool("check.entity_mask", []int{ck.frames, ck.n, ck.e}, ck.mask),
		z.Float64("check.probs", []int{ck.frames, ck.n, ck.a}, ck.probs),
		z.Close())
	return errors.Join(steps...)
}

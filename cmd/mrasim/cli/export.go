package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/npz"
	"github.com/mrasim/mrasim/mra"
	"github.com/mrasim/mrasim/scenarios"
)

// exportCheckFrames is how many frames export records, with the Go
// player's action probabilities, for a reimplementation to check itself.
const exportCheckFrames = 32

func runExport(c *context, args []string) int {
	fs := c.newFlags("export", "--run DIR [--out FILE.npz] [flags]",
		"Writes a trained run's policy networks as a numpy .npz archive, for mrasim.load_policy in Python\n"+
			"(numpy only): the relation net φ, each agent type's policy and the prior p(z|m) over the latent\n"+
			"modes, with their sizes in meta.json. It also records frames of the run's own player at one\n"+
			"population with the Go player's action probabilities (check.*), which the Python package\n"+
			"compares itself against. MRA-family runs (mra, single, reptile) only.")
	runDir := fs.String("run", "", "the run folder to export (required)")
	out := fs.String("out", "", "the archive to write (default: DIR/policy.npz)")
	pop := fs.String("population", "", "the population of the recorded check frames, such as `agents=6` (default: the first training population)")
	seed := fs.Uint64("seed", 1, "seed of the recorded check episodes")
	rest, code, done := c.parse(fs, args)
	if done {
		return code
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.stderr, "mrasim export: "+format+"\n", args...)
		return code
	}
	switch {
	case len(rest) > 0:
		return fail(ExitUsage, "unexpected arguments %q: give the run with --run DIR", rest)
	case *runDir == "":
		fs.Usage()
		return fail(ExitUsage, "want --run DIR")
	}
	s, run, err := loadRun(*runDir)
	if err != nil {
		if list := (scenarios.ErrorList{}); errors.As(err, &list) {
			c.reportScenarioError(err)
			return ExitUsage
		}
		return fail(ExitUsage, "%v", err)
	}
	cfg, ok := mra.ConfigOf(run.Settings)
	if !ok || cfg.Algo == mra.AlgoMADDPG {
		return fail(ExitUsage, "--run %s is a %s run; export writes MRA-family policies (mra, single, reptile)", *runDir, run.Settings.Algorithm())
	}
	reg, _ := env.Lookup(s.Game.Name) // checked by Load
	population := s.Train.Populations[0]
	if *pop != "" {
		p, err := env.ParsePopulation(*pop)
		if err == nil {
			p, err = reg.Population(p)
		}
		if err != nil {
			return fail(ExitUsage, "--population %s: %v", *pop, err)
		}
		population = p
	}
	game, err := reg.Make(s.Game.Params, population)
	if err != nil {
		return fail(ExitUsage, "--population %v: %v", population, err)
	}
	model, err := mra.LoadModel(cfg, run.Setup, run.State)
	if err != nil {
		return fail(ExitFailure, "%v", err)
	}
	defer model.Close()
	player, err := mra.NewPlayer(model, game.Spec(), nil, env.SubSeed(*seed, math.MaxUint64))
	if err != nil {
		return fail(ExitUsage, "--population %v: %v", population, err)
	}
	exp := mra.ExportPolicy(model)
	exp.Meta["game"] = s.Game.Name
	exp.Meta["params"] = s.Game.Params
	exp.Meta["run"] = filepath.Base(filepath.Clean(*runDir))
	var trained []string
	for _, p := range s.Train.Populations {
		trained = append(trained, p.String())
	}
	exp.Meta["populations"] = trained
	check, err := recordCheck(game, player, *seed)
	if err != nil {
		return fail(ExitFailure, "%v", err)
	}
	target := *out
	if target == "" {
		target = filepath.Join(*runDir, "policy.npz")
	}
	err = checkpoint.WriteAtomic(target, func(w io.Writer) error { return writePolicy(w, exp, check) })
	if err != nil {
		return fail(ExitFailure, "%v", err)
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s policy of game %s (%d arrays, %d latent modes), with %d check frames at %v\n",
		target, cfg.Algo, s.Game.Name, len(exp.Arrays), cfg.Latents, check.frames, population)
	return ExitOK
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
func recordCheck(g env.Game, p *mra.Player, seed uint64) (*checkFrames, error) {
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
			p.ActionProbs(f, i, ck.probs[base+i*ck.a:base+i*ck.a+spec.Type(i).NumActions])
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
func writePolicy(w io.Writer, exp mra.PolicyExport, ck *checkFrames) error {
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

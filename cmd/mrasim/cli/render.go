package cli

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
	"github.com/mrasim/mrasim/league"
	"github.com/mrasim/mrasim/scenarios"
)

// gifDelay is the time each frame of a render shows, in hundredths of a
// second: 10 frames per second, one frame per state.
const gifDelay = 10

// maxGIFBytes bounds the frames a GIF render holds in memory.
const maxGIFBytes = 1e9

// particleGames names the games that render, for error messages.
var particleGames = []string{particle.ResourceName, particle.SpreadName, particle.TagName, particle.TreasureName, particle.PacmanName}

// renderCommand draws episodes of a particle game.
var renderCommand = &command{
	name:     "render",
	synopsis: "(--run DIR | SCENARIO) [flags]",
	short:    "draw episodes of a particle game as an animated GIF, with the agents' relation or attention graphs",
	long: "Plays episodes of a particle-world game and draws them as an animated GIF: agents,\n" +
		"landmarks, food, deposits and treasures in their colours and sizes, each agent in its\n" +
		"type's colour, and a caption with the step, the rewards and the population. With --run\n" +
		"the run's agents play, and where the algorithm has them each agent's relation graph (MRA)\n" +
		"or attention weights (MAPPO with encoder = \"attention\") are drawn as edges from it to\n" +
		"what it attends to (width ∝ weight) and its latent mode as a label zK (MRA); with a SCENARIO\n" +
		"file the agents play uniformly random actions. An edge is drawn where its weight is above\n" +
		"--edge-factor × the uniform weight 1/k of the k entities the agent attends to (1/(N−1)\n" +
		"among N agents), or above --edge-threshold when that is given. Agents are numbered, and\n" +
		"resources show their value.\n" +
		"There is one frame per state: the first and one after each step.",
	flags: declareRenderFlags,
}

// renderFlags are render's flags.
type renderFlags struct {
	fs                       *flag.FlagSet
	runDir, pop, out, frames string
	episodes, size           int
	seed                     uint64
	threshold, factor        float64
}

// defaultEdgeFactor is how far above uniform attention a relation weight
// must be for its edge to be drawn: an agent attending to k entities draws
// the edges of weights above defaultEdgeFactor/k (0.25 for the 5 others of
// 6 agents). A fixed threshold draws every edge of a small population,
// whose uniform weight is high, and none of a large one.
const defaultEdgeFactor = 1.25

func declareRenderFlags(fs *flag.FlagSet) runFunc {
	f := &renderFlags{fs: fs}
	fs.StringVar(&f.runDir, "run", "", "a run folder `DIR` whose agents play (instead of a SCENARIO file)")
	fs.StringVar(&f.pop, "population", "", "the population to play, such as `agents=6` or adversaries=3,good=1 (default: the first training population)")
	fs.IntVar(&f.episodes, "episodes", 1, "episodes to play, one after the other in the same GIF")
	fs.Uint64Var(&f.seed, "seed", 0, "root seed of the episodes and the agents (default: the scenario's seed)")
	fs.StringVar(&f.out, "out", "", "the GIF `FILE.gif` to write (default: render-POPULATION.gif in the run folder, or SCENARIONAME-POPULATION.gif here)")
	fs.StringVar(&f.frames, "frames", "", "write one PNG per frame into `DIR` (eEPISODE-tSTEP.png) instead of a GIF")
	fs.IntVar(&f.size, "size", render.DefaultSize, "width of the world view in pixels (64 … 4096)")
	fs.Float64Var(&f.factor, "edge-factor", defaultEdgeFactor, "draw a relation-graph edge where its weight exceeds this many times the uniform weight 1/k of the k entities attended to (> 0)")
	fs.Float64Var(&f.threshold, "edge-threshold", 0, "instead of --edge-factor, draw edges only where the weight exceeds this fixed value (< 1; 0 draws every positive weight)")
	return f.run
}

// run checks the flags, loads the scenario or run, sets up the game and
// its player, and plays and draws the episodes.
func (f *renderFlags) run(c *context, rest []string) error {
	opts, err := f.check(rest)
	if err != nil {
		return err
	}
	s, entry, err := f.load(rest)
	if err != nil {
		return err
	}
	population, err := f.population(s)
	if err != nil {
		return err
	}
	reg, _ := env.Lookup(s.Game.Name) // checked by Load
	game, err := reg.Make(s.Game.Params, population)
	if err != nil {
		return badInputf("--population %v: %w", population, err)
	}
	policy, err := entry.Policy(game.Spec(), env.SubSeed(f.seed, math.MaxUint64))
	if err != nil {
		return badInputf("--population %v: %w", population, err)
	}
	factor := f.factor
	if flagSet(f.fs, "edge-threshold") {
		factor = 0
	}
	ep, err := newEpisodeRenderer(opts, factor, game, policy, entry.Name())
	if err != nil {
		return badInput(err)
	}
	if err := f.checkGIFMemory(ep, game.Spec().Horizon); err != nil {
		return err
	}
	target, emit, frames, err := f.output(s, population)
	if err != nil {
		return err
	}
	returns, err := ep.play(f.seed, f.episodes, emit)
	if err != nil {
		return failed(err)
	}
	if f.frames == "" {
		err := checkpoint.WriteAtomic(target, func(w io.Writer) error { return render.WriteGIF(w, *frames, gifDelay) })
		if err != nil {
			return failed(err)
		}
	}
	count := 0
	for _, r := range returns {
		count += r.steps + 1
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s, %s of %s at %v played by %s (seed %d)\n", target, plural(count, "frame"), plural(len(returns), "episode"), s.Game.Name, population, entry.Name(), f.seed)
	for k, t := range game.Spec().Types {
		sum := 0.0
		for _, r := range returns {
			sum += r.perType[k]
		}
		fmt.Fprintf(c.stdout, "  %s: mean return per agent %.4f\n", t.Name, sum/float64(len(returns)))
	}
	return nil
}

// check refuses arguments and flags that do not go together or are out
// of range, and returns the renderer's options.
func (f *renderFlags) check(rest []string) (render.Options, error) {
	switch {
	case len(rest) > 1:
		return render.Options{}, badInputf("want at most one scenario file, got %d arguments", len(rest))
	case len(rest) == 1 && f.runDir != "":
		return render.Options{}, badInputf("give a run (--run %s) or a scenario file (%s), not both", f.runDir, rest[0])
	case len(rest) == 0 && f.runDir == "":
		return render.Options{}, badUsage("want a scenario file or --run DIR")
	case f.episodes < 1 || f.episodes > 1000:
		return render.Options{}, badInputf("--episodes %d: want 1 … 1000", f.episodes)
	case f.out != "" && f.frames != "":
		return render.Options{}, badInputf("--out writes a GIF and --frames PNG files: give one of them")
	case f.size == 0:
		// 0 means the default in render.Options, not on the command line.
		return render.Options{}, badInputf("render: size 0 pixels, want 64 … 4096")
	}
	if flagSet(f.fs, "edge-factor") && flagSet(f.fs, "edge-threshold") {
		return render.Options{}, badInputf("--edge-factor and --edge-threshold both choose the edges: give one of them")
	}
	if !(f.factor > 0) || math.IsInf(f.factor, 0) {
		return render.Options{}, badInputf("--edge-factor %g: want a number > 0", f.factor)
	}
	opts := render.Options{Size: f.size, EdgeThreshold: f.threshold}
	if f.threshold == 0 {
		opts.EdgeThreshold = -1 // every positive weight; 0 in Options means the default
	}
	if _, err := render.New(opts); err != nil {
		return opts, badInput(err)
	}
	return opts, nil
}

// load returns the scenario and who plays: the run of --run, or random
// agents in the scenario file rest[0]. The seed defaults to the
// scenario's.
func (f *renderFlags) load(rest []string) (*scenarios.Scenario, league.Entry, error) {
	var s *scenarios.Scenario
	var entry league.Entry = league.Random{}
	if f.runDir != "" {
		dir, err := resolveRun(f.runDir)
		if err != nil {
			return nil, nil, badInput(err)
		}
		f.runDir = dir
		sc, run, err := loadRun(f.runDir)
		if err != nil {
			return nil, nil, badInput(scenarioProblems(err))
		}
		s, entry = sc, run
	} else {
		sc, err := scenarios.Load(rest[0])
		if err != nil {
			return nil, nil, badInput(err)
		}
		s = sc
	}
	if err := checkRenders(s); err != nil {
		return nil, nil, badInput(err)
	}
	if !flagSet(f.fs, "seed") {
		f.seed = s.Seed
	}
	return s, entry, nil
}

// population is the population of --population, or s's first training
// population.
func (f *renderFlags) population(s *scenarios.Scenario) (env.Population, error) {
	if f.pop == "" {
		return s.Train.Populations[0], nil
	}
	reg, _ := env.Lookup(s.Game.Name) // checked by Load
	p, err := env.ParsePopulation(f.pop)
	if err == nil {
		p, err = reg.Population(p)
	}
	if err != nil {
		return p, badInputf("--population %s: %w", f.pop, err)
	}
	return p, nil
}

// checkGIFMemory refuses a GIF whose frames would not fit in memory:
// image/gif encodes a GIF from all its frames at once, so it is refused
// rather than run out of memory halfway.
func (f *renderFlags) checkGIFMemory(ep *episodeRenderer, horizon int) error {
	if f.frames != "" {
		return nil
	}
	b := ep.r.Bounds()
	bytes := float64(f.episodes) * float64(horizon+1) * float64(b.Dx()*b.Dy())
	if bytes > maxGIFBytes {
		return badInputf("%s of up to %d frames of %d×%d pixels would hold %.0f MB of frames in memory (limit %.0f MB): play fewer --episodes, use a smaller --size, or write --frames",
			plural(f.episodes, "episode"), horizon+1, b.Dx(), b.Dy(), bytes/1e6, maxGIFBytes/1e6)
	}
	return nil
}

// output returns where the frames go: the GIF target (checking its folder
// exists) with the frames collected for it, or the --frames folder
// (created) with each frame written there as a PNG.
func (f *renderFlags) output(s *scenarios.Scenario, population env.Population) (target string, emit func(episode, t int, img *image.Paletted) error, frames *[]*image.Paletted, err error) {
	frames = new([]*image.Paletted)
	if f.frames != "" {
		if err := os.MkdirAll(f.frames, 0o755); err != nil {
			return "", nil, nil, failedf("--frames: %w", err)
		}
		emit = func(episode, t int, img *image.Paletted) error {
			name := filepath.Join(f.frames, fmt.Sprintf("e%03d-t%03d.png", episode+1, t))
			return checkpoint.WriteAtomic(name, func(w io.Writer) error { return png.Encode(w, img) })
		}
		return f.frames, emit, frames, nil
	}
	target = f.out
	if target == "" {
		if f.runDir != "" {
			target = filepath.Join(f.runDir, "render-"+fileLabel(population.String())+".gif")
		} else {
			target = fileLabel(s.Name) + "-" + fileLabel(population.String()) + ".gif"
		}
	}
	// Refuse a target folder that is not there before playing.
	if info, err := os.Stat(filepath.Dir(target)); err != nil || !info.IsDir() {
		return "", nil, nil, failedf("--out %s: the folder %s does not exist", target, filepath.Dir(target))
	}
	emit = func(_, _ int, img *image.Paletted) error {
		*frames = append(*frames, img)
		return nil
	}
	return target, emit, frames, nil
}

// checkRenders refuses games that are not particle worlds.
func checkRenders(s *scenarios.Scenario) error {
	reg, err := env.Lookup(s.Game.Name)
	if err != nil {
		return err
	}
	g, err := reg.Make(s.Game.Params, s.Train.Populations[0])
	if err != nil {
		return err
	}
	if _, ok := g.(particle.Viewer); !ok {
		return fmt.Errorf("game %q is not a particle-world game: only particle games render (%s)", s.Game.Name, strings.Join(particleGames, ", "))
	}
	return nil
}

// fileLabel turns a name or population label into a file-name part:
// "adversaries=3,good=1" becomes "adversaries3-good1"; characters other
// than letters, digits, '.', '_' and '-' become '_'.
func fileLabel(s string) string {
	s = strings.NewReplacer("=", "", ",", "-").Replace(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// relationInspector is what a policy exposes when it can say whom each
// agent attends to and which latent mode it plays (MRA's players do; a
// MAPPO player with an attention encoder shows its attention weights and
// no latent).
type relationInspector interface {
	RelationGraph(i int) []float64
	Latent(i int) []float64
}

// episodeRenderer plays episodes of a particle game with a policy and
// draws every state, with the policy's relation graphs when it has them.
type episodeRenderer struct {
	r         *render.Renderer
	game      env.Game
	view      particle.Viewer
	policy    agents.Policy
	inspect   relationInspector // nil for policies without relation graphs
	name      string
	threshold float64  // the renderer's fixed edge threshold, for the legend, when factor is 0
	factor    float64  // > 0: edges above factor × uniform attention (see defaultEdgeFactor)
	numbers   []string // the agents' numbers, their labels

	scene    particle.Scene
	overlay  render.Overlay
	observed []int
}

// episodeResult is what one rendered episode earned.
type episodeResult struct {
	steps   int
	perType []float64 // mean return per agent of each type
}

// newEpisodeRenderer returns a renderer of game (a particle.Viewer) played
// by policy, drawing with opts (their caption lines are set here). With
// factor > 0 an edge is drawn where its weight is above factor × the
// uniform weight of the entities its agent attends to, and opts'
// threshold is not used.
func newEpisodeRenderer(opts render.Options, factor float64, game env.Game, policy agents.Policy, name string) (*episodeRenderer, error) {
	ep := &episodeRenderer{game: game, view: game.(particle.Viewer), policy: policy, name: name, factor: factor}
	if factor > 0 {
		opts.EdgeThreshold = -1 // describe chooses the edges
	}
	for i := range game.Spec().NumAgents() {
		ep.numbers = append(ep.numbers, strconv.Itoa(i))
	}
	ep.inspect, _ = policy.(relationInspector)
	opts.CaptionLines = captionLines(game.Spec(), ep.inspect != nil)
	r, err := render.New(opts)
	if err != nil {
		return nil, err
	}
	ep.r, ep.threshold = r, opts.EdgeThreshold
	if ep.threshold == 0 {
		ep.threshold = render.DefaultEdgeThreshold
	}
	return ep, nil
}

// play plays episodes (episode k from env.SubSeed(seed, k)) and hands
// emit one new image per state: the first state and the state after each
// step. The edges and labels of a state are those the policy acted with
// there; the last state of an episode, where nobody acts, has none.
func (ep *episodeRenderer) play(seed uint64, episodes int, emit func(episode, t int, img *image.Paletted) error) ([]episodeResult, error) {
	spec := ep.game.Spec()
	f := env.NewFrame(spec)
	actions := make([]int, spec.NumAgents())
	ret := make([]float64, spec.NumAgents())
	var results []episodeResult
	for k := range episodes {
		ep.game.Reset(env.SubSeed(seed, uint64(k)), f)
		clear(ret)
		for {
			done := f.Done()
			if !done {
				ep.policy.Act(f, actions)
			}
			ep.view.Scene(&ep.scene)
			ep.describe(f, ret, k, episodes, !done)
			img := ep.r.NewImage()
			ep.r.Draw(img, &ep.scene, &ep.overlay)
			if err := emit(k, f.T, img); err != nil {
				return results, err
			}
			if done {
				break
			}
			ep.game.Step(actions, f)
			for i, r := range f.Reward {
				ret[i] += r
			}
		}
		res := episodeResult{steps: f.T, perType: make([]float64, len(spec.Types))}
		for t, ty := range spec.Types {
			res.perType[t] = typeMean(ret, spec.FirstAgent(t), ty.Count)
		}
		results = append(results, res)
	}
	return results, nil
}

// describe fills the overlay of the current state: the relation graphs
// and latents when the policy acted here and can show them, and the
// caption.
func (ep *episodeRenderer) describe(f *env.Frame, ret []float64, episode, episodes int, acted bool) {
	spec := ep.game.Spec()
	ov := &ep.overlay
	ov.Edges, ov.Labels, ov.Caption = ov.Edges[:0], ov.Labels[:0], ov.Caption[:0]
	ov.Labels = append(ov.Labels, ep.numbers...)
	if acted && ep.inspect != nil {
		for i := range spec.NumAgents() {
			z := ep.inspect.Latent(i)
			if len(z) > 0 && f.Alive[i] {
				ov.Labels[i] = fmt.Sprintf("%d z%d", i, argmax(z))
			}
			if !f.Alive[i] {
				continue
			}
			g := ep.inspect.RelationGraph(i)
			ep.observed = ep.view.Observed(i, ep.observed[:0])
			k := min(len(ep.observed), len(g))
			for e, to := range ep.observed[:k] {
				if ep.factor > 0 && !(g[e] > ep.factor/float64(k)) {
					continue
				}
				ov.Edges = append(ov.Edges, render.Edge{From: i, To: to, Weight: g[e]})
			}
		}
	}
	ov.Caption = append(ov.Caption, fmt.Sprintf("%v  %s  episode %d/%d  step %d/%d", spec.Population, ep.name, episode+1, episodes, f.T, spec.Horizon))
	for t, ty := range spec.Types {
		first := spec.FirstAgent(t)
		reward := "-"
		if f.T > 0 {
			reward = fmt.Sprintf("%+.3f", typeMean(f.Reward, first, ty.Count))
		}
		alive := 0
		for i := first; i < first+ty.Count; i++ {
			if f.Alive[i] {
				alive++
			}
		}
		ov.Caption = append(ov.Caption, fmt.Sprintf("%s (%d/%d alive): reward %s  return %+.3f", ty.Name, alive, ty.Count, reward, typeMean(ret, first, ty.Count)))
	}
	if ep.inspect != nil {
		latent := ""
		if spec.NumAgents() > 0 && len(ep.inspect.Latent(0)) > 0 {
			latent = "; zK: latent"
		}
		if ep.factor > 0 {
			ov.Caption = append(ov.Caption, fmt.Sprintf("edges: relation weight > %g x uniform (1/k), width ~ weight%s", ep.factor, latent))
		} else {
			ov.Caption = append(ov.Caption, fmt.Sprintf("edges: relation weight > %.2f, width ~ weight%s", ep.threshold, latent))
		}
	}
}

// captionLines is how many caption lines describe draws for spec's
// population: a head line, one line per type (mean reward of the last step
// and return so far, per agent) and, for policies with relation graphs, a
// legend.
func captionLines(spec *env.Spec, inspected bool) int {
	n := 1 + len(spec.Types)
	if inspected {
		n++
	}
	return n
}

// typeMean is the mean of xs[first : first+count].
func typeMean(xs []float64, first, count int) float64 {
	s := 0.0
	for _, x := range xs[first : first+count] {
		s += x
	}
	return s / float64(count)
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// writeRenders draws one episode of every population and entry of an
// evaluation into dir as render-ENTRY-POPULATION.gif and appends a
// "Renders" section linking them to dir/report.md. All entries of a
// population play the same episode seed (env.SubSeed(opts.Seed, p) for the
// p-th population), so their GIFs start from the same state. It returns
// the files written.
func writeRenders(dir string, entries []league.Entry, opts league.Options) ([]string, error) {
	reg, err := env.Lookup(opts.Game)
	if err != nil {
		return nil, err
	}
	var files []string
	var section strings.Builder
	fmt.Fprintf(&section, "\n## Renders\n\nOne episode per population and entry (`mrasim eval --render`; the entry plays every agent type), all entries of a population from the same start (seed %d). "+
		"Agents are drawn in their type's colour (as a ring where the fill shows a state, such as a carried treasure); agents are numbered and resources show their value; for MRA runs (and MAPPO runs with an attention encoder) an edge from an agent shows a relation-graph (attention) weight above %g × the uniform weight 1/k of the k entities it attends to (width proportional to the weight) and, for MRA, the label zK its latent mode.\n\n",
		opts.Seed, defaultEdgeFactor)
	section.WriteString("| population | " + strings.Join(entryNames(entries), " | ") + " |\n|---|" + strings.Repeat("---|", len(entries)) + "\n")
	for p, pop := range opts.Populations {
		game, err := reg.Make(opts.Params, pop)
		if err != nil {
			return files, err
		}
		seed := env.SubSeed(opts.Seed, uint64(p))
		fmt.Fprintf(&section, "| %v |", pop)
		for k, entry := range entries {
			policy, err := entry.Policy(game.Spec(), env.SubSeed(seed, math.MaxUint64-uint64(k)))
			if err != nil {
				return files, err
			}
			ep, err := newEpisodeRenderer(render.Options{}, defaultEdgeFactor, game, policy, entry.Name())
			if err != nil {
				return files, err
			}
			var frames []*image.Paletted
			if _, err := ep.play(seed, 1, func(_, _ int, img *image.Paletted) error {
				frames = append(frames, img)
				return nil
			}); err != nil {
				return files, err
			}
			name := fmt.Sprintf("render-%s-%s.gif", fileLabel(entry.Name()), fileLabel(pop.String()))
			path := filepath.Join(dir, name)
			if err := checkpoint.WriteAtomic(path, func(w io.Writer) error { return render.WriteGIF(w, frames, gifDelay) }); err != nil {
				return files, err
			}
			files = append(files, path)
			fmt.Fprintf(&section, " [%s](%s) |", name, name)
		}
		section.WriteString("\n")
	}
	report := filepath.Join(dir, "report.md")
	old, err := fsutil.ReadRegular(report, 1<<30)
	if err != nil {
		return files, err
	}
	err = checkpoint.WriteAtomic(report, func(w io.Writer) error {
		if _, err := w.Write(old); err != nil {
			return err
		}
		_, err := io.WriteString(w, section.String())
		return err
	})
	return files, err
}

func entryNames(entries []league.Entry) []string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mrasim/mrasim/agents"
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/scenarios"
)

// stepRecord is one line of rollout's JSON-lines output.
type stepRecord struct {
	Population string      `json:"population"`
	Episode    int         `json:"episode"`
	T          int         `json:"t"`
	Actions    []int       `json:"actions"`
	Rewards    []float64   `json:"rewards"`
	Terminated []bool      `json:"terminated"`
	Truncated  []bool      `json:"truncated"`
	Alive      []bool      `json:"alive"`
	EntityMask [][]bool    `json:"entity_mask"` // per agent: which entity blocks of its observation hold a live entity
	Obs        [][]float64 `json:"obs,omitempty"`
}

// rolloutCommand plays random agents in a scenario's game.
var rolloutCommand = &command{
	name:     "rollout",
	synopsis: "FILE [flags]",
	short:    "play random agents in a scenario's game and write steps as JSON lines",
	long: "Plays uniformly random agents (legal actions only) in the game of scenario FILE at each\n" +
		"population and prints a summary of returns per agent type. With --out, also writes one\n" +
		"JSON object per step: population, episode, t, actions, rewards, terminated, truncated\n" +
		"and alive flags and entity masks per agent (and observations with --obs, including a t = 0 record\n" +
		"holding the first observation of each episode).",
	flags: func(fs *flag.FlagSet) runFunc {
		f := &rolloutFlags{fs: fs}
		fs.Var(&f.pops, "population", "a population to play, such as `agents=3` or adversaries=3,good=1 (repeat for several;\ndefault: the scenario's training populations)")
		fs.IntVar(&f.episodes, "episodes", 10, "episodes per population")
		fs.Uint64Var(&f.seed, "seed", 0, "root seed of the episodes and the random agents (default: the scenario's seed)")
		fs.StringVar(&f.out, "out", "", "write the steps as JSON lines to `FILE.jsonl` (- for standard output)")
		fs.BoolVar(&f.obs, "obs", false, "include observations in the step records")
		return f.run
	},
}

// rolloutFlags are rollout's flags.
type rolloutFlags struct {
	fs       *flag.FlagSet
	pops     multiFlag
	episodes int
	seed     uint64
	out      string
	obs      bool
}

func (f *rolloutFlags) run(c *context, files []string) error {
	if len(files) != 1 {
		return badUsage("want one scenario file, got %d arguments", len(files))
	}
	if f.episodes < 1 {
		return badInputf("--episodes %d: want ≥ 1", f.episodes)
	}
	s, err := scenarios.Load(files[0])
	if err != nil {
		return badInput(err)
	}
	if !flagSet(f.fs, "seed") {
		f.seed = s.Seed
	}
	reg, err := env.Lookup(s.Game.Name)
	if err != nil { // cannot happen after Load; kept for safety
		return badInput(err)
	}
	populations, err := rolloutPopulations(reg, f.pops, s.Train.Populations)
	if err != nil {
		return err
	}

	summaryOut := c.stdout
	var steps *bufio.Writer
	var file *os.File
	switch f.out {
	case "":
	case "-":
		steps = bufio.NewWriter(c.stdout)
		summaryOut = c.stderr
	default:
		file, err = os.Create(f.out)
		if err != nil {
			return failed(err)
		}
		defer file.Close()
		steps = bufio.NewWriter(file)
	}

	fmt.Fprintf(summaryOut, "%s: game %s, %s per population, random agents, seed %d\n", s.File, s.Game.Name, plural(f.episodes, "episode"), f.seed)
	for k, pop := range populations {
		g, err := reg.Make(s.Game.Params, pop)
		if err != nil {
			return badInputf("--population %v: %w", pop, err)
		}
		popSeed := env.SubSeed(f.seed, uint64(k))
		var observe agents.Observer
		if steps != nil {
			observe = stepWriter(steps, g, pop.String(), f.obs)
		}
		returns, lengths, err := agents.Play(g, agents.NewRandom(env.SubSeed(popSeed, math.MaxUint64)), popSeed, f.episodes, observe)
		if err != nil {
			return failedf("writing %s: %w", f.out, err)
		}
		summarise(summaryOut, g.Spec(), returns, lengths)
	}
	if steps != nil {
		if err := steps.Flush(); err != nil {
			return failedf("writing %s: %w", f.out, err)
		}
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return failedf("writing %s: %w", f.out, err)
		}
	}
	return nil
}

// rolloutPopulations checks the --population flags against the game and
// returns their populations, or the scenario's when none is given.
func rolloutPopulations(reg env.Registration, pops []string, def []env.Population) ([]env.Population, error) {
	if len(pops) == 0 {
		return def, nil
	}
	var populations []env.Population
	listed := map[string]string{}
	for _, text := range pops {
		p, err := env.ParsePopulation(text)
		if err == nil {
			p, err = reg.Population(p)
		}
		if err != nil {
			return nil, badInputf("--population %s: %w", text, err)
		}
		// Its steps would be written twice under one name.
		if first, ok := listed[p.String()]; ok {
			return nil, badInputf("--population %s and --population %s are the same population %v; give each once", first, text, p)
		}
		listed[p.String()] = text
		populations = append(populations, p)
	}
	return populations, nil
}

// stepWriter returns an observer that writes every step as a JSON line.
func stepWriter(w io.Writer, g env.Game, label string, withObs bool) agents.Observer {
	enc := json.NewEncoder(w)
	spec := g.Spec()
	return func(ep int, f *env.Frame, actions []int) error {
		if actions == nil && !withObs {
			return nil
		}
		rec := stepRecord{
			Population: label, Episode: ep, T: f.T, Actions: actions,
			Rewards: f.Reward, Terminated: f.Terminated, Truncated: f.Truncated, Alive: f.Alive,
			EntityMask: make([][]bool, spec.NumAgents()),
		}
		for i := range rec.EntityMask {
			rec.EntityMask[i] = f.AgentEntityMask(i)
		}
		if withObs {
			rec.Obs = make([][]float64, spec.NumAgents())
			for i := range rec.Obs {
				rec.Obs[i] = f.AgentObs(i)
			}
		}
		return enc.Encode(&rec)
	}
}

// summarise prints, per agent type, the mean and standard deviation over
// episodes of the return of one agent (averaged over the type's agents).
func summarise(w io.Writer, spec *env.Spec, returns [][]float64, lengths []int) {
	meanLen := 0.0
	for _, l := range lengths {
		meanLen += float64(l)
	}
	meanLen /= float64(len(lengths))
	fmt.Fprintf(w, "\npopulation %v: %s, mean length %.2f steps\n", spec.Population, plural(len(returns), "episode"), meanLen)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  type\tagents\treturn per agent (mean)\tstd over episodes\tmin\tmax\t")
	for k, t := range spec.Types {
		if t.Count == 0 {
			continue
		}
		first := spec.FirstAgent(k)
		var sum, sumSq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, ret := range returns {
			x := 0.0
			for i := first; i < first+t.Count; i++ {
				x += ret[i]
			}
			x /= float64(t.Count)
			sum += x
			sumSq += x * x
			lo, hi = min(lo, x), max(hi, x)
		}
		n := float64(len(returns))
		mean := sum / n
		std := math.Sqrt(max(sumSq/n-mean*mean, 0))
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t\n", t.Name, t.Count, fixed4(mean), fixed4(std), fixed4(lo), fixed4(hi))
	}
	tw.Flush()
}

// fixed4 formats x with four decimals, without the minus sign of a value
// that rounds to zero ("-0.0000" reads as a negative result).
func fixed4(x float64) string {
	s := strconv.FormatFloat(x, 'f', 4, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	return s
}

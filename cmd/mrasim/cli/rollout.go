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

func runRollout(c *context, args []string) int {
	fs := c.newFlags("rollout", "FILE [flags]",
		"Plays uniformly random agents (legal actions only) in the game of scenario FILE at each\n"+
			"population and prints a summary of returns per agent type. With --out, also writes one\n"+
			"JSON object per step: population, episode, t, actions, rewards, terminated, truncated\n"+
			"and alive flags and entity masks per agent (and observations with --obs, including a t = 0 record\n"+
			"holding the first observation of each episode).")
	var pops multiFlag
	fs.Var(&pops, "population", "a population to play, such as `agents=3` or adversaries=3,good=1 (repeat for several;\ndefault: the scenario's training populations)")
	episodes := fs.Int("episodes", 10, "episodes per population")
	seed := fs.Uint64("seed", 0, "root seed of the episodes and the random agents (default: the scenario's seed)")
	out := fs.String("out", "", "write the steps as JSON lines to `FILE.jsonl` (- for standard output)")
	withObs := fs.Bool("obs", false, "include observations in the step records")
	files, code, done := c.parse(fs, args)
	if done {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintf(c.stderr, "mrasim rollout: want one scenario file, got %d arguments\n", len(files))
		fs.Usage()
		return ExitUsage
	}
	if *episodes < 1 {
		fmt.Fprintf(c.stderr, "mrasim rollout: --episodes %d: want ≥ 1\n", *episodes)
		return ExitUsage
	}
	s, err := scenarios.Load(files[0])
	if err != nil {
		c.reportScenarioError(err)
		return ExitUsage
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		*seed = s.Seed
	}
	reg, err := env.Lookup(s.Game.Name)
	if err != nil { // cannot happen after Load; kept for safety
		fmt.Fprintf(c.stderr, "mrasim rollout: %v\n", err)
		return ExitUsage
	}
	populations := s.Train.Populations
	if len(pops) > 0 {
		populations = nil
		listed := map[string]string{}
		for _, text := range pops {
			p, err := env.ParsePopulation(text)
			if err == nil {
				p, err = reg.Population(p)
			}
			if err != nil {
				fmt.Fprintf(c.stderr, "mrasim rollout: --population %s: %v\n", text, err)
				return ExitUsage
			}
			// Its steps would be written twice under one name.
			if first, ok := listed[p.String()]; ok {
				fmt.Fprintf(c.stderr, "mrasim rollout: --population %s and --population %s are the same population %v; give each once\n", first, text, p)
				return ExitUsage
			}
			listed[p.String()] = text
			populations = append(populations, p)
		}
	}

	summaryOut := c.stdout
	var steps *bufio.Writer
	var file *os.File
	switch *out {
	case "":
	case "-":
		steps = bufio.NewWriter(c.stdout)
		summaryOut = c.stderr
	default:
		file, err = os.Create(*out)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim rollout: %v\n", err)
			return ExitFailure
		}
		defer file.Close()
		steps = bufio.NewWriter(file)
	}

	fmt.Fprintf(summaryOut, "%s: game %s, %d episodes per population, random agents, seed %d\n", s.File, s.Game.Name, *episodes, *seed)
	for k, pop := range populations {
		g, err := reg.Make(s.Game.Params, pop)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim rollout: --population %v: %v\n", pop, err)
			return ExitUsage
		}
		popSeed := env.SubSeed(*seed, uint64(k))
		var observe agents.Observer
		if steps != nil {
			observe = stepWriter(steps, g, pop.String(), *withObs)
		}
		returns, lengths, err := agents.Play(g, agents.NewRandom(env.SubSeed(popSeed, math.MaxUint64)), popSeed, *episodes, observe)
		if err != nil {
			fmt.Fprintf(c.stderr, "mrasim rollout: writing %s: %v\n", *out, err)
			return ExitFailure
		}
		summarise(summaryOut, g.Spec(), returns, lengths)
	}
	if steps != nil {
		if err := steps.Flush(); err != nil {
			fmt.Fprintf(c.stderr, "mrasim rollout: writing %s: %v\n", *out, err)
			return ExitFailure
		}
	}
	if file != nil {
		if err := file.Close(); err != nil {
			fmt.Fprintf(c.stderr, "mrasim rollout: writing %s: %v\n", *out, err)
			return ExitFailure
		}
	}
	return ExitOK
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
	fmt.Fprintf(w, "\npopulation %v: %d episodes, mean length %.2f steps\n", spec.Population, len(returns), meanLen)
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

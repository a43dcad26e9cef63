package particle

import (
	"math"

	"github.com/mrasim/mrasim/env"
)

// nearestParam is the observe_nearest parameter of every particle game:
// an observer's blocks of each entity set show only the k
// entities of that set nearest to it, so the networks' entity rows grow as
// N·k instead of N². sets names the sets it cuts, for the game's doc.
func nearestParam(sets string) env.Param {
	return env.Param{Name: "observe_nearest", Kind: env.Int, Default: 0, Min: 0, Max: maxAgents,
		Doc: "each agent observes, of each entity set (" + sets + "), only the k entities nearest to it, nearest first (ties by index), " +
			"so the networks' cost grows as N·k instead of N²; a set of at most k entities is observed whole, in index order, exactly as without it; " +
			"0 (the default, as the original) observes all. MRA's critic then sees a cut set's rows as entities, not as the agents whose actions it mixes"}
}

// picker chooses which entities of a set an observer's blocks show: all of
// them in index order, or with observe_nearest = k the k nearest, nearest
// first. Its scratch makes choosing allocate nothing; a game has one picker
// and uses each choice before making the next.
type picker struct {
	k    int       // observe_nearest: 0 observes all
	idx  []int     // the chosen entities
	dist []float64 // their squared distances, while choosing
}

// newPicker returns a picker for observe_nearest = k whose sets hold at
// most most entities.
func newPicker(k, most int) picker {
	return picker{k: k, idx: make([]int, most), dist: make([]float64, most)}
}

// blocks returns how many blocks a set of n candidates gets: n, or k when
// observe_nearest = k cuts it (0 < k < n).
func (p *picker) blocks(n int) int {
	if p.k > 0 && p.k < n {
		return p.k
	}
	return n
}

// pick returns the entities of lo … hi−1 other than skip that observer i's
// blocks of the set show, in block order. When the set is not cut, that is
// all of them in index order. Otherwise it is the blocks(n) entities
// nearest to entity i by squared distance in w, nearest first, the lower
// index first on a tie; when live is given, an entity e with !live[e]
// ranks after every live one, as if infinitely far. The slice is the
// picker's scratch, valid until the next pick.
func (p *picker) pick(w *World, i, lo, hi, skip int, live []bool) []int {
	n := hi - lo
	if skip >= lo && skip < hi {
		n--
	}
	k := p.blocks(n)
	near, d := p.idx[:k], p.dist[:k]
	if k == n {
		m := 0
		for e := lo; e < hi; e++ {
			if e != skip {
				near[m] = e
				m++
			}
		}
		return near
	}
	// Insertion into a sorted list of the k best so far: O(n·k), no
	// allocation; a strict < keeps the lower index first on ties.
	xi, yi := w.PX[i], w.PY[i]
	m := 0
	for e := lo; e < hi; e++ {
		if e == skip {
			continue
		}
		de := math.Inf(1)
		if live == nil || live[e] {
			dx, dy := w.PX[e]-xi, w.PY[e]-yi
			de = dx*dx + dy*dy
		}
		if m == k && !(de < d[m-1]) {
			continue
		}
		q := min(m, k-1)
		for q > 0 && de < d[q-1] {
			d[q], near[q] = d[q-1], near[q-1]
			q--
		}
		d[q], near[q] = de, e
		m = min(m+1, k)
	}
	return near
}

// whole reports whether a set of n entities is shown whole (not cut to
// the nearest few), so that an observer sees every one of them.
func (p *picker) whole(n int) bool { return p.blocks(n) == n }

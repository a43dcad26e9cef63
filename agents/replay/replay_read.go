package replay

import (
	"fmt"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// readBody reads what writeBody wrote into f, keeping live transitions and
// needed records.
func (f *Buffer) readBody(d *checkpoint.Decoder) error {
	tFrom, tTo := int64(d.Uint64()), int64(d.Uint64())
	if err := d.Err(); err != nil {
		return err
	}
	if tFrom < 0 || tFrom > tTo || tTo > f.total {
		return fmt.Errorf("replay: replay transitions %d … %d outside the %d added", tFrom, tTo, f.total)
	}
	r := &bodyReader{f: f, d: d, live: f.liveFrom()}
	for c0 := tFrom; c0 < tTo; c0 += chunkLen {
		if err := r.transitions(c0, min(tTo, c0+chunkLen)); err != nil {
			return err
		}
	}
	return r.records()
}

// bodyReader reads the blocks of a buffer body written by writeBody into
// f, keeping the transitions still live (from live on) and dropping the
// older ones a smaller buffer no longer holds.
type bodyReader struct {
	f    *Buffer
	d    *checkpoint.Decoder
	live int64 // the first transition f keeps
	c0   int64 // the first transition of the block being read
	m    int   // the transitions of the block being read
}

// check returns the decoder's error, or an error when a block holds got
// values of what where want were expected.
func (r *bodyReader) check(what string, got, want int) error {
	if err := r.d.Err(); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("replay: replay block holds %d %s where %d were expected", got, what, want)
	}
	return nil
}

// slot returns the buffer slot of the block's transition j, and false
// when f no longer keeps it.
func (r *bodyReader) slot(j int) (int, bool) {
	q := r.c0 + int64(j)
	return int(q % int64(r.f.Capacity)), q >= r.live
}

// scatter32 reads width float32s per transition into dst.
func (r *bodyReader) scatter32(dst []float32, width int, what string) error {
	v := r.d.Float32s()
	if err := r.check(what, len(v), r.m*width); err != nil {
		return err
	}
	for j := range r.m {
		if s, ok := r.slot(j); ok {
			copy(dst[s*width:(s+1)*width], v[j*width:(j+1)*width])
		}
	}
	return nil
}

// scatterFlags reads width flags (bytes 0 or 1) per transition into dst.
func (r *bodyReader) scatterFlags(dst []bool, width int, what string) error {
	v := r.d.Bytes()
	if err := r.check(what, len(v), r.m*width); err != nil {
		return err
	}
	for j := range r.m {
		if s, ok := r.slot(j); ok {
			for i, x := range v[j*width : (j+1)*width] {
				dst[s*width+i] = x == 1
			}
		}
	}
	return nil
}

// transitions reads the block of transitions c0 … c1−1.
func (r *bodyReader) transitions(c0, c1 int64) error {
	f := r.f
	n, en := f.Enc.N, f.Enc.E
	r.c0, r.m = c0, int(c1-c0)
	if err := r.observations(); err != nil {
		return err
	}
	actions := r.d.Ints()
	if err := r.check("actions", len(actions), r.m*n); err != nil {
		return err
	}
	rewards := r.d.Float64s()
	if err := r.check("rewards", len(rewards), r.m*n); err != nil {
		return err
	}
	for j := range r.m {
		if s, ok := r.slot(j); ok {
			for i := range n {
				f.action[s*n+i] = int32(actions[j*n+i])
			}
			copy(f.reward[s*n:(s+1)*n], rewards[j*n:(j+1)*n])
		}
	}
	if err := r.scatterFlags(f.done, n, "done flags"); err != nil {
		return err
	}
	if err := r.scatterFlags(f.alive, n, "alive flags"); err != nil {
		return err
	}
	if err := r.scatter32(f.graph, n*en, "relation weights"); err != nil {
		return err
	}
	// Latents are stored per transition in files and deduplicated
	// again on the way in, in time order as when they were added.
	lats := r.d.Float32s()
	if err := r.check("latents", len(lats), r.m*n*f.k); err != nil {
		return err
	}
	w := n * f.k
	for j := range r.m {
		if s, ok := r.slot(j); ok {
			setLatentOf(f, s, lats[j*w:(j+1)*w])
		}
	}
	return nil
}

// observations reads the block's observations: the references to state
// records of a buffer of states, or the observations and entity flags.
func (r *bodyReader) observations() error {
	f := r.f
	if f.st == nil {
		if err := r.scatter32(f.obs, f.obsLen, "observations"); err != nil {
			return err
		}
		if err := r.scatter32(f.nextObs, f.obsLen, "next observations"); err != nil {
			return err
		}
		if err := r.scatterFlags(f.ents, f.entLen, "entity flags"); err != nil {
			return err
		}
		return r.scatterFlags(f.nextEnts, f.entLen, "next entity flags")
	}
	for _, refs := range [][]int64{f.st.prevRec, f.st.nextRec} {
		v := r.d.Ints()
		if err := r.check("state references", len(v), r.m); err != nil {
			return err
		}
		for j, ref := range v {
			if s, ok := r.slot(j); ok {
				if int64(ref) < f.st.head || int64(ref) >= f.st.seq {
					return fmt.Errorf("replay: replay transition %d refers to state record %d outside %d … %d", r.c0+int64(j), ref, f.st.head, f.st.seq)
				}
				refs[s] = int64(ref)
			}
		}
	}
	return nil
}

// records reads the state records that follow the transitions (none for a
// buffer of observations).
func (r *bodyReader) records() error {
	f, d := r.f, r.d
	rFrom, rTo := int64(d.Uint64()), int64(d.Uint64())
	if err := d.Err(); err != nil {
		return err
	}
	if rFrom < 0 || rFrom > rTo || (f.st == nil && rTo != 0) || (f.st != nil && rTo > f.st.seq) {
		return fmt.Errorf("replay: replay state records %d … %d do not fit this buffer", rFrom, rTo)
	}
	for c0 := rFrom; c0 < rTo; c0 += chunkLen {
		c1 := min(rTo, c0+chunkLen)
		v := d.Bytes()
		if err := r.check("state bytes", len(v), int(c1-c0)*f.st.recLen); err != nil {
			return err
		}
		for q := c0; q < c1; q++ {
			if q >= f.st.head {
				j := int(q-c0) * f.st.recLen
				copy(f.st.record(q), v[j:j+f.st.recLen])
			}
		}
	}
	return nil
}

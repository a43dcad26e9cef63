package replay

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mrasim/mrasim/internal/checkpoint"
	"github.com/mrasim/mrasim/internal/fsutil"
)

// How replay buffers are saved (trainer state version 3).
//
// A buffer's section of the trainer state starts with a negative marker
// (version 2 started with the number of transitions held, never negative,
// and still loads): markInline is followed by the transitions held and the
// state records they need, in time order; markSegmented by a manifest of
// segment files in the run folder, each an append-only, checksummed
// checkpoint file (kind SegmentKind) holding the transitions and state
// records added between two checkpoints. Writing a checkpoint then writes
// only what is new: the segment of the transitions added since the last
// one.
//
// A transition is identified by its sequence number q (transitions ever
// added before it); it sits in slot q mod Capacity, so a wrapped ring is
// rebuilt by replaying the segments in order, skipping transitions that a
// later one has overwritten (q < total − len). A segment stays in the
// manifest while it holds a live transition or a state record a live
// transition needs; once neither, it is dropped from the manifest and its
// file deleted after the checkpoint that no longer needs it is written
// (PruneSegments). The manifest records each segment's SHA-256, so a
// damaged, missing or foreign segment is refused, naming the file.

// SegmentKind is the checkpoint kind of replay segment files.
const SegmentKind = "mra-replay-segment"

// SegmentVersion is the layout version of replay segment files.
const SegmentVersion = 1

const (
	markInline    = -1
	markSegmented = -2
)

// chunkLen is the most transitions or records encoded in one block, which
// bounds the scratch memory of saving.
const chunkLen = 1024

// segment is one segment file of a buffer.
type segment struct {
	name       string
	tFrom, tTo int64 // transitions [tFrom, tTo)
	rFrom, rTo int64 // state records [rFrom, rTo)
	sum        []byte
}

// segmentState is what a buffer has written to segments.
type segmentState struct {
	segs   []segment
	savedT int64 // transitions written so far
	savedR int64 // records written so far
}

// liveFrom returns the sequence number of the oldest transition held.
func (b *Buffer) liveFrom() int64 { return b.total - int64(b.len) }

// recordsFrom returns the oldest state record a live transition needs.
func (b *Buffer) recordsFrom() int64 {
	if b.st == nil {
		return 0
	}
	return b.oldestNeeded()
}

// seqRecords returns the records appended so far.
func (b *Buffer) seqRecords() int64 {
	if b.st == nil {
		return 0
	}
	return b.st.seq
}

// writeHeader writes what both layouts start with.
func (b *Buffer) writeHeader(e *checkpoint.Encoder, mark int) {
	e.Int(mark)
	e.String(b.Mode())
	e.Uint64(uint64(b.total))
	e.Int(b.len)
	e.Int(b.next)
	if b.st != nil {
		e.Int(b.st.recLen)
		e.Uint64(uint64(b.st.seq))
		e.Uint64(uint64(b.recordsFrom()))
	}
}

// SaveInline writes the whole buffer into e.
func (b *Buffer) SaveInline(e *checkpoint.Encoder) {
	b.writeHeader(e, markInline)
	b.writeBody(e, b.liveFrom(), b.total, b.recordsFrom(), b.seqRecords())
}

// writeBody writes transitions [tFrom, tTo) and records [rFrom, rTo).
func (b *Buffer) writeBody(e *checkpoint.Encoder, tFrom, tTo, rFrom, rTo int64) {
	n, en := b.Enc.N, b.Enc.E
	e.Uint64(uint64(tFrom))
	e.Uint64(uint64(tTo))
	var f32 []float32
	var flags []byte
	var ints []int
	var f64 []float64
	for c0 := tFrom; c0 < tTo; c0 += chunkLen {
		c1 := min(tTo, c0+chunkLen)
		gather32 := func(src []float32, width int) {
			f32 = f32[:0]
			for q := c0; q < c1; q++ {
				s := int(q % int64(b.Capacity))
				f32 = append(f32, src[s*width:(s+1)*width]...)
			}
			e.Float32s(f32)
		}
		gatherFlags := func(src []bool, width int) {
			flags = flags[:0]
			for q := c0; q < c1; q++ {
				s := int(q % int64(b.Capacity))
				for _, v := range src[s*width : (s+1)*width] {
					flags = append(flags, boolByte(v))
				}
			}
			e.Bytes(flags)
		}
		if b.st != nil {
			for _, refs := range [][]int64{b.st.prevRec, b.st.nextRec} {
				ints = ints[:0]
				for q := c0; q < c1; q++ {
					ints = append(ints, int(refs[q%int64(b.Capacity)]))
				}
				e.Ints(ints)
			}
		} else {
			gather32(b.obs, b.obsLen)
			gather32(b.nextObs, b.obsLen)
			gatherFlags(b.ents, b.entLen)
			gatherFlags(b.nextEnts, b.entLen)
		}
		ints, f64 = ints[:0], f64[:0]
		for q := c0; q < c1; q++ {
			s := int(q % int64(b.Capacity))
			for _, a := range b.action[s*n : (s+1)*n] {
				ints = append(ints, int(a))
			}
			f64 = append(f64, b.reward[s*n:(s+1)*n]...)
		}
		e.Ints(ints)
		e.Float64s(f64)
		gatherFlags(b.done, n)
		gatherFlags(b.alive, n)
		gather32(b.graph, n*en)
		f32 = f32[:0]
		for q := c0; q < c1; q++ {
			f32 = append(f32, b.lat.entry(b.latIdx[q%int64(b.Capacity)])...)
		}
		e.Float32s(f32)
	}
	e.Uint64(uint64(rFrom))
	e.Uint64(uint64(rTo))
	for c0 := rFrom; c0 < rTo; c0 += chunkLen {
		c1 := min(rTo, c0+chunkLen)
		flags = flags[:0]
		for q := c0; q < c1; q++ {
			flags = append(flags, b.st.record(q)...)
		}
		e.Bytes(flags)
	}
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// header is a decoded buffer header.
type header struct {
	mode          string
	total         int64
	length, next  int
	recLen        int
	seq, recsFrom int64
}

func (b *Buffer) readHeader(d *checkpoint.Decoder) (header, error) {
	var h header
	h.mode = d.String()
	h.total, h.length, h.next = int64(d.Uint64()), d.Int(), d.Int()
	if h.mode == ModeStates {
		h.recLen, h.seq, h.recsFrom = d.Int(), int64(d.Uint64()), int64(d.Uint64())
	}
	if err := d.Err(); err != nil {
		return h, err
	}
	if h.mode == ModeObservations && b.st != nil {
		// A run that started with observations (one resumed from a
		// version 2 checkpoint) keeps them: they cannot become states.
		b.Close()
		*b = *NewBuffer(b.Enc, b.Capacity, b.k)
	}
	if h.mode != b.Mode() {
		return h, fmt.Errorf("replay: the checkpoint's replay buffer stores %s, this run's stores %s (algo.replay must stay as the run started)", h.mode, b.Mode())
	}
	if h.length < 0 || h.length > b.Capacity || h.next < 0 || h.next >= b.Capacity || h.total < int64(h.length) ||
		int64(h.next) != h.total%int64(b.Capacity) {
		return h, fmt.Errorf("replay: replay buffer of %d transitions (next %d, %d added) does not fit a capacity of %d", h.length, h.next, h.total, b.Capacity)
	}
	if b.st != nil && (h.recLen != b.st.recLen || h.recsFrom < 0 || h.recsFrom > h.seq) {
		return h, fmt.Errorf("replay: replay buffer of game states of %d bytes (records %d … %d), this game's are %d bytes", h.recLen, h.recsFrom, h.seq, b.st.recLen)
	}
	// Each live transition needs at most two records (its state and the
	// next, when an episode starts) and each game copy one: a header
	// claiming more is damaged, and its record ring is never allocated.
	if b.st != nil {
		if most := 2 * (int64(h.length) + int64(len(b.st.cur))); h.seq-h.recsFrom > most {
			return h, fmt.Errorf("replay: replay buffer needs game states %d … %d, more than the %d that %d transitions can refer to", h.recsFrom, h.seq, most, h.length)
		}
	}
	return h, nil
}

// fresh returns an empty buffer shaped as b, ready for h's contents.
func (b *Buffer) fresh(h header) *Buffer {
	f := &Buffer{Enc: b.Enc, Capacity: b.Capacity, obsLen: b.obsLen, entLen: b.entLen, k: b.k, mean: b.mean, std: b.std}
	if b.st != nil {
		st := *b.st
		st.prevRec, st.nextRec = nil, nil
		st.seq, st.head = h.seq, h.recsFrom
		st.recCap = max(h.seq-h.recsFrom, 64)
		st.rec = make([]byte, int(st.recCap)*st.recLen)
		st.cur = make([]int64, len(b.st.cur))
		for i := range st.cur {
			st.cur[i] = -1
		}
		f.st = &st
	}
	if h.length > 0 {
		f.grow(h.length - 1)
	}
	f.len, f.next, f.total = h.length, h.next, h.total
	return f
}

// SaveSegmented writes the transitions and records added since the last
// segment to a new segment file in dir, named after prefix, and the
// buffer's header and manifest into e.
func (b *Buffer) SaveSegmented(e *checkpoint.Encoder, dir, prefix string) error {
	ss := &b.segs
	tFrom, rFrom := max(ss.savedT, b.liveFrom()), max(ss.savedR, b.recordsFrom())
	if b.total > tFrom || b.seqRecords() > rFrom {
		name := fmt.Sprintf("%s-%012d-%012d.seg", prefix, tFrom, b.total)
		path := filepath.Join(dir, name)
		err := checkpoint.WriteFile(path, SegmentKind, SegmentVersion, func(w io.Writer) error {
			se := checkpoint.NewEncoder(w)
			b.writeBody(se, tFrom, b.total, rFrom, b.seqRecords())
			return se.Err()
		})
		if err != nil {
			return fmt.Errorf("replay: writing replay segment: %w", err)
		}
		sum, err := fileSum(path)
		if err != nil {
			return err
		}
		ss.segs = append(ss.segs, segment{name: name, tFrom: tFrom, tTo: b.total, rFrom: rFrom, rTo: b.seqRecords(), sum: sum})
		ss.savedT, ss.savedR = b.total, b.seqRecords()
	}
	// Drop the segments nothing live needs any more.
	live, recs := b.liveFrom(), b.recordsFrom()
	kept := ss.segs[:0]
	for _, s := range ss.segs {
		if s.tTo > live || s.rTo > recs {
			kept = append(kept, s)
		}
	}
	ss.segs = kept
	b.writeHeader(e, markSegmented)
	e.Int(len(ss.segs))
	for _, s := range ss.segs {
		e.String(s.name)
		for _, v := range []int64{s.tFrom, s.tTo, s.rFrom, s.rTo} {
			e.Uint64(uint64(v))
		}
		e.Bytes(s.sum)
	}
	return nil
}

// fileSum returns the SHA-256 a checkpoint file ends with.
func fileSum(path string) ([]byte, error) {
	f, st, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum := make([]byte, 32)
	if st.Size() < 32 {
		return nil, fmt.Errorf("replay: replay segment %s: %d bytes is too short", path, st.Size())
	}
	if _, err := f.ReadAt(sum, st.Size()-32); err != nil {
		return nil, fmt.Errorf("replay: replay segment %s: %w", path, err)
	}
	return sum, nil
}

// loadSegmented reads a manifest from d and the segments it names from dir
// into a fresh buffer, which replaces b only when everything checked.
func (b *Buffer) loadSegmented(d *checkpoint.Decoder, dir string) error {
	h, err := b.readHeader(d)
	if err != nil {
		return err
	}
	count := d.Int()
	if err := d.Err(); err != nil {
		return err
	}
	if count < 0 || count > 1<<20 {
		return fmt.Errorf("replay: replay manifest of %d segments", count)
	}
	var segs []segment
	for range count {
		var s segment
		s.name = d.String()
		s.tFrom, s.tTo, s.rFrom, s.rTo = int64(d.Uint64()), int64(d.Uint64()), int64(d.Uint64()), int64(d.Uint64())
		s.sum = d.Bytes()
		if err := d.Err(); err != nil {
			return err
		}
		if s.name != filepath.Base(s.name) || !strings.HasSuffix(s.name, ".seg") {
			return fmt.Errorf("replay: replay manifest names a segment %q outside the run folder", s.name)
		}
		segs = append(segs, s)
	}
	if dir == "" {
		return fmt.Errorf("replay: the checkpoint keeps its replay buffer in segment files; load it with the run folder (LoadFrom)")
	}
	f := b.fresh(h)
	// Every live transition and needed record must come from some segment.
	wantT, wantR := f.liveFrom(), h.recsFrom
	for _, s := range segs {
		path := filepath.Join(dir, s.name)
		payload, _, err := checkpoint.ReadFile(path, SegmentKind, SegmentVersion)
		if err != nil {
			return fmt.Errorf("replay: replay segment: %w", err) // err names the file
		}
		if sum, err := fileSum(path); err != nil || string(sum) != string(s.sum) {
			return fmt.Errorf("replay: replay segment %s is not the one the checkpoint was written with (checksum differs)", path)
		}
		sd := checkpoint.NewDecoder(payload)
		if err := f.readBody(sd); err != nil {
			return fmt.Errorf("replay: replay segment %s: %w", path, err)
		}
		if err := sd.Done(); err != nil {
			return fmt.Errorf("replay: replay segment %s: %w", path, err)
		}
		if s.tFrom > wantT || s.rFrom > wantR {
			return fmt.Errorf("replay: replay segment %s starts at transition %d and record %d, but %d and %d are missing before it", path, s.tFrom, s.rFrom, wantT, wantR)
		}
		wantT, wantR = max(wantT, s.tTo), max(wantR, s.rTo)
	}
	if wantT < h.total || (f.st != nil && wantR < h.seq) {
		return fmt.Errorf("replay: the replay segments in %s end at transition %d and record %d, the checkpoint has %d and %d", dir, wantT, wantR, h.total, h.seq)
	}
	f.segs = segmentState{segs: segs, savedT: h.total, savedR: h.seq}
	*b = *f
	return nil
}

// loadInline reads what SaveInline wrote (after the marker).
func (b *Buffer) loadInline(d *checkpoint.Decoder) error {
	h, err := b.readHeader(d)
	if err != nil {
		return err
	}
	f := b.fresh(h)
	if err := f.readBody(d); err != nil {
		return err
	}
	*b = *f
	return nil
}

// PruneSegments deletes the replay segment files of prefix in dir that
// the buffer's manifest no longer names. Call it after the checkpoint
// written with that manifest is safely in place.
func (b *Buffer) PruneSegments(dir, prefix string) error {
	keep := map[string]bool{}
	for _, s := range b.segs.segs {
		keep[s.name] = true
	}
	// The folder is listed and names matched as strings: dir is the
	// user's path and may hold glob characters ("runs/exp?", "runs/a[1"),
	// which a pattern built from it would match against other folders.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("replay: listing the replay segments: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !isSegmentOf(name, prefix) || keep[name] || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replay: removing the replay segment no checkpoint needs: %w", err)
		}
	}
	return nil
}

// isSegmentOf reports whether name is a segment file name of prefix:
// PREFIX-….seg, as SaveSegmented names them.
func isSegmentOf(name, prefix string) bool {
	return strings.HasPrefix(name, prefix+"-") && strings.HasSuffix(name, ".seg") && len(name) > len(prefix)+len("-.seg")
}

// Package render draws particle worlds: a particle.Scene (agents,
// landmarks, food, deposits, treasures with their colours and sizes; each
// agent in its type's colour, as a 2-pixel ring where its fill shows a
// state such as a carried treasure; dead agents as grey rings) plus an
// optional Overlay of per-agent edges, labels and a caption, into
// paletted images that encode as animated GIFs or PNGs.
//
// Edges are what an agent attends to: an edge from agent i to entity j of
// weight w ∈ [0, 1] is drawn only where w > Options.EdgeThreshold (and
// w > 0), as a band max(2, w·Options.EdgeWidth) pixels wide in a dark
// shade of i's type colour (EdgeColour), on the right-hand side of the
// line from i to j (as seen looking from i towards j), so that i→j and
// j→i lie side by side. The caller
// decides what the weights mean (mrasim feeds it MRA's relation graphs);
// this package knows nothing of learning.
//
// Images use one fixed palette (Renderer.Palette) that holds every colour
// of particle.Colours exactly, so encoding needs no quantisation and an
// entity's pixels have exactly its colour. Shapes are rasterised with
// golang.org/x/image/vector and thresholded at half coverage (no
// anti-aliasing, for the same reason); text uses the 7×13 fixed font of
// golang.org/x/image/font/basicfont, ASCII only.
//
// Package render is not a game viewer with a window, and it does not play
// games: the caller steps the game and hands over one Scene per frame.
package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/mrasim/mrasim/env/particle"
)

// Defaults of Options.
const (
	DefaultSize          = 480  // pixels across the world view
	DefaultExtent        = 1.25 // world units from the centre to each side of the view
	DefaultEdgeThreshold = 0.1  // weights at or below this draw no edge
	DefaultEdgeWidth     = 8    // pixels of an edge of weight 1
)

// Options configure a Renderer; zero fields take the defaults.
type Options struct {
	Size          int     // width and height of the world view in pixels, at least 64 (default DefaultSize)
	Extent        float64 // the view shows [−Extent, Extent]² in world units (default DefaultExtent)
	EdgeThreshold float64 // an edge is drawn only where its weight exceeds this and 0 (default DefaultEdgeThreshold; negative: every positive weight)
	EdgeWidth     float64 // width in pixels of an edge of weight 1 (default DefaultEdgeWidth)
	CaptionLines  int     // lines of text in the caption strip under the view (0: none)
}

// Edge is one weighted arrow of an Overlay: agent From attends to scene
// entity To with weight Weight (drawn only above the threshold).
type Edge struct {
	From, To int
	Weight   float64
}

// Overlay is what is drawn over a scene besides the entities.
type Overlay struct {
	Edges   []Edge
	Labels  []string // per agent (index = agent), drawn beside it; "" or a short slice: none
	Caption []string // lines under the view; lines beyond Options.CaptionLines are dropped
}

// Palette indices of the renderer's own colours.
const (
	idxBackground = iota
	idxText
	idxFrame
	idxDead
	numFixed
)

const (
	lineHeight   = 14 // caption line spacing in pixels
	captionPad   = 6  // pixels above and below the caption text
	coverageHalf = 0x80
)

// Renderer draws scenes into paletted images. It keeps scratch buffers, so
// it is not safe for concurrent use; frames after the first allocate
// nothing but the image (Draw into a reused image allocates nothing).
type Renderer struct {
	opts    Options
	scale   float64 // pixels per world unit
	palette color.Palette
	index   map[color.RGBA]uint8
	bg      []uint8 // background pixels, copied into every frame
	z       vector.Rasterizer
	mask    image.Alpha // the box being drawn, in image coordinates, and the coverage buffer
	cover   image.Alpha // the same buffer at the origin, as the rasterizer wants it
	order   []int       // scratch: non-agent entities, largest first
}

// New returns a renderer, or an error naming the option that is out of
// range.
func New(opts Options) (*Renderer, error) {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	if opts.Extent == 0 {
		opts.Extent = DefaultExtent
	}
	if opts.EdgeThreshold == 0 {
		opts.EdgeThreshold = DefaultEdgeThreshold
	}
	if opts.EdgeWidth == 0 {
		opts.EdgeWidth = DefaultEdgeWidth
	}
	switch {
	case opts.Size < 64 || opts.Size > 4096:
		return nil, fmt.Errorf("render: size %d pixels, want 64 … 4096", opts.Size)
	case !(opts.Extent > 0) || math.IsInf(opts.Extent, 0):
		return nil, fmt.Errorf("render: extent %g, want a finite number > 0", opts.Extent)
	case math.IsNaN(opts.EdgeThreshold) || opts.EdgeThreshold >= 1:
		return nil, fmt.Errorf("render: edge threshold %g, want < 1 (weights are in [0, 1])", opts.EdgeThreshold)
	case !(opts.EdgeWidth > 0) || opts.EdgeWidth > 100:
		return nil, fmt.Errorf("render: edge width %g pixels, want (0, 100]", opts.EdgeWidth)
	case opts.CaptionLines < 0 || opts.CaptionLines > 20:
		return nil, fmt.Errorf("render: %d caption lines, want 0 … 20", opts.CaptionLines)
	}
	r := &Renderer{opts: opts, scale: float64(opts.Size) / (2 * opts.Extent), index: map[color.RGBA]uint8{}}
	fixedColours := []color.RGBA{
		idxBackground: {255, 255, 255, 255},
		idxText:       {0, 0, 0, 255},
		idxFrame:      {215, 215, 215, 255},
		idxDead:       {160, 160, 160, 255},
	}
	for _, c := range fixedColours {
		r.add(c)
	}
	for _, c := range particle.Colours() {
		r.add(c)
		r.add(EdgeColour(c))
	}
	r.background()
	return r, nil
}

// add appends c to the palette unless it is there already.
func (r *Renderer) add(c color.RGBA) {
	if _, ok := r.index[c]; ok {
		return
	}
	r.index[c] = uint8(len(r.palette))
	r.palette = append(r.palette, c)
}

// EdgeColour is the colour of the edges of agents whose type colour is c:
// c darkened to 60%.
func EdgeColour(c color.RGBA) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * 0.6), uint8(float64(c.G) * 0.6), uint8(float64(c.B) * 0.6), 255}
}

// Palette returns the fixed palette of every image the renderer draws.
func (r *Renderer) Palette() color.Palette { return r.palette }

// Bounds returns the rectangle of every image: the world view and, below
// it, the caption strip.
func (r *Renderer) Bounds() image.Rectangle {
	h := r.opts.Size
	if r.opts.CaptionLines > 0 {
		h += r.opts.CaptionLines*lineHeight + 2*captionPad
	}
	return image.Rect(0, 0, r.opts.Size, h)
}

// NewImage returns a blank image for Draw.
func (r *Renderer) NewImage() *image.Paletted {
	return image.NewPaletted(r.Bounds(), r.palette)
}

// view is the rectangle of the world view, above the caption.
func (r *Renderer) view() image.Rectangle { return image.Rect(0, 0, r.opts.Size, r.opts.Size) }

// Pixel returns the pixel of the world point (x, y): the view's centre is
// the world's origin and y grows upwards.
func (r *Renderer) Pixel(x, y float64) (px, py float64) {
	e := r.opts.Extent
	return (x + e) * r.scale, (e - y) * r.scale
}

// colour returns the palette index of c: exact when c is in the palette,
// otherwise the nearest colour (which is then cached).
func (r *Renderer) colour(c color.RGBA) uint8 {
	if i, ok := r.index[c]; ok {
		return i
	}
	i := uint8(r.palette.Index(c))
	r.index[c] = i
	return i
}

// background draws the blank frame: white, the square [−1, 1]² in which
// the games start their entities outlined in light grey, and a line over
// the caption strip.
func (r *Renderer) background() {
	img := r.NewImage()
	x0, y0 := r.Pixel(-1, 1)
	x1, y1 := r.Pixel(1, -1)
	box := image.Rect(int(x0)-1, int(y0)-1, int(x1)+2, int(y1)+2)
	if r.begin(img, box) {
		r.rect(x0, y0, x1, y1, 1)
		r.paint(img, idxFrame)
	}
	if r.opts.CaptionLines > 0 {
		s := r.opts.Size
		for x := range s {
			img.Pix[img.PixOffset(x, s)] = idxFrame
		}
	}
	r.bg = img.Pix
}

// Draw draws scene s and overlay ov (which may be nil) into dst, which must
// have the renderer's Bounds and Palette (NewImage).
func (r *Renderer) Draw(dst *image.Paletted, s *particle.Scene, ov *Overlay) {
	if dst.Rect != r.Bounds() || len(dst.Palette) != len(r.palette) {
		panic("render: Draw into an image that NewImage did not make")
	}
	copy(dst.Pix, r.bg)
	// Non-agents, largest first, so that small food shows over large
	// resources.
	r.order = r.order[:0]
	for e, ent := range s.Entities {
		if ent.Type < 0 {
			r.order = append(r.order, e)
		}
	}
	slices.SortStableFunc(r.order, func(a, b int) int {
		sa, sb := s.Entities[a].Size, s.Entities[b].Size
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	for _, e := range r.order {
		ent := &s.Entities[e]
		r.landmark(dst, ent.X, ent.Y, ent.Size, ent.Colour)
	}
	for _, e := range r.order {
		// Labels over every disc, centred on their entity.
		if ent := &s.Entities[e]; ent.Label != "" {
			cx, cy := r.Pixel(ent.X, ent.Y)
			r.text(dst, r.view(), int(cx)-textWidth(ent.Label)/2, int(cy)+4, ent.Label)
		}
	}
	if ov != nil {
		r.edges(dst, s, ov.Edges)
	}
	for i := range s.Entities {
		if ent := &s.Entities[i]; ent.Type >= 0 {
			r.agent(dst, s, ent)
		}
	}
	if ov != nil {
		for i, l := range ov.Labels {
			if l == "" || i >= len(s.Entities) || s.Entities[i].Type < 0 || !s.Entities[i].Alive {
				continue
			}
			ent := &s.Entities[i]
			cx, cy := r.Pixel(ent.X, ent.Y)
			rad := r.radius(ent.Size) * 0.7
			x := int(cx+rad) + 1
			if w := textWidth(l); x+w > r.opts.Size {
				x = int(cx-rad) - 1 - w // no room on the right: left of the agent
			}
			r.text(dst, r.view(), x, int(cy-rad), l)
		}
		strip := image.Rect(0, r.opts.Size+1, r.opts.Size, dst.Rect.Max.Y)
		for k, line := range ov.Caption {
			if k >= r.opts.CaptionLines {
				break
			}
			r.text(dst, strip, captionPad, r.opts.Size+captionPad+(k+1)*lineHeight-3, line)
		}
	}
}

// radius returns a world radius in pixels, at least 1.5 so that the
// smallest entities stay visible.
func (r *Renderer) radius(size float64) float64 { return max(size*r.scale, 1.5) }

// landmark draws a disc of world centre (x, y), radius size and colour c
// with a one-pixel outline in EdgeColour(c), so that overlapping
// landmarks stay apart.
func (r *Renderer) landmark(dst *image.Paletted, x, y, size float64, c color.RGBA) {
	cx, cy := r.Pixel(x, y)
	rad := r.radius(size)
	box := discBox(cx, cy, rad)
	if !r.begin(dst, box) {
		return
	}
	r.circle(cx, cy, rad, false)
	if rad <= 3 {
		r.paint(dst, r.colour(c))
		return
	}
	r.paint(dst, r.colour(EdgeColour(c)))
	r.begin(dst, box)
	r.circle(cx, cy, rad-1, false)
	r.paint(dst, r.colour(c))
}

// agent draws a live agent as a disc of its type colour with an inner disc
// of its own colour (2 pixels in) where the two differ, and a dead agent
// as a grey ring.
func (r *Renderer) agent(dst *image.Paletted, s *particle.Scene, ent *particle.Entity) {
	cx, cy := r.Pixel(ent.X, ent.Y)
	rad := r.radius(ent.Size)
	if !r.begin(dst, discBox(cx, cy, rad)) {
		return
	}
	if !ent.Alive {
		r.circle(cx, cy, rad, false)
		r.circle(cx, cy, max(rad-1.5, 0.5), true)
		r.paint(dst, idxDead)
		return
	}
	var typeColour color.RGBA
	if ent.Type < len(s.TypeColours) {
		typeColour = s.TypeColours[ent.Type]
	}
	if typeColour == ent.Colour || typeColour.A == 0 || rad <= 3 {
		r.circle(cx, cy, rad, false)
		r.paint(dst, r.colour(ent.Colour))
		return
	}
	r.circle(cx, cy, rad, false)
	r.paint(dst, r.colour(typeColour))
	r.begin(dst, discBox(cx, cy, rad))
	r.circle(cx, cy, rad-2, false)
	r.paint(dst, r.colour(ent.Colour))
}

// edges draws the edges above the threshold, one rasterisation per edge
// colour (the union of all edges of one agent type).
func (r *Renderer) edges(dst *image.Paletted, s *particle.Scene, edges []Edge) {
	for k := range s.TypeColours {
		box := image.Rectangle{}
		for _, e := range edges {
			if x0, y0, x1, y1, ok := r.edgeEnds(s, e, k); ok {
				pad := r.opts.EdgeWidth*e.Weight + 4
				b := image.Rect(int(min(x0, x1)-pad), int(min(y0, y1)-pad), int(max(x0, x1)+pad)+1, int(max(y0, y1)+pad)+1)
				box = box.Union(b)
			}
		}
		if box.Empty() || !r.begin(dst, box) {
			continue
		}
		for _, e := range edges {
			if x0, y0, x1, y1, ok := r.edgeEnds(s, e, k); ok {
				r.band(x0, y0, x1, y1, max(2, r.opts.EdgeWidth*e.Weight))
			}
		}
		r.paint(dst, r.colour(EdgeColour(s.TypeColours[k])))
	}
}

// edgeEnds returns the pixel ends of edge e when it is drawn and starts at
// an agent of type k.
func (r *Renderer) edgeEnds(s *particle.Scene, e Edge, k int) (x0, y0, x1, y1 float64, ok bool) {
	n := len(s.Entities)
	if !(e.Weight > r.opts.EdgeThreshold && e.Weight > 0) || e.From < 0 || e.From >= n || e.To < 0 || e.To >= n || e.From == e.To {
		return 0, 0, 0, 0, false
	}
	a, b := &s.Entities[e.From], &s.Entities[e.To]
	if a.Type != k || !a.Alive || !b.Alive {
		return 0, 0, 0, 0, false
	}
	x0, y0 = r.Pixel(a.X, a.Y)
	x1, y1 = r.Pixel(b.X, b.Y)
	if math.Hypot(x1-x0, y1-y0) < 1 {
		return 0, 0, 0, 0, false
	}
	return x0, y0, x1, y1, true
}

// discBox is the pixel box around a disc.
func discBox(cx, cy, rad float64) image.Rectangle {
	return image.Rect(int(math.Floor(cx-rad))-1, int(math.Floor(cy-rad))-1, int(math.Ceil(cx+rad))+1, int(math.Ceil(cy+rad))+1)
}

// begin prepares the rasterizer for shapes inside box (clipped to the
// world view) and reports whether anything of box is visible.
func (r *Renderer) begin(dst *image.Paletted, box image.Rectangle) bool {
	box = box.Intersect(dst.Rect).Intersect(r.view())
	if box.Empty() {
		r.mask.Rect = image.Rectangle{}
		return false
	}
	r.mask.Rect = box
	r.z.Reset(box.Dx(), box.Dy())
	return true
}

// circle adds a circle of pixel centre (cx, cy) and radius rad to the
// path, counter-clockwise when ccw (which cuts it out of a clockwise one).
func (r *Renderer) circle(cx, cy, rad float64, ccw bool) {
	const k = 0.5522847498 // cubic Bézier control distance of a quarter circle
	ox, oy := float64(r.mask.Rect.Min.X), float64(r.mask.Rect.Min.Y)
	cx, cy = cx-ox, cy-oy
	s := 1.0
	if ccw {
		s = -1
	}
	f := func(v float64) float32 { return float32(v) }
	r.z.MoveTo(f(cx+rad), f(cy))
	r.z.CubeTo(f(cx+rad), f(cy+s*k*rad), f(cx+k*rad), f(cy+s*rad), f(cx), f(cy+s*rad))
	r.z.CubeTo(f(cx-k*rad), f(cy+s*rad), f(cx-rad), f(cy+s*k*rad), f(cx-rad), f(cy))
	r.z.CubeTo(f(cx-rad), f(cy-s*k*rad), f(cx-k*rad), f(cy-s*rad), f(cx), f(cy-s*rad))
	r.z.CubeTo(f(cx+k*rad), f(cy-s*rad), f(cx+rad), f(cy-s*k*rad), f(cx+rad), f(cy))
	r.z.ClosePath()
}

// band adds the band from (x0, y0) to (x1, y1), w pixels wide, on the
// right-hand side of that direction in the image (y down), starting half a
// pixel off the centre line.
func (r *Renderer) band(x0, y0, x1, y1, w float64) {
	ox, oy := float64(r.mask.Rect.Min.X), float64(r.mask.Rect.Min.Y)
	l := math.Hypot(x1-x0, y1-y0)
	nx, ny := -(y1-y0)/l, (x1-x0)/l // the right-hand normal when y points down
	a, b := 0.5, 0.5+w
	f := func(v float64) float32 { return float32(v) }
	r.z.MoveTo(f(x0+nx*a-ox), f(y0+ny*a-oy))
	r.z.LineTo(f(x1+nx*a-ox), f(y1+ny*a-oy))
	r.z.LineTo(f(x1+nx*b-ox), f(y1+ny*b-oy))
	r.z.LineTo(f(x0+nx*b-ox), f(y0+ny*b-oy))
	r.z.ClosePath()
}

// rect adds the outline of the pixel rectangle (x0, y0)–(x1, y1), w pixels
// wide, inside it.
func (r *Renderer) rect(x0, y0, x1, y1, w float64) {
	ox, oy := float64(r.mask.Rect.Min.X), float64(r.mask.Rect.Min.Y)
	f := func(v float64) float32 { return float32(v) }
	r.z.MoveTo(f(x0-ox), f(y0-oy))
	r.z.LineTo(f(x1-ox), f(y0-oy))
	r.z.LineTo(f(x1-ox), f(y1-oy))
	r.z.LineTo(f(x0-ox), f(y1-oy))
	r.z.ClosePath()
	r.z.MoveTo(f(x0+w-ox), f(y0+w-oy))
	r.z.LineTo(f(x0+w-ox), f(y1-w-oy))
	r.z.LineTo(f(x1-w-ox), f(y1-w-oy))
	r.z.LineTo(f(x1-w-ox), f(y0+w-oy))
	r.z.ClosePath()
}

// paint rasterises the path into the mask and sets every pixel of dst the
// path covers at least half to palette index idx.
func (r *Renderer) paint(dst *image.Paletted, idx uint8) {
	box := r.mask.Rect
	w, h := box.Dx(), box.Dy()
	if n := w * h; cap(r.mask.Pix) < n {
		r.mask.Pix = make([]uint8, n)
	} else {
		r.mask.Pix = r.mask.Pix[:n]
	}
	// The rasterizer's fast path wants a mask whose bounds equal its own.
	m := &r.cover
	*m = image.Alpha{Pix: r.mask.Pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
	r.z.DrawOp = draw.Src // overwrite the whole mask
	r.z.Draw(m, m.Rect, image.Opaque, image.Point{})
	for y := range h {
		row := dst.Pix[dst.PixOffset(box.Min.X, box.Min.Y+y):][:w]
		for x, a := range m.Pix[y*w : (y+1)*w] {
			if a >= coverageHalf {
				row[x] = idx
			}
		}
	}
}

// text draws s with its baseline starting at pixel (x, y), in the text
// colour, clipped to clip; characters outside printable ASCII show as the
// font's box.
func (r *Renderer) text(dst *image.Paletted, clip image.Rectangle, x, y int, s string) {
	face := basicfont.Face7x13
	dot := fixed.P(x, y)
	for _, ch := range s {
		dr, mask, mp, adv, ok := face.Glyph(dot, ch)
		if ok {
			if m, isAlpha := mask.(*image.Alpha); isAlpha {
				box := dr.Intersect(clip)
				for py := box.Min.Y; py < box.Max.Y; py++ {
					for px := box.Min.X; px < box.Max.X; px++ {
						if m.AlphaAt(mp.X+px-dr.Min.X, mp.Y+py-dr.Min.Y).A >= coverageHalf {
							dst.Pix[dst.PixOffset(px, py)] = idxText
						}
					}
				}
			}
		}
		dot.X += adv
	}
}

// textWidth is the width of s in pixels in the fixed font.
func textWidth(s string) int {
	return utf8.RuneCountInString(s) * basicfont.Face7x13.Advance
}

// WriteGIF encodes frames as an animated GIF that loops forever, showing
// each frame for delay hundredths of a second and the last one for
// a second longer.
func WriteGIF(w io.Writer, frames []*image.Paletted, delay int) error {
	if len(frames) == 0 {
		return fmt.Errorf("render: a GIF needs at least one frame")
	}
	g := &gif.GIF{Image: frames, Delay: make([]int, len(frames)), Disposal: make([]byte, len(frames))}
	for i := range g.Delay {
		g.Delay[i] = delay
		g.Disposal[i] = gif.DisposalNone
	}
	g.Delay[len(frames)-1] += 100
	return gif.EncodeAll(w, g)
}

package render_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"math"
	"slices"
	"testing"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
)

var (
	blue  = color.RGBA{89, 89, 217, 255}
	red   = color.RGBA{217, 89, 89, 255}
	green = color.RGBA{89, 217, 89, 255}
	grey  = color.RGBA{64, 64, 64, 255}
	white = color.RGBA{255, 255, 255, 255}
)

func newRenderer(t testing.TB, o render.Options) *render.Renderer {
	t.Helper()
	r, err := render.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// at returns the colour of the pixel under world point (x, y), offset by
// (dx, dy) pixels.
func at(r *render.Renderer, img *image.Paletted, x, y float64, dx, dy int) color.RGBA {
	px, py := r.Pixel(x, y)
	return img.At(int(px)+dx, int(py)+dy).(color.RGBA)
}

func TestPaletteHoldsEveryGameColour(t *testing.T) {
	r := newRenderer(t, render.Options{})
	for _, c := range particle.Colours() {
		for _, want := range []color.RGBA{c, render.EdgeColour(c)} {
			if !slices.ContainsFunc(r.Palette(), func(p color.Color) bool { return p == want }) {
				t.Errorf("palette lacks %v", want)
			}
		}
	}
	if len(r.Palette()) > 256 {
		t.Errorf("palette of %d colours, a GIF holds 256", len(r.Palette()))
	}
}

// TestAgentPixels draws a hand-made scene and reads back the colour at
// every entity's centre, on a type ring, and far from everything.
func TestAgentPixels(t *testing.T) {
	s := &particle.Scene{
		TypeColours: []color.RGBA{red, green},
		Entities: []particle.Entity{
			{X: -0.5, Y: 0.5, Size: 0.075, Colour: red, Type: 0, Alive: true},
			{X: 0.5, Y: -0.5, Size: 0.05, Colour: green, Type: 1, Alive: true},
			{X: 0.5, Y: 0.5, Size: 0.1, Colour: blue, Type: 1, Alive: true}, // fill differs from its type: green ring
			{X: -0.5, Y: -0.5, Size: 0.1, Colour: green, Type: 1, Alive: false},
			{X: 0, Y: 0, Size: 0.2, Colour: grey, Type: -1, Alive: true},
		},
	}
	r := newRenderer(t, render.Options{})
	img := r.NewImage()
	r.Draw(img, s, nil)
	for e, ent := range s.Entities[:3] {
		if got := at(r, img, ent.X, ent.Y, 0, 0); got != ent.Colour {
			t.Errorf("entity %d: centre pixel %v, want %v", e, got, ent.Colour)
		}
	}
	if got := at(r, img, 0, 0, 0, 0); got != grey {
		t.Errorf("landmark centre %v, want %v", got, grey)
	}
	// The ring of agent 2: one pixel inside its edge, its type's green.
	rad := 0.1 * 480 / 2.5
	if got := at(r, img, 0.5, 0.5, int(rad)-1, 0); got != green {
		t.Errorf("agent 2's ring %v, want its type colour %v", got, green)
	}
	// The dead agent is a grey ring: its centre shows the background.
	if got := at(r, img, -0.5, -0.5, 0, 0); got != white {
		t.Errorf("dead agent's centre %v, want the background %v", got, white)
	}
	if got := at(r, img, -0.5, -0.5, int(rad)-1, 0); got == green || got == white {
		t.Errorf("dead agent's ring %v, want grey", got)
	}
	if got := at(r, img, 0.9, 0, 0, 0); got != white {
		t.Errorf("empty space %v, want %v", got, white)
	}
}

// TestGamePixels renders real games and checks every agent that no other
// agent or label can hide: its centre pixel has its colour.
func TestGamePixels(t *testing.T) {
	games := []struct {
		name string
		pop  env.Population
	}{
		{particle.ResourceName, env.Population{{Count: 6}}},
		{particle.SpreadName, env.Population{{Count: 4}}},
		{particle.TagName, env.Population{{Type: "adversaries", Count: 3}, {Type: "good", Count: 2}}},
		{particle.TreasureName, env.Population{{Type: "collectors", Count: 4}, {Type: "deposits", Count: 2}}},
		{particle.PacmanName, env.Population{{Type: "pacmen", Count: 3}, {Type: "ghosts", Count: 2}}},
	}
	r := newRenderer(t, render.Options{CaptionLines: 2})
	img := r.NewImage()
	for _, c := range games {
		g, err := env.Make(c.name, nil, c.pop)
		if err != nil {
			t.Fatal(err)
		}
		g.Reset(3, env.NewFrame(g.Spec()))
		var s particle.Scene
		g.(particle.Viewer).Scene(&s)
		r.Draw(img, &s, &render.Overlay{Caption: []string{c.name, "step 0"}})
		checked := 0
		for i, ent := range s.Entities {
			if ent.Type < 0 || !ent.Alive || math.Abs(ent.X) > 1.2 || math.Abs(ent.Y) > 1.2 {
				continue
			}
			hidden := false
			for j, o := range s.Entities {
				if j > i && o.Type >= 0 && math.Hypot(o.X-ent.X, o.Y-ent.Y) < o.Size+0.01 {
					hidden = true
				}
			}
			if hidden {
				continue
			}
			checked++
			if got := at(r, img, ent.X, ent.Y, 0, 0); got != ent.Colour {
				t.Errorf("%s: agent %d at (%.3f, %.3f): pixel %v, want %v", c.name, i, ent.X, ent.Y, got, ent.Colour)
			}
		}
		if checked == 0 {
			t.Errorf("%s: no agent could be checked", c.name)
		}
	}
}

// TestEdgeThreshold checks that an edge appears exactly when its weight
// exceeds the threshold, with a width of max(2, 8w) pixels on the
// right-hand side of its direction, and that below the threshold the image
// is the one without edges.
func TestEdgeThreshold(t *testing.T) {
	s := &particle.Scene{
		TypeColours: []color.RGBA{blue},
		Entities: []particle.Entity{
			{X: -0.8, Y: 0, Size: 0.05, Colour: blue, Type: 0, Alive: true},
			{X: 0.8, Y: 0, Size: 0.05, Colour: blue, Type: 0, Alive: true},
		},
	}
	r := newRenderer(t, render.Options{EdgeThreshold: 0.1, EdgeWidth: 8})
	plain := r.NewImage()
	r.Draw(plain, s, nil)
	edge := render.EdgeColour(blue)
	for _, c := range []struct {
		w     float64
		drawn bool
	}{{0, false}, {0.05, false}, {0.0999, false}, {0.1, false}, {0.1001, true}, {0.2, true}, {0.5, true}, {1, true}} {
		img := r.NewImage()
		r.Draw(img, s, &render.Overlay{Edges: []render.Edge{{From: 0, To: 1, Weight: c.w}}})
		// The column through the middle: the edge 0 → 1 points to +x,
		// so its band lies below the centre line in the image.
		below, above := 0, 0
		for dy := -20; dy <= 20; dy++ {
			if at(r, img, 0, 0, 0, dy) == edge {
				if dy >= 0 {
					below++
				} else {
					above++
				}
			}
		}
		if !c.drawn {
			if !bytes.Equal(img.Pix, plain.Pix) {
				t.Errorf("weight %g ≤ threshold 0.1 changed the image (%d edge pixels in the middle column)", c.w, below+above)
			}
			continue
		}
		want := max(2, 8*c.w)
		if above != 0 || math.Abs(float64(below)-want) > 1 {
			t.Errorf("weight %g: %d edge pixels below and %d above the centre line, want about %.1f below and none above", c.w, below, above, want)
		}
	}
}

// TestNegativeThresholdDrawsEveryPositiveWeight checks the other end of
// the threshold: below 0 every positive weight is drawn, a zero weight
// (a masked entity) never.
func TestNegativeThresholdDrawsEveryPositiveWeight(t *testing.T) {
	s := &particle.Scene{
		TypeColours: []color.RGBA{blue},
		Entities: []particle.Entity{
			{X: -0.8, Y: 0, Size: 0.05, Colour: blue, Type: 0, Alive: true},
			{X: 0.8, Y: 0, Size: 0.05, Colour: blue, Type: 0, Alive: true},
		},
	}
	r := newRenderer(t, render.Options{EdgeThreshold: -1})
	for _, w := range []float64{0, 1e-9, 0.01} {
		img := r.NewImage()
		r.Draw(img, s, &render.Overlay{Edges: []render.Edge{{From: 0, To: 1, Weight: w}}})
		if got := at(r, img, 0, 0, 0, 1) == render.EdgeColour(blue); got != (w > 0) {
			t.Errorf("weight %g: drawn %v, want %v", w, got, w > 0)
		}
	}
}

// TestEdgeStar draws a star of edges from a centre agent to eight agents
// with weights on both sides of the threshold, and checks the middle of
// every band.
func TestEdgeStar(t *testing.T) {
	s := &particle.Scene{TypeColours: []color.RGBA{red, green}}
	s.Entities = append(s.Entities, particle.Entity{Size: 0.05, Colour: red, Type: 0, Alive: true})
	weights := []float64{0.02, 0.3, 0.09, 0.11, 0.6, 0.1, 0.2, 0.05}
	var edges []render.Edge
	for k, w := range weights {
		a := 2 * math.Pi * float64(k) / 8
		s.Entities = append(s.Entities, particle.Entity{X: 0.9 * math.Cos(a), Y: 0.9 * math.Sin(a), Size: 0.05, Colour: green, Type: 1, Alive: true})
		edges = append(edges, render.Edge{From: 0, To: k + 1, Weight: w})
	}
	r := newRenderer(t, render.Options{})
	img := r.NewImage()
	r.Draw(img, s, &render.Overlay{Edges: edges})
	edge := render.EdgeColour(red)
	for k, w := range weights {
		x0, y0 := r.Pixel(0, 0)
		x1, y1 := r.Pixel(s.Entities[k+1].X, s.Entities[k+1].Y)
		l := math.Hypot(x1-x0, y1-y0)
		nx, ny := -(y1-y0)/l, (x1-x0)/l
		off := 0.5 + max(2, 8*w)/2
		px, py := (x0+x1)/2+nx*off, (y0+y1)/2+ny*off
		got := img.At(int(math.Floor(px)), int(math.Floor(py))) == edge
		if got != (w > 0.1) {
			t.Errorf("edge to agent %d, weight %g: drawn %v, want %v", k+1, w, got, w > 0.1)
		}
	}
}

// TestGIFOneFramePerState plays an episode, renders every state and checks
// the decoded GIF: one frame per state (the first and one after each
// step), each showing the agents where the game had them.
func TestGIFOneFramePerState(t *testing.T) {
	g, err := env.Make(particle.SpreadName, map[string]any{"max_steps": int64(7)}, env.Population{{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(t, render.Options{Size: 160, CaptionLines: 1})
	f := env.NewFrame(g.Spec())
	g.Reset(5, f)
	actions := []int{1, 3, 2}
	var frames []*image.Paletted
	var scenes []particle.Scene
	for {
		var s particle.Scene
		g.(particle.Viewer).Scene(&s)
		img := r.NewImage()
		r.Draw(img, &s, &render.Overlay{Caption: []string{"spread"}})
		frames, scenes = append(frames, img), append(scenes, s)
		if f.Done() {
			break
		}
		g.Step(actions, f)
	}
	var buf bytes.Buffer
	if err := render.WriteGIF(&buf, frames, 10); err != nil {
		t.Fatal(err)
	}
	dec, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec.Image) != 8 {
		t.Fatalf("GIF of an episode of 7 steps has %d frames, want 8", len(dec.Image))
	}
	for k, img := range dec.Image {
		if !bytes.Equal(img.Pix, frames[k].Pix) {
			t.Errorf("frame %d does not decode to what was drawn", k)
		}
		for i := range 3 {
			ent := scenes[k].Entities[i]
			px, py := r.Pixel(ent.X, ent.Y)
			if c := img.At(int(px), int(py)); c != ent.Colour && math.Abs(ent.X) < 1.2 && math.Abs(ent.Y) < 1.2 {
				t.Errorf("frame %d agent %d: %v, want %v", k, i, c, ent.Colour)
			}
		}
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []render.Options{
		{Size: 10}, {Size: 5000}, {Extent: -1}, {Extent: math.Inf(1)}, {EdgeThreshold: 1}, {EdgeThreshold: math.NaN()},
		{EdgeWidth: -2}, {EdgeWidth: 500}, {CaptionLines: -1},
	} {
		if _, err := render.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// TestDrawAllocatesNothing checks that drawing into a reused image
// allocates nothing once the scratch buffers have grown.
func TestDrawAllocatesNothing(t *testing.T) {
	s, ov := benchScene(24, 1)
	r := newRenderer(t, render.Options{CaptionLines: 2})
	img := r.NewImage()
	r.Draw(img, s, ov)
	if n := testing.AllocsPerRun(20, func() { r.Draw(img, s, ov) }); n != 0 {
		t.Errorf("Draw allocates %v times per frame", n)
	}
}

package render_test

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"

	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
)

// Example renders an episode of cooperative navigation in which agent 0
// attends entirely to landmark 0 (scene entity 3), and encodes it as a GIF
// of one frame per state.
func Example() {
	g, _ := env.Make(particle.SpreadName, map[string]any{"max_steps": int64(4)}, env.Population{{Count: 3}})
	view := g.(particle.Viewer)
	r, _ := render.New(render.Options{Size: 240, CaptionLines: 1})
	f := env.NewFrame(g.Spec())
	g.Reset(1, f)
	var scene particle.Scene
	var frames []*image.Paletted
	for {
		view.Scene(&scene)
		img := r.NewImage()
		r.Draw(img, &scene, &render.Overlay{
			Edges:   []render.Edge{{From: 0, To: 3, Weight: 1}},
			Labels:  []string{"z0", "z1", "z1"},
			Caption: []string{fmt.Sprintf("step %d", f.T)},
		})
		frames = append(frames, img)
		if f.Done() {
			break
		}
		g.Step([]int{1, 2, 3}, f)
	}
	var buf bytes.Buffer
	if err := render.WriteGIF(&buf, frames, 10); err != nil {
		panic(err)
	}
	dec, _ := gif.DecodeAll(&buf)
	a := scene.Entities[0]
	x, y := r.Pixel(a.X, a.Y)
	fmt.Println(len(dec.Image), "frames of", dec.Image[0].Bounds().Size())
	fmt.Println("agent 0's pixel:", dec.Image[len(dec.Image)-1].At(int(x), int(y)) == a.Colour)
	// Output:
	// 5 frames of (240,266)
	// agent 0's pixel: true
}

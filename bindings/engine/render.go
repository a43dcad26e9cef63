package engine

import (
	"github.com/mrasim/mrasim/env"
	"github.com/mrasim/mrasim/env/particle"
	"github.com/mrasim/mrasim/env/particle/render"
)

// viewer is a batch's render state: the renderer of the last size asked
// for and a scene reused between frames.
type viewer struct {
	r     *render.Renderer
	size  int
	scene particle.Scene
}

func isViewer(g env.Game) bool {
	_, ok := g.(particle.Viewer)
	return ok
}

// RenderShape returns the height and width in pixels of a frame drawn at
// size (the world view's side; 0 means render.DefaultSize).
func (v *Vec) RenderShape(size int) (h, w int, err error) {
	r, err := v.renderer(size)
	if err != nil {
		return 0, 0, err
	}
	b := r.Bounds()
	return b.Dy(), b.Dx(), nil
}

func (v *Vec) renderer(size int) (*render.Renderer, error) {
	if !v.info.Renders {
		return nil, errorf(CodeUnsupported, "mrasim: game %s is not a particle world; only particle worlds render", v.info.Game)
	}
	if v.view.r != nil && v.view.size == size {
		return v.view.r, nil
	}
	r, err := render.New(render.Options{Size: size})
	if err != nil {
		return nil, errorf(CodeArgument, "mrasim: render size %d: %v", size, err)
	}
	v.view.r, v.view.size = r, size
	return r, nil
}

// Render draws copy e's current state with the particle renderer (the one
// mrasim render uses) and writes it into dst as RGB bytes, row by row
// (height × width × 3, see RenderShape).
func (v *Vec) Render(e, size int, dst []byte) error {
	if e < 0 || e >= len(v.games) {
		return errorf(CodeArgument, "mrasim: copy %d of %d", e, len(v.games))
	}
	r, err := v.renderer(size)
	if err != nil {
		return err
	}
	b := r.Bounds()
	if len(dst) != b.Dx()*b.Dy()*3 {
		return errorf(CodeArgument, "mrasim: render buffer of %d bytes, want %d×%d×3 = %d", len(dst), b.Dy(), b.Dx(), b.Dx()*b.Dy()*3)
	}
	v.games[e].(particle.Viewer).Scene(&v.view.scene)
	img := r.NewImage()
	r.Draw(img, &v.view.scene, nil)
	pal := img.Palette
	k := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := range b.Dx() {
			c := pal[row[x]]
			cr, cg, cb, _ := c.RGBA()
			dst[k], dst[k+1], dst[k+2] = byte(cr>>8), byte(cg>>8), byte(cb>>8)
			k += 3
		}
	}
	return nil
}

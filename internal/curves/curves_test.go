package curves

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decode reads the PNG at path.
func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}

func rgba(c color.Color) (r, g, b uint8) {
	r32, g32, b32, _ := c.RGBA()
	return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
}

// countNear counts pixels within tol (per channel) of c.
func countNear(img image.Image, c color.RGBA, tol int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl := rgba(img.At(x, y))
			if abs(int(r)-int(c.R)) <= tol && abs(int(g)-int(c.G)) <= tol && abs(int(bl)-int(c.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(v int) int { return max(v, -v) }

func ramp(n int, f func(float64) float64) Series {
	s := Series{X: make([]float64, n), Y: make([]float64, n)}
	for i := range n {
		s.X[i] = float64(i * 10)
		s.Y[i] = f(float64(i) / float64(n-1))
	}
	return s
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "curves.png")
	a := ramp(50, func(u float64) float64 { return 0.2 + 0.6*u })
	a.Label = "agents=3"
	b := ramp(50, func(u float64) float64 { return 0.8 - 0.5*u*u })
	b.Label = "agents=6"
	if err := Write(path, "resource", "episodes", "mean return", []Series{a, b}); err != nil {
		t.Fatal(err)
	}
	img := decode(t, path)
	if got := img.Bounds().Size(); got != image.Pt(768, 480) {
		t.Errorf("image size %v, want 768×480", got)
	}
	white := countNear(img, color.RGBA{255, 255, 255, 255}, 0)
	total := 768 * 480
	if white == total {
		t.Fatal("the image is blank")
	}
	if white < total/2 {
		t.Errorf("only %d of %d pixels are white: the background is not white", white, total)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the PNG", len(entries))
	}
}

func TestTwoSeriesTwoColours(t *testing.T) {
	// Each series is drawn in its own palette colour, with enough pixels to
	// be a line (a 2-pixel line across most of a 768-pixel-wide chart), and
	// a third palette colour that is not drawn does not appear.
	path := filepath.Join(t.TempDir(), "c.png")
	a := ramp(20, func(float64) float64 { return 1 })
	a.Label = "agents=3"
	b := ramp(20, func(float64) float64 { return 2 })
	b.Label = "agents=6"
	if err := Write(path, "", "x", "y", []Series{a, b}); err != nil {
		t.Fatal(err)
	}
	img := decode(t, path)
	first := countNear(img, palette[0], 40)
	second := countNear(img, palette[1], 40)
	third := countNear(img, palette[2], 40)
	t.Logf("pixels near colour 0, 1, 2: %d, %d, %d", first, second, third)
	if first < 600 {
		t.Errorf("%d pixels in the first series' colour, want a line (≥ 600)", first)
	}
	if second < 300 { // dashed: about three quarters of a line
		t.Errorf("%d pixels in the second series' colour, want a dashed line (≥ 300)", second)
	}
	if third != 0 {
		t.Errorf("%d pixels in an unused colour", third)
	}
}

func TestEdgeCasesDraw(t *testing.T) {
	dir := t.TempDir()
	for name, s := range map[string][]Series{
		"one point":  {{Label: "a", X: []float64{3}, Y: []float64{0.5}}},
		"flat":       {{Label: "a", X: []float64{0, 1, 2}, Y: []float64{7, 7, 7}}},
		"no label":   {{X: []float64{0, 1}, Y: []float64{1, 0}}},
		"huge range": {{Label: "a", X: []float64{-1e300, 1e300}, Y: []float64{-1e300, 1e300}}},
		"many": func() []Series {
			var ss []Series
			for i := range 25 {
				s := ramp(5, func(u float64) float64 { return u * float64(i) })
				s.Label = strings.Repeat("x", i)
				ss = append(ss, s)
			}
			return ss
		}(),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".png")
		if err := Write(path, name, "x", "y", s); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		decode(t, path)
	}
}

func TestBadInput(t *testing.T) {
	ok := Series{Label: "good", X: []float64{0, 1}, Y: []float64{0, 1}}
	for _, tc := range []struct {
		name   string
		series []Series
		want   string
	}{
		{"none", nil, "no series to draw"},
		{"empty series", []Series{ok, {Label: "agents=6"}}, `series 1 ("agents=6") has no points`},
		{"lengths", []Series{{Label: "a", X: []float64{0, 1, 2}, Y: []float64{0, 1}}}, `series 0 ("a") has 3 x values and 2 y values`},
		{"NaN y", []Series{ok, {Label: "b", X: []float64{0, 1, 2}, Y: []float64{0, 1, math.NaN()}}}, `series 1 ("b"): y[2] = NaN is not finite`},
		{"Inf x", []Series{{Label: "c", X: []float64{math.Inf(-1), 1}, Y: []float64{0, 1}}}, `series 0 ("c"): x[0] = -Inf is not finite`},
	} {
		path := filepath.Join(t.TempDir(), "c.png")
		err := Write(path, "t", "x", "y", tc.series)
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: message %q lacks %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a file was written", tc.name)
		}
	}
}

func TestPaletteDistinct(t *testing.T) {
	// Neighbouring series must be told apart: colours of the first ten
	// differ, and (colour, dashes) pairs of the first thirty differ.
	seen := map[string]int{}
	for i := range 30 {
		c, d := style(i)
		if i < 10 {
			for j := range i {
				if cj, _ := style(j); cj == c {
					t.Errorf("series %d and %d share colour %v", j, i, c)
				}
			}
		}
		key := fmt.Sprint(c, d)
		if j, ok := seen[key]; ok {
			t.Errorf("series %d and %d share colour and dashes %s", j, i, key)
		}
		seen[key] = i
	}
}

func TestHeatmap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.png")
	vals := [][]float64{{1, 2, 3}, {4, 5, 6}}
	if err := Heatmap(path, "t", "rows", "cols", []string{"a", "b"}, []string{"x", "y", "z"}, vals); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The lowest and highest cells get the palette's two ends: a bluish and
	// a reddish pixel must both be present.
	blue, red := false, false
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, _, bl, _ := img.At(x, y).RGBA()
			blue = blue || (bl > 0xb000 && r < 0x7000)
			red = red || (r > 0xb000 && bl < 0x7000)
		}
	}
	if !blue || !red {
		t.Errorf("heat map lacks the palette's ends: blue %v red %v", blue, red)
	}
	for _, bad := range [][][]float64{{}, {{1, 2}}, {{1, 2, 3}, {4, math.NaN(), 6}}} {
		if err := Heatmap(path, "t", "r", "c", []string{"a", "b"}[:len(bad)], []string{"x", "y", "z"}, bad); !errors.Is(err, ErrInput) {
			t.Errorf("%v: error %v, want ErrInput", bad, err)
		}
	}
}

func TestWriteErrorBars(t *testing.T) {
	dir := t.TempDir()
	good := []ErrorSeries{
		{Series: Series{Label: "mra", X: []float64{2, 3, 4}, Y: []float64{1, 2, 1.5}}, Err: []float64{0.1, 0, 0.3}},
		{Series: Series{Label: "random", X: []float64{2, 3, 4}, Y: []float64{0.5, 0.4, 0.3}}, Err: []float64{0.05, 0.05, 0.05}},
	}
	path := filepath.Join(dir, "ok.png")
	if err := WriteErrorBars(path, "t", "agents", "return", good); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	for _, tc := range []struct {
		name string
		err  []float64
	}{
		{"short", []float64{1}},
		{"negative", []float64{0, -1, 0}},
		{"nan", []float64{0, math.NaN(), 0}},
	} {
		bad := []ErrorSeries{{Series: good[0].Series, Err: tc.err}}
		p := filepath.Join(dir, tc.name+".png")
		if err := WriteErrorBars(p, "t", "x", "y", bad); !errors.Is(err, ErrInput) {
			t.Errorf("%s: got %v, want ErrInput", tc.name, err)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s: a file was written", tc.name)
		}
	}
}

// TestWritePanels: two panels stack into one image twice as tall, both
// drawn (the second panel's colour appears in its lower half); panels
// without series are skipped, and none at all is refused.
func TestWritePanels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "curves.png")
	a := ramp(20, func(u float64) float64 { return u })
	a.Label = "return"
	b := ramp(20, func(u float64) float64 { return 1 - u })
	c := ramp(20, func(u float64) float64 { return u * u })
	c.Label = "mi"
	panels := []Panel{
		{Title: "returns", XLabel: "episodes", YLabel: "return", Series: []Series{a}},
		{Title: "empty"},
		{Title: "modes", XLabel: "episodes", YLabel: "nats", Series: []Series{b, c}},
	}
	if err := WritePanels(path, panels); err != nil {
		t.Fatal(err)
	}
	img := decode(t, path)
	if got := img.Bounds().Size(); got != image.Pt(768, 960) {
		t.Fatalf("image size %v, want 768×960", got)
	}
	lower := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 480, 768, 960))
	if n := countNear(lower, palette[1], 10); n < 50 {
		t.Errorf("the lower panel has %d pixels of its second series' colour, want a drawn line", n)
	}
	err := WritePanels(filepath.Join(dir, "none.png"), []Panel{{Title: "empty"}})
	if !errors.Is(err, ErrInput) {
		t.Errorf("no panels: error %v, want ErrInput", err)
	}
}

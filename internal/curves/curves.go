// Package curves draws training curves — returns, losses or NashConv
// against episodes or steps, one line per population — and writes them as a
// PNG image with gonum/plot.
//
// It is for quick, dependable pictures of a run (the trainer's curves.png,
// the league's curves), written atomically so a viewer never opens half an
// image. It is not a general plotting library: one chart type (lines with a
// legend), a fixed size and style, no smoothing, no log axes, no PDF or SVG;
// callers that need more use gonum.org/v1/plot directly.
package curves

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// Image size and resolution: 8×5 inches at 96 dpi, 768×480 pixels.
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
	DPI    = 96
)

// lineWidth is the width of every curve.
const lineWidth = 1.5 // points, 2 pixels at 96 dpi

// palette is matplotlib's "tab10", familiar to researchers and readable on
// white. Series i is drawn in palette[i%10] with the dash pattern
// plotutil.Dashes(i), so the first ten series differ in colour and any two
// of the first thirty differ in colour or dashes.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// ErrInput is wrapped by the errors Write returns for series it cannot draw.
var ErrInput = errors.New("curves: bad input")

// Series is one curve: the points (X[i], Y[i]) joined in order, named Label
// in the legend (no legend entry when Label is empty).
type Series struct {
	Label string
	X, Y  []float64
	// Low and High, when set (same length as Y), are the ends of an
	// interval around each point, drawn as error bars (Low ≤ Y ≤ High).
	Low, High []float64
}

// Write draws series as lines on one chart with a title, axis labels and a
// legend, and atomically replaces the PNG file at path with it (see
// checkpoint.WriteAtomic). It returns an error wrapping ErrInput, naming the
// series and index, when there are no series, when a series has no points or
// X and Y of different lengths, or when a value is NaN or infinite; nothing
// is written then.
func Write(path, title, xLabel, yLabel string, series []Series) error {
	if err := check(series); err != nil {
		return fmt.Errorf("%w; %s not written", err, path)
	}
	p, err := chart(title, xLabel, yLabel, series, nil)
	if err != nil {
		return fmt.Errorf("curves: %s: %w", path, err)
	}
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		return render(w, p)
	})
}

// check validates series for Write.
func check(series []Series) error {
	if len(series) == 0 {
		return fmt.Errorf("%w: no series to draw", ErrInput)
	}
	for i, s := range series {
		name := fmt.Sprintf("series %d (%q)", i, s.Label)
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("%w: %s has %d x values and %d y values", ErrInput, name, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return fmt.Errorf("%w: %s has no points", ErrInput, name)
		}
		for j := range s.X {
			if v := s.X[j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s: x[%d] = %v is not finite", ErrInput, name, j, v)
			}
			if v := s.Y[j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s: y[%d] = %v is not finite", ErrInput, name, j, v)
			}
		}
	}
	return nil
}

// chart builds the plot of valid series; decorate, if not nil, adds to it
// before the legend's headroom is set.
func chart(title, xLabel, yLabel string, series []Series, decorate func(*plot.Plot) error) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.BackgroundColor = color.White
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	p.Add(grid)
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(30)
	for i, s := range series {
		xys := make(plotter.XYs, len(s.X))
		for j := range xys {
			xys[j].X, xys[j].Y = s.X[j], s.Y[j]
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Dashes = style(i)
		line.Width = vg.Points(lineWidth)
		p.Add(line)
		if len(s.Low) == len(s.Y) && len(s.High) == len(s.Y) {
			errs := make(plotter.YErrors, len(s.Y))
			for j := range errs {
				errs[j].Low, errs[j].High = s.Y[j]-s.Low[j], s.High[j]-s.Y[j]
			}
			bars, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			if err != nil {
				return nil, err
			}
			bars.Color = line.Color
			bars.LineStyle.Width = vg.Points(lineWidth / 2)
			p.Add(bars)
		}
		if s.Label != "" {
			p.Legend.Add(s.Label, line)
		}
	}
	if decorate != nil {
		if err := decorate(p); err != nil {
			return nil, err
		}
	}
	// Headroom above the data for the legend, which sits inside the top
	// right corner: about one legend row per labelled series, at most half
	// the height again.
	entries := 0
	for _, s := range series {
		if s.Label != "" {
			entries++
		}
	}
	if span := p.Y.Max - p.Y.Min; entries > 0 && span > 0 && !math.IsInf(span, 0) {
		p.Y.Max += span * min(0.05+0.07*float64(entries), 0.5)
	}
	return p, nil
}

// style returns the colour and dash pattern of series i.
func style(i int) (color.RGBA, []vg.Length) {
	return palette[i%len(palette)], plotutil.Dashes(i)
}

// render draws p as a PNG image to w.
func render(w io.Writer, p *plot.Plot) error {
	c := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))
	dc := draw.New(c)
	margin := vg.Points(8)
	p.Draw(draw.Crop(dc, margin, -margin, margin, -margin))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// Panel is one chart of a WritePanels image.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
}

// WritePanels draws panels one above the other in one PNG image (each
// panel as Write draws its chart, the image Height tall per panel) and
// atomically replaces the file at path with it. Panels without series are
// left out; it returns an error wrapping ErrInput when none is left or a
// series cannot be drawn (see Write), and nothing is written then.
func WritePanels(path string, panels []Panel) error {
	var plots [][]*plot.Plot
	for _, pn := range panels {
		if len(pn.Series) == 0 {
			continue
		}
		if err := check(pn.Series); err != nil {
			return fmt.Errorf("%w (panel %q); %s not written", err, pn.Title, path)
		}
		p, err := chart(pn.Title, pn.XLabel, pn.YLabel, pn.Series, nil)
		if err != nil {
			return fmt.Errorf("curves: %s: %w", path, err)
		}
		plots = append(plots, []*plot.Plot{p})
	}
	if len(plots) == 0 {
		return fmt.Errorf("%w: no panel with series; %s not written", ErrInput, path)
	}
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		c := vgimg.NewWith(vgimg.UseWH(Width, Height*vg.Length(len(plots))), vgimg.UseDPI(DPI))
		dc := draw.New(c)
		margin := vg.Points(8)
		tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: margin, PadBottom: margin, PadLeft: margin, PadRight: margin, PadY: 2 * margin}
		canvases := plot.Align(plots, tiles, dc)
		for i := range plots {
			plots[i][0].Draw(canvases[i][0])
		}
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

package curves

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// ErrorSeries is a Series with a symmetric error bar at each point: the
// point (X[i], Y[i]) is drawn with a bar from Y[i]−Err[i] to Y[i]+Err[i]
// (for example a 95% confidence half-width). An Err of 0 draws no bar.
type ErrorSeries struct {
	Series
	Err []float64
	// NonNegative clips each bar's lower end at 0, for statistics that
	// cannot be negative (NashConv): an interval is never drawn below the
	// valid range.
	NonNegative bool
}

// WriteErrorBars draws series as lines with a marker and an error bar at
// each point, in the colours and dashes of Write, and atomically replaces
// the PNG file at path with the chart. It returns an error wrapping
// ErrInput, naming the series and index, for the inputs Write refuses and
// for an Err of another length than X or a value that is negative or not
// finite; nothing is written then.
func WriteErrorBars(path, title, xLabel, yLabel string, series []ErrorSeries) error {
	plain := make([]Series, len(series))
	for i, s := range series {
		plain[i] = s.Series
	}
	if err := check(plain); err != nil {
		return fmt.Errorf("%w; %s not written", err, path)
	}
	for i, s := range series {
		if len(s.Err) != len(s.X) {
			return fmt.Errorf("%w: series %d (%q) has %d points and %d errors; %s not written", ErrInput, i, s.Label, len(s.X), len(s.Err), path)
		}
		for j, e := range s.Err {
			if math.IsNaN(e) || math.IsInf(e, 0) || e < 0 {
				return fmt.Errorf("%w: series %d (%q): err[%d] = %v is not a finite value ≥ 0; %s not written", ErrInput, i, s.Label, j, e, path)
			}
		}
	}
	p, err := chart(title, xLabel, yLabel, plain, func(p *plot.Plot) error {
		for i, s := range series {
			bars := errorXYs{s}
			colour, _ := style(i)
			eb, err := plotter.NewYErrorBars(bars)
			if err != nil {
				return err
			}
			eb.Color = colour
			eb.Width = vg.Points(lineWidth)
			eb.CapWidth = vg.Points(8)
			p.Add(eb)
			sc, err := plotter.NewScatter(bars)
			if err != nil {
				return err
			}
			sc.Color = colour
			sc.Shape = draw.CircleGlyph{}
			sc.Radius = vg.Points(3)
			p.Add(sc)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("curves: %s: %w", path, err)
	}
	return checkpoint.WriteAtomic(path, func(w io.Writer) error {
		return render(w, p)
	})
}

// errorXYs gives a series' points and errors to gonum/plot.
type errorXYs struct{ s ErrorSeries }

func (e errorXYs) Len() int                    { return len(e.s.X) }
func (e errorXYs) XY(i int) (float64, float64) { return e.s.X[i], e.s.Y[i] }
func (e errorXYs) YError(i int) (float64, float64) {
	low := e.s.Err[i]
	if e.s.NonNegative {
		low = max(0, min(low, e.s.Y[i]))
	}
	return low, e.s.Err[i]
}

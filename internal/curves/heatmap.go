package curves

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"

	"github.com/mrasim/mrasim/internal/checkpoint"
)

// Heatmap writes a PNG heat map of values (rows × columns, row 0 at the
// top) with the rows and columns named by rowNames and colNames and each
// cell's value printed in it, atomically to path. It returns an error
// wrapping ErrInput for empty or ragged tables, mismatched names or
// non-finite values.
func Heatmap(path, title, rowLabel, colLabel string, rowNames, colNames []string, values [][]float64) error {
	if len(values) == 0 || len(values) != len(rowNames) {
		return fmt.Errorf("%w: %d rows with %d names", ErrInput, len(values), len(rowNames))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range values {
		if len(row) == 0 || len(row) != len(colNames) {
			return fmt.Errorf("%w: row %d has %d values for %d column names", ErrInput, i, len(row), len(colNames))
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: value [%d][%d] = %v is not finite", ErrInput, i, j, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = colLabel
	p.Y.Label.Text = rowLabel
	pal := moreland.SmoothBlueRed().Palette(255)
	hm := plotter.NewHeatMap(grid{values}, pal)
	hm.Min, hm.Max = lo, hi
	p.Add(hm)
	var labels cellLabels
	for i, row := range values {
		for j, v := range row {
			labels.xys = append(labels.xys, plotter.XY{X: float64(j), Y: float64(len(values) - 1 - i)})
			labels.text = append(labels.text, fmt.Sprintf("%.3g", v))
		}
	}
	if l, err := plotter.NewLabels(labels); err == nil {
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = -0.5, -0.5
		}
		p.Add(l)
	}
	p.NominalX(colNames...)
	rev := make([]string, len(rowNames))
	for i, n := range rowNames {
		rev[len(rowNames)-1-i] = n
	}
	p.NominalY(rev...)
	return checkpoint.WriteAtomic(path, func(w io.Writer) error { return render(w, p) })
}

// grid adapts a row-major table, row 0 drawn at the top, to plotter.GridXYZ.
type grid struct{ v [][]float64 }

func (g grid) Dims() (c, r int)   { return len(g.v[0]), len(g.v) }
func (g grid) Z(c, r int) float64 { return g.v[len(g.v)-1-r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// cellLabels are the values printed in the cells.
type cellLabels struct {
	xys  plotter.XYs
	text []string
}

func (c cellLabels) Len() int                { return len(c.xys) }
func (c cellLabels) XY(i int) (x, y float64) { return c.xys[i].X, c.xys[i].Y }
func (c cellLabels) Label(i int) string      { return c.text[i] }

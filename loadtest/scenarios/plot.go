package scenarios

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

// Chart is a line chart rendered as inline SVG: no script, no external
// file, so a report opens anywhere, offline, and diffs as text.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Bands shade x ranges (a spike, a restart) behind the lines.
	Bands []Band
}

// Series is one named line.
type Series struct {
	Name   string
	Points []Point
}

// Point is one (x, y) value.
type Point struct{ X, Y float64 }

// Band is a shaded x range with a label.
type Band struct {
	From, To float64
	Label    string
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH             = 860, 320
	padL, padR, padT, padB     = 70, 160, 30, 45
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	gridLines                  = 5
	legendLineH                = 18
	svgNamespace               = "http://www.w3.org/2000/svg"
	bandFill, gridStroke, font = "#f3e6c4", "#dddddd", "font-family=\"sans-serif\" font-size=\"12\""
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"}

// WriteSVG writes the chart as one <svg> element.
func (c Chart) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	xmin, xmax, ymax := c.bounds()
	x := func(v float64) float64 { return padL + (v-xmin)/(xmax-xmin)*plotW }
	y := func(v float64) float64 { return padT + plotH - v/ymax*plotH }
	fmt.Fprintf(bw, `<svg xmlns="%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`+"\n", svgNamespace, chartW, chartH, chartW, chartH)
	fmt.Fprintf(bw, `<title>%s</title>`+"\n", esc(c.Title))
	fmt.Fprintf(bw, `<text x="%d" y="18" %s font-weight="bold">%s</text>`+"\n", padL, font, esc(c.Title))
	for _, b := range c.Bands {
		x0, x1 := x(max(b.From, xmin)), x(min(b.To, xmax))
		fmt.Fprintf(bw, `<rect x="%s" y="%d" width="%s" height="%d" fill="%s"/>`+"\n", num(x0), padT, num(math.Max(x1-x0, 1)), plotH, bandFill)
		fmt.Fprintf(bw, `<text x="%s" y="%d" %s fill="#8a6d1f">%s</text>`+"\n", num(x0+3), padT+14, font, esc(b.Label))
	}
	for i := 0; i <= gridLines; i++ {
		v := ymax * float64(i) / gridLines
		fmt.Fprintf(bw, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`+"\n", padL, num(y(v)), padL+plotW, num(y(v)), gridStroke)
		fmt.Fprintf(bw, `<text x="%d" y="%s" %s text-anchor="end">%s</text>`+"\n", padL-6, num(y(v)+4), font, esc(tick(v)))
		xv := xmin + (xmax-xmin)*float64(i)/gridLines
		fmt.Fprintf(bw, `<text x="%s" y="%d" %s text-anchor="middle">%s</text>`+"\n", num(x(xv)), padT+plotH+16, font, esc(tick(xv)))
	}
	fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#555555"/>`+"\n", padL, padT, plotW, plotH)
	fmt.Fprintf(bw, `<text x="%d" y="%d" %s text-anchor="middle">%s</text>`+"\n", padL+plotW/2, chartH-6, font, esc(c.XLabel))
	fmt.Fprintf(bw, `<text x="14" y="%d" %s text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`+"\n", padT+plotH/2, font, padT+plotH/2, esc(c.YLabel))
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		if len(s.Points) > 0 {
			var pts strings.Builder
			for j, p := range s.Points {
				if j > 0 {
					pts.WriteByte(' ')
				}
				pts.WriteString(num(x(p.X)) + "," + num(y(p.Y)))
			}
			fmt.Fprintf(bw, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, pts.String())
		}
		ly := padT + 10 + i*legendLineH
		fmt.Fprintf(bw, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", padL+plotW+12, ly, padL+plotW+32, ly, color)
		fmt.Fprintf(bw, `<text x="%d" y="%d" %s>%s</text>`+"\n", padL+plotW+38, ly+4, font, esc(s.Name))
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// bounds returns the x range and the top of the y axis (y starts at 0: a
// lag or a rate is never negative, and a chart that starts elsewhere
// exaggerates small changes).
func (c Chart) bounds() (xmin, xmax, ymax float64) {
	xmin, xmax, ymax = math.Inf(1), math.Inf(-1), 0
	for _, s := range c.Series {
		for _, p := range s.Points {
			xmin, xmax, ymax = math.Min(xmin, p.X), math.Max(xmax, p.X), math.Max(ymax, p.Y)
		}
	}
	for _, b := range c.Bands {
		xmin, xmax = math.Min(xmin, b.From), math.Max(xmax, b.To)
	}
	if math.IsInf(xmin, 0) {
		xmin, xmax = 0, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	if ymax <= 0 {
		ymax = 1
	}
	return xmin, xmax, niceCeil(ymax)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func tick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

// Section is a part of a report page: a heading, preformatted text (the
// figures as the terminal printed them) and charts.
type Section struct {
	Heading string
	Text    string
	Charts  []Chart
}

// WriteHTML writes a self-contained HTML page of sections.
func WriteHTML(w io.Writer, title string, sections []Section) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>%s</title>\n", esc(title))
	fmt.Fprintln(bw, `<style>body{font-family:sans-serif;margin:2em;max-width:900px}pre{background:#f6f6f6;padding:.8em;overflow-x:auto}</style></head><body>`)
	fmt.Fprintf(bw, "<h1>%s</h1>\n", esc(title))
	for _, s := range sections {
		fmt.Fprintf(bw, "<h2>%s</h2>\n", esc(s.Heading))
		if s.Text != "" {
			fmt.Fprintf(bw, "<pre>%s</pre>\n", esc(s.Text))
		}
		for _, c := range s.Charts {
			if err := bw.Flush(); err != nil {
				return err
			}
			if err := c.WriteSVG(bw); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(bw, "</body></html>")
	return bw.Flush()
}

package scenarios

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed parses doc as XML to its end and counts the elements by name.
func wellFormed(t *testing.T, doc string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return count
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
}

func TestChartIsWellFormedSVG(t *testing.T) {
	c := Chart{
		Title: `lag <saga> & "payer"`, XLabel: "s", YLabel: "records",
		Series: []Series{
			{Name: "saga", Points: []Point{{0, 0}, {1, 120}, {2, 40}}},
			{Name: "payer & co", Points: []Point{{0, 5}, {2, 7}}},
			{Name: "empty"},
		},
		Bands: []Band{{From: 0.5, To: 1.5, Label: "spike x10"}},
	}
	var b bytes.Buffer
	if err := c.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	n := wellFormed(t, b.String())
	if n["svg"] != 1 || n["polyline"] != 2 || n["rect"] != 2 {
		t.Errorf("elements %v: want one svg, a polyline per non-empty series, the band and the frame", n)
	}
	if !strings.Contains(b.String(), `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("no SVG namespace: browsers would not render it inline in XHTML")
	}
	if !strings.Contains(b.String(), "lag &lt;saga&gt; &amp; &#34;payer&#34;") {
		t.Error("title not escaped")
	}
	// The highest point (120) sits at the top of a 0..200 axis; nothing
	// is drawn outside the plot area.
	if !strings.Contains(b.String(), ">200<") {
		t.Error("y axis does not end at the nice value 200 above 120")
	}
}

func TestEmptyChartStillRenders(t *testing.T) {
	var b bytes.Buffer
	if err := (Chart{Title: "nothing"}).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if n := wellFormed(t, b.String()); n["polyline"] != 0 || n["svg"] != 1 {
		t.Errorf("elements %v", n)
	}
	if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
		t.Errorf("empty chart has NaN/Inf coordinates:\n%s", b.String())
	}
}

func TestHTMLReportIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	err := WriteHTML(&b, "spike <run>", []Section{{Heading: "run 0", Text: "p99 < 200 ms", Charts: []Chart{{Title: "a", Series: []Series{{Name: "x", Points: []Point{{0, 1}, {1, 2}}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, banned := range []string{"<script", "http://", "https://", "src="} {
		if banned == "http://" {
			html = strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		if strings.Contains(html, banned) {
			t.Errorf("report contains %q: it must open offline", banned)
		}
	}
	svg := b.String()[strings.Index(b.String(), "<svg") : strings.Index(b.String(), "</svg>")+len("</svg>")]
	wellFormed(t, svg)
	if !strings.Contains(b.String(), "p99 &lt; 200 ms") || !strings.Contains(b.String(), "<title>spike &lt;run&gt;</title>") {
		t.Error("text not escaped")
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0.3: 0.5, 1: 1, 1.2: 2, 3: 5, 7: 10, 120: 200, 5000: 5000, 5001: 10000} {
		if got := niceCeil(v); got < want*0.999999 || got > want*1.000001 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

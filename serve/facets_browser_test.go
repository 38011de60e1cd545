package serve_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// In headless Chromium: the map's points are solid and large enough to
// see, colouring by genres gives a legend and several colours, and the
// filter controls (a genre chip, a year range) narrow both the results and
// the points drawn on the map.
func TestFacetsInBrowser(t *testing.T) {
	chromium(t)
	hs, _ := fixture(t)
	cat := movies(t)
	ctx := browser(t)
	want := func(keep func(movie) bool) int {
		n := 0
		for _, m := range cat {
			if keep(m) {
				n++
			}
		}
		return n
	}
	sciFi := func(m movie) bool { return slices.Contains(m.Genres, "Sci-Fi") }
	recent := func(m movie) bool { return sciFi(m) && m.Year >= 2000 }

	err := chromedp.Do(ctx,
		chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll[chromedp.Void](`document.getElementById('map').dataset.points === '300' && document.querySelector('#facets input[data-field="genres"]') !== null`),
	)
	if err != nil {
		t.Fatalf("open the page: %v", err)
	}
	// Visible points: opaque at their centre and 3 px off it (old points
	// were 5 px squares at 35% opacity), and not pale.
	const pixels = `(dx => { const c = document.getElementById('map'), g = c.getContext('2d');
		return points.map(p => { const [x, y] = xy(p, c); return [...g.getImageData(Math.round(x + dx), Math.round(y), 1, 1).data]; }); })`
	for _, dx := range []int{0, 3} {
		px, err := chromedp.Run(ctx, chromedp.Evaluate[[][]int](pixels+"("+strconv.Itoa(dx)+")"))
		if err != nil {
			t.Fatal(err)
		}
		solid := 0
		for _, p := range px {
			if p[3] >= 200 && 0.299*float64(p[0])+0.587*float64(p[1])+0.114*float64(p[2]) < 170 {
				solid++
			}
		}
		if solid < len(px)*3/4 {
			t.Errorf("%d px from the centre, %d of %d points are solid and dark enough to see", dx, solid, len(px))
		}
	}

	// Colour by genres.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("colorby"), "genres"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('colorby').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#legend .swatch').length > 0`),
	)
	if err != nil {
		t.Fatalf("colour by genres: %v", err)
	}
	legend, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#legend > span')].map(e => e.textContent)`))
	if len(legend) != 10 || legend[0] != "Action" || legend[9] != "other" {
		t.Errorf("legend %q, want the nine most frequent genres from Action, then other", legend)
	}
	px, _ := chromedp.Run(ctx, chromedp.Evaluate[[][]int](pixels+"(0)"))
	colours := map[[3]int]bool{}
	for _, p := range px {
		colours[[3]int{p[0], p[1], p[2]}] = true
	}
	if len(colours) < 5 {
		t.Errorf("coloured by genres, the points show %d colours", len(colours))
	}

	// A genre chip narrows the map, then the search.
	const title = "The Waltz of Kestrel Mills"
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#facets input[data-field="genres"][value="Sci-Fi"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('map').dataset.shown === '`+strconv.Itoa(want(sciFi))+`'`),
		chromedp.SendKeys(chromedp.ID("q"), title),
		chromedp.Click(chromedp.ID("go")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.includes('results for')`),
	)
	if err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('map').dataset.shown`))
		t.Fatalf("filter by Sci-Fi: %v (map shows %s points, want %d)", err, shown, want(sciFi))
	}
	check := func(step string, keep func(movie) bool) {
		t.Helper()
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results .result')].map(e => e.dataset.id)`))
		if err != nil || len(ids) != 10 {
			t.Errorf("%s: results %v, %v; want 10", step, ids, err)
		}
		for _, id := range ids {
			if !keep(cat[id]) {
				t.Errorf("%s: result %s %+v does not match", step, id, cat[id])
			}
		}
		lit, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('map').dataset.highlighted`))
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...highlight].every(id => matches(points.findIndex(p => p.id === id)))`))
		if lit != strconv.Itoa(len(ids)) || !ok {
			t.Errorf("%s: %s points highlighted, all among those shown: %v; want %d", step, lit, ok, len(ids))
		}
	}
	check("Sci-Fi", sciFi)

	// A year range narrows them further, and the search runs again.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#facets input[data-field="year"][data-bound="min"]`), "2000"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#facets input[data-field="year"][data-bound="min"]').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`document.getElementById('map').dataset.shown === '`+strconv.Itoa(want(recent))+`'`),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#results .result .fields')].every(e => +e.textContent.match(/year (\d+)/)[1] >= 2000)`),
	)
	if err != nil {
		t.Fatalf("filter by year >= 2000: %v", err)
	}
	check("Sci-Fi from 2000", recent)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), "serve-page-filters.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

package serve_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// With the embedding server down, a search in the page ranks by words
// alone and shows the answer's warning above the results, as text; "more
// like this" (no warning) takes it away.
func TestFallbackWarningInBrowser(t *testing.T) {
	chromium(t)
	hs, ol := fixture(t)
	ol.Close()
	ctx := browser(t)

	const title = "The Waltz of Kestrel Mills"
	err := chromedp.Do(ctx, searchTitle(hs.URL, title)...)
	if err != nil {
		t.Fatalf("search in the page with the embedding server down: %v", err)
	}
	type warning struct {
		Text     string `json:"text"`
		Visible  bool   `json:"visible"`
		Children int    `json:"children"`
		Before   bool   `json:"before"`
	}
	read := func() warning {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[warning](`(e => ({
			text: e ? e.textContent : "",
			visible: !!e && !e.hidden && e.offsetParent !== null,
			children: e ? e.children.length : -1,
			before: !!e && !!(e.compareDocumentPosition(document.getElementById('results')) & Node.DOCUMENT_POSITION_FOLLOWING),
		}))(document.getElementById('warning'))`))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := read()
	if !w.Visible || !strings.Contains(w.Text, "words alone") || !strings.Contains(w.Text, strings.TrimPrefix(ol.URL(), "http://")) {
		t.Errorf("warning %+v: want it shown, saying the results rank by words alone and naming %s", w, ol.URL())
	}
	if w.Children != 0 || !w.Before {
		t.Errorf("warning %+v: want plain text above the results", w)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#results .result button.more")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.startsWith('More like')`),
	)
	if err != nil {
		t.Fatalf("more like this: %v", err)
	}
	if w := read(); w.Visible {
		t.Errorf("after more like this, the warning %+v is still shown", w)
	}
}

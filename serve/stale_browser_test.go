package serve_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/serve"
	"github.com/salvoembed/salvo/sqlite"
)

// holdingProxy stands in front of the page's server. The next request
// that a hold's match accepts waits there until the test releases it:
// then it goes through, or is answered with an error.
type holdingProxy struct {
	mu    sync.Mutex
	holds []*hold // each holds one request
	proxy *httputil.ReverseProxy
}

type hold struct {
	match   func(*http.Request) bool
	arrived chan struct{} // closed when the request is held
	release chan struct{} // closed by the test
	fail    bool          // set before release is closed
}

// newHoldingProxy serves a holdingProxy in front of target.
func newHoldingProxy(t *testing.T, target string) (*httptest.Server, *holdingProxy) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &holdingProxy{proxy: httputil.NewSingleHostReverseProxy(u)}
	// A request the page gave up on ends with "context canceled": not news.
	p.proxy.ErrorLog = log.New(io.Discard, "", 0)
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	return hs, p
}

// holdNext holds the next request that match accepts. It returns a
// channel closed when that request arrives, and release: it lets the
// request through, or answers it 502 with a JSON error when fail is set.
func (p *holdingProxy) holdNext(match func(*http.Request) bool) (arrived <-chan struct{}, release func(fail bool)) {
	h := &hold{match: match, arrived: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.holds = append(p.holds, h)
	p.mu.Unlock()
	var once sync.Once
	return h.arrived, func(fail bool) {
		once.Do(func() {
			h.fail = fail
			close(h.release)
		})
	}
}

func (p *holdingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h *hold
	p.mu.Lock()
	for i, c := range p.holds {
		if c.match(r) {
			h = c
			p.holds = append(p.holds[:i], p.holds[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	if h != nil {
		close(h.arrived)
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		if h.fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, `{"error":"the held request failed"}`)
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

// settledJS wraps the page's fetch, before the page's script runs, so
// that window.settled lists the URL of each request whose answer the page
// has read (its JSON parsed, or the request failed or was aborted). The
// page goes on from there in the same run of microtasks, so once a URL is
// listed, the page has shown or dropped that answer: no later task (an
// Evaluate, a Poll) can see the page before.
const settledJS = `(() => {
	const f = window.fetch;
	window.settled = [];
	window.fetch = (...a) => f(...a).then(r => {
		const json = r.json.bind(r);
		r.json = () => json().finally(() => settled.push(String(a[0])));
		return r;
	}, e => { settled.push(String(a[0])); throw e; });
})()`

// watchAnswers installs settledJS in the pages the tab loads from now on.
func watchAnswers() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: settledJS})
		return err
	})
}

// settledCount is the number of answers the page has read whose URL
// contains part.
func settledCount(part string) string {
	return `settled.filter(u => u.includes(` + jsString(part) + `)).length`
}

// settledSearches is the number of answers the page has read to a search
// for q.
func settledSearches(q string) string {
	return `settled.filter(u => u.startsWith('/api/search?') && new URLSearchParams(u.split('?')[1]).get('q') === ` + jsString(q) + `).length`
}

// pageState is what a search or "more like this" shows.
type pageState struct {
	Status  string   `json:"status"`
	Error   bool     `json:"error"`
	Warning string   `json:"warning"`
	Shown   bool     `json:"shown"`
	IDs     []string `json:"ids"`
	First   string   `json:"first"`
}

const pageStateJS = `({
	status: document.getElementById('status').textContent,
	error: document.getElementById('status').className === 'error',
	warning: document.getElementById('warning').textContent,
	shown: !document.getElementById('warning').hidden,
	ids: [...document.querySelectorAll('#results .result')].map(e => e.dataset.id),
	first: document.querySelector('#results .result .title')?.textContent || '',
})`

// A search or "more like this" whose answer (or error) comes after the
// user asked for something else changes nothing: the results, the status
// line and the warning stay those of the last request. The proxy holds
// the older request until the newer one is shown, then lets it through.
func TestStaleAnswersInBrowser(t *testing.T) {
	chromium(t)
	direct, ol := fixture(t)
	hs, proxy := newHoldingProxy(t, direct.URL)
	const (
		poisoned = "The Waltz of Kestrel Mills" // its embedding fails: the answer ranks by words, with a warning
		second   = "Larkspur Cove"
		third    = "The Last Heist"
	)
	ol.Poison(poisoned)
	ctx := browser(t)
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: the request never reached the server: %v", what, ctx.Err())
		}
	}
	search := func(q string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.SetValue(chromedp.ID("q"), q), chromedp.Click(chromedp.ID("go")))
	}
	shows := func(q string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.endsWith(` + jsString("for “"+q+"”") + `)`)
	}
	read := func() pageState {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](pageStateJS))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	isSearch := func(q string) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.URL.Path == "/api/search" && r.URL.Query().Get("q") == q }
	}
	err := chromedp.Do(ctx,
		watchAnswers(),
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#collection option').length > 0`),
	)
	if err != nil {
		t.Fatalf("open the page: %v", err)
	}

	// A search, then another before the first is answered; the first's
	// late answer has another ranking and a warning.
	arrived, release := proxy.holdNext(isSearch(poisoned))
	if err := chromedp.Do(ctx, search(poisoned)); err != nil {
		t.Fatal(err)
	}
	wait("search "+poisoned, arrived)
	err = chromedp.Do(ctx,
		search(second),
		shows(second),
		chromedp.Poll[chromedp.Void](`document.querySelector('#results .result .title')?.textContent === `+jsString(second)),
	)
	if err != nil {
		t.Fatalf("search %q: %v", second, err)
	}
	want := read()
	release(false)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](settledSearches(poisoned)+` === 1`)); err != nil {
		t.Fatalf("the answer to %q never reached the page: %v", poisoned, err)
	}
	if got := read(); got.Status != want.Status || got.Error || got.Shown || got.First != second || !slices.Equal(got.IDs, want.IDs) {
		t.Errorf("after the late answer to %q, the page shows %+v; want %+v", poisoned, got, want)
	}

	// A search, then "more like this" before it is answered; the search
	// fails late.
	arrived, release = proxy.holdNext(isSearch(third))
	if err := chromedp.Do(ctx, search(third)); err != nil {
		t.Fatal(err)
	}
	wait("search "+third, arrived)
	first := read().First
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#results .result button.more")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent === `+jsString("More like “"+first+"”")),
	)
	if err != nil {
		t.Fatalf("more like %q: %v", first, err)
	}
	want = read()
	release(true)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](settledSearches(third)+` === 1`)); err != nil {
		t.Fatalf("the error for %q never reached the page: %v", third, err)
	}
	if got := read(); got.Status != want.Status || got.Error || got.Shown || !slices.Equal(got.IDs, want.IDs) {
		t.Errorf("after the late error for %q, the page shows %+v; want %+v", third, got, want)
	}

	// "More like this", then a search before it is answered; the search
	// has a warning, which the late neighbours must not take away.
	similars, err := chromedp.Run(ctx, chromedp.Evaluate[int](settledCount("/api/similar")))
	if err != nil {
		t.Fatal(err)
	}
	arrived, release = proxy.holdNext(func(r *http.Request) bool { return r.URL.Path == "/api/similar" })
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#results .result button.more"))); err != nil {
		t.Fatal(err)
	}
	wait("more like this", arrived)
	if err := chromedp.Do(ctx, search(poisoned), shows(poisoned)); err != nil {
		t.Fatalf("search %q: %v", poisoned, err)
	}
	want = read()
	if !want.Shown || want.First != poisoned {
		t.Fatalf("search %q with its embedding failing: %+v; want it first, with a warning", poisoned, want)
	}
	release(false)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](settledCount("/api/similar")+` === `+strconv.Itoa(similars+1))); err != nil {
		t.Fatalf("the late neighbours never reached the page: %v", err)
	}
	if got := read(); got.Status != want.Status || got.Error || got.Warning != want.Warning || !got.Shown || !slices.Equal(got.IDs, want.IDs) {
		t.Errorf("after the late neighbours, the page shows %+v; want %+v", got, want)
	}
}

// twoCollections serves the sample catalog as "movies" and its first 40
// records as "shorts", embedded through ollamatest.
func twoCollections(t *testing.T) *httptest.Server {
	t.Helper()
	all, err := os.ReadFile("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shorts := filepath.Join(dir, "shorts.jsonl")
	if err := os.WriteFile(shorts, []byte(strings.Join(strings.SplitAfter(string(all), "\n")[:40], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	ol := ollamatest.New(ollamatest.Config{Models: []string{model}})
	t.Cleanup(ol.Close)
	db := filepath.Join(dir, "movies.db")
	for _, catalog := range []string{"../examples/movies.jsonl", shorts} {
		embed := exec.Command(salvoBinary(t), "embed", catalog, "--host", ol.URL(), "--model", model, "--db", db,
			"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet")
		if out, err := embed.CombinedOutput(); err != nil {
			t.Fatalf("salvo embed %s: %v: %s", catalog, err, out)
		}
	}
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := httptest.NewServer(serve.New(st, serve.Options{}))
	t.Cleanup(hs.Close)
	return hs
}

// The map, the filter controls and a search of a collection the user left
// before they were answered do not replace those of the collection chosen
// next: the search's status says to type a query again.
func TestStaleMapInBrowser(t *testing.T) {
	chromium(t)
	hs, proxy := newHoldingProxy(t, twoCollections(t).URL)
	ctx := browser(t)
	mapArrived, releaseMap := proxy.holdNext(func(r *http.Request) bool { return r.URL.Path == "/api/map" })
	facetsArrived, releaseFacets := proxy.holdNext(func(r *http.Request) bool { return r.URL.Path == "/api/facets" })
	err := chromedp.Do(ctx,
		watchAnswers(),
		chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#collection option').length === 2`),
	)
	if err != nil {
		t.Fatalf("open the page: %v", err)
	}
	const title = "Larkspur Cove"
	searchArrived, releaseSearch := proxy.holdNext(func(r *http.Request) bool { return r.URL.Path == "/api/search" })
	err = chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("q"), title), chromedp.Click(chromedp.ID("go")))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan struct{}{mapArrived, facetsArrived, searchArrived} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the page asked for no map, facets or search in its first collection: %v", ctx.Err())
		}
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#collection option')].map(o => o.value)`))
	if err != nil || len(names) != 2 {
		t.Fatalf("collections %q, %v", names, err)
	}
	size := map[string]string{"movies": "300", "shorts": "40"}
	first, next := names[0], names[1]
	type mapState struct {
		Note    string `json:"note"`
		Points  string `json:"points"`
		Facets  string `json:"facets"`
		Status  string `json:"status"`
		Results int    `json:"results"`
	}
	const stateJS = `({note: document.getElementById('mapnote').textContent,
		points: document.getElementById('map').dataset.points,
		facets: document.getElementById('facets').innerHTML,
		status: document.getElementById('status').textContent,
		results: document.querySelectorAll('#results .result').length})`
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("collection"), next),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('collection').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`document.getElementById('map').dataset.points === `+jsString(size[next])),
		chromedp.Poll[chromedp.Void](`document.querySelector('#facets input[data-field="genres"]') !== null`),
	)
	if err != nil {
		t.Fatalf("choose %s: %v", next, err)
	}
	want, err := chromedp.Run(ctx, chromedp.Evaluate[mapState](stateJS))
	if err != nil {
		t.Fatal(err)
	}
	releaseMap(false)
	releaseFacets(false)
	releaseSearch(false)
	for _, path := range []string{"/api/map?collection=" + first, "/api/facets?collection=" + first, "/api/search?collection=" + first} {
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](settledCount(path)+` === 1`)); err != nil {
			t.Fatalf("the answer to %s never reached the page: %v", path, err)
		}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[mapState](stateJS))
	if err != nil {
		t.Fatal(err)
	}
	if got.Note != want.Note || got.Points != want.Points {
		t.Errorf("after the late map of %s, the map shows %q (%s points); want %q (%s points)", first, got.Note, got.Points, want.Note, want.Points)
	}
	if got.Facets != want.Facets {
		t.Errorf("after the late facets of %s, the filter controls changed:\n%s\nwant\n%s", first, got.Facets, want.Facets)
	}
	if prompt := "Type a query, or click a point of the map."; got.Status != prompt || got.Results != 0 {
		t.Errorf("after the late search in %s, the page shows %q and %d results; want %q and none", first, got.Status, got.Results, prompt)
	}
}

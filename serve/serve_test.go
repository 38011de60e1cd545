package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/serve"
	"github.com/salvoembed/salvo/sqlite"
)

// model has no query prefix, so a query for a title is embedded as the
// title itself and finds that movie first.
const model = "all-minilm"

// fixture embeds the sample catalog (title as text, three kept fields)
// through ollamatest and serves it.
func fixture(t *testing.T) (*httptest.Server, *ollamatest.Server) {
	t.Helper()
	return fixtureWith(t, serve.Options{})
}

// fixtureWith is fixture with opts (its Embedder is set to ollamatest's).
func fixtureWith(t *testing.T, opts serve.Options) (*httptest.Server, *ollamatest.Server) {
	t.Helper()
	movies, err := filepath.Abs("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return fixtureOf(t, movies, model, opts)
}

// fixtureOf embeds the catalog at path with model (title as text, title,
// year and genres kept; more embed flags in opts) and serves it with opts.
func fixtureOf(t *testing.T, movies, model string, opts serve.Options, embedArgs ...string) (*httptest.Server, *ollamatest.Server) {
	t.Helper()
	ol := ollamatest.New(ollamatest.Config{Models: []string{model}})
	t.Cleanup(ol.Close)
	db := filepath.Join(t.TempDir(), "movies.db")
	embed := exec.Command(salvoBinary(t), append([]string{"embed", movies, "--host", ol.URL(), "--model", model, "--db", db,
		"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet"}, embedArgs...)...)
	if out, err := embed.CombinedOutput(); err != nil {
		t.Fatalf("salvo embed: %v: %s", err, out)
	}
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts.Embedder = func(ctx context.Context, c salvo.Collection) (salvo.Embedder, error) {
		return ollama.New(ol.URL(), ollama.Options{Model: c.Model})
	}
	srv := serve.New(st, opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs, ol
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

// salvoBinary builds cmd/salvo once per test binary: the fixtures are
// embedded as a user embeds them, by the command itself.
func salvoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "salvo-serve-test-")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "salvo")
		out, err := exec.Command("go", "build", "-o", binary, "../cmd/salvo").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ../cmd/salvo: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func get(t *testing.T, u string, status int, into any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Errorf("GET %s: status %d, want %d", u, resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q", u, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Errorf("GET %s: %v", u, err)
	}
}

type results struct {
	Results []struct {
		ID     string
		Score  float64
		Fields map[string]any
	}
	Error string
}

func TestAPI(t *testing.T) {
	hs, _ := fixture(t)
	var colls struct {
		Collections []struct {
			Name   string
			Count  int
			Model  string
			Fields []string
		}
	}
	get(t, hs.URL+"/api/collections", 200, &colls)
	if len(colls.Collections) != 1 || colls.Collections[0].Name != "movies" || colls.Collections[0].Count != 300 ||
		strings.Join(colls.Collections[0].Fields, ",") != "title,year,genres" {
		t.Errorf("/api/collections = %+v", colls)
	}

	var r results
	get(t, hs.URL+"/api/search?collection=movies&k=3&q="+url.QueryEscape("The Waltz of Kestrel Mills"), 200, &r)
	if len(r.Results) != 3 || r.Results[0].ID != "7" || r.Results[0].Score < 0.9999 || r.Results[0].Fields["title"] != "The Waltz of Kestrel Mills" {
		t.Errorf("/api/search = %+v", r)
	}
	r = results{}
	get(t, hs.URL+"/api/similar/movies/7?k=5", 200, &r)
	if len(r.Results) != 5 {
		t.Errorf("/api/similar: %d results, want 5", len(r.Results))
	}
	for _, x := range r.Results {
		if x.ID == "7" {
			t.Error("/api/similar/movies/7 returned 7")
		}
	}
	var m struct {
		Points []struct {
			ID, Label string
			X, Y      float64
		}
		Total int
	}
	get(t, hs.URL+"/api/map/movies", 200, &m)
	if len(m.Points) != 300 || m.Total != 300 || m.Points[0].Label != "Dusk in Kestrel Bay" {
		t.Errorf("/api/map: %d points of %d, first %+v", len(m.Points), m.Total, m.Points[0])
	}
	spread := 0.0
	for _, p := range m.Points {
		spread += p.X*p.X + p.Y*p.Y
	}
	if !(spread > 0) {
		t.Errorf("/api/map: every point at the origin")
	}

	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/search?collection=movies&q=", 400, "empty query"},
		{"/api/search?collection=films&q=x", 404, "no such collection"},
		{"/api/search?q=x", 400, "give ?collection=NAME"},
		{"/api/search?collection=movies&q=x&k=0", 400, "k=\"0\""},
		{"/api/similar/movies/nope", 404, "no such ID"},
		{"/api/similar/films/1", 404, "no such collection"},
		{"/api/map/films", 404, "no such collection"},
	} {
		var e results
		get(t, hs.URL+tc.path, tc.status, &e)
		if !strings.Contains(e.Error, tc.want) {
			t.Errorf("GET %s: error %q, want %q", tc.path, e.Error, tc.want)
		}
	}
}

func TestSearchWithoutServer(t *testing.T) {
	hs, ol := fixture(t)
	ol.Close()
	var e results
	get(t, hs.URL+"/api/search?collection=movies&mode=vector&q=x", 502, &e)
	if !strings.Contains(e.Error, strings.TrimPrefix(ol.URL(), "http://")) {
		t.Errorf("error %q does not name the server %s", e.Error, ol.URL())
	}
	// Hybrid (the default) ranks by words alone, and says why.
	var h struct{ Warning string }
	get(t, hs.URL+"/api/search?collection=movies&q=x", 200, &h)
	if !strings.Contains(h.Warning, strings.TrimPrefix(ol.URL(), "http://")) {
		t.Errorf("warning %q does not name the server %s", h.Warning, ol.URL())
	}
	// Similar needs no server.
	var r results
	get(t, hs.URL+"/api/similar/movies/1?k=2", 200, &r)
	if len(r.Results) != 2 {
		t.Errorf("similar without a server: %+v", r)
	}
}

func TestPageIsOffline(t *testing.T) {
	hs, _ := fixture(t)
	resp, err := http.Get(hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	page := b.String()
	if resp.StatusCode != 200 || !strings.Contains(page, `id="q"`) || !strings.Contains(page, "<canvas") {
		t.Fatalf("GET /: %d, %.200s", resp.StatusCode, page)
	}
	for _, bad := range []string{"http://", "https://", "<script src", "<link "} {
		if strings.Contains(page, bad) {
			t.Errorf("the page refers to %q: it must work offline", bad)
		}
	}
}

// A collection of nomic-embed-text embedded without its document prefix is
// searched without its query prefix: a record's exact text finds it with
// score 1. /api/collections says which prefixes apply.
func TestSearchPrefixesArePairs(t *testing.T) {
	movies, err := filepath.Abs("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	const title = "The Waltz of Kestrel Mills"
	for _, tc := range []struct {
		embedArgs []string
		doc, q    string
	}{
		{nil, "", ""},
		{[]string{"--prefix", "search_document: "}, "search_document: ", "search_query: "},
	} {
		hs, _ := fixtureOf(t, movies, ollamatest.DefaultModel, serve.Options{}, tc.embedArgs...)
		var colls struct {
			Collections []struct {
				Prefixes struct{ Document, Query string }
			}
		}
		get(t, hs.URL+"/api/collections", 200, &colls)
		if len(colls.Collections) != 1 || colls.Collections[0].Prefixes.Document != tc.doc || colls.Collections[0].Prefixes.Query != tc.q {
			t.Errorf("embed %q: /api/collections = %+v, want prefixes %q and %q", tc.embedArgs, colls, tc.doc, tc.q)
		}
		var r results
		get(t, hs.URL+"/api/search?collection=movies&mode=vector&k=5&q="+url.QueryEscape(title), 200, &r)
		exact := len(r.Results) > 0 && r.Results[0].ID == "7" && r.Results[0].Score > 0.9999
		if tc.q == "" && !exact {
			t.Errorf("embed %q: the exact title is not first with score 1: %+v", tc.embedArgs, r.Results)
		}
		// The fake server's vectors depend on the whole text.
		if tc.q != "" && exact {
			t.Errorf("embed %q: the query was sent without %q", tc.embedArgs, tc.q)
		}
	}
}

// The where parameter (which may repeat) filters /api/search and
// /api/similar before ranking; a bad one is 400 with the kept fields.
func TestWhereInAPI(t *testing.T) {
	hs, _ := fixture(t)
	where := "&where=" + url.QueryEscape("year >= 2000") + "&where=" + url.QueryEscape("genres ~ sci")
	for _, path := range []string{
		"/api/search?collection=movies&k=10&q=" + url.QueryEscape("The Waltz of Kestrel Mills") + where,
		"/api/similar?collection=movies&id=7&k=10" + where,
	} {
		var r results
		get(t, hs.URL+path, 200, &r)
		if len(r.Results) != 10 {
			t.Errorf("GET %s: %d results, want 10", path, len(r.Results))
		}
		for _, x := range r.Results {
			g, _ := json.Marshal(x.Fields["genres"])
			if y, _ := x.Fields["year"].(float64); y < 2000 || !strings.Contains(strings.ToLower(string(g)), "sci") {
				t.Errorf("GET %s: %s %v does not match", path, x.ID, x.Fields)
			}
		}
	}
	for _, path := range []string{
		"/api/search?collection=movies&q=x&where=" + url.QueryEscape("rating > 3"),
		"/api/similar?collection=movies&id=7&where=" + url.QueryEscape("rating > 3"),
		"/api/similar?collection=movies&id=7&where=" + url.QueryEscape("year >> 3"),
	} {
		var e results
		get(t, hs.URL+path, 400, &e)
		if !strings.Contains(e.Error, "the kept fields are title, year, genres") {
			t.Errorf("GET %s: error %q, want the kept fields", path, e.Error)
		}
	}
}

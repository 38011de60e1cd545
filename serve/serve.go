// Package serve is salvo's search page and JSON API: one HTML page, built
// into the binary and needing no network (no CDN, no build step), over
//
//	GET /api/collections                           {"collections":[{…,"prefixes":{"document","query"}}, …],"aliases":[{"name","collection"}, …]}
//	GET /api/search?collection=C&q=TEXT&k=10       {"results":[{"id","score","fields","text"}, …]}
//	    &where=EXPR (may repeat)                   only records whose kept fields match (see search.ParseWhere)
//	    &mode=hybrid|vector|text                   how to rank (see search.Mode; default hybrid)
//	                                               a hybrid query that cannot be embedded ranks by words
//	                                               alone: "mode":"text" and a "warning" say so
//	GET /api/similar?collection=C&id=ID&k=10       the same, from a stored record (never itself)
//	GET /api/map?collection=C                      {"points":[{"id","x","y","label"}, …]}: a 2-D PCA of up to MapPoints vectors
//	GET /api/facets?collection=C                   {"fields":[{"name","kind","values","counts","min","max","points"}, …]}: the kept fields of the map's records
//	GET /api/matches?collection=C&where=EXPR       {"matches":[i, …]}: the indexes of the map's points that match every where
//
// Wherever a request names a collection, an alias of one does too (resolved
// at each request, so that repointing it takes effect at once).
//
// The names and IDs go in the query string, so that any ID a store holds
// (".." or "a/b", which a path would clean or split) works once escaped.
// The older forms /api/similar/{collection}/{id} and /api/map/{collection}
// still answer, for the IDs a path can carry.
//
// Errors are {"error":"…"} with a 4xx or 5xx status. A request whose Host
// header does not name the server (Options.Addr) gets 421: see HostError. A collection's
// vectors are loaded on first use and kept, quantised to int8 for fast
// scans.
//
//	srv := serve.New(store, serve.Options{Embedder: connectFn})
//	http.ListenAndServe("127.0.0.1:8080", srv)
package serve

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
)

//go:embed page.html
var page []byte

// MapPoints is the most points the map of a collection shows: above it, an
// even sample of the collection.
const MapPoints = 20000

// MaxK bounds k in requests.
const MaxK = 1000

// Options configure a Server.
type Options struct {
	// Embedder returns a client for the collection's model, to embed
	// queries. It is called once per collection, on the first search.
	Embedder func(ctx context.Context, c salvo.Collection) (salvo.Embedder, error)
	// QueryPrefix returns the text to put before a query of the collection;
	// nil uses search.QueryPrefixFor: the model's query prefix when the
	// collection was embedded with the model's document prefix, else none.
	QueryPrefix func(c salvo.Collection) string

	// Addr is the address the server listens on ("127.0.0.1:8080"). The
	// server answers only requests whose Host header names it: a loopback
	// name or IP (localhost, 127.0.0.1, [::1]), the host of Addr, or, when
	// Addr's host is unspecified (0.0.0.0, "::", ":8080"), the machine's
	// name and interface IPs. Any other Host gets 421 with a HostError, so
	// that no page of another site can read the catalog by DNS rebinding.
	Addr string
	// AllowHosts are more names to answer (a reverse proxy's public name);
	// an element may be a comma-separated list, and "*" allows any Host.
	AllowHosts []string
	// HostHint ends the message of a refused Host: how to allow a name.
	HostHint string
}

// Server answers the page and the API. It is an http.Handler.
type Server struct {
	st   salvo.Store
	opts Options
	mux  *http.ServeMux
	h    http.Handler // mux behind the Host check

	mu    sync.Mutex
	colls map[string]*entry
}

// entry is a loaded collection, its embedder and map, each made once.
type entry struct {
	load    sync.Once
	c       *search.Collection
	loadErr error

	embedMu sync.Mutex
	emb     salvo.Embedder

	mapOnce sync.Once
	mapJSON []byte
	mapErr  error

	facetOnce sync.Once
	facetJSON []byte
	facetRows []map[string]any // the kept fields of the map's points, for /api/matches
	facetErr  error
}

// New returns a server over st.
func New(st salvo.Store, opts Options) *Server {
	if opts.QueryPrefix == nil {
		opts.QueryPrefix = search.QueryPrefixFor
	}
	s := &Server{st: st, opts: opts, mux: http.NewServeMux(), colls: map[string]*entry{}}
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /api/collections", s.collections)
	s.mux.HandleFunc("GET /api/search", s.search)
	s.mux.HandleFunc("GET /api/similar", s.similar)
	s.mux.HandleFunc("GET /api/similar/{collection}/{id}", s.similar)
	s.mux.HandleFunc("GET /api/map", s.mapOf)
	s.mux.HandleFunc("GET /api/map/{collection}", s.mapOf)
	s.mux.HandleFunc("GET /api/facets", s.facetsOf)
	s.mux.HandleFunc("GET /api/matches", s.matchesOf)
	s.h = newHostCheck(opts.Addr, opts.AllowHosts).guard(s.mux, opts.HostHint)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Write(page)
}

// collectionInfo is what the page needs to know of a collection.
type collectionInfo struct {
	salvo.Collection
	Fields   []string          `json:"fields"`   // the kept fields, in order, when known
	Prefixes search.PrefixPair `json:"prefixes"` // the document prefix and the query prefix that goes with it
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	cs, err := s.st.Collections(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]collectionInfo, len(cs))
	for i, c := range cs {
		out[i] = collectionInfo{Collection: c, Fields: []string{}, Prefixes: search.PrefixPair{Document: c.Prefix, Query: s.opts.QueryPrefix(c)}}
		if c.Keep != "" && c.Keep != "*" {
			out[i].Fields = strings.Split(c.Keep, ",")
		}
	}
	aliases := []salvo.Alias{}
	if a, ok := s.st.(salvo.Aliaser); ok {
		list, err := a.Aliases(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		aliases = append(aliases, list...)
	}
	writeJSON(w, map[string]any{"collections": out, "aliases": aliases})
}

// collection returns the loaded collection name.
func (s *Server) collection(ctx context.Context, name string) (*entry, error) {
	if name == "" {
		return nil, errors.New("collection: give ?collection=NAME (see /api/collections)")
	}
	// An alias is resolved at each request: repointing it (salvo alias)
	// switches the server to the other collection at once.
	name, err := salvo.Resolve(ctx, s.st, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	e := s.colls[name]
	if e == nil {
		e = &entry{}
		s.colls[name] = e
	}
	s.mu.Unlock()
	e.load.Do(func() {
		e.c, e.loadErr = search.Open(context.WithoutCancel(ctx), s.st, name, search.Options{Quantize: true})
	})
	if e.loadErr != nil {
		s.mu.Lock()
		delete(s.colls, name) // try again next time: the collection may be filled meanwhile
		s.mu.Unlock()
	}
	return e, e.loadErr
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k, err := kOf(q.Get("k"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	text := q.Get("q")
	if strings.TrimSpace(text) == "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: give ?q=TEXT", search.ErrEmptyQuery))
		return
	}
	e, err := s.collection(r.Context(), q.Get("collection"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	where, err := whereOf(q["where"], e.c.Info)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	mode, err := search.ParseMode(q.Get("mode"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	connect := func() (salvo.Embedder, error) {
		e.embedMu.Lock()
		defer e.embedMu.Unlock()
		if e.emb == nil && s.opts.Embedder != nil {
			emb, err := s.opts.Embedder(r.Context(), e.c.Info)
			if err != nil {
				return nil, err
			}
			e.emb = emb
		}
		if e.emb == nil {
			return nil, errors.New("this server has no embedding server to embed queries with")
		}
		return e.emb, nil
	}
	res, used, why, err := e.c.FindFallback(r.Context(), connect, text, s.opts.QueryPrefix(e.c.Info), k, where, mode)
	if errors.Is(err, search.ErrEmptyQuery) {
		writeError(w, http.StatusBadRequest, err)
		return
	} else if errors.Is(err, search.ErrWhereUnsupported) || errors.Is(err, search.ErrTextUnsupported) {
		writeError(w, statusOf(err), err)
		return
	} else if err != nil {
		writeError(w, http.StatusBadGateway, err)
		return
	}
	if why != nil {
		// A hybrid search ranked by words alone: say so beside the results.
		writeJSON(w, map[string]any{"results": orEmpty(res), "mode": used,
			"warning": fmt.Sprintf("the results rank by words alone, as with mode=text: the query could not be embedded: %v", why)})
		return
	}
	writeResults(w, res)
}

// nameAndID are the collection and ID a request names: in its query
// (?collection=C&id=ID) or, in the older form, in its path.
func nameAndID(r *http.Request) (collection, id string, hasID bool) {
	q := r.URL.Query()
	if r.PathValue("collection") != "" {
		return r.PathValue("collection"), r.PathValue("id"), true
	}
	return q.Get("collection"), q.Get("id"), q.Has("id")
}

func (s *Server) similar(w http.ResponseWriter, r *http.Request) {
	k, err := kOf(r.URL.Query().Get("k"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	name, id, hasID := nameAndID(r)
	if !hasID {
		writeError(w, http.StatusBadRequest, errors.New("id: give ?id=ID, the stored record to find neighbours of (escaped, e.g. with encodeURIComponent)"))
		return
	}
	e, err := s.collection(r.Context(), name)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	where, err := whereOf(r.URL.Query()["where"], e.c.Info)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := e.c.SimilarWhere(r.Context(), id, k, where)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeResults(w, res)
}

// point is one record on the map.
type point struct {
	ID    string  `json:"id"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Label string  `json:"label"`
}

func (s *Server) mapOf(w http.ResponseWriter, r *http.Request) {
	name, _, _ := nameAndID(r)
	e, err := s.collection(r.Context(), name)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	e.mapOnce.Do(func() { e.mapJSON, e.mapErr = s.buildMap(context.WithoutCancel(r.Context()), e.c) })
	if e.mapErr != nil {
		writeError(w, http.StatusInternalServerError, e.mapErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(e.mapJSON)
}

// buildMap projects an even sample of up to MapPoints vectors on their two
// principal components, labelled with the first kept field. A store that
// searches by itself (pgvector) has no index in memory: its vectors are
// read once for the map, when the store can read them all at once.
func (s *Server) buildMap(ctx context.Context, c *search.Collection) ([]byte, error) {
	var (
		total, dims int
		idOf        func(int) string
		vectorOf    func(int) []float32
	)
	if ix := c.Index(); ix != nil {
		total, dims, idOf, vectorOf = ix.Len(), ix.Dims(), ix.ID, ix.Vector
	} else if vr, ok := s.st.(salvo.VectorReader); ok {
		all, vecs, d, err := vr.Vectors(ctx, c.Info.Name)
		if err != nil {
			return nil, err
		}
		total, dims = len(all), d
		idOf = func(i int) string { return all[i] }
		vectorOf = func(i int) []float32 { return vecs[i*d : (i+1)*d] }
	} else {
		return json.Marshal(map[string]any{"points": []point{}, "note": "the store searches by itself: no map"})
	}
	n := min(total, MapPoints)
	sample := make([]float32, 0, n*dims)
	ids := make([]string, n)
	for i := range n {
		row := i * total / n
		ids[i] = idOf(row)
		sample = append(sample, vectorOf(row)...)
	}
	xy := project2D(sample, n, dims)
	pts := make([]point, n)
	for i := range pts {
		pts[i] = point{ID: ids[i], X: xy[i][0], Y: xy[i][1], Label: ids[i]}
	}
	if dr, ok := s.st.(salvo.DocReader); ok {
		docs, err := dr.Docs(ctx, c.Info.Name, ids)
		if err != nil {
			return nil, err
		}
		for i, d := range docs {
			pts[i].Label = label(d, c.Info)
		}
	}
	return json.Marshal(map[string]any{"points": pts, "total": total})
}

// label names a record on the map: its first kept field, else its text.
func label(d salvo.Doc, c salvo.Collection) string {
	if first, _, _ := strings.Cut(c.Keep, ","); first != "" && first != "*" && len(d.Fields) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(d.Fields, &m) == nil {
			var s string
			if raw, ok := m[first]; ok && json.Unmarshal(raw, &s) == nil && s != "" {
				return s
			} else if ok && len(raw) > 0 && string(raw) != "null" {
				return string(raw)
			}
		}
	}
	t := strings.TrimPrefix(d.Text, c.Prefix)
	if r := []rune(t); len(r) > 80 {
		t = string(r[:79]) + "…"
	}
	if t == "" {
		return d.ID
	}
	return t
}

// whereOf parses the where parameters against c's kept fields; an
// expression that does not parse gets the kept fields too.
func whereOf(exprs []string, c salvo.Collection) (search.Where, error) {
	w, err := search.ParseWheres(exprs, c.Keep)
	var we *search.WhereError
	if errors.As(err, &we) && c.Keep != "" && c.Keep != "*" {
		return nil, fmt.Errorf("%w; write FIELD OP VALUE (operators = != < <= > >= ~ in); the kept fields are %s", err, strings.ReplaceAll(c.Keep, ",", ", "))
	}
	return w, err
}

func kOf(s string) (int, error) {
	if s == "" {
		return 10, nil
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || k > MaxK {
		return 0, fmt.Errorf("k=%q: want a whole number from 1 to %d", s, MaxK)
	}
	return k, nil
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, salvo.ErrNoCollection), errors.Is(err, search.ErrUnknownID):
		return http.StatusNotFound
	case errors.Is(err, search.ErrEmptyCollection):
		return http.StatusConflict
	case errors.Is(err, search.ErrWhereUnsupported), errors.Is(err, search.ErrTextUnsupported):
		return http.StatusNotImplemented
	}
	return http.StatusBadRequest
}

func writeResults(w http.ResponseWriter, res []search.Result) {
	writeJSON(w, map[string]any{"results": orEmpty(res)})
}

// orEmpty is res, or an empty list (JSON [], not null) for nil.
func orEmpty(res []search.Result) []search.Result {
	if res == nil {
		return []search.Result{}
	}
	return res
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, err error) {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

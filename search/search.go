// Package search finds the records of a collection nearest to a query
// text or to a stored record: it loads the collection's vectors from the
// store once (package vecindex scans them), embeds queries with the
// collection's own model and prefix, and joins the kept fields to the hits.
//
// A store that ranks by itself ([salvo.Searcher], e.g. PostgreSQL with
// pgvector) is asked directly instead, and nothing is loaded; so is one
// that filters by itself ([salvo.FilterSearcher]) for a search with a
// filter, unless it refuses the filter.
//
//	c, err := search.Open(ctx, store, "movies", search.Options{})
//	results, err := c.Query(ctx, embedder, "a heist comedy set in Paris", search.QueryPrefixFor(c.Info), 10)
//
// [Collection.Find] ranks by a [Mode]: by meaning (as Query), by words (a
// store's full-text index, [salvo.TextSearcher]) or both fused (hybrid:
// an exact title or name first, whatever the model).
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/vecindex"
)

// Result is one record found: its ID, cosine similarity and kept fields.
type Result struct {
	ID     string          `json:"id"`
	Score  float32         `json:"score"`
	Fields json.RawMessage `json:"fields"`         // the kept fields as stored, {} when none
	Text   string          `json:"text,omitempty"` // the embedded text, without the collection's prefix
	// Chunk is the record's piece that matched best, for a record cut
	// into pieces (salvo embed --chunk); nil for a whole record.
	Chunk *ChunkHit `json:"chunk,omitempty"`
}

// Options tune Open.
type Options struct {
	// Quantize builds the int8 copy of the vectors and searches it,
	// re-ranking exactly: 3-4× faster per query for a long-running server,
	// while a single search is faster without it (quantising reads every
	// vector once). The copy is built in the background: queries scan the
	// float32 vectors until it is ready, so the first answer does not wait.
	Quantize bool
}

// Collection is a collection ready to search. It is safe for concurrent use.
type Collection struct {
	Info     salvo.Collection
	store    salvo.Store
	index    *vecindex.Index // nil when the store is a Searcher
	searcher salvo.Searcher
	quantize bool
	// PerPiece lists the pieces of long records as results of their own
	// instead of each record once, by its best piece. Set it before
	// searching.
	PerPiece bool
	rows     []pieceRow // by row of index, when the collection has pieces

	exactOnce sync.Once       // a store that ranks by itself: the index for filtered searches
	exact     *vecindex.Index // (filters apply before ranking, which the store's index cannot)
	exactErr  error
	exactRows []pieceRow

	rowsOnce  sync.Once        // the kept fields of every row, for filters
	rowFields []map[string]any // by row of index
	rowsErr   error
}

// Open's error for a collection that is not in the store wraps
// [salvo.ErrNoCollection] (an *UnknownCollectionError), and ErrEmptyCollection
// for one without vectors;
// ErrUnknownID by Similar's (an *UnknownIDError) for an ID that is not in
// the collection;
// ErrEmptyQuery by Query's for a blank query.
var (
	ErrUnknownID       = errors.New("no such ID")
	ErrEmptyQuery      = errors.New("empty query")
	ErrEmptyCollection = errors.New("collection is empty")
)

// Open finds the collection named name in st (or the one the alias name
// points to, see [salvo.Resolve]) and loads its vectors (unless st
// implements [salvo.Searcher]). An unknown collection or one without
// vectors is an error that says what to do.
func Open(ctx context.Context, st salvo.Store, name string, opts Options) (*Collection, error) {
	name, err := salvo.Resolve(ctx, st, name)
	if err != nil {
		return nil, err
	}
	colls, err := st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range colls {
		names = append(names, c.Name)
		if c.Name != name {
			continue
		}
		if c.Count == 0 || c.Dims == 0 {
			return nil, &EmptyCollectionError{Name: name}
		}
		out := &Collection{Info: c, store: st, quantize: opts.Quantize}
		pieces, err := hasPieces(ctx, st, name)
		if err != nil {
			return nil, err
		}
		if s, ok := st.(salvo.Searcher); ok && !pieces {
			// Ask once whether the store ranks this collection itself.
			_, err := s.Search(ctx, name, make([]float32, c.Dims), 1, "")
			switch {
			case err == nil:
				out.searcher = s
				return out, nil
			case !errors.Is(err, errors.ErrUnsupported):
				return nil, err
			}
		}
		if err := out.load(ctx); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, &UnknownCollectionError{Name: name, Known: names}
}

// load reads every vector into the index.
func (c *Collection) load(ctx context.Context) (err error) {
	c.index, c.rows, err = c.loadIndex(ctx)
	return err
}

// loadIndex reads every vector into a new index: one row per whole record
// and one per piece of a long one (the rows say which).
func (c *Collection) loadIndex(ctx context.Context) (*vecindex.Index, []pieceRow, error) {
	var (
		ids  []string
		vecs []float32
		dims int
		err  error
	)
	if vr, ok := c.store.(salvo.VectorReader); ok {
		ids, vecs, dims, err = vr.Vectors(ctx, c.Info.Name)
	} else {
		dims = c.Info.Dims
		vecs = make([]float32, 0, c.Info.Count*dims)
		err = c.store.Each(ctx, c.Info.Name, func(id string, v []float32) error {
			if len(v) != dims {
				return &salvo.DimensionError{Collection: c.Info.Name, Have: len(v), Want: dims}
			}
			ids = append(ids, id)
			vecs = append(vecs, v...)
			return nil
		})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load collection %q: %w", c.Info.Name, err)
	}
	ids, vecs, rows, err := c.withPieces(ctx, ids, vecs, dims)
	if err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, &EmptyCollectionError{Name: c.Info.Name}
	}
	ix, err := vecindex.New(dims, ids, vecs)
	if err != nil {
		return nil, nil, err
	}
	if c.quantize {
		go ix.Quantize()
	}
	return ix, rows, nil
}

// Index returns the in-memory index, or nil when the store searches itself.
func (c *Collection) Index() *vecindex.Index { return c.index }

// Query embeds prefix+text with emb (a client for the collection's model)
// and returns the k nearest records.
func (c *Collection) Query(ctx context.Context, emb salvo.Embedder, text, prefix string, k int) ([]Result, error) {
	return c.QueryWhere(ctx, emb, text, prefix, k, nil)
}

// QueryWhere is Query among the records that match w: the filter applies
// before ranking, so k results come back whenever k records match.
func (c *Collection) QueryWhere(ctx context.Context, emb salvo.Embedder, text, prefix string, k int, w Where) ([]Result, error) {
	q, err := c.embedQuery(ctx, emb, text, prefix)
	if err != nil {
		return nil, err
	}
	return c.NearestWhere(ctx, q, k, "", w)
}

// embedQuery returns the unit vector of prefix+text.
func (c *Collection) embedQuery(ctx context.Context, emb salvo.Embedder, text, prefix string) ([]float32, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: give the text to search for", ErrEmptyQuery)
	}
	if emb == nil {
		return nil, &EmbedQueryError{Err: errors.New("no embedding server to embed the query with")}
	}
	e, err := emb.Embed(ctx, []string{prefix + text})
	if err != nil {
		return nil, &EmbedQueryError{Err: err}
	}
	if len(e.Vectors) != 1 {
		return nil, &EmbedQueryError{Err: fmt.Errorf("%w: %d vectors for one query", salvo.ErrInvalidResponse, len(e.Vectors))}
	}
	q := e.Vectors[0]
	if len(q) != c.Info.Dims {
		return nil, &QueryDimensionError{Model: c.Info.Model, Got: len(q), Collection: c.Info.Name, Want: c.Info.Dims}
	}
	if err := unit(q); err != nil {
		return nil, &EmbedQueryError{Err: err}
	}
	return q, nil
}

// Similar returns the k records nearest to the stored record id, leaving
// id itself out. It sends no request.
func (c *Collection) Similar(ctx context.Context, id string, k int) ([]Result, error) {
	return c.SimilarWhere(ctx, id, k, nil)
}

// SimilarWhere is Similar among the records that match w.
func (c *Collection) SimilarWhere(ctx context.Context, id string, k int, w Where) ([]Result, error) {
	if c.index == nil {
		v, err := c.vector(ctx, id)
		if err != nil {
			return nil, err
		}
		return c.NearestWhere(ctx, v, k, id, w)
	}
	row, ok := c.recordRow(c.index, id)
	if !ok {
		return nil, c.unknownID(id)
	}
	return c.NearestWhere(ctx, c.index.Vector(row), k, id, w)
}

func (c *Collection) unknownID(id string) error {
	return &UnknownIDError{ID: id, Collection: c.Info.Name}
}

// vector reads one stored vector, for stores that search themselves: with
// one query where the store can ([salvo.ItemVectorReader]), else through
// Each.
func (c *Collection) vector(ctx context.Context, id string) ([]float32, error) {
	var v []float32
	if ir, ok := c.store.(salvo.ItemVectorReader); ok {
		var err error
		if v, err = ir.ItemVector(ctx, c.Info.Name, id); err != nil {
			return nil, err
		}
	} else {
		stop := errors.New("found")
		err := c.store.Each(ctx, c.Info.Name, func(got string, vec []float32) error {
			if got == id {
				v = vec
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			return nil, err
		}
	}
	if v == nil {
		return nil, c.unknownID(id)
	}
	return v, nil
}

// Nearest returns the k records nearest to the unit vector q, best first,
// leaving out the record exclude (when not empty).
func (c *Collection) Nearest(ctx context.Context, q []float32, k int, exclude string) ([]Result, error) {
	return c.NearestWhere(ctx, q, k, exclude, nil)
}

// NearestWhere is Nearest among the records that match w.
func (c *Collection) NearestWhere(ctx context.Context, q []float32, k int, exclude string, w Where) ([]Result, error) {
	if k <= 0 {
		return []Result{}, nil
	}
	hits, chunks, err := c.nearestHits(ctx, q, k, exclude, w)
	if err != nil {
		return nil, err
	}
	out, err := c.results(ctx, hits)
	if err != nil {
		return nil, err
	}
	return out, c.addChunks(ctx, out, chunks)
}

// nearestHits ranks as NearestWhere, without reading what the store keeps
// of the hits; chunks[i], when not nil, is hits[i]'s best piece.
func (c *Collection) nearestHits(ctx context.Context, q []float32, k int, exclude string, w Where) ([]salvo.Hit, []*salvo.Chunk, error) {
	ix := c.index
	if fs, ok := c.searcher.(salvo.FilterSearcher); ok && len(w) > 0 {
		// The store filters as it ranks, unless it cannot compare some
		// value exactly.
		hits, err := fs.SearchWhere(ctx, c.Info.Name, q, k, exclude, w.Conds())
		if err == nil {
			return hits, nil, nil
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			return nil, nil, err
		}
	}
	if c.searcher != nil && len(w) > 0 {
		// The store's index (pgvector's HNSW) would filter after ranking
		// and return fewer than k: scan every vector exactly instead.
		c.exactOnce.Do(func() { c.exact, c.exactRows, c.exactErr = c.loadIndex(context.WithoutCancel(ctx)) })
		if c.exactErr != nil {
			return nil, nil, c.exactErr
		}
		ix = c.exact
	}
	if ix == nil {
		hits, err := c.searcher.Search(ctx, c.Info.Name, q, k, exclude)
		return hits, nil, err
	}
	skip := vecindex.NoSkip
	if c.rowsOf(ix) != nil && exclude != "" {
		skip = func(r int) bool { return c.recordOf(ix, r) == exclude }
	} else if row, ok := ix.Row(exclude); ok && exclude != "" {
		skip = func(r int) bool { return r == row }
	}
	if len(w) > 0 {
		keep, err := c.matching(ctx, ix, w)
		if err != nil {
			return nil, nil, err
		}
		other := skip
		skip = func(r int) bool { return !keep[r] || other(r) }
	}
	search := ix.Search
	if c.quantize && ix.Quantized() {
		search = ix.SearchQuantized
	}
	hits, chunks := c.fold(ix, search, q, k, skip)
	return hits, chunks, nil
}

// ErrWhereUnsupported is the error of a filter on a store that cannot
// read the kept fields of its records (no salvo.DocReader).
var ErrWhereUnsupported = errors.New("filters are not supported on this store")

// matching marks the rows of ix whose kept fields match w. The fields of
// every row are read from the store once (ix is the collection's one
// index, or the exact one of a store that ranks by itself: never both).
func (c *Collection) matching(ctx context.Context, ix *vecindex.Index, w Where) ([]bool, error) {
	c.rowsOnce.Do(func() {
		dr, ok := c.store.(salvo.DocReader)
		if !ok {
			c.rowsErr = fmt.Errorf("%w: the store cannot read kept fields", ErrWhereUnsupported)
			return
		}
		ids := make([]string, ix.Len())
		for i := range ids {
			ids[i] = c.recordOf(ix, i)
		}
		docs, err := dr.Docs(context.WithoutCancel(ctx), c.Info.Name, ids)
		if err != nil {
			c.rowsErr = fmt.Errorf("read the kept fields of %q: %w", c.Info.Name, err)
			return
		}
		c.rowFields = make([]map[string]any, len(docs))
		for i, d := range docs {
			c.rowFields[i] = DecodeFields(d.Fields)
		}
	})
	if c.rowsErr != nil {
		return nil, c.rowsErr
	}
	keep := make([]bool, len(c.rowFields))
	for i, f := range c.rowFields {
		keep[i] = w.Match(f)
	}
	return keep, nil
}

// results joins what the store keeps of each hit.
func (c *Collection) results(ctx context.Context, hits []salvo.Hit) ([]Result, error) {
	out := make([]Result, len(hits))
	ids := make([]string, len(hits))
	for i, h := range hits {
		out[i] = Result{ID: h.ID, Score: h.Score, Fields: json.RawMessage("{}")}
		ids[i] = h.ID
	}
	dr, ok := c.store.(salvo.DocReader)
	if !ok || len(hits) == 0 {
		return out, nil
	}
	docs, err := dr.Docs(ctx, c.Info.Name, ids)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		if len(d.Fields) > 0 {
			out[i].Fields = d.Fields
		}
		out[i].Text = strings.TrimPrefix(d.Text, c.Info.Prefix)
	}
	return out, nil
}

// unit scales v to unit length (the legacy /api/embeddings does not).
func unit(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("%w: the query's vector is zero or not finite", salvo.ErrInvalidResponse)
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return nil
}

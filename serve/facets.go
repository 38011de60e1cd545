package serve

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
)

// MaxChoices is the most distinct values a kept field may have for the
// page to offer them as choices (genres); a field with more, and not all
// numbers, gets no control of its own.
const MaxChoices = 40

// facet is what the page shows of one kept field: choices, a range or
// nothing, and the value of each point of the map, to colour and narrow it.
type facet struct {
	Name string `json:"name"`
	// Kind is "choice" (few distinct values, or list elements), "range"
	// (numbers) or "text" (anything else: no control).
	Kind   string   `json:"kind"`
	Values []string `json:"values,omitempty"` // choice: the distinct values, most frequent first
	Counts []int    `json:"counts,omitempty"` // choice: how many points hold each
	Min    *float64 `json:"min,omitempty"`    // range
	Max    *float64 `json:"max,omitempty"`
	// Points has one entry per point of /api/map, in its order: choice:
	// the indexes in Values of the point's values ([] when none); range:
	// the number, or null. Empty for text.
	Points []any `json:"points"`
}

// facetsOf answers /api/facets?collection=C: {"fields":[facet, …]} over
// the records of the collection's map (all of them up to MapPoints, else
// the map's even sample).
func (s *Server) facetsOf(w http.ResponseWriter, r *http.Request) {
	e, err := s.collection(r.Context(), r.URL.Query().Get("collection"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	if err := s.facets(r.Context(), e); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(e.facetJSON)
}

// facets builds the map and the facets of e once.
func (s *Server) facets(ctx context.Context, e *entry) error {
	ctx = context.WithoutCancel(ctx)
	e.mapOnce.Do(func() { e.mapJSON, e.mapErr = s.buildMap(ctx, e.c) })
	if e.mapErr != nil {
		return e.mapErr
	}
	e.facetOnce.Do(func() { e.facetJSON, e.facetRows, e.facetErr = s.buildFacets(ctx, e.c, e.mapJSON) })
	return e.facetErr
}

// matchesOf answers /api/matches?collection=C&where=EXPR (which may
// repeat): {"matches":[i, …]}, the indexes of the map's points whose kept
// fields match every where, as /api/search filters. The page greys out the
// other points.
func (s *Server) matchesOf(w http.ResponseWriter, r *http.Request) {
	e, err := s.collection(r.Context(), r.URL.Query().Get("collection"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	where, err := whereOf(r.URL.Query()["where"], e.c.Info)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err := s.facets(r.Context(), e); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	out := []int{}
	for i, row := range e.facetRows {
		if where.Match(row) {
			out = append(out, i)
		}
	}
	writeJSON(w, map[string]any{"matches": out})
}

// buildFacets reads the kept fields of the map's points and sums up each.
func (s *Server) buildFacets(ctx context.Context, c *search.Collection, mapJSON []byte) ([]byte, []map[string]any, error) {
	var m struct{ Points []point }
	if err := json.Unmarshal(mapJSON, &m); err != nil {
		return nil, nil, err
	}
	dr, ok := s.st.(salvo.DocReader)
	if !ok || len(m.Points) == 0 {
		b, err := json.Marshal(map[string]any{"fields": []facet{}})
		return b, make([]map[string]any, len(m.Points)), err
	}
	ids := make([]string, len(m.Points))
	for i, p := range m.Points {
		ids[i] = p.ID
	}
	docs, err := dr.Docs(ctx, c.Info.Name, ids)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]map[string]any, len(docs))
	for i, d := range docs {
		rows[i] = search.DecodeFields(d.Fields)
	}
	out := []facet{}
	for _, name := range keptFields(c.Info.Keep, rows) {
		out = append(out, facetOf(name, rows))
	}
	b, err := json.Marshal(map[string]any{"fields": out})
	return b, rows, err
}

// keptFields are the collection's kept fields in order, or, when it keeps
// every field ("*"), those the records hold, sorted.
func keptFields(keep string, rows []map[string]any) []string {
	if keep != "" && keep != "*" {
		return strings.Split(keep, ",")
	}
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return names
}

// facetOf sums up field name over rows: a range when every value is a
// number, choices when the values (or list elements) are scalars with at
// most MaxChoices distinct texts, else text.
func facetOf(name string, rows []map[string]any) facet {
	f := facet{Name: name, Kind: "text", Points: []any{}}
	numbers, scalars := true, true
	count := map[string]int{}
	var lo, hi float64
	seen := 0
	for _, r := range rows {
		v := r[name]
		if v == nil {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			list = []any{v}
		}
		inRow := map[string]bool{}
		for _, e := range list {
			t, ok := scalarText(e)
			if !ok {
				scalars = false
				continue
			}
			if !inRow[t] {
				inRow[t] = true
				count[t]++
			}
			n, isNum := e.(json.Number)
			x, err := strconv.ParseFloat(string(n), 64)
			if isList || !isNum || err != nil {
				numbers = false
				continue
			}
			if seen == 0 || x < lo {
				lo = x
			}
			if seen == 0 || x > hi {
				hi = x
			}
			seen++
		}
	}
	switch {
	case numbers && seen > 0:
		f.Kind, f.Min, f.Max = "range", &lo, &hi
		for _, r := range rows {
			var p any
			if n, ok := r[name].(json.Number); ok {
				x, _ := strconv.ParseFloat(string(n), 64)
				p = x
			}
			f.Points = append(f.Points, p)
		}
	case scalars && len(count) > 0 && len(count) <= MaxChoices:
		f.Kind = "choice"
		for t := range count {
			f.Values = append(f.Values, t)
		}
		slices.SortFunc(f.Values, func(a, b string) int {
			if count[a] != count[b] {
				return count[b] - count[a]
			}
			return strings.Compare(a, b)
		})
		index := map[string]int{}
		for i, t := range f.Values {
			index[t] = i
			f.Counts = append(f.Counts, count[t])
		}
		for _, r := range rows {
			list, isList := r[name].([]any)
			if !isList {
				list = []any{r[name]}
			}
			idx := []int{}
			for _, e := range list {
				if t, ok := scalarText(e); ok {
					idx = append(idx, index[t])
				}
			}
			f.Points = append(f.Points, idx)
		}
	}
	return f
}

// scalarText is the text filters compare a scalar as (search.Cond); not
// ok for null, objects and lists.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

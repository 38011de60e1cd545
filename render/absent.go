package render

import (
	"fmt"
	"strings"
)

// AbsentFieldError says that a field the texts are built from is in no
// record: a typo in the template or the field list ({{.titel}}), or a CSV
// header that is not the one the template was written for. Every text would
// lack that field.
type AbsentFieldError struct {
	Field      string   // the field the template or field list names
	Fields     []string // the fields the records have, sorted
	Suggestion string   // the closest of Fields, or ""
	// Sampled is 0 when every record was looked at, else the number of
	// records (the first ones) that were.
	Sampled int
}

func (e *AbsentFieldError) Error() string {
	where := "is in no record"
	if e.Sampled > 0 {
		where = fmt.Sprintf("is in none of the first %d records", e.Sampled)
	}
	list := e.Fields
	if len(list) > 20 {
		list = append(list[:20:20], "…")
	}
	s := fmt.Sprintf("`%s` %s (fields: %s)", e.Field, where, strings.Join(list, ", "))
	if len(e.Fields) == 0 {
		s = fmt.Sprintf("`%s` %s (the records have no fields)", e.Field, where)
	}
	if e.Suggestion != "" {
		s += fmt.Sprintf("; did you mean `%s`?", e.Suggestion)
		if !isIdent(e.Suggestion) {
			s += fmt.Sprintf(" (in a template: {{index . %q}})", e.Suggestion)
		}
	}
	return s
}

// Absent returns an error for each field that the texts are built from and
// that is not in have, the field names seen in the records, sorted. It
// returns nil for a template that may read any field ({{range .}}) and for
// the default "text" field, which [Renderer.Render] explains itself.
func (r *Renderer) Absent(have []string) []*AbsentFieldError {
	if r.allFields || r.tmpl == nil && !r.label {
		return nil
	}
	seen := make(map[string]bool, len(have))
	for _, h := range have {
		seen[h] = true
	}
	var out []*AbsentFieldError
	for _, f := range r.fieldNames {
		if !seen[f] {
			out = append(out, &AbsentFieldError{Field: f, Fields: have, Suggestion: Suggest(f, have)})
		}
	}
	return out
}

// Suggest returns the name in names that field was most likely meant to be:
// the same but for case, spaces, '_' and '-' ("release date" for "Release
// Date"), else the closest within one or two typos. It returns "" when none
// is close.
func Suggest(field string, names []string) string {
	fold := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' || r == '-' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	f := fold(field)
	for _, n := range names {
		if fold(n) == f {
			return n
		}
	}
	limit := 2
	if len([]rune(f)) <= 4 {
		limit = 1
	}
	// Ties go to the name closest as written, case included.
	best, bestD, bestRaw := "", limit+1, 0
	for _, n := range names {
		d := typos(f, fold(n))
		if d > limit {
			continue
		}
		if raw := typos(field, n); d < bestD || d == bestD && raw < bestRaw {
			best, bestD, bestRaw = n, d, raw
		}
	}
	return best
}

// typos is the optimal string alignment distance: insertions, deletions,
// substitutions and swaps of two neighbours, each counting one.
func typos(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

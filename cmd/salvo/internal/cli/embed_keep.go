package cli

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
	"github.com/salvoembed/salvo/render"
)

// keepFields is the list of record fields `embed` keeps with each item:
// --keep when given, else the fields the texts are made of, in the order
// the template or --fields names them. all is true when every field is
// kept (a template that may read any field, or --keep '*').
func keepFields(keep, fields []string, template string, rd *render.Renderer) (names []string, all bool) {
	if len(keep) > 0 {
		if slices.Contains(keep, "*") {
			return nil, true
		}
		return keep, false
	}
	if len(fields) > 0 {
		return fields, false
	}
	names, all = rd.Fields()
	if all {
		return nil, true
	}
	// In the order the template first names them: {{.title}} ({{.year}}).
	slices.SortStableFunc(names, func(a, b string) int {
		return firstUse(template, a) - firstUse(template, b)
	})
	return names, false
}

func firstUse(template, name string) int {
	for _, pat := range []string{"." + name, `"` + name + `"`} {
		if i := strings.Index(template, pat); i >= 0 {
			return i
		}
	}
	return len(template)
}

// keptJSON is the JSON object of rec's fields named in keep (all of them
// with all), in keep's order; nil when there is nothing to keep. Fields
// missing from the record are left out. Values are written as an
// encoding/json Encoder without HTML escaping writes them.
func keptJSON(rec *salvo.Record, keep []string, all bool) []byte {
	if all {
		names := make([]string, 0, len(rec.Fields))
		for k := range rec.Fields {
			names = append(names, k)
		}
		slices.Sort(names)
		keep = names
	}
	if len(keep) == 0 {
		return nil
	}
	size := 2
	for _, name := range keep {
		size += len(name) + 4
		if s, ok := rec.Fields[name].(string); ok {
			size += len(s) + 2
		} else {
			size += 16
		}
	}
	b := append(make([]byte, 0, size), '{')
	for _, name := range keep {
		v, ok := rec.Fields[name]
		if !ok {
			continue
		}
		n := len(b)
		if n > 1 {
			b = append(b, ',')
		}
		b = append(jsonstr.AppendString(b, name), ':')
		if b, ok = jsonstr.AppendValue(b, v); !ok {
			if b, ok = appendEncoded(b, v); !ok {
				b = b[:n] // values come from a decoder, so this does not happen
			}
		}
	}
	return append(b, '}')
}

// appendEncoded appends v as encoding/json writes it, for the values
// jsonstr.AppendValue leaves to it.
func appendEncoded(b []byte, v any) ([]byte, bool) {
	var val bytes.Buffer
	enc := json.NewEncoder(&val)
	enc.SetEscapeHTML(false) // titles keep their & and <
	if err := enc.Encode(v); err != nil {
		return b, false
	}
	return append(b, bytes.TrimSuffix(val.Bytes(), []byte("\n"))...), true
}

// keepDescription is Collection.Keep: the names comma-separated, "*" for all.
func keepDescription(names []string, all bool) string {
	if all {
		return "*"
	}
	return strings.Join(names, ",")
}

// keeper says which fields inputs keeps.
type keeper struct {
	names []string
	all   bool
}

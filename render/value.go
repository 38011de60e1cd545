package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// writeValue prints one field value for a person to read. See the package
// documentation for the rules.
func writeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
	case string:
		b.WriteString(v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case []any:
		if !scalars(v) {
			writeJSON(b, v)
			return
		}
		first := true
		for _, e := range v {
			if e == nil {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			writeValue(b, e)
		}
	case []string:
		b.WriteString(strings.Join(v, ", "))
	case map[string]any:
		writeJSON(b, v)
	case fmt.Stringer:
		b.WriteString(v.String())
	case float32, float64, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		writeJSON(b, v)
	default:
		fmt.Fprint(b, v)
	}
}

// textOf is writeValue into a string.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	}
	var b bytes.Buffer
	writeValue(&b, v)
	return b.String()
}

// scalars reports whether a list holds no objects or lists, so that it can
// print as "a, b, c".
func scalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case []any, map[string]any:
			return false
		}
	}
	return true
}

// writeJSON prints v as compact JSON with sorted keys, without escaping
// <, > and & (the text is read by a model, not a browser).
func writeJSON(b *bytes.Buffer, v any) {
	n := b.Len()
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Truncate(n)
		fmt.Fprint(b, v)
		return
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}

// isEmpty reports whether v counts as absent for default: null, an empty
// or blank string, an empty list or object.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case []string:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

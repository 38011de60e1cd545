package ollamatest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandler sends arbitrary bodies to every POST endpoint: the server
// must never panic and must always answer JSON (NDJSON for a pull).
func FuzzHandler(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"model":`,
		`{"model":"nomic-embed-text","input":"a b c d e"}`,
		`{"model":"nomic-embed-text","input":["a",""],"truncate":false,"dimensions":3,"keep_alive":"1m","options":{"num_ctx":2}}`,
		`{"model":"nomic-embed-text","input":[1,null],"keep_alive":-1}`,
		`{"model":"nomic-embed-text","prompt":"hi","keep_alive":{}}`,
		`{"model":"nomic-embed-text","input":"","encoding_format":"base64","dimensions":-4}`,
		`{"model":"x","input":{"a":1}}`,
		`{"model":"nomic-embed-text","stream":false}`,
		`{"model":"nomic-embed-text","input":"\ud800 \u0000"}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	s := NewUnstarted(Config{Dims: 4, ContextTokens: 3})
	s.AllowPull("all-minilm")
	paths := []string{"/api/embed", "/api/embeddings", "/v1/embeddings", "/api/show", "/api/pull"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader(body)))
			out := rec.Body.Bytes()
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/") {
				t.Fatalf("%s %q: content type %q", p, body, rec.Header().Get("Content-Type"))
			}
			if p == "/api/pull" && rec.Header().Get("Content-Type") == "application/x-ndjson" {
				for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
					if !json.Valid([]byte(line)) {
						t.Fatalf("%s %q: line %q is not JSON", p, body, line)
					}
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%s %q: %d answer is not JSON: %q", p, body, rec.Code, out)
			}
		}
	})
}

// FuzzParseInput checks the hand-written reading of "input" against
// Ollama's: decode into any, then a type switch.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{``, `null`, `""`, `"a"`, `[]`, `["a",""]`, `["a",null]`, `[1]`, `5`, `{}`, `[["a"]]`, ` [ "a" ] `, `"\u00e9"`, `true`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var v any
		if raw != "" && json.Unmarshal([]byte(raw), &v) != nil {
			return // the request decoder rejects it before
		}
		var want []string
		wantOK := true
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				want = []string{x}
			}
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					wantOK = false
					break
				}
				want = append(want, s)
			}
		default:
			wantOK = false
		}
		got, _, ok := parseInput(json.RawMessage(raw))
		if ok != wantOK || ok && strings.Join(got, "\x00") != strings.Join(want, "\x00") || ok && len(got) != len(want) {
			t.Fatalf("parseInput(%q) = %q, %v; want %q, %v", raw, got, ok, want, wantOK)
		}
	})
}

// FuzzFitContext checks the word counting and cutting against
// strings.Fields.
func FuzzFitContext(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", " a  b\tc\n", "héllo wörld", "\u00a0a"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, text string, limit int) {
		limit = max(limit%10, 0)
		kept, n, cut := fitContext(text, limit)
		words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' })
		wantCut := limit > 0 && len(words) > limit
		if cut != wantCut || !strings.HasPrefix(text, kept) {
			t.Fatalf("fitContext(%q, %d) = %q, %d, %v", text, limit, kept, n, cut)
		}
		if cut {
			if n != limit || len(strings.FieldsFunc(kept, func(r rune) bool { return strings.ContainsRune(" \t\n\r\v\f", r) })) != limit {
				t.Fatalf("fitContext(%q, %d) kept %q (%d tokens)", text, limit, kept, n)
			}
		} else if kept != text || n != max(len(words), 1) {
			t.Fatalf("fitContext(%q, %d) = %q, %d", text, limit, kept, n)
		}
	})
}

package ollamatest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEmbedShapes(t *testing.T) {
	s := New(Config{Dims: 16, ContextTokens: 4})
	defer s.Close()
	m := "nomic-embed-text"
	tests := []struct {
		name   string
		body   string
		want   [][]float32 // nil: no vectors expected
		tokens int
	}{
		{"one string", `{"model":"nomic-embed-text","input":"hello world"}`,
			[][]float32{Vector(m, "hello world", 16)}, 2},
		{"list", `{"model":"nomic-embed-text","input":["a","b c","a"]}`,
			[][]float32{Vector(m, "a", 16), Vector(m, "b c", 16), Vector(m, "a", 16)}, 4},
		{"tag and case", `{"model":"Nomic-Embed-Text:latest","input":["a"]}`,
			[][]float32{Vector(m, "a", 16)}, 1},
		{"dimensions cut and renormalised", `{"model":"nomic-embed-text","input":["a"],"dimensions":5}`,
			[][]float32{CutDims(Vector(m, "a", 16), 5)}, 1},
		{"dimensions above the model's are ignored", `{"model":"nomic-embed-text","input":["a"],"dimensions":99}`,
			[][]float32{Vector(m, "a", 16)}, 1},
		{"long input truncated", `{"model":"nomic-embed-text","input":["one two  three four five six"]}`,
			[][]float32{Vector(m, "one two  three four", 16)}, 4},
		{"num_ctx lowers the context", `{"model":"nomic-embed-text","input":["one two three"],"options":{"num_ctx":2}}`,
			[][]float32{Vector(m, "one two", 16)}, 2},
		{"keep_alive and options accepted", `{"model":"nomic-embed-text","input":"x","keep_alive":"10m","options":{"temperature":0}}`,
			[][]float32{Vector(m, "x", 16)}, 1},
		{"empty string: no input", `{"model":"nomic-embed-text","input":""}`, [][]float32{}, 0},
		{"no input loads the model", `{"model":"nomic-embed-text"}`, [][]float32{}, 0},
		{"empty list", `{"model":"nomic-embed-text","input":[]}`, [][]float32{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/api/embed", tc.body)
			if r.status != http.StatusOK || r.ct() != "application/json; charset=utf-8" {
				t.Fatalf("got %d %q: %s", r.status, r.ct(), r.body)
			}
			got := decode[embedResponse](t, r)
			var req struct{ Model string }
			json.Unmarshal([]byte(tc.body), &req)
			if got.Model != req.Model {
				t.Errorf("model = %q, want the name as sent, %q", got.Model, req.Model)
			}
			if len(got.Embeddings) != len(tc.want) || got.Embeddings == nil {
				t.Fatalf("got %d vectors, want %d: %.200s", len(got.Embeddings), len(tc.want), r.body)
			}
			for i := range tc.want {
				if !sameVector(got.Embeddings[i], tc.want[i]) {
					t.Errorf("vector %d differs from Vector()", i)
				}
				if l := length(got.Embeddings[i]); math.Abs(l-1) > 1e-5 {
					t.Errorf("vector %d has length %v, want 1", i, l)
				}
			}
			if got.PromptEvalCount != tc.tokens {
				t.Errorf("prompt_eval_count = %d, want %d", got.PromptEvalCount, tc.tokens)
			}
			if len(tc.want) > 0 && (got.TotalDuration <= 0 || got.LoadDuration <= 0 || got.LoadDuration > got.TotalDuration) {
				t.Errorf("durations: total %d, load %d", got.TotalDuration, got.LoadDuration)
			}
		})
	}
}

func TestEmbedErrors(t *testing.T) {
	s := New(Config{Dims: 8, ContextTokens: 2})
	defer s.Close()
	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"unknown model", `{"model":"all-minilm","input":["a"]}`, 404, `model "all-minilm" not found, try pulling it first`},
		{"unknown tag", `{"model":"nomic-embed-text:v2","input":["a"]}`, 404, `model "nomic-embed-text:v2" not found, try pulling it first`},
		{"no model", `{"input":["a"]}`, 500, "unqualified name: registry.ollama.ai/library/:latest"},
		{"empty body", ``, 400, "missing request body"},
		{"not JSON", `{"model":`, 400, "unexpected EOF"},
		{"garbage", `hello`, 400, "invalid character 'h' looking for beginning of value"},
		{"number input", `{"model":"nomic-embed-text","input":5}`, 400, "invalid input type"},
		{"null in list", `{"model":"nomic-embed-text","input":["a",null]}`, 400, "invalid input type"},
		{"number in list", `{"model":"nomic-embed-text","input":["a",1]}`, 400, "invalid input type"},
		{"model of wrong type", `{"model":1,"input":"a"}`, 400, "json: cannot unmarshal number into Go struct field EmbedRequest.model of type string"},
		{"bad keep_alive", `{"model":"nomic-embed-text","input":"a","keep_alive":true}`, 400, "Unsupported type: 'bool'"},
		{"too long without truncation", `{"model":"nomic-embed-text","input":["a","b c d"],"truncate":false}`, 400, MsgTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/api/embed", tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := errorOf(t, r); got != tc.msg {
				t.Errorf("error = %q, want %q", got, tc.msg)
			}
		})
	}
}

func TestLoadDuration(t *testing.T) {
	s := New(Config{LoadDuration: 3 * time.Second, Dims: 4})
	defer s.Close()
	body := func(extra string) string { return `{"model":"nomic-embed-text","input":"a"` + extra + `}` }
	steps := []struct {
		name string
		body string
		cold bool
	}{
		{"first request loads", body(""), true},
		{"then warm", body(""), false},
		{"keep_alive 0 unloads after answering", body(`,"keep_alive":0`), false},
		{"so the next is cold", body(""), true},
		{"and the one after warm", body(""), false},
	}
	for _, st := range steps {
		got := decode[embedResponse](t, post(t, s, "/api/embed", st.body))
		if cold := got.LoadDuration >= int64(3*time.Second); cold != st.cold || got.TotalDuration < got.LoadDuration {
			t.Errorf("%s: load_duration %v, total %v", st.name, time.Duration(got.LoadDuration), time.Duration(got.TotalDuration))
		}
	}
}

func TestLegacyEmbeddings(t *testing.T) {
	s := New(Config{Dims: 12, ContextTokens: 3})
	defer s.Close()
	type legacy struct {
		Embedding []float64 `json:"embedding"`
	}
	r := post(t, s, "/api/embeddings", `{"model":"nomic-embed-text","prompt":"hello there"}`)
	if r.status != 200 || r.ct() != "application/json; charset=utf-8" {
		t.Fatalf("got %d %q: %s", r.status, r.ct(), r.body)
	}
	got := decode[legacy](t, r).Embedding
	want := Vector("nomic-embed-text", "hello there", 12)
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	// Ollama widens its float32 values to float64 for this endpoint.
	for i := range want {
		if got[i] != float64(want[i]*LegacyScale) {
			t.Fatalf("value %d = %v, want Vector×LegacyScale = %v", i, got[i], want[i]*LegacyScale)
		}
	}

	cases := []struct {
		name, body string
		status     int
		want       string // the whole body
	}{
		{"input instead of prompt", `{"model":"nomic-embed-text","input":["a"]}`, 200, `{"embedding":[]}`},
		{"no model", `{"prompt":"a"}`, 400, `{"error":"model is required"}`},
		{"unknown model", `{"model":"x","prompt":"a"}`, 404, `{"error":"model \"x\" not found, try pulling it first"}`},
		{"too long is a 500 here", `{"model":"nomic-embed-text","prompt":"a b c d"}`, 500, `{"error":"` + MsgTooLong + `"}`},
		{"empty body", ``, 400, `{"error":"missing request body"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/api/embeddings", tc.body)
			if r.status != tc.status || string(r.body) != tc.want {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	s := New(Config{Dims: 10})
	defer s.Close()
	m := "nomic-embed-text"
	tests := []struct {
		name, body string
		want       [][]float32
		base64     bool
	}{
		{"string", `{"model":"nomic-embed-text","input":"hi"}`, [][]float32{Vector(m, "hi", 10)}, false},
		{"list", `{"model":"nomic-embed-text","input":["a","b"]}`, [][]float32{Vector(m, "a", 10), Vector(m, "b", 10)}, false},
		{"empty string is embedded", `{"model":"nomic-embed-text","input":""}`, [][]float32{Vector(m, "", 10)}, false},
		{"dimensions", `{"model":"nomic-embed-text","input":["a"],"dimensions":3}`, [][]float32{CutDims(Vector(m, "a", 10), 3)}, false},
		{"float named", `{"model":"nomic-embed-text","input":["a"],"encoding_format":"float"}`, [][]float32{Vector(m, "a", 10)}, false},
		{"base64", `{"model":"nomic-embed-text","input":["a","b"],"encoding_format":"BASE64"}`, [][]float32{Vector(m, "a", 10), Vector(m, "b", 10)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/v1/embeddings", tc.body)
			if r.status != 200 || r.ct() != "application/json" || !strings.HasSuffix(string(r.body), "}\n") {
				t.Fatalf("got %d %q: %q", r.status, r.ct(), r.body)
			}
			got := decode[openAIResponse](t, r)
			if got.Object != "list" || got.Model != m || len(got.Data) != len(tc.want) {
				t.Fatalf("object %q model %q with %d items: %.200s", got.Object, got.Model, len(got.Data), r.body)
			}
			if got.Usage.PromptTokens != len(tc.want) || got.Usage.TotalTokens != got.Usage.PromptTokens {
				t.Errorf("usage = %+v, want %d tokens", got.Usage, len(tc.want))
			}
			for i, d := range got.Data {
				if d.Object != "embedding" || d.Index != i {
					t.Errorf("item %d: object %q index %d", i, d.Object, d.Index)
				}
				var v []float32
				if tc.base64 {
					var enc string
					if err := json.Unmarshal(d.Embedding, &enc); err != nil {
						t.Fatalf("item %d is not a base64 string: %s", i, d.Embedding)
					}
					raw, err := base64.StdEncoding.DecodeString(enc)
					if err != nil || len(raw)%4 != 0 {
						t.Fatalf("item %d: bad base64 %q: %v", i, enc, err)
					}
					for k := 0; k < len(raw); k += 4 {
						v = append(v, math.Float32frombits(binary.LittleEndian.Uint32(raw[k:])))
					}
				} else if err := json.Unmarshal(d.Embedding, &v); err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				if !sameVector(v, tc.want[i]) {
					t.Errorf("item %d differs from Vector()", i)
				}
			}
		})
	}
}

func TestOpenAIErrors(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	tests := []struct {
		name, body  string
		status      int
		etype, msg  string
		fromHandler bool // errors of /api/embed underneath: no charset, a newline
	}{
		{"unknown model", `{"model":"x","input":"a"}`, 404, "api_error", `model "x" not found, try pulling it first`, true},
		{"no input", `{"model":"nomic-embed-text"}`, 400, "invalid_request_error", "invalid input", false},
		{"empty list", `{"model":"nomic-embed-text","input":[]}`, 400, "invalid_request_error", "invalid input", false},
		{"token ids", `{"model":"nomic-embed-text","input":[1,2]}`, 400, "api_error", "invalid input type", true},
		{"bad format", `{"model":"nomic-embed-text","input":"a","encoding_format":"int8"}`, 400, "invalid_request_error",
			"Invalid value for 'encoding_format' = int8. Supported values: ['float', 'base64'].", false},
		{"empty body", ``, 400, "invalid_request_error", "EOF", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/v1/embeddings", tc.body)
			got := decode[openAIError](t, r)
			if r.status != tc.status || got.Error.Type != tc.etype || got.Error.Message != tc.msg || got.Error.Code != nil || got.Error.Param != nil {
				t.Errorf("got %d %s", r.status, r.body)
			}
			wantCT := "application/json; charset=utf-8"
			if tc.fromHandler {
				wantCT = "application/json"
			}
			if r.ct() != wantCT || strings.HasSuffix(string(r.body), "\n") != tc.fromHandler {
				t.Errorf("content type %q, body %q", r.ct(), r.body)
			}
		})
	}
}

package ollamatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRoutes(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	legacy := New(Config{LegacyOnly: true})
	defer legacy.Close()
	tests := []struct {
		name         string
		srv          *Server
		method, path string
		body         string
		status       int
		ct, want     string
	}{
		{"root", s, "GET", "/", "", 200, "text/plain; charset=utf-8", "Ollama is running"},
		{"root head", s, "HEAD", "/", "", 200, "text/plain; charset=utf-8", ""},
		{"version", s, "GET", "/api/version", "", 200, "application/json; charset=utf-8", `{"version":"0.17.4"}`},
		{"version head", s, "HEAD", "/api/version", "", 200, "application/json; charset=utf-8", ""},
		{"unknown path", s, "GET", "/api/nope", "", 404, "text/plain", "404 page not found"},
		{"wrong method", s, "GET", "/api/embed", "", 405, "text/plain", "405 method not allowed"},
		{"post to tags", s, "POST", "/api/tags", "{}", 405, "text/plain", "405 method not allowed"},
		{"legacy version", legacy, "GET", "/api/version", "", 200, "application/json; charset=utf-8", `{"version":"0.2.5"}`},
		{"legacy has no /api/embed", legacy, "POST", "/api/embed", `{"model":"nomic-embed-text","input":"a"}`, 404, "text/plain", "404 page not found"},
		{"legacy has no /v1", legacy, "POST", "/v1/embeddings", `{"model":"nomic-embed-text","input":"a"}`, 404, "text/plain", "404 page not found"},
		{"legacy embeddings", legacy, "POST", "/api/embeddings", `{"model":"nomic-embed-text","prompt":""}`, 200, "application/json; charset=utf-8", `{"embedding":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.method, tc.srv.URL()+tc.path, tc.body)
			if r.status != tc.status || r.ct() != tc.ct || string(r.body) != tc.want {
				t.Errorf("got %d %q %q, want %d %q %q", r.status, r.ct(), r.body, tc.status, tc.ct, tc.want)
			}
		})
	}
	if got := s.Stats().ByPath; got["/"] != 2 || got["/api/nope"] != 1 || got["/api/embed"] != 1 {
		t.Errorf("ByPath = %v", got)
	}
}

func TestTags(t *testing.T) {
	s := New(Config{Models: []string{"nomic-embed-text", "library/all-minilm:l6-v2"}, Dims: 384})
	defer s.Close()
	r := call(t, "GET", s.URL()+"/api/tags", "")
	type tags struct {
		Models []struct {
			Name, Model, Digest string
			ModifiedAt          time.Time `json:"modified_at"`
			Size                int64
			Details             struct {
				Format, Family    string
				Families          []string
				ParameterSize     string `json:"parameter_size"`
				QuantizationLevel string `json:"quantization_level"`
			}
		}
	}
	got := decode[tags](t, r)
	var names []string
	for _, m := range got.Models {
		names = append(names, m.Name)
		if m.Model != m.Name || len(m.Digest) != 64 || m.Digest != Digest(m.Name) || m.Size <= 0 || m.ModifiedAt.IsZero() ||
			m.Details.Format != "gguf" || m.Details.Family == "" || len(m.Details.Families) != 1 || m.Details.ParameterSize == "" {
			t.Errorf("model entry incomplete: %+v", m)
		}
	}
	if want := []string{"all-minilm:l6-v2", "nomic-embed-text:latest"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	r = call(t, "GET", s.URL()+"/v1/models", "")
	var list struct {
		Object string
		Data   []struct {
			ID, Object string
			Created    int64
			OwnedBy    string `json:"owned_by"`
		}
	}
	if err := json.Unmarshal(r.body, &list); err != nil || r.ct() != "application/json" || list.Object != "list" || len(list.Data) != 2 {
		t.Fatalf("/v1/models: %s %v", r.body, err)
	}
	for i, m := range list.Data {
		if m.ID != names[i] || m.Object != "model" || m.Created <= 0 || m.OwnedBy != "library" {
			t.Errorf("/v1/models item %+v", m)
		}
	}
	if Digest("nomic-embed-text") != Digest("nomic-embed-text:latest") || Digest("a") == Digest("b") {
		t.Error("Digest should follow the canonical name")
	}
}

func TestShow(t *testing.T) {
	s := New(Config{Dims: 384, ContextTokens: 256})
	defer s.Close()
	r := post(t, s, "/api/show", `{"model":"nomic-embed-text"}`)
	var got struct {
		Details      struct{ Family string }
		ModelInfo    map[string]any `json:"model_info"`
		Capabilities []string
		ModifiedAt   time.Time `json:"modified_at"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 {
		t.Fatalf("got %d %s: %v", r.status, r.body, err)
	}
	f := got.Details.Family
	if got.ModelInfo["general.architecture"] != f || got.ModelInfo[f+".embedding_length"] != 384.0 ||
		got.ModelInfo[f+".context_length"] != 256.0 || !slices.Equal(got.Capabilities, []string{"embedding"}) || got.ModifiedAt.IsZero() {
		t.Errorf("show = %s", r.body)
	}
	errs := []struct{ body, want string }{
		{`{"model":"x"}`, `404 {"error":"model 'x' not found"}`},
		{`{}`, `400 {"error":"model is required"}`},
		{``, `400 {"error":"missing request body"}`},
	}
	for _, e := range errs {
		r := post(t, s, "/api/show", e.body)
		if got := strconv.Itoa(r.status) + " " + string(r.body); got != e.want {
			t.Errorf("show %s = %s, want %s", e.body, got, e.want)
		}
	}
}

func TestPull(t *testing.T) {
	s := New(Config{Pullable: []string{"all-minilm"}})
	defer s.Close()
	type line struct {
		Status    string `json:"status"`
		Digest    string `json:"digest"`
		Total     int64  `json:"total"`
		Completed int64  `json:"completed"`
		Error     string `json:"error"`
	}
	pull := func(body string) (reply, []line) {
		r := post(t, s, "/api/pull", body)
		var lines []line
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		return r, lines
	}

	// Not pullable: the stream starts, then fails.
	r, lines := pull(`{"model":"mxbai-embed-large"}`)
	if r.status != 200 || len(lines) != 2 || lines[0].Status != "pulling manifest" || lines[1].Error != "pull model manifest: file does not exist" {
		t.Errorf("unknown pull: %d %s", r.status, r.body)
	}
	if r := post(t, s, "/api/embed", `{"model":"all-minilm","input":"a"}`); r.status != 404 {
		t.Fatalf("all-minilm served before its pull: %d", r.status)
	}

	r, lines = pull(`{"model":"all-minilm"}`)
	if r.status != 200 || r.ct() != "application/x-ndjson" {
		t.Fatalf("pull: %d %q", r.status, r.ct())
	}
	var statuses []string
	for _, l := range lines {
		if strings.HasPrefix(l.Status, "pulling ") && l.Status != "pulling manifest" {
			if !strings.HasPrefix(l.Digest, "sha256:") || l.Status != "pulling "+l.Digest[7:19] || l.Total <= 0 || l.Completed > l.Total {
				t.Errorf("layer line %+v", l)
			}
			continue
		}
		statuses = append(statuses, l.Status)
	}
	if want := []string{"pulling manifest", "verifying sha256 digest", "writing manifest", "success"}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	if r := post(t, s, "/api/embed", `{"model":"all-minilm:latest","input":"a"}`); r.status != 200 {
		t.Errorf("all-minilm not served after its pull: %d %s", r.status, r.body)
	}
	if got := s.Models(); !slices.Equal(got, []string{"all-minilm:latest", "nomic-embed-text:latest"}) {
		t.Errorf("Models() = %v", got)
	}

	s.AllowPull("bge-m3")
	cases := []struct{ body, want string }{
		{`{"model":"bge-m3","stream":false}`, `200 {"status":"success"}`},
		{`{"name":"nomic-embed-text","stream":false}`, `200 {"status":"success"}`},
		{`{"model":"nope","stream":false}`, `500 {"error":"pull model manifest: file does not exist"}`},
		{`{"model":""}`, `400 {"error":"invalid model name"}`},
	}
	for _, c := range cases {
		r := post(t, s, "/api/pull", c.body)
		if got := strconv.Itoa(r.status) + " " + string(r.body); got != c.want {
			t.Errorf("pull %s = %s, want %s", c.body, got, c.want)
		}
	}
}

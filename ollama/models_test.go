package ollama

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

const tagsBody = `{"models":[
 {"name":"nomic-embed-text:latest","model":"nomic-embed-text:latest","modified_at":"2025-01-02T03:04:05Z","size":274302450,
  "digest":"0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f",
  "details":{"parent_model":"","format":"gguf","family":"nomic-bert","families":["nomic-bert"],"parameter_size":"137M","quantization_level":"F16"}},
 {"name":"all-minilm:l6-v2","model":"all-minilm:l6-v2","size":45960996,"digest":"1b226e2802db","details":{"family":"bert"}}]}`

const showBody = `{"license":"Apache","modelfile":"FROM x","parameters":"num_ctx                        8192\nstop                           \"<eos>\"",
 "template":"{{ .Prompt }}","details":{"format":"gguf","family":"nomic-bert","parameter_size":"137M","quantization_level":"F16"},
 "model_info":{"general.architecture":"nomic-bert","general.parameter_count":136727040,"nomic-bert.context_length":2048,
  "nomic-bert.embedding_length":768,"nomic-bert.pooling_type":1,"tokenizer.ggml.model":"bert"},
 "capabilities":["embedding"],"modified_at":"2025-01-02T03:04:05Z"}`

func TestVersionModelsShow(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"GET /api/version": func(w http.ResponseWriter, _ map[string]any) { io.WriteString(w, `{"version":"0.17.4"}`) },
		"GET /api/tags":    func(w http.ResponseWriter, _ map[string]any) { io.WriteString(w, tagsBody) },
		"POST /api/show": func(w http.ResponseWriter, body map[string]any) {
			if !reflect.DeepEqual(body, map[string]any{"model": "nomic-embed-text"}) {
				t.Errorf("show body %v", body)
			}
			io.WriteString(w, showBody)
		},
	})
	c := s.client(t, Options{Model: "nomic-embed-text"})
	ctx := context.Background()

	if v, err := c.Version(ctx); err != nil || v != "0.17.4" {
		t.Errorf("Version = %q, %v", v, err)
	}

	models, err := c.Models(ctx)
	if err != nil || len(models) != 2 {
		t.Fatalf("Models = %v, %v", models, err)
	}
	m := models[0]
	if m.Name != "nomic-embed-text:latest" || m.Size != 274302450 || m.Details.Family != "nomic-bert" ||
		m.Details.ParameterSize != "137M" || m.ModifiedAt.Year() != 2025 || !strings.HasPrefix(m.Digest, "0a109f") {
		t.Errorf("model %+v", m)
	}

	found, err := c.LookupModel(ctx, "nomic-embed-text")
	if err != nil || found.Name != "nomic-embed-text:latest" {
		t.Errorf("LookupModel = %+v, %v", found, err)
	}
	_, err = c.LookupModel(ctx, "bge-m3")
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) || nf.Model != "bge-m3" {
		t.Errorf("LookupModel of a missing model: %v", err)
	}

	show, err := c.Show(ctx, "nomic-embed-text")
	if err != nil {
		t.Fatal(err)
	}
	if show.Architecture() != "nomic-bert" || show.ContextLength() != 2048 || show.EmbeddingLength() != 768 ||
		show.NumCtx() != 8192 || show.Parameter("stop") != "<eos>" || show.Details.Family != "nomic-bert" ||
		!reflect.DeepEqual(show.Capabilities, []string{"embedding"}) {
		t.Errorf("Show = %+v", show)
	}
}

func TestFindModel(t *testing.T) {
	models := []Model{{Name: "nomic-embed-text:latest"}, {Name: "all-minilm:l6-v2"}, {Name: "hf.co/org/repo:Q8_0"}, {Name: "registry:5000/x:latest"}}
	tests := []struct{ name, want string }{
		{"nomic-embed-text", "nomic-embed-text:latest"},
		{"Nomic-Embed-Text:Latest", "nomic-embed-text:latest"},
		{"all-minilm:l6-v2", "all-minilm:l6-v2"},
		{"all-minilm", ""},
		{"hf.co/org/repo:Q8_0", "hf.co/org/repo:Q8_0"},
		{"registry:5000/x", "registry:5000/x:latest"},
		{"", ""},
	}
	for _, tt := range tests {
		m, ok := FindModel(models, tt.name)
		if m.Name != tt.want || ok != (tt.want != "") {
			t.Errorf("FindModel(%q) = %q, %v; want %q", tt.name, m.Name, ok, tt.want)
		}
	}
}

func TestShowMissingModel(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/show": func(w http.ResponseWriter, _ map[string]any) {
			writeJSON(w, 404, map[string]string{"error": "model 'x' not found"})
		},
	})
	_, err := s.client(t, Options{}).Show(context.Background(), "x")
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) || nf.Model != "x" {
		t.Errorf("got %v, want a ModelNotFoundError", err)
	}
}

func TestPull(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		steps   int
		wantErr string
	}{
		{"success", 200, `{"status":"pulling manifest"}
{"status":"pulling 970aa74c0a90","digest":"sha256:970aa74c0a90","total":274290656,"completed":1000}

{"status":"pulling 970aa74c0a90","digest":"sha256:970aa74c0a90","total":274290656,"completed":274290656}
{"status":"verifying sha256 digest"}
{"status":"writing manifest"}
{"status":"success"}
`, 6, ""},
		{"error line", 200, `{"status":"pulling manifest"}
{"status":"pulling 970aa74c0a90","digest":"sha256:970aa74c0a90","total":100,"completed":10}
{"error":"max retries exceeded: unexpected EOF"}
`, 2, "max retries exceeded: unexpected EOF"},
		{"error first", 500, `{"error":"pull model manifest: file does not exist"}`, 0, "500 pull model manifest: file does not exist"},
		{"cut short", 200, `{"status":"pulling manifest"}` + "\n", 1, "ended before success"},
		{"junk line", 200, "<html>\n", 0, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
				"POST /api/pull": func(w http.ResponseWriter, body map[string]any) {
					if !reflect.DeepEqual(body, map[string]any{"model": "nomic-embed-text", "stream": true}) {
						t.Errorf("pull body %v", body)
					}
					w.Header().Set("Content-Type", "application/x-ndjson")
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
				},
			})
			var steps []PullProgress
			err := s.client(t, Options{}).Pull(context.Background(), "nomic-embed-text", func(p PullProgress) {
				steps = append(steps, p)
			})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Pull error %v, want %q", err, tt.wantErr)
			}
			if len(steps) != tt.steps {
				t.Errorf("%d progress steps, want %d: %+v", len(steps), tt.steps, steps)
			}
			if tt.name == "success" {
				want := PullProgress{Status: "pulling 970aa74c0a90", Digest: "sha256:970aa74c0a90", Total: 274290656, Completed: 1000}
				if steps[1] != want || steps[5].Status != "success" {
					t.Errorf("steps %+v", steps)
				}
			}
		})
	}
}

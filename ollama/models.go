package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/httpx"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// Version returns the server's version, e.g. "0.17.4".
func (c *Client) Version(ctx context.Context) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	u := c.base.JoinPath("api/version").String()
	if err := c.callJSON(ctx, http.MethodGet, u, nil, "", &v); err != nil {
		return "", err
	}
	return v.Version, nil
}

// Model is a model the server has, as /api/tags lists it.
type Model struct {
	Name       string       `json:"name"`  // "nomic-embed-text:latest"
	Model      string       `json:"model"` // usually the same as Name
	ModifiedAt time.Time    `json:"modified_at"`
	Size       int64        `json:"size"`   // bytes
	Digest     string       `json:"digest"` // sha256 of the manifest, hex
	Details    ModelDetails `json:"details"`
}

// ModelDetails describes a model's format and family.
type ModelDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"` // "gguf"
	Family            string   `json:"family"` // "bert", "nomic-bert"
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`     // "137M"
	QuantizationLevel string   `json:"quantization_level"` // "F16"
}

// Models lists the models the server has.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	var v struct {
		Models []Model `json:"models"`
	}
	u := c.base.JoinPath("api/tags").String()
	if err := c.callJSON(ctx, http.MethodGet, u, nil, "", &v); err != nil {
		return nil, err
	}
	return v.Models, nil
}

// FindModel returns the model called name in models, where "name" also
// matches "name:latest" and case does not matter, as in Ollama.
func FindModel(models []Model, name string) (Model, bool) {
	if name == "" {
		return Model{}, false
	}
	want := name
	if !strings.Contains(want[strings.LastIndex(want, "/")+1:], ":") {
		want += ":latest"
	}
	for _, m := range models {
		for _, have := range []string{m.Name, m.Model} {
			if have != "" && (strings.EqualFold(have, name) || strings.EqualFold(have, want)) {
				return m, true
			}
		}
	}
	return Model{}, false
}

// LookupModel returns what /api/tags says about model, its digest in
// particular, or a *salvo.ModelNotFoundError.
func (c *Client) LookupModel(ctx context.Context, model string) (*Model, error) {
	models, err := c.Models(ctx)
	if err != nil {
		return nil, err
	}
	m, ok := FindModel(models, model)
	if !ok {
		return nil, &salvo.ModelNotFoundError{Model: model, Endpoint: c.base.JoinPath("api/tags").String(),
			Message: fmt.Sprintf("not among the %d models the server lists", len(models))}
	}
	return &m, nil
}

// ShowResponse is what /api/show says about a model.
type ShowResponse struct {
	Details ModelDetails `json:"details"`
	// ModelInfo holds the model's metadata, keyed like
	// "general.architecture" and "bert.context_length"; numbers are
	// json.Number.
	ModelInfo map[string]any `json:"model_info"`
	// Parameters is the Modelfile's PARAMETER lines, e.g. "num_ctx 8192".
	Parameters   string    `json:"parameters"`
	Capabilities []string  `json:"capabilities"`
	ModifiedAt   time.Time `json:"modified_at"`
}

// Architecture returns the model's architecture ("bert", "nomic-bert").
func (r *ShowResponse) Architecture() string {
	s, _ := r.ModelInfo["general.architecture"].(string)
	return s
}

// ContextLength returns the longest input the model was trained for, in
// tokens ("<arch>.context_length"), or 0 if the server does not say.
func (r *ShowResponse) ContextLength() int { return r.archInt("context_length") }

// EmbeddingLength returns the length of the model's vectors
// ("<arch>.embedding_length"), or 0 if the server does not say.
func (r *ShowResponse) EmbeddingLength() int { return r.archInt("embedding_length") }

func (r *ShowResponse) archInt(name string) int {
	v, ok := r.ModelInfo[r.Architecture()+"."+name]
	if !ok {
		return 0
	}
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	}
	return 0
}

// Parameter returns the value of a Modelfile parameter such as "num_ctx",
// or "" if the model does not set it.
func (r *ShowResponse) Parameter(name string) string {
	for line := range strings.SplitSeq(r.Parameters, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == name {
			return strings.Trim(strings.Join(f[1:], " "), `"`)
		}
	}
	return ""
}

// NumCtx returns the model's num_ctx parameter, or 0 if it sets none (the
// server then uses its own default, OLLAMA_CONTEXT_LENGTH). Ollama cuts
// inputs to at most min(num_ctx, ContextLength) tokens.
func (r *ShowResponse) NumCtx() int {
	n, _ := strconv.Atoi(r.Parameter("num_ctx"))
	return n
}

// Show asks the server about model.
func (c *Client) Show(ctx context.Context, model string) (*ShowResponse, error) {
	body := jsonstr.AppendString([]byte(`{"model":`), model)
	body = append(body, '}')
	var v ShowResponse
	if err := c.callJSON(ctx, http.MethodPost, c.base.JoinPath("api/show").String(), body, model, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// PullProgress is one step of a pull: a status such as "pulling manifest",
// "pulling <digest>" with byte counts, "verifying sha256 digest",
// "success".
type PullProgress struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
}

// maxPullLine bounds one line of a pull's progress stream.
const maxPullLine = 1 << 20

// Pull makes the server download model, calling progress (which may be
// nil) for every step it reports. It returns nil once the server reports
// success.
func (c *Client) Pull(ctx context.Context, model string, progress func(PullProgress)) error {
	body := jsonstr.AppendString([]byte(`{"model":`), model)
	body = append(body, `,"stream":true}`...)
	u := c.base.JoinPath("api/pull").String()
	req, err := c.newRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/x-ndjson")
	// No model is named for error answers: a 404 here is about the
	// registry, not a missing local model.
	resp, err := httpx.Stream(c.http, req, "")
	if err != nil {
		return fmt.Errorf("pulling %s: %w", model, err)
	}
	defer resp.Body.Close()

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxPullLine)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var p struct {
			PullProgress
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &p); err != nil {
			return fmt.Errorf("pulling %s: %w from %s: a progress line is not JSON: %s",
				model, salvo.ErrInvalidResponse, u, httpx.Digest("", line))
		}
		if p.Error != "" {
			return fmt.Errorf("pulling %s on %s failed: %s", model, c.Host(), p.Error)
		}
		if progress != nil {
			progress(p.PullProgress)
		}
		if p.Status == "success" {
			return nil
		}
	}
	err = sc.Err()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return fmt.Errorf("pulling %s on %s: the progress stream ended before success: %w", model, c.Host(), err)
}

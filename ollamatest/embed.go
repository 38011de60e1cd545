package ollamatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// drain reads what is left of a request body, so the server notices at
// once when the client goes away while the request waits.
func drain(r *http.Request) { io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) }

// decodeError is the message Ollama's native endpoints give for a body
// they cannot bind.
func decodeError(err error) string {
	if errors.Is(err, io.EOF) {
		return "missing request body"
	}
	return err.Error()
}

// embedding wraps the handler of an embedding endpoint: it counts the
// request in and out, and answers an arrival fault (failure, dropped
// connection, HTML page) before the handler sees the request. Faults that
// change the answer are passed on.
func (s *Server) embedding(h func(http.ResponseWriter, *http.Request, fault, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, hasFault := s.arrive()
		lw := &leaver{ResponseWriter: w, s: s}
		defer lw.leave()
		if hasFault && writeFault(lw, f) {
			return
		}
		if hasFault && f.kind == faultTruncate {
			h(&truncator{ResponseWriter: lw, left: -1}, r, f, hasFault)
			return
		}
		if hasFault && f.kind == faultPad {
			h(&padder{ResponseWriter: lw, size: f.size, announce: f.announce}, r, f, hasFault)
			return
		}
		h(lw, r, f, hasFault)
	}
}

// handleEmbed serves POST /api/embed.
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request, f fault, hasFault bool) {
	start := time.Now()
	// Named as in Ollama, so decoding errors read the same.
	type EmbedRequest struct {
		Model      string          `json:"model"`
		Input      json.RawMessage `json:"input"`
		KeepAlive  *duration       `json:"keep_alive,omitempty"`
		Truncate   *bool           `json:"truncate,omitempty"`
		Dimensions int             `json:"dimensions,omitempty"`
		Options    map[string]any  `json:"options"`
	}
	var req EmbedRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeAPIError(w, http.StatusBadRequest, decodeError(err))
		return
	}
	drain(r)
	inputs, _, ok := parseInput(req.Input)
	if !ok {
		writeAPIError(w, http.StatusBadRequest, "invalid input type")
		return
	}
	s.received(inputs)
	if status, msg := s.lookup(req.Model, false); status != 0 {
		writeAPIError(w, status, msg)
		return
	}
	if len(inputs) == 0 { // an empty request loads the model
		s.load()
		b := appendString([]byte(`{"model":`), req.Model)
		writeBody(w, http.StatusOK, ctJSON, append(b, `,"embeddings":[]}`...))
		return
	}
	j := job{
		model:    req.Model,
		inputs:   inputs,
		truncate: req.Truncate == nil || *req.Truncate,
		dims:     req.Dimensions,
		numCtx:   numCtx(req.Options),
		unload:   req.KeepAlive != nil && req.KeepAlive.Duration == 0,
	}
	scheduled := time.Since(start)
	a := s.evaluate(r.Context(), &j, f, hasFault)
	if a.gone {
		return
	}
	if a.status != 0 {
		writeAPIError(w, a.status, a.msg)
		return
	}
	if a.load == 0 {
		a.load = scheduled
	}
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"embeddings":[`...)
	for i, v := range a.vecs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendVector(b, v, 32)
	}
	b = append(b, `],"total_duration":`...)
	b = strconv.AppendInt(b, int64(time.Since(start)+a.load), 10)
	b = append(b, `,"load_duration":`...)
	b = strconv.AppendInt(b, int64(a.load), 10)
	if a.tokens > 0 {
		b = append(b, `,"prompt_eval_count":`...)
		b = strconv.AppendInt(b, int64(a.tokens), 10)
	}
	b = append(b, '}')
	writeBody(w, http.StatusOK, ctJSON, b)
	*bp = b
}

// handleEmbeddings serves the legacy POST /api/embeddings: one prompt, a
// vector of float64 that is not normalised.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request, f fault, hasFault bool) {
	type EmbeddingRequest struct {
		Model     string         `json:"model"`
		Prompt    string         `json:"prompt"`
		KeepAlive *duration      `json:"keep_alive,omitempty"`
		Options   map[string]any `json:"options"`
	}
	var req EmbeddingRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeAPIError(w, http.StatusBadRequest, decodeError(err))
		return
	}
	drain(r)
	var inputs []string
	if req.Prompt != "" {
		inputs = []string{req.Prompt}
	}
	s.received(inputs)
	if status, msg := s.lookup(strings.TrimSpace(req.Model), true); status != 0 {
		writeAPIError(w, status, msg)
		return
	}
	if len(inputs) == 0 {
		// Ollama's answer to a request without prompt, also to one that
		// sent "input" here by mistake.
		s.load()
		writeBody(w, http.StatusOK, ctJSON, []byte(`{"embedding":[]}`))
		return
	}
	j := job{
		model:  req.Model,
		inputs: inputs,
		numCtx: numCtx(req.Options),
		unload: req.KeepAlive != nil && req.KeepAlive.Duration == 0,
		legacy: true,
	}
	a := s.evaluate(r.Context(), &j, f, hasFault)
	if a.gone {
		return
	}
	if a.status != 0 {
		writeAPIError(w, a.status, a.msg)
		return
	}
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"embedding":`...)
	if len(a.vecs) == 0 {
		b = append(b, "[]"...)
	} else {
		b = appendVector(b, a.vecs[0], 64)
	}
	b = append(b, '}')
	writeBody(w, http.StatusOK, ctJSON, b)
	*bp = b
}

// handleOpenAI serves POST /v1/embeddings as Ollama's OpenAI layer does on
// top of /api/embed.
func (s *Server) handleOpenAI(w http.ResponseWriter, r *http.Request, f fault, hasFault bool) {
	type EmbedRequest struct {
		Input          json.RawMessage `json:"input"`
		Model          string          `json:"model"`
		Dimensions     int             `json:"dimensions,omitempty"`
		EncodingFormat string          `json:"encoding_format,omitempty"`
	}
	var req EmbedRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeOpenAIError(w, http.StatusBadRequest, err.Error(), false)
		return
	}
	drain(r)
	base64 := strings.EqualFold(req.EncodingFormat, "base64")
	if req.EncodingFormat != "" && !base64 && !strings.EqualFold(req.EncodingFormat, "float") {
		writeOpenAIError(w, http.StatusBadRequest, "Invalid value for 'encoding_format' = "+req.EncodingFormat+". Supported values: ['float', 'base64'].", false)
		return
	}
	inputs, array, ok := parseInput(req.Input)
	raw := bytes.TrimSpace(req.Input)
	switch {
	case ok && !array && len(inputs) == 0 && len(raw) > 0 && raw[0] == '"':
		inputs = []string{""} // Ollama embeds an empty string given alone
	case len(raw) == 0 || string(raw) == "null" || ok && array && len(inputs) == 0:
		writeOpenAIError(w, http.StatusBadRequest, "invalid input", false)
		return
	case !ok:
		writeOpenAIError(w, http.StatusBadRequest, "invalid input type", true)
		return
	}
	s.received(inputs)
	if status, msg := s.lookup(req.Model, false); status != 0 {
		writeOpenAIError(w, status, msg, true)
		return
	}
	j := job{model: req.Model, inputs: inputs, truncate: true, dims: req.Dimensions}
	a := s.evaluate(r.Context(), &j, f, hasFault)
	if a.gone {
		return
	}
	if a.status != 0 {
		writeOpenAIError(w, a.status, a.msg, true)
		return
	}
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"object":"list","data":`...)
	if len(a.vecs) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range a.vecs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"object":"embedding","embedding":`...)
			if base64 {
				b = appendBase64(b, v)
			} else {
				b = appendVector(b, v, 32)
			}
			b = append(b, `,"index":`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(a.tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(a.tokens), 10)
	b = append(b, "}}\n"...)
	writeBody(w, http.StatusOK, ctJSONPlain, b)
	*bp = b
}

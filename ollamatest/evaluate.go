package ollamatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

// job is one decoded embedding request.
type job struct {
	model    string // as the client spelled it
	inputs   []string
	truncate bool // cut long inputs; else reject them
	dims     int  // "dimensions"; 0 for the model's own
	numCtx   int  // options.num_ctx; 0 if unset
	unload   bool // keep_alive 0: the model unloads after the answer
	legacy   bool // /api/embeddings: not normalised, no truncation
}

// answer is the outcome of evaluating a job.
type answer struct {
	vecs   [][]float32
	tokens int
	load   time.Duration
	status int // non-zero: the request failed with status and msg
	msg    string
	gone   bool // the client left: nothing is written
}

// evaluate runs a job through the capacity model and computes its vectors.
// f is the request's queued fault, if it has one.
func (s *Server) evaluate(ctx context.Context, j *job, f fault, hasFault bool) answer {
	acquired, err := s.admit(ctx)
	if err == errBusy {
		return answer{status: http.StatusServiceUnavailable, msg: MsgBusy}
	}
	if err != nil {
		return s.gone()
	}
	load := s.load()
	err = s.hold(ctx, len(j.inputs))
	var a answer
	if err == nil {
		a = s.compute(j)
	}
	s.release(acquired)
	if err != nil {
		return s.gone()
	}
	a.load = load
	if j.unload {
		s.mu.Lock()
		s.cold = true
		s.mu.Unlock()
	}
	if hasFault {
		switch f.kind {
		case faultSlow:
			if sleep(ctx, f.delay) != nil {
				return s.gone()
			}
		case faultWrongCount:
			if len(a.vecs) > 0 {
				a.vecs = a.vecs[:len(a.vecs)-1]
			}
		case faultWrongDims:
			for i, v := range a.vecs {
				if len(v) > 0 {
					a.vecs[i] = v[:len(v)-1]
				}
			}
		}
	}
	if a.status == 0 {
		s.mu.Lock()
		s.st.Embedded += len(a.vecs)
		s.notifyLocked()
		s.mu.Unlock()
	}
	return a
}

func (s *Server) gone() answer {
	s.mu.Lock()
	s.st.Canceled++
	s.notifyLocked()
	s.mu.Unlock()
	return answer{gone: true}
}

// load marks the model loaded and returns the load time to report: the
// configured LoadDuration for a cold model, else 0.
func (s *Server) load() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cold {
		return 0
	}
	s.cold = false
	return s.cfg.LoadDuration
}

// compute makes the vectors of a job and finds the input errors that fail
// it as a whole, as Ollama does.
func (s *Server) compute(j *job) answer {
	limit := s.cfg.ContextTokens
	if j.numCtx > 0 && (limit == 0 || j.numCtx < limit) {
		limit = j.numCtx
	}
	var tf []textFault
	s.mu.Lock()
	if len(s.perText) > 0 {
		tf = make([]textFault, len(j.inputs))
		hit := false
		for i, text := range j.inputs {
			tf[i] = s.perText[text]
			hit = hit || tf[i] != 0
		}
		if hit {
			s.st.Faults++
		}
	}
	s.mu.Unlock()

	var a answer
	var tooLong, nan, poison bool
	a.vecs = make([][]float32, len(j.inputs))
	for i, text := range j.inputs {
		kept, n, cut := fitContext(text, limit)
		tooLong = tooLong || cut && !j.truncate
		a.tokens += n
		v := s.vector(j.model, kept)
		if j.legacy {
			for k := range v {
				v[k] *= LegacyScale
			}
		} else {
			v = CutDims(v, j.dims)
		}
		if tf != nil {
			switch tf[i] {
			case textZero:
				clear(v)
			case textNull:
				if len(v) > 0 {
					v[0] = float32(math.NaN())
				}
			case textNaN:
				nan = true
			case textPoison:
				poison = true
			}
		}
		a.vecs[i] = v
	}
	switch {
	case tooLong && j.legacy:
		a.status, a.msg = http.StatusInternalServerError, MsgTooLong
	case tooLong:
		a.status, a.msg = http.StatusBadRequest, MsgTooLong
	case nan:
		a.status, a.msg = http.StatusInternalServerError, MsgNaN
	case poison:
		a.status, a.msg = http.StatusInternalServerError, MsgPoison
	}
	if a.status != 0 {
		a.vecs = nil
	}
	return a
}

// lookup checks a model name as Ollama's embedding handlers do and returns
// the failure to answer, if any.
func (s *Server) lookup(name string, legacy bool) (int, string) {
	if name == "" {
		if legacy {
			return http.StatusBadRequest, "model is required"
		}
		// /api/embed qualifies the empty name with defaults, then fails.
		return http.StatusInternalServerError, "unqualified name: registry.ollama.ai/library/:latest"
	}
	if !s.hasModel(name) {
		return http.StatusNotFound, fmt.Sprintf("model %q not found, try pulling it first", name)
	}
	return 0, ""
}

// parseInput reads "input" as Ollama does: a string (none if empty) or a
// list of strings; array reports a list. ok is false for any other type.
func parseInput(raw json.RawMessage) (inputs []string, array, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, true
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false, false
		}
		if s == "" {
			return nil, false, true
		}
		return []string{s}, false, true
	case '[':
		var list []*string // null items must be told from ""
		if json.Unmarshal(raw, &list) != nil {
			return nil, true, false
		}
		inputs = make([]string, len(list))
		for i, p := range list {
			if p == nil {
				return nil, true, false
			}
			inputs[i] = *p
		}
		return inputs, true, true
	}
	return nil, false, false
}

// duration reads keep_alive as Ollama's api.Duration does: seconds as a
// number, or a Go duration string; negative means forever.
type duration struct{ time.Duration }

func (d *duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d.Duration = 5 * time.Minute
	switch t := v.(type) {
	case float64:
		if t < 0 {
			d.Duration = time.Duration(math.MaxInt64)
		} else {
			d.Duration = time.Duration(t * float64(time.Second))
		}
	case string:
		var err error
		if d.Duration, err = time.ParseDuration(t); err != nil {
			return err
		}
		if d.Duration < 0 {
			d.Duration = time.Duration(math.MaxInt64)
		}
	default:
		return fmt.Errorf("Unsupported type: '%T'", v)
	}
	return nil
}

// numCtx reads options.num_ctx when it is a positive number.
func numCtx(opts map[string]any) int {
	if v, ok := opts["num_ctx"].(float64); ok && v >= 1 && v < math.MaxInt32 {
		return int(v)
	}
	return 0
}

package ollamatest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
)

// The answers carrying vectors are written by hand into pooled buffers:
// the server also measures client CPU per embedding, and encoding/json of
// [][]float32 would cost more than the client under test.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 8<<20 {
		return // let a rare huge answer go rather than pin its memory
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// appendFloat writes f as encoding/json does for its bit size; NaN and
// infinities, which JSON cannot carry, are written null as llama.cpp does.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// encoding/json writes e-7, not e-07
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendVector writes v as a JSON array of float32, or of float64 as
// /api/embeddings does after converting Ollama's float32 values.
func appendVector(b []byte, v []float32, bits int) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, float64(x), bits)
	}
	return append(b, ']')
}

// appendBase64 writes v as a JSON string of its little-endian float32
// bytes in standard base64, the OpenAI encoding_format "base64".
func appendBase64(b []byte, v []float32) []byte {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw)
	return append(b, '"')
}

// appendString writes s as a JSON string exactly as encoding/json does.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

func appendErrorJSON(b []byte, msg string) []byte {
	b = append(b, `{"error":`...)
	b = appendString(b, msg)
	return append(b, '}')
}

// writeBody sends a complete answer.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

const (
	ctJSON      = "application/json; charset=utf-8" // gin's c.JSON
	ctJSONPlain = "application/json"                // Ollama's OpenAI writer
)

// writeJSON answers like gin's c.JSON: encoding/json, no trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = appendErrorJSON(nil, err.Error())
		status = http.StatusInternalServerError
	}
	writeBody(w, status, ctJSON, body)
}

// writeAPIError answers {"error": msg} as Ollama's native endpoints do.
func writeAPIError(w http.ResponseWriter, status int, msg string) {
	writeBody(w, status, ctJSON, appendErrorJSON(nil, msg))
}

// writeOpenAIError answers in OpenAI's error shape. Ollama writes errors of
// its OpenAI layer itself (bad JSON, bad input) with a type that follows
// the status; errors from the embedding handler underneath keep their status
// but are typed "api_error", sent without charset and with a newline.
func writeOpenAIError(w http.ResponseWriter, status int, msg string, fromHandler bool) {
	etype := "api_error"
	if !fromHandler {
		switch status {
		case http.StatusBadRequest:
			etype = "invalid_request_error"
		case http.StatusNotFound:
			etype = "not_found_error"
		}
	}
	b := append([]byte(nil), `{"error":{"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"type":`...)
	b = appendString(b, etype)
	b = append(b, `,"param":null,"code":null}}`...)
	ct := ctJSON
	if fromHandler {
		b = append(b, '\n')
		ct = ctJSONPlain
	}
	writeBody(w, status, ct, b)
}

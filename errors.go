package salvo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StatusError is an HTTP answer that was not a success. Clients return it
// (as a pointer) so callers can decide with [errors.As] and [Retryable].
type StatusError struct {
	StatusCode int           // HTTP status
	Message    string        // the server's error message, or a digest of a non-JSON body
	Endpoint   string        // URL that answered
	RetryAfter time.Duration // parsed Retry-After header, 0 if none
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s: %d %s", e.Endpoint, e.StatusCode, msg)
}

// ModelNotFoundError says the server does not have the model. It is never
// retried: the fix is to pull the model.
type ModelNotFoundError struct {
	Model    string
	Endpoint string
	Message  string // the server's words
	// Suggestion is a model of that server whose name is close to Model
	// (a typo's likely meaning), or "".
	Suggestion string
}

func (e *ModelNotFoundError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("model %q not found on %s (%s); did you mean %s? That server has it. To use %s itself, run `ollama pull %s` on that server",
			e.Model, e.Endpoint, e.Message, e.Suggestion, e.Model, e.Model)
	}
	return fmt.Sprintf("model %q not found on %s (%s): run `ollama pull %s` on that server", e.Model, e.Endpoint, e.Message, e.Model)
}

// CanonicalModel is the name of model as salvo stores it: Ollama's
// "name:latest" and "name" are the same model, stored as "name".
func CanonicalModel(model string) string {
	tag := strings.LastIndexByte(model, ':')
	if tag > strings.LastIndexByte(model, '/') && strings.EqualFold(model[tag+1:], "latest") {
		return model[:tag]
	}
	return model
}

// SameModel reports whether two model names name the same model
// ("name" and "name:latest").
func SameModel(a, b string) bool { return CanonicalModel(a) == CanonicalModel(b) }

// ErrInvalidResponse marks an answer that was received but cannot be used:
// wrong vector count, NaN, a body that is not the expected JSON. Such errors
// wrap it.
var ErrInvalidResponse = errors.New("invalid response")

// ErrTruncated marks an input that the server cut to fit the model's context.
var ErrTruncated = errors.New("input truncated by the server")

// Retryable reports whether a request that failed with err may succeed if
// sent again unchanged: server busy (503, 429), gateway errors (502, 504),
// timeouts and connection failures. Cancellation of the caller's context is
// never retryable.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var nf *ModelNotFoundError
	if errors.As(err, &nf) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.StatusCode {
		case http.StatusServiceUnavailable, http.StatusTooManyRequests,
			http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusRequestTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// net/http reports a connection closed mid-answer as an unexported error.
	s := err.Error()
	return strings.Contains(s, "EOF") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "server closed") || strings.Contains(s, "connection refused")
}

// Splittable reports whether a failed batch should be split in halves to
// isolate a bad input: Ollama fails a whole /api/embed request with 400 or
// 500 when one of its inputs cannot be embedded.
func Splittable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode == http.StatusBadRequest || se.StatusCode == http.StatusInternalServerError ||
			se.StatusCode == http.StatusUnprocessableEntity || se.StatusCode == http.StatusRequestEntityTooLarge
	}
	return errors.Is(err, ErrInvalidResponse)
}

// TooLong reports whether err is a server's refusal of an input longer
// than the model's context: Ollama's "the input length exceeds the context
// length" (with truncation off), OpenAI's and vLLM's "maximum context
// length is N tokens", TEI's "must have less than N tokens", llama.cpp's
// "too large to process". Sending such an input again fails again; it must
// be shortened, or the server allowed to cut it. In a batch it fails the
// whole request, like any error [Splittable] reports.
func TooLong(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode < 400 {
		return false
	}
	m := strings.ToLower(se.Message)
	for _, s := range tooLongWords {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

var tooLongWords = []string{"context length", "must have less than", "too large to process", "too long"}

// RetryAfter returns the delay the server asked for, if any.
func RetryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// Where formats a position as "file:line".
func Where(file string, line int) string {
	if line <= 0 {
		return file
	}
	var n [20]byte // the line's digits: one allocation, the result's
	return file + ":" + string(strconv.AppendInt(n[:0], int64(line), 10))
}

// RecordError is a record that could not be read: a broken line of a file,
// or a row of a query without an ID. Reading can go on: the next record
// follows it.
type RecordError struct {
	File string // file name as given, or the source's name (e.g. "sql")
	Line int    // 1-based line where the bad record starts, or the row's number
	Err  error
}

func (e *RecordError) Error() string { return Where(e.File, e.Line) + ": " + e.Err.Error() }

func (e *RecordError) Unwrap() error { return e.Err }

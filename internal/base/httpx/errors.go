package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/salvoembed/salvo"
)

const (
	// MaxMessage bounds a server's error message as we repeat it.
	MaxMessage = 500
	// digestChars bounds the text kept from a body that is not JSON.
	digestChars = 200
	// digestScan bounds how much of a body is looked at for a digest.
	digestScan = 16 << 10
)

// CheckStatus turns a non-2xx answer into an error: *salvo.ModelNotFoundError
// when the server says model is missing (model may be "" when the call names
// none), else *salvo.StatusError. It returns nil for a 2xx answer.
func CheckStatus(r *Response, endpoint, model string) error {
	if r.StatusCode >= 200 && r.StatusCode < 300 {
		return nil
	}
	msg, code := ErrorMessage(r.Header.Get("Content-Type"), r.Body)
	if model != "" && IsModelNotFound(r.StatusCode, msg, code) {
		return &salvo.ModelNotFoundError{Model: model, Endpoint: endpoint, Message: msg}
	}
	return &salvo.StatusError{
		StatusCode: r.StatusCode,
		Message:    msg,
		Endpoint:   endpoint,
		RetryAfter: ParseRetryAfter(r.Header.Get("Retry-After"), time.Now()),
	}
}

// IsModelNotFound reports whether an error answer says the model does not
// exist: Ollama's `model "x" not found, try pulling it first` and
// `model 'x' not found`, OpenAI's code model_not_found, vLLM's "The model `x`
// does not exist". A bare "404 page not found" (a missing route) is not.
func IsModelNotFound(status int, msg, code string) bool {
	if code == "model_not_found" && status >= 400 && status < 500 {
		return true
	}
	if status != http.StatusNotFound {
		return false
	}
	m := strings.ToLower(msg)
	return strings.Contains(m, "model") &&
		(strings.Contains(m, "not found") || strings.Contains(m, "does not exist"))
}

// ErrorMessage extracts the message of an error body: Ollama's
// {"error":"..."}, OpenAI's {"error":{"message":"...","code":"..."}}, vLLM's
// {"message":"..."}, FastAPI's {"detail":"..."}. Any other body gives a short
// digest (see [Digest]). The message is at most about [MaxMessage] bytes.
func ErrorMessage(contentType string, body []byte) (msg, code string) {
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
		var e struct {
			Error   json.RawMessage `json:"error"`
			Message json.RawMessage `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		}
		if json.Unmarshal(t, &e) == nil {
			var inner struct {
				Message json.RawMessage `json:"message"`
				Code    json.RawMessage `json:"code"`
			}
			if json.Unmarshal(e.Error, &inner) == nil {
				msg, code = jsonText(inner.Message), jsonText(inner.Code)
			}
			for _, raw := range []json.RawMessage{e.Error, e.Message, e.Detail} {
				if msg == "" {
					msg = jsonText(raw)
				}
			}
			if msg != "" {
				return clip(collapse(msg), MaxMessage), clip(collapse(code), 100)
			}
		}
	}
	return Digest(contentType, body), ""
}

// jsonText returns a JSON string's value or a number's spelling, "" for
// anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// Digest describes a body that is not the JSON we expected, for an error
// message: the first ~200 characters of its text (tags, scripts and styles
// of HTML removed, whitespace collapsed) and its media type, as in
// `502 Bad Gateway nginx (text/html body)`.
func Digest(contentType string, body []byte) string {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = strings.TrimSpace(contentType)
	}
	media = clip(collapse(media), 60)
	if len(body) == 0 {
		if media == "" {
			return "empty body"
		}
		return "empty " + media + " body"
	}
	scan := body[:min(len(body), digestScan)]
	var text string
	if strings.Contains(media, "html") || looksHTML(scan) {
		text = html.UnescapeString(string(stripTags(scan)))
	} else {
		text = string(scan)
	}
	text = clip(collapse(text), digestChars)
	if text == "" {
		text = fmt.Sprintf("%d bytes without text", len(body))
	}
	if media == "" {
		media = "untyped"
	}
	return text + " (" + media + " body)"
}

func looksHTML(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '<'
}

// stripTags drops HTML tags, comments and the contents of script and style
// elements.
func stripTags(b []byte) []byte {
	lower := asciiLower(b) // same length as b, for case-blind searches
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] != '<' {
			out = append(out, b[i])
			i++
			continue
		}
		rest := lower[i:]
		skipTo := ">"
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			skipTo = "-->"
		case bytes.HasPrefix(rest, []byte("<script")):
			skipTo = "</script>"
		case bytes.HasPrefix(rest, []byte("<style")):
			skipTo = "</style>"
		}
		end := bytes.Index(rest, []byte(skipTo))
		if end < 0 {
			break
		}
		out = append(out, ' ')
		i += end + len(skipTo)
	}
	return out
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// collapse turns any run of whitespace or control characters into one space
// and replaces invalid UTF-8, so a message stays on one readable line.
func collapse(s string) string {
	var sb strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		sb.WriteRune(r)
	}
	return sb.String()
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// InvalidResponse reports a 2xx answer that cannot be used; it wraps
// salvo.ErrInvalidResponse.
func InvalidResponse(endpoint string, r *Response, why string) error {
	return fmt.Errorf("%w from %s (status %d): %s; body: %s",
		salvo.ErrInvalidResponse, endpoint, r.StatusCode, why, Digest(r.Header.Get("Content-Type"), r.Body))
}

// transportError explains a request that got no answer. err stays in the
// chain, so errors.Is/As still find context errors, net.Error and syscall
// errors.
func transportError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w (nothing listens there: start the server, e.g. `ollama serve`, or fix the host)", err)
	}
	return err
}

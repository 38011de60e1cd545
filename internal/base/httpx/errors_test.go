package httpx

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/salvoembed/salvo"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		wantMsg, wantCode string
	}{
		{"ollama", "application/json; charset=utf-8", `{"error":"model \"x\" not found, try pulling it first"}`,
			`model "x" not found, try pulling it first`, ""},
		{"openai", "application/json", `{"error":{"message":"The model ` + "`x`" + ` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			"The model `x` does not exist", "model_not_found"},
		{"llama.cpp numeric code", "application/json", `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`,
			"Loading model", "503"},
		{"vllm", "application/json", `{"object":"error","message":"bad input","type":"BadRequestError","code":400}`,
			"bad input", ""},
		{"fastapi", "application/json", `{"detail":"Not Found"}`, "Not Found", ""},
		{"multi-line message", "", "{\"error\":\"line one\\n\\tline two\"}", "line one line two", ""},
		{"plain text", "text/plain; charset=utf-8", "404 page not found", "404 page not found (text/plain body)", ""},
		{"html", "text/html", "<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center>\n<!-- a comment --><script>alert(1)</script></body></html>",
			"502 Bad Gateway 502 Bad Gateway nginx/1.25.3 (text/html body)", ""},
		{"html entities", "text/html", "<p>Tom &amp; Jerry &lt;3</p>", "Tom & Jerry <3 (text/html body)", ""},
		{"untyped html", "", "<h1>Bad</h1>", "Bad (untyped body)", ""},
		{"empty", "text/plain", "", "empty text/plain body", ""},
		{"empty untyped", "", "", "empty body", ""},
		{"json without message", "application/json", `{"status":"bad"}`, `{"status":"bad"} (application/json body)`, ""},
		{"broken json", "application/json", `{"error":"trunc`, `{"error":"trunc (application/json body)`, ""},
		{"binary", "application/octet-stream", "\x00\x01\x02", "3 bytes without text (application/octet-stream body)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, code := ErrorMessage(tt.ctype, []byte(tt.body))
			if msg != tt.wantMsg || code != tt.wantCode {
				t.Errorf("ErrorMessage = %q, %q; want %q, %q", msg, code, tt.wantMsg, tt.wantCode)
			}
		})
	}
}

func TestErrorMessageBounded(t *testing.T) {
	long := strings.Repeat("word ", 10000)
	for _, body := range []string{`{"error":"` + long + `"}`, long, "<p>" + long + "</p>"} {
		msg, _ := ErrorMessage("", []byte(body))
		if len(msg) > MaxMessage+40 {
			t.Errorf("message of %d bytes from a %d-byte body", len(msg), len(body))
		}
		if !strings.Contains(msg, "…") {
			t.Errorf("message %q does not show it was cut", msg)
		}
	}
}

func TestIsModelNotFound(t *testing.T) {
	tests := []struct {
		status    int
		msg, code string
		want      bool
	}{
		{404, `model "all-minilm" not found, try pulling it first`, "", true},
		{404, `model 'all-minilm' not found`, "", true},
		{404, "The model `x` does not exist.", "", true},
		{404, "404 page not found (text/plain body)", "", false},
		{404, "Not Found", "", false},
		{400, "whatever", "model_not_found", true},
		{500, `model "x" not found`, "", false},
		{400, `model "x" not found`, "", false},
	}
	for _, tt := range tests {
		if got := IsModelNotFound(tt.status, tt.msg, tt.code); got != tt.want {
			t.Errorf("IsModelNotFound(%d, %q, %q) = %v, want %v", tt.status, tt.msg, tt.code, got, tt.want)
		}
	}
}

func TestCheckStatus(t *testing.T) {
	resp := func(status int, header http.Header, body string) *Response {
		if header == nil {
			header = http.Header{}
		}
		return &Response{StatusCode: status, Header: header, Body: []byte(body)}
	}
	const ep = "http://h:1/api/embed"
	if err := CheckStatus(resp(200, nil, "{}"), ep, "m"); err != nil {
		t.Errorf("200: %v", err)
	}

	err := CheckStatus(resp(503, http.Header{"Retry-After": {"7"}}, `{"error":"server busy, please try again.  maximum pending requests exceeded"}`), ep, "m")
	var se *salvo.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || se.RetryAfter != 7*time.Second || se.Endpoint != ep ||
		!strings.HasPrefix(se.Message, "server busy") {
		t.Errorf("503: got %#v", err)
	}
	if !salvo.Retryable(err) {
		t.Errorf("503 not retryable")
	}

	err = CheckStatus(resp(404, nil, `{"error":"model 'm' not found"}`), ep, "m")
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) || nf.Model != "m" || nf.Endpoint != ep || nf.Message != "model 'm' not found" {
		t.Errorf("404 model: got %#v", err)
	}

	err = CheckStatus(resp(404, nil, `{"error":"model 'm' not found"}`), ep, "")
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Errorf("404 without a model named: got %#v", err)
	}
}

func FuzzErrorBody(f *testing.F) {
	f.Add("application/json", []byte(`{"error":"x"}`))
	f.Add("application/json", []byte(`{"error":{"message":"x","code":1}}`))
	f.Add("text/html", []byte("<html><script>x</script><!-- y -->z &amp; </html>"))
	f.Add("text/plain", []byte("\xff\xfe \x00 a"))
	f.Add(";;;", []byte(`<<<<>`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		msg, code := ErrorMessage(ctype, body)
		if len(msg) > MaxMessage+100 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r\t\x00") {
			t.Fatalf("message %q is not one clean line", msg)
		}
		if len(code) > 1<<20 {
			t.Fatalf("code of %d bytes", len(code))
		}
	})
}

package salvo_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/salvoembed/salvo"
)

func TestRetryableAndSplittable(t *testing.T) {
	status := func(code int) error { return &salvo.StatusError{StatusCode: code, Endpoint: "http://h/api/embed"} }
	for _, tc := range []struct {
		name             string
		err              error
		retry, splitting bool
	}{
		{"503 busy", status(503), true, false},
		{"429", status(429), true, false},
		{"502 proxy", fmt.Errorf("wrapped: %w", status(502)), true, false},
		{"504", status(504), true, false},
		{"400 bad input", status(400), false, true},
		{"500 whole batch failed", status(500), false, true},
		{"401", status(401), false, false},
		{"model not found", &salvo.ModelNotFoundError{Model: "m"}, false, false},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), true, false},
		{"cancelled", context.Canceled, false, false},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true, false},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true, false},
		{"invalid answer", fmt.Errorf("%w: 3 vectors for 4 inputs", salvo.ErrInvalidResponse), false, true},
		{"nil", nil, false, false},
	} {
		if got := salvo.Retryable(tc.err); got != tc.retry {
			t.Errorf("%s: Retryable = %v, want %v", tc.name, got, tc.retry)
		}
		if got := salvo.Splittable(tc.err); got != tc.splitting {
			t.Errorf("%s: Splittable = %v, want %v", tc.name, got, tc.splitting)
		}
	}
}

func TestTooLong(t *testing.T) {
	msg := func(code int, m string) error {
		return fmt.Errorf("wrapped: %w", &salvo.StatusError{StatusCode: code, Message: m, Endpoint: "http://h/api/embed"})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"ollama", msg(400, "the input length exceeds the context length"), true},
		{"ollama legacy", msg(500, "the input length exceeds the context length"), true},
		{"openai", msg(400, "This model's maximum context length is 8192 tokens, however you requested 9000 tokens"), true},
		{"tei", msg(413, "Input validation error: `inputs` must have less than 512 tokens. Given: 600"), true},
		{"llama.cpp", msg(500, "input is too large to process. increase the physical batch size"), true},
		{"other 400", msg(400, "invalid input type"), false},
		{"busy", msg(503, "server busy, please try again."), false},
		{"not a status", errors.New("the input length exceeds the context length"), false},
		{"nil", nil, false},
	} {
		if got := salvo.TooLong(tc.err); got != tc.want {
			t.Errorf("%s: TooLong = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	nf := (&salvo.ModelNotFoundError{Model: "nomic-embed-text", Endpoint: "http://h:11434"}).Error()
	mm := (&salvo.ModelMismatchError{Collection: "movies", Have: "a", Want: "b"}).Error()
	for _, c := range []struct{ msg, want string }{
		{nf, "ollama pull nomic-embed-text"}, {mm, `holds vectors of model "a", not "b"`},
	} {
		if !strings.Contains(c.msg, c.want) {
			t.Errorf("%q lacks %q", c.msg, c.want)
		}
	}
	// A library names no flags: the command line adds them.
	for _, msg := range []string{nf, mm} {
		if strings.Contains(msg, "--") {
			t.Errorf("%q names a flag", msg)
		}
	}
	var se error = &salvo.StatusError{StatusCode: 502, Endpoint: "http://h/api/embed"}
	if se.Error() != "http://h/api/embed: 502 Bad Gateway" {
		t.Errorf("status error without a message: %q", se.Error())
	}
}

func TestKeyDependsOnEverythingThatDecidesAVector(t *testing.T) {
	base := salvo.KeySpec{Model: "m", Digest: "d", Dimensions: 0, Truncate: true}
	k := base.Key("text")
	if base.Key("text") != k {
		t.Fatal("Key is not deterministic")
	}
	variants := []salvo.KeySpec{
		{Model: "m2", Digest: "d", Truncate: true},
		{Model: "m", Digest: "d2", Truncate: true},
		{Model: "m", Digest: "d", Dimensions: 256, Truncate: true},
		{Model: "m", Digest: "d", Truncate: false},
		{Model: "md", Digest: "", Truncate: true}, // field boundaries matter
	}
	for _, v := range variants {
		if v.Key("text") == k {
			t.Errorf("%+v gives the same key as %+v", v, base)
		}
	}
	if base.Key("text ") == k {
		t.Error("a changed text gives the same key")
	}
}

func TestRecordWhere(t *testing.T) {
	r := salvo.Record{Source: "movies.jsonl", Line: 17}
	if r.Where() != "movies.jsonl:17" || salvo.Where("-", 0) != "-" {
		t.Errorf("Where = %q", r.Where())
	}
	if !errors.Is(fmt.Errorf("x: %w", salvo.ErrTruncated), salvo.ErrTruncated) {
		t.Error("ErrTruncated does not wrap")
	}
}

// Where makes its string in one allocation: it is called for every record.
func TestWhereAllocations(t *testing.T) {
	var w string
	if n := testing.AllocsPerRun(100, func() { w = salvo.Where("movies.jsonl", 123456) }); n > 1 {
		t.Errorf("%v allocations", n)
	}
	if w != "movies.jsonl:123456" || salvo.Where("f", -3) != "f" || salvo.Where("f", 1) != "f:1" {
		t.Errorf("Where = %q", w)
	}
}

// A key is sha256 over the model, the digest, the dimensions (8 bytes
// each, little-endian), the truncation byte and the text, the strings each
// after their length: stored keys stay valid only while this holds.
func TestKeyLayout(t *testing.T) {
	field := func(b []byte, s string) []byte {
		return append(binary.LittleEndian.AppendUint64(b, uint64(len(s))), s...)
	}
	for _, c := range []struct {
		spec salvo.KeySpec
		text string
	}{
		{salvo.KeySpec{Model: "nomic-embed-text", Digest: "sha256:0a1b", Dimensions: 256, Truncate: true}, "Up (2009). Animation. A house flies."},
		{salvo.KeySpec{Model: "m"}, ""},
		{salvo.KeySpec{Model: "m", Dimensions: -1}, strings.Repeat("long text ", 10000)},
	} {
		var b []byte
		b = field(b, c.spec.Model)
		b = field(b, c.spec.Digest)
		b = binary.LittleEndian.AppendUint64(b, uint64(c.spec.Dimensions))
		if c.spec.Truncate {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = field(b, c.text)
		if got, want := c.spec.Key(c.text), salvo.Key(sha256.Sum256(b)); got != want {
			t.Errorf("%+v: Key(%.20q) = %x, want %x", c.spec, c.text, got, want)
		}
	}
}

// BenchmarkKey keys one rendered movie text, as embed does for every
// record.
func BenchmarkKey(b *testing.B) {
	spec := salvo.KeySpec{Model: "nomic-embed-text", Digest: "sha256:0a1b2c3d4e5f", Truncate: true}
	text := strings.Repeat("Elias Alder, an exiled chef in Trieste, has kept a low profile. ", 10)
	b.ReportAllocs()
	for b.Loop() {
		spec.Key(text)
	}
}

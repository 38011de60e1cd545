package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/sqlite"
)

// The libraries state the facts; the command line adds the flags. Each
// hint that moved out of a library keeps its exact words.
func TestAdvice(t *testing.T) {
	tooLong := &salvo.StatusError{StatusCode: 400, Message: "the input length exceeds the context length", Endpoint: "http://h/api/embed"}
	timeout := &engine.TimeoutError{Host: "h:11434", Timeout: 2 * time.Second}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&salvo.ModelNotFoundError{Model: "m", Endpoint: "http://h", Message: "not in /api/tags"},
			"model \"m\" not found on http://h (not in /api/tags): run `ollama pull m` on that server, or pass --pull"},
		{fmt.Errorf("open: %w", &salvo.ModelMismatchError{Collection: "c", Have: "a", Want: "b"}),
			`open: collection "c" holds vectors of model "a", not "b": use --collection to start another collection, or --model a to continue this one`},
		{&engine.TooLongError{Err: tooLong, ContextTokens: 512},
			"http://h/api/embed: 400 the input length exceeds the context length (the model's context is 512 tokens: --chunk auto embeds it in pieces; or shorten the text, or drop --truncate=false to let the server cut it)"},
		{&engine.TooLongError{Err: tooLong, ContextTokens: 512, Truncate: true},
			"http://h/api/embed: 400 the input length exceeds the context length (the model's context is 512 tokens: this endpoint does not truncate: use --api embed, or shorten the text)"},
		{timeout, "h:11434: no answer within 2s (--timeout): context deadline exceeded"},
		{&engine.VectorSizeError{Got: 3, Want: 4},
			"invalid response: got a 3-dimensional vector, the collection holds 4 dimensions (a different model or --dimensions on this server?)"},
		{&engine.DuplicateError{First: "a.jsonl:1"}, "duplicate id, first seen at a.jsonl:1 (--on-duplicate first|last keeps one of them)"},
		// Nested: the outer error's hint, and the inner one's.
		{&engine.FatalError{Err: &engine.HostsDownError{Hosts: 1, Timeout: time.Minute, Last: []error{fmt.Errorf("h: %w", timeout)}}},
			"the server has failed for longer than 1m0s (--host-timeout); the last answer: h: h:11434: no answer within 2s (--timeout): context deadline exceeded\n" +
				"Check the server's log; records not stored yet are embedded by the next run"},
		{&sqlite.NotWritableError{Path: "m.db", InRun: true, Err: errors.New("attempt to write a readonly database (8)")},
			"attempt to write a readonly database (8)\nm.db cannot be written (file permissions, or a read-only mount): make it writable or choose another --db (everything committed so far is kept)"},
		{&sqlite.NotWritableError{Path: "m.db", Dir: "/ro", Err: errors.New("permission denied")},
			"database m.db: its folder /ro cannot be written (permission denied): SQLite keeps its write-ahead log there; make it writable or choose another --db"},
		{&sqlite.NotWritableError{Path: "m.db", Err: errors.New("permission denied")},
			"database m.db cannot be written (permission denied): make it writable (file permissions, a read-only mount) or choose another --db"},
		{fmt.Errorf("put: %w", &postgres.IDError{ID: "a\x00b", Collection: "m"}),
			`put: store item "a\x00b" in collection "m": PostgreSQL text cannot hold this ID (NUL bytes or invalid UTF-8): keep such catalogs in a SQLite database, or choose another --id`},
		{fmt.Errorf("put: %w", &postgres.UnavailableError{Where: "postgres://h/db", For: 2 * time.Minute, Err: errors.New("connection refused")}),
			"put: PostgreSQL at postgres://h/db did not come back within 2m0s (--db-timeout): connection refused"},
		{errors.New("plain"), "plain"},
	} {
		if got := advise(tc.err.Error(), tc.err); got != tc.want {
			t.Errorf("advise(%q)\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}

// The hints as salvo embed prints them: on the error line, in the report's
// reasons and in the failures file.
func TestAdviceOnTheCommandLine(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8, ContextTokens: 8, Models: []string{"nomic-embed-text", "other-model"}})
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	in := writeFile(t, dir, "m.jsonl", `{"id":"1","text":"one"}`+"\n"+`{"id":"1","text":"one again"}`+"\n"+
		`{"id":"2","text":"a text of many more words than the context of eight tokens"}`+"\n")

	// A duplicate ID and a text too long, with truncation off.
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--truncate=false", "--chunk", "off")
	fails, _ := os.ReadFile(filepath.Join(dir, "m.failures.jsonl"))
	dup := "duplicate id, first seen at " + in + ":1 (--on-duplicate first|last keeps one of them)"
	long := s.URL() + "/api/embed: 400 the input length exceeds the context length (the model's context is 8 tokens: --chunk auto embeds it in pieces; or shorten the text, or drop --truncate=false to let the server cut it)"
	for _, want := range []string{dup, long} {
		if r.code != ExitPartial || !strings.Contains(r.err, "× "+want+"\n") || !strings.Contains(string(fails), want) {
			t.Errorf("exit %d; the report or the failures file lacks %q:\n%s\n%s", r.code, want, r.err, fails)
		}
	}

	// A database that cannot be written (a folder in its place, which
	// even root cannot open for writing).
	notDB := filepath.Join(dir, "folder.db")
	if err := os.Mkdir(notDB, 0o755); err != nil {
		t.Fatal(err)
	}
	r = run(t, "", "embed", in, "--host", s.URL(), "--db", notDB)
	want := "salvo: database " + notDB + " cannot be written (open " + notDB + ": is a directory): make it writable (file permissions, a read-only mount) or choose another --db\n"
	if r.code != ExitFatal || !strings.HasSuffix(r.err, want) {
		t.Errorf("exit %d, stderr does not end with %q:\n%s", r.code, want, r.err)
	}

	// Another model into the same collection.
	r = run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--model", "other-model")
	want = `salvo: collection "m" holds vectors of model "nomic-embed-text", not "other-model": use --collection to start another collection, or --model nomic-embed-text to continue this one` + "\n"
	if r.code != ExitFatal || !strings.HasSuffix(r.err, want) {
		t.Errorf("exit %d, stderr does not end with %q:\n%s", r.code, want, r.err)
	}

	// A model the server does not have.
	r = run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--model", "nope")
	want = "ollama pull nope` on that server, or pass --pull\n"
	if r.code != ExitFatal || !strings.HasSuffix(r.err, want) {
		t.Errorf("exit %d, stderr does not end with %q:\n%s", r.code, want, r.err)
	}

	// Vectors of another size than the collection's, from a server that
	// never answers: the run stops, and says why.
	s.WrongDimsNext(1 << 20)
	in2 := writeFile(t, dir, "n.jsonl", `{"id":"3","text":"three"}`+"\n")
	r = run(t, "", "embed", in2, "--host", s.URL(), "--db", db, "--collection", "m", "--retries", "0", "--host-timeout", "200ms")
	want = "got a 7-dimensional vector, the collection holds 8 dimensions (a different model or --dimensions on this server?)"
	if r.code != ExitFatal || !strings.Contains(r.err, "(--host-timeout); the last answer: ") || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.err)
	}
	s.ClearFaults()

	// A request that times out after the server answered the one before:
	// the text fails. The first run counts the requests of a run of one text
	// (the checks before it, and its batch), so that the second one can
	// slow down exactly its second text.
	flags := []string{"--host", s.URL(), "--db", db, "--collection", "m", "--retries", "0", "--concurrency", "1", "--batch-size", "1", "--timeout", "5s"}
	before := s.Stats().Requests
	if r := run(t, "", append([]string{"embed", writeFile(t, dir, "o.jsonl", `{"id":"4","text":"four"}`+"\n")}, flags...)...); r.code != ExitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.err)
	}
	first := s.Stats().Requests - before
	s.SlowNext(first, 0) // no delay: the checks and the first text
	s.SlowNext(1, time.Minute)
	in3 := writeFile(t, dir, "p.jsonl", `{"id":"5","text":"five"}`+"\n"+`{"id":"6","text":"six"}`+"\n")
	flags[len(flags)-1] = "200ms"
	r = run(t, "", append([]string{"embed", in3}, flags...)...)
	want = "× " + s.URL() + ": no answer within 200ms (--timeout): context deadline exceeded\n"
	if r.code != ExitPartial || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.err)
	}
}

// The hints of salvo search and salvo similar, exactly.
func TestSearchAdvice(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	small := server(t, ollamatest.Config{Models: []string{model}, Dims: 384})
	empty := filepath.Join(t.TempDir(), "empty.db")
	blank := writeFile(t, t.TempDir(), "blank.jsonl", `{"id":"a","title":""}`+"\n")
	run(t, "", "embed", blank, "--host", s.URL(), "--model", model, "--db", empty, "--text", "{{.title}}", "--quiet")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"similar", "--db", db, "nope"},
			`salvo: no such ID "nope" in collection "movies": salvo export --collection movies --format ids lists its IDs`},
		{[]string{"search", "--host", s.URL(), "--db", empty, "x"},
			`salvo: collection is empty: "blank" has no vectors yet: embed records into it first (salvo embed FILE --collection blank)`},
		{[]string{"search", "--host", small.URL(), "--db", db, "x"},
			`salvo: the server's all-minilm answers 384-dimensional vectors, but collection "movies" holds 768: it was embedded with another model or --dimensions; search with the same --host and model it was embedded with`},
	} {
		r := run(t, "", tc.args...)
		if r.code != ExitFatal || r.err != tc.want+"\n" {
			t.Errorf("salvo %s: exit %d, stderr\n%q\nwant\n%q", strings.Join(tc.args, " "), r.code, r.err, tc.want+"\n")
		}
	}
}

// The hints about what to embed, exactly.
func TestRenderAdvice(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"1","title":"one","year":1999}`+"\n")
	db := filepath.Join(dir, "m.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--text", "{{.title}}", "--fields", "title"},
			"choose one way to build the text: a template (--text) or a list of fields (--fields), not both"},
		{[]string{"--text", "{{.title"},
			"invalid --text template: line 1, column 1: the `{{` of `{{.title` has no matching `}}`: write `{{.title}}`"},
		{nil,
			`record has no "text" field; choose what to embed with --fields title,year or --text '{{.title}}: {{.year}}' (fields: id, title, year)`},
	} {
		r := run(t, "", append([]string{"embed", in, "--host", s.URL(), "--db", db}, tc.args...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, tc.want+"\n") {
			t.Errorf("salvo embed %s: exit %d, stderr lacks the line %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.err)
		}
	}
}

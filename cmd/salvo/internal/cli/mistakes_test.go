package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

// A mistake about a whole input stops salvo before it sends anything or
// creates anything: exit 1, the explanation on the terminal, no database,
// no failures file, no report that looks like a finished run.
func TestWholeInputMistakesAreFatalBeforeAnyRequest(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	yts := repoFile(t, "examples/yts-list_movies.json")
	movies := repoFile(t, "examples/movies.jsonl")
	csv := writeFile(t, dir, "films.csv", "Title,Year,Plot\nAlien,1979,In space\nHeat,1995,In L.A.\n")
	var big strings.Builder
	big.WriteString("Title,Year\n")
	for i := range 2*sampleSize + 1 {
		fmt.Fprintf(&big, "Film %d,%d\n", i, 1900+i%100)
	}
	bigCSV := writeFile(t, dir, "big.csv", big.String())
	noText := writeFile(t, dir, "m.jsonl", `{"id":1,"title":"one","year":1999}`+"\n")
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"JSON object without --records", []string{yts, "--fields", "title"}, "",
			[]string{"holds a JSON object, not an array of records: name the array with --records data.movies"}},
		{"--records to a missing key", []string{yts, "--records", "data.film", "--fields", "title"}, "",
			[]string{`"data" has no key "film" (its keys: limit, movie_count, movies, page_number)`}},
		{"--records to a bare key", []string{yts, "--records", "data", "--fields", "title"}, "",
			[]string{`records path "data" leads to an object, not an array of records`}},
		{"--records to a number", []string{yts, "--records", "data.movie_count", "--fields", "title"}, "",
			[]string{`records path "data.movie_count" leads to a number`}},
		{"template field typo", []string{movies, "--text", "{{.titel}} ({{.year}})"}, "",
			[]string{"--text: `titel` is in no record (fields: date_uploaded, ", "); did you mean `title`?", "Nothing was sent: fix --text"}},
		{"field list typo", []string{movies, "--fields", "title,sumary"}, "",
			[]string{"--fields: `sumary` is in no record (fields: ", "did you mean `summary`?"}},
		{"CSV header that matches nothing", []string{csv, "--text", "{{.title}} ({{.year}}): {{.plot}}"}, "",
			[]string{"`title` is in no record (fields: Plot, Title, Year); did you mean `Title`?", "`plot` is in no record", "`year` is in no record"}},
		{"CSV header, larger than the sample", []string{bigCSV, "--text", "{{.Title}} {{.Yaer}}"}, "",
			[]string{"`Yaer` is in no record (fields: Title, Year); did you mean `Year`?"}},
		{"template typo on standard input", []string{"-", "--format", "jsonl", "--text", "{{.titel}}"}, `{"id":1,"title":"Alien"}` + "\n",
			[]string{"`titel` is in no record (fields: id, title); did you mean `title`?"}},
		{"--id in no record", []string{movies, "--fields", "title", "--id", "imdb"}, "",
			[]string{"--id: `imdb` is in no record", "Nothing was sent: fix --id"}},
		{"no text field", []string{noText}, "",
			[]string{`record has no "text" field; choose what to embed with --fields title,year`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "m.db")
			s.Reset()
			r := run(t, tc.stdin, append([]string{"embed", "--host", s.URL(), "--db", db}, tc.args...)...)
			t.Logf("exit %d, stderr:\n%s", r.code, r.err)
			if r.code != ExitFatal {
				t.Errorf("exit %d, want %d", r.code, ExitFatal)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.err)
				}
			}
			if strings.Contains(r.err, " read, ") || r.out != "" {
				t.Errorf("a fatal error at the start prints the error only; got stdout %q, stderr:\n%s", r.out, r.err)
			}
			if n := len(s.Stats().ByPath); n != 0 {
				t.Errorf("requests were sent: %v", s.Stats().ByPath)
			}
			entries, _ := os.ReadDir(filepath.Dir(db))
			if len(entries) != 0 {
				t.Errorf("files were created: %v", entries)
			}
		})
	}
}

// A field that only the first records lack may appear later in a big
// input: salvo warns and goes on, and the records that have it use it.
func TestFieldMissingFromTheSampleOnlyWarns(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	var b strings.Builder
	for i := range sampleSize + 10 {
		if i < sampleSize {
			fmt.Fprintf(&b, `{"id":%d,"title":"film %d"}`+"\n", i, i)
		} else {
			fmt.Fprintf(&b, `{"id":%d,"title":"film %d","tagline":"late %d"}`+"\n", i, i, i)
		}
	}
	in := writeFile(t, dir, "m.jsonl", b.String())
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"), "--text", "{{.title}} {{.tagline}}", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != sampleSize+10 {
		t.Fatalf("exit %d %v: %s", r.code, m, r.err)
	}
	if !strings.Contains(r.err, fmt.Sprintf("warning: --text: `tagline` is in none of the first %d records", sampleSize)) {
		t.Errorf("stderr should warn about the field:\n%s", r.err)
	}
}

// Many records failing for one reason are one line of the report, with a
// count and an example; running again is suggested only where it can help.
func TestFailuresAreGroupedByReason(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		switch {
		case i%10 == 0:
			fmt.Fprintf(&b, `{"id":%d,"text":"broken"`+"\n", i)
		case i%2 == 0:
			fmt.Fprintf(&b, `{"id":%d,"text":" "}`+"\n", i)
		default:
			fmt.Fprintf(&b, `{"id":%d,"text":"film %d"}`+"\n", i, i)
		}
	}
	in := writeFile(t, dir, "m.jsonl", b.String())
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db)
	t.Logf("exit %d, stderr:\n%s", r.code, r.err)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want %d:\n%s", r.code, ExitPartial, r.err)
	}
	for _, want := range []string{
		"20 failed", "20 records failed for 2 reasons; each is listed in " + filepath.Join(dir, "m.failures.jsonl"),
		`    16 × empty text: the "text" field is null or empty`, "e.g. " + in + ":2 (id 2)",
		"     4 × invalid JSON: ", "e.g. " + in + ":10",
		"running again alone does not help these: fix the input",
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("report lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err, "retry") {
		t.Errorf("retrying cannot help records that are broken in the file:\n%s", r.err)
	}

	// The server fails every request: that is a failed host, not bad input.
	// The run stops after --host-timeout with exit 1; the record it could
	// not embed is not a failure (the next run embeds it), and the failures
	// file keeps only the record that is broken in the file.
	s.FailNext(1000, 502, "")
	in2 := writeFile(t, dir, "n.jsonl", `{"id":"a","text":"new one"}`+"\n"+`{"id":"b","text":" "}`+"\n")
	r = run(t, "", "embed", in2, "--host", s.URL(), "--db", db, "--retries", "1", "--host-timeout", "300ms", "--json")
	m := r.summary(t)
	if r.code != ExitFatal || num(m, "failed") != 1 || num(m, "embedded") != 0 {
		t.Fatalf("exit %d %v:\n%s", r.code, m, r.err)
	}
	for _, want := range []string{"--host-timeout", "502", "records not stored yet are embedded by the next run", "1 × empty text"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("report lacks %q:\n%s", want, r.err)
		}
	}
	if reasons, _ := m["failure_reasons"].([]any); len(reasons) != 1 {
		t.Errorf("--json failure_reasons: %v", m["failure_reasons"])
	}
	s.ClearFaults()
	r = run(t, "", "embed", in2, "--host", s.URL(), "--db", db, "--json")
	if m := r.summary(t); r.code != ExitPartial || num(m, "embedded") != 1 || num(m, "failed") != 1 {
		t.Errorf("the next run: exit %d %v:\n%s", r.code, m, r.err)
	}
}

// Every input is checked before the first request, not only the first; the
// inputs closed after their check are read again from the start.
func TestSeveralInputsAreCheckedFirst(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	a := writeFile(t, dir, "a.jsonl", `{"id":"a1","text":"one"}`+"\n"+`{"id":"a2","text":"two"}`+"\n")
	b := writeFile(t, dir, "b.jsonl", `{"id":"b1","text":"three"}`+"\n"+`{"id":"b2","text":"four"}`+"\n"+`{"id":"b3","text":"five"}`+"\n")
	obj := writeFile(t, dir, "c.json", `{"data":{"items":[{"id":"c1","text":"six"}]}}`)
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", a, b, obj, "--host", s.URL(), "--db", db)
	if r.code != ExitFatal || !strings.Contains(r.err, "--records data.items") || len(s.Stats().ByPath) != 0 {
		t.Fatalf("a bad third file: exit %d, requests %v:\n%s", r.code, s.Stats().ByPath, r.err)
	}
	r = run(t, `{"id":"s1","text":"seven"}`+"\n", "embed", a, b, "-", "--format", "jsonl", "--host", s.URL(), "--db", db, "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "read") != 6 || num(m, "embedded") != 6 {
		t.Fatalf("exit %d %v:\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"count":6`) {
		t.Errorf("status: %s", r.out)
	}
}

// A slow stream on standard input is checked on what came within
// sampleWait of its first record: the run starts (it asks the server for its
// version) without waiting for a full sample or the end of the stream.
func TestSlowStreamStartsAfterItsFirstRecords(t *testing.T) {
	old := sampleWait
	sampleWait = 20 * time.Millisecond
	defer func() { sampleWait = old }()
	s := server(t, ollamatest.Config{Dims: 8})
	pr, pw := io.Pipe()
	db := filepath.Join(t.TempDir(), "s.db")
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"embed", "-", "--format", "jsonl", "--host", s.URL(), "--db", db, "--batch-size", "1", "--json"},
			Stdio{In: pr, Out: &out, Err: &errb, IsTerminal: func() bool { return false }})
		done <- result{code, out.String(), errb.String()}
	}()
	fmt.Fprintln(pw, `{"id":1,"text":"first"}`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.ByPath["/api/version"] >= 1 }); err != nil {
		t.Fatalf("the run did not start while the stream stayed open: %v", err)
	}
	fmt.Fprintln(pw, `{"id":2,"text":"second"}`)
	pw.Close()
	r := <-done
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != 2 {
		t.Fatalf("exit %d %v:\n%s", r.code, m, r.err)
	}
}

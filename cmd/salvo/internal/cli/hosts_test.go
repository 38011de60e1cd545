package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

func TestHostsWithDifferentModelVersionsAreRefused(t *testing.T) {
	a := server(t, ollamatest.Config{})
	b := server(t, ollamatest.Config{Revision: "2"})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	r := run(t, "", "embed", in, "--host", a.URL()+","+b.URL(), "--db", filepath.Join(dir, "m.db"))
	if r.code != ExitFatal || !strings.Contains(r.err, a.URL()) || !strings.Contains(r.err, b.URL()) || !strings.Contains(r.err, "different versions") {
		t.Fatalf("exit %d, stderr %q: want exit 1 naming both hosts", r.code, r.err)
	}
	if a.Requests()+b.Requests() != 0 {
		t.Errorf("%d embedding requests sent to servers that disagree", a.Requests()+b.Requests())
	}
}

func TestAgreeTakesTheSmallestContext(t *testing.T) {
	var m serverInfo
	from := ""
	for i, info := range []serverInfo{{digest: "d", ctxTokens: 2048, dims: 768}, {ctxTokens: 512}, {digest: "d", ctxTokens: 8192, dims: 768}} {
		if err := agree(&m, info, &from, "host"+string(rune('a'+i)), "m"); err != nil {
			t.Fatal(err)
		}
	}
	if m.ctxTokens != 512 || m.dims != 768 || m.digest != "d" || from != "hosta" {
		t.Errorf("got %+v from %s", m, from)
	}
	if err := agree(&m, serverInfo{digest: "e"}, &from, "hostd", "m"); err == nil || !strings.Contains(err.Error(), "hosta and hostd") {
		t.Errorf("err = %v", err)
	}
}

// A server that answers 500 to everything is a failed server: after
// --host-timeout the run stops with exit 1 and the server's words, and the
// records it could not embed are not failures.
func TestDeadServerExitsAfterHostTimeout(t *testing.T) {
	s := server(t, ollamatest.Config{})
	s.FailNext(1<<30, 500, `{"error":"llama runner process has terminated: signal: killed"}`)
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 300 {
		lines.WriteString(fmt.Sprintf(`{"id":%d,"text":"text %d"}`, i, i) + "\n")
	}
	in := writeFile(t, dir, "m.jsonl", lines.String())
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--host-timeout", "300ms")
	if r.code != ExitFatal || !strings.Contains(r.err, "signal: killed") || !strings.Contains(r.err, "--host-timeout") {
		t.Fatalf("exit %d, stderr %q: want exit 1 with the server's message", r.code, r.err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "m.failures.jsonl")); err == nil && len(b) > 0 {
		t.Errorf("records a dead server could not embed were listed as failures:\n%.300s", b)
	}
	if n := s.Requests(); n > 30 {
		t.Errorf("%d requests to a dead server", n)
	}
}

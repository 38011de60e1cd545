package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// varying blanks what differs between two runs of the same tests: times,
// goroutine numbers, addresses in a panic's trace.
var varying = regexp.MustCompile(`\d+\.\d+s|goroutine \d+|0x[0-9a-f]+`)

func normal(s string) string { return varying.ReplaceAllString(s, "…") }

func convertString(t *testing.T, in string) (out, errOut string, c *converter) {
	t.Helper()
	var o, e bytes.Buffer
	c = newConverter(&o, &e)
	if err := c.convert(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), c
}

// TestRecorded converts a recorded `go test -json` of testdata/fixture and
// compares it with the plain `go test` of the same tests.
func TestRecorded(t *testing.T) {
	in, err := os.ReadFile("testdata/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile("testdata/fixture.plain")
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.ReadFile("testdata/fixture.stderr")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, c := convertString(t, string(in))
	if normal(out) != normal(string(plain)) {
		t.Errorf("stdout:\n%s\nwant (go test without -json):\n%s", out, plain)
	}
	if errOut != string(stderr) {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, stderr)
	}
	var b strings.Builder
	summary(&b, c.skips)
	want := `4 tests skipped, for 3 reasons:
  2 × PGlite is missing: npm install x
      e.g. TestSkip in fixture/a
  1 × DuckDB is missing
      e.g. TestFail/skipped in fixture/a
  1 × DuckDB is missing: npm i
      e.g. TestB in fixture/b
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestLive runs go test on testdata/fixture with and without -json, now,
// with this machine's go: a new Go that prints otherwise fails here.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test twice on testdata/fixture")
	}
	goTest := func(args ...string) (stdout, stderr string) {
		cmd := exec.Command("go", append([]string{"test", "-count=1"}, args...)...)
		cmd.Dir = filepath.Join("testdata", "fixture")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		return o.String(), e.String()
	}
	plain, plainErr := goTest("./...")
	js, _ := goTest("-json", "./...")
	out, errOut, _ := convertString(t, js)
	if normal(out) != normal(plain) {
		t.Errorf("converted:\n%s\nwant (go test):\n%s", out, plain)
	}
	if errOut != plainErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, plainErr)
	}
}

func TestPassingPackageShowsOnlyOK(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:3: chatter\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}
`
	out, _, c := convertString(t, in)
	if out != "ok  \tp\t0.01s\n" || len(c.skips) != 0 {
		t.Errorf("got %q, %d skips", out, len(c.skips))
	}
}

// A stream cut short (go test killed) prints what the package printed, as a
// failure.
func TestCutShort(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"panic: test timed out after 1s\n"}
`
	out, _, _ := convertString(t, in)
	if want := "panic: test timed out after 1s\nFAIL\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestSkipReason(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{nil, "no reason given"},
		{[]string{"    x_test.go:9: DuckDB is missing: npm i\n"}, "DuckDB is missing: npm i"},
		{[]string{"    x_test.go:3: first log\n", "    x_test.go:9: no PGlite:\n", "        install it\n"}, "no PGlite: install it"},
	} {
		if got := skipReason(c.lines); got != c.want {
			t.Errorf("skipReason(%q) = %q, want %q", c.lines, got, c.want)
		}
	}
}

func TestSummaryOne(t *testing.T) {
	var b strings.Builder
	summary(&b, nil)
	if b.Len() != 0 {
		t.Errorf("no skips printed %q", b.String())
	}
	summary(&b, []skip{{pkg: "p", test: "TestX", reason: "chromium is missing"}})
	if want := "1 test skipped, for 1 reason:\n  1 × chromium is missing\n      e.g. TestX in p\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// FuzzConvert feeds any stream: the converter never panics, lines that are
// not events pass through unchanged, and every skip it reports is a skip
// event of the input.
func FuzzConvert(f *testing.F) {
	if b, err := os.ReadFile("testdata/fixture.json"); err == nil {
		f.Add(string(b))
	}
	f.Add("not json\n{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"x\"}\n")
	f.Add(`{"Action":"skip","Package":"p","Test":"T/a"}` + "\n" + `{"Action":"output","Package":"p","Test":"T/a","Output":"--- FAIL: T/a\n"}`)
	f.Add(`{"Action":"build-output","ImportPath":"p","Output":"# p\n"}` + "\n{\"Action\":1}\n{")
	f.Fuzz(func(t *testing.T, in string) {
		out, _, c := convertString(t, in)
		if !strings.Contains(in, "{") && out != in {
			t.Fatalf("plain text %q came out as %q", in, out)
		}
		n := 0
		for _, l := range strings.Split(in, "\n") {
			var e event
			if json.Unmarshal([]byte(l), &e) == nil && e.Action == "skip" && e.Test != "" {
				n++
			}
		}
		if len(c.skips) > n {
			t.Fatalf("%d skips reported from %d skip events", len(c.skips), n)
		}
	})
}

// TestScript runs scripts/test.sh with a go whose "go test" prints the
// recorded stream and exits 3: the script prints the plain output and the
// skips, and exits with go test's code.
func TestScript(t *testing.T) {
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	stream, err := filepath.Abs("testdata/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\nif [ \"$1\" = test ]; then echo \"$@\" >" + filepath.Join(bin, "args") + "; cat " + stream + "; exit 3; fi\nexec " + realGo + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "../test.sh", "-run", "TestNothing", "./scripts/testsummary/")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SALVO_SKIP_REAL_OLLAMA=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("scripts/test.sh: %v, want exit status 3 (go test's); stderr:\n%s", err, e.String())
	}
	plain, _ := os.ReadFile("testdata/fixture.plain")
	if !strings.HasPrefix(normal(o.String()), normal(string(plain))) || !strings.HasSuffix(o.String(), "      e.g. TestB in fixture/b\n") {
		t.Errorf("stdout:\n%s\nwant go test's plain output, then the skips", o.String())
	}
	args, _ := os.ReadFile(filepath.Join(bin, "args"))
	if want := "test -race -json -timeout 30m -run TestNothing ./scripts/testsummary/\n"; string(args) != want {
		t.Errorf("go %s, want go %s", args, want)
	}
}

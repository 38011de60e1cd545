package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent, plus the
// build events of Go 1.24 and later).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Output     string
}

// test is a test (or subtest) that has started and not ended yet: what
// `go test` without -v would print for it if it failed, at depth 0.
type test struct {
	lines []string
	ended bool
}

// pkg is the output of one package's test binary, held until the package
// ends: without -v, `go test` prints a package's output only when it fails.
type pkg struct {
	name   string
	out    []string // the lines go test prints if the package fails
	top    []string // package-level lines (ok, PASS, FAIL, [no test files])
	tests  map[string]*test
	done   bool
	failed bool
}

// skip is one skipped test and the message it gave.
type skip struct {
	pkg, test, reason string
}

// converter turns a `go test -json` stream into the plain output of
// `go test` (package list mode, without -v) and remembers the skips.
type converter struct {
	out, errOut io.Writer
	pkgs        map[string]*pkg
	order       []*pkg // by start: packages are printed in this order
	skips       []skip
	anyFailed   bool
}

func newConverter(out, errOut io.Writer) *converter {
	return &converter{out: out, errOut: errOut, pkgs: map[string]*pkg{}}
}

// convert reads the whole stream from r.
func (c *converter) convert(r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			c.line(line)
		}
		if err == io.EOF {
			c.finish()
			return nil
		}
		if err != nil {
			c.finish()
			return err
		}
	}
}

// line handles one line of the stream; a line that is not an event (go
// prints a few, such as errors before any test runs) is passed on as is.
func (c *converter) line(line string) {
	var e event
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil || e.Action == "" {
		c.flushDone()
		io.WriteString(c.out, line)
		return
	}
	c.event(e)
}

func (c *converter) event(e event) {
	switch e.Action {
	case "build-output":
		// Without -json, go prints the compiler's messages on stderr.
		io.WriteString(c.errOut, e.Output)
		return
	case "build-fail":
		c.anyFailed = true
		return
	}
	p := c.pkg(e.Package)
	if p.done {
		// Output after the end (not seen from go itself): print it.
		if e.Action == "output" {
			io.WriteString(c.out, e.Output)
		}
		return
	}
	if e.Test == "" {
		switch e.Action {
		case "output":
			p.top = append(p.top, e.Output)
			p.out = append(p.out, e.Output)
		case "fail":
			p.failed, p.done = true, true
			c.anyFailed = true
			c.flushDone()
		case "pass", "skip":
			p.done = true
			c.flushDone()
		}
		return
	}
	t := p.tests[e.Test]
	if t == nil {
		t = &test{}
		p.tests[e.Test] = t
	}
	switch e.Action {
	case "output":
		p.output(e.Test, t, e.Output)
	case "skip":
		c.skips = append(c.skips, skip{pkg: p.name, test: e.Test, reason: skipReason(t.lines)})
		t.ended, t.lines = true, nil
	case "pass", "fail":
		t.ended, t.lines = true, nil
	}
}

func (c *converter) pkg(name string) *pkg {
	p := c.pkgs[name]
	if p == nil {
		p = &pkg{name: name, tests: map[string]*test{}}
		c.pkgs[name] = p
		c.order = append(c.order, p)
	}
	return p
}

var (
	framing = regexp.MustCompile(`^=== (RUN|PAUSE|CONT|NAME) `)
	result  = regexp.MustCompile(`^--- (PASS|FAIL|SKIP): `)
)

// output files one line of a running test's output as go test without -v
// shows it: the test's log (lines indented by four spaces or more) goes out
// after its "--- FAIL" line, indented under its parent for a subtest; the
// log of a test that passes or skips is not shown; anything else (what
// the test wrote itself, a panic) is shown where it was written.
func (p *pkg) output(name string, t *test, line string) {
	switch {
	case t.ended:
		// After its result: a panic's trace, say.
		p.out = append(p.out, line)
	case framing.MatchString(line):
	case result.MatchString(line):
		t.ended = true
		if strings.HasPrefix(line, "--- FAIL: ") {
			block := append([]string{line}, t.lines...)
			if parent := p.parent(name); parent != nil {
				for _, l := range block {
					parent.lines = append(parent.lines, "    "+l)
				}
			} else {
				p.out = append(p.out, block...)
			}
			t.lines = nil
		}
	case strings.HasPrefix(line, "    "):
		t.lines = append(t.lines, line)
	default:
		p.out = append(p.out, line)
	}
}

// parent is the running test that name is a subtest of, if any.
func (p *pkg) parent(name string) *test {
	for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
		if t := p.tests[name[:i]]; t != nil && !t.ended {
			return t
		}
	}
	return nil
}

// flushDone prints the packages that have ended, in the order they started,
// up to the first one still running.
func (c *converter) flushDone() {
	for len(c.order) > 0 && c.order[0].done {
		p := c.order[0]
		c.order = c.order[1:]
		c.print(p)
	}
}

func (c *converter) print(p *pkg) {
	if p.failed {
		for _, l := range p.out {
			io.WriteString(c.out, l)
		}
		return
	}
	// A package that passes: its "ok" line only (or "?  … [no test files]").
	for _, l := range p.top {
		if strings.HasPrefix(l, "ok  ") || strings.HasPrefix(l, "?   ") {
			io.WriteString(c.out, l)
		}
	}
}

// finish prints what is left: packages that never ended (the stream was cut
// short) are printed as failed, with all they printed.
func (c *converter) finish() {
	for _, p := range c.order {
		if !p.done {
			p.failed, p.done = true, true
			c.anyFailed = true
		}
	}
	c.flushDone()
	if c.anyFailed {
		io.WriteString(c.out, "FAIL\n")
	}
}

// logLine is the start of a test's log line: "    file_test.go:12: ".
var logLine = regexp.MustCompile(`^    [^ :]+\.go:\d+: `)

// skipReason is the message of a skipped test: its last log entry (t.Skip
// logs its arguments last), without the file:line, continuation lines
// joined with a space.
func skipReason(lines []string) string {
	start := -1
	for i, l := range lines {
		if logLine.MatchString(l) {
			start = i
		}
	}
	if start < 0 {
		return "no reason given"
	}
	msg := logLine.ReplaceAllString(lines[start], "")
	parts := []string{strings.TrimSpace(msg)}
	for _, l := range lines[start+1:] {
		if s := strings.TrimSpace(l); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// summary writes the skipped tests grouped by reason, the biggest group
// first, with one test of each group to run with -v for the details.
func summary(w io.Writer, skips []skip) {
	if len(skips) == 0 {
		return
	}
	type group struct {
		reason string
		n      int
		first  skip
	}
	var groups []*group
	byReason := map[string]*group{}
	for _, s := range skips {
		g := byReason[s.reason]
		if g == nil {
			g = &group{reason: s.reason, first: s}
			byReason[s.reason] = g
			groups = append(groups, g)
		}
		g.n++
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].n > groups[j].n })
	noun := "tests"
	if len(skips) == 1 {
		noun = "test"
	}
	fmt.Fprintf(w, "%d %s skipped, for %d %s:\n", len(skips), noun, len(groups), plural(len(groups), "reason", "reasons"))
	width := len(fmt.Sprint(groups[0].n))
	for _, g := range groups {
		fmt.Fprintf(w, "  %*d × %s\n", width, g.n, g.reason)
		fmt.Fprintf(w, "  %*s   e.g. %s in %s\n", width, "", g.first.test, g.first.pkg)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

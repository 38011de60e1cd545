// Command testsummary turns the output of `go test -json` (on standard
// input) into the plain output of `go test` (the ok and FAIL lines, and the
// output of the tests that failed, as go test prints them without -v) and
// ends it with the tests that were skipped, grouped by the reason they gave:
// without -v, go test does not say that a test skipped, nor why.
//
//	go test -json ./... | go run ./scripts/testsummary
//
// Its exit code is 0 unless it cannot read its input: the test run's own
// status is go test's exit code (scripts/test.sh keeps it).
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	c := newConverter(flushing{out}, os.Stderr)
	err := c.convert(os.Stdin)
	summary(out, c.skips)
	out.Flush()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary: reading go test -json:", err)
		os.Exit(1)
	}
}

// flushing flushes after every write that ends a line: the plain output
// appears as packages finish, not at the end of the run.
type flushing struct{ w *bufio.Writer }

func (f flushing) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err == nil && n > 0 && b[n-1] == '\n' {
		err = f.w.Flush()
	}
	return n, err
}

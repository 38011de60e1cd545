package source

import (
	"errors"
	"strings"
	"testing"
)

// Mistakes about a whole file come out of Open as an *InputError, so that a
// caller can stop instead of failing every record; a bad record does not.
func TestOpenReportsWholeInputMistakes(t *testing.T) {
	yts := `{"status":"ok","data":{"movie_count":2,"movies":[{"id":1},{"id":2}]}}`
	for _, tc := range []struct {
		name, format, path, input, want string
	}{
		{"object without a records path", "json", "", yts, "--records data.movies"},
		{"records path to a missing key", "json", "data.film", yts, `"data" has no key "film" (its keys: movie_count, movies)`},
		{"records path to a number", "json", "data.movie_count", yts, "leads to a number"},
		{"records path on an array", "json", "data", `[{"id":1}]`, "drop --records"},
		{"empty JSON file", "json", "", "", "the file is empty"},
		{"records path on JSONL", "jsonl", "data", `{"id":1}`, "only to JSON files"},
		{"broken CSV header", "csv", "", "id,\"t\nx\n", "reading the header row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open("-", Options{Format: tc.format, RecordsPath: tc.path, Stdin: strings.NewReader(tc.input)})
			var ie *InputError
			if !errors.As(err, &ie) || !IsInputError(err) {
				t.Fatalf("Open: %v (%T), want an *InputError", err, err)
			}
			if ie.File != "-" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v, want it to say %q", err, tc.want)
			}
		})
	}
	r, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader("{\"id\":1}\n{broken\n")})
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if _, err := r.Next(); err == nil || IsInputError(err) {
		t.Errorf("a broken line: %v, want a record error, not an *InputError", err)
	}
}

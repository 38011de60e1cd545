package source

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// Mistakes about a whole file come out of Open as an *InputError, so that a
// caller can stop instead of failing every record; a bad record does not.
func TestOpenReportsWholeInputMistakes(t *testing.T) {
	yts := `{"status":"ok","data":{"movie_count":2,"movies":[{"id":1},{"id":2}]}}`
	for _, tc := range []struct {
		name, format, path, input, want string
	}{
		{"object without a records path", "json", "", yts, "holds a JSON object, not an array of records (arrays in the file: data.movies)"},
		{"records path to a missing key", "json", "data.film", yts, `"data" has no key "film" (its keys: movie_count, movies)`},
		{"records path to a number", "json", "data.movie_count", yts, "leads to a number"},
		{"records path on an array", "json", "data", `[{"id":1}]`, `the file is an array, so it has no records path "data"`},
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

// The errors state facts a caller can act on, in typed errors, and name no
// flag of any program: which flag sets the format or the records path is
// the command line's to say.
func TestErrorsAreTypedAndNameNoFlag(t *testing.T) {
	yts := `{"status":"ok","data":{"movie_count":2,"movies":[{"id":1}]},"more":{"x":[1]}}`
	open := func(format, path, input string) error {
		_, err := Open("-", Options{Format: format, RecordsPath: path, Stdin: strings.NewReader(input)})
		return err
	}
	var errs []error

	err := open("json", "", yts)
	var np *NoRecordsPathError
	if !errors.As(err, &np) || !IsInputError(err) || np.File != "-" || strings.Join(np.Arrays, " ") != "data.movies more.x" {
		t.Errorf("an object without a records path: %#v (%v), want a *NoRecordsPathError naming data.movies and more.x", np, err)
	}
	errs = append(errs, err)

	err = open("json", "", `{"a":{"b":1}}`)
	if !errors.As(err, &np) || len(np.Arrays) != 0 {
		t.Errorf("an object without arrays: %v, want a *NoRecordsPathError with no arrays", err)
	}
	errs = append(errs, err)

	err = open("json", "data.movies", `[{"id":1}]`)
	var pa *PathOnArrayError
	if !errors.As(err, &pa) || !IsInputError(err) || pa.File != "-" || pa.Path != "data.movies" {
		t.Errorf("a records path on an array: %v, want a *PathOnArrayError", err)
	}
	errs = append(errs, err)

	err = open("", "", "SQLite format 3\x00")
	var nt *NotTextError
	if !errors.As(err, &nt) || nt.Line != 1 || nt.Byte != 0 {
		t.Errorf("binary data: %v, want a *NotTextError", err)
	}
	errs = append(errs, err)

	for _, tc := range []struct {
		input string
		array bool
	}{{"[{\"id\":1}]\n", true}, {"{\n\"id\": 1}\n", false}} {
		r, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(tc.input)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Next()
		var nj *NotJSONLError
		var le *salvo.RecordError
		if !errors.As(err, &le) || le.Line != 1 || !errors.As(err, &nj) || nj.Array != tc.array {
			t.Errorf("JSONL %q: %v, want a *salvo.RecordError at line 1 holding a *NotJSONLError{Array: %v}", tc.input, err, tc.array)
		}
		errs = append(errs, err)
	}

	// Every mistake of the bad input corpus, whole file or record.
	bad, err := filepath.Glob("../testdata/bad/*.*")
	if err != nil || len(bad) < 10 {
		t.Fatalf("the bad input corpus: %v, %v", bad, err)
	}
	for _, name := range bad {
		if strings.HasSuffix(name, ".md") {
			continue
		}
		for _, format := range []string{"", "jsonl", "json", "csv", "tsv"} {
			r, err := Open(name, Options{Format: format, RecordsPath: map[bool]string{true: "data.x"}[format == "json"]})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					errs = append(errs, err)
					if !isLineErr(err) {
						break
					}
				}
			}
			r.Close()
		}
	}
	for _, err := range errs {
		if err != nil && strings.Contains(err.Error(), "--") {
			t.Errorf("the error names a flag: %v", err)
		}
	}
}

func isLineErr(err error) bool {
	var le *salvo.RecordError
	return errors.As(err, &le)
}

package cli

import (
	"fmt"
	"strings"

	"github.com/salvoembed/salvo/source"
)

// sourceAdvice returns err's own text and that text with the flag that
// changes it (--format, --records), for the errors of package source, which
// state the facts only; "" for an error without advice.
func sourceAdvice(err error) (plain, advised string) {
	switch e := err.(type) {
	case *source.NotTextError:
		return e.Error(), e.Error() + ": if it is one of them, say which with --format jsonl, json, csv or tsv"
	case *source.NoRecordsPathError:
		if len(e.Arrays) == 0 {
			return "", ""
		}
		return e.Error(), fmt.Sprintf("%s: the file holds a JSON object, not an array of records: name the array with --records %s (arrays in the file: %s)",
			e.File, e.Arrays[0], strings.Join(e.Arrays, ", "))
	case *source.PathOnArrayError:
		return e.Error(), e.Error() + ": drop --records"
	case *source.NotJSONLError:
		if e.Array {
			return e.Error(), e.Error() + " (a file holding one JSON array is read with --format json)"
		}
		return e.Error(), strings.TrimSuffix(e.Error(), ")") + "; a pretty-printed file is read with --format json)"
	}
	return "", ""
}

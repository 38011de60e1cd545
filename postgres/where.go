package postgres

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/salvoembed/salvo"
)

// Filters on kept fields ([salvo.Cond]) are translated into SQL over the
// items' fields (json), so that pgvector's HNSW index filters as it scans.
//
// The SQL gives each item a grade: 2 when the item matches for sure, 0
// when it does not, and 1 when it may: a value the database cannot
// compare exactly as salvo does (an object, a number beyond float8's
// safe range, a word such as inf or 0x1p3 that Go reads as a number,
// letters beyond ASCII under ~). Items graded 1 are kept by the filter,
// so that it never drops a match; the store refuses a result that holds
// one ([errors.ErrUnsupported]) and salvo scans instead.
//
// Per element e (the field's value, or each element of a list):
//
//	null or missing   2 for !=, else 0
//	object or list    1
//	string, number,   its text s (numbers as written: the fields are json,
//	boolean           which keeps the text), compared with the value
const (
	// strictNumber is a decimal that Go and float8 both read, correctly
	// rounded, far inside float8's range (at most 1e139, at least 1e-139).
	// (No backslashes: they would change meaning with
	// standard_conforming_strings off.)
	strictNumber = `^[+-]?([0-9]{1,40}([.][0-9]{0,40})?|[.][0-9]{1,40})([eE][+-]?[0-9]{1,2})?$`
	// looseNumber is any other text that Go's strconv.ParseFloat may read
	// as a number (inf, nan, 0x1p3, 1_000, 1e400…), matched ignoring case.
	looseNumber = `^[+-]?(inf|infinity|nan|0x[0-9a-f_.]*(p[+-]?[0-9_]*)?|[0-9_.]+(e[+-]?[0-9_]*)?)$`
	// nonASCII finds a letter beyond ASCII, which lower() may not case as
	// Go's strings.ToLower does.
	nonASCII = `[^\x01-\x7f]`
)

// whereSQL builds the grade of an item (see above) for the conditions:
// an SQL expression over i.fields, with its arguments numbered from
// $first on.
type whereSQL struct {
	args []any
	next int
}

func (b *whereSQL) arg(v any, typ string) string {
	b.args = append(b.args, v)
	b.next++
	return fmt.Sprintf("$%d::%s", b.next-1, typ)
}

// grade returns the SQL grade of an item for every condition of where.
func (b *whereSQL) grade(where []salvo.Cond) (string, error) {
	parts := make([]string, 0, len(where))
	for _, c := range where {
		p, err := b.cond(c)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "LEAST(" + strings.Join(parts, ", ") + ")", nil
}

// cond grades one condition: over the elements of a list (the best grade,
// or the worst for !=), else over the value.
func (b *whereSQL) cond(c salvo.Cond) (string, error) {
	switch c.Op {
	case "=", "!=", "<", "<=", ">", ">=", "~":
		if len(c.Values) != 1 {
			return "", fmt.Errorf("filter on %q: %s takes one value, not %d", c.Field, c.Op, len(c.Values))
		}
	case "in":
		if len(c.Values) == 0 {
			return "", fmt.Errorf("filter on %q: in takes at least one value", c.Field)
		}
	default:
		return "", fmt.Errorf("filter on %q: unknown operator %q", c.Field, c.Op)
	}
	v := "(i.fields -> " + b.arg(c.Field, "text") + ")"
	elem := b.element(c, "e.v")
	agg := "coalesce(max(" + elem + "), 0)"
	if c.Op == "!=" {
		agg = "coalesce(min(" + elem + "), 2)"
	}
	return fmt.Sprintf("(CASE WHEN %s IS NULL THEN %s WHEN json_typeof(%s) = 'array' THEN (SELECT %s FROM json_array_elements(%s) AS e (v)) ELSE %s END)",
		v, nullGrade(c.Op), v, agg, v, b.element(c, v)), nil
}

func nullGrade(op string) string {
	if op == "!=" {
		return "2"
	}
	return "0"
}

// element grades one json value e.
func (b *whereSQL) element(c salvo.Cond, e string) string {
	s := "(" + e + " #>> '{}')"
	var scalar string
	switch c.Op {
	case "~":
		scalar = b.contains(s, strings.ToLower(c.Values[0]))
	case "in":
		ors := make([]string, len(c.Values))
		for i, w := range c.Values {
			ors[i] = b.compare(s, "=", w)
		}
		scalar = "GREATEST(" + strings.Join(ors, ", ") + ")"
	default:
		scalar = b.compare(s, c.Op, c.Values[0])
	}
	return fmt.Sprintf("(CASE json_typeof(%s) WHEN 'null' THEN %s WHEN 'object' THEN 1 WHEN 'array' THEN 1 ELSE %s END)", e, nullGrade(c.Op), scalar)
}

// contains grades strings.Contains(strings.ToLower(s), lower): exact for
// ASCII text, 1 for text beyond ASCII that lacks lower as it is.
func (b *whereSQL) contains(s, lower string) string {
	if lower == "" {
		return "2"
	}
	return fmt.Sprintf("(CASE WHEN strpos(lower(%s COLLATE \"C\"), %s) > 0 THEN 2 WHEN %s ~ '%s' THEN 1 ELSE 0 END)",
		s, b.arg(lower, "text"), s, nonASCII)
}

// compare grades s op w as salvo compares: as numbers when both parse as
// numbers, else as strings byte by byte (COLLATE "C").
func (b *whereSQL) compare(s, op, w string) string {
	str := fmt.Sprintf("(CASE WHEN %s COLLATE \"C\" %s %s THEN 2 ELSE 0 END)", s, op, b.arg(w, "text"))
	wf, err := strconv.ParseFloat(w, 64)
	if err != nil {
		return str // w is not a number: strings, whatever s is
	}
	num := "0"
	if math.IsNaN(wf) {
		// Go's comparison with NaN finds neither less nor greater: equal.
		if op == "=" || op == "<=" || op == ">=" {
			num = "2"
		}
	} else {
		// As text, which float8 reads back to the same number (Infinity too).
		t := strconv.FormatFloat(wf, 'g', -1, 64)
		if math.IsInf(wf, 0) {
			t = strings.Replace(strings.Replace(t, "Inf", "Infinity", 1), "+", "", 1)
		}
		num = fmt.Sprintf("(CASE WHEN %s::float8 %s %s::float8 THEN 2 ELSE 0 END)", s, op, b.arg(t, "text"))
	}
	return fmt.Sprintf("(CASE WHEN %s ~ '%s' THEN %s WHEN %s ~* '%s' THEN 1 ELSE %s END)", s, strictNumber, num, s, looseNumber, str)
}

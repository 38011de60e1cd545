package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// encodeJSON is what AppendValue must agree with: an Encoder that leaves
// <, > and & alone, without its newline.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func checkAppendValue(t *testing.T, v any) {
	t.Helper()
	want, err := encodeJSON(v)
	got, ok := AppendValue([]byte("x"), v)
	if !ok {
		if string(got) != "x" {
			t.Fatalf("AppendValue(%#v) refused but appended %q", v, got[1:])
		}
		if err == nil && supported(v) {
			t.Fatalf("AppendValue(%#v) refused, encoding/json writes %s", v, want)
		}
		return
	}
	if err != nil {
		t.Fatalf("AppendValue(%#v) = %s, encoding/json fails: %v", v, got[1:], err)
	}
	if !bytes.Equal(got[1:], want) {
		t.Fatalf("AppendValue(%#v) = %s, encoding/json writes %s", v, got[1:], want)
	}
}

// supported reports whether v holds only the types AppendValue writes.
func supported(v any) bool {
	switch v := v.(type) {
	case nil, bool, string:
		return true
	case json.Number:
		return v == "" || validNumber(string(v))
	case []any:
		for _, e := range v {
			if !supported(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !supported(e) {
				return false
			}
		}
		return true
	}
	return false
}

func TestAppendValue(t *testing.T) {
	for _, v := range []any{
		nil, true, false, "", "A \"B\" <C> & D", "\b\f\n\r\t\x00\x1f\x7f", "bad \xff \u2028 漢字",
		json.Number("1999"), json.Number("-0.5e+10"), json.Number(""), json.Number("1e"), json.Number("01"),
		json.Number("NaN"), json.Number("1.5E-3"), json.Number("-"), json.Number(".5"),
		[]any(nil), []any{}, []any{"x", json.Number("1"), nil, []any{true}},
		map[string]any(nil), map[string]any{}, map[string]any{"b": "1", "a": []any{}, "\b<": nil},
		[]any{json.Number("x")}, map[string]any{"a": 1.5}, 2.5, 7, []string{"x"},
	} {
		checkAppendValue(t, v)
	}
	if got, ok := AppendValue(nil, []any{"a", 1.5}); ok || got != nil {
		t.Errorf("AppendValue of a float64 element = %q, %v; want nothing, false", got, ok)
	}
}

func TestValidNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "10", "1.5", "1e5", "1E+5", "1e-5", "-1.25e10"} {
		if !validNumber(s) {
			t.Errorf("validNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".1", "1e", "1e+", "+1", "1.e5", "0x1", "1 ", "NaN"} {
		if validNumber(s) {
			t.Errorf("validNumber(%q) = true", s)
		}
	}
}

// FuzzAppendValue: for values decoded from JSON and for strings and numbers
// of any bytes, AppendValue writes what encoding/json writes, or refuses
// what it refuses.
func FuzzAppendValue(f *testing.F) {
	for _, s := range []string{`{"title":"A & B","year":1999,"genres":["x","y"],"n":null,"t":true}`,
		`["\b\f\u2028",-1.5e3,{"z":{},"a":[]}]`, `"\u0000"`, `1e5`, `0.1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			checkAppendValue(t, v)
		}
		checkAppendValue(t, string(b))
		checkAppendValue(t, json.Number(b))
		checkAppendValue(t, []any{json.Number(strings.TrimSpace(string(b))), string(b)})
	})
}

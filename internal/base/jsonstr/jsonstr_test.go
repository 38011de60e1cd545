package jsonstr

import (
	"encoding/json"
	"testing"
)

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	enc := AppendString([]byte("x"), s)[1:]
	if !json.Valid(enc) {
		t.Fatalf("AppendString(%q) = %q, not valid JSON", s, enc)
	}
	var got string
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatalf("AppendString(%q) = %s, not a JSON string: %v", s, enc, err)
	}
	ref, _ := json.Marshal(s)
	var want string
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("AppendString(%q) decodes to %q, json.Marshal's to %q", s, got, want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain text, <b>&</b>", `"plain text, <b>&</b>"`},
		{"quote \" backslash \\", `"quote \" backslash \\"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"é ünï 漢字 🎬", `"é ünï 漢字 🎬"`},
		{"bad \xff utf8 \xe2\x82", `"bad \ufffd utf8 \ufffd\ufffd"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		checkAppendString(t, tt.in)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\n", "\xff\xfe", "\u2028", "漢字"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

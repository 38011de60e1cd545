package jsonscan

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// decodeFloats runs the fast path and encoding/json on one document.
func decodeFloats(doc []byte) (fast []float32, fastOK bool, ref []float32, refErr error) {
	s := NewScanner(doc)
	fast, fastOK = s.Floats(nil)
	fastOK = fastOK && s.End()
	var v []Float32
	refErr = json.Unmarshal(doc, &v)
	return fast, fastOK, Float32s(v), refErr
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func checkFloats(t *testing.T, doc []byte) {
	t.Helper()
	fast, ok, ref, refErr := decodeFloats(doc)
	if !ok {
		return // encoding/json decides
	}
	if refErr != nil {
		t.Fatalf("fast path accepted %q, encoding/json: %v", doc, refErr)
	}
	if !sameBits(fast, ref) {
		t.Fatalf("%q: fast path %v, encoding/json %v", doc, fast, ref)
	}
}

func TestFloats(t *testing.T) {
	tests := []struct {
		doc    string
		wantOK bool
	}{
		{`[]`, true},
		{` [ 1 , -2.5e3,0.125 ] `, true},
		{`[0, -0, 0.0, -0.0e5, 0e999999999]`, true},
		{`[1e-45, 1.4e-45, 7e-46, 1.17549435e-38, 3.4028235e38, 3.4028235677973366e38]`, true},
		{`[0.1, 0.2, 0.3, 16777216, 16777217, 16777219, 9007199254740993]`, true},
		{`[1.0000000596046448, 1.000000059604644775390625, 1.00000017881393432617187499]`, true},
		{`[123456789012345678901234567890, 0.000000000000000000000000000001]`, true},
		{`[-0.012345679, 0.07654321, 1.2345678e-07, 9.8765434e+21]`, true},
		{`[1e39]`, false},         // out of float32 range: encoding/json errors
		{`[-1e39]`, false},        // idem
		{`[1,]`, false},           // trailing comma
		{`[01]`, false},           // leading zero
		{`[1.]`, false},           // no fraction digits
		{`[.5]`, false},           // no integer digits
		{`[1e]`, false},           // no exponent digits
		{`[+1]`, false},           // plus sign
		{`[null, 1, null]`, true}, // NaN, as servers mean it (see Float32)
		{`[nul]`, false},
		{`[1 2]`, false}, // missing comma
		{`[NaN, Infinity]`, false},
		{`[0x10]`, false},
		{`[1_000]`, false},
		{`["1"]`, false},
		{`[1`, false},
	}
	for _, tt := range tests {
		_, ok, _, refErr := decodeFloats([]byte(tt.doc))
		if ok != tt.wantOK {
			t.Errorf("Floats(%s) ok = %v, want %v (encoding/json error: %v)", tt.doc, ok, tt.wantOK, refErr)
		}
		checkFloats(t, []byte(tt.doc))
	}
}

// TestFloatsRoundTrip checks many float32 values written the ways servers
// write them: shortest (Go, Ollama), fixed 9 significant digits, and float64
// spellings of float32 values.
func TestFloatsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	doc := []byte{'['}
	n := 0
	for range 50000 {
		var f float32
		if r.IntN(2) == 0 {
			f = float32(r.NormFloat64() * 0.05) // embedding-like
		} else {
			f = math.Float32frombits(r.Uint32())
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				continue
			}
		}
		for _, s := range []string{
			strconv.FormatFloat(float64(f), 'g', -1, 32),
			strconv.FormatFloat(float64(f), 'e', 8, 32),
			strconv.FormatFloat(float64(f), 'g', -1, 64),
			strconv.FormatFloat(float64(f)*(1+r.Float64()*1e-7), 'g', r.IntN(17)+1, 64),
		} {
			if n > 0 {
				doc = append(doc, ',')
			}
			doc = append(doc, s...)
			n++
		}
	}
	doc = append(doc, ']')
	fast, ok, ref, refErr := decodeFloats(doc)
	if !ok || refErr != nil {
		t.Fatalf("fast ok=%v, encoding/json error %v", ok, refErr)
	}
	for i := range ref {
		if math.Float32bits(fast[i]) != math.Float32bits(ref[i]) {
			t.Fatalf("element %d: fast %g, encoding/json %g", i, fast[i], ref[i])
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{" 123456789012345678", 123456789012345678, true},
		{"-42", -42, true},
		{"1234567890123456789", 0, false}, // left to encoding/json
		{"01", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"-", 0, false},
		{"x", 0, false},
	}
	for _, tt := range tests {
		got, ok := NewScanner([]byte(tt.in)).Int()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestSkip(t *testing.T) {
	tests := []struct {
		doc    string
		wantOK bool
	}{
		{`{"a":[1,{"b":null},true,false,"x\"\\\/\b\f\n\r\t\u00e9"],"c":{}}`, true},
		{`[]`, true},
		{`"\u12G4"`, false},
		{`"\x"`, false},
		{"\"a\x01\"", false},
		{`{"a" 1}`, false},
		{`{"a":1,}`, false},
		{`[1,]`, false},
		{`tru`, false},
		{`{1:2}`, false},
	}
	for _, tt := range tests {
		s := NewScanner([]byte(tt.doc))
		ok := s.Skip() && s.End()
		if ok != tt.wantOK {
			t.Errorf("Skip(%s) = %v, want %v", tt.doc, ok, tt.wantOK)
		}
		if ok && !json.Valid([]byte(tt.doc)) {
			t.Errorf("Skip accepted %s, which is not valid JSON", tt.doc)
		}
	}
}

func FuzzFloats(f *testing.F) {
	for _, s := range []string{`[]`, `[1,2.5,-3e-2]`, `[0.1,-0]`, `[1e39]`, `[1.0000000596046448]`, `[01]`, `[null]`,
		`[0.004034635,-0.00031096983,12345678.87654321e-3]`, `[0.1234567890123456789012345]`, `[123456789012345678901234,99999999999999999999]`, `[0.00000000000000000001234567891]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkFloats(t, doc) })
}

func FuzzSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}]}`, `"\u00e9"`, `[1,]`, `{"a":1,}`, `"\uZZZZ"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s := NewScanner(doc)
		ok := s.Skip() && s.End()
		switch valid := json.Valid(doc); {
		case ok && !valid:
			t.Fatalf("Skip accepted %q, which is not valid JSON", doc)
		case !ok && valid && bytes.Count(doc, []byte("["))+bytes.Count(doc, []byte("{")) <= MaxDepth:
			t.Fatalf("Skip refused %q, which is valid JSON", doc)
		}
	})
}

func BenchmarkFloats768(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vec := make([]float32, 768)
	for i := range vec {
		vec[i] = float32(r.NormFloat64() * 0.05)
	}
	doc, _ := json.Marshal(vec)
	dst := make([]float32, 0, 768)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		var ok bool
		if dst, ok = NewScanner(doc).Floats(dst[:0]); !ok {
			b.Fatal("Floats failed")
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in, want string
		wantOK   bool
	}{
		{` "abc"`, "abc", true},
		{`"é漢"`, "é漢", true},
		{`""`, "", true},
		{"\"\xff\"", "", false}, // encoding/json would give U+FFFD
		{`"a\"b"`, "", false},   // escapes go to encoding/json
		{"\"a\nb\"", "", false}, // raw control character
		{`"abc`, "", false},
	}
	for _, tt := range tests {
		got, ok := NewScanner([]byte(tt.in)).String()
		if ok != tt.wantOK || (ok && string(got) != tt.want) {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// A string Quoted accepts is valid JSON, and a plain one decodes, through
// encoding/json, to its contents as they stand.
func FuzzQuoted(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, "\"\xff\"", `"é"`, `"\u00e9"`, "\"a\x01\"", `"abc`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		q, plain, ok := NewScanner(doc).Quoted()
		if !ok {
			return
		}
		var v string
		if err := json.Unmarshal(q, &v); err != nil {
			t.Fatalf("Quoted accepted %q: encoding/json: %v", q, err)
		}
		if plain && v != string(q[1:len(q)-1]) {
			t.Fatalf("Quoted says %q is plain; encoding/json decodes it to %q", q, v)
		}
		if Plain(q[1:len(q)-1]) != plain {
			t.Fatalf("Plain(%q) = %v, Quoted says %v", q, !plain, plain)
		}
	})
}

func TestUnreadAdvance(t *testing.T) {
	s := NewScanner([]byte(`[ "ab" , 1]`))
	if !s.Consume('[') {
		t.Fatal("no [")
	}
	rest := s.Unread()
	if string(rest) != `"ab" , 1]` {
		t.Fatalf("Unread = %q", rest)
	}
	s.Advance(len(`"ab"`))
	if more, ok := s.Next(']'); !more || !ok {
		t.Fatalf("after Advance: Next = %v, %v", more, ok)
	}
	if v, ok := s.Int(); !ok || v != 1 || !s.Consume(']') || !s.End() {
		t.Fatalf("after Advance: %d, %v", v, ok)
	}
	defer func() {
		if recover() == nil {
			t.Error("Advance past the end did not panic")
		}
	}()
	s.Advance(1)
}

// Value returns the text Skip passes over, which is the whole value.
func FuzzValue(f *testing.F) {
	for _, s := range []string{` {"a":[1,{"b":null}]} `, `"\u00e9"`, ` 12.5e3`, `[1,]`, ` true`, "\tnull\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, ok := NewScanner(doc).Value()
		skip := NewScanner(doc)
		if sok := skip.Skip(); sok != ok {
			t.Fatalf("Value %v, Skip %v for %q", ok, sok, doc)
		}
		if !ok {
			return
		}
		if !json.Valid(v) || string(bytes.TrimSpace(doc[:skip.i])) != string(v) {
			t.Fatalf("Value(%q) = %q", doc, v)
		}
	})
}

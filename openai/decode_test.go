package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// b64 encodes floats as OpenAI does: little-endian float32, std base64.
func b64(v ...float32) string {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, v)
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func sameItems(a, b []item) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Index != y.Index || x.HasIndex != y.HasIndex || x.Kind != y.Kind || !bytes.Equal(x.Base64, y.Base64) {
			return false
		}
		if x.Kind == 's' {
			continue // the fast path may have decoded it: see sameVectors
		}
		if len(x.Floats) != len(y.Floats) || (x.Floats == nil) != (y.Floats == nil) {
			return false
		}
		for j := range x.Floats {
			if math.Float32bits(x.Floats[j]) != math.Float32bits(y.Floats[j]) {
				return false
			}
		}
	}
	return true
}

// sameVectors reports whether two results of vectors are the same, bit for
// bit, errors included.
func sameVectors(a [][]float32, aErr error, b [][]float32, bErr error) bool {
	if (aErr == nil) != (bErr == nil) || aErr != nil && aErr.Error() != bErr.Error() {
		return false
	}
	return f32le.SameBits(a, b)
}

// checkDecodeList compares the fast path with encoding/json on body, an
// answer to n texts: the lists, and the vectors they give.
func checkDecodeList(t *testing.T, body []byte, n int) (fastOK bool) {
	t.Helper()
	fast, ok := decodeListFast(body, n)
	ref, refErr := decodeListJSON(body)
	if !ok {
		return false
	}
	if refErr != nil {
		t.Fatalf("fast path accepted %q; encoding/json: %v", body, refErr)
	}
	if fast.HasData != ref.HasData || fast.PromptTokens != ref.PromptTokens || !sameItems(fast.Data, ref.Data) {
		t.Fatalf("%q:\nfast %+v\njson %+v", body, fast, ref)
	}
	fv, fErr := fast.vectors(n)
	rv, rErr := ref.vectors(n)
	if !sameVectors(fv, fErr, rv, rErr) {
		t.Fatalf("%q: vectors of %d texts:\nfast %v, %v\njson %v, %v", body, n, fv, fErr, rv, rErr)
	}
	return true
}

func TestDecodeList(t *testing.T) {
	slashy := math.Float32frombits(0xBFFFFFFF) // base64 "////vw=="

	tests := []struct {
		name     string
		body     string
		n        int
		want     [][]float32
		wantErr  string
		wantFast bool
	}{
		{"openai base64", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":"` + b64(1, -2.5) +
			`"},{"object":"embedding","index":1,"embedding":"` + b64(0.25, 3) + `"}],"model":"text-embedding-3-small","usage":{"prompt_tokens":7,"total_tokens":7}}`,
			2, [][]float32{{1, -2.5}, {0.25, 3}}, "", true},
		{"floats", `{"data":[{"embedding":[0.1,0.2],"index":0}],"usage":{"prompt_tokens":3}}`, 1, [][]float32{{0.1, 0.2}}, "", true},
		{"mixed forms", `{"data":[{"embedding":[1],"index":1},{"embedding":"` + b64(2) + `","index":0}]}`, 2, [][]float32{{2}, {1}}, "", true},
		{"out of order", `{"data":[{"index":2,"embedding":[3]},{"index":0,"embedding":[1]},{"index":1,"embedding":[2]}]}`, 3, [][]float32{{1}, {2}, {3}}, "", true},
		{"no indexes", `{"data":[{"embedding":[1]},{"embedding":[2]}]}`, 2, [][]float32{{1}, {2}}, "", true},
		{"unpadded base64", `{"data":[{"embedding":"` + strings.TrimRight(b64(1, 2, 3), "=") + `"}]}`, 1, [][]float32{{1, 2, 3}}, "", true},
		{"raw line break in base64", "{\"data\":[{\"embedding\":\"" + b64(1, 2, 3)[:8] + "\n" + b64(1, 2, 3)[8:] + "\"}]}", 1, nil, "invalid character", false},
		{"escaped quote after base64", `{"data":[{"embedding":"` + b64(1, 2) + `\"","index":0}]}`, 1, nil, "not base64", false},
		{"escaped base64", `{"data":[{"embedding":"` + strings.ReplaceAll(b64(1, slashy), "/", `\/`) + `"}]}`, 1, [][]float32{{1, slashy}}, "", false},
		{"null in floats", `{"data":[{"embedding":[1,null],"index":0}]}`, 1, nil, "", true},
		{"count", `{"data":[{"embedding":[1],"index":0}]}`, 2, nil, "1 vectors for 2 texts", true},
		{"duplicate index", `{"data":[{"embedding":[1],"index":0},{"embedding":[2],"index":0}]}`, 2, nil, "index 0 given twice", true},
		{"index out of range", `{"data":[{"embedding":[1],"index":0},{"embedding":[2],"index":2}]}`, 2, nil, "index 2 out of range", true},
		{"some indexes", `{"data":[{"embedding":[1],"index":1},{"embedding":[2]}]}`, 2, nil, "item 1 has no index", true},
		{"no embedding", `{"data":[{"index":0}]}`, 1, nil, "item 0 has no embedding", true},
		{"null embedding", `{"data":[{"index":0,"embedding":null}]}`, 1, nil, "item 0 has no embedding", false},
		{"bad base64", `{"data":[{"embedding":"!!!!"}]}`, 1, nil, "not base64", true},
		{"odd bytes", `{"data":[{"embedding":"AAAAAAA="}]}`, 1, nil, "not a whole number", true},
		{"no data", `{"error":{"message":"x"}}`, 1, nil, `no "data"`, true},
		{"null data", `{"data":null}`, 1, nil, `no "data"`, false},
		{"html", `<html>`, 1, nil, "invalid character", false},
		{"truncated", `{"data":[{"embedding":[1,2`, 1, nil, "unexpected end", false},
		{"other case", `{"Data":[{"Embedding":[1]}]}`, 1, [][]float32{{1}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fast := checkDecodeList(t, []byte(tt.body), tt.n); fast != tt.wantFast {
				t.Errorf("fast path took it: %v, want %v", fast, tt.wantFast)
			}
			l, err := decodeList([]byte(tt.body), tt.n)
			var got [][]float32
			if err == nil {
				got, err = l.vectors(tt.n)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if tt.name == "null in floats" {
				if err != nil || len(got) != 1 || got[0][0] != 1 || !math.IsNaN(float64(got[0][1])) {
					t.Errorf("vectors %v, %v; want [[1 NaN]]", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("vectors %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{0, 1, 3, 384, 1536} {
		want := make([]float32, dim)
		for i := range want {
			want[i] = math.Float32frombits(r.Uint32())
		}
		src := []byte(b64(want...))
		got, err := decodeBase64(make([]float32, base64Floats(src)), src)
		if err != nil || len(got) != dim || cap(got) != dim {
			t.Fatalf("dim %d: len %d cap %d, %v", dim, len(got), cap(got), err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("dim %d: element %d = %x, want %x", dim, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// TestVectorsShareOneSlab checks the base64 vectors of one answer, of
// several sizes and out of order: values, and capacities that keep an
// append to one from overwriting another.
func TestVectorsShareOneSlab(t *testing.T) {
	want := [][]float32{{1, 2, 3}, {}, {4}, {5, 6}}
	body := `{"data":[{"index":3,"embedding":"` + b64(want[3]...) + `"},{"index":1,"embedding":""},` +
		`{"index":0,"embedding":"` + strings.TrimRight(b64(want[0]...), "=") + `"},{"index":2,"embedding":"` + b64(want[2]...) + `"}]}`
	l, err := decodeList([]byte(body), len(want))
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.vectors(len(want))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("vectors %v, %v; want %v", got, err, want)
	}
	for i, v := range got {
		if v == nil || cap(v) != len(v) {
			t.Fatalf("vector %d: nil %v, len %d, cap %d", i, v == nil, len(v), cap(v))
		}
		got[i] = append(v, 99)
	}
	for i, v := range got {
		if !reflect.DeepEqual(v[:len(v)-1], want[i]) {
			t.Fatalf("after appends, vector %d = %v, want %v", i, v[:len(v)-1], want[i])
		}
	}
}

// TestVectorsAcrossSlabs decodes more vectors than one slab allocation
// takes and checks them against encoding/json's.
func TestVectorsAcrossSlabs(t *testing.T) {
	const n, dim = 40, 768
	body := listBody(n, dim, true)
	l, ok := decodeListFast(body, n)
	if !ok {
		t.Fatal("fast path refused the answer")
	}
	got, err := l.vectors(n)
	ref, refErr := decodeListJSON(body)
	if refErr != nil {
		t.Fatal(refErr)
	}
	want, wantErr := ref.vectors(n)
	if !sameVectors(got, err, want, wantErr) {
		t.Fatalf("vectors differ from encoding/json's: %v, %v", err, wantErr)
	}
	for i, v := range got {
		if cap(v) != dim {
			t.Fatalf("vector %d: cap %d, want %d", i, cap(v), dim)
		}
	}
}

func FuzzDecodeOpenAI(f *testing.F) {
	f.Add([]byte(`{"data":[{"embedding":"` + b64(1, 2) + `","index":0}],"usage":{"prompt_tokens":2}}`))
	f.Add([]byte(`{"data":[{"embedding":[0.5,-1e-3],"index":1},{"embedding":[],"index":0}],"model":"m"}`))
	f.Add([]byte(`{"data":[{"embedding":null}],"usage":null}`))
	f.Add([]byte(`{"DATA":[{"EMBEDDING":"AA=="}]}`))
	f.Add([]byte(`{"data":[{"embedding":"AAA\/"}],"x":[{"y":"\u00e9"}]}`))
	f.Add([]byte("{\"data\":[{\"embedding\":\"AAAAAAAAAAA\nA\"}]}"))
	f.Add([]byte(`{"data":[{"embedding":"AAAAAAAA\"},{\"embedding\":\"AAAA"}]}`))
	f.Add([]byte(`{"data":[{"embedding":"` + b64(1) + `"},{"embedding":"` + b64(1, 2, 3) + `"},{"embedding":"AAAA=AAA"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for n := range 3 {
			checkDecodeList(t, body, n)
		}
		if l, err := decodeList(body, 1); err == nil {
			l.vectors(len(l.Data)) // must not panic
		}
	})
}

func listBody(n, dim int, base64Form bool) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.WriteString(`{"object":"list","data":[`)
	for i := range n {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64() * 0.036)
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		var emb []byte
		if base64Form {
			emb, _ = json.Marshal(b64(v...))
		} else {
			emb, _ = json.Marshal(v)
		}
		fmt.Fprintf(&sb, `{"object":"embedding","index":%d,"embedding":%s}`, i, emb)
	}
	sb.WriteString(`],"model":"m","usage":{"prompt_tokens":100,"total_tokens":100}}`)
	return []byte(sb.String())
}

func BenchmarkDecodeOpenAI(b *testing.B) {
	for _, form := range []struct {
		name   string
		base64 bool
	}{{"base64", true}, {"floats", false}} {
		body := listBody(16, 768, form.base64)
		b.Run("16x768-"+form.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				l, err := decodeList(body, 16)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := l.vectors(16); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/vector")
		})
	}
}

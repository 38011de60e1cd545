package ollama

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// checkDecodeEmbed compares the fast path with encoding/json on body.
func checkDecodeEmbed(t *testing.T, body []byte, n int) (fastOK bool) {
	t.Helper()
	fast, ok := decodeEmbedFast(body, n)
	ref, refErr := decodeEmbedJSON(body)
	if !ok {
		return false
	}
	if refErr != nil {
		t.Fatalf("fast path accepted %q; encoding/json: %v", body, refErr)
	}
	if !f32le.SameBits(fast.Embeddings, ref.Embeddings) || fast.TotalDuration != ref.TotalDuration ||
		fast.LoadDuration != ref.LoadDuration || fast.PromptEvalCount != ref.PromptEvalCount {
		t.Fatalf("%q:\nfast %+v\njson %+v", body, fast, ref)
	}
	return true
}

func TestDecodeEmbed(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantFast bool // read by the fast path, not handed to encoding/json
	}{
		{"ollama", `{"model":"all-minilm","embeddings":[[0.1,-0.2,3e-5],[1,2,3]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}`, true},
		{"empty", `{"model":"m","embeddings":[]}`, true},
		{"empty vector", `{"embeddings":[[],[1]]}`, true},
		{"ragged", `{"embeddings":[[1,2],[3],[4,5,6]]}`, true},
		{"spaces", " {\n \"embeddings\" : [ [ 1 , 2 ] ] ,\t\"x\" : {\"y\":[null,true]} } \n", true},
		{"no fields", `{}`, true},
		{"unknown escaped string", `{"model":"a\"b","embeddings":[[1]]}`, true},
		{"null embeddings", `{"embeddings":null}`, false},
		{"null element", `{"embeddings":[[1,null]]}`, true},
		{"null vector", `{"embeddings":[null]}`, false},
		{"other case", `{"Embeddings":[[1]]}`, false},
		{"escaped key", `{"embedding\u0073":[[1]]}`, true}, // decoded as encoding/json decodes keys
		{"repeated", `{"embeddings":[[1]],"embeddings":[[2,3]]}`, false},
		{"float duration", `{"embeddings":[[1]],"total_duration":1.5}`, false},
		{"string count", `{"embeddings":[[1]],"prompt_eval_count":"8"}`, false},
		{"truncated", `{"embeddings":[[0.1,0.2],[0.3`, false},
		{"trailing garbage", `{"embeddings":[[1]]}x`, false},
		{"html", `<html><body>502</body></html>`, false},
		{"array", `[[1,2]]`, false},
		{"too big", `{"embeddings":[[1e39]]}`, false},
		{"error object", `{"error":"model 'x' not found"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkDecodeEmbed(t, []byte(tt.body), 2); got != tt.wantFast {
				t.Errorf("fast path took it: %v, want %v", got, tt.wantFast)
			}
			// decodeEmbed must agree with its slow path either way.
			a, err := decodeEmbed([]byte(tt.body), 2)
			ref, refErr := decodeEmbedJSON([]byte(tt.body))
			if (err == nil) != (refErr == nil) || (err == nil && !f32le.SameBits(a.Embeddings, ref.Embeddings)) {
				t.Errorf("decodeEmbed = %+v, %v; slow path %+v, %v", a, err, ref, refErr)
			}
		})
	}
}

// TestVectorsIndependent checks that vectors sharing one allocation cannot
// overwrite each other.
func TestDecodeEmbedNull(t *testing.T) {
	for _, body := range []string{`{"embeddings":[[1,null]]}`, `{"embeddings":[[1,null]],"Total_Duration":1}`} {
		a, err := decodeEmbed([]byte(body), 1)
		if err != nil || len(a.Embeddings) != 1 || a.Embeddings[0][0] != 1 || !math.IsNaN(float64(a.Embeddings[0][1])) {
			t.Errorf("%s: got %+v, %v; want [[1 NaN]]", body, a, err)
		}
	}
}

func TestVectorsIndependent(t *testing.T) {
	a, err := decodeEmbed([]byte(`{"embeddings":[[1,2],[3,4],[5,6]]}`), 3)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(a.Embeddings[1], 99)
	if a.Embeddings[2][0] != 5 {
		t.Errorf("appending to vector 1 changed vector 2: %v", a.Embeddings)
	}
}

func embedBody(n, dim int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var vecs [][]float32
	for range n {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64() * 0.036)
		}
		vecs = append(vecs, v)
	}
	b, _ := json.Marshal(map[string]any{"model": "nomic-embed-text", "embeddings": vecs,
		"total_duration": 123456789, "load_duration": 1234, "prompt_eval_count": n * 70})
	return b
}

func FuzzDecodeEmbed(f *testing.F) {
	f.Add([]byte(`{"model":"m","embeddings":[[0.1,-0.2],[1e-7,3]],"total_duration":1,"load_duration":2,"prompt_eval_count":3}`), 2)
	f.Add([]byte(`{"embeddings":[[1,null]]}`), 1)
	f.Add([]byte(`{"embeddings":[],"x":{"y":["\u00e9",1.5e300]}}`), 0)
	f.Add([]byte(`{"EMBEDDINGS":[[1]]}`), 1)
	f.Add(embedBody(2, 8, 1), 2)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		if n < 0 || n > 64 {
			n = 1
		}
		checkDecodeEmbed(t, body, n)
	})
}

func BenchmarkDecodeEmbed(b *testing.B) {
	for _, size := range []struct {
		name   string
		n, dim int
	}{{"16x384", 16, 384}, {"16x768", 16, 768}, {"64x768", 64, 768}} {
		body := embedBody(size.n, size.dim, 1)
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				a, err := decodeEmbed(body, size.n)
				if err != nil || len(a.Embeddings) != size.n {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size.n), "ns/vector")
		})
	}
	body := embedBody(16, 768, 1)
	b.Run("16x768-encoding-json", func(b *testing.B) {
		for b.Loop() {
			var a struct{ Embeddings [][]float32 }
			if err := json.Unmarshal(body, &a); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/vector")
	})
}

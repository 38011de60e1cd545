package ollamatest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The handler's own cost per request at CostPerInput 0, without the
// network: it bounds what a benchmark of a client against it can measure.
func benchmarkEmbed(b *testing.B, path string, inputs int) {
	s := NewUnstarted(Config{})
	texts := make([]string, inputs)
	for i := range texts {
		texts[i] = fmt.Sprintf(`"movie %d: a story of seventy words or so about people and places"`, i)
	}
	body := `{"model":"nomic-embed-text","input":[` + strings.Join(texts, ",") + `]}`
	b.SetBytes(int64(inputs))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkEmbed_1(b *testing.B)   { benchmarkEmbed(b, "/api/embed", 1) }
func BenchmarkEmbed_16(b *testing.B)  { benchmarkEmbed(b, "/api/embed", 16) }
func BenchmarkEmbed_64(b *testing.B)  { benchmarkEmbed(b, "/api/embed", 64) }
func BenchmarkOpenAI_64(b *testing.B) { benchmarkEmbed(b, "/v1/embeddings", 64) }

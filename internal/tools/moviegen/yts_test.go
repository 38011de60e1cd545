package moviegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestGenerateYTS(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var buf bytes.Buffer
			if err := GenerateYTS(4, n, &buf); err != nil {
				t.Fatal(err)
			}
			var page struct {
				Status string `json:"status"`
				Data   struct {
					MovieCount int               `json:"movie_count"`
					Limit      int               `json:"limit"`
					PageNumber int               `json:"page_number"`
					Movies     []json.RawMessage `json:"movies"`
				} `json:"data"`
				Meta map[string]any `json:"@meta"`
			}
			if err := json.Unmarshal(buf.Bytes(), &page); err != nil {
				t.Fatalf("GenerateYTS wrote invalid JSON: %v\n%s", err, buf.Bytes())
			}
			if page.Status != "ok" || page.Data.MovieCount != n || page.Data.PageNumber != 1 || page.Meta == nil {
				t.Fatalf("bad page header: %+v", page)
			}
			lines := strings.Split(string(generate(t, 4, n)), "\n")
			if len(page.Data.Movies) != n {
				t.Fatalf("got %d movies, want %d", len(page.Data.Movies), n)
			}
			for k, raw := range page.Data.Movies {
				var compact bytes.Buffer
				if err := json.Compact(&compact, raw); err != nil {
					t.Fatal(err)
				}
				if compact.String() != lines[k] {
					t.Errorf("movie %d differs from Generate's:\n%s\n%s", k+1, compact.String(), lines[k])
				}
			}
		})
	}
}

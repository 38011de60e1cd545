package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/httpx"
)

// An answer is bounded by what its vectors can take: once the client knows
// the vector size, a runaway answer fails as invalid before it is read
// whole, whatever the fixed cap.
func TestAnswerIsBoundedByItsVectors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			fmt.Fprint(w, `{"embeddings":[[0.6,0.8]]}`)
			return
		}
		// 2 dimensions known; this answer pads one vector to 4 MB.
		fmt.Fprint(w, `{"embeddings":[[0.6,0.8`+strings.Repeat(",0", 2<<20)+`]]}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{Model: "m", API: APIEmbed})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Embed(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Embed(ctx, []string{"a"})
	if !errors.Is(err, salvo.ErrInvalidResponse) || !strings.Contains(err.Error(), "its vectors can take") {
		t.Fatalf("err = %v, want an invalid answer over the bound", err)
	}
	if got, want := c.answerLimit(1), httpx.AnswerLimit(1, 2, httpx.JSONValueBytes); got != want || want > 1<<20 {
		t.Errorf("limit %d, want %d (under 1 MiB)", got, want)
	}
}

func TestAnswerLimit(t *testing.T) {
	for _, tc := range []struct {
		n, dims, per int
		want         int64
	}{
		{1, 768, httpx.JSONValueBytes, 2*768*32 + 64<<10},
		{256, 768, httpx.Base64ValueBytes, 2*256*768*6 + 64<<10},
		{10, 0, httpx.JSONValueBytes, 2*10*httpx.UnknownDims*32 + 64<<10},
	} {
		if got := httpx.AnswerLimit(tc.n, tc.dims, tc.per); got != tc.want {
			t.Errorf("AnswerLimit(%d, %d, %d) = %d, want %d", tc.n, tc.dims, tc.per, got, tc.want)
		}
	}
}

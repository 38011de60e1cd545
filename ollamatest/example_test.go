package ollamatest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/salvoembed/salvo/ollamatest"
)

// A test starts a server, makes it fail once, and checks what a client got
// and what the server saw.
func Example() {
	s := ollamatest.New(ollamatest.Config{Dims: 4})
	defer s.Close()
	s.FailNextRetryAfter(1, http.StatusServiceUnavailable, "", 0)

	embed := func() (int, [][]float32) {
		body := `{"model":"nomic-embed-text","input":["hello","world"]}`
		resp, err := http.Post(s.URL()+"/api/embed", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out struct{ Embeddings [][]float32 }
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Embeddings
	}
	status, _ := embed()
	fmt.Println("first:", status)
	status, vecs := embed()
	fmt.Println("second:", status, len(vecs), len(vecs[0]))

	want := ollamatest.Vector("nomic-embed-text", "world", 4)
	fmt.Println("as Vector says:", fmt.Sprint(vecs[1]) == fmt.Sprint(want))
	st := s.Stats()
	fmt.Println("requests:", st.Requests, "embedded:", st.Embedded, "faults:", st.Faults)
	// Output:
	// first: 503
	// second: 200 2 4
	// as Vector says: true
	// requests: 2 embedded: 2 faults: 1
}

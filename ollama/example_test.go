package ollama_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/salvoembed/salvo/ollama"
)

func ExampleClient_Embed() {
	// A stand-in for `ollama serve`, answering /api/embed as Ollama does.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"model":"all-minilm","embeddings":[[0.6,0.8],[1,0]],`+
			`"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":9}`)
	}))
	defer srv.Close()

	c, err := ollama.New(srv.URL, ollama.Options{Model: "all-minilm"})
	if err != nil {
		log.Fatal(err)
	}
	emb, err := c.Embed(context.Background(), []string{"The Matrix (1999)", "Heat (1995)"})
	if err != nil {
		log.Fatal(err)
	}
	for i, v := range emb.Vectors {
		fmt.Println(i, v)
	}
	fmt.Println("tokens:", emb.PromptTokens, "server time:", emb.TotalDuration, "api:", c.API())
	// Output:
	// 0 [0.6 0.8]
	// 1 [1 0]
	// tokens: 9 server time: 14.143917ms api: embed
}

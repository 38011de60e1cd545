// Command fakeollama runs the ollamatest server standalone, so benchmarks
// written in other languages can measure how busy they keep a server of
// known capacity.
//
//	fakeollama -slots 1 -cost-per-input 60ms -cost-per-request 20ms -queue 512
//
// It prints the server's URL on the first line of standard output, serves
// until SIGINT or SIGTERM (or, when standard input is a pipe, until it is
// closed), then prints its statistics as one JSON object, with
// utilization measured from the first request's arrival to the last
// answer.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var stdin io.Reader
	// Only a pipe is watched: a stdin of /dev/null, as background jobs
	// get, would end the server at once.
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		stdin = os.Stdin
	}
	if err := run(ctx, os.Args[1:], stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fakeollama:", err)
		os.Exit(2)
	}
}

// report is the statistics printed at the end.
type report struct {
	ollamatest.Stats
	WallSeconds       float64 `json:"wall_seconds"`
	BusySeconds       float64 `json:"busy_seconds"`
	Utilization       float64 `json:"utilization"`
	EmbeddedPerSecond float64 `json:"embedded_per_second"`
}

// run serves until ctx ends or stdin (if not nil) reaches EOF.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakeollama", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	models := fs.String("models", ollamatest.DefaultModel, "served models, comma-separated")
	var cfg ollamatest.Config
	fs.IntVar(&cfg.Dims, "dims", ollamatest.DefaultDims, "vector dimensions")
	fs.IntVar(&cfg.Slots, "slots", ollamatest.DefaultSlots, "parallel evaluation slots")
	fs.DurationVar(&cfg.CostPerInput, "cost-per-input", 0, "slot time per input")
	fs.DurationVar(&cfg.CostPerRequest, "cost-per-request", 0, "serial time per request")
	fs.IntVar(&cfg.QueueLimit, "queue", 0, "requests that may wait for a slot before 503 (0: no limit)")
	fs.IntVar(&cfg.ContextTokens, "context", 0, "model context in words (0: no limit)")
	fs.DurationVar(&cfg.LoadDuration, "load-duration", 0, "load_duration reported by the first request")
	fs.BoolVar(&cfg.LegacyOnly, "legacy", false, "serve only /api/embeddings, like Ollama before 0.2.6")
	fs.StringVar(&cfg.Version, "version", "", "version reported by /api/version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Models = strings.Split(*models, ",")

	s := ollamatest.NewUnstarted(cfg)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another -addr)", *addr, err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())

	eof := make(chan struct{})
	if stdin != nil {
		go func() {
			io.Copy(io.Discard, stdin)
			close(eof)
		}()
	}
	select {
	case <-ctx.Done():
	case <-eof:
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if srv.Shutdown(shutdownCtx) != nil {
		srv.Close() // requests still waiting for a slot are cut off
	}
	st := s.Stats()
	wall := st.Wall()
	r := report{Stats: st, WallSeconds: wall.Seconds(), BusySeconds: st.BusyTime.Seconds(), Utilization: st.Utilization(wall)}
	if wall > 0 {
		r.EmbeddedPerSecond = float64(st.Embedded) / wall.Seconds()
	}
	return json.NewEncoder(stdout).Encode(r)
}

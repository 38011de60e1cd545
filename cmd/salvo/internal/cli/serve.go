package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/serve"
)

const serveHelp = `Usage: salvo serve [--db PATH|URL] [--host URL] [--addr 127.0.0.1:8080] [--allow-host NAME,…]

Serves a page to search and explore the database's collections (a search
box, "more like this", a map of each collection) and its JSON API:
  /api/collections
  /api/search?collection=NAME&q=TEXT&k=10[&mode=hybrid|vector|text]
  /api/similar?collection=NAME&id=ID&k=10
  /api/map?collection=NAME
Queries are embedded through --host with each collection's own model.
It listens on 127.0.0.1 only, unless --addr says otherwise. Ctrl-C stops it.
It answers only requests sent to one of its own names (localhost, a loopback
IP, the host of --addr, or --allow-host): any other Host header gets 421, so
that a page of another site cannot read the catalog (DNS rebinding).

Flags:
`

// shutdownGrace is how long requests being answered have to finish when
// serve is stopped.
const shutdownGrace = 5 * time.Second

func runServe(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("serve", serveHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	addr := fs.String("addr", "127.0.0.1:8080", "`ADDRESS` to listen on")
	var hosts hostList
	fs.Var(&hosts, "host", "Ollama server `URL` for queries (default $OLLAMA_HOST, else http://127.0.0.1:11434)")
	allow := fs.StringSlice("allow-host", nil, "also answer requests for host `NAME,…` (e.g. a reverse proxy's public name; '*': any)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("serve takes no arguments (got %q): use --db and --addr", fs.Args())
	}
	// serve writes nothing but the words index (below): a signal stops it
	// (set before it says it serves, so that a signal after that line gets
	// this message).
	onStop(ctx, fmt.Sprintf("stopping the server; requests being answered get %v to finish", shutdownGrace), "quitting now")
	st, err := db.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w: choose another --addr", err)
	}
	srv := serve.New(st, serve.Options{
		Embedder: func(ctx context.Context, c salvo.Collection) (salvo.Embedder, error) {
			return queryEmbedder(ctx, hosts, "", c, stdio)
		},
		Addr:       listenName(*addr, ln.Addr()),
		AllowHosts: *allow,
		HostHint:   "to serve under that name, start salvo serve with --allow-host NAME",
	})
	fmt.Fprintf(stdio.Err, "salvo: serving %s on http://%s (Ctrl-C to stop)\n", db.String(), ln.Addr())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	// The records stored since the last search by words are indexed beside
	// the server, not by its first request: searches by meaning answer at
	// once, searches by words wait for the index (a million records take
	// about half a minute), and each request indexes what came since.
	wg.Go(func() {
		if w := indexWords(ctx, st, db.String(), stdio); w != "" && ctx.Err() == nil {
			fmt.Fprintf(stdio.Err, "salvo: warning: %s\n", w)
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		hs.Shutdown(sctx)
	})
	err = hs.Serve(ln)
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil // stopped by Ctrl-C: not an error
	}
	return err
}

// listenName is addr as given (its host may be a name), with the port
// that was picked where it asked for port 0.
func listenName(addr string, bound net.Addr) string {
	host, port, err := net.SplitHostPort(addr)
	_, boundPort, err2 := net.SplitHostPort(bound.String())
	if err != nil || err2 != nil || port != "0" {
		return addr
	}
	return net.JoinHostPort(host, boundPort)
}

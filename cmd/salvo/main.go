// Command salvo embeds catalogs of records through Ollama and stores the
// vectors in SQLite or PostgreSQL. Run `salvo help` for the commands.
package main

import (
	"context"
	"os"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
)

func main() {
	// The first Ctrl-C (or SIGTERM) stops the run after the writes in
	// flight; a second one quits at once.
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr, os.Exit)
	code := cli.Main(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}

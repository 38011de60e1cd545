package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// NotifyContext returns a context that the first SIGINT or SIGTERM
// cancels: the run stops reading, commits the writes in flight and exits
// with ExitInterrupted. A second signal calls exit(ExitInterrupted) at once,
// for a user who will not wait for those writes (SQLite rolls an unfinished
// transaction back, so nothing committed is lost). Call stop to release the
// signals.
func NotifyContext(parent context.Context, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "salvo: %v: stopping after the writes in flight; again to quit at once\n", sig)
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "salvo: %v again: quitting now; what was committed is kept, run the same command again to continue\n", sig)
			exit(ExitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Default stop messages: a run that writes records.
const (
	stopFirst = "stopping after the writes in flight; again to quit at once"
	stopAgain = "quitting now; what was committed is kept, run the same command again to continue"
)

// stopNote is what the first and the second signal say; a command that
// writes nothing (serve) sets its own with onStop.
type stopNote struct {
	mu           sync.Mutex
	first, again string
}

type stopNoteKey struct{}

// onStop sets what NotifyContext prints on the first signal (then "; again
// to quit at once") and on the second, for the command running under ctx.
// Without NotifyContext (tests, a library caller) it does nothing.
func onStop(ctx context.Context, first, again string) {
	if n, ok := ctx.Value(stopNoteKey{}).(*stopNote); ok {
		n.mu.Lock()
		n.first, n.again = first+"; again to quit at once", again
		n.mu.Unlock()
	}
}

// NotifyContext returns a context that the first SIGINT or SIGTERM
// cancels: the run stops reading, commits the writes in flight and exits
// with ExitInterrupted. A second signal calls exit(ExitInterrupted) at once,
// for a user who will not wait for those writes (SQLite rolls an unfinished
// transaction back, so nothing committed is lost). Call stop to release the
// signals. A command that writes nothing says so through onStop.
func NotifyContext(parent context.Context, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stopNotify := notifyContext(parent, sigs, stderr, exit)
	return ctx, func() {
		signal.Stop(sigs)
		stopNotify()
	}
}

// notifyContext is NotifyContext on the signals sent to sigs.
func notifyContext(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	note := &stopNote{first: stopFirst, again: stopAgain}
	ctx, cancel := context.WithCancel(context.WithValue(parent, stopNoteKey{}, note))
	done := make(chan struct{})
	said := func() (string, string) {
		note.mu.Lock()
		defer note.mu.Unlock()
		return note.first, note.again
	}
	go func() {
		select {
		case sig := <-sigs:
			first, _ := said()
			fmt.Fprintf(stderr, "salvo: %v: %s\n", sig, first)
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			_, again := said()
			fmt.Fprintf(stderr, "salvo: %v again: %s\n", sig, again)
			exit(ExitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		cancel()
	}
}

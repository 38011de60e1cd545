package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// syncBuffer is a strings.Builder safe to write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Ctrl-C stops salvo serve saying what serve does (it writes nothing), and
// a second one quits at once with a message of its own.
func TestServeStopMessage(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)

	sigs := make(chan os.Signal, 2)
	var said syncBuffer
	exited := make(chan int, 1)
	ctx, stop := notifyContext(context.Background(), sigs, &said, func(code int) { exited <- code })
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--db", db, "--host", s.URL(), "--addr", "127.0.0.1:0"}, Stdio{Out: io.Discard, Err: pw})
		pw.Close()
	}()
	if line, err := bufio.NewReader(pr).ReadString('\n'); err != nil || !strings.Contains(line, "serving") {
		t.Fatalf("serve printed %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	sigs <- os.Interrupt
	if code := <-done; code != ExitOK {
		t.Errorf("serve exited %d after Ctrl-C, want 0", code)
	}
	sigs <- syscall.SIGTERM
	if code := <-exited; code != ExitInterrupted {
		t.Errorf("second signal: exit(%d), want %d", code, ExitInterrupted)
	}
	want := "salvo: interrupt: stopping the server; requests being answered get 5s to finish; again to quit at once\n" +
		"salvo: terminated again: quitting now\n"
	if got := said.String(); got != want {
		t.Errorf("serve said on two signals:\n%q\nwant\n%q", got, want)
	}
}

// A run that writes keeps its message: the writes in flight are committed.
func TestRunStopMessage(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	var said syncBuffer
	exited := make(chan int, 1)
	ctx, stop := notifyContext(context.Background(), sigs, &said, func(code int) { exited <- code })
	defer stop()
	sigs <- os.Interrupt
	<-ctx.Done()
	sigs <- os.Interrupt
	<-exited
	want := "salvo: interrupt: stopping after the writes in flight; again to quit at once\n" +
		"salvo: interrupt again: quitting now; what was committed is kept, run the same command again to continue\n"
	if got := said.String(); got != want {
		t.Errorf("a run said on two signals:\n%q\nwant\n%q", got, want)
	}
}

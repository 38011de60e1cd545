package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true},
		{fmt.Errorf("store: %w", &pgconn.PgError{Code: "57P03"}), true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "21000"}, false},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{syscall.ECONNRESET, true},
		{io.ErrUnexpectedEOF, true},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{errors.New("syntax error"), false},
		{nil, false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// retry runs a call again while it fails on a lost connection, stops at
// the first other outcome, and gives up with an *UnavailableError.
func TestRetry(t *testing.T) {
	s := &Store{where: "db"}
	calls := 0
	lost := &pgconn.PgError{Code: "57P01"}
	fails := func(n int) func() error {
		calls = 0
		return func() error {
			calls++
			if calls <= n {
				return lost
			}
			return nil
		}
	}
	if err := s.retry(context.Background(), fails(1)); err != lost || calls != 1 {
		t.Errorf("without SetRetry: %v after %d calls, want the error after 1", err, calls)
	}
	s.SetRetry(time.Minute)
	if err := s.retry(context.Background(), fails(2)); err != nil || calls != 3 {
		t.Errorf("two lost connections: %v after %d calls, want success after 3", err, calls)
	}
	other := errors.New("constraint")
	calls = 0
	if err := s.retry(context.Background(), func() error { calls++; return other }); err != other || calls != 1 {
		t.Errorf("another error: %v after %d calls", err, calls)
	}
	s.SetRetry(50 * time.Millisecond) // shorter than the first backoff
	var ue *UnavailableError
	if err := s.retry(context.Background(), fails(100)); !errors.As(err, &ue) || !errors.Is(err, lost) {
		t.Errorf("a server that does not come back: %v, want an *UnavailableError wrapping the last error", err)
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
)

// FatalError stops a run: a missing model, a server that cannot be reached,
// a store that cannot be written.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// The errors below state the facts of a failure; a program that has
// settings for them (a command line) adds what to change.

// TooLongError fails a text that the server refused as longer than the
// model's context (see [salvo.TooLong]).
type TooLongError struct {
	Err           error // the server's refusal
	ContextTokens int   // the model's context, in tokens
	// Truncate says the run let the server cut long texts (Config.Key's
	// Truncate), so it is the endpoint that does not.
	Truncate bool
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%v (the model's context is %d tokens)", e.Err, e.ContextTokens)
}

func (e *TooLongError) Unwrap() error { return e.Err }

// TimeoutError is a request that got no answer within Config.Timeout. It
// wraps context.DeadlineExceeded, so [salvo.Retryable] holds.
type TimeoutError struct {
	Host    string
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: no answer within %v: %v", e.Host, e.Timeout, context.DeadlineExceeded)
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// VectorSizeError is an answer whose vectors are not of the collection's
// size. It wraps salvo.ErrInvalidResponse: such an answer is malformed.
type VectorSizeError struct {
	Got, Want int
}

func (e *VectorSizeError) Error() string {
	return fmt.Sprintf("%v: got a %d-dimensional vector, the collection holds %d dimensions", salvo.ErrInvalidResponse, e.Got, e.Want)
}

func (e *VectorSizeError) Unwrap() error { return salvo.ErrInvalidResponse }

// HostsDownError is the fatal error when every host has failed for longer
// than Config.HostTimeout.
type HostsDownError struct {
	Hosts   int           // how many hosts the run had
	Timeout time.Duration // Config.HostTimeout
	Last    []error       // each host's last failure, prefixed with its name
}

func (e *HostsDownError) Error() string {
	return e.Message("")
}

// Message is Error with note put after the time the hosts were given, as
// in "... failed for longer than 2m0s<note>; the last answer: ...".
func (e *HostsDownError) Message(note string) string {
	what := "the server has"
	if e.Hosts > 1 {
		what = fmt.Sprintf("all %d servers have", e.Hosts)
	}
	return fmt.Sprintf("%s failed for longer than %v%s; the last answer: %v\nCheck the server's log; records not stored yet are embedded by the next run",
		what, e.Timeout, note, errors.Join(e.Last...))
}

func (e *HostsDownError) Unwrap() []error { return e.Last }

// DuplicateError fails a record whose ID an earlier record of the run had
// (with Config.OnDuplicate at its default).
type DuplicateError struct {
	First string // where the first record with the ID is: "file:line"
}

func (e *DuplicateError) Error() string { return "duplicate id, first seen at " + e.First }

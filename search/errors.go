package search

import (
	"github.com/salvoembed/salvo"

	"fmt"
	"strings"
)

// The errors below state the facts; a program with settings for them (a
// command line) adds what to change.

// UnknownCollectionError is a collection that the store does not have. It
// wraps salvo.ErrNoCollection.
type UnknownCollectionError struct {
	Name  string
	Known []string // the collections the store has
}

func (e *UnknownCollectionError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("collection %q: %v: the database has no collections yet; run salvo embed first", e.Name, salvo.ErrNoCollection)
	}
	return fmt.Sprintf("collection %q: %v: the database has %s", e.Name, salvo.ErrNoCollection, strings.Join(e.Known, ", "))
}

func (e *UnknownCollectionError) Unwrap() error { return salvo.ErrNoCollection }

// EmptyCollectionError is a collection without vectors. It wraps
// ErrEmptyCollection.
type EmptyCollectionError struct{ Name string }

func (e *EmptyCollectionError) Error() string {
	return fmt.Sprintf("%v: %q has no vectors yet: embed records into it first", ErrEmptyCollection, e.Name)
}

func (e *EmptyCollectionError) Unwrap() error { return ErrEmptyCollection }

// UnknownIDError is an ID that the collection does not hold. It wraps
// ErrUnknownID.
type UnknownIDError struct{ ID, Collection string }

func (e *UnknownIDError) Error() string {
	return fmt.Sprintf("%v %q in collection %q", ErrUnknownID, e.ID, e.Collection)
}

func (e *UnknownIDError) Unwrap() error { return ErrUnknownID }

// QueryDimensionError is a query vector of another size than the
// collection's: the server embeds with another model than the collection
// was embedded with, or with other dimensions.
type QueryDimensionError struct {
	Model      string // the model asked
	Got        int    // the query vector's size
	Collection string
	Want       int // the collection's vector size
}

func (e *QueryDimensionError) Error() string {
	return fmt.Sprintf("the server's %s answers %d-dimensional vectors, but collection %q holds %d: it was embedded with another model or with other dimensions",
		e.Model, e.Got, e.Collection, e.Want)
}

// EmbedQueryError is a query that could not be embedded: the embedding
// server could not be reached or refused the query, or its answer held no
// usable vector. Its message is Err's.
type EmbedQueryError struct{ Err error }

func (e *EmbedQueryError) Error() string { return e.Err.Error() }

func (e *EmbedQueryError) Unwrap() error { return e.Err }

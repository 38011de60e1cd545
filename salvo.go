// Package salvo turns catalogs of records into embedding vectors through
// Ollama (or any OpenAI-compatible embedding server), as fast as the servers
// allow, without losing or repeating work.
//
// This package holds the domain types and the small interfaces that the
// subpackages implement:
//
//   - [Embedder] is a batch-shaped embedding client (package ollama, openai).
//   - [Store] keeps vectors, the content cache and collections (package
//     sqlite: a SQLite file; package postgres: a PostgreSQL schema, with
//     pgvector where the server has it).
//   - package source reads records from JSONL, JSON, CSV and TSV files.
//   - package engine runs the concurrent, batching, retrying pipeline.
//
// Most programs start with engine.Run; see its example.
package salvo

import (
	"context"
	"time"
)

// Record is one entry of a catalog: a decoded JSON object or a CSV row.
//
// Values in Fields are strings, bool, nil, json.Number (numbers keep the
// exact spelling of the source), []any or map[string]any.
type Record struct {
	ID     string         // from the --id field, else "<file>:<line>"
	Source string         // file name as given ("-" for standard input)
	Line   int            // 1-based line where the record starts
	Fields map[string]any // the record's fields
}

// Where reports the record's position as "file:line".
func (r *Record) Where() string { return Where(r.Source, r.Line) }

// Embedding is the answer to one batch of texts.
type Embedding struct {
	// Vectors has one vector per input text, in input order.
	Vectors [][]float32
	// PromptTokens is the number of tokens the server evaluated for the
	// whole batch (Ollama's prompt_eval_count); 0 when unknown.
	PromptTokens int
	// LoadDuration is the time the server spent loading the model for this
	// request (a cold start), 0 when unknown.
	LoadDuration time.Duration
	// TotalDuration is the server's own account of the request time.
	TotalDuration time.Duration
}

// Embedder turns a batch of texts into vectors. Implementations make exactly
// one request per call, never retry on their own, and return errors that
// [Retryable] and [errors.As] with *[StatusError] understand.
//
// An Embedder is safe for concurrent use.
type Embedder interface {
	Embed(ctx context.Context, texts []string) (*Embedding, error)
}

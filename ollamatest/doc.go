// Package ollamatest is an Ollama-compatible HTTP server for tests and
// benchmarks. It answers like Ollama 0.17.4 (same paths, JSON shapes, status
// codes and error messages), returns deterministic vectors instead of running
// a model, and does two things a real server cannot:
//
//   - it injects faults on demand or at random (HTTP errors, dropped
//     connections, proxy HTML pages, wrong vector counts or sizes, bodies
//     cut short, NaN, slow answers, a dead server) and counts every
//     request, so tests can check how a client copes and assert that
//     nothing was sent;
//   - it has a known capacity (evaluation slots, a cost per input and per
//     request, a queue limit), so benchmarks can measure how busy a client
//     keeps it ([Stats.Utilization]).
//
// Start one per test:
//
//	s := ollamatest.New(ollamatest.Config{})
//	defer s.Close()
//	// point the client at s.URL(); it serves "nomic-embed-text" with 768 dims
//
// The vector for a text is [Vector](model, text, dims), so a test can check
// what a client stored; [Server.Embedding] also applies the server's context
// limit. /api/embed and /v1/embeddings return unit vectors; the legacy
// /api/embeddings returns them scaled by [LegacyScale], as some real models
// do.
//
// # Capacity
//
// An embedding request that reaches evaluation is pending until it holds a
// slot; when Config.QueueLimit requests are already pending it is answered
// 503 at once, as Ollama does when OLLAMA_MAX_QUEUE is reached. A pending
// request first pays CostPerRequest under one global lock (serial across
// requests), then waits for one of Slots slots and holds it for
// len(inputs)×CostPerInput. Stats.BusyTime adds up the time slots were
// held, so BusyTime / (Slots × wall) is the share of the capacity a client
// kept busy. [Server.Gate] holds requests in their slots until released and
// [Server.Await] waits for a state of the counters, so tests of queueing
// need no sleeps.
//
// # Faults
//
// Faults set with the ...Next methods form one queue: each request that
// arrives at an embedding endpoint (/api/embed, /api/embeddings,
// /v1/embeddings) takes the next one, in the order they were set, whatever
// the request turns out to be. FailNext(2, ...) then DropNext(1) fails two
// requests and drops the third. [Server.SetChaos] draws faults at random,
// with a probability for each kind and a seed, for tests that throw many
// faults at once. Faults set for a text (NaNFor, NullFor,
// ZeroFor, Poison) apply to every request that contains the text until
// ClearFaults. SetDown makes the server hang up on every request.
//
// For benchmarks against other programs, cmd/fakeollama runs the same server
// standalone and prints its statistics as JSON when stopped.
package ollamatest

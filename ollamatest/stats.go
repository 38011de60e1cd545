package ollamatest

import (
	"bufio"
	"maps"
	"net"
	"net/http"
	"time"
)

// Stats counts what the server saw since it started or was Reset. The
// embedding endpoints are /api/embed, /api/embeddings and /v1/embeddings.
type Stats struct {
	Slots       int            `json:"slots"`
	Requests    int            `json:"requests"`     // requests that reached an embedding endpoint
	Inputs      int            `json:"inputs"`       // texts those requests carried (once decoded)
	Embedded    int            `json:"embedded"`     // texts answered with a vector
	ByPath      map[string]int `json:"by_path"`      // every request, by URL path
	Rejected503 int            `json:"rejected_503"` // requests refused because the queue was full
	Faults      int            `json:"faults"`       // requests that met an injected fault
	Refused     int            `json:"refused"`      // connections closed while SetDown
	Canceled    int            `json:"canceled"`     // requests whose client left before the answer

	// BusyTime adds up the time slots were held; RequestTime the time spent
	// paying CostPerRequest.
	BusyTime    time.Duration `json:"busy_ns"`
	RequestTime time.Duration `json:"request_ns"`

	// Now: embedding requests in the server, waiting for a slot, holding one.
	InFlight int `json:"in_flight"`
	Pending  int `json:"pending"`
	Holding  int `json:"holding"`
	// The highest InFlight and Pending seen.
	MaxInFlight int `json:"max_in_flight"`
	MaxPending  int `json:"max_pending"`

	// First is when the first embedding request arrived, Last when the last
	// one was answered; zero when there was none.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Utilization is BusyTime / (Slots × wall): the share of the server's
// evaluation capacity in use over wall. It is at most 1 when wall covers
// the time the slots were held, e.g. wall = st.Wall().
func (st Stats) Utilization(wall time.Duration) float64 {
	if wall <= 0 || st.Slots <= 0 {
		return 0
	}
	return float64(st.BusyTime) / (float64(st.Slots) * float64(wall))
}

// Wall is the time from the first embedding request's arrival to the last
// one's answer.
func (st Stats) Wall() time.Duration {
	if st.First.IsZero() || st.Last.Before(st.First) {
		return 0
	}
	return st.Last.Sub(st.First)
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statsLocked()
}

func (s *Server) statsLocked() Stats {
	st := s.st
	st.ByPath = maps.Clone(s.st.ByPath)
	return st
}

// Reset zeroes the counters and forgets the recorded texts. It keeps the
// faults, the gate and the live counts (InFlight, Pending, Holding);
// requests under way when it is called add their slot time when they end.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = Stats{
		Slots:    s.cfg.Slots,
		ByPath:   make(map[string]int),
		InFlight: s.st.InFlight,
		Pending:  s.st.Pending,
		Holding:  s.st.Holding,
	}
	s.texts = nil
	s.notifyLocked()
}

// Requests is Stats().Requests.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Requests
}

// Inputs is Stats().Inputs.
func (s *Server) Inputs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Inputs
}

// Record turns on (or off) keeping every input text received, for Texts.
// It is off by default to keep benchmarks' memory flat.
func (s *Server) Record(on bool) {
	s.mu.Lock()
	s.record = on
	s.mu.Unlock()
}

// Texts returns the input texts received while Record was on, in arrival
// order (the order of requests that arrive together is not defined).
func (s *Server) Texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...)
}

// arrive counts a request at an embedding endpoint and takes its fault.
func (s *Server) arrive() (fault, bool) {
	s.mu.Lock()
	s.st.Requests++
	s.st.InFlight++
	s.st.MaxInFlight = max(s.st.MaxInFlight, s.st.InFlight)
	if s.st.First.IsZero() {
		s.st.First = time.Now()
	}
	var f fault
	ok := len(s.faults) > 0
	if ok {
		f = s.faults[0]
		if s.faults[0].n--; s.faults[0].n == 0 {
			s.faults = s.faults[1:]
		}
		s.st.Faults++
	} else if s.chaos != nil {
		if f, ok = s.chaos.draw(); ok {
			s.st.Faults++
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	return f, ok
}

// leaver ends the count of a request that arrive counted just before the
// answer starts, so that a client that got its answer sees it in Stats.
type leaver struct {
	http.ResponseWriter
	s    *Server
	done bool
}

func (l *leaver) leave() {
	if !l.done {
		l.done = true
		l.s.leave()
	}
}

func (l *leaver) WriteHeader(code int) {
	l.leave()
	l.ResponseWriter.WriteHeader(code)
}

func (l *leaver) Write(b []byte) (int, error) {
	l.leave()
	return l.ResponseWriter.Write(b)
}

func (l *leaver) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	l.leave()
	if hj, ok := l.ResponseWriter.(http.Hijacker); ok {
		return hj.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

// leave ends a request that arrive counted.
func (s *Server) leave() {
	s.mu.Lock()
	s.st.InFlight--
	s.st.Last = time.Now()
	s.notifyLocked()
	s.mu.Unlock()
}

// received counts decoded inputs.
func (s *Server) received(inputs []string) {
	s.mu.Lock()
	s.st.Inputs += len(inputs)
	if s.record {
		s.texts = append(s.texts, inputs...)
	}
	s.notifyLocked()
	s.mu.Unlock()
}
